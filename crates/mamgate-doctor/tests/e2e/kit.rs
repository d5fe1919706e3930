//! A consistent world (the example tenant, a matching config, a license, real RSA keys, a real
//! SQLite store) that each test breaks in exactly one place.

use std::path::PathBuf;
use std::sync::Arc;

use mamgate_core::config::Config;
use mamgate_core::license::{encode_public_key, signing_key_from_seed, Customer, License};
use mamgate_core::model::User;
use mamgate_doctor::{DoctorInputs, Report, Status};
use mamgate_emulators::tenant::*;
use mamgate_store::Store;
use mamgate_token::signing::{sample_claims, SigningKey};
use mamgate_token::Jwks;
use serde_json::Value;

/// The emulator's address in the example world.
pub const AUTHORITY: &str = "http://127.0.0.1:8443";
/// "Now" for every test.
pub const NOW: i64 = 1_750_000_000;

/// The fixtures folder.
pub fn fixture(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(name)
}

/// Reads a fixture.
pub fn fixture_text(name: &str) -> String {
    std::fs::read_to_string(fixture(name)).unwrap()
}

/// The v2 issuer template of a host.
pub fn template(authority: &str) -> String {
    format!("{authority}/{{tenantid}}/v2.0")
}

/// The pieces of a world, kept apart so tests can change one.
pub struct World {
    pub key: SigningKey,
    pub authority: String,
    pub tenant: Tenant,
    pub config: Config,
    pub claims: Value,
    pub license: String,
    pub saml: Option<String>,
    pub ldif: Option<String>,
    pub with_token: bool,
}

/// Signs a license of `sku` with the world's license key and returns (file, trusted public key).
pub fn license(sku: &str) -> (String, String) {
    let key = signing_key_from_seed([7; 32]);
    let l = License {
        id: "lic-doctor".into(),
        issued_at: 0,
        starts_at: 0,
        expires_at: (NOW + 86_400) * 1000,
        customer: Customer {
            id: "c1".into(),
            name: "Contoso".into(),
            ..Customer::default()
        },
        sku_short_name: sku.into(),
        sku_name: sku.into(),
        signed_by: String::new(),
    };
    (l.sign(&key), encode_public_key(&key.verifying_key()))
}

impl World {
    /// The example tenant and a config, token, SAML assertion and LDAP entry that all agree.
    pub fn consistent() -> World {
        let key = SigningKey::generate("doctor-kid-1").unwrap();
        let tenant = example_tenant(AUTHORITY);
        let (license, trusted) = license("advanced");
        let mut config = Config::default();
        config.intune_settings.enable = true;
        config.intune_settings.tenant_id = EXAMPLE_TENANT_ID.into();
        config.intune_settings.client_id = EXAMPLE_SERVER_APP_ID.into();
        config.intune_settings.auth_service = "office365".into();
        config.intune_settings.authority_host = AUTHORITY.into();
        config.office365_settings.enable = true;
        config.license_settings.trusted_public_keys = vec![trusted];
        let mut claims = sample_claims(EXAMPLE_TENANT_ID, EXAMPLE_SERVER_APP_ID, NOW);
        claims["iss"] = format!("{AUTHORITY}/{EXAMPLE_TENANT_ID}/v2.0").into();
        claims["oid"] = ALICE_OID.into();
        claims["preferred_username"] = ALICE_UPN.into();
        claims["azp"] = OFFICIAL_CLIENT_ID.into();
        World {
            key,
            authority: AUTHORITY.into(),
            tenant,
            config,
            claims,
            license,
            saml: Some(fixture_text("alice-saml.xml")),
            ldif: Some(fixture_text("alice.ldif")),
            with_token: true,
        }
    }

    /// Moves the world to another Entra cloud host (config, token issuer and key issuer).
    pub fn at_authority(&mut self, authority: &str) {
        self.authority = authority.into();
        self.config.intune_settings.authority_host = authority.into();
        self.claims["iss"] = format!("{authority}/{EXAMPLE_TENANT_ID}/v2.0").into();
    }

    /// The server app's raw registration in the tenant file.
    pub fn app_mut(&mut self) -> &mut Value {
        &mut self.tenant.applications[0]
    }

    /// The signed token.
    pub fn token(&self) -> String {
        self.key.sign(&self.claims).unwrap()
    }

    /// The tenant's JWKS as Entra publishes it.
    pub fn jwks(&self) -> Jwks {
        Jwks {
            keys: vec![self.key.jwk(Some(&template(&self.authority)))],
        }
    }

    /// The doctor's inputs for this world.
    pub fn inputs(&self) -> DoctorInputs {
        DoctorInputs {
            config: Some(self.config.clone()),
            tenant: Some(self.tenant.clone()),
            token: self.with_token.then(|| self.token()),
            jwks: Some(self.jwks()),
            saml: self.saml.clone(),
            ldif: self.ldif.clone(),
            license: Some(self.license.clone()),
            ..DoctorInputs::default()
        }
    }

    /// Runs every check without a store.
    pub fn report(&self) -> Report {
        mamgate_doctor::run_checks(&self.inputs(), NOW)
    }
}

/// A fresh SQLite store in a temp folder (kept alive by the returned guard).
pub async fn sqlite_store() -> (Arc<dyn Store>, tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("data").join("mamgate.db");
    let store = mamgate_store::open_store("sqlite", path.to_str().unwrap())
        .await
        .unwrap();
    (store, dir, path)
}

/// Alice as the office365 JIT would have stored her.
pub fn alice_user() -> User {
    User {
        username: "alice".into(),
        email: ALICE_UPN.into(),
        auth_service: "office365".into(),
        auth_data: ALICE_OID.into(),
        roles: "system_user".into(),
        ..User::default()
    }
}

/// Names of the findings with this status.
pub fn with_status(r: &Report, s: Status) -> Vec<&'static str> {
    r.findings
        .iter()
        .filter(|f| f.status == s)
        .map(|f| f.name)
        .collect()
}
