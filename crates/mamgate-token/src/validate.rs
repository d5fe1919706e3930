//! Pure validation of an Entra v2 access token against a key set: CONTRACT §2 rows 8–12.

use std::borrow::Cow;

use aws_lc_rs::signature::ParsedPublicKey;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use mamgate_core::identity::guid_eq;
use mamgate_core::ErrorId;

use crate::claims::{Claims, Header, NumericDate, Payload};
use crate::error::TokenError;
use crate::keys::KeySet;

/// Tokens larger than this are refused before any decoding (row 8).
pub const MAX_TOKEN_BYTES: usize = 16 * 1024;
/// Allowed clock skew for `exp` and `nbf` (IdentityModel's default, five minutes).
pub const CLOCK_SKEW_SECS: i64 = 300;
/// The delegated scope the mobile app asks for (`api://<ClientId>/login.mattermost`).
pub const REQUIRED_SCOPE: &str = "login.mattermost";
/// Placeholder Entra uses in tenant-independent issuers.
pub const TENANT_PLACEHOLDER: &str = "{tenantid}";

/// What a token is checked against.
#[derive(Debug, Clone, Copy)]
pub struct ValidationParams<'a> {
    /// `IntuneSettings.TenantId` (any case).
    pub tenant_id: &'a str,
    /// `IntuneSettings.ClientId` (any case).
    pub client_id: &'a str,
    /// The discovery document's `issuer`, e.g. `https://login.microsoftonline.com/{tenantid}/v2.0`.
    pub issuer_template: &'a str,
}

/// Why the pure check stopped; the cache refreshes keys on `UnknownKid` before answering.
#[derive(Debug)]
pub(crate) enum Failure {
    UnknownKid(String),
    Refused(TokenError),
}

impl Failure {
    pub(crate) fn into_error(self) -> TokenError {
        match self {
            Failure::UnknownKid(kid) => TokenError::invalid(format!("kid {kid:?} unknown")),
            Failure::Refused(e) => e,
        }
    }
}

impl From<TokenError> for Failure {
    fn from(e: TokenError) -> Self {
        Failure::Refused(e)
    }
}

/// Validates `token` (rows 8–12, first failure answers) with `now_secs` as the current time.
pub fn validate_with_keys(
    token: &str,
    keys: &KeySet,
    params: &ValidationParams<'_>,
    now_secs: i64,
) -> Result<Claims, TokenError> {
    check(token, keys, params, now_secs).map_err(Failure::into_error)
}

fn malformed(what: impl std::fmt::Display) -> Failure {
    Failure::Refused(TokenError::invalid(format!("malformed token: {what}")))
}

