//! Token issuance as the tenant file says: versions, scopes, AADSTS errors, web sign-in.

use mamgate_emulators::jwt;
use mamgate_emulators::tenant::*;
use reqwest::Method;
use serde_json::{json, Value};

use crate::kit::{assert_aadsts, claims, header, login_scope, Kit};

/// Verifies a token's signature against the JWKS served over HTTP.
async fn verify_over_http(kit: &Kit, token: &str) {
    let (_, jwks) = kit
        .get(&format!("{}/discovery/v2.0/keys", kit.authority()))
        .await;
    let d = jwt::decode(token).unwrap();
    let jwk = jwks["keys"]
        .as_array()
        .unwrap()
        .iter()
        .find(|k| k["kid"].as_str() == d.kid())
        .expect("kid published");
    let (n, e) = jwt::jwk_components(jwk).unwrap();
    d.verify(&n, &e).unwrap();
}

#[tokio::test]
async fn official_clients_get_v2_login_tokens() {
    let kit = Kit::start().await;
    for client in OFFICIAL_CLIENT_IDS {
        let (status, body) = kit.token(client, ALICE_UPN, &login_scope()).await;
        assert_eq!(status, 200, "{body}");
        assert_eq!(body["token_type"], json!("Bearer"));
        assert_eq!(body["scope"], json!(login_scope()));
        let token = body["access_token"].as_str().unwrap();
        verify_over_http(&kit, token).await;
        let h = header(token);
        assert_eq!(h["alg"], json!("RS256"));
        assert!(h.get("x5t").is_none(), "x5t is v1 only");
        let c = claims(token);
        assert_eq!(c["aud"], json!(EXAMPLE_SERVER_APP_ID));
        assert_eq!(
            c["iss"],
            json!(format!("{}/{EXAMPLE_TENANT_ID}/v2.0", kit.entra.url))
        );
        assert_eq!(c["ver"], json!("2.0"));
        assert_eq!(c["scp"], json!(LOGIN_SCOPE));
        assert_eq!(c["azp"], json!(client));
        assert_eq!(c["oid"], json!(ALICE_OID));
        assert_eq!(c["tid"], json!(EXAMPLE_TENANT_ID));
        assert_eq!(c["preferred_username"], json!(ALICE_UPN));
        assert_eq!(c["name"], json!("Alice Archer"));
        let (iat, nbf, exp) = (
            c["iat"].as_i64().unwrap(),
            c["nbf"].as_i64().unwrap(),
            c["exp"].as_i64().unwrap(),
        );
        assert!(nbf <= iat && exp - iat == 3600);
    }
}

#[tokio::test]
async fn legacy_manifest_with_null_version_gives_v1() {
    let mut t = example_tenant("http://127.0.0.1:0");
    t.applications = vec![json!({
        "objectId": "0c1d2e3f-4a5b-4c6d-8e7f-9a0b1c2d3e4f",
        "appId": EXAMPLE_SERVER_APP_ID,
        "name": "Mattermost Mobile (Intune MAM)",
        "accessTokenAcceptedVersion": null,
        "identifierUris": [format!("api://{EXAMPLE_SERVER_APP_ID}")],
        "oauth2Permissions": [{"id": EXAMPLE_LOGIN_SCOPE_ID, "value": LOGIN_SCOPE, "type": "User", "isEnabled": true}],
        "preAuthorizedApplications": [{"appId": OFFICIAL_CLIENT_ID, "permissionIds": [EXAMPLE_LOGIN_SCOPE_ID]}],
        "replyUrlsWithType": [],
        "requiredResourceAccess": [{"resourceAppId": MAM_RESOURCE_APP_ID,
            "resourceAccess": [{"id": MAM_PERMISSION_ID, "type": "Scope"}]}]
    })];
    let kit = Kit::with_tenant(t).await;
    let token = kit
        .access_token(OFFICIAL_CLIENT_ID, ALICE_UPN, &login_scope())
        .await;
    verify_over_http(&kit, &token).await;
    let (h, c) = (header(&token), claims(&token));
    assert_eq!(h["x5t"], h["kid"]);
    assert_eq!(
        c["iss"],
        json!(format!("https://sts.windows.net/{EXAMPLE_TENANT_ID}/"))
    );
    assert_eq!(c["aud"], json!(format!("api://{EXAMPLE_SERVER_APP_ID}")));
    assert_eq!(c["ver"], json!("1.0"));
    assert_eq!(c["appid"], json!(OFFICIAL_CLIENT_ID));
    assert_eq!(c["scp"], json!(LOGIN_SCOPE));
    // The MAM token works with the legacy manifest too.
    kit.access_token(OFFICIAL_CLIENT_ID, ALICE_UPN, MAM_SCOPE)
        .await;
}

