//! Discovery, JWKS, key rotation, faults and counters.

use std::time::Instant;

use base64::Engine as _;
use mamgate_emulators::tenant::{ALICE_UPN, EXAMPLE_TENANT_ID, OFFICIAL_CLIENT_ID};
use reqwest::Method;
use serde_json::{json, Value};

use crate::kit::{header, login_scope, Kit};

#[tokio::test]
async fn discovery_issuer_forms() {
    let kit = Kit::start().await;
    let (status, doc) = kit
        .get(&format!(
            "{}/v2.0/.well-known/openid-configuration",
            kit.authority()
        ))
        .await;
    assert_eq!(status, 200);
    assert_eq!(
        doc["issuer"],
        json!(format!("{}/{EXAMPLE_TENANT_ID}/v2.0", kit.entra.url))
    );
    assert_eq!(
        doc["jwks_uri"],
        json!(format!("{}/discovery/v2.0/keys", kit.authority()))
    );
    assert_eq!(
        doc["token_endpoint"],
        json!(format!("{}/oauth2/v2.0/token", kit.authority()))
    );
    assert_eq!(
        doc["authorization_endpoint"],
        json!(format!("{}/oauth2/v2.0/authorize", kit.authority()))
    );
    for segment in ["common", "organizations"] {
        let (status, doc) = kit
            .get(&format!(
                "{}/{segment}/v2.0/.well-known/openid-configuration",
                kit.entra.url
            ))
            .await;
        assert_eq!(status, 200);
        assert_eq!(
            doc["issuer"],
            json!(format!("{}/{{tenantid}}/v2.0", kit.entra.url))
        );
    }
    let other = "00000000-1111-2222-3333-444444444444";
    let r = kit
        .http
        .get(format!(
            "{}/{other}/v2.0/.well-known/openid-configuration",
            kit.entra.url
        ))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 400);
    let body: Value = r.json().await.unwrap();
    assert_eq!(body["error_codes"], json!([90002]));
}

#[tokio::test]
async fn jwks_shape_and_rotation() {
    let kit = Kit::start().await;
    let jwks_url = format!("{}/discovery/v2.0/keys", kit.authority());
    let (_, jwks) = kit.get(&jwks_url).await;
    let keys = jwks["keys"].as_array().unwrap().clone();
    assert_eq!(keys.len(), 1);
    let k = &keys[0];
    assert_eq!(
        (k["kty"].as_str(), k["use"].as_str()),
        (Some("RSA"), Some("sig"))
    );
    assert_eq!(k["kid"], k["x5t"]);
    assert_eq!(
        k["issuer"],
        json!(format!("{}/{{tenantid}}/v2.0", kit.entra.url))
    );
    let n = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(k["n"].as_str().unwrap())
        .unwrap();
    assert_eq!(n.len(), 256, "RSA-2048");
    assert_eq!(k["e"], json!("AQAB"));
    let first_kid = k["kid"].as_str().unwrap().to_string();

    // The same keys sign every tenant.
    let (_, common) = kit
        .get(&format!("{}/common/discovery/v2.0/keys", kit.entra.url))
        .await;
    assert_eq!(common["keys"][0]["kid"], json!(first_kid));

    let (status, r) = kit
        .entra_control(Method::POST, "keys/rotate", json!({"keep_old": true}))
        .await;
    assert_eq!(status, 200, "{r}");
    let new_kid = r["kid"].as_str().unwrap().to_string();
    assert_ne!(new_kid, first_kid);
    let (_, jwks) = kit.get(&jwks_url).await;
    let kids: Vec<&str> = jwks["keys"]
        .as_array()
        .unwrap()
        .iter()
        .map(|k| k["kid"].as_str().unwrap())
        .collect();
    assert_eq!(
        kids,
        vec![new_kid.as_str(), first_kid.as_str()],
        "new key first, old kept"
    );
    let token = kit
        .access_token(OFFICIAL_CLIENT_ID, ALICE_UPN, &login_scope())
        .await;
    assert_eq!(
        header(&token)["kid"],
        json!(new_kid),
        "new tokens use the new key"
    );

    let (_, r) = kit
        .entra_control(Method::POST, "keys/rotate", json!({"keep_old": false}))
        .await;
    let (_, jwks) = kit.get(&jwks_url).await;
    let kids: Vec<&str> = jwks["keys"]
        .as_array()
        .unwrap()
        .iter()
        .map(|k| k["kid"].as_str().unwrap())
        .collect();
    assert_eq!(kids, vec![r["kid"].as_str().unwrap()], "old keys dropped");
}

#[tokio::test]
async fn discovery_and_jwks_faults() {
    let kit = Kit::start().await;
    let disc = format!("{}/v2.0/.well-known/openid-configuration", kit.authority());
    let jwks = format!("{}/discovery/v2.0/keys", kit.authority());
    let (s, _) = kit
        .entra_control(Method::PUT, "faults", json!({"discovery": {"status": 503}}))
        .await;
    assert_eq!(s, 200);
    assert_eq!(kit.get(&disc).await.0, 503);
    assert_eq!(kit.get(&jwks).await.0, 200);
    kit.entra_control(Method::PUT, "faults", json!({"jwks": {"status": 500}}))
        .await;
    assert_eq!(kit.get(&disc).await.0, 200, "PUT replaces every fault");
    assert_eq!(kit.get(&jwks).await.0, 500);
    kit.entra_control(
        Method::PUT,
        "faults",
        json!({"discovery": {"delay_ms": 300}}),
    )
    .await;
    let started = Instant::now();
    assert_eq!(kit.get(&disc).await.0, 200);
    assert!(started.elapsed().as_millis() >= 300);
    let (s, _) = kit
        .entra_control(Method::DELETE, "faults", json!(null))
        .await;
    assert_eq!(s, 204);
    assert_eq!(kit.get(&jwks).await.0, 200);
    let (s, _) = kit
        .entra_control(Method::PUT, "faults", json!({"token": {"status": 503}}))
        .await;
    assert_eq!(s, 200);
    assert_eq!(
        kit.token(OFFICIAL_CLIENT_ID, ALICE_UPN, &login_scope())
            .await
            .0,
        503
    );
    let (s, _) = kit
        .entra_control(Method::PUT, "faults", json!("nonsense"))
        .await;
    assert_eq!(s, 400);
}

#[tokio::test]
async fn counters_count_requests() {
    let kit = Kit::start().await;
    let (s, _) = kit
        .entra_control(Method::POST, "counters/reset", json!(null))
        .await;
    assert_eq!(s, 204);
    let disc = format!("{}/v2.0/.well-known/openid-configuration", kit.authority());
    kit.get(&disc).await;
    kit.get(&disc).await;
    kit.get(&format!("{}/discovery/v2.0/keys", kit.authority()))
        .await;
    kit.token(OFFICIAL_CLIENT_ID, ALICE_UPN, &login_scope())
        .await;
    let (_, c) = kit
        .entra_control(Method::GET, "counters", json!(null))
        .await;
    assert_eq!(
        (
            c["discovery"].as_u64(),
            c["jwks"].as_u64(),
            c["token"].as_u64()
        ),
        (Some(2), Some(1), Some(1)),
        "{c}"
    );
}
