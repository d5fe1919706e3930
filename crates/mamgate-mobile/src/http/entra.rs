//! [`Msal`] against the Entra emulator: its simulator grant
//! (`grant_type=urn:mamgate:grant-type:user`) names the user, since there is no browser.

use async_trait::async_trait;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use serde_json::Value;

use crate::model::{MsalError, MsalIdentity, MsalTokens};
use crate::ports::Msal;

/// The emulator's user grant.
pub const USER_GRANT_TYPE: &str = "urn:mamgate:grant-type:user";
/// The production app's bundle id.
pub const PRODUCTION_BUNDLE_ID: &str = "com.mattermost.rn";
/// The beta app's bundle id.
pub const BETA_BUNDLE_ID: &str = "com.mattermost.rnbeta";

/// The official client id of a bundle id (mobile-client-facts §4); the beta id for any other.
pub fn client_id_for_bundle(bundle_id: &str) -> &'static str {
    match bundle_id {
        PRODUCTION_BUNDLE_ID => "9ac649f1-4f77-44d6-9792-b2f54ab3c9a7",
        _ => "64e9952b-20eb-46dc-92ad-99089ed24903",
    }
}

/// MSAL talking to an Entra (emulator) authority.
#[derive(Clone)]
pub struct HttpMsal {
    http: reqwest::Client,
    /// `http://host:port` of the Entra emulator.
    pub authority_host: String,
    /// The authority's tenant segment (MSAL's default is `organizations`).
    pub tenant: String,
    pub client_id: String,
}

impl HttpMsal {
    /// MSAL for the app with `bundle_id` against `authority_host`.
    pub fn new(authority_host: &str, bundle_id: &str) -> HttpMsal {
        HttpMsal {
            http: super::client(),
            authority_host: authority_host.trim_end_matches('/').to_string(),
            tenant: "organizations".into(),
            client_id: client_id_for_bundle(bundle_id).into(),
        }
    }
}

#[async_trait]
impl Msal for HttpMsal {
    async fn acquire_token(
        &self,
        _server_url: &str,
        upn: &str,
        scopes: &[String],
    ) -> Result<MsalTokens, MsalError> {
        let url = format!("{}/{}/oauth2/v2.0/token", self.authority_host, self.tenant);
        let scope = scopes.join(" ");
        let form = [
            ("grant_type", USER_GRANT_TYPE),
            ("client_id", self.client_id.as_str()),
            ("username", upn),
            ("scope", scope.as_str()),
        ];
        let r = self
            .http
            .post(&url)
            .form(&form)
            .send()
            .await
            .map_err(|e| MsalError {
                code: "transport".into(),
                message: format!("cannot reach Entra at {url}: {e}"),
            })?;
        let status = r.status();
        let body: Value = r.json().await.unwrap_or(Value::Null);
        if !status.is_success() {
            let s = |k: &str| {
                body.get(k)
                    .and_then(Value::as_str)
                    .unwrap_or_default()
                    .to_string()
            };
            let description = s("error_description");
            let code = description
                .split(':')
                .next()
                .filter(|c| c.starts_with("AADSTS"))
                .map(str::to_string);
            let message = description.lines().next().unwrap_or_default().to_string();
            return Err(MsalError {
                code: code.unwrap_or_else(|| {
                    if s("error").is_empty() {
                        format!("http_{status}")
                    } else {
                        s("error")
                    }
                }),
                message: if message.is_empty() {
                    format!("Entra answered HTTP {status}")
                } else {
                    message
                },
            });
        }
        let access_token = body
            .get("access_token")
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_string();
        let claims = claims(&access_token).ok_or_else(|| MsalError {
            code: "invalid_response".into(),
            message: "Entra returned no readable access token".into(),
        })?;
        let c = |k: &str| {
            claims
                .get(k)
                .and_then(Value::as_str)
                .unwrap_or_default()
                .to_string()
        };
        let upn_claim = [c("preferred_username"), c("upn"), c("unique_name")]
            .into_iter()
            .find(|s| !s.is_empty());
        Ok(MsalTokens {
            identity: MsalIdentity {
                upn: upn_claim.unwrap_or_else(|| upn.to_string()),
                tid: c("tid"),
                oid: c("oid"),
            },
            id_token: body
                .get("id_token")
                .and_then(Value::as_str)
                .unwrap_or_default()
                .to_string(),
            access_token,
        })
    }
}

/// The payload of a JWT, unverified (MSAL reads its own token's claims; the server verifies).
pub fn claims(jwt: &str) -> Option<Value> {
    let payload = jwt.split('.').nth(1)?;
    serde_json::from_slice(&URL_SAFE_NO_PAD.decode(payload).ok()?).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_claims_and_bundles() {
        let payload = URL_SAFE_NO_PAD.encode(br#"{"oid":"o","tid":"t"}"#);
        assert_eq!(claims(&format!("h.{payload}.s")).unwrap()["oid"], "o");
        assert!(claims("garbage").is_none());
        assert_eq!(
            client_id_for_bundle("com.mattermost.rn"),
            "9ac649f1-4f77-44d6-9792-b2f54ab3c9a7"
        );
        assert_eq!(
            client_id_for_bundle("com.mattermost.rnbeta"),
            "64e9952b-20eb-46dc-92ad-99089ed24903"
        );
    }
}
