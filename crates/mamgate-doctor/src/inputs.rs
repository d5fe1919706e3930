//! What the doctor looks at: every input optional, each already read and parsed.

use std::path::{Path, PathBuf};

use mamgate_core::Config;
use mamgate_emulators::tenant::{normalize, AppRegistration, PolicyList, Tenant, LOGIN_SCOPE};
use mamgate_token::Jwks;
use serde_json::Value;

use crate::error::DoctorError;
use crate::remote::ServerFacts;

/// The inputs of one doctor run. Missing inputs make the checks that need them `skipped`.
#[derive(Debug, Clone, Default)]
pub struct DoctorInputs {
    /// The server configuration (environment overrides already applied).
    pub config: Option<Config>,
    /// Where the configuration came from (relative SQLite paths are resolved against it).
    pub config_path: Option<PathBuf>,
    /// App registration exports, either manifest format (one object per registration).
    pub manifests: Vec<Value>,
    /// Intune app protection policy exports (Graph JSON, one object per policy).
    pub policies: Vec<Value>,
    /// A sample access token (compact JWT).
    pub token: Option<String>,
    /// The tenant's signing keys; without them the token signature is not checked.
    pub jwks: Option<Jwks>,
    /// A SAML assertion or response (XML or its base64).
    pub saml: Option<String>,
    /// An LDAP entry in LDIF.
    pub ldif: Option<String>,
    /// The emulators' tenant file (users, registrations, consent, policies).
    pub tenant: Option<Tenant>,
    /// A license file (base64), when not read from the store.
    pub license: Option<String>,
    /// The user to follow across sources (UPN, email or objectId).
    pub user: Option<String>,
    /// The running server the config was read from (`--server`), with its client license.
    pub server: Option<ServerFacts>,
}

/// Reads a file to a string.
pub fn read_text(path: &Path) -> Result<String, DoctorError> {
    std::fs::read_to_string(path).map_err(|source| DoctorError::Read {
        path: path.display().to_string(),
        source,
    })
}

fn read_json(path: &Path) -> Result<Value, DoctorError> {
    let text = read_text(path)?;
    serde_json::from_str(&text)
        .map_err(|e| DoctorError::input(path.display().to_string(), format!("not JSON: {e}")))
}

impl DoctorInputs {
    /// Reads a config file and applies `MM_*` overrides from `env`, as the server does.
    pub fn load_config<I, K, V>(&mut self, path: &Path, env: I) -> Result<(), DoctorError>
    where
        I: IntoIterator<Item = (K, V)>,
        K: AsRef<str>,
        V: AsRef<str>,
    {
        let shown = path.display().to_string();
        let text = read_text(path)?;
        let mut config = Config::from_json(&text).map_err(|e| DoctorError::input(&shown, e))?;
        config
            .apply_env(env)
            .map_err(|e| DoctorError::input(&shown, e))?;
        self.config = Some(config);
        self.config_path = Some(path.to_path_buf());
        Ok(())
    }

    /// Adds the registrations of a manifest export: one object, a list, or `{"value": [...]}`.
    pub fn load_manifest(&mut self, path: &Path) -> Result<(), DoctorError> {
        let shown = path.display().to_string();
        let items = match read_json(path)? {
            Value::Array(list) => list,
            Value::Object(mut o) => match o.remove("value") {
                Some(Value::Array(list)) => list,
                Some(other) => {
                    o.insert("value".into(), other);
                    vec![Value::Object(o)]
                }
                None => vec![Value::Object(o)],
            },
            _ => {
                return Err(DoctorError::input(
                    shown,
                    "an app registration export must be a JSON object or list",
                ))
            }
        };
        for (i, item) in items.iter().enumerate() {
            normalize(item)
                .map_err(|e| DoctorError::input(&shown, format!("registration {i}: {e}")))?;
        }
        self.manifests.extend(items);
        Ok(())
    }

