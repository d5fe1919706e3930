use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context;
use mamgate_emulators::{shared, start_entra, start_intune, write_example, Tenant};

/// `mamgate emulate ...`.
#[derive(clap::Subcommand)]
pub enum Command {
    /// Write a complete, consistent example tenant file.
    Init {
        #[arg(long)]
        out: PathBuf,
        /// The Entra emulator's URL (the tenant's authority host).
        #[arg(long, default_value = "http://127.0.0.1:8066")]
        authority: String,
    },
    /// Run the Entra ID emulator (discovery, JWKS, tokens, Graph /me).
    Entra {
        #[arg(long)]
        tenant: PathBuf,
        #[arg(long, default_value = "127.0.0.1:8066")]
        listen: SocketAddr,
    },
    /// Run the Intune emulator (enrollment, policies, device events).
    Intune {
        #[arg(long)]
        tenant: PathBuf,
        #[arg(long, default_value = "127.0.0.1:8067")]
        listen: SocketAddr,
    },
}

pub async fn run(cmd: Command) -> anyhow::Result<ExitCode> {
    match cmd {
        Command::Init { out, authority } => {
            write_example(&out, &authority)
                .with_context(|| format!("cannot write {}", out.display()))?;
            println!(
                "wrote example tenant {} (authority {authority})",
                out.display()
            );
            Ok(ExitCode::SUCCESS)
        }
        Command::Entra { tenant, listen } => {
            let t = Tenant::load(&tenant)
                .with_context(|| format!("cannot load {}", tenant.display()))?;
            let tenant_id = t.tenant_id.clone();
            let running = start_entra(shared(t), listen).await?;
            println!("Entra emulator: {}", running.url);
            println!(
                "  discovery: {}/{tenant_id}/v2.0/.well-known/openid-configuration",
                running.url
            );
            println!(
                "  JWKS:      {}/{tenant_id}/discovery/v2.0/keys",
                running.url
            );
            println!("  token:     {}/{tenant_id}/oauth2/v2.0/token", running.url);
            wait(running).await
        }
        Command::Intune { tenant, listen } => {
            let t = Tenant::load(&tenant)
                .with_context(|| format!("cannot load {}", tenant.display()))?;
            let running = start_intune(shared(t), listen).await?;
            println!("Intune emulator: {}", running.url);
            wait(running).await
        }
    }
}

async fn wait(running: mamgate_emulators::RunningEmulator) -> anyhow::Result<ExitCode> {
    tokio::select! {
        _ = tokio::signal::ctrl_c() => {}
        _ = running.wait() => {}
    }
    Ok(ExitCode::SUCCESS)
}
