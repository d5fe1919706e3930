//! Intune enrollment outcomes, policy delivery and device events over HTTP.

use std::time::Duration;

use mamgate_emulators::tenant::*;
use reqwest::Method;
use serde_json::{json, Value};

use crate::kit::{login_scope, Kit};

#[tokio::test]
async fn enrollment_outcomes_follow_the_tenant() {
    let kit = Kit::start().await;
    let mam = |upn: &'static str| kit.access_token(OFFICIAL_CLIENT_ID, upn, MAM_SCOPE);

    let alice = mam(ALICE_UPN).await;
    let (s, b) = kit.enroll(&alice, PRODUCTION_BUNDLE_ID).await;
    assert_eq!((s, b["outcome"].as_str()), (200, Some("success")), "{b}");
    assert_eq!(b["policy"]["id"], json!(EXAMPLE_PRODUCTION_POLICY_ID));
    assert_eq!(
        b["policy"]["@odata.type"],
        json!("#microsoft.graph.iosManagedAppProtection")
    );
    assert_eq!(b["oid"], json!(ALICE_OID));

    let (s, b) = kit
        .enroll(&mam(UNLICENSED_UPN).await, PRODUCTION_BUNDLE_ID)
        .await;
    assert_eq!(
        (s, b["outcome"].as_str()),
        (403, Some("not_licensed")),
        "{b}"
    );

    // Licensed, but the policy is assigned to a group the user is not in.
    let (s, b) = kit
        .enroll(&mam(UNTARGETED_UPN).await, PRODUCTION_BUNDLE_ID)
        .await;
    assert_eq!(
        (s, b["outcome"].as_str()),
        (403, Some("not_targeted")),
        "{b}"
    );

    // A production-only policy does not target the beta app.
    let mut t = kit.tenant();
    t.app_protection_policies
        .0
        .retain(|p| p["id"] != json!(EXAMPLE_BETA_POLICY_ID));
    kit.put_tenant(&t).await;
    let (s, b) = kit.enroll(&alice, BETA_BUNDLE_ID).await;
    assert_eq!(
        (s, b["outcome"].as_str()),
        (403, Some("not_targeted")),
        "{b}"
    );
    assert_eq!(kit.enroll(&alice, PRODUCTION_BUNDLE_ID).await.0, 200);

    // A MAM token issued before consent was removed: Intune refuses too.
    kit.entra_control(
        Method::PUT,
        &format!("admin-consent/{EXAMPLE_SERVER_APP_ID}"),
        json!({"granted": false}),
    )
    .await;
    let (s, b) = kit.enroll(&alice, PRODUCTION_BUNDLE_ID).await;
    assert_eq!(
        (s, b["outcome"].as_str()),
        (403, Some("consent_missing")),
        "{b}"
    );
    assert_eq!(b["error_code"], json!("AADSTS650057"));

    // Unlicensing through the control API.
    kit.entra_control(
        Method::PUT,
        &format!("admin-consent/{EXAMPLE_SERVER_APP_ID}"),
        json!({"granted": true}),
    )
    .await;
    let (s, _) = kit
        .intune_control(
            Method::PATCH,
            &format!("users/{ALICE_OID}"),
            json!({"intune_licensed": false}),
        )
        .await;
    assert_eq!(s, 200);
    assert_eq!(
        kit.enroll(&alice, PRODUCTION_BUNDLE_ID).await.1["outcome"],
        json!("not_licensed")
    );
}

#[tokio::test]
async fn tokens_that_are_not_mam_tokens_are_refused() {
    let kit = Kit::start().await;
    let login = kit
        .access_token(OFFICIAL_CLIENT_ID, ALICE_UPN, &login_scope())
        .await;
    let (s, b) = kit.enroll(&login, PRODUCTION_BUNDLE_ID).await;
    assert_eq!(
        (s, b["outcome"].as_str()),
        (401, Some("invalid_token")),
        "{b}"
    );

    let (_, minted) = kit
        .entra_control(Method::POST, "mint", json!({"as": {"username": ALICE_UPN, "client_id": OFFICIAL_CLIENT_ID, "scope": MAM_SCOPE}, "unknown_key": true}))
        .await;
    let (s, b) = kit
        .enroll(minted["token"].as_str().unwrap(), PRODUCTION_BUNDLE_ID)
        .await;
    assert_eq!(s, 401, "{b}");
    let (_, expired) = kit
        .entra_control(Method::POST, "mint", json!({"as": {"username": ALICE_UPN, "client_id": OFFICIAL_CLIENT_ID, "scope": MAM_SCOPE}, "lifetime_secs": -60}))
        .await;
    let (s, b) = kit
        .enroll(expired["token"].as_str().unwrap(), PRODUCTION_BUNDLE_ID)
        .await;
    assert_eq!(s, 401, "{b}");
    assert_eq!(kit.enroll("not-a-token", PRODUCTION_BUNDLE_ID).await.0, 401);
    let r = kit
        .http
        .post(format!("{}/enroll", kit.intune.url))
        .body("{")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 400);
}

