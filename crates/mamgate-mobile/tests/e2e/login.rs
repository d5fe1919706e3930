//! Sign-in over HTTP: success, technical failures on a two-server device, the 401 retry.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

use async_trait::async_trait;
use mamgate_core::model::AuditStatus;
use mamgate_mobile::client::Ports;
use mamgate_mobile::http::{HttpIntune, HttpMsal, HttpServerApi};
use mamgate_mobile::model::{MsalError, MsalTokens, Os, SsoType};
use mamgate_mobile::ports::{FixedPlatform, Msal};
use mamgate_mobile::{Device, EnrollmentStatus, LoginOutcome, MobileClient};
use serde_json::json;

use crate::kit::*;

#[tokio::test]
async fn success_path_enrolls_and_reads() {
    let emu = Emulators::start().await;
    let server = Server::start(intune_config(&emu.entra.url)).await;
    let device = tempfile::tempdir().unwrap();
    let (d, e) = (device.path(), emu.args());
    expect(
        &mobile(d, &e, &format!("add-server {}", server.url())).await,
        "added",
    );
    let r = mobile(d, &e, &format!("login {} --user {ALICE_UPN}", server.url())).await;
    expect(&r, "enrolled");
    expect(
        &mobile(d, &e, &format!("read {}", server.url())).await,
        "content",
    );
    let status = mobile(d, &e, "status").await;
    assert!(
        status
            .lines
            .iter()
            .any(|l| l.contains("enrolled in Intune MAM")),
        "{:?}",
        status.lines
    );
    // Another sign-in finds the server already managed.
    expect(
        &mobile(d, &e, &format!("login {} --user {ALICE_UPN}", server.url())).await,
        "already_managed",
    );
    // The session is a real one: the token in the keychain works against the server.
    let dev = Device::open(d).unwrap();
    let creds = dev.read_credentials(&server.url()).unwrap().unwrap();
    assert!(!creds.csrf.is_empty());
    let me = reqwest::Client::new()
        .get(format!("{}/api/v4/users/me", server.url()))
        .bearer_auth(&creds.token)
        .send()
        .await
        .unwrap();
    assert_eq!(me.status(), 200);
    // The sign-in carried the device id (a mobile session).
    let audits = server
        .running
        .state
        .store
        .list_audits(mamgate_store::Page {
            page: 0,
            per_page: 100,
        })
        .await
        .unwrap();
    let ok = audits
        .iter()
        .find(|a| a.action == "login_by_intune" && a.status == AuditStatus::Success)
        .unwrap();
    assert_eq!(ok.device_id, dev.device_id());
    assert!(ok.device_id.starts_with("apple_rn-v2:"));
}

#[tokio::test]
async fn android_and_other_sso_fall_back_to_web_sso() {
    let emu = Emulators::start().await;
    let server = Server::start(intune_config(&emu.entra.url)).await;
    let device = tempfile::tempdir().unwrap();
    let r = mobile(
        device.path(),
        &emu.args(),
        &format!(
            "login {} --user {ALICE_UPN} --platform android",
            server.url()
        ),
    )
    .await;
    expect(&r, "web_sso_fallback");
    assert!(r.message.contains("iOS"), "{}", r.message);
    let r = mobile(
        device.path(),
        &emu.args(),
        &format!(
            "login {} --user {ALICE_UPN} --platform ios --sso saml",
            server.url()
        ),
    )
    .await;
    expect(&r, "web_sso_fallback");
    assert!(Device::open(device.path()).unwrap().file.servers.is_empty());
}

#[tokio::test]
async fn technical_failures_remove_only_that_server() {
    let emu = Emulators::start().await;
    let a = Server::start(intune_config(&emu.entra.url)).await;
    let b = Server::start(intune_config(&emu.entra.url)).await;
    let device = tempfile::tempdir().unwrap();
    let (d, e) = (device.path(), emu.args());
    expect(
        &mobile(d, &e, &format!("login {} --user {ALICE_UPN}", b.url())).await,
        "enrolled",
    );
    let dev = Device::open(d).unwrap();
    std::fs::write(dev.files_dir(&b.url()).join("cached.bin"), b"keep me").unwrap();
    let b_creds = dev.read_credentials(&b.url()).unwrap();
    let b_db = dev.read_db(&b.url()).unwrap();

    let cases = [
        (UNLICENSED_UPN, "not_licensed"),
        (UNTARGETED_UPN, "not_targeted"),
        (ALICE_UPN, "consent_missing"),
    ];
    for (user, reason) in cases {
        emu.set_consent(reason != "consent_missing");
        expect(
            &mobile(d, &e, &format!("add-server {}", a.url())).await,
            "added",
        );
        let r = mobile(d, &e, &format!("login {} --user {user}", a.url())).await;
        expect(&r, "enrollment_failed");
        assert!(r.message.contains(reason), "{reason}: {}", r.message);
        let dev = Device::open(d).unwrap();
        assert!(dev.server(&a.url()).is_none(), "{reason}: server A removed");
        assert!(
            !dev.server_dir(&a.url()).exists(),
            "{reason}: A's data wiped"
        );
        assert!(dev.server(&b.url()).is_some(), "{reason}");
        assert_eq!(dev.read_credentials(&b.url()).unwrap(), b_creds, "{reason}");
        assert_eq!(dev.read_db(&b.url()).unwrap(), b_db, "{reason}");
        assert!(
            dev.files_dir(&b.url()).join("cached.bin").exists(),
            "{reason}"
        );
        expect(
            &mobile(d, &e, &format!("read {}", b.url())).await,
            "content",
        );
    }
    // After admin consent, the user re-adds the server and signs in.
    emu.set_consent(true);
    expect(
        &mobile(d, &e, &format!("login {} --user {ALICE_UPN}", a.url())).await,
        "enrolled",
    );
}

