//! What the demo's scenarios drive: the sandbox, a second server, devices, admin calls.

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};

use anyhow::Context;
use clap::Parser;
use mamgate_mobile::cli::{execute, EmulatorArgs, MobileCommand, StepResult};
use mamgate_server::{ConfigSource, RunningServer, ServerOptions, Settings};
use serde_json::{json, Value};

use crate::sandbox::{self, Ports, Sandbox};

/// A simulator command line, parsed as `mamgate mobile` would.
#[derive(Parser)]
struct Line {
    #[command(subcommand)]
    command: MobileCommand,
}

/// The running demo.
pub struct DemoKit {
    pub sandbox: Sandbox,
    /// A second server sharing the tenant (for the two-server device).
    pub second: RunningServer,
    pub http: reqwest::Client,
    pub admin_token: String,
    pub emulators: EmulatorArgs,
    devices: AtomicUsize,
    _tmp: tempfile::TempDir,
}

impl DemoKit {
    /// A fresh sandbox in a temporary folder, plus a second server.
    pub async fn start() -> anyhow::Result<DemoKit> {
        let tmp = tempfile::tempdir()?;
        let sb = sandbox::start(
            &tmp.path().join("sandbox"),
            Ports {
                server: 0,
                entra: 0,
                intune: 0,
            },
        )
        .await?;
        let http = reqwest::Client::new();
        let admin_token = login(
            &http,
            &sb.server.url,
            &sb.admin_username,
            &sb.admin_password,
        )
        .await?;

        let store =
            mamgate_store::open_store("sqlite", &tmp.path().join("second.db").to_string_lossy())
                .await
                .map_err(|e| anyhow::anyhow!("second store: {e}"))?;
        store
            .set_license(Some(sandbox::issue_license(&sb.license_key, "advanced")))
            .await?;
        let config = (*sb.server.state.config()).clone();
        let settings = Settings::new(ConfigSource::Memory, config, vec![])
            .map_err(|e| anyhow::anyhow!("{e}"))?;
        let second = mamgate_server::start(ServerOptions {
            store,
            settings,
            listen: "127.0.0.1:0".into(),
        })
        .await?;
        let emulators = EmulatorArgs {
            entra: Some(sb.entra.url.clone()),
            intune: Some(sb.intune.url.clone()),
        };
        Ok(DemoKit {
            sandbox: sb,
            second,
            http,
            admin_token,
            emulators,
            devices: AtomicUsize::new(0),
            _tmp: tmp,
        })
    }

    /// The first server's URL.
    pub fn server(&self) -> &str {
        &self.sandbox.server.url
    }

    /// A new, empty device folder.
    pub fn new_device(&self) -> PathBuf {
        let n = self.devices.fetch_add(1, Ordering::Relaxed);
        self.sandbox.dir.join("devices").join(format!("phone-{n}"))
    }

    /// Runs one simulator command on a device (`login URL --user UPN ...`).
    pub async fn device(&self, dir: &Path, line: &str) -> anyhow::Result<StepResult> {
        let words = std::iter::once("mobile").chain(line.split_whitespace());
        let parsed =
            Line::try_parse_from(words).with_context(|| format!("bad simulator line {line:?}"))?;
        Ok(execute(dir, &parsed.command, &self.emulators).await?)
    }

    /// An admin API call on a server; returns (status, body).
    pub async fn admin(
        &self,
        method: &str,
        url: &str,
        body: Option<Value>,
    ) -> anyhow::Result<(u16, Value)> {
        let method = reqwest::Method::from_bytes(method.as_bytes())?;
        let mut req = self
            .http
            .request(method, url)
            .bearer_auth(&self.admin_token);
        if let Some(b) = body {
            req = req.json(&b);
        }
        let resp = req.send().await?;
        let status = resp.status().as_u16();
        let body = resp.json().await.unwrap_or(Value::Null);
        Ok((status, body))
    }

    /// Patches the first server's config; fails loudly if the server refuses.
    pub async fn patch_config(&self, patch: Value) -> anyhow::Result<()> {
        let (status, body) = self
            .admin(
                "PUT",
                &format!("{}/api/v4/config/patch", self.server()),
                Some(patch),
            )
            .await?;
        anyhow::ensure!(status == 200, "config patch refused: {body}");
        Ok(())
    }

    /// A call to an emulator's control endpoint.
    pub async fn control(&self, method: &str, url: String, body: Value) -> anyhow::Result<Value> {
        let method = reqwest::Method::from_bytes(method.as_bytes())?;
        let resp = self.http.request(method, &url).json(&body).send().await?;
        anyhow::ensure!(resp.status().is_success(), "{url}: HTTP {}", resp.status());
        Ok(resp.json().await.unwrap_or(Value::Null))
    }

    /// The doctor's summary of the sandbox's configuration and tenant.
    pub async fn doctor_summary(&self) -> String {
        let license = self
            .sandbox
            .server
            .state
            .store
            .get_license()
            .await
            .ok()
            .flatten();
        crate::cmd::doctor_summary(
            &self.sandbox.dir.join("config.json"),
            &self.sandbox.dir.join("tenant.json"),
            license,
        )
        .await
    }

    /// Stops everything.
    pub async fn stop(self) {
        self.second.stop().await;
        self.sandbox.stop().await;
    }
}

async fn login(
    http: &reqwest::Client,
    url: &str,
    user: &str,
    password: &str,
) -> anyhow::Result<String> {
    let r = http
        .post(format!("{url}/api/v4/users/login"))
        .json(&json!({"login_id": user, "password": password}))
        .send()
        .await?;
    anyhow::ensure!(
        r.status().is_success(),
        "admin sign-in failed: HTTP {}",
        r.status()
    );
    Ok(r.headers()
        .get("token")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_string())
}

/// The server error id inside a simulator message (`... [ent.intune....] (HTTP 400)`).
pub fn error_id_of(message: &str) -> String {
    message
        .split('[')
        .nth(1)
        .and_then(|rest| rest.split(']').next())
        .unwrap_or("")
        .to_string()
}

/// The enrollment failure reason inside a simulator message (`Enrollment Failed (not_licensed)`).
pub fn enrollment_reason_of(message: &str) -> String {
    message
        .split("Enrollment Failed (")
        .nth(1)
        .and_then(|rest| rest.split([')', ':']).next())
        .unwrap_or("")
        .to_string()
}