pub(crate) fn check(
    token: &str,
    keys: &KeySet,
    params: &ValidationParams<'_>,
    now: i64,
) -> Result<Claims, Failure> {
    // Row 8: shape, header, signature, key issuer.
    if token.len() > MAX_TOKEN_BYTES {
        return Err(malformed(format_args!(
            "{} bytes, over 16 KiB",
            token.len()
        )));
    }
    let mut parts = token.split('.');
    let (h64, p64, s64) = match (parts.next(), parts.next(), parts.next(), parts.next()) {
        (Some(h), Some(p), Some(s), None) if !h.is_empty() && !p.is_empty() && !s.is_empty() => {
            (h, p, s)
        }
        _ => return Err(malformed("not three base64url parts")),
    };

    let mut header_buf = [0u8; 512];
    let header_bytes =
        decode_small(h64, &mut header_buf).map_err(|e| malformed(format_args!("header: {e}")))?;
    let header: Header<'_> =
        parse_object(&header_bytes).map_err(|e| malformed(format_args!("header: {e}")))?;
    match header.alg.as_deref() {
        Some("RS256") => {}
        other => return Err(TokenError::invalid(format!("alg {other:?} is not RS256")).into()),
    }
    let kid = match header.kid.as_deref() {
        Some(k) if !k.is_empty() => k,
        _ => return Err(TokenError::invalid("no kid in header").into()),
    };

    let mut payload_bytes = Vec::with_capacity(p64.len() / 4 * 3 + 3);
    URL_SAFE_NO_PAD
        .decode_vec(p64, &mut payload_bytes)
        .map_err(|e| malformed(format_args!("payload: {e}")))?;
    let payload: Payload<'_> =
        parse_object(&payload_bytes).map_err(|e| malformed(format_args!("payload: {e}")))?;
    let Some(NumericDate(exp)) = payload.exp else {
        return Err(malformed("no exp"));
    };

    let key = keys
        .get(kid)
        .ok_or_else(|| Failure::UnknownKid(kid.to_owned()))?;
    let mut sig_buf = [0u8; 1024];
    let sig_len = URL_SAFE_NO_PAD
        .decode_slice(s64, &mut sig_buf)
        .map_err(|e| malformed(format_args!("signature: {e}")))?;
    let signed = token.get(..h64.len() + 1 + p64.len()).unwrap_or_default();
    verify(
        &key.public,
        signed,
        sig_buf.get(..sig_len).unwrap_or_default(),
    )?;

    let iss = payload.iss.as_deref().unwrap_or_default();
    let tid = payload.tid.as_deref().unwrap_or_default();
    // Without a tid the template cannot be filled in; row 10 answers for that token.
    if let (Some(template), false) = (key.issuer.as_deref(), tid.is_empty()) {
        if !issuer_matches(template, tid, iss) {
            let hint = if payload.ver.as_deref() == Some("1.0") {
                " (a ver 1.0 token: the app registration lacks accessTokenAcceptedVersion = 2)"
            } else {
                ""
            };
            return Err(TokenError::invalid(format!(
                "iss {iss:?} does not match the issuer {template:?} of key {kid:?} for tid {tid}{hint}"
            ))
            .into());
        }
    }

    // Row 9.
    if now > exp.saturating_add(CLOCK_SKEW_SECS) {
        return Err(TokenError::new(
            ErrorId::TokenExpired,
            format!(
                "expired: exp {exp} is {} s before now {now} (skew {CLOCK_SKEW_SECS} s)",
                now.saturating_sub(exp)
            ),
        )
        .into());
    }

    // Row 10.
    let oid = payload.oid.as_deref().unwrap_or_default();
    if oid.is_empty() || tid.is_empty() {
        let missing = match (oid.is_empty(), tid.is_empty()) {
            (true, true) => "oid and tid",
            (true, false) => "oid",
            _ => "tid",
        };
        return Err(TokenError::new(
            ErrorId::MissingClaims,
            format!("{missing} claim missing or empty"),
        )
        .into());
    }

    // Row 11.
    if !guid_eq(tid, params.tenant_id) {
        return Err(TokenError::new(
            ErrorId::InvalidTenantId,
            format!("tid mismatch: token {tid} configured {}", params.tenant_id),
        )
        .into());
    }

    // Row 12.
    let ver = payload.ver.as_deref().unwrap_or_default();
    if ver != "2.0" {
        return Err(TokenError::invalid(format!(
            "ver {ver:?}: app registration lacks accessTokenAcceptedVersion = 2"
        ))
        .into());
    }
    if !issuer_matches(params.issuer_template, params.tenant_id, iss) {
        return Err(TokenError::invalid(format!(
            "iss {iss:?} is not the discovery issuer {} for TenantId {}",
            params.issuer_template, params.tenant_id
        ))
        .into());
    }
    match &payload.aud {
        Some(aud) if aud.contains(params.client_id) => {}
        Some(aud) => {
            return Err(TokenError::invalid(format!(
                "aud {} is not ClientId {}",
                aud.describe(),
                params.client_id
            ))
            .into())
        }
        None => return Err(TokenError::invalid("no aud").into()),
    }
    if let Some(NumericDate(nbf)) = payload
        .nbf
        .filter(|n| n.0 > now.saturating_add(CLOCK_SKEW_SECS))
    {
        return Err(TokenError::invalid(format!(
            "not yet valid: nbf {nbf} is {} s after now {now} (skew {CLOCK_SKEW_SECS} s)",
            nbf.saturating_sub(now)
        ))
        .into());
    }
    if payload.idtyp.as_deref() == Some("app") {
        return Err(
            TokenError::invalid("app-only token (idtyp app): a user token is required").into(),
        );
    }
    let scp = match payload.scp.as_deref() {
        Some(s) => s,
        None if payload.roles.is_some() => {
            return Err(TokenError::invalid(
                "app-only token (roles without scp): a user token is required",
            )
            .into())
        }
        None => "",
    };
    if !scp.split(' ').any(|s| s == REQUIRED_SCOPE) {
        return Err(TokenError::invalid(format!("scp {scp:?} lacks {REQUIRED_SCOPE}")).into());
    }

    let claims = Claims::from_payload(&payload, exp);
    drop(payload);
    Ok(claims.with_payload(payload_bytes))
}

fn verify(key: &ParsedPublicKey, signed: &str, sig: &[u8]) -> Result<(), Failure> {
    key.verify_sig(signed.as_bytes(), sig)
        .map_err(|_| TokenError::invalid("bad signature").into())
}

/// Decodes a short base64url part on the stack, falling back to the heap when it is long.
fn decode_small<'b>(part: &str, buf: &'b mut [u8]) -> Result<Cow<'b, [u8]>, base64::DecodeError> {
    if part.len() / 4 * 3 + 3 <= buf.len() {
        match URL_SAFE_NO_PAD.decode_slice(part, buf) {
            Ok(n) => return Ok(Cow::Borrowed(buf.get(..n).unwrap_or_default())),
            Err(base64::DecodeSliceError::DecodeError(e)) => return Err(e),
            Err(base64::DecodeSliceError::OutputSliceTooSmall) => {}
        }
    }
    URL_SAFE_NO_PAD.decode(part).map(Cow::Owned)
}

/// JSON objects only: serde's derived structs would also accept arrays.
fn parse_object<'a, T: serde::Deserialize<'a>>(bytes: &'a [u8]) -> Result<T, String> {
    match bytes.iter().find(|b| !b.is_ascii_whitespace()) {
        Some(b'{') => serde_json::from_slice(bytes).map_err(|e| format!("bad JSON: {e}")),
        _ => Err("not a JSON object".into()),
    }
}

/// `iss` equals `template` with `{tenantid}` replaced by `tenant`, ASCII case-insensitively
/// (GUIDs may be pasted in upper case; hosts are case-insensitive anyway).
pub fn issuer_matches(template: &str, tenant: &str, iss: &str) -> bool {
    let Some(at) = template.find(TENANT_PLACEHOLDER) else {
        return template.eq_ignore_ascii_case(iss);
    };
    let (prefix, rest) = template.split_at(at);
    let suffix = rest.get(TENANT_PLACEHOLDER.len()..).unwrap_or_default();
    let eq = |range: Option<&str>, want: &str| range.is_some_and(|s| s.eq_ignore_ascii_case(want));
    let mid = prefix.len() + tenant.len();
    iss.len() == mid + suffix.len()
        && eq(iss.get(..prefix.len()), prefix)
        && eq(iss.get(prefix.len()..mid), tenant)
        && eq(iss.get(mid..), suffix)
}

#[cfg(test)]
#[path = "validate_tests.rs"]
mod tests;
