//! `mamgate doctor --server URL --admin-token TOKEN` against a real running mamgate server.

use std::process::ExitCode;

use clap::Parser;
use mamgate_core::config::Config;
use mamgate_core::license::{signing_key_from_seed, Customer, License};
use mamgate_doctor::cli::load_inputs;
use mamgate_doctor::{run_to, DoctorArgs, DoctorError, Report, Status};
use mamgate_server::{ConfigSource, RunningServer, ServerOptions, Settings};
use serde_json::{json, Value};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

use crate::kit::*;

#[derive(Parser)]
struct Cli {
    #[command(flatten)]
    doctor: DoctorArgs,
}

fn parse(args: &[&str]) -> DoctorArgs {
    Cli::try_parse_from(std::iter::once("doctor").chain(args.iter().copied()))
        .unwrap()
        .doctor
}

/// An Enterprise Advanced license signed by the world's key that stays in force (the server
/// checks it against the real clock).
fn live_license() -> String {
    License {
        id: "lic-live".into(),
        issued_at: 0,
        starts_at: 0,
        expires_at: i64::MAX / 2,
        customer: Customer {
            id: "c1".into(),
            name: "Contoso".into(),
            ..Customer::default()
        },
        sku_short_name: "advanced".into(),
        sku_name: "Enterprise Advanced".into(),
        signed_by: String::new(),
    }
    .sign(&signing_key_from_seed([7; 32]))
}

/// A running server on a loopback port, its SQLite folder and a system admin's token.
struct Running {
    server: RunningServer,
    admin: String,
    http: reqwest::Client,
    _dir: tempfile::TempDir,
}

