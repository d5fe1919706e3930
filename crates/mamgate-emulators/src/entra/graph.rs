//! Microsoft Graph `GET /v1.0/me` for web sign-in (the server keys the account on `id`).

use std::sync::atomic::Ordering;

use axum::extract::State;
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde_json::{json, Value};

use super::EntraState;
use crate::clock;
use crate::jwt;
use crate::tenant::{GRAPH_APP_ID, GRAPH_RESOURCE_URI};

/// The signed-in user, as Graph shows it.
pub(super) async fn me(State(s): State<EntraState>, headers: HeaderMap) -> Response {
    s.inner.counters.graph_me.fetch_add(1, Ordering::Relaxed);
    match user_of(&s, &headers) {
        Ok(body) => Json(body).into_response(),
        Err(msg) => (
            StatusCode::UNAUTHORIZED,
            Json(json!({"error": {"code": "InvalidAuthenticationToken", "message": msg}})),
        )
            .into_response(),
    }
}

fn user_of(s: &EntraState, headers: &HeaderMap) -> Result<Value, String> {
    let token = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| {
            v.strip_prefix("Bearer ")
                .or_else(|| v.strip_prefix("bearer "))
        })
        .ok_or("Access token is empty.")?;
    let d = jwt::decode(token).map_err(|e| e.to_string())?;
    let key = d
        .kid()
        .and_then(|kid| s.keys().find(kid))
        .ok_or("Access token validation failure: unknown signing key.")?;
    let (n, e) = key.public_components();
    d.verify(n, e).map_err(|e| e.to_string())?;
    d.check_exp(clock::now())
        .map_err(|_| "Lifetime validation failed, the token is expired.".to_string())?;
    let aud = d.claim("aud").unwrap_or_default();
    if aud != GRAPH_RESOURCE_URI && aud != GRAPH_APP_ID {
        return Err("Invalid audience.".into());
    }
    let t = s.read_tenant();
    if d.claim("tid") != Some(t.tenant_id.as_str()) {
        return Err("Access token is from another tenant.".into());
    }
    let oid = d.claim("oid").unwrap_or_default();
    let u = t
        .users
        .iter()
        .find(|u| u.oid.eq_ignore_ascii_case(oid))
        .ok_or("User not found.")?;
    Ok(json!({
        "@odata.context": "https://graph.microsoft.com/v1.0/$metadata#users/$entity",
        "id": u.oid,
        "userPrincipalName": u.upn,
        "mail": u.email,
        "givenName": u.given_name,
        "surname": u.family_name,
        "displayName": u.display_name(),
    }))
}
