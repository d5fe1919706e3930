//! One test per row of CONTRACT §2, each reached on its own, plus the success paths.

use mamgate_core::ErrorId;
use serde_json::{json, Value};

use crate::kit::*;

const INVALID_TOKEN: (u16, &str, &str) = (
    400,
    "ent.intune.validate_token.invalid_token.app_error",
    "Authentication failed. Please try again.",
);

async fn office365() -> (Idp, Kit) {
    let idp = Idp::start().await;
    let kit = Kit::office365(&idp).await;
    (idp, kit)
}

async fn expect(r: reqwest::Response, want: (u16, &str, &str), row: &str) {
    let got = app_error(r).await;
    assert_eq!((got.0, got.1.as_str(), got.2.as_str()), want, "row {row}");
}

async fn assert_nothing_written(kit: &Kit) {
    assert_eq!(
        kit.store().count_users().await.unwrap(),
        0,
        "a failed sign-in wrote a user"
    );
}

#[tokio::test]
async fn row_01_body_not_json() {
    let (_idp, kit) = office365().await;
    for body in ["not json", "[1,2]", "\"x\""] {
        expect(
            kit.intune_raw(body).await,
            (
                400,
                "api.context.invalid_body_param.app_error",
                "Invalid or missing request_body in request body.",
            ),
            "1",
        )
        .await;
    }
}

#[tokio::test]
async fn row_02_access_token_missing() {
    let (_idp, kit) = office365().await;
    for body in [r#"{}"#, r#"{"access_token":""}"#, r#"{"access_token":5}"#] {
        expect(
            kit.intune_raw(body).await,
            (
                400,
                "api.context.invalid_body_param.app_error",
                "Invalid or missing access_token in request body.",
            ),
            "2",
        )
        .await;
    }
}

#[tokio::test]
async fn row_03_voip_device_id_shape() {
    let (idp, kit) = office365().await;
    let body =
        json!({"access_token": idp.token(json!({})), "voip_device_id": "no-prefix"}).to_string();
    expect(
        kit.intune_raw(&body).await,
        (
            400,
            "api.context.invalid_body_param.app_error",
            "Invalid or missing voip_device_id in request body.",
        ),
        "3",
    )
    .await;
    assert_nothing_written(&kit).await;
}

#[cfg(not(feature = "intune"))]
#[tokio::test]
async fn row_04_built_without_intune() {
    let (idp, kit) = office365().await;
    expect(
        kit.intune(&idp.token(json!({})), "").await,
        (
            501,
            "api.user.login_by_intune.not_available.app_error",
            "Microsoft Intune authentication is not available.",
        ),
        "4",
    )
    .await;
}

#[cfg(feature = "intune")]
#[tokio::test]
async fn row_05_not_enabled_or_invalid() {
    let idp = Idp::start().await;
    let want = (
        400,
        "api.user.login_by_intune.not_configured.app_error",
        "Microsoft Intune authentication is not configured.",
    );
    let mut off = intune_config(&idp, "office365");
    off.intune_settings.enable = false;
    let kit = Kit::start(Setup {
        config: off,
        license_sku: Some("advanced"),
        env: vec![],
    })
    .await;
    expect(
        kit.intune(&idp.token(json!({})), "").await,
        want,
        "5 (disabled)",
    )
    .await;
    // Invalid settings can only arrive through an environment override; they still gate.
    let kit = Kit::start(Setup {
        config: intune_config(&idp, "office365"),
        license_sku: Some("advanced"),
        env: vec![(
            "MM_INTUNESETTINGS_TENANTID".into(),
            "contoso.onmicrosoft.com".into(),
        )],
    })
    .await;
    expect(
        kit.intune(&idp.token(json!({})), "").await,
        want,
        "5 (invalid)",
    )
    .await;
}

#[cfg(feature = "intune")]
#[tokio::test]
async fn row_06_license_or_provider() {
    let idp = Idp::start().await;
    let want = (
        403,
        "ent.intune.login.not_configured.app_error",
        "Microsoft Intune authentication is not configured.",
    );
    for sku in [None, Some("professional"), Some("enterprise")] {
        let kit = Kit::start(Setup {
            config: intune_config(&idp, "office365"),
            license_sku: sku,
            env: vec![],
        })
        .await;
        expect(
            kit.intune(&idp.token(json!({})), "").await,
            want,
            &format!("6 (license {sku:?})"),
        )
        .await;
    }
    let kit = Kit::start(Setup {
        config: intune_config(&idp, "office365"),
        license_sku: Some("entry"),
        env: vec![("MM_OFFICE365SETTINGS_ENABLE".into(), "false".into())],
    })
    .await;
    expect(
        kit.intune(&idp.token(json!({})), "").await,
        want,
        "6 (provider off)",
    )
    .await;
}

