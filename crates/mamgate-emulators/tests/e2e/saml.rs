//! The SAML IdP: redirect-binding AuthnRequest in, signed Response out, checked here with
//! samael's service provider against the certificate the emulator publishes.

use std::io::Write;

use base64::engine::general_purpose::STANDARD;
use base64::Engine as _;
use mamgate_emulators::saml::{EMAIL, GIVEN_NAME, OBJECT_ID, SURNAME, TENANT_ID, UPN};
use mamgate_emulators::tenant::{EXAMPLE_TENANT_ID, SAML_USER_OID, SAML_USER_UPN};
use reqwest::Method;
use samael::metadata::EntityDescriptor;
use samael::schema::{Assertion, AuthnRequest, Issuer};
use samael::service_provider::{Error as SpError, ServiceProvider};
use samael::traits::ToXml;
use serde_json::json;

use crate::kit::Kit;

const SP_ID: &str = "https://chat.example.com";
const ACS: &str = "https://chat.example.com/login/sso/saml";

/// A fresh AuthnRequest (id, redirect-binding encoding).
fn authn_request() -> (String, String) {
    let id = format!("_{}", uuid::Uuid::new_v4().simple());
    let req = AuthnRequest {
        id: id.clone(),
        version: "2.0".into(),
        issue_instant: chrono::Utc::now(),
        issuer: Some(Issuer {
            value: Some(SP_ID.into()),
            ..Issuer::default()
        }),
        assertion_consumer_service_url: Some(ACS.into()),
        ..AuthnRequest::default()
    };
    let xml = req.to_string().unwrap();
    let mut enc = flate2::write::DeflateEncoder::new(Vec::new(), flate2::Compression::default());
    enc.write_all(xml.as_bytes()).unwrap();
    (id, STANDARD.encode(enc.finish().unwrap()))
}

/// The value of `name="{field}"` in the auto-submitting form.
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
    Some(html[start..end].to_string())
}

impl Kit {
    /// Runs the SSO endpoint; returns status and body.
    async fn saml2(&self, query: &[(&str, &str)]) -> (u16, String) {
        let r = self
            .http
            .get(format!("{}/saml2", self.authority()))
            .query(query)
            .send()
            .await
            .unwrap();
        (r.status().as_u16(), r.text().await.unwrap())
    }

    /// A service provider trusting whatever the federation metadata publishes.
    async fn sp(&self) -> ServiceProvider {
        let url = format!(
            "{}/federationmetadata/2007-06/federationmetadata.xml",
            self.authority()
        );
        let r = self.http.get(url).send().await.unwrap();
        assert_eq!(r.status(), 200);
        let xml = r.text().await.unwrap();
        let idp: EntityDescriptor = xml.parse().unwrap();
        ServiceProvider {
            entity_id: Some(SP_ID.into()),
            acs_url: Some(ACS.into()),
            idp_metadata: idp,
            ..ServiceProvider::default()
        }
    }

    /// Signs Sam in for a new AuthnRequest and has `sp` check the Response.
    async fn sign_in(&self, sp: &ServiceProvider) -> Result<Assertion, SpError> {
        let (id, req) = authn_request();
        let (status, html) = self
            .saml2(&[
                ("SAMLRequest", &req),
                ("RelayState", "/after?x=1"),
                ("login_hint", SAML_USER_UPN),
            ])
            .await;
        assert_eq!(status, 200, "{html}");
        assert_eq!(form_action(&html).as_deref(), Some(ACS));
        assert_eq!(
            form_field(&html, "RelayState").as_deref(),
            Some("/after?x=1")
        );
        let b64 = form_field(&html, "SAMLResponse").unwrap();
        let xml = String::from_utf8(STANDARD.decode(b64).unwrap()).unwrap();
        sp.parse_xml_response(&xml, Some(&[id.as_str()]))
    }
}

fn attribute(a: &Assertion, name: &str) -> Option<String> {
    a.attribute_statements
        .iter()
        .flatten()
        .flat_map(|s| &s.attributes)
        .find(|at| at.name.as_deref() == Some(name))
        .and_then(|at| at.values.first())
        .and_then(|v| v.value.clone())
}

