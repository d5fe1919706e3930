//! Mid-session enforcement over HTTP: a config change makes Intune MAM newly required.

use std::sync::Arc;
use std::time::Duration;

use mamgate_mobile::client::Ports;
use mamgate_mobile::http::{HttpIntune, HttpMsal, HttpServerApi};
use mamgate_mobile::model::{Os, ServerEvent};
use mamgate_mobile::ports::{FixedPlatform, ServerApi};
use mamgate_mobile::{Device, Enforcement, MobileClient};
use serde_json::json;

use crate::kit::*;

fn intune_on(on: bool) -> serde_json::Value {
    json!({"IntuneSettings": {"Enable": on}})
}

#[tokio::test]
async fn rest_fetch_shows_change_and_blocks_reads_until_enrollment() {
    let emu = Emulators::start().await;
    let server = Server::start(intune_config(&emu.entra.url)).await;
    let admin = server.admin_token().await;
    let device = tempfile::tempdir().unwrap();
    let (d, e, url) = (device.path(), emu.args(), server.url());
    // Signed in, enrollment declined; then the admin turns Intune MAM off: content readable.
    expect(
        &mobile(d, &e, &format!("login {url} --user {ALICE_UPN} --decline")).await,
        "enrollment_declined",
    );
    expect(
        &mobile(d, &e, &format!("read {url}")).await,
        "content_blocked",
    );
    server.patch_config(&admin, intune_on(false)).await;
    expect(&mobile(d, &e, &format!("read {url}")).await, "content");
    // Intune MAM on again: newly required mid-session; the next read's fetch shows the change.
    server.patch_config(&admin, intune_on(true)).await;
    let r = mobile(d, &e, &format!("read {url}")).await;
    expect(&r, "content_blocked");
    expect(
        &mobile(d, &e, &format!("switch {url}")).await,
        "enrollment_required",
    );
    // Nothing was wiped while blocked; enrolling lifts the block.
    assert!(Device::open(d)
        .unwrap()
        .read_credentials(&url)
        .unwrap()
        .is_some());
    expect(
        &mobile(d, &e, &format!("enroll {url} --user {ALICE_UPN}")).await,
        "enrolled",
    );
    expect(&mobile(d, &e, &format!("read {url}")).await, "content");
}

#[tokio::test]
async fn websocket_config_changed_triggers_enforcement() {
    let emu = Emulators::start().await;
    let server = Server::start(intune_config(&emu.entra.url)).await;
    let admin = server.admin_token().await;
    let device = tempfile::tempdir().unwrap();
    let (d, e, url) = (device.path(), emu.args(), server.url());
    expect(
        &mobile(d, &e, &format!("login {url} --user {ALICE_UPN} --decline")).await,
        "enrollment_declined",
    );
    server.patch_config(&admin, intune_on(false)).await;
    expect(&mobile(d, &e, &format!("read {url}")).await, "content");

    let api = HttpServerApi::new();
    let ports = Ports {
        msal: Arc::new(HttpMsal::new(&emu.entra.url, "com.mattermost.rn")),
        intune: Arc::new(HttpIntune::new(
            &emu.intune.url,
            "com.mattermost.rn",
            HttpMsal::new(&emu.entra.url, "com.mattermost.rn"),
            d,
        )),
        server: Arc::new(api.clone()),
        platform: Arc::new(FixedPlatform(Os::Ios)),
    };
    let mut client = MobileClient::new(Device::open(d).unwrap(), ports);
    let creds = client.device.read_credentials(&url).unwrap().unwrap();
    let mut events = api.events(&url, &creds).await.unwrap();
    let first = tokio::time::timeout(Duration::from_secs(10), events.recv())
        .await
        .unwrap();
    assert_eq!(first, Some(ServerEvent::Hello));
    server.patch_config(&admin, intune_on(true)).await;
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    let enforcement = loop {
        let ev = tokio::time::timeout_at(deadline, events.recv())
            .await
            .unwrap()
            .expect("socket open");
        if let ServerEvent::ConfigChanged(_) = ev {
            break client.handle_server_event(&url, ev).await.unwrap();
        }
    };
    assert_eq!(enforcement, Some(Enforcement::Required { declined: true }));
}

