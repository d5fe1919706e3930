use std::process::ExitCode;

/// `mamgate demo`.
#[derive(clap::Args)]
pub struct Args {}

pub async fn run(_args: Args) -> anyhow::Result<ExitCode> {
    let mut out = std::io::stdout();
    let all_matched = crate::demo::run(&mut out).await?;
    Ok(if all_matched {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    })
}