#[tokio::test]
async fn token_version_patch_switches_format() {
    let kit = Kit::start().await;
    for (version, ver) in [(json!(1), "1.0"), (json!(null), "1.0"), (json!(2), "2.0")] {
        let path = format!("apps/{EXAMPLE_SERVER_APP_ID}/token-version");
        let (s, _) = kit
            .entra_control(Method::PUT, &path, json!({"version": version}))
            .await;
        assert_eq!(s, 204);
        let token = kit
            .access_token(OFFICIAL_CLIENT_ID, ALICE_UPN, &login_scope())
            .await;
        assert_eq!(claims(&token)["ver"], json!(ver), "version {version}");
    }
    let (s, _) = kit
        .entra_control(
            Method::PUT,
            "apps/nope/token-version",
            json!({"version": 2}),
        )
        .await;
    assert_eq!(s, 404);
}

#[tokio::test]
async fn aadsts_errors() {
    let kit = Kit::start().await;
    let (s, b) = kit
        .token(
            "00000000-0000-0000-0000-0000000000aa",
            ALICE_UPN,
            &login_scope(),
        )
        .await;
    assert_aadsts(s, &b, "unauthorized_client", 700016);
    let (s, b) = kit
        .token(
            OFFICIAL_CLIENT_ID,
            ALICE_UPN,
            "api://not-here/login.mattermost",
        )
        .await;
    assert_aadsts(s, &b, "invalid_resource", 500011);
    let (s, b) = kit
        .token(OFFICIAL_CLIENT_ID, "nobody@contoso.example", &login_scope())
        .await;
    assert_aadsts(s, &b, "invalid_grant", 50034);
    // A client of the tenant that is neither pre-authorized nor consented.
    let mut t = kit.tenant();
    let stranger = "22222222-3333-4444-5555-666666666666";
    t.applications
        .push(json!({"appId": stranger, "displayName": "Stranger"}));
    kit.put_tenant(&t).await;
    let (s, b) = kit.token(stranger, ALICE_UPN, &login_scope()).await;
    assert_aadsts(s, &b, "invalid_grant", 65001);
    // Missing parameter, unsupported grant.
    let r = kit
        .http
        .post(format!("{}/oauth2/v2.0/token", kit.authority()))
        .form(&[("grant_type", "magic")])
        .send()
        .await
        .unwrap();
    let (s, b): (u16, Value) = (r.status().as_u16(), r.json().await.unwrap());
    assert_aadsts(s, &b, "unsupported_grant_type", 70003);
    let r = kit
        .http
        .post(format!("{}/oauth2/v2.0/token", kit.authority()))
        .body("\u{0}garbage")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 400);
}

#[tokio::test]
async fn mam_token_needs_permission_and_consent() {
    let kit = Kit::start().await;
    let mam = kit
        .access_token(OFFICIAL_CLIENT_ID, ALICE_UPN, MAM_SCOPE)
        .await;
    let c = claims(&mam);
    assert_eq!(c["aud"], json!(MAM_RESOURCE_URI));
    assert_eq!(c["appid"], json!(OFFICIAL_CLIENT_ID));
    assert_eq!(c["oid"], json!(ALICE_OID));

    // Consent removed → AADSTS650057 on the MAM token request; sign-in itself still works.
    let path = format!("admin-consent/{EXAMPLE_SERVER_APP_ID}");
    let (s, _) = kit
        .entra_control(Method::PUT, &path, json!({"granted": false}))
        .await;
    assert_eq!(s, 204);
    let (s, b) = kit.token(OFFICIAL_CLIENT_ID, ALICE_UPN, MAM_SCOPE).await;
    assert_aadsts(s, &b, "invalid_resource", 650057);
    kit.access_token(OFFICIAL_CLIENT_ID, ALICE_UPN, &login_scope())
        .await;
    kit.entra_control(Method::PUT, &path, json!({"granted": true}))
        .await;
    kit.access_token(OFFICIAL_CLIENT_ID, ALICE_UPN, MAM_SCOPE)
        .await;

    // MAM permission missing from requiredResourceAccess → AADSTS650057 too.
    let mut t = kit.tenant();
    t.applications[0]["requiredResourceAccess"] = json!([]);
    kit.put_tenant(&t).await;
    let (s, b) = kit
        .token(OFFICIAL_BETA_CLIENT_ID, ALICE_UPN, MAM_SCOPE)
        .await;
    assert_aadsts(s, &b, "invalid_resource", 650057);
}

