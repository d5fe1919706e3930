//! Starts the emulators (example tenant) and servers on 127.0.0.1:0, and runs simulator
//! commands on a temporary device folder.

use std::path::Path;
use std::sync::OnceLock;

use mamgate_core::config::Config;
use mamgate_core::license::{self, Customer, License};
use mamgate_emulators::tenant::{EXAMPLE_SERVER_APP_ID, EXAMPLE_TENANT_ID};
use mamgate_emulators::{example_tenant, shared, RunningEmulator, SharedTenant};
use mamgate_mobile::cli::{execute, parse_command, EmulatorArgs, StepResult};
use mamgate_server::{ConfigSource, RunningServer, ServerOptions, Settings};
use serde_json::{json, Value};

pub use mamgate_emulators::tenant::{ALICE_UPN, UNLICENSED_UPN, UNTARGETED_UPN};

fn license_key() -> &'static ed25519_dalek::SigningKey {
    static KEY: OnceLock<ed25519_dalek::SigningKey> = OnceLock::new();
    KEY.get_or_init(|| license::signing_key_from_seed([9; 32]))
}

fn license_file(sku: &str) -> String {
    License {
        id: "lic".into(),
        issued_at: 0,
        starts_at: 0,
        expires_at: i64::MAX / 2,
        customer: Customer {
            id: "c".into(),
            name: "Contoso".into(),
            ..Default::default()
        },
        sku_short_name: sku.into(),
        sku_name: license::sku_name(sku).into(),
        signed_by: String::new(),
    }
    .sign(license_key())
}

/// The Entra and Intune emulators over one example tenant.
pub struct Emulators {
    pub entra: RunningEmulator,
    pub intune: RunningEmulator,
    pub tenant: SharedTenant,
}

impl Emulators {
    pub async fn start() -> Emulators {
        let tenant = shared(example_tenant("http://127.0.0.1:1"));
        let any = "127.0.0.1:0".parse().unwrap();
        let entra = mamgate_emulators::start_entra(tenant.clone(), any)
            .await
            .unwrap();
        let intune = mamgate_emulators::start_intune(tenant.clone(), any)
            .await
            .unwrap();
        Emulators {
            entra,
            intune,
            tenant,
        }
    }

    pub fn args(&self) -> EmulatorArgs {
        EmulatorArgs {
            entra: Some(self.entra.url.clone()),
            intune: Some(self.intune.url.clone()),
        }
    }

    /// Grants or revokes tenant-wide admin consent for the server app.
    pub fn set_consent(&self, granted: bool) {
        mamgate_emulators::tenant::write(&self.tenant)
            .set_admin_consent(EXAMPLE_SERVER_APP_ID, granted);
    }
}

/// A config with Intune enabled for office365 against the Entra emulator.
pub fn intune_config(entra_url: &str) -> Config {
    let mut c = Config::default();
    c.team_settings.site_name = "Contoso Chat".into();
    c.intune_settings.enable = true;
    c.intune_settings.tenant_id = EXAMPLE_TENANT_ID.into();
    c.intune_settings.client_id = EXAMPLE_SERVER_APP_ID.into();
    c.intune_settings.auth_service = "office365".into();
    c.intune_settings.authority_host = entra_url.into();
    c.office365_settings.enable = true;
    c.license_settings.trusted_public_keys =
        vec![license::encode_public_key(&license_key().verifying_key())];
    c
}

/// A server with its own SQLite file and an Enterprise Advanced license.
pub struct Server {
    pub running: RunningServer,
    pub http: reqwest::Client,
    _dir: tempfile::TempDir,
}

impl Server {
    pub async fn start(config: Config) -> Server {
        let dir = tempfile::tempdir().unwrap();
        let store = mamgate_store::open_store("sqlite", dir.path().join("m.db").to_str().unwrap())
            .await
            .unwrap();
        store
            .set_license(Some(license_file("advanced")))
            .await
            .unwrap();
        let settings = Settings::new(ConfigSource::Memory, config, Vec::new()).unwrap();
        let running = mamgate_server::start(ServerOptions {
            store,
            settings,
            listen: "127.0.0.1:0".into(),
        })
        .await
        .unwrap();
        Server {
            running,
            http: reqwest::Client::new(),
            _dir: dir,
        }
    }

    pub fn url(&self) -> String {
        self.running.url.clone()
    }

    /// Creates the first user (a system admin) and returns its session token.
    pub async fn admin_token(&self) -> String {
        let r = self
            .http
            .post(format!("{}/api/v4/users", self.url()))
            .json(&json!({"username": "admin", "email": "admin@contoso.example", "password": "Adm1n-password"}))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 201, "{}", r.text().await.unwrap());
        let r = self
            .http
            .post(format!("{}/api/v4/users/login", self.url()))
            .json(&json!({"login_id": "admin", "password": "Adm1n-password"}))
            .send()
            .await
            .unwrap();
        r.headers()["token"].to_str().unwrap().to_string()
    }

    /// `PUT /api/v4/config/patch` as the admin.
    pub async fn patch_config(&self, admin: &str, patch: Value) {
        let r = self
            .http
            .put(format!("{}/api/v4/config/patch", self.url()))
            .bearer_auth(admin)
            .header("X-Requested-With", "XMLHttpRequest")
            .json(&patch)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 200, "{}", r.text().await.unwrap());
    }
}

/// Runs one simulator command line on a device folder.
pub async fn mobile(device: &Path, emulators: &EmulatorArgs, line: &str) -> StepResult {
    let command = parse_command(line.split_whitespace()).unwrap();
    execute(device, &command, emulators).await.unwrap()
}

/// Asserts the outcome code, showing the message when it differs.
#[track_caller]
pub fn expect(r: &StepResult, code: &str) {
    assert_eq!(r.code, code, "{}: {}", r.code, r.message);
}