    /// Adds the policies of an export: one policy, a list, or `{"value": [...]}`.
    pub fn load_policy(&mut self, path: &Path) -> Result<(), DoctorError> {
        let list: PolicyList = serde_json::from_value(read_json(path)?)
            .map_err(|e| DoctorError::input(path.display().to_string(), e))?;
        self.policies.extend(list.0);
        Ok(())
    }

    /// Reads a JWKS document (`{"keys": [...]}`).
    pub fn load_jwks(&mut self, path: &Path) -> Result<(), DoctorError> {
        let jwks: Jwks = serde_json::from_value(read_json(path)?).map_err(|e| {
            DoctorError::input(path.display().to_string(), format!("not a JWKS: {e}"))
        })?;
        self.jwks = Some(jwks);
        Ok(())
    }

    /// Reads a tenant file.
    pub fn load_tenant(&mut self, path: &Path) -> Result<(), DoctorError> {
        let text = read_text(path)?;
        let tenant = Tenant::from_json(&text)
            .map_err(|e| DoctorError::input(path.display().to_string(), e))?;
        self.tenant = Some(tenant);
        Ok(())
    }

    /// Every app registration given, normalized: the manifests, else the tenant file's.
    pub fn registrations(&self) -> (Vec<AppRegistration>, &'static str) {
        if !self.manifests.is_empty() {
            return (
                self.manifests
                    .iter()
                    .filter_map(|m| normalize(m).ok())
                    .collect(),
                "--manifest",
            );
        }
        match &self.tenant {
            Some(t) => (t.applications(), "tenant file"),
            None => (Vec::new(), ""),
        }
    }

    /// The server's registration: the one whose appId is the configured ClientId, else the
    /// one exposing `login.mattermost`, else the first.
    pub fn server_app(&self) -> Option<(AppRegistration, &'static str)> {
        let (apps, source) = self.registrations();
        let client = self
            .config
            .as_ref()
            .map(|c| c.intune_settings.client_id.trim().to_string());
        let by_client =
            client.and_then(|c| apps.iter().position(|a| a.app_id.eq_ignore_ascii_case(&c)));
        let index = by_client
            .or_else(|| apps.iter().position(|a| a.scope(LOGIN_SCOPE).is_some()))
            .or(if apps.is_empty() { None } else { Some(0) })?;
        apps.into_iter().nth(index).map(|a| (a, source))
    }

    /// The policies given, else the tenant file's.
    pub fn policy_list(&self) -> Option<(PolicyList, &'static str)> {
        if !self.policies.is_empty() {
            return Some((PolicyList(self.policies.clone()), "--policy"));
        }
        self.tenant
            .as_ref()
            .map(|t| (t.app_protection_policies.clone(), "tenant file"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn manifest_shapes_and_selection() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("m.json");
        std::fs::write(&p, json!({"value": [{"appId": "a", "oauth2Permissions": []},
            {"appId": "b", "api": {"oauth2PermissionScopes": [{"id": "s", "value": "login.mattermost"}]}}]}).to_string())
        .unwrap();
        let mut i = DoctorInputs::default();
        i.load_manifest(&p).unwrap();
        assert_eq!(i.server_app().unwrap().0.app_id, "b");
        let mut c = Config::default();
        c.intune_settings.client_id = "A".into();
        i.config = Some(c);
        assert_eq!(i.server_app().unwrap().0.app_id, "a");
        std::fs::write(&p, "[1]").unwrap();
        assert!(i.load_manifest(&p).is_err());
        std::fs::write(&p, "{").unwrap();
        assert!(i.load_manifest(&p).is_err());
        assert!(i.load_manifest(&dir.path().join("none")).is_err());
    }

    #[test]
    fn config_env_overrides_apply() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("config.json");
        std::fs::write(&p, "{}").unwrap();
        let mut i = DoctorInputs::default();
        i.load_config(&p, [("MM_INTUNESETTINGS_ENABLE", "true")])
            .unwrap();
        assert!(i.config.unwrap().intune_settings.enable);
        std::fs::write(&p, "[]").unwrap();
        assert!(DoctorInputs::default()
            .load_config(&p, Vec::<(String, String)>::new())
            .is_err());
    }
}
