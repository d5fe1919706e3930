//! SAML web sign-in against the Entra emulator's IdP (real RSA keys, real XML signatures, real
//! HTTP), and identity consistency with the mobile Intune path (AuthService saml).

use std::net::SocketAddr;

use mamgate_core::config::Config;
use mamgate_core::identity::SAML_OBJECT_ID_CLAIM;
use mamgate_emulators::saml::{EMAIL, GIVEN_NAME, SURNAME, UPN};
use mamgate_emulators::tenant::{self as ex, SharedTenant};
use mamgate_emulators::{shared, start_entra, RunningEmulator};
use serde_json::{json, Value};

use crate::kit::*;

const SP_ID: &str = "https://mamgate.test/saml";

/// The emulator, the server configured for SAML web + Intune (saml) against it, a browser.
struct SamlKit {
    tenant: SharedTenant,
    entra: RunningEmulator,
    kit: Kit,
    browser: reqwest::Client,
    _dir: tempfile::TempDir,
}

fn saml_config(entra: &str, cert_file: &str) -> Config {
    let mut c = Config::default();
    let s = &mut c.saml_settings;
    s.enable = true;
    s.idp_url = format!("{entra}/{}/saml2", ex::EXAMPLE_TENANT_ID);
    s.idp_descriptor_url = format!("https://sts.windows.net/{}/", ex::EXAMPLE_TENANT_ID);
    s.service_provider_identifier = SP_ID.into();
    s.idp_certificate_file = cert_file.into();
    s.id_attribute = SAML_OBJECT_ID_CLAIM.into();
    s.first_name_attribute = GIVEN_NAME.into();
    s.last_name_attribute = SURNAME.into();
    c.intune_settings.enable = true;
    c.intune_settings.tenant_id = ex::EXAMPLE_TENANT_ID.into();
    c.intune_settings.client_id = ex::EXAMPLE_SERVER_APP_ID.into();
    c.intune_settings.auth_service = "saml".into();
    c.intune_settings.authority_host = entra.into();
    c.license_settings.trusted_public_keys = vec![license_public_key()];
    c
}

impl SamlKit {
    async fn start() -> SamlKit {
        let tenant = shared(ex::example_tenant("http://127.0.0.1:1"));
        let entra = start_entra(tenant.clone(), SocketAddr::from(([127, 0, 0, 1], 0)))
            .await
            .unwrap();
        // The admin downloads the IdP certificate (PEM) and points IdpCertificateFile at it.
        let pem = reqwest::get(format!("{}/_control/saml/certificate", entra.url))
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        let dir = tempfile::tempdir().unwrap();
        let cert_file = dir.path().join("idp.pem");
        std::fs::write(&cert_file, pem).unwrap();
        let config = saml_config(&entra.url, cert_file.to_str().unwrap());
        let kit = Kit::start(Setup {
            config,
            license_sku: Some("advanced"),
            env: vec![],
        })
        .await;
        let browser = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .unwrap();
        SamlKit {
            tenant,
            entra,
            kit,
            browser,
            _dir: dir,
        }
    }

    /// Spoils the IdP's next Response.
    async fn tamper(&self, how: &str) {
        let r = self
            .browser
            .put(format!("{}/_control/saml/next", self.entra.url))
            .json(&json!({"tamper": how}))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 204);
    }

    /// Starts a sign-in and lets the IdP answer: (ACS URL, SAMLResponse, RelayState).
    async fn idp_answer(&self, hint: &str) -> (String, String, String) {
        let r = self
            .browser
            .get(self.kit.url(&format!(
                "/login/sso/saml?login_hint={hint}&redirect_to=/team/x"
            )))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 302, "{}", r.text().await.unwrap());
        let idp = r.headers()["location"].to_str().unwrap().to_string();
        assert!(
            idp.starts_with(&format!(
                "{}/{}/saml2?SAMLRequest=",
                self.entra.url,
                ex::EXAMPLE_TENANT_ID
            )),
            "{idp}"
        );
        let r = self.browser.get(&idp).send().await.unwrap();
        assert_eq!(r.status(), 200);
        let html = r.text().await.unwrap();
        (
            form_action(&html).unwrap(),
            form_field(&html, "SAMLResponse").unwrap(),
            form_field(&html, "RelayState").unwrap(),
        )
    }

    /// What the browser's auto-submitting form does.
    async fn post_acs(&self, acs: &str, saml_response: &str, relay: &str) -> reqwest::Response {
        self.browser
            .post(acs)
            .form(&[("SAMLResponse", saml_response), ("RelayState", relay)])
            .send()
            .await
            .unwrap()
    }

    async fn sign_in(&self, hint: &str) -> reqwest::Response {
        let (acs, resp, relay) = self.idp_answer(hint).await;
        self.post_acs(&acs, &resp, &relay).await
    }
}

fn form_field(html: &str, field: &str) -> Option<String> {
    let start = html.find(&format!("name=\"{field}\" value=\""))? + field.len() + 15;
    let end = start + html[start..].find('"')?;
    Some(
        html[start..end]
            .replace("&amp;", "&")
            .replace("&quot;", "\""),
    )
}

fn form_action(html: &str) -> Option<String> {
    let start = html.find("action=\"")? + 8;
    let end = start + html[start..].find('"')?;
    Some(html[start..end].replace("&amp;", "&"))
}

fn session_token(r: &reqwest::Response) -> Option<String> {
    r.headers()
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find_map(|c| {
            c.strip_prefix("MMAUTHTOKEN=")
                .map(|rest| rest.split(';').next().unwrap_or("").to_string())
        })
}

