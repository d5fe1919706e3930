//! Tokens from the emulator checked by the server's validator (`mamgate-token`): accepted when
//! the tenant is consistent, refused with the right server error id for each inconsistency the
//! tenant file can express.

use mamgate_core::config::IntuneSettings;
use mamgate_core::ErrorId;
use mamgate_emulators::tenant::*;
use mamgate_token::Validator;
use reqwest::Method;
use serde_json::json;

use crate::kit::{login_scope, Kit};

fn settings(kit: &Kit, client_id: &str) -> IntuneSettings {
    IntuneSettings {
        enable: true,
        tenant_id: EXAMPLE_TENANT_ID.into(),
        client_id: client_id.into(),
        auth_service: "office365".into(),
        authority_host: kit.entra.url.clone(),
        ..Default::default()
    }
}

fn now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64
}

/// Validates with a fresh validator (no cached keys from another case).
async fn check(kit: &Kit, token: &str, client_id: &str) -> Result<mamgate_token::Claims, ErrorId> {
    Validator::http()
        .unwrap()
        .validate(token, &settings(kit, client_id), now())
        .await
        .map_err(|e| e.id)
}

#[tokio::test]
async fn consistent_tenant_tokens_validate() {
    let kit = Kit::start().await;
    for client in OFFICIAL_CLIENT_IDS {
        let token = kit.access_token(client, ALICE_UPN, &login_scope()).await;
        let claims = check(&kit, &token, EXAMPLE_SERVER_APP_ID).await.unwrap();
        assert_eq!(
            (claims.oid.as_str(), claims.tid.as_str()),
            (ALICE_OID, EXAMPLE_TENANT_ID)
        );
        assert_eq!(claims.ver, "2.0");
        assert_eq!(claims.azp.as_deref(), Some(client));
    }
    // After a rotation the validator refreshes on the unknown kid.
    let v = Validator::http().unwrap();
    let s = settings(&kit, EXAMPLE_SERVER_APP_ID);
    let t1 = kit
        .access_token(OFFICIAL_CLIENT_ID, ALICE_UPN, &login_scope())
        .await;
    v.validate(&t1, &s, now()).await.unwrap();
    kit.entra_control(Method::POST, "keys/rotate", json!({"keep_old": false}))
        .await;
    let t2 = kit
        .access_token(OFFICIAL_CLIENT_ID, ALICE_UPN, &login_scope())
        .await;
    v.validate(&t2, &s, now()).await.unwrap();
}

#[tokio::test]
async fn v1_tokens_are_refused() {
    let kit = Kit::start().await;
    let path = format!("apps/{EXAMPLE_SERVER_APP_ID}/token-version");
    kit.entra_control(Method::PUT, &path, json!({"version": null}))
        .await;
    let token = kit
        .access_token(OFFICIAL_CLIENT_ID, ALICE_UPN, &login_scope())
        .await;
    assert_eq!(
        check(&kit, &token, EXAMPLE_SERVER_APP_ID)
            .await
            .unwrap_err(),
        ErrorId::InvalidToken
    );
}

#[tokio::test]
async fn wrong_scope_and_wrong_audience_are_refused() {
    let mut t = example_tenant("http://127.0.0.1:0");
    // A second registration the official client is pre-authorized on, exposing another scope
    // name and login.mattermost: a token for it is not for the configured ClientId.
    let other = "3c4d5e6f-7a8b-4c9d-8e0f-1a2b3c4d5e6f";
    t.applications.push(json!({
        "appId": other, "identifierUris": [format!("api://{other}")],
        "api": {"requestedAccessTokenVersion": 2,
            "oauth2PermissionScopes": [
                {"id": "aaaaaaaa-0000-0000-0000-000000000001", "value": "access_as_user", "type": "User", "isEnabled": true},
                {"id": "aaaaaaaa-0000-0000-0000-000000000002", "value": LOGIN_SCOPE, "type": "User", "isEnabled": true}],
            "preAuthorizedApplications": [{"appId": OFFICIAL_CLIENT_ID, "delegatedPermissionIds":
                ["aaaaaaaa-0000-0000-0000-000000000001", "aaaaaaaa-0000-0000-0000-000000000002"]}]}
    }));
    let kit = Kit::with_tenant(t).await;
    let wrong_scope = kit
        .access_token(
            OFFICIAL_CLIENT_ID,
            ALICE_UPN,
            &format!("api://{other}/access_as_user"),
        )
        .await;
    assert_eq!(
        check(&kit, &wrong_scope, other).await.unwrap_err(),
        ErrorId::InvalidToken,
        "scope"
    );
    check(
        &kit,
        &kit.access_token(
            OFFICIAL_CLIENT_ID,
            ALICE_UPN,
            &format!("api://{other}/{LOGIN_SCOPE}"),
        )
        .await,
        other,
    )
    .await
    .unwrap();
    let wrong_aud = kit
        .access_token(
            OFFICIAL_CLIENT_ID,
            ALICE_UPN,
            &format!("api://{other}/{LOGIN_SCOPE}"),
        )
        .await;
    assert_eq!(
        check(&kit, &wrong_aud, EXAMPLE_SERVER_APP_ID)
            .await
            .unwrap_err(),
        ErrorId::InvalidToken,
        "audience"
    );
    // The MAM token is not a sign-in token either.
    let mam = kit
        .access_token(OFFICIAL_CLIENT_ID, ALICE_UPN, MAM_SCOPE)
        .await;
    assert_eq!(
        check(&kit, &mam, EXAMPLE_SERVER_APP_ID).await.unwrap_err(),
        ErrorId::InvalidToken,
        "MAM token"
    );
}

