//! `mamgate ldap sync`: one LDAP sync run against the store a config names.

use std::path::PathBuf;
use std::process::ExitCode;

/// `mamgate ldap ...`.
#[derive(clap::Subcommand)]
pub enum Command {
    /// Sync users from LdapSettings once: create, update, deactivate, reactivate; print the counts.
    Sync {
        #[arg(long, default_value = super::DEFAULT_CONFIG)]
        config: PathBuf,
    },
}

pub async fn run(cmd: Command) -> anyhow::Result<ExitCode> {
    match cmd {
        Command::Sync { config } => {
            // Per-entry reasons (skipped entries, GUID layouts, deactivations) go to stderr.
            let filter = tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("mamgate_server=info"));
            let _ = tracing_subscriber::fmt()
                .with_env_filter(filter)
                .with_writer(std::io::stderr)
                .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
                .try_init();
            let cfg = super::read_config(&config)?;
            // Refuse objectGUID and incomplete settings before touching the store.
            mamgate_server::ldap_sync::check_settings(&cfg.ldap_settings)?;
            let store = super::open_store(&config, &cfg).await?;
            let report =
                mamgate_server::ldap_sync::sync(store.as_ref(), &cfg, super::now_ms()).await?;
            // Running servers on a shared database close the deactivated users' sockets.
            for id in &report.deactivated_ids {
                let notice = format!("{}:{id}", mamgate_server::cluster::USER_DEACTIVATED);
                if let Err(e) = store.publish(&notice).await {
                    eprintln!("warning: could not announce {notice}: {e}");
                }
            }
            println!(
                "ldap sync ({}): {} entries; created {}, updated {}, deactivated {}, reactivated {}, refused {}, unchanged {}",
                report.auth_service,
                report.entries,
                report.created,
                report.updated,
                report.deactivated,
                report.reactivated,
                report.refused,
                report.unchanged
            );
            Ok(ExitCode::SUCCESS)
        }
    }
}
