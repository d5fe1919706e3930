//! explain, config, license, user and serve, as an admin would type them.

use std::path::Path;
use std::process::{Command, Output};

fn mamgate(args: &[&str], dir: &Path) -> Output {
    Command::new(env!("CARGO_BIN_EXE_mamgate"))
        .args(args)
        .current_dir(dir)
        .output()
        .unwrap()
}

fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

#[test]
fn explain_prints_the_catalog_entry() {
    let dir = tempfile::tempdir().unwrap();
    let o = mamgate(
        &[
            "explain",
            "ent.intune.validate_token.invalid_tenant_id.app_error",
        ],
        dir.path(),
    );
    assert!(o.status.success());
    let text = stdout(&o);
    for want in [
        "status:       400",
        "message:      Authentication failed. Invalid configuration.",
        "retry:        no",
        "fallback:     none",
        "cause:",
        "next steps:   Verify the Tenant ID",
    ] {
        assert!(text.contains(want), "missing {want:?} in\n{text}");
    }
    let o = mamgate(&["explain", "AADSTS650057"], dir.path());
    assert!(o.status.success());
    let o = mamgate(&["explain", "no.such.id"], dir.path());
    assert!(!o.status.success());
    assert!(String::from_utf8_lossy(&o.stderr).contains("unknown id"));
}

#[test]
fn config_validate_reports_the_id() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("bad.json"),
        r#"{"IntuneSettings":{"Enable":true,"TenantId":"contoso.com"}}"#,
    )
    .unwrap();
    let o = mamgate(&["config", "validate", "--config", "bad.json"], dir.path());
    assert!(!o.status.success());
    assert!(
        stdout(&o).contains("model.config.is_valid.intune_tenant_id_format.app_error"),
        "{}",
        stdout(&o)
    );
    std::fs::write(
        dir.path().join("good.json"),
        r#"{"IntuneSettings":{"Enable":false}}"#,
    )
    .unwrap();
    let o = mamgate(&["config", "validate", "--config", "good.json"], dir.path());
    assert!(o.status.success(), "{}", stdout(&o));
    // set refuses an invalid change and keeps the file.
    let o = mamgate(
        &[
            "config",
            "set",
            "--config",
            "good.json",
            "IntuneSettings.Enable",
            "true",
        ],
        dir.path(),
    );
    assert!(!o.status.success());
    assert!(stdout(&o).contains("intune_tenant_id.app_error"));
    let o = mamgate(
        &[
            "config",
            "set",
            "--config",
            "good.json",
            "TeamSettings.SiteName",
            "Contoso",
        ],
        dir.path(),
    );
    assert!(o.status.success());
    let o = mamgate(
        &[
            "config",
            "get",
            "--config",
            "good.json",
            "TeamSettings.SiteName",
        ],
        dir.path(),
    );
    assert_eq!(stdout(&o).trim(), "\"Contoso\"");
}

