//! The Entra emulator's SAML 2.0 identity provider (EMULATORS.md "SAML IdP").
//!
//! `GET /{tenant}/saml2` takes an AuthnRequest by the HTTP-Redirect binding (`SAMLRequest`
//! deflated and base64, `RelayState`) and answers with an auto-submitting HTML form that POSTs
//! a signed `SAMLResponse` to the request's `AssertionConsumerServiceURL`. There is no browser
//! UI, so `login_hint` names the tenant user; without it the answer is a bare list of users,
//! each linking back with the hint (as `/oauth2/v2.0/authorize` does).
//!
//! The Response is signed with XML-DSig (RSA-SHA256, exclusive c14n, SHA-256 digest) by
//! xmlsec through `samael`. The signing key and its self-signed certificate come from the
//! tenant's `saml` section or are generated on first use; the certificate is published at
//! `GET /{tenant}/federationmetadata/2007-06/federationmetadata.xml` and, as PEM, at
//! `GET /_control/saml/certificate`.
//!
//! Control (loopback only): `PUT /_control/saml/next` `{"tamper": "unsigned" | "wrong_key" |
//! "expired" | "wrong_audience"}` spoils the next Response only; `GET` shows it, `DELETE`
//! clears it.

use std::collections::HashMap;
use std::io::Read;
use std::sync::{Arc, Mutex};

use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::{header, StatusCode};
use axum::middleware;
use axum::response::{Html, IntoResponse, Response};
use axum::routing::{get, put};
use axum::{Json, Router};
use base64::engine::general_purpose::STANDARD;
use base64::Engine as _;
use chrono::{DateTime, Duration, Utc};
use openssl::asn1::Asn1Time;
use openssl::bn::{BigNum, MsbOption};
use openssl::hash::MessageDigest;
use openssl::nid::Nid;
use openssl::pkey::{PKey, Private};
use openssl::rsa::Rsa;
use openssl::x509::{X509Name, X509};
use samael::attribute::{Attribute, AttributeValue};
use samael::crypto::{CertificateDer, Crypto, CryptoProvider};
use samael::schema::{
    Assertion, AttributeStatement, AudienceRestriction, AuthnContext, AuthnContextClassRef,
    AuthnRequest, AuthnStatement, Conditions, Issuer, Response as SamlResponse, Status,
    StatusCode as SamlStatusCode, Subject, SubjectConfirmation, SubjectConfirmationData,
    SubjectNameID,
};
use samael::signature::{DigestAlgorithm, Signature};
use samael::traits::ToXml;
use serde::{Deserialize, Serialize};
use serde_json::json;
use tokio::sync::OnceCell;

use crate::aadsts::Aadsts;
use crate::control::bad_request;
use crate::grant;
use crate::tenant::{self, SamlIdp, SharedTenant, Tenant, User};
use crate::EmulatorError;

/// `objectidentifier`: the user's objectId (= the token's `oid`).
pub const OBJECT_ID: &str = "http://schemas.microsoft.com/identity/claims/objectidentifier";
/// `tenantid`: the directory id (= `tid`).
pub const TENANT_ID: &str = "http://schemas.microsoft.com/identity/claims/tenantid";
/// `upn`.
pub const UPN: &str = "http://schemas.xmlsoap.org/ws/2005/05/identity/claims/upn";
/// `emailaddress` (`user.mail`).
pub const EMAIL: &str = "http://schemas.xmlsoap.org/ws/2005/05/identity/claims/emailaddress";
/// `name` (the UPN by default, as Entra's portal claims).
pub const NAME: &str = "http://schemas.xmlsoap.org/ws/2005/05/identity/claims/name";
/// `givenname`.
pub const GIVEN_NAME: &str = "http://schemas.xmlsoap.org/ws/2005/05/identity/claims/givenname";
/// `surname`.
pub const SURNAME: &str = "http://schemas.xmlsoap.org/ws/2005/05/identity/claims/surname";

