//! The official `@mattermost/client` npm package drives the server (compat/ folder).

use std::path::PathBuf;
use std::process::Command;

use mamgate_core::config::Config;

use crate::kit::*;

fn compat_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../compat")
}

/// Whether the npm packages are installed; CI requires them.
pub fn node_ready() -> bool {
    let ready = compat_dir().join("node_modules/@mattermost/client").exists()
        && Command::new("node").arg("--version").output().is_ok_and(|o| o.status.success());
    if !ready {
        assert!(
            std::env::var_os("MAMGATE_REQUIRE_NODE").is_none(),
            "MAMGATE_REQUIRE_NODE is set but compat/node_modules is missing: run `npm ci` in compat/"
        );
        eprintln!("SKIPPED: compatibility suite needs `npm ci` in compat/ (and node)");
    }
    ready
}

/// Runs one node test file against a fresh server with no license and no users.
async fn run_node(file: &'static str) {
    if !node_ready() {
        return;
    }
    let mut config = Config::default();
    config.license_settings.trusted_public_keys = vec![license_public_key()];
    let kit = Kit::start(Setup { config, license_sku: None, env: vec![] }).await;
    let url = kit.server.url.clone();
    let out = tokio::task::spawn_blocking(move || {
        Command::new("node")
            .args(["--test", file])
            .current_dir(compat_dir())
            .env("MAMGATE_URL", url)
            .env("MAMGATE_LICENSE", license_file("advanced"))
            .env("MAMGATE_OBJECT_ID", OID)
            .output()
            .unwrap()
    })
    .await
    .unwrap();
    let text = format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    assert!(out.status.success(), "node {file} failed:\n{text}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn official_client_drives_the_api() {
    run_node("client.test.mjs").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn official_websocket_client_receives_events() {
    run_node("websocket.test.mjs").await;
}
