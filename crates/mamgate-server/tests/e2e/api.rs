//! The `/api/v4` subset: client config and license, users, bots, config, license upload.

use mamgate_core::config::Config;
use serde_json::{json, Value};

use crate::kit::*;

async fn client_config(kit: &Kit) -> Value {
    kit.http
        .get(kit.url("/api/v4/config/client?format=old"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap()
}

fn intune_keys(v: &Value) -> Vec<(String, String)> {
    let mut keys: Vec<(String, String)> = v
        .as_object()
        .unwrap()
        .iter()
        .filter(|(k, _)| k.starts_with("Intune"))
        .map(|(k, v)| (k.clone(), v.as_str().unwrap().to_string()))
        .collect();
    keys.sort();
    keys
}

#[tokio::test]
async fn client_config_by_license_and_config() {
    let idp = Idp::start().await;
    let scope = format!("api://{CLIENT}/login.mattermost");
    type Case<'a> = (
        &'a str,
        Config,
        Option<&'static str>,
        Vec<(&'a str, &'a str)>,
    );
    let cases: Vec<Case> = vec![
        ("no license", intune_config(&idp, "office365"), None, vec![]),
        (
            "professional",
            intune_config(&idp, "office365"),
            Some("professional"),
            vec![],
        ),
        (
            "enterprise",
            intune_config(&idp, "office365"),
            Some("enterprise"),
            vec![],
        ),
        (
            "advanced, intune off",
            {
                let mut c = intune_config(&idp, "office365");
                c.intune_settings.enable = false;
                c
            },
            Some("advanced"),
            vec![("IntuneMAMEnabled", "false")],
        ),
        (
            "entry, intune off",
            {
                let mut c = intune_config(&idp, "office365");
                c.intune_settings.enable = false;
                c
            },
            Some("entry"),
            vec![("IntuneMAMEnabled", "false")],
        ),
        (
            "advanced, office365",
            intune_config(&idp, "office365"),
            Some("advanced"),
            vec![
                ("IntuneAuthService", "office365"),
                ("IntuneMAMEnabled", "true"),
                ("IntuneScope", scope.as_str()),
            ],
        ),
        (
            "advanced, saml",
            intune_config(&idp, "saml"),
            Some("advanced"),
            vec![
                ("IntuneAuthService", "saml"),
                ("IntuneMAMEnabled", "true"),
                ("IntuneScope", scope.as_str()),
            ],
        ),
    ];
    for (name, config, sku, want) in cases {
        let kit = Kit::start(Setup {
            config,
            license_sku: sku,
            env: vec![],
        })
        .await;
        let got = intune_keys(&client_config(&kit).await);
        let want: Vec<(String, String)> = want
            .into_iter()
            .map(|(a, b)| (a.to_string(), b.to_string()))
            .collect();
        assert_eq!(got, want, "case {name}");
        let lic: Value = kit
            .http
            .get(kit.url("/api/v4/license/client?format=old"))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        assert_eq!(
            lic["IsLicensed"],
            if sku.is_some() { "true" } else { "false" },
            "case {name}"
        );
    }
}

#[tokio::test]
async fn users_bots_and_deactivation() {
    let idp = Idp::start().await;
    let kit = Kit::office365(&idp).await;
    // Only the first user may be created without a session; it is the admin.
    let admin = kit.admin_token().await;
    let me: Value = kit.get_json("/api/v4/users/me", &admin).await;
    assert_eq!(me["roles"], "system_admin system_user");
    let r = kit
        .http
        .post(kit.url("/api/v4/users"))
        .json(&json!({"username": "eve", "email": "eve@x.com", "password": "password1"}))
        .send()
        .await
        .unwrap();
    assert_eq!(app_error(r).await.1, "api.context.permissions.app_error");
    let r = kit
        .http
        .post(kit.url("/api/v4/users"))
        .bearer_auth(&admin)
        .json(&json!({"username": "bob", "email": "bob@x.com", "password": "password1"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 201);
    let bob: Value = r.json().await.unwrap();
    assert_eq!(bob["roles"], "system_user");
    let bob_token = kit.login("bob@x.com", "password1").await;
    // Non-admins cannot read the config or audits.
    let r = kit
        .http
        .get(kit.url("/api/v4/config"))
        .bearer_auth(&bob_token)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 403);
    // Duplicate username.
    let r = kit
        .http
        .post(kit.url("/api/v4/users"))
        .bearer_auth(&admin)
        .json(&json!({"username": "bob", "email": "bob2@x.com", "password": "password1"}))
        .send()
        .await
        .unwrap();
    assert_eq!(app_error(r).await.0, 400);
    // Deactivation revokes the sessions.
    let r = kit
        .http
        .put(kit.url(&format!(
            "/api/v4/users/{}/active",
            bob["id"].as_str().unwrap()
        )))
        .bearer_auth(&admin)
        .json(&json!({"active": false}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let r = kit
        .http
        .get(kit.url("/api/v4/users/me"))
        .bearer_auth(&bob_token)
        .send()
        .await
        .unwrap();
    assert_eq!(
        app_error(r).await,
        (
            401,
            "api.context.session_expired.app_error".into(),
            "Invalid or expired session, please login again.".into()
        )
    );
    // Cookie authentication needs the CSRF header on writes.
    let r = kit
        .http
        .post(kit.url("/api/v4/users/login"))
        .json(&json!({"login_id": "admin", "password": "Adm1n-password"}))
        .send()
        .await
        .unwrap();
    let cookies: Vec<String> = r
        .headers()
        .get_all("set-cookie")
        .iter()
        .map(|v| v.to_str().unwrap().split(';').next().unwrap().to_string())
        .collect();
    let csrf = cookies
        .iter()
        .find_map(|c| c.strip_prefix("MMCSRF="))
        .unwrap()
        .to_string();
    let cookie_header = cookies.join("; ");
    let r = kit
        .http
        .get(kit.url("/api/v4/users/me"))
        .header("cookie", &cookie_header)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let bot = json!({"username": "helper"});
    let r = kit
        .http
        .post(kit.url("/api/v4/bots"))
        .header("cookie", &cookie_header)
        .json(&bot)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 401);
    let r = kit
        .http
        .post(kit.url("/api/v4/bots"))
        .header("cookie", &cookie_header)
        .header("x-csrf-token", csrf)
        .json(&bot)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 201);
    // Logout ends the session.
    let r = kit
        .http
        .post(kit.url("/api/v4/users/logout"))
        .bearer_auth(&admin)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let r = kit
        .http
        .get(kit.url("/api/v4/users/me"))
        .bearer_auth(&admin)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 401);
}

#[tokio::test]
async fn config_put_patch_validation_and_masking() {
    let idp = Idp::start().await;
    let mut config = intune_config(&idp, "office365");
    config.office365_settings.secret = "s3cret".into();
    let kit = Kit::start(Setup {
        config,
        license_sku: Some("advanced"),
        env: vec![],
    })
    .await;
    let admin = kit.admin_token().await;
    let cfg: Value = kit.get_json("/api/v4/config", &admin).await;
    assert_eq!(cfg["Office365Settings"]["Secret"], "********");
    // Invalid: answers 400 with the validation id and changes nothing.
    let mut bad = cfg.clone();
    bad["IntuneSettings"]["TenantId"] = json!("contoso.onmicrosoft.com");
    let r = kit
        .http
        .put(kit.url("/api/v4/config"))
        .bearer_auth(&admin)
        .json(&bad)
        .send()
        .await
        .unwrap();
    assert_eq!(
        app_error(r).await.1,
        "model.config.is_valid.intune_tenant_id_format.app_error"
    );
    assert_eq!(kit.server.state.config().intune_settings.tenant_id, TENANT);
    let r = kit
        .http
        .put(kit.url("/api/v4/config/patch"))
        .bearer_auth(&admin)
        .json(&json!({"Office365Settings": {"Enable": false}}))
        .send()
        .await
        .unwrap();
    assert_eq!(
        app_error(r).await.1,
        "model.config.is_valid.intune_requires_office365.app_error"
    );
    // Valid: the masked secret is kept; unknown keys survive.
    let mut good = cfg.clone();
    good["TeamSettings"]["SiteName"] = json!("Contoso Chat");
    good["PluginSettings"] = json!({"Enable": true});
    let r = kit
        .http
        .put(kit.url("/api/v4/config"))
        .bearer_auth(&admin)
        .json(&good)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let state_cfg = kit.server.state.config();
    assert_eq!(state_cfg.office365_settings.secret, "s3cret");
    assert_eq!(state_cfg.team_settings.site_name, "Contoso Chat");
    assert_eq!(state_cfg.extra["PluginSettings"]["Enable"], true);
    assert_eq!(client_config(&kit).await["SiteName"], "Contoso Chat");
}

#[tokio::test]
async fn license_upload_and_removal() {
    let idp = Idp::start().await;
    let kit = Kit::start(Setup {
        config: intune_config(&idp, "office365"),
        license_sku: None,
        env: vec![],
    })
    .await;
    let admin = kit.admin_token().await;
    let upload = |file: String| {
        let form = reqwest::multipart::Form::new().part(
            "license",
            reqwest::multipart::Part::bytes(file.into_bytes()).file_name("x.mattermost-license"),
        );
        kit.http
            .post(kit.url("/api/v4/license"))
            .bearer_auth(&admin)
            .multipart(form)
            .send()
    };
    // Signed by an untrusted key: refused, nothing installed.
    let other = mamgate_core::license::signing_key_from_seed([9; 32]);
    let foreign = mamgate_core::license::License {
        id: "x".into(),
        issued_at: 0,
        starts_at: 0,
        expires_at: i64::MAX / 2,
        customer: Default::default(),
        sku_short_name: "advanced".into(),
        sku_name: "Enterprise Advanced".into(),
        signed_by: String::new(),
    };
    let r = upload(foreign.sign(&other)).await.unwrap();
    assert_eq!(
        app_error(r).await.1,
        "api.license.add_license.invalid.app_error"
    );
    assert!(kit.store().get_license().await.unwrap().is_none());
    assert!(intune_keys(&client_config(&kit).await).is_empty());
    let r = upload(license_file("advanced")).await.unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(
        intune_keys(&client_config(&kit).await)[1],
        ("IntuneMAMEnabled".to_string(), "true".to_string())
    );
    let r = kit
        .http
        .delete(kit.url("/api/v4/license"))
        .bearer_auth(&admin)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    assert!(intune_keys(&client_config(&kit).await).is_empty());
    assert!(kit.store().get_license().await.unwrap().is_none());
}

#[tokio::test]
async fn errors_carry_request_ids_and_never_500_for_client_mistakes() {
    let idp = Idp::start().await;
    let kit = Kit::start(Setup {
        config: intune_config(&idp, "office365"),
        license_sku: None,
        env: vec![],
    })
    .await;
    let r = kit.http.get(kit.url("/api/v4/nope")).send().await.unwrap();
    let rid = r.headers()["x-request-id"].to_str().unwrap().to_string();
    let body: Value = r.json().await.unwrap();
    assert_eq!(body["request_id"], rid);
    let r = kit
        .http
        .post(kit.url("/api/v4/users/login"))
        .body("{")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 400);
    let r = kit.http.get(kit.url("/api/v4/nope")).send().await.unwrap();
    assert_eq!(app_error(r).await.1, "api.context.404.app_error");
    let admin = kit.admin_token().await;
    let r = kit
        .http
        .get(kit.url("/api/v4/users?page=abc"))
        .bearer_auth(&admin)
        .send()
        .await
        .unwrap();
    assert_eq!(
        app_error(r).await,
        (
            400,
            "api.context.invalid_url_param.app_error".into(),
            "Invalid or missing page parameter in request URL.".into()
        )
    );
    let r = kit
        .http
        .get(kit.url("/api/v4/system/ping"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.json::<Value>().await.unwrap()["status"], "OK");
}

#[tokio::test]
async fn metrics_count_sign_ins_by_outcome() {
    let idp = Idp::start().await;
    let kit = Kit::office365(&idp).await;
    assert_eq!(kit.intune(&idp.token(json!({})), "").await.status(), 200);
    assert_eq!(
        kit.intune(&idp.token(json!({"ver": "1.0"})), "")
            .await
            .status(),
        400
    );
    let r = kit.http.get(kit.url("/metrics")).send().await.unwrap();
    assert!(r.headers()["content-type"]
        .to_str()
        .unwrap()
        .starts_with("text/plain"));
    let text = r.text().await.unwrap();
    for want in [
        "mamgate_signins_total{outcome=\"success\",error_id=\"\"} 1",
        "mamgate_signins_total{outcome=\"fail\",error_id=\"ent.intune.validate_token.invalid_token.app_error\"} 1",
        "mamgate_token_validation_seconds_count 2",
        "mamgate_store_signin_seconds_count 1",
        "mamgate_jwks_fetches_total 1",
        "mamgate_open_websockets 0",
    ] {
        assert!(text.contains(want), "missing {want:?} in\n{text}");
    }
}
