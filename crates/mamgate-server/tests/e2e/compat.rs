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
    let ready = compat_dir()
        .join("node_modules/@mattermost/client")
        .exists()
        && Command::new("node")
            .arg("--version")
            .output()
            .is_ok_and(|o| o.status.success());
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
    let kit = Kit::start(Setup {
        config,
        license_sku: None,
        env: vec![],
    })
    .await;
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
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
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

/// Where the console test finds Chromium (Debian's `chromium` package).
const CHROMIUM: &str = "/usr/bin/chromium";

/// Whether `playwright-core` and Chromium are installed; `MAMGATE_REQUIRE_BROWSER` makes them required.
fn browser_ready() -> bool {
    let ready = compat_dir().join("node_modules/playwright-core").exists()
        && std::path::Path::new(CHROMIUM).exists();
    if !ready {
        assert!(
            std::env::var_os("MAMGATE_REQUIRE_BROWSER").is_none(),
            "MAMGATE_REQUIRE_BROWSER is set but the browser is missing: `npm ci` in compat/ and `apt-get install chromium`"
        );
        eprintln!("SKIPPED: the console browser test needs `npm ci` in compat/ and {CHROMIUM} (`apt-get install chromium`)");
    }
    ready
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn console_pages_are_served() {
    let kit = Kit::start(Setup {
        config: Config::default(),
        license_sku: None,
        env: vec![],
    })
    .await;
    let http = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let r = http.get(kit.url("/admin_console")).send().await.unwrap();
    assert_eq!(r.status(), 302);
    let to = reqwest::Url::parse(&kit.url("/admin_console"))
        .unwrap()
        .join(r.headers()["location"].to_str().unwrap())
        .unwrap();
    assert_eq!(to.path(), "/admin_console/environment/mobile_security");
    let r = http.get(to).send().await.unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(r.headers()["content-type"], "text/html; charset=utf-8");
    assert!(r.headers()["content-security-policy"]
        .to_str()
        .unwrap()
        .contains("script-src 'self'"));
    let html = r.text().await.unwrap();
    assert!(
        html.contains("Mobile Security") && !html.contains("https://cdn"),
        "{html}"
    );
    for (path, kind) in [
        ("/admin_console/static/console.js", "text/javascript"),
        ("/admin_console/static/console.css", "text/css"),
    ] {
        let r = http.get(kit.url(path)).send().await.unwrap();
        assert_eq!(r.status(), 200, "{path}");
        assert!(
            r.headers()["content-type"]
                .to_str()
                .unwrap()
                .starts_with(kind),
            "{path}"
        );
    }
}

/// The Mobile Security page in headless Chromium: an Enterprise Advanced server with Office 365
/// enabled, and an unlicensed one that shows feature discovery.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn console_mobile_security_in_a_browser() {
    if !node_ready() || !browser_ready() {
        return;
    }
    let mut config = Config::default();
    config.license_settings.trusted_public_keys = vec![license_public_key()];
    config.office365_settings.enable = true;
    let licensed = Kit::start(Setup {
        config: config.clone(),
        license_sku: Some("advanced"),
        env: vec![],
    })
    .await;
    let unlicensed = Kit::start(Setup {
        config,
        license_sku: None,
        env: vec![],
    })
    .await;
    let (url, unlicensed_url) = (licensed.server.url.clone(), unlicensed.server.url.clone());
    let started = std::time::Instant::now();
    let out = tokio::task::spawn_blocking(move || {
        Command::new("node")
            .args(["--test", "console.test.mjs"])
            .current_dir(compat_dir())
            .env("MAMGATE_URL", url)
            .env("MAMGATE_UNLICENSED_URL", unlicensed_url)
            .env("MAMGATE_TENANT_ID", TENANT)
            .env("MAMGATE_CLIENT_ID", CLIENT)
            .env("MAMGATE_CHROMIUM", CHROMIUM)
            .output()
            .unwrap()
    })
    .await
    .unwrap();
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        out.status.success(),
        "node console.test.mjs failed:\n{text}"
    );
    eprintln!("console browser test took {:?}", started.elapsed());
}