#[tokio::test]
async fn signed_response_verifies_with_the_published_certificate() {
    let kit = Kit::start().await;
    let sp = kit.sp().await;
    let a = kit.sign_in(&sp).await.unwrap();
    assert_eq!(
        a.issuer.value.as_deref(),
        Some(format!("https://sts.windows.net/{EXAMPLE_TENANT_ID}/").as_str())
    );
    assert_eq!(
        a.subject.as_ref().unwrap().name_id.as_ref().unwrap().value,
        SAML_USER_UPN
    );
    assert_eq!(attribute(&a, OBJECT_ID).as_deref(), Some(SAML_USER_OID));
    assert_eq!(attribute(&a, TENANT_ID).as_deref(), Some(EXAMPLE_TENANT_ID));
    assert_eq!(attribute(&a, UPN).as_deref(), Some(SAML_USER_UPN));
    assert_eq!(attribute(&a, EMAIL).as_deref(), Some(SAML_USER_UPN));
    assert_eq!(attribute(&a, GIVEN_NAME).as_deref(), Some("Sam"));
    assert_eq!(attribute(&a, SURNAME).as_deref(), Some("Sender"));
    let c = a.conditions.as_ref().unwrap();
    assert_eq!(
        c.audience_restrictions.as_ref().unwrap()[0].audience,
        [SP_ID]
    );
    let window = c.not_on_or_after.unwrap() - c.not_before.unwrap();
    assert_eq!(window.num_seconds(), 600);

    // The PEM on the control endpoint is the certificate of the metadata.
    let pem = kit
        .http
        .get(format!("{}/_control/saml/certificate", kit.entra.url))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let from_pem = openssl::x509::X509::from_pem(pem.as_bytes()).unwrap();
    let from_metadata = sp.idp_signing_certs().unwrap().unwrap();
    assert_eq!(from_pem.to_der().unwrap(), from_metadata[0].der_data());

    // A second sign-in is signed by the same key.
    kit.sign_in(&sp).await.unwrap();
}

#[tokio::test]
async fn knobs_spoil_the_next_response_only() {
    let kit = Kit::start().await;
    let sp = kit.sp().await;
    let cases = [
        ("unsigned", "signature"),
        ("wrong_key", "signature"),
        ("expired", "expired"),
        ("wrong_audience", "audience"),
    ];
    for (tamper, expected) in cases {
        let (s, body) = kit
            .entra_control(Method::PUT, "saml/next", json!({ "tamper": tamper }))
            .await;
        assert_eq!(s, 204, "{body}");
        let (_, shown) = kit
            .entra_control(Method::GET, "saml/next", serde_json::Value::Null)
            .await;
        assert_eq!(shown["tamper"], json!(tamper));
        let err = kit.sign_in(&sp).await.unwrap_err();
        let ok = match expected {
            "signature" => matches!(err, SpError::FailedToValidateSignature),
            "expired" => matches!(
                err,
                SpError::ResponseExpired { .. } | SpError::AssertionExpired { .. }
            ),
            _ => matches!(
                err,
                SpError::AssertionConditionAudienceRestrictionFailed { .. }
            ),
        };
        assert!(ok, "{tamper}: {err:?}");
        // One response only: the next one is good again.
        kit.sign_in(&sp).await.unwrap();
    }
    let (s, _) = kit
        .entra_control(Method::PUT, "saml/next", json!({ "tamper": "sideways" }))
        .await;
    assert_eq!(s, 400);
}

#[tokio::test]
async fn without_a_hint_it_lists_the_users() {
    let kit = Kit::start().await;
    let (_, req) = authn_request();
    let (status, html) = kit
        .saml2(&[("SAMLRequest", &req), ("RelayState", "r")])
        .await;
    assert_eq!(status, 200);
    assert!(html.contains("login_hint=sam%40contoso.example"), "{html}");
    assert!(html.contains("SAMLRequest="), "{html}");
    assert!(!html.contains("SAMLResponse"));
}

#[tokio::test]
async fn bad_requests_get_aadsts_errors() {
    let kit = Kit::start().await;
    let (s, body) = kit.saml2(&[("login_hint", SAML_USER_UPN)]).await;
    assert_eq!(s, 400);
    assert!(body.contains("AADSTS750054"), "{body}");
    let (s, body) = kit
        .saml2(&[
            ("SAMLRequest", "not base64!"),
            ("login_hint", SAML_USER_UPN),
        ])
        .await;
    assert_eq!(s, 400);
    assert!(body.contains("AADSTS750056"), "{body}");
    let (_, req) = authn_request();
    let (s, body) = kit
        .saml2(&[
            ("SAMLRequest", &req),
            ("login_hint", "nobody@contoso.example"),
        ])
        .await;
    assert_eq!(s, 400);
    assert!(body.contains("AADSTS50034"), "{body}");
    let r = kit
        .http
        .get(format!("{}/someone-else/saml2", kit.entra.url))
        .query(&[("SAMLRequest", req.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 400);
}
