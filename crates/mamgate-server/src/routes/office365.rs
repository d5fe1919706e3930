use std::collections::HashMap;
use std::sync::Arc;

use axum::extract::{Query, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use mamgate_core::ErrorId;

use crate::auth::{cookie_value, create_session, login_headers, NewSession};
use crate::context::RequestCtx;
use crate::error::AppError;
use crate::state::AppState;
use crate::web_office365::{self, STATE_COOKIE};

fn redirect_uri(state: &AppState, headers: &HeaderMap, ctx: &RequestCtx) -> String {
    let site = state
        .config()
        .service_settings
        .site_url
        .trim_end_matches('/')
        .to_string();
    let base = if site.is_empty() {
        let host = headers
            .get(header::HOST)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("localhost");
        format!("{}://{host}", if ctx.secure { "https" } else { "http" })
    } else {
        site
    };
    format!("{base}/signup/office365/complete")
}

pub async fn login(
    State(state): State<Arc<AppState>>,
    ctx: RequestCtx,
    headers: HeaderMap,
    Query(q): Query<HashMap<String, String>>,
) -> Result<Response, AppError> {
    let oauth_state = mamgate_store::new_id();
    let url = web_office365::authorize_url(
        &state.config(),
        &redirect_uri(&state, &headers, &ctx),
        &oauth_state,
        q.get("login_hint").map(String::as_str),
    )?;
    let mut resp = StatusCode::FOUND.into_response();
    let location = HeaderValue::from_str(&url)
        .map_err(|_| AppError::new(ErrorId::OAuthUnsupported, "bad authorize URL"))?;
    resp.headers_mut().insert(header::LOCATION, location);
    let cookie =
        format!("{STATE_COOKIE}={oauth_state}; Path=/; Max-Age=600; HttpOnly; SameSite=Lax");
    if let Ok(v) = HeaderValue::from_str(&cookie) {
        resp.headers_mut().append(header::SET_COOKIE, v);
    }
    Ok(resp)
}

pub async fn complete(
    State(state): State<Arc<AppState>>,
    ctx: RequestCtx,
    headers: HeaderMap,
    Query(q): Query<HashMap<String, String>>,
) -> Result<Response, AppError> {
    let expected = cookie_value(&headers, STATE_COOKIE).unwrap_or_default();
    let given = q.get("state").cloned().unwrap_or_default();
    if expected.is_empty() || given != expected {
        return Err(AppError::new(
            ErrorId::OAuthInvalidState,
            "state missing or different from the cookie",
        ));
    }
    if let Some(err) = q.get("error") {
        let why = format!(
            "{err}: {}",
            q.get("error_description").cloned().unwrap_or_default()
        );
        return Err(AppError::new(ErrorId::OAuthProviderFailed, why));
    }
    let code = q
        .get("code")
        .filter(|c| !c.is_empty())
        .ok_or_else(|| AppError::invalid_param("code"))?;
    let user = web_office365::complete(&state, code, &redirect_uri(&state, &headers, &ctx)).await?;
    if user.is_bot {
        return Err(AppError::new(
            ErrorId::BotLoginForbidden,
            format!("user_id={}", user.id),
        ));
    }
    if user.is_deactivated() {
        return Err(AppError::new(
            ErrorId::AccountLocked,
            format!("user_id={}", user.id),
        ));
    }
    let issued = create_session(
        &state,
        NewSession {
            user: &user,
            device_id: "",
            voip_device_id: "",
            is_oauth: true,
            ctx: &ctx,
        },
    )
    .await?;
    let mut resp = StatusCode::FOUND.into_response();
    resp.headers_mut()
        .insert(header::LOCATION, HeaderValue::from_static("/"));
    for (k, v) in login_headers(&state, &issued, ctx.secure) {
        resp.headers_mut().append(k, v);
    }
    if let Ok(v) = HeaderValue::from_str(&format!("{STATE_COOKIE}=; Path=/; Max-Age=0")) {
        resp.headers_mut().append(header::SET_COOKIE, v);
    }
    Ok(resp)
}