#[cfg(feature = "intune")]
#[tokio::test]
async fn row_07_keys_unreachable() {
    let idp = Idp::start().await;
    let mut config = intune_config(&idp, "office365");
    // A port nothing listens on.
    let closed = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap();
    config.intune_settings.authority_host = format!("http://{closed}");
    let kit = Kit::start(Setup {
        config,
        license_sku: Some("advanced"),
        env: vec![],
    })
    .await;
    expect(kit.intune("garbage", "").await,
        (500, "ent.intune.validate_token.jwks_init.app_error",
         "Authentication service initialization failed. Please contact your system administrator."), "7").await;
}

#[cfg(feature = "intune")]
#[tokio::test]
async fn row_08_malformed_or_badly_signed() {
    let (idp, kit) = office365().await;
    let good = idp.token(json!({}));
    let mut parts: Vec<&str> = good.split('.').collect();
    let other_sig = idp.token(json!({"name": "x"}));
    let forged_sig = other_sig.split('.').nth(2).unwrap();
    parts[2] = forged_sig;
    let forged = parts.join(".");
    let now = now_secs();
    let cases = [
        ("two parts", "a.b".to_string()),
        ("not base64", "%%%.%%%.%%%".to_string()),
        ("bad signature", forged),
        (
            "alg none",
            sign(
                &json!({"alg": "none", "kid": KID}),
                &json!({"exp": now + 60}),
            ),
        ),
        (
            "alg HS256",
            sign(
                &json!({"alg": "HS256", "kid": KID}),
                &json!({"exp": now + 60}),
            ),
        ),
        (
            "no kid",
            sign(&json!({"alg": "RS256"}), &json!({"exp": now + 60})),
        ),
        (
            "unknown kid",
            sign(
                &json!({"alg": "RS256", "kid": "nope"}),
                &json!({"exp": now + 60}),
            ),
        ),
        ("no exp", idp.token(json!({"exp": null}))),
        (
            "key issuer mismatch",
            idp.token(json!({"iss": "https://evil.example/x/v2.0"})),
        ),
        (
            "too large",
            idp.token(json!({"pad": "x".repeat(17 * 1024)})),
        ),
    ];
    for (name, token) in cases {
        expect(
            kit.intune(&token, "").await,
            INVALID_TOKEN,
            &format!("8 ({name})"),
        )
        .await;
    }
    assert_nothing_written(&kit).await;
}

#[cfg(feature = "intune")]
#[tokio::test]
async fn row_09_expired_is_401() {
    let (idp, kit) = office365().await;
    let now = now_secs();
    let token = idp.token(json!({"exp": now - 301, "iat": now - 4000, "nbf": now - 4000}));
    expect(
        kit.intune(&token, "").await,
        (
            401,
            "ent.intune.validate_token.token_expired.app_error",
            "Authentication session has expired. Please try signing in again.",
        ),
        "9",
    )
    .await;
    // Within the 300 s skew it is still accepted.
    let token = idp.token(json!({"exp": now - 200}));
    assert_eq!(kit.intune(&token, "").await.status(), 200);
}

#[cfg(feature = "intune")]
#[tokio::test]
async fn row_10_missing_claims() {
    let (idp, kit) = office365().await;
    let want = (
        400,
        "ent.intune.validate_token.missing_claims.app_error",
        "Authentication failed. Required user information is missing.",
    );
    for o in [
        json!({"oid": null}),
        json!({"oid": ""}),
        json!({"tid": null}),
    ] {
        expect(
            kit.intune(&idp.token(o.clone()), "").await,
            want,
            &format!("10 ({o})"),
        )
        .await;
    }
    assert_nothing_written(&kit).await;
}