/// Half the validity window around "now" of NotBefore / NotOnOrAfter.
const WINDOW_SECS: i64 = 300;
/// How far back an `expired` Response is dated: well beyond any SP's clock skew.
const EXPIRED_SHIFT_SECS: i64 = 3600;
/// The audience a `wrong_audience` Response names.
const WRONG_AUDIENCE: &str = "urn:mamgate:emulator:not-your-audience";
/// Largest inflated AuthnRequest accepted (they are a few hundred bytes).
const MAX_REQUEST_BYTES: u64 = 64 * 1024;

/// How the next Response is spoiled, so tests can see the SP refuse it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Tamper {
    /// No `<Signature>` at all.
    Unsigned,
    /// Signed by a key whose certificate is published nowhere.
    WrongKey,
    /// Dated an hour ago: IssueInstant and NotOnOrAfter long past.
    Expired,
    /// The Audience is not the AuthnRequest's Issuer.
    WrongAudience,
}

/// An RSA key (PKCS#1 DER, the form xmlsec loads) and its certificate (DER).
struct KeyPair {
    key_der: Vec<u8>,
    cert_der: Vec<u8>,
}

/// The IdP's key pair and a rogue one for `wrong_key`.
struct Keys {
    idp: KeyPair,
    rogue: KeyPair,
}

/// State of the SAML routes.
#[derive(Clone)]
struct Idp {
    tenant: SharedTenant,
    /// Created on first use: RSA key generation is too slow to do per router.
    keys: Arc<OnceCell<Arc<Keys>>>,
    next: Arc<Mutex<Option<Tamper>>>,
}

impl Idp {
    async fn keys(&self) -> Result<Arc<Keys>, EmulatorError> {
        let tenant = self.tenant.clone();
        self.keys
            .get_or_try_init(|| async move {
                let saml = tenant::read(&tenant).saml.clone();
                tokio::task::spawn_blocking(move || load_keys(&saml))
                    .await
                    .map_err(|_| EmulatorError::Crypto)?
                    .map(Arc::new)
            })
            .await
            .cloned()
    }

    fn take_tamper(&self) -> Option<Tamper> {
        self.next.lock().unwrap_or_else(|e| e.into_inner()).take()
    }
}

/// The SAML routes (public ones, plus control ones behind the loopback check).
pub(crate) fn routes<S: Clone + Send + Sync + 'static>(tenant: SharedTenant) -> Router<S> {
    let idp = Idp {
        tenant,
        keys: Arc::new(OnceCell::new()),
        next: Arc::new(Mutex::new(None)),
    };
    let control = Router::new()
        .route("/_control/saml/certificate", get(certificate_pem))
        .route(
            "/_control/saml/next",
            put(put_next).get(get_next).delete(clear_next),
        )
        .route_layer(middleware::from_fn(crate::loopback::loopback_only));
    Router::new()
        .route("/{tenant}/saml2", get(sso))
        .route(
            "/{tenant}/federationmetadata/2007-06/federationmetadata.xml",
            get(metadata),
        )
        .merge(control)
        .with_state(idp)
}

/// The key pair from the tenant's `saml` section, or fresh ones; always a fresh rogue.
fn load_keys(saml: &SamlIdp) -> Result<Keys, EmulatorError> {
    let key = match &saml.signing_key_pem {
        Some(pem) => PKey::private_key_from_pem(pem.as_bytes())
            .map_err(|_| EmulatorError::Tenant("saml.signing_key_pem is not a PEM key".into()))?,
        None => new_key()?,
    };
    let cert = match &saml.certificate_pem {
        Some(pem) => {
            let cert = X509::from_pem(pem.as_bytes()).map_err(|_| {
                EmulatorError::Tenant("saml.certificate_pem is not a PEM certificate".into())
            })?;
            let matches = cert
                .public_key()
                .map(|p| p.public_eq(&key))
                .unwrap_or(false);
            if !matches {
                return Err(EmulatorError::Tenant(
                    "saml.certificate_pem does not belong to saml.signing_key_pem".into(),
                ));
            }
            cert
        }
        None => self_signed(&key)?,
    };
    let rogue = new_key()?;
    let rogue_cert = self_signed(&rogue)?;
    Ok(Keys {
        idp: pair(&key, &cert)?,
        rogue: pair(&rogue, &rogue_cert)?,
    })
}

