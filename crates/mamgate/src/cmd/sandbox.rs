use std::path::PathBuf;
use std::process::ExitCode;

use crate::sandbox::{self, Ports};

/// `mamgate sandbox`.
#[derive(clap::Args)]
pub struct Args {
    /// The sandbox folder (kept between starts).
    #[arg(long, default_value = "./mamgate-sandbox")]
    dir: PathBuf,
    #[arg(long, default_value_t = 8065)]
    port: u16,
    #[arg(long, default_value_t = 8066)]
    entra_port: u16,
    #[arg(long, default_value_t = 8067)]
    intune_port: u16,
}

pub async fn run(args: Args) -> anyhow::Result<ExitCode> {
    let sb = sandbox::start(
        &args.dir,
        Ports {
            server: args.port,
            entra: args.entra_port,
            intune: args.intune_port,
        },
    )
    .await?;
    print!("{}", sb.summary());
    println!("  (Ctrl-C stops it; state stays in {})", sb.dir.display());
    let _ = tokio::signal::ctrl_c().await;
    sb.stop().await;
    Ok(ExitCode::SUCCESS)
}
