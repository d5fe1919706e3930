//! Enrollment: verify the device's MAM token against Entra's published keys, then decide the
//! outcome from the tenant (license, policy targeting, consent).

use std::time::Duration;

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::clock;
use crate::grant;
use crate::jwt::{self, Decoded, JwtError};
use crate::tenant::{Tenant, MAM_RESOURCE_APP_ID, MAM_RESOURCE_URI, MAM_SCOPE};

/// The result of an enrollment (CLIENT.md "Enrollment outcomes").
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum EnrollOutcome {
    Success,
    /// The user has no Intune license.
    NotLicensed,
    /// No policy for this bundle id is assigned to one of the user's groups.
    NotTargeted,
    /// Tenant-wide admin consent for the MAM permission is missing (AADSTS650057).
    ConsentMissing,
    /// The MAM token did not verify.
    InvalidToken,
    /// The token's oid is not a user of the tenant.
    UnknownUser,
}

impl EnrollOutcome {
    /// The HTTP status the emulator answers with.
    pub fn status(self) -> u16 {
        match self {
            EnrollOutcome::Success => 200,
            EnrollOutcome::InvalidToken => 401,
            EnrollOutcome::UnknownUser => 404,
            _ => 403,
        }
    }
}

/// The body of `POST /enroll` and `GET /policy` answers.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EnrollResponse {
    pub outcome: EnrollOutcome,
    #[serde(default)]
    pub oid: Option<String>,
    #[serde(default)]
    pub bundle_id: Option<String>,
    /// The Graph `iosManagedAppProtection` applied, on success.
    #[serde(default)]
    pub policy: Option<Value>,
    /// `AADSTS650057` for consent_missing.
    #[serde(default)]
    pub error_code: Option<String>,
    pub message: String,
}

impl EnrollResponse {
    fn fail(
        outcome: EnrollOutcome,
        oid: Option<&str>,
        bundle_id: &str,
        message: impl Into<String>,
    ) -> EnrollResponse {
        EnrollResponse {
            outcome,
            oid: oid.map(str::to_string),
            bundle_id: Some(bundle_id.to_string()),
            policy: None,
            error_code: None,
            message: message.into(),
        }
    }
}

/// The outcome for a verified token's user and client and a bundle id.
pub fn evaluate(
    tenant: &Tenant,
    oid: &str,
    client_id: Option<&str>,
    bundle_id: &str,
) -> EnrollResponse {
    let Some(user) = tenant
        .users
        .iter()
        .find(|u| u.oid.eq_ignore_ascii_case(oid))
    else {
        return EnrollResponse::fail(
            EnrollOutcome::UnknownUser,
            Some(oid),
            bundle_id,
            "The user is not in the tenant.",
        );
    };
    if let Some(client) = client_id {
        if let Err(e) = grant::plan(tenant, client, MAM_SCOPE) {
            if e.code == 650057 {
                let mut r = EnrollResponse::fail(
                    EnrollOutcome::ConsentMissing,
                    Some(oid),
                    bundle_id,
                    e.description(),
                );
                r.error_code = Some("AADSTS650057".into());
                return r;
            }
        }
    }
    if !user.intune_licensed {
        return EnrollResponse::fail(
            EnrollOutcome::NotLicensed,
            Some(oid),
            bundle_id,
            format!("{} does not have an Intune license.", user.upn),
        );
    }
    match tenant
        .app_protection_policies
        .find_for(bundle_id, &user.groups)
    {
        Some(policy) => EnrollResponse {
            outcome: EnrollOutcome::Success,
            oid: Some(user.oid.clone()),
            bundle_id: Some(bundle_id.to_string()),
            policy: Some(policy.clone()),
            error_code: None,
            message: "Enrolled.".into(),
        },
        None => EnrollResponse::fail(
            EnrollOutcome::NotTargeted,
            Some(oid),
            bundle_id,
            format!(
                "No app protection policy for {bundle_id} is assigned to a group of {}.",
                user.upn
            ),
        ),
    }
}