#[test]
fn licenses_from_untrusted_keys_or_expired_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    assert!(mamgate(&["license", "keygen", "--out", "ours"], d)
        .status
        .success());
    assert!(mamgate(&["license", "keygen", "--out", "theirs"], d)
        .status
        .success());
    let ours = std::fs::read_to_string(d.join("ours/license.pub")).unwrap();
    std::fs::write(d.join("config.json"), format!(
        r#"{{"LicenseSettings":{{"TrustedPublicKeys":["{}"]}},"SqlSettings":{{"DataSource":"data/m.db"}}}}"#, ours.trim())).unwrap();
    let issue = |key: &str, expires: &str, out: &str| {
        let o = mamgate(
            &[
                "license",
                "issue",
                "--key",
                key,
                "--sku",
                "advanced",
                "--customer",
                "Contoso",
                "--expires",
                expires,
                "--out",
                out,
            ],
            d,
        );
        assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    };
    issue("theirs/license.key", "2099-12-31", "foreign.lic");
    issue("ours/license.key", "2020-01-01", "expired.lic");
    issue("ours/license.key", "2099-12-31", "good.lic");
    let o = mamgate(
        &[
            "license",
            "install",
            "--config",
            "config.json",
            "foreign.lic",
        ],
        d,
    );
    assert!(!o.status.success());
    assert!(
        stdout(&o).contains("api.license.add_license.invalid.app_error"),
        "{}",
        stdout(&o)
    );
    let o = mamgate(
        &[
            "license",
            "install",
            "--config",
            "config.json",
            "expired.lic",
        ],
        d,
    );
    assert!(!o.status.success());
    assert!(
        stdout(&o).contains("api.license.add_license.expired.app_error"),
        "{}",
        stdout(&o)
    );
    let o = mamgate(&["license", "show", "--config", "config.json"], d);
    assert!(
        stdout(&o).contains("no license installed"),
        "{}",
        stdout(&o)
    );
    let o = mamgate(
        &["license", "install", "--config", "config.json", "good.lic"],
        d,
    );
    assert!(o.status.success(), "{}", stdout(&o));
    let o = mamgate(&["license", "show", "--config", "config.json"], d);
    assert!(
        stdout(&o).contains("Enterprise Advanced") && stdout(&o).contains("active"),
        "{}",
        stdout(&o)
    );
}

#[test]
fn users_from_the_command_line() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    std::fs::write(
        d.join("config.json"),
        r#"{"SqlSettings":{"DataSource":"m.db"}}"#,
    )
    .unwrap();
    let run = |args: &[&str]| {
        let mut all = args.to_vec();
        all.extend(["--config", "config.json"]);
        mamgate(&all, d)
    };
    assert!(run(&[
        "user",
        "create",
        "--username",
        "admin",
        "--password",
        "Adm1n-pass",
        "--system-admin"
    ])
    .status
    .success());
    assert!(run(&[
        "user",
        "create",
        "--username",
        "adele",
        "--email",
        "adele@contoso.com",
        "--auth-service",
        "saml",
        "--auth-data",
        "33333333-4444-5555-6666-777777777777"
    ])
    .status
    .success());
    assert!(run(&["user", "create", "--username", "robot", "--bot"])
        .status
        .success());
    let dup = run(&[
        "user",
        "create",
        "--username",
        "adele",
        "--password",
        "whatever1",
    ]);
    assert!(!dup.status.success());
    assert!(run(&["user", "deactivate", "adele"]).status.success());
    let list = stdout(&run(&["user", "list"]));
    assert!(
        list.contains("admin")
            && list.contains("robot")
            && list.contains("deactivated")
            && list.contains("bot"),
        "{list}"
    );
}

#[test]
fn serve_creates_a_config_and_answers_ping() {
    let dir = tempfile::tempdir().unwrap();
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let mut child = Command::new(env!("CARGO_BIN_EXE_mamgate"))
        .args([
            "serve",
            "--config",
            "config.json",
            "--listen",
            &format!("127.0.0.1:{port}"),
        ])
        .current_dir(dir.path())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let url = format!("http://127.0.0.1:{port}/api/v4/system/ping");
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let ok = rt.block_on(async {
        while std::time::Instant::now() < deadline {
            if let Ok(r) = reqwest::get(&url).await {
                return r.status().is_success();
            }
            tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        }
        false
    });
    let _ = child.kill();
    let _ = child.wait();
    assert!(ok, "server did not answer ping");
    assert!(dir.path().join("config.json").exists());
    assert!(dir.path().join("data/mamgate.db").exists());
}

#[test]
fn emulators_run_standalone_and_print_their_urls() {
    use std::io::{BufRead, BufReader};
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let o = mamgate(
        &[
            "emulate",
            "init",
            "--out",
            "tenant.json",
            "--authority",
            &format!("http://127.0.0.1:{port}"),
        ],
        d,
    );
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let tenant: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(d.join("tenant.json")).unwrap()).unwrap();
    let tenant_id = tenant["tenant_id"].as_str().unwrap().to_string();
    let mut entra = Command::new(env!("CARGO_BIN_EXE_mamgate"))
        .args([
            "emulate",
            "entra",
            "--tenant",
            "tenant.json",
            "--listen",
            &format!("127.0.0.1:{port}"),
        ])
        .current_dir(d)
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let mut line = String::new();
    // Kept open until the end: the emulator prints more lines after the first.
    let mut entra_out = BufReader::new(entra.stdout.take().unwrap());
    entra_out.read_line(&mut line).unwrap();
    assert!(line.contains(&format!("http://127.0.0.1:{port}")), "{line}");
    let mut intune = Command::new(env!("CARGO_BIN_EXE_mamgate"))
        .args([
            "emulate",
            "intune",
            "--tenant",
            "tenant.json",
            "--listen",
            "127.0.0.1:0",
        ])
        .current_dir(d)
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let mut intune_line = String::new();
    let mut intune_out = BufReader::new(intune.stdout.take().unwrap());
    intune_out.read_line(&mut intune_line).unwrap();
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let discovery: serde_json::Value = rt.block_on(async {
        reqwest::get(format!(
            "http://127.0.0.1:{port}/{tenant_id}/v2.0/.well-known/openid-configuration"
        ))
        .await
        .unwrap()
        .json()
        .await
        .unwrap()
    });
    let _ = entra.kill();
    let _ = intune.kill();
    let _ = entra.wait();
    let _ = intune.wait();
    drop((entra_out, intune_out));
    assert!(
        discovery["jwks_uri"]
            .as_str()
            .unwrap()
            .contains("/discovery/v2.0/keys"),
        "{discovery}"
    );
    assert!(
        intune_line.starts_with("Intune emulator: http://127.0.0.1:"),
        "{intune_line}"
    );
}