fn new_key() -> Result<PKey<Private>, EmulatorError> {
    let rsa = Rsa::generate(2048).map_err(|_| EmulatorError::Crypto)?;
    PKey::from_rsa(rsa).map_err(|_| EmulatorError::Crypto)
}

fn pair(key: &PKey<Private>, cert: &X509) -> Result<KeyPair, EmulatorError> {
    let rsa = key
        .rsa()
        .map_err(|_| EmulatorError::Tenant("saml.signing_key_pem must be an RSA key".into()))?;
    Ok(KeyPair {
        key_der: rsa
            .private_key_to_der()
            .map_err(|_| EmulatorError::Crypto)?,
        cert_der: cert.to_der().map_err(|_| EmulatorError::Crypto)?,
    })
}

/// A three-year self-signed certificate named as Entra names its SAML signing certificates.
fn self_signed(key: &PKey<Private>) -> Result<X509, EmulatorError> {
    let build = || -> Result<X509, openssl::error::ErrorStack> {
        let mut name = X509Name::builder()?;
        name.append_entry_by_nid(Nid::COMMONNAME, "Microsoft Azure Federated SSO Certificate")?;
        let name = name.build();
        let mut serial = BigNum::new()?;
        serial.rand(127, MsbOption::MAYBE_ZERO, false)?;
        let mut b = X509::builder()?;
        b.set_version(2)?;
        let serial = serial.to_asn1_integer()?;
        b.set_serial_number(&serial)?;
        b.set_subject_name(&name)?;
        b.set_issuer_name(&name)?;
        b.set_pubkey(key)?;
        // Backdated a day so SPs with a slow clock accept it at once.
        let not_before = Asn1Time::from_unix(Utc::now().timestamp() - 86_400)?;
        let not_after = Asn1Time::days_from_now(3 * 365)?;
        b.set_not_before(&not_before)?;
        b.set_not_after(&not_after)?;
        b.sign(key, MessageDigest::sha256())?;
        Ok(b.build())
    };
    build().map_err(|_| EmulatorError::Crypto)
}

/// The certificate as PEM.
fn pem(cert_der: &[u8]) -> String {
    let b64 = STANDARD.encode(cert_der);
    let mut out = String::from("-----BEGIN CERTIFICATE-----\n");
    for chunk in b64.as_bytes().chunks(64) {
        out.push_str(&String::from_utf8_lossy(chunk));
        out.push('\n');
    }
    out.push_str("-----END CERTIFICATE-----\n");
    out
}

/// The IdP's Issuer.
fn entity_id(t: &Tenant) -> String {
    t.saml
        .entity_id
        .clone()
        .filter(|e| !e.is_empty())
        .unwrap_or_else(|| format!("https://sts.windows.net/{}/", t.tenant_id))
}

/// SAML endpoints live under the tenant id only (no `common` for SAML apps).
fn check_tenant(t: &Tenant, segment: &str) -> Result<(), Aadsts> {
    if segment.eq_ignore_ascii_case(&t.tenant_id) {
        return Ok(());
    }
    Err(Aadsts::new(
        "invalid_tenant",
        90002,
        format!("Tenant '{segment}' not found. Check to make sure you have the correct tenant ID and are signing into the correct cloud."),
    ))
}

fn crypto_failure() -> Response {
    (
        StatusCode::INTERNAL_SERVER_ERROR,
        "SAML signing key unavailable",
    )
        .into_response()
}