/// Why a MAM token was refused.
#[derive(Debug, thiserror::Error)]
pub enum VerifyError {
    #[error(transparent)]
    Jwt(#[from] JwtError),
    #[error("cannot fetch Entra's keys from {url}: {reason}")]
    Keys { url: String, reason: String },
}

/// Fetches the JWKS from the tenant's authority and verifies signature, expiry, audience and tenant.
pub async fn verify_mam_token(
    http: &reqwest::Client,
    authority: &str,
    tenant_id: &str,
    token: &str,
) -> Result<Decoded, VerifyError> {
    let d = jwt::decode(token)?;
    let kid = d.kid().ok_or(JwtError::NoKid)?.to_string();
    let url = format!("{authority}/{tenant_id}/discovery/v2.0/keys");
    let keys_err = |reason: String| VerifyError::Keys {
        url: url.clone(),
        reason,
    };
    let jwks: Value = http
        .get(&url)
        .timeout(Duration::from_secs(5))
        .send()
        .await
        .and_then(reqwest::Response::error_for_status)
        .map_err(|e| keys_err(e.to_string()))?
        .json()
        .await
        .map_err(|e| keys_err(e.to_string()))?;
    let jwk = jwks
        .get("keys")
        .and_then(Value::as_array)
        .and_then(|keys| {
            keys.iter()
                .find(|k| k.get("kid").and_then(Value::as_str) == Some(kid.as_str()))
        })
        .ok_or_else(|| JwtError::UnknownKey(kid.clone()))?;
    let (n, e) = jwt::jwk_components(jwk).ok_or_else(|| keys_err("a key has no n/e".into()))?;
    d.verify(&n, &e)?;
    d.check_exp(clock::now())?;
    let aud = d.claim("aud").unwrap_or_default();
    let aud_ok = aud
        .trim_end_matches('/')
        .eq_ignore_ascii_case(MAM_RESOURCE_URI)
        || aud.eq_ignore_ascii_case(MAM_RESOURCE_APP_ID);
    if !aud_ok {
        return Err(JwtError::WrongAudience(aud.to_string()).into());
    }
    let tid = d.claim("tid").unwrap_or_default();
    if !tid.eq_ignore_ascii_case(tenant_id) {
        return Err(JwtError::WrongTenant(tid.to_string()).into());
    }
    Ok(d)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tenant::*;

    #[test]
    fn outcomes_by_tenant_state() {
        let mut t = example_tenant("http://127.0.0.1:1");
        let c = Some(OFFICIAL_CLIENT_ID);
        let o = |t: &Tenant, oid: &str, b: &str| evaluate(t, oid, c, b).outcome;
        assert_eq!(
            o(&t, ALICE_OID, PRODUCTION_BUNDLE_ID),
            EnrollOutcome::Success
        );
        assert_eq!(
            o(&t, UNLICENSED_OID, PRODUCTION_BUNDLE_ID),
            EnrollOutcome::NotLicensed
        );
        assert_eq!(
            o(&t, UNTARGETED_OID, PRODUCTION_BUNDLE_ID),
            EnrollOutcome::NotTargeted
        );
        assert_eq!(
            o(&t, ALICE_OID, "com.example.other"),
            EnrollOutcome::NotTargeted
        );
        assert_eq!(
            o(
                &t,
                "00000000-0000-0000-0000-000000000000",
                PRODUCTION_BUNDLE_ID
            ),
            EnrollOutcome::UnknownUser
        );
        let r = evaluate(&t, ALICE_OID, c, PRODUCTION_BUNDLE_ID);
        assert_eq!(
            r.policy.unwrap()["id"],
            serde_json::json!(EXAMPLE_PRODUCTION_POLICY_ID)
        );
        t.set_admin_consent(EXAMPLE_SERVER_APP_ID, false);
        let r = evaluate(&t, ALICE_OID, c, PRODUCTION_BUNDLE_ID);
        assert_eq!(r.outcome, EnrollOutcome::ConsentMissing);
        assert_eq!(r.error_code.as_deref(), Some("AADSTS650057"));
    }
}
