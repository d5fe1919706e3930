//! Session authentication for `/api/v4/*` and session creation for the sign-in paths.

use std::sync::Arc;

use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use axum::http::{header, HeaderMap, HeaderValue, Method};
use mamgate_core::model::{Session, User};
use mamgate_core::ErrorId;
use mamgate_store::hash_token;
use serde_json::{Map, Value};

use crate::context::RequestCtx;
use crate::error::AppError;
use crate::state::{now_ms, AppState};

/// A request made with a valid session.
#[derive(Debug, Clone)]
pub struct Authed {
    pub session: Session,
    pub user: User,
}

impl Authed {
    /// Fails unless the user is a system admin.
    pub fn require_admin(&self) -> Result<(), AppError> {
        if self.user.is_system_admin() {
            Ok(())
        } else {
            Err(AppError::new(
                ErrorId::PermissionDenied,
                "system_admin required",
            ))
        }
    }
}

/// The token of a request and whether it came from the cookie (which needs the CSRF header).
pub fn request_token(headers: &HeaderMap) -> Option<(String, bool)> {
    if let Some(v) = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
    {
        let v = v.trim();
        for prefix in ["bearer ", "token "] {
            if v.len() > prefix.len() && v[..prefix.len()].eq_ignore_ascii_case(prefix) {
                return Some((v[prefix.len()..].trim().to_string(), false));
            }
        }
    }
    if let Some(v) = headers
        .get("token")
        .and_then(|v| v.to_str().ok())
        .filter(|v| !v.is_empty())
    {
        return Some((v.to_string(), false));
    }
    cookie_value(headers, "MMAUTHTOKEN").map(|t| (t, true))
}

/// The value of one cookie.
pub fn cookie_value(headers: &HeaderMap, name: &str) -> Option<String> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|c| cookie::Cookie::parse(c.trim().to_string()).ok())
        .find(|c| c.name() == name)
        .map(|c| c.value().to_string())
}

/// Resolves a token to its live session and active user.
pub async fn authenticate(state: &AppState, token: &str) -> Result<Authed, AppError> {
    let expired = || {
        AppError::new(
            ErrorId::SessionExpired,
            "unknown, expired or revoked session",
        )
    };
    let session = state
        .store
        .get_session_by_token_hash(&hash_token(token))
        .await?
        .ok_or_else(expired)?;
    if session.is_expired(now_ms()) {
        let _ = state.store.revoke_session(&session.id).await;
        return Err(expired());
    }
    let user = state
        .store
        .get_user(&session.user_id)
        .await?
        .ok_or_else(expired)?;
    if user.is_deactivated() {
        return Err(expired());
    }
    Ok(Authed { session, user })
}

impl FromRequestParts<Arc<AppState>> for Authed {
    type Rejection = AppError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &Arc<AppState>,
    ) -> Result<Self, Self::Rejection> {
        let (token, from_cookie) = request_token(&parts.headers)
            .ok_or_else(|| AppError::new(ErrorId::SessionExpired, "no token"))?;
        let authed = authenticate(state, &token).await?;
        if from_cookie && parts.method != Method::GET && parts.method != Method::HEAD {
            let sent = parts
                .headers
                .get("x-csrf-token")
                .and_then(|v| v.to_str().ok())
                .unwrap_or("");
            let requested_with = parts
                .headers
                .get("x-requested-with")
                .and_then(|v| v.to_str().ok())
                .unwrap_or("");
            if sent != authed.session.csrf_token && requested_with != "XMLHttpRequest" {
                return Err(AppError::new(
                    ErrorId::SessionExpired,
                    "CSRF token missing or wrong",
                ));
            }
        }
        Ok(authed)
    }
}

/// How a session is being created.
pub struct NewSession<'a> {
    pub user: &'a User,
    pub device_id: &'a str,
    pub voip_device_id: &'a str,
    pub is_oauth: bool,
    pub ctx: &'a RequestCtx,
}

/// A created session and what goes back to the client.
pub struct IssuedSession {
    pub token: String,
    pub session: Session,
}

/// A session ready to be written: the record, the token, and the device whose older
/// sessions the write revokes.
pub struct PreparedSession {
    pub issued: IssuedSession,
    pub revoke_device_id: Option<String>,
}

/// Creates a session with the device-id rules of CONTRACT §2.
pub async fn create_session(
    state: &AppState,
    new: NewSession<'_>,
) -> Result<IssuedSession, AppError> {
    let prepared = prepare_session(state, new);
    state
        .store
        .create_session(prepared.issued.session.clone(), prepared.revoke_device_id)
        .await?;
    Ok(prepared.issued)
}

