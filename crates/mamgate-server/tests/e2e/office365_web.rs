//! Office 365 web sign-in against the Entra emulator, and identity consistency with the
//! mobile path: both resolve the same user by objectId.

use std::net::SocketAddr;

use mamgate_core::config::Config;
use mamgate_emulators::tenant as ex;
use mamgate_emulators::{shared, start_entra};
use serde_json::{json, Value};

use crate::kit::*;

fn web_config(authority: &str) -> Config {
    let mut c = Config::default();
    c.office365_settings.enable = true;
    c.office365_settings.id = ex::EXAMPLE_SERVER_APP_ID.into();
    c.office365_settings.secret = "sandbox-secret".into();
    c.office365_settings.directory_id = ex::EXAMPLE_TENANT_ID.into();
    c.intune_settings.enable = true;
    c.intune_settings.tenant_id = ex::EXAMPLE_TENANT_ID.into();
    c.intune_settings.client_id = ex::EXAMPLE_SERVER_APP_ID.into();
    c.intune_settings.auth_service = "office365".into();
    c.intune_settings.authority_host = authority.into();
    c.license_settings.trusted_public_keys = vec![license_public_key()];
    c
}

#[tokio::test]
async fn web_then_mobile_resolve_one_user() {
    let tenant = shared(ex::example_tenant("http://127.0.0.1:1"));
    let entra = start_entra(tenant, SocketAddr::from(([127, 0, 0, 1], 0)))
        .await
        .unwrap();
    let kit = Kit::start(Setup {
        config: web_config(&entra.url),
        license_sku: Some("advanced"),
        env: vec![],
    })
    .await;
    let browser = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();

    // 1. The server sends the browser to Entra's authorize endpoint with a state cookie.
    let r = browser
        .get(kit.url(&format!(
            "/oauth/office365/login?login_hint={}",
            ex::ALICE_UPN
        )))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 302);
    let authorize = r.headers()["location"].to_str().unwrap().to_string();
    assert!(
        authorize.starts_with(&format!(
            "{}/{}/oauth2/v2.0/authorize?",
            entra.url,
            ex::EXAMPLE_TENANT_ID
        )),
        "{authorize}"
    );
    let state_cookie = r.headers()["set-cookie"]
        .to_str()
        .unwrap()
        .split(';')
        .next()
        .unwrap()
        .to_string();

    // 2. Entra (auto-approving for the hinted user) redirects back with a code.
    let r = browser.get(&authorize).send().await.unwrap();
    assert_eq!(r.status().as_u16() / 100, 3, "{}", r.text().await.unwrap());
    let callback = r.headers()["location"].to_str().unwrap().to_string();
    assert!(
        callback.contains("/signup/office365/complete?"),
        "{callback}"
    );

    // A callback without the state cookie is refused.
    let r = browser.get(&callback).send().await.unwrap();
    assert_eq!(
        app_error(r).await.1,
        "api.oauth.invalid_state_token.app_error"
    );

    // 3. The callback signs the user in, keyed by Graph id = objectId.
    let r = browser
        .get(&callback)
        .header("cookie", &state_cookie)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 302);
    let token = r
        .headers()
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find_map(|c| {
            c.strip_prefix("MMAUTHTOKEN=")
                .map(|rest| rest.split(';').next().unwrap().to_string())
        })
        .unwrap();
    let me: Value = kit
        .http
        .get(kit.url("/api/v4/users/me"))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(me["auth_service"], "office365");
    assert_eq!(me["auth_data"], ex::ALICE_OID);

    // 4. A mobile sign-in for the same person (token from the emulator) finds that user.
    let form = [
        ("grant_type", "password"),
        ("username", ex::ALICE_UPN),
        ("client_id", ex::OFFICIAL_CLIENT_ID),
        (
            "scope",
            &format!("api://{}/login.mattermost", ex::EXAMPLE_SERVER_APP_ID),
        ),
    ];
    let t: Value = kit
        .http
        .post(format!(
            "{}/{}/oauth2/v2.0/token",
            entra.url,
            ex::EXAMPLE_TENANT_ID
        ))
        .form(&form)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let access = t["access_token"].as_str().unwrap_or_else(|| panic!("{t}"));
    let r = kit.intune(access, "apple_rn-v2:phone").await;
    assert_eq!(r.status(), 200);
    let mobile_user: Value = r.json().await.unwrap();
    assert_eq!(mobile_user["id"], me["id"]);
    assert_eq!(kit.store().count_users().await.unwrap(), 1);
    let _ = json!({});
}
