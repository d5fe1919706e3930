//! The whole chain on one machine: the server (SQLite), the Entra and Intune emulators with
//! the example tenant, an Enterprise Advanced license issued by a sandbox key, Intune enabled.
//! State lives in one folder so a second start resumes where the first stopped.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use anyhow::Context;
use mamgate_core::config::Config;
use mamgate_core::license::{self, Customer, License};
use mamgate_core::model::roles;
use mamgate_emulators::tenant as ex;
use mamgate_emulators::{shared, start_entra, start_intune, RunningEmulator, SharedTenant, Tenant};
use mamgate_server::accounts::{build_user, NewUser};
use mamgate_server::{ConfigSource, RunningServer, ServerOptions, Settings};
use serde::{Deserialize, Serialize};

/// Where each part listens (port 0: any free port).
#[derive(Debug, Clone, Copy, Serialize, Deserialize)]
pub struct Ports {
    pub server: u16,
    pub entra: u16,
    pub intune: u16,
}

/// What a sandbox folder remembers between starts.
#[derive(Debug, Clone, Serialize, Deserialize)]
struct Saved {
    ports: Ports,
    admin_username: String,
    admin_password: String,
}

/// A running sandbox.
pub struct Sandbox {
    pub dir: PathBuf,
    pub server: RunningServer,
    pub entra: RunningEmulator,
    pub intune: RunningEmulator,
    pub tenant: SharedTenant,
    pub admin_username: String,
    pub admin_password: String,
    /// The sandbox's license signing key (to issue licenses mid-demo).
    pub license_key: ed25519_dalek::SigningKey,
}

const SANDBOX_FILE: &str = "sandbox.json";

/// Starts (or resumes) the sandbox in `dir`.
pub async fn start(dir: &Path, ports: Ports) -> anyhow::Result<Sandbox> {
    std::fs::create_dir_all(dir).with_context(|| format!("cannot create {}", dir.display()))?;
    let dir = dir.canonicalize()?;
    let saved_path = dir.join(SANDBOX_FILE);
    let mut saved: Saved = match std::fs::read_to_string(&saved_path) {
        Ok(text) => serde_json::from_str(&text).context("sandbox.json is damaged")?,
        Err(_) => Saved {
            ports,
            admin_username: "sysadmin".into(),
            admin_password: random_password(),
        },
    };

    // Emulators first: the tenant's authority host is the Entra emulator's URL.
    let tenant_path = dir.join("tenant.json");
    let tenant = match Tenant::load(&tenant_path) {
        Ok(t) => t,
        Err(_) => ex::example_tenant(&format!("http://127.0.0.1:{}", saved.ports.entra)),
    };
    let tenant = shared(tenant);
    let entra = start_entra(tenant.clone(), loopback(saved.ports.entra))
        .await
        .context("starting the Entra emulator")?;
    let intune = start_intune(tenant.clone(), loopback(saved.ports.intune))
        .await
        .context("starting the Intune emulator")?;
    saved.ports.entra = entra.addr.port();
    saved.ports.intune = intune.addr.port();
    mamgate_emulators::tenant::read(&tenant).save(&tenant_path)?;

    // The license key and an Enterprise Advanced license.
    let license_key = load_or_make_key(&dir)?;
    let public = license::encode_public_key(&license_key.verifying_key());

    // The configuration: Intune on with Office 365 against the emulator.
    let config_path = dir.join("config.json");
    let mut config = match std::fs::read_to_string(&config_path) {
        Ok(text) => {
            Config::from_json(&text).map_err(|e| anyhow::anyhow!("{}: {}", e.id, e.detail))?
        }
        Err(_) => initial_config(&dir),
    };
    config.intune_settings.authority_host = entra.url.clone();
    if !config
        .license_settings
        .trusted_public_keys
        .contains(&public)
    {
        config.license_settings.trusted_public_keys.push(public);
    }
    mamgate_server::settings::write_file(&config_path, &config)?;

    let store = mamgate_store::open_store("sqlite", &dir.join("mamgate.db").to_string_lossy())
        .await
        .map_err(|e| anyhow::anyhow!("cannot open the sandbox store: {e}"))?;
    if store.get_license().await?.is_none() {
        store
            .set_license(Some(issue_license(&license_key, "advanced")))
            .await?;
    }
    if store
        .get_user_by_login(&saved.admin_username)
        .await?
        .is_none()
    {
        let mut admin = build_user(NewUser {
            username: saved.admin_username.clone(),
            email: format!("{}@contoso.example", saved.admin_username),
            password: saved.admin_password.clone(),
            ..Default::default()
        })
        .map_err(|e| anyhow::anyhow!("{}: {}", e.id, e.reason))?;
        admin.roles = roles::ADMIN.into();
        store.create_user(admin, false).await?;
    }

    let settings = Settings::new(
        ConfigSource::File(config_path),
        config,
        Settings::process_env(),
    )
    .map_err(|e| anyhow::anyhow!("{}: {}", e.id, e.detail))?;
    let server = mamgate_server::start(ServerOptions {
        store,
        settings,
        listen: format!("127.0.0.1:{}", saved.ports.server),
    })
    .await
    .context("starting the server")?;
    saved.ports.server = server.addr.port();
    std::fs::write(&saved_path, serde_json::to_string_pretty(&saved)? + "\n")?;
    Ok(Sandbox {
        dir,
        server,
        entra,
        intune,
        tenant,
        admin_username: saved.admin_username,
        admin_password: saved.admin_password,
        license_key,
    })
}