#[tokio::test]
async fn policy_fetch() {
    let kit = Kit::start().await;
    let mam = kit
        .access_token(OFFICIAL_BETA_CLIENT_ID, ALICE_UPN, MAM_SCOPE)
        .await;
    let r = kit
        .http
        .get(format!("{}/policy", kit.intune.url))
        .query(&[("bundle_id", BETA_BUNDLE_ID)])
        .bearer_auth(&mam)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 200);
    let b: Value = r.json().await.unwrap();
    assert_eq!(b["policy"]["id"], json!(EXAMPLE_BETA_POLICY_ID));
    let r = kit
        .http
        .get(format!("{}/policy", kit.intune.url))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 400);
}

/// Long-polls the events of `oid` after `after`.
async fn poll(kit: &Kit, oid: &str, after: u64, wait_ms: u64) -> Value {
    let r = kit
        .http
        .get(format!("{}/events", kit.intune.url))
        .query(&[
            ("oid", oid),
            ("after", &after.to_string()),
            ("wait_ms", &wait_ms.to_string()),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 200);
    r.json().await.unwrap()
}

#[tokio::test]
async fn events_reach_waiting_devices() {
    let kit = std::sync::Arc::new(Kit::start().await);
    // A waiting poll wakes when a wipe is triggered.
    let k2 = kit.clone();
    let waiter = tokio::spawn(async move { poll(&k2, ALICE_OID, 0, 10_000).await });
    // Let the poll arrive first: wait on the events counter rather than a fixed sleep.
    let deadline = tokio::time::Instant::now() + Duration::from_secs(5);
    loop {
        let (_, c) = kit
            .intune_control(Method::GET, "counters", json!(null))
            .await;
        if c["events"].as_u64() == Some(1) {
            break;
        }
        assert!(tokio::time::Instant::now() < deadline, "poll never arrived");
        tokio::task::yield_now().await;
    }
    let (s, _) = kit
        .intune_control(Method::POST, "wipe", json!({"oid": ALICE_OID}))
        .await;
    assert_eq!(s, 200);
    let got = waiter.await.unwrap();
    assert_eq!(got["events"][0]["type"], json!("wipe_requested"), "{got}");
    let mut next = got["next"].as_u64().unwrap();

    for kind in [
        "conditional_launch_blocked",
        "compliance_failed",
        "auth_required",
        "identity_switch_required",
        "policy_changed",
    ] {
        let (s, e) = kit
            .intune_control(
                Method::POST,
                "events",
                json!({"oid": ALICE_OID, "type": kind, "bundle_id": PRODUCTION_BUNDLE_ID}),
            )
            .await;
        assert_eq!(s, 200, "{e}");
        let got = poll(&kit, ALICE_OID, next, 1000).await;
        assert_eq!(got["events"][0]["type"], json!(kind));
        assert_eq!(got["events"][0]["bundle_id"], json!(PRODUCTION_BUNDLE_ID));
        next = got["next"].as_u64().unwrap();
    }
    // Other users see nothing; unknown event types are refused.
    assert_eq!(poll(&kit, UNTARGETED_OID, 0, 1).await["events"], json!([]));
    let (s, _) = kit
        .intune_control(
            Method::POST,
            "events",
            json!({"oid": ALICE_OID, "type": "explode"}),
        )
        .await;
    assert_eq!(s, 400);

    // Enrolled devices hear about tenant changes.
    let mam = kit
        .access_token(OFFICIAL_CLIENT_ID, ALICE_UPN, MAM_SCOPE)
        .await;
    assert_eq!(kit.enroll(&mam, PRODUCTION_BUNDLE_ID).await.0, 200);
    let mut t = kit.tenant();
    t.app_protection_policies.0[0]["pinRequired"] = json!(false);
    let (s, _) = kit.intune_control(Method::PUT, "tenant", json!(t)).await;
    assert_eq!(s, 204);
    let got = poll(&kit, ALICE_OID, next, 1000).await;
    assert_eq!(got["events"][0]["type"], json!("policy_changed"), "{got}");
    assert_eq!(
        got["events"][0]["detail"]["policy"]["pinRequired"],
        json!(false)
    );

    let (_, c) = kit
        .intune_control(Method::GET, "counters", json!(null))
        .await;
    assert_eq!(c["enroll"], json!(1));
}