#[tokio::test]
async fn web_saml_then_mobile_resolve_one_user() {
    let s = SamlKit::start().await;
    let (acs, saml_response, relay) = s.idp_answer(ex::SAML_USER_UPN).await;
    assert_eq!(acs, s.kit.url("/login/sso/saml"));
    assert_eq!(relay, "/team/x");

    // 1. The ACS verifies the Response, creates the user and opens a web session.
    let r = s.post_acs(&acs, &saml_response, &relay).await;
    assert_eq!(r.status(), 302);
    assert_eq!(r.headers()["location"], "/team/x");
    let token = session_token(&r).unwrap();
    let me: Value = s
        .kit
        .http
        .get(s.kit.url("/api/v4/users/me"))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(me["auth_service"], "saml");
    assert_eq!(me["auth_data"], ex::SAML_USER_OID);
    assert_eq!(me["email"], ex::SAML_USER_UPN);
    assert_eq!(
        (me["first_name"].as_str(), me["last_name"].as_str()),
        (Some("Sam"), Some("Sender"))
    );

    // 2. The same Response again is a replay.
    let r = s.post_acs(&acs, &saml_response, &relay).await;
    assert!(session_token(&r).is_none());
    assert_eq!(
        app_error(r).await.1,
        "ent.saml.do_login.invalid_in_response_to.app_error"
    );

    // 3. Names change at the IdP: the next sign-in finds the same user and updates it.
    {
        let mut t = ex::write(&s.tenant);
        let sam = t
            .users
            .iter_mut()
            .find(|u| u.oid == ex::SAML_USER_OID)
            .unwrap();
        sam.given_name = Some("Samuel".into());
    }
    let r = s.sign_in(ex::SAML_USER_UPN).await;
    assert_eq!(r.status(), 302);
    let again: Value = s
        .kit
        .http
        .get(s.kit.url("/api/v4/users/me"))
        .bearer_auth(session_token(&r).unwrap())
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(
        (again["id"].clone(), again["first_name"].as_str()),
        (me["id"].clone(), Some("Samuel"))
    );

    // 4. A mobile Intune sign-in (AuthService saml, token from the emulator) finds that user.
    let scope = format!("api://{}/login.mattermost", ex::EXAMPLE_SERVER_APP_ID);
    let form = [
        ("grant_type", "password"),
        ("username", ex::SAML_USER_UPN),
        ("client_id", ex::OFFICIAL_CLIENT_ID),
        ("scope", scope.as_str()),
    ];
    let t: Value = s
        .kit
        .http
        .post(format!(
            "{}/{}/oauth2/v2.0/token",
            s.entra.url,
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
    let r = s.kit.intune(access, "apple_rn-v2:phone").await;
    assert_eq!(r.status(), 200, "{}", r.text().await.unwrap());
    let mobile_user: Value = r.json().await.unwrap();
    assert_eq!(mobile_user["id"], me["id"]);
    assert_eq!(s.kit.store().count_users().await.unwrap(), 1);
}

#[tokio::test]
async fn spoiled_responses_are_refused_and_create_nobody() {
    let s = SamlKit::start().await;
    for how in ["unsigned", "wrong_key", "expired", "wrong_audience"] {
        s.tamper(how).await;
        let r = s.sign_in(ex::SAML_USER_UPN).await;
        assert!(session_token(&r).is_none(), "{how}");
        let (status, id, _) = app_error(r).await;
        assert_eq!(
            (status, id.as_str()),
            (400, "ent.saml.do_login.invalid_response.app_error"),
            "{how}"
        );
    }
    // Garbage and nothing at all, while a real request is pending.
    let (acs, saml_response, relay) = s.idp_answer(ex::SAML_USER_UPN).await;
    let r = s.post_acs(&acs, "PHNhbWxwOlJlc3BvbnNlLz4=", &relay).await;
    assert_eq!(
        app_error(r).await.1,
        "ent.saml.do_login.invalid_response.app_error"
    );
    let r = s.post_acs(&acs, "", &relay).await;
    assert_eq!(
        app_error(r).await.1,
        "ent.saml.do_login.invalid_response.app_error"
    );
    assert_eq!(s.kit.store().count_users().await.unwrap(), 0);

    // The untouched Response of that last request still works afterwards.
    let r = s.post_acs(&acs, &saml_response, &relay).await;
    assert_eq!(r.status(), 302);
    assert_eq!(s.kit.store().count_users().await.unwrap(), 1);
}

#[tokio::test]
async fn missing_id_attribute_is_named() {
    let s = SamlKit::start().await;
    ex::write(&s.tenant).saml.attributes = [UPN, EMAIL].map(String::from).to_vec();
    let r = s.sign_in(ex::SAML_USER_UPN).await;
    let (status, id, _) = app_error(r).await;
    assert_eq!(
        (status, id.as_str()),
        (400, "ent.saml.do_login.missing_attribute.app_error")
    );
    assert_eq!(s.kit.store().count_users().await.unwrap(), 0);
}

#[tokio::test]
async fn not_enabled_is_refused_at_both_ends() {
    let mut config = Config::default();
    config.saml_settings.enable = false;
    let kit = Kit::start(Setup {
        config,
        license_sku: None,
        env: vec![],
    })
    .await;
    let r = kit
        .http
        .get(kit.url("/login/sso/saml"))
        .send()
        .await
        .unwrap();
    assert_eq!(app_error(r).await.1, "api.user.saml.not_enabled.app_error");
    let r = kit
        .http
        .post(kit.url("/login/sso/saml"))
        .form(&[("SAMLResponse", "eA==")])
        .send()
        .await
        .unwrap();
    let (status, id, _) = app_error(r).await;
    assert_eq!(
        (status, id.as_str()),
        (501, "api.user.saml.not_enabled.app_error")
    );
}
