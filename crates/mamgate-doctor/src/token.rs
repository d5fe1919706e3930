//! The server's verdict on a sample token (CONTRACT §2 rows 8–13), computed with the same
//! function the server calls: [`mamgate_token::validate_with_keys`].
//!
//! Without the tenant's keys the signature cannot be checked offline. Rather than re-implement
//! the claim checks, the doctor then re-signs the token's own header and payload with a key of
//! its own under the token's `kid` (with Entra's issuer template on the key) and runs the very
//! same validation: every answer but "bad signature" stays what the server would say.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use mamgate_core::config::IntuneSettings;
use mamgate_core::identity::{normalize_object_id, provider_key_problem};
use mamgate_core::{Config, ErrorId};
use mamgate_token::signing::SigningKey;
use mamgate_token::validate::MAX_TOKEN_BYTES;
use mamgate_token::{validate_with_keys, Claims, Jwks, KeySet, TokenError, ValidationParams};
use serde_json::{Map, Value};

/// The server's answer for a token, and how sure the doctor is of it.
#[derive(Debug, Clone)]
pub struct TokenVerdict {
    /// `Ok` = the sign-in passes rows 8–13; `Err` = the id and reason the server gives.
    pub result: Result<Claims, TokenError>,
    /// False when no keys were given and the signature was therefore not verified.
    pub signature_checked: bool,
}

impl TokenVerdict {
    /// The error id, if the token is refused.
    pub fn error_id(&self) -> Option<ErrorId> {
        self.result.as_ref().err().map(|e| e.id)
    }
}

/// The v2 issuer template of the configured cloud: what discovery returns for the tenant.
pub fn issuer_template(intune: &IntuneSettings) -> String {
    format!("{}/{{tenantid}}/v2.0", intune.authority())
}

/// Rows 8–13 for `token` under `config`; `jwks` are the tenant's keys when known.
pub fn token_verdict(
    token: &str,
    config: &Config,
    jwks: Option<&Jwks>,
    now_secs: i64,
) -> TokenVerdict {
    let intune = &config.intune_settings;
    let template = issuer_template(intune);
    let params = ValidationParams {
        tenant_id: &intune.tenant_id,
        client_id: &intune.client_id,
        issuer_template: &template,
    };
    let token = token.trim();
    let (result, signature_checked) = match jwks {
        Some(jwks) => (
            validate_with_keys(token, &KeySet::from_jwks(jwks), &params, now_secs),
            true,
        ),
        None => match resign(token, &template) {
            Some((resigned, keys)) => (
                validate_with_keys(&resigned, &keys, &params, now_secs),
                false,
            ),
            // The token fails before any key is looked up: the empty set gives that answer.
            None => (
                validate_with_keys(token, &KeySet::default(), &params, now_secs),
                false,
            ),
        },
    };
    let result = result.and_then(|claims| row_13(claims, config));
    TokenVerdict {
        result,
        signature_checked,
    }
}

/// Row 13: the oid must be an objectId and the provider must key users by it.
fn row_13(claims: Claims, config: &Config) -> Result<Claims, TokenError> {
    if normalize_object_id(&claims.oid).is_none() {
        return Err(TokenError::new(
            ErrorId::ExtractAuthData,
            format!("oid {:?} is not a GUID", claims.oid),
        ));
    }
    if let Some(problem) = provider_key_problem(config) {
        return Err(TokenError::new(ErrorId::ExtractAuthData, problem));
    }
    Ok(claims)
}

/// The token re-signed with a fresh key under its own `kid`, and that key; `None` when the
/// token fails before the key lookup (no three parts, no kid, over the size limit).
fn resign(token: &str, issuer_template: &str) -> Option<(String, KeySet)> {
    if token.len() > MAX_TOKEN_BYTES {
        return None;
    }
    let mut parts = token.split('.');
    let (h, p, s) = (parts.next()?, parts.next()?, parts.next()?);
    if parts.next().is_some() || h.is_empty() || p.is_empty() || s.is_empty() {
        return None;
    }
    let header = decode_part(h)?;
    let kid = header
        .get("kid")
        .and_then(Value::as_str)
        .filter(|k| !k.is_empty())?;
    let key = SigningKey::generate(kid).ok()?;
    let signed = format!("{h}.{p}");
    let sig = key.sign_bytes(signed.as_bytes()).ok()?;
    Some((
        format!("{signed}.{}", URL_SAFE_NO_PAD.encode(sig)),
        key.key_set(Some(issuer_template)),
    ))
}

fn decode_part(part: &str) -> Option<Map<String, Value>> {
    let bytes = URL_SAFE_NO_PAD.decode(part.trim_end_matches('=')).ok()?;
    serde_json::from_slice(&bytes).ok()
}

/// The payload claims, without any validation (for display and identity alignment).
pub fn decode_claims(token: &str) -> Option<Map<String, Value>> {
    let mut parts = token.trim().split('.');
    let _header = parts.next()?;
    decode_part(parts.next()?)
}

/// The header, without any validation.
pub fn decode_header(token: &str) -> Option<Map<String, Value>> {
    decode_part(token.trim().split('.').next()?)
}

#[cfg(test)]
mod tests {
    use super::*;
    use mamgate_token::signing::sample_claims;

    const TENANT: &str = "11111111-2222-3333-4444-555555555555";
    const CLIENT: &str = "22222222-3333-4444-5555-666666666666";
    const NOW: i64 = 1_750_000_000;

    fn config() -> Config {
        let mut c = Config::default();
        c.intune_settings.enable = true;
        c.intune_settings.tenant_id = TENANT.into();
        c.intune_settings.client_id = CLIENT.into();
        c.intune_settings.auth_service = "office365".into();
        c.office365_settings.enable = true;
        c
    }

    #[test]
    fn without_keys_everything_but_the_signature_is_checked() {
        let key = SigningKey::generate("k1").unwrap();
        let good = key.sign(&sample_claims(TENANT, CLIENT, NOW)).unwrap();
        let v = token_verdict(&good, &config(), None, NOW);
        assert!(v.result.is_ok(), "{:?}", v.result);
        assert!(!v.signature_checked);
        let mut wrong_tenant = sample_claims(TENANT, CLIENT, NOW);
        wrong_tenant["tid"] = "99999999-2222-3333-4444-555555555555".into();
        wrong_tenant["iss"] =
            "https://login.microsoftonline.com/99999999-2222-3333-4444-555555555555/v2.0".into();
        let bad = key.sign(&wrong_tenant).unwrap();
        assert_eq!(
            token_verdict(&bad, &config(), None, NOW).error_id(),
            Some(ErrorId::InvalidTenantId)
        );
        assert_eq!(
            token_verdict("x.y", &config(), None, NOW).error_id(),
            Some(ErrorId::InvalidToken)
        );
        assert_eq!(
            token_verdict("", &config(), None, NOW).error_id(),
            Some(ErrorId::InvalidToken)
        );
    }

    #[test]
    fn decoding_for_display() {
        let key = SigningKey::generate("k1").unwrap();
        let t = key.sign(&sample_claims(TENANT, CLIENT, NOW)).unwrap();
        assert_eq!(decode_claims(&t).unwrap()["tid"], TENANT);
        assert_eq!(decode_header(&t).unwrap()["kid"], "k1");
        assert!(decode_claims("a.%%%.c").is_none());
    }
}
