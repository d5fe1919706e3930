use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context;
use mamgate_server::{ConfigSource, ServerOptions, Settings};

/// `mamgate serve`.
#[derive(clap::Args)]
pub struct Args {
    /// The configuration file (created with defaults if absent).
    #[arg(long, default_value = super::DEFAULT_CONFIG)]
    config: PathBuf,
    /// Overrides ServiceSettings.ListenAddress.
    #[arg(long)]
    listen: Option<String>,
}

pub async fn run(args: Args) -> anyhow::Result<ExitCode> {
    let file = mamgate_server::settings::load_or_create_file(&args.config)
        .map_err(|e| anyhow::anyhow!("{}: {}", e.id, e.detail))?;
    let env = Settings::process_env();
    let mut effective = file.clone();
    effective
        .apply_env(env.iter().map(|(k, v)| (k.as_str(), v.as_str())))
        .map_err(|e| anyhow::anyhow!("{}: {}", e.id, e.detail))?;
    init_logging(&effective);
    effective
        .validate()
        .map_err(|e| anyhow::anyhow!("invalid configuration: {}: {}", e.id, e.detail))?;
    let store = super::open_store(&args.config, &effective).await?;
    let (source, stored) = if effective.sql_settings.driver_name == "postgres" {
        // In PostgreSQL mode the database holds the configuration shared by every node;
        // the file only says where the database is, and seeds it the first time.
        let stored = match store
            .get_config()
            .await
            .context("reading the configuration from the database")?
        {
            Some(v) => mamgate_core::Config::from_value(v)
                .map_err(|e| anyhow::anyhow!("{}: {}", e.id, e.detail))?,
            None => {
                store
                    .set_config(file.to_value())
                    .await
                    .context("seeding the configuration")?;
                file.clone()
            }
        };
        (ConfigSource::Database, stored)
    } else {
        (ConfigSource::File(args.config.clone()), file)
    };
    let settings = Settings::new(source, stored, env)
        .map_err(|e| anyhow::anyhow!("{}: {}", e.id, e.detail))?;
    let listen = args
        .listen
        .unwrap_or_else(|| settings.current().service_settings.listen_address.clone());
    let server = mamgate_server::start(ServerOptions {
        store,
        settings,
        listen: listen.clone(),
    })
    .await
    .with_context(|| format!("cannot listen on {listen}"))?;
    println!(
        "mamgate serving on {} (config {})",
        server.url,
        args.config.display()
    );
    tokio::select! {
        _ = tokio::signal::ctrl_c() => {}
        _ = server.wait() => {}
    }
    Ok(ExitCode::SUCCESS)
}

fn init_logging(config: &mamgate_core::Config) {
    let level = config.log_settings.console_level.to_ascii_lowercase();
    let filter = tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| {
        tracing_subscriber::EnvFilter::new(match level.as_str() {
            "debug" => "debug",
            "error" => "error",
            "warn" => "warn",
            _ => "info",
        })
    });
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr);
    if config.log_settings.console_json {
        let _ = builder.json().try_init();
    } else {
        let _ = builder.try_init();
    }
}