/// `GET /{tenant}/federationmetadata/2007-06/federationmetadata.xml`.
async fn metadata(State(idp): State<Idp>, Path(segment): Path<String>) -> Response {
    let t = tenant::read(&idp.tenant).clone();
    if let Err(e) = check_tenant(&t, &segment) {
        return e.into_response();
    }
    let keys = match idp.keys().await {
        Ok(k) => k,
        Err(_) => return crypto_failure(),
    };
    let cert = STANDARD.encode(&keys.idp.cert_der);
    let sso = format!(
        "{}/{}/saml2",
        t.authority_host.trim_end_matches('/'),
        t.tenant_id
    );
    let xml = format!(
        r#"<?xml version="1.0" encoding="utf-8"?><EntityDescriptor xmlns="urn:oasis:names:tc:SAML:2.0:metadata" ID="_{id}" entityID="{entity}"><IDPSSODescriptor protocolSupportEnumeration="urn:oasis:names:tc:SAML:2.0:protocol"><KeyDescriptor use="signing"><KeyInfo xmlns="http://www.w3.org/2000/09/xmldsig#"><X509Data><X509Certificate>{cert}</X509Certificate></X509Data></KeyInfo></KeyDescriptor><SingleSignOnService Binding="urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Redirect" Location="{sso}"/><SingleSignOnService Binding="urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST" Location="{sso}"/></IDPSSODescriptor></EntityDescriptor>"#,
        id = uuid::Uuid::new_v4(),
        entity = xml_escape(&entity_id(&t)),
        sso = xml_escape(&sso),
    );
    (
        [(header::CONTENT_TYPE, "application/samlmetadata+xml")],
        xml,
    )
        .into_response()
}

/// `GET /_control/saml/certificate`: the signing certificate as PEM.
async fn certificate_pem(State(idp): State<Idp>) -> Response {
    match idp.keys().await {
        Ok(k) => (
            [(header::CONTENT_TYPE, "application/x-pem-file")],
            pem(&k.idp.cert_der),
        )
            .into_response(),
        Err(_) => crypto_failure(),
    }
}

#[derive(Deserialize)]
struct NextBody {
    tamper: Option<Tamper>,
}

async fn put_next(State(idp): State<Idp>, body: Bytes) -> Response {
    let Ok(b) = serde_json::from_slice::<NextBody>(&body) else {
        return bad_request(
            "body must be {\"tamper\": \"unsigned\" | \"wrong_key\" | \"expired\" | \"wrong_audience\" | null}",
        );
    };
    *idp.next.lock().unwrap_or_else(|e| e.into_inner()) = b.tamper;
    StatusCode::NO_CONTENT.into_response()
}

async fn get_next(State(idp): State<Idp>) -> Json<serde_json::Value> {
    let next = *idp.next.lock().unwrap_or_else(|e| e.into_inner());
    Json(json!({ "tamper": next }))
}

async fn clear_next(State(idp): State<Idp>) -> StatusCode {
    *idp.next.lock().unwrap_or_else(|e| e.into_inner()) = None;
    StatusCode::NO_CONTENT
}

/// An AADSTS error for a bad SAML request (Entra shows these on an error page).
fn saml_error(code: u32, message: impl Into<String>) -> Aadsts {
    Aadsts::new("invalid_request", code, message)
}

/// Base64, then raw DEFLATE (RFC 1951), as the Redirect binding prescribes.
fn decode_request(encoded: &str) -> Result<AuthnRequest, Aadsts> {
    let compact: String = encoded.chars().filter(|c| !c.is_whitespace()).collect();
    let deflated = STANDARD
        .decode(compact)
        .map_err(|_| saml_error(750056, "SAML message was not properly base64 encoded."))?;
    let mut xml = String::new();
    flate2::read::DeflateDecoder::new(deflated.as_slice())
        .take(MAX_REQUEST_BYTES)
        .read_to_string(&mut xml)
        .map_err(|_| saml_error(750056, "SAML message was not properly deflated."))?;
    xml.parse::<AuthnRequest>().map_err(|e| {
        saml_error(
            7500529,
            format!("The SAML request is not a valid AuthnRequest: {e}"),
        )
    })
}