/// Builds a session with the device-id rules of CONTRACT §2, without writing it.
pub fn prepare_session(state: &AppState, new: NewSession<'_>) -> PreparedSession {
    let cfg = state.config();
    let now = now_ms();
    let mobile = !new.device_id.is_empty() || !new.voip_device_id.is_empty();
    let hours = if mobile {
        cfg.service_settings.session_length_mobile_in_hours
    } else if new.is_oauth {
        cfg.service_settings.session_length_sso_in_hours
    } else {
        cfg.service_settings.session_length_web_in_hours
    };
    let token = mamgate_store::new_id();
    let mut props = Map::new();
    let (os, platform, browser) = describe_user_agent(&new.ctx.user_agent);
    props.insert("isMobile".into(), Value::String(mobile.to_string()));
    props.insert(
        "isOAuthUser".into(),
        Value::String(new.is_oauth.to_string()),
    );
    props.insert("isSaml".into(), Value::String("false".into()));
    props.insert("os".into(), Value::String(os.into()));
    props.insert("platform".into(), Value::String(platform.into()));
    props.insert("browser".into(), Value::String(browser.into()));
    if !new.voip_device_id.is_empty() {
        props.insert(
            "voip_device_id".into(),
            Value::String(new.voip_device_id.into()),
        );
    }
    let session = Session {
        id: mamgate_store::new_id(),
        token_hash: hash_token(&token),
        user_id: new.user.id.clone(),
        create_at: now,
        expires_at: now + hours.max(1) * 3_600_000,
        last_activity_at: now,
        device_id: new.device_id.to_string(),
        roles: new.user.roles.clone(),
        csrf_token: mamgate_store::new_id(),
        is_oauth: new.is_oauth,
        props,
    };
    let revoke_device_id = (!new.device_id.is_empty()).then(|| new.device_id.to_string());
    PreparedSession {
        issued: IssuedSession { token, session },
        revoke_device_id,
    }
}

/// The `Token` header and the three cookies of a signed-in response.
pub fn login_headers(
    state: &AppState,
    issued: &IssuedSession,
    secure: bool,
) -> Vec<(header::HeaderName, HeaderValue)> {
    let max_age = state
        .config()
        .service_settings
        .session_length_web_in_hours
        .max(1)
        * 3600;
    let mut out = Vec::new();
    if let Ok(v) = HeaderValue::from_str(&issued.token) {
        out.push((header::HeaderName::from_static("token"), v));
    }
    let cookies = [
        ("MMAUTHTOKEN", issued.token.as_str(), true),
        ("MMUSERID", issued.session.user_id.as_str(), false),
        ("MMCSRF", issued.session.csrf_token.as_str(), false),
    ];
    for (name, value, http_only) in cookies {
        let c = cookie::Cookie::build((name, value))
            .path("/")
            .max_age(cookie::time::Duration::seconds(max_age))
            .expires(
                cookie::time::OffsetDateTime::now_utc() + cookie::time::Duration::seconds(max_age),
            )
            .http_only(http_only)
            .secure(secure)
            .build();
        if let Ok(v) = HeaderValue::from_str(&c.to_string()) {
            out.push((header::SET_COOKIE, v));
        }
    }
    out
}

/// Cookies that clear the session cookies (logout).
pub fn logout_headers() -> Vec<(header::HeaderName, HeaderValue)> {
    ["MMAUTHTOKEN", "MMUSERID", "MMCSRF"]
        .into_iter()
        .filter_map(|n| HeaderValue::from_str(&format!("{n}=; Path=/; Max-Age=0")).ok())
        .map(|v| (header::SET_COOKIE, v))
        .collect()
}

/// `(os, platform, browser)` from a User-Agent, as the session props name them.
pub fn describe_user_agent(ua: &str) -> (&'static str, &'static str, &'static str) {
    let has = |s: &str| ua.contains(s);
    let os = if has("iPhone") || has("iPad") || has("iOS") || has("Darwin") && has("Mattermost") {
        "iOS"
    } else if has("Android") {
        "Android"
    } else if has("Mac OS") {
        "Mac OS"
    } else if has("Windows") {
        "Windows"
    } else if has("Linux") {
        "Linux"
    } else {
        ""
    };
    let platform = match os {
        "iOS" => {
            if has("iPad") {
                "iPad"
            } else {
                "iPhone"
            }
        }
        "Android" => "Linux",
        "Mac OS" => "Macintosh",
        "Windows" => "Windows",
        "Linux" => "Linux",
        _ => "",
    };
    let browser = if has("Mattermost") || has("rnbeta") || has("okhttp") || has("CFNetwork") {
        "Mobile App"
    } else if has("Chrome") {
        "Chrome"
    } else if has("Firefox") {
        "Firefox"
    } else if has("Safari") {
        "Safari"
    } else if has("node") || has("Node") {
        "Node"
    } else {
        "Unknown"
    };
    (os, platform, browser)
}
