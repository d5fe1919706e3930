//! Office 365 / OpenID Connect web sign-in (CONTRACT §4): `GET /oauth/office365/login`
//! redirects to Entra's authorize endpoint; `GET /signup/office365/complete` exchanges the code,
//! reads Graph `/v1.0/me` and signs the user in. The account key is Graph `id` (= objectId =
//! the mobile token's `oid`), so web and mobile resolve the same user.

use mamgate_core::config::{Config, KNOWN_CLOUDS};
use mamgate_core::identity::normalize_object_id;
use mamgate_core::ErrorId;
use serde::Deserialize;

use crate::error::AppError;
use crate::provision::{self, Profile};
use crate::state::AppState;

/// The state cookie tying the callback to the browser that started the sign-in.
pub const STATE_COOKIE: &str = "MMOAUTHSTATE";

/// Where the Entra and Graph endpoints are.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Endpoints {
    pub authorize: String,
    pub token: String,
    pub user_api: String,
}

/// The endpoints from `Office365Settings`, derived from the authority host and tenant when
/// not set explicitly; Graph lives on the cloud's own Graph host, or on the emulator.
pub fn endpoints(config: &Config) -> Result<Endpoints, AppError> {
    let o = &config.office365_settings;
    if !o.enable || o.id.is_empty() {
        return Err(AppError::new(
            ErrorId::OAuthUnsupported,
            "Office365Settings.Enable is false or Id is empty",
        ));
    }
    let tenant = [&o.directory_id, &config.intune_settings.tenant_id]
        .into_iter()
        .find(|t| !t.is_empty())
        .cloned()
        .unwrap_or_else(|| "organizations".into());
    let authority = config.intune_settings.authority();
    let or = |explicit: &str, derived: String| {
        if explicit.is_empty() {
            derived
        } else {
            explicit.to_string()
        }
    };
    let graph = match KNOWN_CLOUDS.iter().position(|(host, _)| *host == authority) {
        Some(0) => "https://graph.microsoft.com".to_string(),
        Some(1) => "https://graph.microsoft.us".to_string(),
        Some(_) => "https://microsoftgraph.chinacloudapi.cn".to_string(),
        None => authority.to_string(),
    };
    Ok(Endpoints {
        authorize: or(
            &o.auth_endpoint,
            format!("{authority}/{tenant}/oauth2/v2.0/authorize"),
        ),
        token: or(
            &o.token_endpoint,
            format!("{authority}/{tenant}/oauth2/v2.0/token"),
        ),
        user_api: or(&o.user_api_endpoint, format!("{graph}/v1.0/me")),
    })
}

/// The authorize URL to redirect the browser to.
pub fn authorize_url(
    config: &Config,
    redirect_uri: &str,
    state: &str,
    login_hint: Option<&str>,
) -> Result<String, AppError> {
    let e = endpoints(config)?;
    let scope = format!("openid profile email {}", config.office365_settings.scope);
    let mut url = format!(
        "{}?client_id={}&response_type=code&response_mode=query&redirect_uri={}&scope={}&state={}",
        e.authorize,
        enc(&config.office365_settings.id),
        enc(redirect_uri),
        enc(scope.trim()),
        enc(state)
    );
    if let Some(hint) = login_hint.filter(|h| !h.is_empty()) {
        url.push_str(&format!("&login_hint={}", enc(hint)));
    }
    Ok(url)
}

fn enc(s: &str) -> String {
    let mut out = String::new();
    for b in s.bytes() {
        match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                out.push(b as char)
            }
            _ => out.push_str(&format!("%{b:02X}")),
        }
    }
    out
}

#[derive(Debug, Deserialize)]
struct TokenResponse {
    access_token: Option<String>,
    error: Option<String>,
    error_description: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct GraphMe {
    id: String,
    #[serde(default)]
    mail: Option<String>,
    #[serde(default)]
    user_principal_name: Option<String>,
    #[serde(default)]
    given_name: Option<String>,
    #[serde(default)]
    surname: Option<String>,
}

/// Exchanges the code, reads Graph `/me`, and returns the (possibly new) user.
pub async fn complete(
    state: &AppState,
    code: &str,
    redirect_uri: &str,
) -> Result<mamgate_core::model::User, AppError> {
    let config = state.config();
    let e = endpoints(&config)?;
    let fail = |why: String| AppError::new(ErrorId::OAuthProviderFailed, why);
    let form = [
        ("grant_type", "authorization_code"),
        ("client_id", config.office365_settings.id.as_str()),
        ("client_secret", config.office365_settings.secret.as_str()),
        ("code", code),
        ("redirect_uri", redirect_uri),
    ];
    let resp = state
        .http
        .post(&e.token)
        .form(&form)
        .send()
        .await
        .map_err(|err| fail(format!("token endpoint: {err}")))?;
    let token: TokenResponse = resp
        .json()
        .await
        .map_err(|err| fail(format!("token response: {err}")))?;
    let access = match token.access_token {
        Some(t) => t,
        None => {
            return Err(fail(format!(
                "{}: {}",
                token.error.unwrap_or_default(),
                token.error_description.unwrap_or_default()
            )))
        }
    };
    let me: GraphMe = state
        .http
        .get(&e.user_api)
        .bearer_auth(access)
        .send()
        .await
        .map_err(|err| fail(format!("graph: {err}")))?
        .error_for_status()
        .map_err(|err| fail(format!("graph: {err}")))?
        .json()
        .await
        .map_err(|err| fail(format!("graph /me: {err}")))?;
    let oid = normalize_object_id(&me.id).ok_or_else(|| {
        AppError::new(
            ErrorId::ExtractAuthData,
            format!("Graph id {:?} is not an objectId", me.id),
        )
    })?;
    let email = me
        .mail
        .clone()
        .or_else(|| me.user_principal_name.clone())
        .unwrap_or_default()
        .to_ascii_lowercase();
    let profile = Profile {
        oid,
        login: me
            .user_principal_name
            .clone()
            .unwrap_or_else(|| email.clone()),
        email,
        first_name: me.given_name.unwrap_or_default(),
        last_name: me.surname.unwrap_or_default(),
    };
    let user = provision::office365_user(state, &profile).await?;
    provision::sync_attributes(state, user, &profile).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn endpoints_follow_the_cloud() {
        let mut c = Config::default();
        assert_eq!(endpoints(&c).unwrap_err().id, ErrorId::OAuthUnsupported);
        c.office365_settings.enable = true;
        c.office365_settings.id = "app".into();
        c.office365_settings.directory_id = "tid".into();
        let e = endpoints(&c).unwrap();
        assert_eq!(
            e.authorize,
            "https://login.microsoftonline.com/tid/oauth2/v2.0/authorize"
        );
        assert_eq!(e.user_api, "https://graph.microsoft.com/v1.0/me");
        c.intune_settings.authority_host = "https://login.microsoftonline.us".into();
        assert_eq!(
            endpoints(&c).unwrap().user_api,
            "https://graph.microsoft.us/v1.0/me"
        );
        c.intune_settings.authority_host = "http://127.0.0.1:9/".into();
        let e = endpoints(&c).unwrap();
        assert_eq!(e.token, "http://127.0.0.1:9/tid/oauth2/v2.0/token");
        assert_eq!(e.user_api, "http://127.0.0.1:9/v1.0/me");
        assert!(authorize_url(&c, "http://x/cb", "s t", Some("a@b"))
            .unwrap()
            .contains("state=s%20t&login_hint=a%40b"));
    }
}