#[test]
fn explain_knows_every_code_the_emulators_produce() {
    let dir = tempfile::tempdir().unwrap();
    let codes = [
        "AADSTS500011",
        "AADSTS50011",
        "AADSTS50034",
        "AADSTS65001",
        "AADSTS650057",
        "AADSTS70000",
        "AADSTS700016",
        "AADSTS700022",
        "AADSTS70003",
        "AADSTS70008",
        "AADSTS70011",
        "AADSTS90002",
        "AADSTS900144",
        "NotLicensed",
        "NotTargeted",
        "Enrollment Failed",
        "Enrollment Declined",
        "HTTP 403",
    ];
    for code in codes {
        let o = mamgate(&["explain", code], dir.path());
        assert!(o.status.success(), "{code} unknown");
        assert!(stdout(&o).contains("next steps:"), "{code}");
    }
}

/// Starts `mamgate sandbox` and returns the child and the lines of its summary.
fn start_sandbox(dir: &Path) -> (std::process::Child, Vec<String>) {
    use std::io::{BufRead, BufReader};
    let mut child = Command::new(env!("CARGO_BIN_EXE_mamgate"))
        .args([
            "sandbox",
            "--dir",
            "sb",
            "--port",
            "0",
            "--entra-port",
            "0",
            "--intune-port",
            "0",
        ])
        .current_dir(dir)
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let mut out = BufReader::new(child.stdout.take().unwrap());
    let mut lines = Vec::new();
    loop {
        let mut line = String::new();
        if out.read_line(&mut line).unwrap() == 0 {
            break;
        }
        let done = line.contains("Ctrl-C stops it");
        lines.push(line.trim_end().to_string());
        if done {
            break;
        }
    }
    (child, lines)
}

fn field<'a>(lines: &'a [String], label: &str) -> &'a str {
    lines
        .iter()
        .find_map(|l| l.trim_start().strip_prefix(label))
        .map(str::trim)
        .unwrap_or("")
}

#[test]
fn sandbox_prints_its_parts_and_resumes() {
    let dir = tempfile::tempdir().unwrap();
    let (mut first, lines) = start_sandbox(dir.path());
    let server = field(&lines, "server").to_string();
    let admin = field(&lines, "admin sign-in").to_string();
    assert!(server.starts_with("http://127.0.0.1:"), "{lines:#?}");
    assert!(
        field(&lines, "Entra emulator").starts_with("http://127.0.0.1:"),
        "{lines:#?}"
    );
    assert!(
        lines.iter().any(|l| l.contains("alice@contoso.example")),
        "{lines:#?}"
    );
    let (user, password) = admin.split_once(" / ").unwrap();
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let client_config: serde_json::Value = rt.block_on(async {
        let http = reqwest::Client::new();
        let r = http
            .post(format!("{server}/api/v4/users/login"))
            .json(&serde_json::json!({"login_id": user, "password": password}))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 200);
        http.get(format!("{server}/api/v4/config/client?format=old"))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap()
    });
    assert_eq!(client_config["IntuneMAMEnabled"], "true");
    let _ = first.kill();
    let _ = first.wait();
    // A second start resumes: same admin, same ports, the license still installed.
    let (mut second, again) = start_sandbox(dir.path());
    let _ = second.kill();
    let _ = second.wait();
    assert_eq!(field(&again, "admin sign-in"), admin);
    assert_eq!(field(&again, "server"), server);
}
