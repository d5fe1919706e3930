//! The tenant file: the state of one Entra tenant and its Intune service, in Microsoft's formats.

mod app;
mod example;
mod policy;

use std::path::Path;
use std::sync::{Arc, RwLock, RwLockReadGuard, RwLockWriteGuard};

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

pub use app::{
    normalize, set_token_version, AppRegistration, ManifestFormat, PermissionScope,
    PreAuthorizedApp, RequiredResource, ResourceAccess, GRAPH_APP_ID, GRAPH_RESOURCE_URI,
    MAM_PERMISSION_ID, MAM_RESOURCE_APP_ID, MAM_RESOURCE_URI, MAM_SCOPE,
};
pub use example::*;
pub use policy::{PolicyList, ProtectionPolicy};

use crate::EmulatorError;

/// Why an app registration could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ManifestError {
    #[error("an app registration must be a JSON object")]
    NotAnObject,
    #[error("an app registration needs a string appId")]
    MissingAppId,
}

/// The tenant shared by the emulators of one process.
pub type SharedTenant = Arc<RwLock<Tenant>>;

/// Wraps a tenant for sharing between the Entra and Intune emulators.
pub fn shared(tenant: Tenant) -> SharedTenant {
    Arc::new(RwLock::new(tenant))
}

/// Reads the shared tenant; a writer that panicked left a whole value, so poisoning is ignored.
pub fn read(tenant: &SharedTenant) -> RwLockReadGuard<'_, Tenant> {
    tenant.read().unwrap_or_else(|e| e.into_inner())
}

/// Writes the shared tenant (poisoning ignored, as in [`read`]).
pub fn write(tenant: &SharedTenant) -> RwLockWriteGuard<'_, Tenant> {
    tenant.write().unwrap_or_else(|e| e.into_inner())
}

/// One directory user.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct User {
    /// objectId (Graph `id`, token `oid`).
    pub oid: String,
    pub upn: String,
    #[serde(default)]
    pub email: Option<String>,
    #[serde(default)]
    pub given_name: Option<String>,
    #[serde(default)]
    pub family_name: Option<String>,
    /// Whether the user holds an Intune license (an unlicensed user cannot enroll).
    #[serde(default = "yes")]
    pub intune_licensed: bool,
    /// Group object ids the user is a member of.
    #[serde(default)]
    pub groups: Vec<String>,
    /// Fields the emulators do not read, kept as written (e.g. a demo note).
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

fn yes() -> bool {
    true
}

impl User {
    /// `given family`, else the UPN (what Entra puts in `name`).
    pub fn display_name(&self) -> String {
        let parts: Vec<&str> = [&self.given_name, &self.family_name]
            .into_iter()
            .filter_map(|p| p.as_deref())
            .filter(|p| !p.is_empty())
            .collect();
        if parts.is_empty() {
            self.upn.clone()
        } else {
            parts.join(" ")
        }
    }
}

/// A tenant-wide admin consent: the listed app's `requiredResourceAccess` was granted for all users.
///
/// Written either as the app id alone or as an object (`app_id`, `appId` or `clientId`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum ConsentGrant {
    AppId(String),
    Grant {
        #[serde(alias = "appId", alias = "clientId")]
        app_id: String,
        #[serde(flatten)]
        extra: Map<String, Value>,
    },
}

impl ConsentGrant {
    /// The consented app id.
    pub fn app_id(&self) -> &str {
        match self {
            ConsentGrant::AppId(id) => id,
            ConsentGrant::Grant { app_id, .. } => app_id,
        }
    }
}

/// The SAML IdP of the tenant (`GET /{tenant}/saml2`, see [`crate::saml`]).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct SamlIdp {
    /// The IdP's Issuer; `https://sts.windows.net/{tenant_id}/` when absent (as Entra).
    #[serde(default)]
    pub entity_id: Option<String>,
    /// PEM (PKCS#8 or PKCS#1) of the RSA signing key; generated at first use when absent.
    #[serde(default)]
    pub signing_key_pem: Option<String>,
    /// PEM of the X.509 certificate of `signing_key_pem`; self-signed at first use when absent.
    #[serde(default)]
    pub certificate_pem: Option<String>,
    /// Attribute names the IdP emits; empty means all it knows (objectidentifier, tenantid,
    /// upn, emailaddress, name, givenname, surname).
    #[serde(default)]
    pub attributes: Vec<String>,
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// The whole tenant file.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Tenant {
    pub tenant_id: String,
    /// The Entra emulator's own URL, e.g. `http://127.0.0.1:8443` (issuers are built from it).
    pub authority_host: String,
    #[serde(default)]
    pub users: Vec<User>,
    /// App registrations as written (either manifest format); see [`Tenant::applications`].
    #[serde(default)]
    pub applications: Vec<Value>,
    #[serde(default)]
    pub admin_consent: Vec<ConsentGrant>,
    #[serde(default)]
    pub app_protection_policies: PolicyList,
    #[serde(default)]
    pub saml: SamlIdp,
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

