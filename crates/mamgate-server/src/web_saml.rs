//! SAML 2.0 web sign-in, service-provider side (CONTRACT §4): `GET /login/sso/saml` sends the
//! browser to `SamlSettings.IdpURL` with an AuthnRequest (HTTP-Redirect binding);
//! `POST /login/sso/saml` (the ACS) checks the IdP's Response and signs the user in.
//!
//! XML signatures are verified by xmlsec through `samael` against the certificate in
//! `SamlSettings.IdpCertificateFile` only (never a certificate the Response carries), RSA-SHA256
//! only; unsigned content is dropped before anything is read. Audience, Issuer, Destination,
//! Recipient and the time window (300 s skew) are checked, and `InResponseTo` must name an
//! AuthnRequest this process sent less than 10 minutes ago and has not seen answered yet.
//!
//! The account key is the attribute named by `SamlSettings.IdAttribute` (for Intune the
//! objectidentifier, stored lower-case), so a later mobile Intune sign-in with
//! `AuthService=saml` resolves the same user by the token's `oid`.

use std::collections::HashMap;
use std::sync::{LazyLock, Mutex};
use std::time::{Duration, Instant};

use base64::engine::general_purpose::STANDARD;
use base64::Engine as _;
use mamgate_core::config::{Config, SamlSettings};
use mamgate_core::identity::{is_saml_object_id_attribute, normalize_object_id};
use mamgate_core::model::{roles, User};
use mamgate_core::ErrorId;
use mamgate_store::StoreError;
use samael::crypto::{AllowedSignatureAlgorithm, CertificateDer};
use samael::metadata::EntityDescriptor;
use samael::schema::Assertion;
use samael::service_provider::{Error as SpError, ServiceProvider};

use crate::error::AppError;
use crate::provision::{self, Profile};
use crate::state::{now_ms, AppState};
use crate::usernames;

/// The `AuthService` of SAML users.
pub const AUTH_SERVICE: &str = "saml";
/// The ACS path, relative to the site URL.
pub const ACS_PATH: &str = "/login/sso/saml";
/// How long an AuthnRequest waits for its Response.
const REQUEST_LIFETIME: Duration = Duration::from_secs(600);
/// Allowed clock difference with the IdP, for NotBefore / NotOnOrAfter / IssueInstant.
const CLOCK_SKEW_SECS: i64 = 300;
/// Pending AuthnRequests kept at most; anonymous GETs must not grow memory without bound.
const MAX_PENDING: usize = 10_000;

/// AuthnRequest ids sent and not yet answered, with when they were sent. Node-local: a
/// cluster needs the ACS POST to reach the node that started the sign-in.
static PENDING: LazyLock<Mutex<HashMap<String, Instant>>> =
    LazyLock::new(|| Mutex::new(HashMap::new()));

fn pending() -> std::sync::MutexGuard<'static, HashMap<String, Instant>> {
    PENDING.lock().unwrap_or_else(|e| e.into_inner())
}

/// Records a sent AuthnRequest id, dropping expired ones (and the oldest when full).
fn remember(id: &str) {
    let mut p = pending();
    let now = Instant::now();
    p.retain(|_, sent| now.duration_since(*sent) < REQUEST_LIFETIME);
    while p.len() >= MAX_PENDING {
        let Some(oldest) = p
            .iter()
            .min_by_key(|(_, sent)| **sent)
            .map(|(k, _)| k.clone())
        else {
            break;
        };
        p.remove(&oldest);
    }
    p.insert(id.to_string(), now);
}

/// Ids still waiting for their Response.
fn waiting_ids() -> Vec<String> {
    let now = Instant::now();
    pending()
        .iter()
        .filter(|(_, sent)| now.duration_since(**sent) < REQUEST_LIFETIME)
        .map(|(k, _)| k.clone())
        .collect()
}

/// Takes `id` out of the pending set; false when it was not there (unknown or already used).
fn consume(id: &str) -> bool {
    pending()
        .remove(id)
        .is_some_and(|sent| sent.elapsed() < REQUEST_LIFETIME)
}

fn not_enabled(why: impl Into<String>) -> AppError {
    AppError::new(ErrorId::SamlNotEnabled, why)
}

/// The ACS URL: `SamlSettings.AssertionConsumerServiceURL`, else `{base}/login/sso/saml`.
pub fn acs_url(config: &Config, base: &str) -> String {
    let explicit = config.saml_settings.assertion_consumer_service_url.trim();
    if explicit.is_empty() {
        format!("{}{ACS_PATH}", base.trim_end_matches('/'))
    } else {
        explicit.to_string()
    }
}