/// `GET /{tenant}/saml2`: the SSO endpoint (HTTP-Redirect binding).
async fn sso(
    State(idp): State<Idp>,
    Path(segment): Path<String>,
    Query(q): Query<HashMap<String, String>>,
) -> Response {
    let t = tenant::read(&idp.tenant).clone();
    if let Err(e) = check_tenant(&t, &segment) {
        return e.into_response();
    }
    let get = |k: &str| q.get(k).map(|v| v.trim()).filter(|v| !v.is_empty());
    let Some(encoded) = get("SAMLRequest") else {
        return saml_error(
            750054,
            "SAMLRequest or SAMLResponse must be present as query string parameters in HTTP request for SAML Redirect binding.",
        ).into_response();
    };
    let request = match decode_request(encoded) {
        Ok(r) => r,
        Err(e) => return e.into_response(),
    };
    let Some(audience) = request
        .issuer
        .as_ref()
        .and_then(|i| i.value.clone())
        .filter(|v| !v.is_empty())
    else {
        return saml_error(
            900236,
            "The SAML authentication request has no Issuer: it names no application.",
        )
        .into_response();
    };
    let Some(acs) = request
        .assertion_consumer_service_url
        .clone()
        .filter(|v| !v.is_empty())
    else {
        return saml_error(
            50011,
            "The AuthnRequest has no AssertionConsumerServiceURL to send the response to.",
        )
        .into_response();
    };
    let Some(hint) = get("login_hint") else {
        return pick_user(&t, &q);
    };
    let user = match grant::find_user(&t, hint) {
        Ok(u) => u.clone(),
        Err(e) => return e.into_response(),
    };
    let keys = match idp.keys().await {
        Ok(k) => k,
        Err(_) => return crypto_failure(),
    };
    let tamper = idp.take_tamper();
    let issued = Issued {
        issuer: entity_id(&t),
        request_id: request.id.clone(),
        acs: acs.clone(),
        audience: if tamper == Some(Tamper::WrongAudience) {
            WRONG_AUDIENCE.to_string()
        } else {
            audience
        },
        now: if tamper == Some(Tamper::Expired) {
            Utc::now() - Duration::seconds(EXPIRED_SHIFT_SECS)
        } else {
            Utc::now()
        },
        attributes: attributes(&t, &user),
        name_id: user.upn.clone(),
    };
    let signer = match tamper {
        Some(Tamper::Unsigned) => None,
        Some(Tamper::WrongKey) => Some(&keys.rogue),
        _ => Some(&keys.idp),
    };
    let xml = match issued.signed_xml(signer) {
        Ok(x) => x,
        Err(_) => return crypto_failure(),
    };
    post_form(&acs, &STANDARD.encode(xml), get("RelayState"))
}

/// The attributes of `user` the tenant's IdP emits.
fn attributes(t: &Tenant, user: &User) -> Vec<(&'static str, String)> {
    let all = [
        (OBJECT_ID, Some(user.oid.clone())),
        (TENANT_ID, Some(t.tenant_id.clone())),
        (UPN, Some(user.upn.clone())),
        (EMAIL, user.email.clone()),
        (NAME, Some(user.upn.clone())),
        (GIVEN_NAME, user.given_name.clone()),
        (SURNAME, user.family_name.clone()),
    ];
    all.into_iter()
        .filter(|(name, _)| {
            t.saml.attributes.is_empty() || t.saml.attributes.iter().any(|a| a == name)
        })
        // Entra omits an attribute whose source is empty rather than sending it blank.
        .filter_map(|(name, v)| v.filter(|v| !v.is_empty()).map(|v| (name, v)))
        .collect()
}