impl Sandbox {
    /// Stops every part.
    pub async fn stop(self) {
        self.server.stop().await;
        self.entra.shutdown().await;
        self.intune.shutdown().await;
    }

    /// The human summary printed at start.
    pub fn summary(&self) -> String {
        let mut s = String::new();
        let line = |s: &mut String, t: String| {
            s.push_str(&t);
            s.push('\n');
        };
        line(&mut s, format!("mamgate sandbox in {}", self.dir.display()));
        line(&mut s, format!("  server            {}", self.server.url));
        line(
            &mut s,
            format!(
                "  System Console    {}/admin_console   (Mobile Security: Intune settings)",
                self.server.url
            ),
        );
        line(
            &mut s,
            format!(
                "  Entra emulator    {}   (tenant {})",
                self.entra.url,
                ex::EXAMPLE_TENANT_ID
            ),
        );
        line(&mut s, format!("  Intune emulator   {}", self.intune.url));
        line(
            &mut s,
            format!(
                "  admin sign-in     {} / {}",
                self.admin_username, self.admin_password
            ),
        );
        line(
            &mut s,
            format!(
                "  license           Enterprise Advanced, signed by {}/license.key",
                self.dir.display()
            ),
        );
        line(&mut s, "  test users (Entra):".into());
        for (upn, what) in [
            (ex::ALICE_UPN, "office365, Intune-licensed, targeted by both policies: the success path (JIT on first sign-in)"),
            (ex::SAML_USER_UPN, "for AuthService=saml: 428 until an admin provisions AuthData=<objectId>"),
            (ex::UNLICENSED_UPN, "no Intune license: sign-in succeeds, enrollment fails (NotLicensed), the server is removed"),
            (ex::UNTARGETED_UPN, "in no policy group: enrollment fails (not targeted)"),
        ] {
            line(&mut s, format!("    {upn:<24} {what}"));
        }
        line(&mut s, "  try a device:".into());
        line(
            &mut s,
            format!(
                "    mamgate mobile --device /tmp/phone login {} --user {} --entra {} --intune {}",
                self.server.url,
                ex::ALICE_UPN,
                self.entra.url,
                self.intune.url
            ),
        );
        line(
            &mut s,
            format!(
                "  break things on purpose: edit {}/tenant.json or {}/config.json and restart",
                self.dir.display(),
                self.dir.display()
            ),
        );
        s
    }
}

fn initial_config(dir: &Path) -> Config {
    let mut c = Config::default();
    c.team_settings.site_name = "mamgate sandbox".into();
    c.sql_settings.data_source = dir.join("mamgate.db").to_string_lossy().into_owned();
    c.intune_settings.enable = true;
    c.intune_settings.tenant_id = ex::EXAMPLE_TENANT_ID.into();
    c.intune_settings.client_id = ex::EXAMPLE_SERVER_APP_ID.into();
    c.intune_settings.auth_service = "office365".into();
    c.office365_settings.enable = true;
    c.office365_settings.id = ex::EXAMPLE_SERVER_APP_ID.into();
    c.office365_settings.directory_id = ex::EXAMPLE_TENANT_ID.into();
    c.saml_settings.enable = true;
    c.saml_settings.id_attribute = mamgate_core::identity::SAML_OBJECT_ID_CLAIM.into();
    c.log_settings.console_level = "WARN".into();
    c
}

/// Issues a one-year license of `sku` with the sandbox key.
pub fn issue_license(key: &ed25519_dalek::SigningKey, sku: &str) -> String {
    let now = mamgate_server::state::now_ms();
    License {
        id: mamgate_store::new_id(),
        issued_at: now,
        // A little in the past, so clocks a few seconds behind still see it started.
        starts_at: now - 300_000,
        expires_at: now + 365 * 24 * 3_600_000,
        customer: Customer {
            id: "sandbox".into(),
            name: "Sandbox".into(),
            company: "Contoso (sandbox)".into(),
            email: String::new(),
        },
        sku_short_name: sku.into(),
        sku_name: license::sku_name(sku).into(),
        signed_by: String::new(),
    }
    .sign(key)
}

fn load_or_make_key(dir: &Path) -> anyhow::Result<ed25519_dalek::SigningKey> {
    let path = dir.join("license.key");
    if let Ok(text) = std::fs::read_to_string(&path) {
        return license::parse_signing_key(&text).context("license.key is damaged");
    }
    let key = license::signing_key_from_seed(rand::random());
    std::fs::write(&path, license::encode_signing_key(&key) + "\n")?;
    Ok(key)
}

fn random_password() -> String {
    let n: u64 = rand::random();
    format!("Sandbox-{:010}", n % 10_000_000_000)
}

fn loopback(port: u16) -> SocketAddr {
    SocketAddr::from(([127, 0, 0, 1], port))
}