/// Reads the IdP certificate (PEM; a relative path is relative to the working directory).
fn idp_certificate(saml: &SamlSettings) -> Result<CertificateDer, AppError> {
    let path = saml.idp_certificate_file.trim();
    let pem = std::fs::read(path)
        .map_err(|e| not_enabled(format!("SamlSettings.IdpCertificateFile {path:?}: {e}")))?;
    let cert = openssl::x509::X509::from_pem(&pem).map_err(|_| {
        not_enabled(format!(
            "SamlSettings.IdpCertificateFile {path:?} holds no PEM certificate"
        ))
    })?;
    let der = cert
        .to_der()
        .map_err(|e| not_enabled(format!("IdP certificate: {e}")))?;
    Ok(CertificateDer::from(der))
}

/// The service provider from `SamlSettings`, trusting only the configured IdP certificate.
pub fn service_provider(config: &Config, acs: &str) -> Result<ServiceProvider, AppError> {
    let s = &config.saml_settings;
    if !s.enable {
        return Err(not_enabled("SamlSettings.Enable is false"));
    }
    let required = [
        ("IdpURL", &s.idp_url),
        ("IdpDescriptorURL", &s.idp_descriptor_url),
        ("ServiceProviderIdentifier", &s.service_provider_identifier),
        ("IdpCertificateFile", &s.idp_certificate_file),
        ("IdAttribute", &s.id_attribute),
    ];
    if let Some((name, _)) = required.iter().find(|(_, v)| v.trim().is_empty()) {
        return Err(not_enabled(format!("SamlSettings.{name} is empty")));
    }
    let cert = idp_certificate(s)?;
    // samael reads the IdP's trust anchor from metadata; build the smallest one by hand.
    let metadata = format!(
        r#"<EntityDescriptor xmlns="urn:oasis:names:tc:SAML:2.0:metadata" entityID="{}"><IDPSSODescriptor protocolSupportEnumeration="urn:oasis:names:tc:SAML:2.0:protocol"><KeyDescriptor use="signing"><KeyInfo xmlns="http://www.w3.org/2000/09/xmldsig#"><X509Data><X509Certificate>{}</X509Certificate></X509Data></KeyInfo></KeyDescriptor><SingleSignOnService Binding="urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Redirect" Location="{}"/></IDPSSODescriptor></EntityDescriptor>"#,
        xml_escape(s.idp_descriptor_url.trim()),
        STANDARD.encode(cert.der_data()),
        xml_escape(s.idp_url.trim()),
    );
    let idp_metadata: EntityDescriptor = metadata
        .parse()
        .map_err(|e| not_enabled(format!("SamlSettings: {e}")))?;
    let sp = ServiceProvider {
        entity_id: Some(s.service_provider_identifier.trim().to_string()),
        acs_url: Some(acs.to_string()),
        idp_metadata,
        max_issue_delay: chrono::Duration::seconds(CLOCK_SKEW_SECS),
        max_clock_skew: chrono::Duration::seconds(CLOCK_SKEW_SECS),
        allowed_signature_algorithms: Some(vec![AllowedSignatureAlgorithm::RsaSha256]),
        ..ServiceProvider::default()
    };
    // Without a certificate samael would skip signature checks altogether: refuse that here.
    match sp.idp_signing_certs() {
        Ok(Some(certs)) if !certs.is_empty() => Ok(sp),
        _ => Err(not_enabled(
            "the IdP certificate did not make it into the trust list",
        )),
    }
}

/// Starts a sign-in: the IdP URL with a fresh AuthnRequest, remembered for 10 minutes.
pub fn start(
    config: &Config,
    acs: &str,
    relay_state: &str,
    login_hint: Option<&str>,
) -> Result<String, AppError> {
    let sp = service_provider(config, acs)?;
    let mut request = sp
        .make_authentication_request(config.saml_settings.idp_url.trim())
        .map_err(|e| not_enabled(format!("AuthnRequest: {e}")))?;
    // samael's ids carry 32 random bits; a single-use id deserves 128.
    request.id = format!("_{}", uuid::Uuid::new_v4().simple());
    let mut url = request
        .redirect(relay_state)
        .map_err(|e| not_enabled(format!("SamlSettings.IdpURL: {e}")))?
        .ok_or_else(|| not_enabled("SamlSettings.IdpURL is empty"))?;
    if let Some(hint) = login_hint.filter(|h| !h.is_empty()) {
        url.query_pairs_mut().append_pair("login_hint", hint);
    }
    remember(&request.id);
    Ok(url.to_string())
}

/// Maps samael's verdict to the catalog.
fn refusal(e: SpError) -> AppError {
    match e {
        SpError::ResponseInResponseToInvalid { .. }
        | SpError::AssertionInResponseToInvalid { .. } => AppError::new(
            ErrorId::SamlRequestUnknown,
            "InResponseTo names no pending AuthnRequest (unknown, expired or already used)",
        ),
        other => AppError::new(ErrorId::SamlResponseInvalid, other.to_string()),
    }
}