#[tokio::test]
async fn web_sign_in_with_authorization_code_and_graph_me() {
    let kit = Kit::start().await;
    let authorize = format!("{}/oauth2/v2.0/authorize", kit.authority());
    let redirect = "http://127.0.0.1:9/signup/office365/complete";
    let r = kit
        .http
        .get(&authorize)
        .query(&[
            ("client_id", EXAMPLE_SERVER_APP_ID),
            ("response_type", "code"),
            ("redirect_uri", redirect),
            ("scope", "openid profile email User.Read"),
            ("state", "st&ate"),
            ("nonce", "n1"),
            ("login_hint", ALICE_UPN),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 302);
    let location = r.headers()["location"].to_str().unwrap().to_string();
    assert!(
        location.starts_with(&format!("{redirect}?code=")),
        "{location}"
    );
    assert!(location.ends_with("&state=st%26ate"), "{location}");
    let code = location
        .split("code=")
        .nth(1)
        .unwrap()
        .split('&')
        .next()
        .unwrap()
        .to_string();

    let exchange = || {
        kit.http
            .post(format!("{}/oauth2/v2.0/token", kit.authority()))
            .form(&[
                ("grant_type", "authorization_code"),
                ("client_id", EXAMPLE_SERVER_APP_ID),
                ("client_secret", "anything"),
                ("code", code.as_str()),
                ("redirect_uri", redirect),
            ])
    };
    let r = exchange().send().await.unwrap();
    assert_eq!(r.status().as_u16(), 200);
    let body: Value = r.json().await.unwrap();
    let id = claims(body["id_token"].as_str().unwrap());
    assert_eq!(
        (id["aud"].as_str(), id["nonce"].as_str()),
        (Some(EXAMPLE_SERVER_APP_ID), Some("n1"))
    );
    assert_eq!(id["oid"], json!(ALICE_OID));
    let access = body["access_token"].as_str().unwrap();
    assert_eq!(claims(access)["aud"], json!(GRAPH_RESOURCE_URI));

    let r = kit
        .http
        .get(format!("{}/v1.0/me", kit.entra.url))
        .bearer_auth(access)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 200);
    let me: Value = r.json().await.unwrap();
    assert_eq!(me["id"], json!(ALICE_OID));
    assert_eq!(me["userPrincipalName"], json!(ALICE_UPN));
    assert_eq!(me["mail"], json!(ALICE_UPN));
    assert_eq!(
        (me["givenName"].as_str(), me["surname"].as_str()),
        (Some("Alice"), Some("Archer"))
    );
    assert_eq!(me["displayName"], json!("Alice Archer"));

    // Codes are single use; Graph refuses tokens for other audiences.
    let r = exchange().send().await.unwrap();
    let (s, b): (u16, Value) = (r.status().as_u16(), r.json().await.unwrap());
    assert_aadsts(s, &b, "invalid_grant", 70000);
    let login = kit
        .access_token(OFFICIAL_CLIENT_ID, ALICE_UPN, &login_scope())
        .await;
    let r = kit
        .http
        .get(format!("{}/v1.0/me", kit.entra.url))
        .bearer_auth(&login)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 401);
    let r = kit
        .http
        .get(format!("{}/v1.0/me", kit.entra.url))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 401);

    // Without a login hint: a page listing the users.
    let r = kit
        .http
        .get(&authorize)
        .query(&[
            ("client_id", EXAMPLE_SERVER_APP_ID),
            ("redirect_uri", redirect),
            ("state", "s"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 200);
    let html = r.text().await.unwrap();
    assert!(
        html.contains(ALICE_UPN) && html.contains("login_hint="),
        "{html}"
    );

    // Errors after a valid redirect URI go back to it.
    let r = kit
        .http
        .get(&authorize)
        .query(&[
            ("client_id", EXAMPLE_SERVER_APP_ID),
            ("redirect_uri", redirect),
            ("login_hint", "ghost@x"),
            ("state", "s"),
        ])
        .send()
        .await
        .unwrap();
    let location = r.headers()["location"].to_str().unwrap();
    assert!(
        location.contains("error=invalid_grant") && location.contains("AADSTS50034"),
        "{location}"
    );
}