/// What goes into one Response.
struct Issued {
    issuer: String,
    request_id: String,
    acs: String,
    audience: String,
    now: DateTime<Utc>,
    attributes: Vec<(&'static str, String)>,
    name_id: String,
}

impl Issued {
    /// The Response XML, signed (enveloped, over the whole Response) unless `signer` is None.
    fn signed_xml(&self, signer: Option<&KeyPair>) -> Result<String, EmulatorError> {
        let response = self.response(signer.map(|k| CertificateDer::from(k.cert_der.clone())));
        let xml = response.to_string().map_err(|_| EmulatorError::Crypto)?;
        match signer {
            None => Ok(xml),
            Some(k) => Crypto::sign_xml(xml, &k.key_der).map_err(|_| EmulatorError::Crypto),
        }
    }

    fn response(&self, cert: Option<CertificateDer>) -> SamlResponse {
        let response_id = format!("_{}", uuid::Uuid::new_v4());
        let window = Duration::seconds(WINDOW_SECS);
        let issuer = Issuer {
            value: Some(self.issuer.clone()),
            ..Issuer::default()
        };
        let signature = cert.map(|c| {
            let mut sig = Signature::template(&response_id, &c);
            // The template digests with SHA-1; Entra (and this emulator) use SHA-256.
            for r in &mut sig.signed_info.reference {
                r.digest_method.algorithm = DigestAlgorithm::Sha256;
            }
            sig
        });
        let attributes = self
            .attributes
            .iter()
            .map(|(name, value)| Attribute {
                friendly_name: None,
                name: Some((*name).to_string()),
                name_format: None,
                values: vec![AttributeValue {
                    attribute_type: None,
                    value: Some(value.clone()),
                }],
            })
            .collect();
        let assertion = Assertion {
            id: format!("_{}", uuid::Uuid::new_v4()),
            issue_instant: self.now,
            version: "2.0".into(),
            issuer: issuer.clone(),
            signature: None,
            subject: Some(Subject {
                name_id: Some(SubjectNameID {
                    format: Some("urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress".into()),
                    value: self.name_id.clone(),
                }),
                subject_confirmations: Some(vec![SubjectConfirmation {
                    method: Some("urn:oasis:names:tc:SAML:2.0:cm:bearer".into()),
                    name_id: None,
                    subject_confirmation_data: Some(SubjectConfirmationData {
                        not_before: None,
                        not_on_or_after: Some(self.now + window),
                        recipient: Some(self.acs.clone()),
                        in_response_to: Some(self.request_id.clone()),
                        address: None,
                        content: None,
                    }),
                }]),
            }),
            conditions: Some(Conditions {
                not_before: Some(self.now - window),
                not_on_or_after: Some(self.now + window),
                audience_restrictions: Some(vec![AudienceRestriction {
                    audience: vec![self.audience.clone()],
                }]),
                one_time_use: None,
                proxy_restriction: None,
            }),
            authn_statements: Some(vec![AuthnStatement {
                authn_instant: Some(self.now),
                session_index: Some(format!("_{}", uuid::Uuid::new_v4())),
                session_not_on_or_after: None,
                subject_locality: None,
                authn_context: Some(AuthnContext {
                    value: Some(AuthnContextClassRef {
                        value: Some(
                            "urn:oasis:names:tc:SAML:2.0:ac:classes:PasswordProtectedTransport"
                                .into(),
                        ),
                    }),
                }),
            }]),
            attribute_statements: Some(vec![AttributeStatement { attributes }]),
        };
        SamlResponse {
            id: response_id,
            in_response_to: Some(self.request_id.clone()),
            version: "2.0".into(),
            issue_instant: self.now,
            destination: Some(self.acs.clone()),
            consent: None,
            issuer: Some(issuer),
            signature,
            status: Some(Status {
                status_code: SamlStatusCode {
                    value: Some("urn:oasis:names:tc:SAML:2.0:status:Success".into()),
                },
                status_message: None,
                status_detail: None,
            }),
            encrypted_assertion: None,
            assertion: Some(assertion),
        }
    }
}

/// The HTTP-POST binding: a form the browser submits on load.
fn post_form(acs: &str, saml_response: &str, relay_state: Option<&str>) -> Response {
    let relay = relay_state
        .map(|r| {
            format!(
                r#"<input type="hidden" name="RelayState" value="{}"/>"#,
                xml_escape(r)
            )
        })
        .unwrap_or_default();
    Html(format!(
        r#"<!doctype html><html><head><title>Working...</title></head><body onload="document.forms[0].submit()"><form method="POST" action="{}"><input type="hidden" name="SAMLResponse" value="{}"/>{relay}<noscript><button type="submit">Continue</button></noscript></form></body></html>"#,
        xml_escape(acs),
        saml_response,
    ))
    .into_response()
}

fn pick_user(t: &Tenant, q: &HashMap<String, String>) -> Response {
    let base: Vec<String> = q
        .iter()
        .filter(|(k, _)| k.as_str() != "login_hint")
        .map(|(k, v)| format!("{}={}", encode(k), encode(v)))
        .collect();
    let items: String = t
        .users
        .iter()
        .map(|u| {
            let mut query = base.clone();
            query.push(format!("login_hint={}", encode(&u.upn)));
            format!(
                "<li><a href=\"?{}\">{}</a></li>",
                xml_escape(&query.join("&")),
                xml_escape(&u.upn)
            )
        })
        .collect();
    Html(format!(
        "<!doctype html><title>Pick an account</title><h1>Pick an account</h1><ul>{items}</ul>"
    ))
    .into_response()
}

/// Percent-encodes everything but RFC 3986 unreserved characters.
fn encode(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~') {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

fn xml_escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
        .replace('\'', "&#39;")
}

#[cfg(test)]
mod tests {
    use super::*;
    use samael::crypto::ReduceMode;

