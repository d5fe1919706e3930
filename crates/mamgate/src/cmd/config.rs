use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context;
use mamgate_core::config::Config;
use serde_json::Value;

/// `mamgate config ...`.
#[derive(clap::Subcommand)]
pub enum Command {
    /// Check a configuration file; prints the first error id and exits non-zero if invalid.
    Validate {
        #[arg(long, default_value = super::DEFAULT_CONFIG)]
        config: PathBuf,
    },
    /// Print the whole configuration, or one `Section.Setting`.
    Get {
        #[arg(long, default_value = super::DEFAULT_CONFIG)]
        config: PathBuf,
        key: Option<String>,
    },
    /// Set one `Section.Setting` (the value is JSON if it parses as JSON, else a string).
    Set {
        #[arg(long, default_value = super::DEFAULT_CONFIG)]
        config: PathBuf,
        key: String,
        value: String,
    },
}

pub async fn run(cmd: Command) -> anyhow::Result<ExitCode> {
    match cmd {
        Command::Validate { config } => {
            let text = std::fs::read_to_string(&config)
                .with_context(|| format!("cannot read {}", config.display()))?;
            let result = Config::from_json(&text).and_then(|mut c| {
                c.apply_env(mamgate_server::Settings::process_env())?;
                c.validate()
            });
            match result {
                Ok(()) => {
                    println!("{}: valid", config.display());
                    Ok(ExitCode::SUCCESS)
                }
                Err(e) => {
                    let entry = e.id.entry();
                    println!("{}: invalid", config.display());
                    println!("  id:      {}", entry.id);
                    println!("  message: {}", entry.message);
                    println!("  detail:  {}", e.detail);
                    println!("  next:    {}", entry.next_steps);
                    Ok(ExitCode::FAILURE)
                }
            }
        }
        Command::Get { config, key } => {
            let c = super::read_config(&config)?;
            let doc = c.to_value();
            let value = match &key {
                Some(k) => lookup(&doc, k)
                    .with_context(|| format!("no setting {k}"))?
                    .clone(),
                None => doc,
            };
            println!("{}", serde_json::to_string_pretty(&value)?);
            Ok(ExitCode::SUCCESS)
        }
        Command::Set { config, key, value } => {
            let text = std::fs::read_to_string(&config)
                .with_context(|| format!("cannot read {}", config.display()))?;
            let current =
                Config::from_json(&text).map_err(|e| anyhow::anyhow!("{}: {}", e.id, e.detail))?;
            let (section, setting) = key.split_once('.').context("the key is Section.Setting")?;
            let parsed =
                serde_json::from_str::<Value>(&value).unwrap_or(Value::String(value.clone()));
            let patch = serde_json::json!({ section: { setting: parsed } });
            let updated = current
                .patched(&patch)
                .map_err(|e| anyhow::anyhow!("{}: {}", e.id, e.detail))?;
            if let Err(e) = updated.validate() {
                println!(
                    "not saved: {}: {} ({})",
                    e.id,
                    e.id.entry().message,
                    e.detail
                );
                return Ok(ExitCode::FAILURE);
            }
            mamgate_server::settings::write_file(&config, &updated)?;
            println!(
                "{key} = {}",
                lookup(&updated.to_value(), &key)
                    .cloned()
                    .unwrap_or(Value::Null)
            );
            Ok(ExitCode::SUCCESS)
        }
    }
}

fn lookup<'a>(doc: &'a Value, key: &str) -> Option<&'a Value> {
    key.split('.').try_fold(doc, |v, part| v.get(part))
}