/// Decodes and verifies a `SAMLResponse` form value; returns the signed assertion.
pub fn verify(config: &Config, acs: &str, saml_response: &str) -> Result<Assertion, AppError> {
    let sp = service_provider(config, acs)?;
    let invalid = |why: String| AppError::new(ErrorId::SamlResponseInvalid, why);
    let compact: String = saml_response
        .chars()
        .filter(|c| !c.is_whitespace())
        .collect();
    if compact.is_empty() {
        return Err(invalid("SAMLResponse is missing".into()));
    }
    let bytes = STANDARD
        .decode(compact)
        .map_err(|e| invalid(format!("SAMLResponse is not base64: {e}")))?;
    let xml = String::from_utf8(bytes).map_err(|_| invalid("SAMLResponse is not UTF-8".into()))?;
    let ids = waiting_ids();
    let ids: Vec<&str> = ids.iter().map(String::as_str).collect();
    let assertion = sp.parse_xml_response(&xml, Some(&ids)).map_err(refusal)?;
    // samael accepts an assertion without any AudienceRestriction; CONTRACT §4 requires ours.
    let sp_id = config.saml_settings.service_provider_identifier.trim();
    let audience_ok = assertion
        .conditions
        .iter()
        .flat_map(|c| c.audience_restrictions.iter().flatten())
        .any(|r| r.audience.iter().any(|a| a == sp_id));
    if !audience_ok {
        return Err(invalid(format!(
            "the assertion is not restricted to the audience {sp_id:?}"
        )));
    }
    // Single use: the first Response for a request wins, every later one is a replay.
    let answered = assertion
        .subject
        .iter()
        .flat_map(|s| s.subject_confirmations.iter().flatten())
        .filter_map(|c| c.subject_confirmation_data.as_ref()?.in_response_to.clone())
        .find(|id| ids.contains(&id.as_str()));
    match answered {
        Some(id) if consume(&id) => Ok(assertion),
        _ => Err(AppError::new(
            ErrorId::SamlRequestUnknown,
            "the AuthnRequest was answered already",
        )),
    }
}

/// The first value of the attribute `name`; a short name (no `/`) also matches the last
/// segment of a claim URI, as `objectidentifier` does in CONTRACT §6.
fn attribute(assertion: &Assertion, name: &str) -> Option<String> {
    let name = name.trim();
    if name.is_empty() {
        return None;
    }
    let matches = |n: &str| {
        n.eq_ignore_ascii_case(name)
            || (!name.contains('/')
                && n.rsplit('/')
                    .next()
                    .is_some_and(|last| last.eq_ignore_ascii_case(name)))
    };
    assertion
        .attribute_statements
        .iter()
        .flatten()
        .flat_map(|s| &s.attributes)
        .filter(|a| a.name.as_deref().is_some_and(matches))
        .flat_map(|a| &a.values)
        .filter_map(|v| v.value.as_deref())
        .map(str::trim)
        .find(|v| !v.is_empty())
        .map(str::to_string)
}

/// What the assertion says about the person, keyed by the IdAttribute.
pub fn profile(config: &Config, assertion: &Assertion) -> Result<Profile, AppError> {
    let s = &config.saml_settings;
    let missing = |why: String| AppError::new(ErrorId::SamlMissingAttribute, why);
    let raw_id = attribute(assertion, &s.id_attribute).ok_or_else(|| {
        missing(format!(
            "no attribute {:?} (SamlSettings.IdAttribute)",
            s.id_attribute
        ))
    })?;
    let auth_data = if is_saml_object_id_attribute(&s.id_attribute) {
        normalize_object_id(&raw_id)
            .ok_or_else(|| missing(format!("{:?} is not an objectId", raw_id)))?
    } else {
        raw_id
    };
    let email = attribute(assertion, &s.email_attribute)
        .ok_or_else(|| {
            missing(format!(
                "no attribute {:?} (SamlSettings.EmailAttribute)",
                s.email_attribute
            ))
        })?
        .to_ascii_lowercase();
    let name_id = assertion
        .subject
        .as_ref()
        .and_then(|s| s.name_id.as_ref())
        .map(|n| n.value.trim().to_string())
        .unwrap_or_default();
    let login = attribute(assertion, &s.username_attribute)
        .or(Some(name_id).filter(|n| !n.is_empty()))
        .unwrap_or_else(|| email.clone());
    Ok(Profile {
        oid: auth_data,
        email,
        login,
        first_name: attribute(assertion, &s.first_name_attribute).unwrap_or_default(),
        last_name: attribute(assertion, &s.last_name_attribute).unwrap_or_default(),
    })
}

