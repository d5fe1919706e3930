//! `mamgate doctor` as the binary runs it: files on disk, a SQLite store next to the config.

use std::process::ExitCode;

use clap::Parser;
use mamgate_doctor::{run_to, DoctorArgs};
use serde_json::Value;

use crate::kit::*;

#[derive(Parser)]
struct Cli {
    #[command(flatten)]
    doctor: DoctorArgs,
}

async fn run(args: &[&str]) -> (ExitCode, String) {
    let cli = Cli::try_parse_from(std::iter::once("doctor").chain(args.iter().copied())).unwrap();
    let mut out: Vec<u8> = Vec::new();
    let code = run_to(cli.doctor, &mut out, NOW).await.unwrap();
    (code, String::from_utf8(out).unwrap())
}

fn is_success(code: ExitCode) -> bool {
    format!("{code:?}") == format!("{:?}", ExitCode::SUCCESS)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn files_store_and_both_formats() {
    let w = World::consistent();
    let dir = tempfile::tempdir().unwrap();
    let p = |n: &str| dir.path().join(n).to_string_lossy().into_owned();
    let mut config = w.config.clone();
    config.sql_settings.data_source = "./data/doctor.db".into();
    std::fs::write(p("config.json"), config.to_json_pretty()).unwrap();
    w.tenant.save(&dir.path().join("tenant.json")).unwrap();
    std::fs::write(p("jwks.json"), serde_json::to_string(&w.jwks()).unwrap()).unwrap();
    std::fs::write(p("token.txt"), format!("{}\n", w.token())).unwrap();
    std::fs::write(p("license.txt"), &w.license).unwrap();
    {
        let store = mamgate_store::open_store("sqlite", &p("data/doctor.db"))
            .await
            .unwrap();
        store.create_user(alice_user(), false).await.unwrap();
    }
    let token_arg = format!("@{}", p("token.txt"));
    let (cfg, ten, jw, lic) = (
        p("config.json"),
        p("tenant.json"),
        p("jwks.json"),
        p("license.txt"),
    );
    let saml = fixture("alice-saml.xml").to_string_lossy().into_owned();
    let ldif = fixture("alice.ldif").to_string_lossy().into_owned();
    let manifest = fixture("manifest-legacy.json")
        .to_string_lossy()
        .into_owned();
    let args = [
        "--config",
        &cfg,
        "--tenant",
        &ten,
        "--jwks",
        &jw,
        "--token",
        &token_arg,
        "--license",
        &lic,
        "--saml",
        &saml,
        "--ldif",
        &ldif,
        "--manifest",
        &manifest,
        "--store",
        "--format",
        "json",
    ];
    let (code, out) = run(&args).await;
    let doc: Value = serde_json::from_str(&out).unwrap();
    assert!(is_success(code), "{out}");
    assert_eq!(doc["ok"], true);
    assert_eq!(doc["summary"]["fail"], 0);
    assert_eq!(doc["summary"]["skipped"], 0, "{out}");

    // Break the token: human output names the server's id and the exit code is 1.
    let mut claims = w.claims.clone();
    claims["tid"] = "99999999-8888-4777-8666-555555555555".into();
    claims["iss"] = format!("{AUTHORITY}/99999999-8888-4777-8666-555555555555/v2.0").into();
    let bad = w.key.sign(&claims).unwrap();
    let (code, out) = run(&["--config", &cfg, "--jwks", &jw, "--token", &bad]).await;
    assert!(!is_success(code));
    assert!(out.contains("[FAIL] Sample token"), "{out}");
    assert!(
        out.contains("ent.intune.validate_token.invalid_tenant_id.app_error"),
        "{out}"
    );
    assert!(out.contains("[SKIP]"), "{out}");

    // doctor users over the same store.
    let (code, out) = run(&["users", "--config", &cfg, "--format", "json"]).await;
    let doc: Value = serde_json::from_str(&out).unwrap();
    assert!(is_success(code), "{out}");
    assert_eq!(doc["report"]["total_users"], 1);
    let (_, out) = run(&["users", "--config", &cfg]).await;
    assert!(out.contains("1 users scanned"), "{out}");
}

#[tokio::test]
async fn bad_inputs_are_errors_not_panics() {
    let dir = tempfile::tempdir().unwrap();
    let bad = dir.path().join("bad.json");
    std::fs::write(&bad, "{not json").unwrap();
    let b = bad.to_string_lossy().into_owned();
    for flag in [
        "--config",
        "--manifest",
        "--policy",
        "--jwks",
        "--tenant",
        "--saml",
        "--ldif",
    ] {
        let cli = Cli::try_parse_from(["doctor", flag, &b]).unwrap();
        let mut out: Vec<u8> = Vec::new();
        assert!(run_to(cli.doctor, &mut out, NOW).await.is_err(), "{flag}");
    }
    let missing = dir.path().join("none.json").to_string_lossy().into_owned();
    let cli = Cli::try_parse_from(["doctor", "users", "--config", &missing]).unwrap();
    assert!(run_to(cli.doctor, &mut Vec::new(), NOW).await.is_err());
    // A config naming a store that does not exist: an error, and no database is created.
    std::fs::write(
        dir.path().join("config.json"),
        r#"{"SqlSettings":{"DataSource":"./nope.db"}}"#,
    )
    .unwrap();
    let cfg = dir
        .path()
        .join("config.json")
        .to_string_lossy()
        .into_owned();
    let cli = Cli::try_parse_from(["doctor", "--config", &cfg, "--store"]).unwrap();
    assert!(run_to(cli.doctor, &mut Vec::new(), NOW).await.is_err());
    assert!(!dir.path().join("nope.db").exists());
    // Garbage tokens are a verdict, not an error.
    let cli = Cli::try_parse_from(["doctor", "--config", &cfg, "--token", "%%%.\u{0}.x"]).unwrap();
    assert!(run_to(cli.doctor, &mut Vec::new(), NOW).await.is_ok());
}
