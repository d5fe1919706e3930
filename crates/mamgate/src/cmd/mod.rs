//! One module per subcommand.

pub mod bench;
pub mod config;
pub mod demo;
pub mod emulate;
pub mod explain;
pub mod ldap;
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
    let text =
        std::fs::read_to_string(path).with_context(|| format!("cannot read {}", path.display()))?;
    let mut config =
        Config::from_json(&text).map_err(|e| anyhow::anyhow!("{}: {}", e.id, e.detail))?;
    config
        .apply_env(mamgate_server::Settings::process_env())
        .map_err(|e| anyhow::anyhow!("{}: {}", e.id, e.detail))?;
    Ok(config)
}

/// Opens the store a config names; relative SQLite paths are relative to the config file.
pub async fn open_store(config_path: &Path, config: &Config) -> anyhow::Result<Arc<dyn Store>> {
    let sql = &config.sql_settings;
    let source = if sql.driver_name == "sqlite" {
        resolve(config_path, &sql.data_source)
            .to_string_lossy()
            .into_owned()
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
    config_path
        .parent()
        .map(|d| d.join(p))
        .unwrap_or_else(|| p.to_path_buf())
}

/// Milliseconds since the epoch.
pub fn now_ms() -> i64 {
    mamgate_server::state::now_ms()
}

/// The doctor's verdict on a sandbox: its config, tenant file and installed license.
pub async fn doctor_summary(config: &Path, tenant: &Path, license: Option<String>) -> String {
    let mut inputs = mamgate_doctor::DoctorInputs {
        license,
        user: Some(mamgate_emulators::tenant::ALICE_UPN.into()),
        ..Default::default()
    };
    let loaded = inputs
        .load_config(config, mamgate_server::Settings::process_env())
        .and_then(|()| inputs.load_tenant(tenant));
    if let Err(e) = loaded {
        return format!("doctor: cannot read the sandbox: {e}");
    }
    let report = mamgate_doctor::run_checks(&inputs, now_ms() / 1000);
    let s = report.summary();
    let mut out = format!(
        "doctor (config, tenant file, license): {} pass, {} warn, {} fail, {} skipped",
        s.pass, s.warn, s.fail, s.skipped
    );
    for f in report
        .findings
        .iter()
        .filter(|f| f.status == mamgate_doctor::Status::Fail)
    {
        out.push_str(&format!(
            "\n  failed: {} ({}): {}",
            f.title, f.name, f.found
        ));
    }
    out
}
