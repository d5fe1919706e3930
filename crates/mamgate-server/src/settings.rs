//! The configuration a running server uses: loaded from a file (SQLite mode) or from the
//! database (PostgreSQL mode), with `MM_*` environment overrides applied on top.

use std::path::PathBuf;
use std::sync::{Arc, RwLock};

use mamgate_core::config::{Config, ConfigError};
use mamgate_core::ErrorId;
use mamgate_store::Store;
use serde_json::Value;

use crate::error::AppError;

/// Where the configuration document lives.
#[derive(Debug, Clone)]
pub enum ConfigSource {
    /// A `config.json` file.
    File(PathBuf),
    /// The store (shared by every node in PostgreSQL mode).
    Database,
    /// In memory only (tests, sandbox).
    Memory,
}

/// Holds the stored document and the effective one (stored + environment overrides).
pub struct Settings {
    source: ConfigSource,
    env: Vec<(String, String)>,
    inner: RwLock<Loaded>,
}

struct Loaded {
    stored: Config,
    effective: Arc<Config>,
    overridden: Vec<String>,
}

impl Settings {
    /// Builds settings from a stored document and environment variables.
    pub fn new(
        source: ConfigSource,
        stored: Config,
        env: Vec<(String, String)>,
    ) -> Result<Self, ConfigError> {
        let loaded = Loaded::from(stored, &env)?;
        Ok(Self {
            source,
            env,
            inner: RwLock::new(loaded),
        })
    }

    /// The `MM_*` variables of this process.
    pub fn process_env() -> Vec<(String, String)> {
        std::env::vars()
            .filter(|(k, _)| k.starts_with("MM_"))
            .collect()
    }

    /// The configuration in force.
    pub fn current(&self) -> Arc<Config> {
        match self.inner.read() {
            Ok(g) => g.effective.clone(),
            Err(p) => p.into_inner().effective.clone(),
        }
    }

    /// `Section.Setting` paths set by environment variables.
    pub fn overridden(&self) -> Vec<String> {
        self.inner
            .read()
            .map(|g| g.overridden.clone())
            .unwrap_or_default()
    }

    /// Validates and stores a new document; environment-overridden settings keep their
    /// stored value (the environment still wins at run time). Returns the new effective config.
    pub async fn save(&self, store: &dyn Store, mut new: Config) -> Result<Arc<Config>, AppError> {
        let (stored_before, overridden) = {
            let g = self
                .inner
                .read()
                .map_err(|_| AppError::new(ErrorId::StoreFailure, "settings lock"))?;
            (g.stored.clone(), g.overridden.clone())
        };
        new.unmask_from(&self.current());
        // What the admin sees is the effective config, so validate that.
        let mut effective_candidate = new.clone();
        effective_candidate
            .apply_env(self.env.iter().map(|(k, v)| (k.as_str(), v.as_str())))
            .map_err(config_error)?;
        effective_candidate.validate().map_err(config_error)?;
        let to_store = restore_paths(&new, &stored_before, &overridden)?;
        self.persist(store, &to_store).await?;
        let loaded = Loaded::from(to_store, &self.env).map_err(config_error)?;
        let effective = loaded.effective.clone();
        if let Ok(mut g) = self.inner.write() {
            *g = loaded;
        }
        Ok(effective)
    }

    /// Replaces the stored document with one read back from the source (another node changed it).
    pub fn reload_from(&self, stored: Config) -> Result<Arc<Config>, ConfigError> {
        let loaded = Loaded::from(stored, &self.env)?;
        let effective = loaded.effective.clone();
        if let Ok(mut g) = self.inner.write() {
            *g = loaded;
        }
        Ok(effective)
    }

    async fn persist(&self, store: &dyn Store, config: &Config) -> Result<(), AppError> {
        match &self.source {
            ConfigSource::File(path) => write_file(path, config).map_err(|e| {
                AppError::new(
                    ErrorId::StoreFailure,
                    format!("writing {}: {e}", path.display()),
                )
            }),
            ConfigSource::Database => Ok(store.set_config(config.to_value()).await?),
            ConfigSource::Memory => Ok(()),
        }
    }

    /// Where the document lives.
    pub fn source(&self) -> &ConfigSource {
        &self.source
    }
}

impl Loaded {
    fn from(stored: Config, env: &[(String, String)]) -> Result<Self, ConfigError> {
        let mut effective = stored.clone();
        let overridden = effective.apply_env(env.iter().map(|(k, v)| (k.as_str(), v.as_str())))?;
        Ok(Self {
            stored,
            effective: Arc::new(effective),
            overridden,
        })
    }
}

fn config_error(e: ConfigError) -> AppError {
    AppError::new(e.id, e.detail)
}

fn restore_paths(new: &Config, stored: &Config, paths: &[String]) -> Result<Config, AppError> {
    if paths.is_empty() {
        return Ok(new.clone());
    }
    let mut doc = new.to_value();
    let old = stored.to_value();
    for p in paths {
        if let Some((section, setting)) = p.split_once('.') {
            if let (Some(Value::Object(s)), Some(v)) = (
                doc.get_mut(section),
                old.get(section).and_then(|s| s.get(setting)),
            ) {
                s.insert(setting.to_string(), v.clone());
            }
        }
    }
    Config::from_value(doc).map_err(config_error)
}

/// Reads a config file, creating it with defaults when absent.
pub fn load_or_create_file(path: &std::path::Path) -> Result<Config, ConfigError> {
    match std::fs::read_to_string(path) {
        Ok(text) => Config::from_json(&text),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            let config = Config::default();
            write_file(path, &config).map_err(|e| ConfigError {
                id: ErrorId::ConfigInvalidJson,
                detail: format!("cannot create {}: {e}", path.display()),
            })?;
            Ok(config)
        }
        Err(e) => Err(ConfigError {
            id: ErrorId::ConfigInvalidJson,
            detail: format!("cannot read {}: {e}", path.display()),
        }),
    }
}

/// Writes atomically: a crash never leaves half a config file.
pub fn write_file(path: &std::path::Path, config: &Config) -> std::io::Result<()> {
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir)?;
    }
    let tmp = path.with_extension("json.tmp");
    std::fs::write(&tmp, config.to_json_pretty() + "\n")?;
    std::fs::rename(&tmp, path)
}
