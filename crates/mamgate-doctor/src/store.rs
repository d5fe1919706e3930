//! The store's part of the checks: open it from `SqlSettings`, find the followed user, read the license.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use mamgate_core::identity::{is_guid, normalize_object_id};
use mamgate_core::Config;
use mamgate_store::Store;

use crate::checks::{run_with_store_facts, StoreFacts};
use crate::error::DoctorError;
use crate::finding::Report;
use crate::inputs::DoctorInputs;
use crate::ldif::{parse_ldif, pick_entry};
use crate::saml::parse_saml;
use crate::token::decode_claims;

/// A path relative to the config file's folder, as the server resolves SQLite paths.
pub fn resolve(config_path: Option<&Path>, p: &str) -> PathBuf {
    let path = Path::new(p);
    if path.is_absolute() {
        return path.to_path_buf();
    }
    match config_path.and_then(Path::parent) {
        Some(dir) => dir.join(path),
        None => path.to_path_buf(),
    }
}

/// Opens the store the config names; a missing SQLite file is an error, not a new database.
pub async fn open_configured_store(
    config: &Config,
    config_path: Option<&Path>,
) -> Result<(Arc<dyn Store>, String), DoctorError> {
    let sql = &config.sql_settings;
    let driver = sql.driver_name.as_str();
    if driver == "sqlite" || driver == "sqlite3" {
        let path = resolve(config_path, &sql.data_source);
        if !path.is_file() {
            return Err(DoctorError::Usage(format!(
                "no SQLite store at {}",
                path.display()
            )));
        }
        let shown = path.display().to_string();
        let store = mamgate_store::open_store(driver, &shown).await?;
        return Ok((store, format!("sqlite {shown}")));
    }
    let store = mamgate_store::open_store(driver, &sql.data_source).await?;
    Ok((store, driver.to_string()))
}

/// The objectIds and sign-in names the inputs name for the followed user.
fn candidates(inputs: &DoctorInputs) -> (Vec<String>, Vec<String>) {
    let mut oids = Vec::new();
    let mut names: Vec<String> = inputs.user.iter().cloned().collect();
    if let Some(claims) = inputs.token.as_deref().and_then(decode_claims) {
        oids.extend(
            claims
                .get("oid")
                .and_then(|v| v.as_str())
                .map(str::to_string),
        );
        for c in ["email", "upn", "preferred_username"] {
            names.extend(claims.get(c).and_then(|v| v.as_str()).map(str::to_string));
        }
    }
    if let Some(Ok(s)) = inputs.saml.as_deref().map(parse_saml) {
        oids.extend(s.object_id().map(str::to_string));
        names.extend(s.sign_in_names().into_iter().map(str::to_string));
    }
    if let Some(Ok(entries)) = inputs.ldif.as_deref().map(parse_ldif) {
        if let Some(e) = pick_entry(&entries) {
            oids.extend(
                e.object_id_forms()
                    .into_iter()
                    .flat_map(|f| f.guids.into_iter().map(|(g, _)| g)),
            );
            names.extend(e.sign_in_names().into_iter().map(str::to_string));
        }
    }
    if let Some(u) = &inputs.user {
        if is_guid(u) {
            oids.push(u.clone());
        }
    }
    let mut oids: Vec<String> = oids
        .iter()
        .filter_map(|o| normalize_object_id(o.trim()))
        .collect();
    oids.dedup();
    names.retain(|n| !n.trim().is_empty() && !is_guid(n));
    names.dedup();
    (oids, names)
}

/// Looks up the followed user and the license in `store`.
pub async fn gather(
    inputs: &DoctorInputs,
    store: &dyn Store,
    shown: &str,
) -> Result<StoreFacts, DoctorError> {
    let mut facts = StoreFacts {
        opened: Some(shown.to_string()),
        ..StoreFacts::default()
    };
    facts.license = store.get_license().await?;
    let (oids, names) = candidates(inputs);
    let provider = inputs
        .config
        .as_ref()
        .and_then(|c| c.intune_settings.auth_service());
    let services: Vec<&str> = match provider {
        Some(p) => vec![p.as_str()],
        None => vec!["office365", "saml"],
    };
    for oid in &oids {
        for service in &services {
            facts
                .looked_for
                .push(format!("AuthService={service} AuthData={oid}"));
            if let Some(u) = store.get_user_by_auth(service, oid).await? {
                facts.user = Some((u, format!("by AuthService={service}, AuthData={oid}")));
                return Ok(facts);
            }
        }
    }
    for name in &names {
        facts.looked_for.push(format!("login {name}"));
        if let Some(u) = store.get_user_by_login(name).await? {
            facts.user = Some((u, format!("by email or username {name}")));
            return Ok(facts);
        }
    }
    Ok(facts)
}

/// [`crate::run_checks`] plus the store's part; opens the store from the config when `store` is `None`.
pub async fn run_checks_with_store(
    inputs: &DoctorInputs,
    store: Option<(&dyn Store, &str)>,
    now_secs: i64,
) -> Result<Report, DoctorError> {
    let facts = match store {
        Some((s, shown)) => gather(inputs, s, shown).await?,
        None => {
            let config = inputs.config.as_ref().ok_or_else(|| {
                DoctorError::Usage("--store needs --config (its SqlSettings name the store)".into())
            })?;
            let (s, shown) = open_configured_store(config, inputs.config_path.as_deref()).await?;
            gather(inputs, s.as_ref(), &shown).await?
        }
    };
    Ok(run_with_store_facts(inputs, &facts, now_secs))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn relative_paths_follow_the_config() {
        assert_eq!(
            resolve(Some(Path::new("/etc/mm/config.json")), "./data/x.db"),
            Path::new("/etc/mm/./data/x.db")
        );
        assert_eq!(
            resolve(Some(Path::new("/etc/mm/config.json")), "/abs.db"),
            Path::new("/abs.db")
        );
        assert_eq!(resolve(None, "x.db"), Path::new("x.db"));
    }
}