async fn start(config: Config, license: Option<String>, env: Vec<(String, String)>) -> Running {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("mamgate.db");
    let store = mamgate_store::open_store("sqlite", db.to_str().unwrap())
        .await
        .unwrap();
    store.set_license(license).await.unwrap();
    let settings = Settings::new(ConfigSource::Memory, config, env).unwrap();
    let server = mamgate_server::start(ServerOptions {
        store,
        settings,
        listen: "127.0.0.1:0".into(),
    })
    .await
    .unwrap();
    let http = reqwest::Client::new();
    let r = http
        .post(format!("{}/api/v4/users", server.url))
        .json(&json!({"username": "admin", "email": "admin@contoso.com", "password": "Adm1n-password"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 201, "{}", r.text().await.unwrap());
    let r = http
        .post(format!("{}/api/v4/users/login", server.url))
        .json(&json!({"login_id": "admin", "password": "Adm1n-password"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let admin = r.headers()["token"].to_str().unwrap().to_string();
    Running {
        server,
        admin,
        http,
        _dir: dir,
    }
}

fn finding<'a>(r: &'a Report, name: &str) -> &'a mamgate_doctor::Finding {
    r.findings.iter().find(|f| f.name == name).unwrap()
}

fn is_success(code: ExitCode) -> bool {
    format!("{code:?}") == format!("{:?}", ExitCode::SUCCESS)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reads_config_and_license_from_a_running_server() {
    let w = World::consistent();
    let mut config = w.config.clone();
    config.office365_settings.secret = "s3cret".into();
    let s = start(config, Some(live_license()), vec![]).await;
    let dir = tempfile::tempdir().unwrap();
    let tenant = dir.path().join("tenant.json");
    w.tenant.save(&tenant).unwrap();
    let tenant = tenant.to_string_lossy().into_owned();
    let url = s.server.url.clone();
    let args = parse(&[
        "--server",
        &url,
        "--admin-token",
        &s.admin,
        "--tenant",
        &tenant,
    ]);

    let inputs = load_inputs(&args.checks).await.unwrap();
    let config = inputs.config.as_ref().unwrap();
    assert_eq!(config.office365_settings.secret, "********");
    assert_eq!(
        config.intune_settings.client_id,
        w.config.intune_settings.client_id
    );
    let report = mamgate_doctor::run_checks(&inputs, NOW);
    for name in [
        "server.intune_settings",
        "server.provider_enabled",
        "server.ids_match",
        "server.license",
        "server.authority_host",
    ] {
        let f = finding(&report, name);
        assert_eq!(f.status, Status::Pass, "{name}: {}", f.found);
    }
    assert!(finding(&report, "server.license")
        .found
        .contains(&format!("from the running server {url}")));

    // Through the CLI entry, with a trailing slash on the URL: same verdicts, exit 0.
    let slash = format!("{url}/");
    let args = parse(&[
        "--server",
        &slash,
        "--admin-token",
        &s.admin,
        "--tenant",
        &tenant,
    ]);
    let mut out: Vec<u8> = Vec::new();
    let code = run_to(args, &mut out, NOW).await.unwrap();
    let out = String::from_utf8(out).unwrap();
    assert!(is_success(code), "{out}");
    assert!(out.contains("from the running server"), "{out}");

    // A --license file still wins over the server's client license.
    let lic = dir.path().join("license.txt");
    std::fs::write(&lic, &w.license).unwrap();
    let lic = lic.to_string_lossy().into_owned();
    let args = parse(&[
        "--server",
        &url,
        "--admin-token",
        &s.admin,
        "--license",
        &lic,
    ]);
    let inputs = load_inputs(&args.checks).await.unwrap();
    let report = mamgate_doctor::run_checks(&inputs, NOW);
    assert!(finding(&report, "server.license")
        .found
        .contains("from --license"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unlicensed_server_fails_the_license_check() {
    let w = World::consistent();
    let s = start(w.config.clone(), None, vec![]).await;
    let args = parse(&["--server", &s.server.url, "--admin-token", &s.admin]);
    let inputs = load_inputs(&args.checks).await.unwrap();
    let report = mamgate_doctor::run_checks(&inputs, NOW);
    let f = finding(&report, "server.license");
    assert_eq!(f.status, Status::Fail);
    assert!(f.found.contains("no license is in force"), "{}", f.found);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_tokens_and_bad_servers_are_clear_errors() {
    let w = World::consistent();
    let s = start(w.config.clone(), Some(live_license()), vec![]).await;
    // A wrong token.
    let args = parse(&["--server", &s.server.url, "--admin-token", "not-a-session"]);
    let err = load_inputs(&args.checks).await.unwrap_err();
    assert!(
        matches!(err, DoctorError::ServerDenied { status: 401, .. }),
        "{err}"
    );
    assert!(err.to_string().contains("system admin"), "{err}");
    // A valid session of a user who is not a system admin.
    let r = s
        .http
        .post(format!("{}/api/v4/users", s.server.url))
        .bearer_auth(&s.admin)
        .json(&json!({"username": "bob", "email": "bob@contoso.com", "password": "B0b-password!"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 201, "{}", r.text().await.unwrap());
    let r = s
        .http
        .post(format!("{}/api/v4/users/login", s.server.url))
        .json(&json!({"login_id": "bob", "password": "B0b-password!"}))
        .send()
        .await
        .unwrap();
    let bob = r.headers()["token"].to_str().unwrap().to_string();
    let args = parse(&["--server", &s.server.url, "--admin-token", &bob]);
    let err = load_inputs(&args.checks).await.unwrap_err();
    assert!(
        matches!(err, DoctorError::ServerDenied { status: 403, .. }),
        "{err}"
    );
    // Nothing listening.
    let closed = {
        let l = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        format!("http://{}", l.local_addr().unwrap())
    };
    let args = parse(&["--server", &closed, "--admin-token", &s.admin]);
    let err = load_inputs(&args.checks).await.unwrap_err();
    assert!(
        matches!(err, DoctorError::ServerUnreachable { .. }),
        "{err}"
    );
    // A web server that answers HTML.
    let html = html_server().await;
    let args = parse(&["--server", &html, "--admin-token", &s.admin]);
    let err = load_inputs(&args.checks).await.unwrap_err();
    assert!(matches!(err, DoctorError::ServerResponse { .. }), "{err}");
    assert!(err.to_string().contains("did not answer JSON"), "{err}");
    // --config and --server together.
    assert!(Cli::try_parse_from(["doctor", "--config", "c.json", "--server", &html]).is_err());
}

/// A plain HTTP server that answers every request with an HTML page.
async fn html_server() -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move {
        while let Ok((mut sock, _)) = listener.accept().await {
            tokio::spawn(async move {
                let mut buf = [0u8; 4096];
                let _ = sock.read(&mut buf).await;
                let body = "<html><body>It works</body></html>";
                let resp = format!(
                    "HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
                    body.len()
                );
                let _ = sock.write_all(resp.as_bytes()).await;
            });
        }
    });
    url
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn env_override_misconfiguration_fails_with_the_servers_id() {
    let w = World::consistent();
    let env = vec![("MM_INTUNESETTINGS_TENANTID".into(), "bad".into())];
    let s = start(w.config.clone(), Some(live_license()), env).await;
    // What the server answers a mobile Intune sign-in.
    let r = s
        .http
        .post(format!("{}/oauth/intune", s.server.url))
        .json(&json!({"access_token": "x.y.z", "device_id": "d1"}))
        .send()
        .await
        .unwrap();
    assert!(r.status().is_client_error() || r.status().is_server_error());
    let body: Value = r.json().await.unwrap();
    let server_id = body["id"].as_str().unwrap().to_string();

    let args = parse(&["--server", &s.server.url, "--admin-token", &s.admin]);
    let inputs = load_inputs(&args.checks).await.unwrap();
    assert_eq!(
        inputs.config.as_ref().unwrap().intune_settings.tenant_id,
        "bad"
    );
    let report = mamgate_doctor::run_checks(&inputs, NOW);
    let f = finding(&report, "server.intune_settings");
    assert_eq!(f.status, Status::Fail, "{}", f.found);
    assert!(
        f.error_ids.iter().any(|id| id.id() == server_id),
        "server said {server_id}, doctor {:?}",
        f.error_ids
    );
    assert!(!report.ok());
}