    fn issued() -> Issued {
        Issued {
            issuer: "https://sts.windows.net/t/".into(),
            request_id: "_req".into(),
            acs: "http://sp/acs".into(),
            audience: "sp".into(),
            now: Utc::now(),
            attributes: vec![(OBJECT_ID, "0f0f0f0f-0000-4000-8000-000000000001".into())],
            name_id: "sam@contoso.example".into(),
        }
    }

    #[test]
    fn signature_verifies_only_with_the_idp_certificate() {
        let keys = load_keys(&SamlIdp::default()).unwrap();
        let xml = issued().signed_xml(Some(&keys.idp)).unwrap();
        assert!(xml.contains("xmldsig-more#rsa-sha256"), "{xml}");
        assert!(xml.contains("xml-exc-c14n#"));
        let good = [CertificateDer::from(keys.idp.cert_der.clone())];
        let rogue = [CertificateDer::from(keys.rogue.cert_der.clone())];
        Crypto::reduce_xml_to_signed(&xml, &good, ReduceMode::default()).unwrap();
        assert!(Crypto::reduce_xml_to_signed(&xml, &rogue, ReduceMode::default()).is_err());
        // Changing a signed byte breaks it.
        let forged = xml.replace("sam@contoso.example", "eve@contoso.example");
        assert!(Crypto::reduce_xml_to_signed(&forged, &good, ReduceMode::default()).is_err());
        let unsigned = issued().signed_xml(None).unwrap();
        assert!(Crypto::reduce_xml_to_signed(&unsigned, &good, ReduceMode::default()).is_err());
    }

    #[test]
    fn configured_key_and_certificate_must_match() {
        let a = new_key().unwrap();
        let b = new_key().unwrap();
        let cert_b = self_signed(&b).unwrap();
        let saml = SamlIdp {
            signing_key_pem: Some(
                String::from_utf8(a.private_key_to_pem_pkcs8().unwrap()).unwrap(),
            ),
            certificate_pem: Some(String::from_utf8(cert_b.to_pem().unwrap()).unwrap()),
            ..SamlIdp::default()
        };
        assert!(matches!(load_keys(&saml), Err(EmulatorError::Tenant(_))));
        let ok = SamlIdp {
            certificate_pem: None,
            ..saml
        };
        load_keys(&ok).unwrap();
    }
}