#[cfg(feature = "intune")]
#[tokio::test]
async fn row_11_other_tenant() {
    let (idp, kit) = office365().await;
    let other = "99999999-2222-3333-4444-555555555555";
    // The issuer differs too, but the actionable cause is the tenant.
    let token = idp.token(json!({"tid": other, "iss": format!("{}/{other}/v2.0", idp.url)}));
    expect(
        kit.intune(&token, "").await,
        (
            400,
            "ent.intune.validate_token.invalid_tenant_id.app_error",
            "Authentication failed. Invalid configuration.",
        ),
        "11",
    )
    .await;
}

#[cfg(feature = "intune")]
#[tokio::test]
async fn row_12_claims() {
    let (idp, kit) = office365().await;
    let now = now_secs();
    let cases = [
        ("v1 token", json!({"ver": "1.0"})),
        (
            "audience",
            json!({"aud": "44444444-3333-4444-5555-666666666666"}),
        ),
        ("audience uri", json!({"aud": format!("api://{CLIENT}")})),
        ("nbf future", json!({"nbf": now + 1000})),
        ("scope missing", json!({"scp": "User.Read"})),
        ("no scp, roles", json!({"scp": null, "roles": ["x"]})),
        ("app-only", json!({"idtyp": "app"})),
    ];
    for (name, o) in cases {
        expect(
            kit.intune(&idp.token(o), "").await,
            INVALID_TOKEN,
            &format!("12 ({name})"),
        )
        .await;
    }
    assert_nothing_written(&kit).await;
}

#[cfg(feature = "intune")]
#[tokio::test]
async fn row_13_extract_auth_data() {
    let (idp, kit) = office365().await;
    let want = (
        400,
        "ent.intune.login.extract_auth_data.app_error",
        "Authentication failed. Please try again or contact your system administrator.",
    );
    expect(
        kit.intune(&idp.token(json!({"oid": "adele@contoso.com"})), "")
            .await,
        want,
        "13 (oid not a GUID)",
    )
    .await;
    // SAML keyed by email instead of objectId.
    let mut config = intune_config(&idp, "saml");
    config.saml_settings.id_attribute =
        "http://schemas.xmlsoap.org/ws/2005/05/identity/claims/emailaddress".into();
    let kit2 = Kit::start(Setup {
        config,
        license_sku: Some("advanced"),
        env: vec![],
    })
    .await;
    expect(
        kit2.intune(&idp.token(json!({})), "").await,
        want,
        "13 (saml IdAttribute email)",
    )
    .await;
    assert_nothing_written(&kit).await;
}

#[cfg(feature = "intune")]
#[tokio::test]
async fn row_14_saml_user_not_provisioned() {
    let idp = Idp::start().await;
    let kit = Kit::start(Setup {
        config: intune_config(&idp, "saml"),
        license_sku: Some("advanced"),
        env: vec![],
    })
    .await;
    expect(kit.intune(&idp.token(json!({})), "").await,
        (428, "ent.intune.login.account_not_found.app_error",
         "Your account isn't fully set up yet. Please sign in to Mattermost via the web or desktop app first."), "14").await;
    assert_nothing_written(&kit).await;
    // Provisioned by an admin with AuthData = objectId (upper case accepted), then success.
    let admin = kit.admin_token().await;
    let r = kit.http.post(kit.url("/api/v4/users")).bearer_auth(&admin)
        .json(&json!({"username": "adele", "email": "adele@contoso.com", "auth_service": "saml", "auth_data": OID.to_uppercase()}))
        .send().await.unwrap();
    assert_eq!(r.status(), 201);
    let r = kit
        .intune(&idp.token(json!({})), "apple_rn-v2:device1")
        .await;
    assert_eq!(r.status(), 200);
    let user: Value = r.json().await.unwrap();
    assert_eq!(user["auth_service"], "saml");
    assert_eq!(user["username"], "adele");
}