/// Returns the `saml` user keyed by `profile.oid` (the AuthData), creating it on first sign-in.
pub async fn saml_user(state: &AppState, profile: &Profile) -> Result<User, AppError> {
    if let Some(u) = state
        .store
        .get_user_by_auth(AUTH_SERVICE, &profile.oid)
        .await?
    {
        return Ok(u);
    }
    let base = usernames::from_login(&profile.login, &profile.oid);
    let now = now_ms();
    for attempt in 0..20u32 {
        let user = User {
            id: mamgate_store::new_id(),
            create_at: now,
            update_at: now,
            username: usernames::with_suffix(&base, attempt),
            auth_service: AUTH_SERVICE.into(),
            auth_data: profile.oid.clone(),
            email: profile.email.clone(),
            email_verified: true,
            first_name: profile.first_name.clone(),
            last_name: profile.last_name.clone(),
            roles: roles::USER.into(),
            locale: "en".into(),
            ..User::default()
        };
        match state.store.get_or_create_by_auth(user).await {
            Ok(got) => return Ok(got.user),
            Err(StoreError::Conflict("username")) => continue,
            Err(StoreError::Conflict("email")) => {
                return Err(AppError::new(
                    ErrorId::SamlAlreadyAttached,
                    format!("email {} belongs to another account", profile.email),
                ))
            }
            Err(e) => return Err(e.into()),
        }
    }
    Err(AppError::new(
        ErrorId::UserExists,
        "could not find a free username",
    ))
}

/// Verifies the Response and returns the (possibly new, attributes refreshed) user.
pub async fn complete(state: &AppState, acs: &str, saml_response: &str) -> Result<User, AppError> {
    let config = state.config();
    let assertion = verify(&config, acs, saml_response)?;
    let profile = profile(&config, &assertion)?;
    let user = saml_user(state, &profile).await?;
    provision::sync_attributes(state, user, &profile).await
}

/// Where to go after sign-in: a local path from RelayState, else `/`.
pub fn after_login(relay_state: Option<&str>) -> String {
    match relay_state.map(str::trim) {
        // `//host` and `/\host` are protocol-relative elsewhere: only plain local paths.
        Some(r)
            if r.starts_with('/')
                && !r.starts_with("//")
                && !r.starts_with("/\\")
                && !r.chars().any(char::is_control) =>
        {
            r.to_string()
        }
        _ => "/".to_string(),
    }
}

fn xml_escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The refusal of `c`; a sentinel error when it is accepted.
    fn refusal_of(c: &Config) -> AppError {
        match service_provider(c, "http://x/acs") {
            Err(e) => e,
            Ok(_) => AppError::new(ErrorId::NotImplemented, "accepted"),
        }
    }

    #[test]
    fn configuration_gaps_are_named() {
        let mut c = Config::default();
        assert_eq!(refusal_of(&c).id, ErrorId::SamlNotEnabled);
        c.saml_settings.enable = true;
        c.saml_settings.idp_url = "http://idp/saml2".into();
        c.saml_settings.idp_descriptor_url = "https://sts.windows.net/t/".into();
        c.saml_settings.service_provider_identifier = "sp".into();
        c.saml_settings.id_attribute = "objectidentifier".into();
        let e = refusal_of(&c);
        assert!(e.reason.contains("IdpCertificateFile"), "{}", e.reason);
        c.saml_settings.idp_certificate_file = "/nonexistent/idp.pem".into();
        let e = refusal_of(&c);
        assert_eq!(e.id, ErrorId::SamlNotEnabled);
        assert!(e.reason.contains("/nonexistent/idp.pem"), "{}", e.reason);
    }

    #[test]
    fn acs_and_relay_state() {
        let mut c = Config::default();
        assert_eq!(
            acs_url(&c, "https://chat.example.com/"),
            "https://chat.example.com/login/sso/saml"
        );
        c.saml_settings.assertion_consumer_service_url = "https://other/acs".into();
        assert_eq!(acs_url(&c, "https://chat.example.com"), "https://other/acs");
        assert_eq!(after_login(Some("/team/channels/x")), "/team/channels/x");
        for bad in [
            None,
            Some("https://evil"),
            Some("//evil"),
            Some("/\\evil"),
            Some(""),
        ] {
            assert_eq!(after_login(bad), "/");
        }
    }

    #[test]
    fn requests_are_single_use() {
        remember("_a");
        assert!(waiting_ids().contains(&"_a".to_string()));
        assert!(consume("_a"));
        assert!(!consume("_a"));
        assert!(!consume("_never"));
    }
}
