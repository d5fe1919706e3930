//! The shipped scenario files, each run against fresh servers and emulators.

use std::path::PathBuf;

use mamgate_emulators::tenant::{ALICE_OID, EXAMPLE_SERVER_APP_ID};
use mamgate_mobile::cli::scenario;

use crate::kit::*;

async fn run(file: &str, servers: &[&str]) {
    let emu = Emulators::start().await;
    let mut running = Vec::new();
    let mut vars: Vec<String> = vec![
        format!("USER={ALICE_UPN}"),
        format!("UNLICENSED_USER={UNLICENSED_UPN}"),
        format!("UNTARGETED_USER={UNTARGETED_UPN}"),
        format!("OID={ALICE_OID}"),
        format!("SERVER_APP_ID={EXAMPLE_SERVER_APP_ID}"),
    ];
    for name in servers {
        let s = Server::start(intune_config(&emu.entra.url)).await;
        vars.push(format!("{name}={}", s.url()));
        running.push(s);
    }
    let device = tempfile::tempdir().unwrap();
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("scenarios")
        .join(file);
    let mut log = Vec::new();
    let passed = scenario::run_file(device.path(), &path, &vars, &emu.args(), &mut |l| {
        log.push(l)
    })
    .await
    .unwrap();
    assert!(passed, "{file}:\n{}", log.join("\n"));
}

#[tokio::test]
async fn success() {
    run("success.json", &["SERVER"]).await;
}

#[tokio::test]
async fn technical_failure() {
    run("technical-failure.json", &["SERVER_A", "SERVER_B"]).await;
}

#[tokio::test]
async fn consent_missing() {
    run("consent-missing.json", &["SERVER"]).await;
}

#[tokio::test]
async fn retry_401() {
    run("retry-401.json", &["SERVER"]).await;
}

#[tokio::test]
async fn config_change() {
    run("config-change.json", &["SERVER"]).await;
}

#[tokio::test]
async fn intune_wipe() {
    run("intune-wipe.json", &["SERVER"]).await;
}