#[cfg(feature = "intune")]
#[tokio::test]
async fn row_15_bot() {
    let (idp, kit) = office365().await;
    let admin = kit.admin_token().await;
    let r = kit
        .http
        .post(kit.url("/api/v4/bots"))
        .bearer_auth(&admin)
        .json(&json!({"username": "robot"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 201);
    let bot_id = r.json::<Value>().await.unwrap()["user_id"]
        .as_str()
        .unwrap()
        .to_string();
    let mut bot = kit.store().get_user(&bot_id).await.unwrap().unwrap();
    bot.auth_service = "office365".into();
    bot.auth_data = OID.into();
    kit.store().update_user(bot).await.unwrap();
    expect(
        kit.intune(&idp.token(json!({})), "").await,
        (
            403,
            "api.user.login_by_intune.bot_login_forbidden.app_error",
            "Bot accounts cannot sign in using Microsoft authentication.",
        ),
        "15",
    )
    .await;
    assert!(
        kit.store()
            .list_user_sessions(&bot_id)
            .await
            .unwrap()
            .is_empty(),
        "a refused bot got a session"
    );
}

#[cfg(feature = "intune")]
#[tokio::test]
async fn row_16_deactivated() {
    let (idp, kit) = office365().await;
    let r = kit.intune(&idp.token(json!({})), "").await;
    assert_eq!(r.status(), 200);
    let id = r.json::<Value>().await.unwrap()["id"]
        .as_str()
        .unwrap()
        .to_string();
    kit.store().set_user_active(&id, false, 1).await.unwrap();
    expect(
        kit.intune(&idp.token(json!({})), "").await,
        (
            409,
            "api.user.login_by_intune.account_locked.app_error",
            "Your account has been deactivated. Please contact your system administrator.",
        ),
        "16",
    )
    .await;
    assert!(
        kit.store()
            .list_user_sessions(&id)
            .await
            .unwrap()
            .is_empty(),
        "a refused account got a session"
    );
    let audits = kit
        .store()
        .list_audits(mamgate_store::Page {
            page: 0,
            per_page: 10,
        })
        .await
        .unwrap();
    assert_eq!(audits.len(), 2, "one audit record per attempt");
    assert_eq!(audits[0].error_id, ErrorId::AccountLocked.id());
    assert_eq!(audits[0].user_id, id);
}

#[cfg(feature = "intune")]
#[tokio::test]
async fn precedence_follows_the_table() {
    let (idp, kit) = office365().await;
    let now = now_secs();
    let other = "99999999-2222-3333-4444-555555555555";
    let other_iss = format!("{}/{other}/v2.0", idp.url);
    // Expired and of another tenant: row 9 answers.
    let t = idp.token(json!({"exp": now - 1000, "tid": other, "iss": other_iss}));
    assert_eq!(
        app_error(kit.intune(&t, "").await).await.1,
        ErrorId::TokenExpired.id()
    );
    // Other tenant and wrong audience: row 11 answers.
    let t = idp.token(
        json!({"aud": "44444444-3333-4444-5555-666666666666", "tid": other, "iss": other_iss}),
    );
    assert_eq!(
        app_error(kit.intune(&t, "").await).await.1,
        ErrorId::InvalidTenantId.id()
    );
    // Missing oid and wrong audience: row 10 answers.
    let t = idp.token(json!({"aud": "44444444-3333-4444-5555-666666666666", "oid": null}));
    assert_eq!(
        app_error(kit.intune(&t, "").await).await.1,
        ErrorId::MissingClaims.id()
    );
    // A tid that does not match its own issuer fails the key-issuer check of row 8 first.
    let t = idp.token(json!({"tid": other}));
    assert_eq!(
        app_error(kit.intune(&t, "").await).await.1,
        ErrorId::InvalidToken.id()
    );
}

#[cfg(feature = "intune")]
#[tokio::test]
async fn success_office365_jit_session_cookies_audit() {
    let (idp, kit) = office365().await;
    let r = kit
        .intune(&idp.token(json!({})), "apple_rn-v2:device1")
        .await;
    assert_eq!(r.status(), 200);
    assert_eq!(r.headers()["content-type"], "application/json");
    let token = r.headers()["token"].to_str().unwrap().to_string();
    assert_eq!(token.len(), 26);
    let cookies: Vec<String> = r
        .headers()
        .get_all("set-cookie")
        .iter()
        .map(|v| v.to_str().unwrap().to_string())
        .collect();
    for name in ["MMAUTHTOKEN=", "MMUSERID=", "MMCSRF="] {
        let c = cookies
            .iter()
            .find(|c| c.starts_with(name))
            .unwrap_or_else(|| panic!("{name} missing"));
        assert!(c.contains("Path=/") && c.contains("Max-Age=2592000"), "{c}");
    }
    assert!(cookies
        .iter()
        .any(|c| c.starts_with("MMAUTHTOKEN=") && c.contains("HttpOnly")));
    let user: Value = r.json().await.unwrap();
    assert_eq!(user["auth_service"], "office365");
    assert_eq!(user["auth_data"], OID);
    assert_eq!(user["email"], "adele@contoso.com");
    assert_eq!(user["email_verified"], true);
    assert_eq!(user["username"], "adele");
    assert_eq!(user["first_name"], "Adele");
    assert!(user.get("password").is_none_or(|p| p == ""));
    // The session works, and a second sign-in from the same device replaces the first.
    let me = kit
        .http
        .get(kit.url("/api/v4/users/me"))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    assert_eq!(me.status(), 200);
    let r2 = kit
        .intune(&idp.token(json!({})), "apple_rn-v2:device1")
        .await;
    assert_eq!(r2.status(), 200);
    let me = kit
        .http
        .get(kit.url("/api/v4/users/me"))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    assert_eq!(
        me.status(),
        401,
        "the older session of the same device is revoked"
    );
    assert_eq!(kit.store().count_users().await.unwrap(), 1);
    // Upper-case oid maps to the same user.
    let r3 = kit
        .intune(&idp.token(json!({"oid": OID.to_uppercase()})), "")
        .await;
    assert_eq!(r3.status(), 200);
    assert_eq!(kit.store().count_users().await.unwrap(), 1);
    // Audits: admin sees one record per attempt, newest first.
    kit.intune("bad", "").await;
    let id = user["id"].as_str().unwrap();
    let mut u = kit.store().get_user(id).await.unwrap().unwrap();
    u.roles = "system_admin system_user".into();
    kit.store().update_user(u).await.unwrap();
    let token3 = kit.intune(&idp.token(json!({})), "").await.headers()["token"]
        .to_str()
        .unwrap()
        .to_string();
    let audits: Vec<Value> = kit.get_json("/api/v4/audits", &token3).await;
    assert_eq!(audits.len(), 5);
    assert_eq!(audits[1]["status"], "fail");
    assert_eq!(audits[1]["error_id"], ErrorId::InvalidToken.id());
    assert_eq!(audits[0]["status"], "success");
    assert!(audits.iter().all(|a| a["action"] == "login_by_intune"));
}

#[cfg(feature = "intune")]
#[tokio::test]
async fn detailed_error_only_for_developers() {
    let idp = Idp::start().await;
    let mut config = intune_config(&idp, "office365");
    config.service_settings.enable_developer = true;
    let kit = Kit::start(Setup {
        config,
        license_sku: Some("advanced"),
        env: vec![],
    })
    .await;
    let other = "99999999-2222-3333-4444-555555555555";
    let body: Value = kit
        .intune(&idp.token(json!({"tid": other})), "")
        .await
        .json()
        .await
        .unwrap();
    assert!(
        body["detailed_error"].as_str().unwrap().contains("tid"),
        "{body}"
    );
    let (_idp, kit) = office365().await;
    let body: Value = kit
        .intune(&idp.token(json!({"tid": other})), "")
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(body["detailed_error"], "");
}

#[cfg(feature = "intune")]
#[tokio::test]
async fn concurrent_first_sign_ins_create_one_user() {
    let (idp, kit) = office365().await;
    let kit = std::sync::Arc::new(kit);
    let token = idp.token(json!({}));
    let mut tasks = Vec::new();
    for i in 0..50 {
        let (kit, token) = (kit.clone(), token.clone());
        tasks.push(tokio::spawn(async move {
            kit.intune(&token, &format!("apple_rn-v2:d{i}"))
                .await
                .status()
                .as_u16()
        }));
    }
    for t in tasks {
        assert_eq!(t.await.unwrap(), 200);
    }
    assert_eq!(kit.store().count_users().await.unwrap(), 1);
    let user = kit
        .store()
        .get_user_by_auth("office365", OID)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        kit.store()
            .list_user_sessions(&user.id)
            .await
            .unwrap()
            .len(),
        50
    );
}

#[cfg(feature = "intune")]
#[tokio::test]
async fn email_owned_by_another_account() {
    let (idp, kit) = office365().await;
    let _admin = kit.admin_token().await;
    let token =
        idp.token(json!({"email": "admin@contoso.com", "preferred_username": "admin@contoso.com"}));
    let (status, id, _) = app_error(kit.intune(&token, "").await).await;
    assert_eq!((status, id.as_str()), (400, ErrorId::AlreadyAttached.id()));
    assert_eq!(kit.store().count_users().await.unwrap(), 1);
}