#[tokio::test]
async fn server_refusal_shows_message_and_saves_nothing() {
    let emu = Emulators::start().await;
    // SAML enforced, and no SAML account holds the user's objectId: 428, no retry.
    let mut config = intune_config(&emu.entra.url);
    config.intune_settings.auth_service = "saml".into();
    config.office365_settings.enable = false;
    config.saml_settings.enable = true;
    config.saml_settings.id_attribute = mamgate_core::identity::SAML_OBJECT_ID_CLAIM.into();
    let server = Server::start(config).await;
    let device = tempfile::tempdir().unwrap();
    let r = mobile(
        device.path(),
        &emu.args(),
        &format!("login {} --user {ALICE_UPN} --sso saml", server.url()),
    )
    .await;
    expect(&r, "login_failed");
    assert!(
        r.message.contains("account_not_found") && r.message.contains("428"),
        "{}",
        r.message
    );
    let dev = Device::open(device.path()).unwrap();
    assert!(dev.file.servers.is_empty());
    assert!(!dev.server_dir(&server.url()).exists());
}

/// Real MSAL, except that the first token it hands out is an expired one.
struct ExpiredFirst {
    real: HttpMsal,
    entra: String,
    calls: AtomicUsize,
}

#[async_trait]
impl Msal for ExpiredFirst {
    async fn acquire_token(
        &self,
        server: &str,
        upn: &str,
        scopes: &[String],
    ) -> Result<MsalTokens, MsalError> {
        let mut tokens = self.real.acquire_token(server, upn, scopes).await?;
        if self.calls.fetch_add(1, Ordering::SeqCst) == 0 {
            let minted: serde_json::Value = reqwest::Client::new()
                .post(format!("{}/_control/mint", self.entra))
                .json(&json!({"as": {"username": upn, "client_id": self.real.client_id, "scope": scopes.join(" ")}, "lifetime_secs": -600}))
                .send()
                .await
                .unwrap()
                .json()
                .await
                .unwrap();
            tokens.access_token = minted["token"].as_str().unwrap().to_string();
        }
        Ok(tokens)
    }
}

#[tokio::test]
async fn expired_token_is_retried_once_with_a_fresh_one() {
    let emu = Emulators::start().await;
    let server = Server::start(intune_config(&emu.entra.url)).await;
    let device = tempfile::tempdir().unwrap();
    let msal = Arc::new(ExpiredFirst {
        real: HttpMsal::new(&emu.entra.url, "com.mattermost.rn"),
        entra: emu.entra.url.clone(),
        calls: AtomicUsize::new(0),
    });
    let intune = HttpIntune::new(
        &emu.intune.url,
        "com.mattermost.rn",
        HttpMsal::new(&emu.entra.url, "com.mattermost.rn"),
        device.path(),
    );
    let ports = Ports {
        msal: msal.clone(),
        intune: Arc::new(intune),
        server: Arc::new(HttpServerApi::new()),
        platform: Arc::new(FixedPlatform(Os::Ios)),
    };
    let mut client = MobileClient::new(Device::open(device.path()).unwrap(), ports);
    let out = client
        .login(&server.url(), ALICE_UPN, SsoType::Office365, false)
        .await
        .unwrap();
    assert!(
        matches!(
            out,
            LoginOutcome::SignedIn {
                enrollment: EnrollmentStatus::Enrolled { .. },
                ..
            }
        ),
        "{out:?}"
    );
    assert_eq!(msal.calls.load(Ordering::SeqCst), 2);
    // The server saw exactly two sign-in attempts: one token_expired failure, one success.
    let audits = server
        .running
        .state
        .store
        .list_audits(mamgate_store::Page {
            page: 0,
            per_page: 100,
        })
        .await
        .unwrap();
    let logins: Vec<_> = audits
        .iter()
        .filter(|a| a.action == "login_by_intune" && a.status != AuditStatus::Attempt)
        .collect();
    assert_eq!(logins.len(), 2, "{logins:?}");
    assert!(
        logins.iter().any(|a| a.error_id.contains("token_expired")),
        "{logins:?}"
    );
}
