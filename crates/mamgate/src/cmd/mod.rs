//! One module per subcommand.

pub mod config;
pub mod demo;
pub mod emulate;
pub mod explain;
pub mod license;
pub mod sandbox;
pub mod serve;
pub mod user;

use std::path::{Path, PathBuf};
use std::sync::Arc;

use anyhow::Context;
use mamgate_core::config::Config;
use mamgate_store::Store;

/// The default config file.
pub const DEFAULT_CONFIG: &str = "config.json";

/// Reads a config file (with environment overrides) without creating it.
pub fn read_config(path: &Path) -> anyhow::Result<Config> {
    let text = std::fs::read_to_string(path).with_context(|| format!("cannot read {}", path.display()))?;
    let mut config = Config::from_json(&text).map_err(|e| anyhow::anyhow!("{}: {}", e.id, e.detail))?;
    config
        .apply_env(mamgate_server::Settings::process_env())
        .map_err(|e| anyhow::anyhow!("{}: {}", e.id, e.detail))?;
    Ok(config)
}

/// Opens the store a config names; relative SQLite paths are relative to the config file.
pub async fn open_store(config_path: &Path, config: &Config) -> anyhow::Result<Arc<dyn Store>> {
    let sql = &config.sql_settings;
    let source = if sql.driver_name == "sqlite" {
        resolve(config_path, &sql.data_source).to_string_lossy().into_owned()
    } else {
        sql.data_source.clone()
    };
    mamgate_store::open_store(&sql.driver_name, &source)
        .await
        .map_err(|e| anyhow::anyhow!("cannot open the {} store: {e}", sql.driver_name))
}

/// A path relative to the config file's folder.
pub fn resolve(config_path: &Path, p: &str) -> PathBuf {
    let p = Path::new(p);
    if p.is_absolute() {
        return p.to_path_buf();
    }
    config_path.parent().map(|d| d.join(p)).unwrap_or_else(|| p.to_path_buf())
}

/// Milliseconds since the epoch.
pub fn now_ms() -> i64 {
    mamgate_server::state::now_ms()
}

/// A short doctor verdict on a configuration and tenant file.
pub async fn doctor_summary(config: &Path, tenant: &Path) -> String {
    let _ = tenant;
    match read_config(config) {
        Ok(c) => match c.validate() {
            Ok(()) => "doctor: configuration valid".to_string(),
            Err(e) => format!("doctor: configuration invalid: {}", e.id),
        },
        Err(e) => format!("doctor: {e:#}"),
    }
}