#[tokio::test]
async fn intune_wipe_command_wipes_enrolled_servers_keeping_rows() {
    let emu = Emulators::start().await;
    let a = Server::start(intune_config(&emu.entra.url)).await;
    let b = Server::start(intune_config(&emu.entra.url)).await;
    let device = tempfile::tempdir().unwrap();
    let (d, e) = (device.path(), emu.args());
    expect(
        &mobile(d, &e, &format!("login {} --user {ALICE_UPN}", a.url())).await,
        "enrolled",
    );
    expect(
        &mobile(d, &e, &format!("login {} --user {ALICE_UPN}", b.url())).await,
        "enrolled",
    );
    let r = reqwest::Client::new()
        .post(format!("{}/_control/wipe", emu.intune.url))
        .json(&json!({"oid": mamgate_emulators::tenant::ALICE_OID}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let r = mobile(d, &e, "watch --seconds 10 --events 1").await;
    expect(&r, "watched");
    let wipe_line = r
        .lines
        .iter()
        .find(|l| l.contains("WipeRequested"))
        .cloned()
        .unwrap_or_default();
    // b is active (signed in last): wiped last.
    assert!(
        wipe_line.contains(&format!("[\"{}\", \"{}\"]", a.url(), b.url())),
        "{:?}",
        r.lines
    );
    let dev = Device::open(d).unwrap();
    for url in [a.url(), b.url()] {
        assert!(dev.server(&url).is_some(), "row kept");
        assert!(
            dev.read_credentials(&url).unwrap().is_none(),
            "session wiped"
        );
    }
    expect(
        &mobile(d, &e, &format!("read {}", a.url())).await,
        "not_signed_in",
    );
}

#[tokio::test]
async fn watch_reacts_to_websocket_config_changed() {
    let emu = Emulators::start().await;
    let server = Server::start(intune_config(&emu.entra.url)).await;
    let admin = server.admin_token().await;
    let device = tempfile::tempdir().unwrap();
    let (d, e, url) = (device.path(), emu.args(), server.url());
    expect(
        &mobile(d, &e, &format!("login {url} --user {ALICE_UPN} --decline")).await,
        "enrollment_declined",
    );
    server.patch_config(&admin, intune_on(false)).await;
    expect(&mobile(d, &e, &format!("read {url}")).await, "content");

    let ports = Ports {
        msal: Arc::new(HttpMsal::new(&emu.entra.url, "com.mattermost.rn")),
        intune: Arc::new(HttpIntune::new(
            &emu.intune.url,
            "com.mattermost.rn",
            HttpMsal::new(&emu.entra.url, "com.mattermost.rn"),
            d,
        )),
        server: Arc::new(HttpServerApi::new()),
        platform: Arc::new(FixedPlatform(Os::Ios)),
    };
    let mut client = MobileClient::new(Device::open(d).unwrap(), ports);
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
    let watcher = tokio::spawn(async move {
        client
            .watch(Duration::from_secs(20), Some(1), move |l| {
                tx.send(l).unwrap()
            })
            .await
            .unwrap()
    });
    let connected = tokio::time::timeout(Duration::from_secs(10), rx.recv())
        .await
        .unwrap()
        .unwrap();
    assert!(connected.contains("connected"), "{connected}");
    server.patch_config(&admin, intune_on(true)).await;
    assert_eq!(watcher.await.unwrap(), 1);
    let reaction = rx.recv().await.unwrap();
    assert!(
        reaction.contains("ConfigChanged") && reaction.contains("Enrollment Declined"),
        "{reaction}"
    );
    expect(
        &mobile(d, &e, &format!("read {url}")).await,
        "content_blocked",
    );
}
