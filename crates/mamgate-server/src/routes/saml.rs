//! `GET /login/sso/saml` (start) and `POST /login/sso/saml` (the ACS); see `web_saml`.

use std::collections::HashMap;
use std::sync::Arc;

use axum::extract::{Query, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Form;
use mamgate_core::ErrorId;

use crate::auth::{create_session, login_headers, NewSession};
use crate::context::RequestCtx;
use crate::error::AppError;
use crate::state::AppState;
use crate::web_saml;

/// `{SiteURL}`, else the URL the request came in on.
fn site_base(state: &AppState, headers: &HeaderMap, ctx: &RequestCtx) -> String {
    let site = state
        .config()
        .service_settings
        .site_url
        .trim_end_matches('/')
        .to_string();
    if !site.is_empty() {
        return site;
    }
    let host = headers
        .get(header::HOST)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("localhost");
    format!("{}://{host}", if ctx.secure { "https" } else { "http" })
}

fn acs(state: &AppState, headers: &HeaderMap, ctx: &RequestCtx) -> String {
    web_saml::acs_url(&state.config(), &site_base(state, headers, ctx))
}

pub async fn login(
    State(state): State<Arc<AppState>>,
    ctx: RequestCtx,
    headers: HeaderMap,
    Query(q): Query<HashMap<String, String>>,
) -> Result<Response, AppError> {
    let relay = q.get("redirect_to").map(String::as_str).unwrap_or("");
    let url = web_saml::start(
        &state.config(),
        &acs(&state, &headers, &ctx),
        relay,
        q.get("login_hint").map(String::as_str),
    )?;
    let location = HeaderValue::from_str(&url).map_err(|_| {
        AppError::new(
            ErrorId::SamlNotEnabled,
            "SamlSettings.IdpURL makes no valid URL",
        )
    })?;
    Ok((StatusCode::FOUND, [(header::LOCATION, location)]).into_response())
}

pub async fn acs_post(
    State(state): State<Arc<AppState>>,
    ctx: RequestCtx,
    headers: HeaderMap,
    Form(form): Form<HashMap<String, String>>,
) -> Result<Response, AppError> {
    let saml_response = form.get("SAMLResponse").map(String::as_str).unwrap_or("");
    let user = web_saml::complete(&state, &acs(&state, &headers, &ctx), saml_response).await?;
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
            is_oauth: false,
            ctx: &ctx,
        },
    )
    .await?;
    let target = web_saml::after_login(form.get("RelayState").map(String::as_str));
    let mut resp = StatusCode::FOUND.into_response();
    if let Ok(v) = HeaderValue::from_str(&target) {
        resp.headers_mut().insert(header::LOCATION, v);
    }
    for (k, v) in login_headers(&state, &issued, ctx.secure) {
        resp.headers_mut().append(k, v);
    }
    Ok(resp)
}