#[tokio::test]
async fn token_of_another_tenant_is_refused() {
    let kit = Kit::start().await;
    let v = Validator::http().unwrap();
    let s = settings(&kit, EXAMPLE_SERVER_APP_ID);
    let good = kit
        .access_token(OFFICIAL_CLIENT_ID, ALICE_UPN, &login_scope())
        .await;
    v.validate(&good, &s, now()).await.unwrap();
    // The tenant file now describes another tenant (Entra signs every tenant with the same keys).
    let mut t = kit.tenant();
    t.tenant_id = "9d8c7b6a-5f4e-4d3c-8b2a-1f0e9d8c7b6a".into();
    kit.put_tenant(&t).await;
    let foreign = kit
        .access_token(OFFICIAL_CLIENT_ID, ALICE_UPN, &login_scope())
        .await;
    assert_eq!(
        v.validate(&foreign, &s, now()).await.unwrap_err().id,
        ErrorId::InvalidTenantId
    );
    // And with nothing cached, discovery of the configured tenant fails: no keys.
    assert_eq!(
        check(&kit, &foreign, EXAMPLE_SERVER_APP_ID)
            .await
            .unwrap_err(),
        ErrorId::JwksInit
    );
}

#[tokio::test]
async fn minted_and_faulted_cases() {
    let kit = Kit::start().await;
    let base =
        json!({"username": ALICE_UPN, "client_id": OFFICIAL_CLIENT_ID, "scope": login_scope()});
    let cases = [
        (
            "expired",
            json!({"as": base, "lifetime_secs": -3600}),
            ErrorId::TokenExpired,
        ),
        (
            "no oid",
            json!({"as": base, "claims": {"oid": null}}),
            ErrorId::MissingClaims,
        ),
        (
            "unknown key",
            json!({"as": base, "unknown_key": true}),
            ErrorId::InvalidToken,
        ),
        (
            "other tid",
            json!({"as": base, "claims": {"tid": "9d8c7b6a-5f4e-4d3c-8b2a-1f0e9d8c7b6a",
            "iss": format!("{}/9d8c7b6a-5f4e-4d3c-8b2a-1f0e9d8c7b6a/v2.0", kit.entra.url)}}),
            ErrorId::InvalidTenantId,
        ),
    ];
    for (name, body, want) in cases {
        let (s, m) = kit.entra_control(Method::POST, "mint", body).await;
        assert_eq!(s, 200, "{name}: {m}");
        let got = check(&kit, m["token"].as_str().unwrap(), EXAMPLE_SERVER_APP_ID).await;
        assert_eq!(got.map(|_| ()).unwrap_err(), want, "{name}");
    }
    kit.entra_control(Method::PUT, "faults", json!({"discovery": {"status": 503}}))
        .await;
    let token = kit
        .access_token(OFFICIAL_CLIENT_ID, ALICE_UPN, &login_scope())
        .await;
    assert_eq!(
        check(&kit, &token, EXAMPLE_SERVER_APP_ID)
            .await
            .unwrap_err(),
        ErrorId::JwksInit
    );
    kit.entra_control(Method::PUT, "faults", json!({"jwks": {"status": 500}}))
        .await;
    assert_eq!(
        check(&kit, &token, EXAMPLE_SERVER_APP_ID)
            .await
            .unwrap_err(),
        ErrorId::JwksInit
    );
}