impl Tenant {
    /// Parses a tenant file's text and checks its app registrations.
    pub fn from_json(text: &str) -> Result<Tenant, EmulatorError> {
        let tenant: Tenant = serde_json::from_str(text)?;
        tenant.check()?;
        Ok(tenant)
    }

    /// Reads a tenant file.
    pub fn load(path: &Path) -> Result<Tenant, EmulatorError> {
        let text = std::fs::read_to_string(path).map_err(|e| EmulatorError::io(path, e))?;
        Tenant::from_json(&text)
    }

    /// Writes the tenant file (pretty JSON).
    pub fn save(&self, path: &Path) -> Result<(), EmulatorError> {
        let mut text = serde_json::to_string_pretty(self)?;
        text.push('\n');
        std::fs::write(path, text).map_err(|e| EmulatorError::io(path, e))
    }

    /// Fails on app registrations that cannot be read at all.
    pub fn check(&self) -> Result<(), EmulatorError> {
        for (i, raw) in self.applications.iter().enumerate() {
            normalize(raw).map_err(|e| EmulatorError::Tenant(format!("applications[{i}]: {e}")))?;
        }
        Ok(())
    }

    /// Every readable app registration, normalized.
    pub fn applications(&self) -> Vec<AppRegistration> {
        self.applications
            .iter()
            .filter_map(|raw| normalize(raw).ok())
            .collect()
    }

    /// The registration with this app id.
    pub fn application(&self, app_id: &str) -> Option<AppRegistration> {
        self.applications()
            .into_iter()
            .find(|a| a.app_id.eq_ignore_ascii_case(app_id))
    }

    /// The user with this UPN, email or oid (case-insensitive).
    pub fn user(&self, name: &str) -> Option<&User> {
        self.users.iter().find(|u| {
            u.upn.eq_ignore_ascii_case(name)
                || u.oid.eq_ignore_ascii_case(name)
                || u.email
                    .as_deref()
                    .is_some_and(|e| e.eq_ignore_ascii_case(name))
        })
    }

    /// Whether tenant-wide admin consent was granted for the app.
    pub fn has_admin_consent(&self, app_id: &str) -> bool {
        self.admin_consent
            .iter()
            .any(|c| c.app_id().eq_ignore_ascii_case(app_id))
    }

    /// Grants or revokes tenant-wide admin consent for an app.
    pub fn set_admin_consent(&mut self, app_id: &str, granted: bool) {
        self.admin_consent
            .retain(|c| !c.app_id().eq_ignore_ascii_case(app_id));
        if granted {
            self.admin_consent
                .push(ConsentGrant::AppId(app_id.to_string()));
        }
    }

    /// Sets an app's access token version in its own manifest format; false if no such app.
    pub fn set_token_version(&mut self, app_id: &str, version: Option<u8>) -> bool {
        for raw in &mut self.applications {
            let matches = normalize(raw).is_ok_and(|a| a.app_id.eq_ignore_ascii_case(app_id));
            if matches {
                return set_token_version(raw, version).is_ok();
            }
        }
        false
    }

    /// The issuer base: `authority_host` without a trailing `/`.
    pub fn authority(&self) -> &str {
        self.authority_host.trim_end_matches('/')
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn round_trip_keeps_unknown_fields() {
        let text = json!({
            "tenant_id": "t", "authority_host": "http://x/",
            "users": [{"oid": "o", "upn": "u@x", "note": "kept"}],
            "admin_consent": ["a", {"appId": "b", "when": 1}],
            "app_protection_policies": {"value": []},
            "future": 1
        })
        .to_string();
        let t = Tenant::from_json(&text).unwrap();
        assert!(t.users[0].intune_licensed);
        assert!(t.has_admin_consent("A") && t.has_admin_consent("b"));
        let back = serde_json::to_value(&t).unwrap();
        assert_eq!(back["future"], json!(1));
        assert_eq!(back["users"][0]["note"], json!("kept"));
        assert_eq!(t.authority(), "http://x");
    }

    #[test]
    fn bad_application_is_reported() {
        let text = json!({"tenant_id": "t", "authority_host": "h", "applications": [{"x": 1}]});
        assert!(Tenant::from_json(&text.to_string()).is_err());
        assert!(Tenant::from_json("{").is_err());
    }
}
