//! `GET /{tenant}/oauth2/v2.0/authorize`: auto-approving authorization code flow for web sign-in.
//!
//! With `login_hint` naming a user, it redirects at once to `redirect_uri` with `code` and
//! `state`. Without one it shows a bare list of the tenant's users, each a link that adds the hint.
//! Redirect URIs are checked only when the registration lists some.

use std::collections::HashMap;
use std::sync::atomic::Ordering;

use axum::extract::{Path, Query, State};
use axum::http::{header, StatusCode};
use axum::response::{Html, IntoResponse, Response};
use serde_json::Value;

use super::{tenant_path, CodeGrant, EntraState};
use crate::aadsts::Aadsts;
use crate::clock;
use crate::grant;
use crate::tenant::AppRegistration;

/// How long a code may wait before it is redeemed (Entra: about 10 minutes).
const CODE_LIFETIME_SECS: i64 = 600;

/// The authorize endpoint.
pub(super) async fn authorize(
    State(s): State<EntraState>,
    Path(segment): Path<String>,
    Query(q): Query<HashMap<String, String>>,
) -> Response {
    s.inner.counters.authorize.fetch_add(1, Ordering::Relaxed);
    let get = |k: &str| q.get(k).map(|v| v.trim()).filter(|v| !v.is_empty());
    let t = s.read_tenant().clone();
    if let Err(e) = tenant_path(&t, &segment) {
        return e.into_response();
    }
    let (Some(client_id), Some(redirect_uri)) = (get("client_id"), get("redirect_uri")) else {
        return Aadsts::new(
            "invalid_request",
            900144,
            "The request body must contain the following parameter: 'client_id' and 'redirect_uri'.",
        )
        .into_response();
    };
    if let Err(e) = grant::client_known(&t, client_id) {
        return e.into_response();
    }
    if let Some(app) = t.application(client_id) {
        let uris = redirect_uris(&app);
        if !uris.is_empty() && !uris.iter().any(|u| u == redirect_uri) {
            return Aadsts::new(
                "invalid_request",
                50011,
                format!("The redirect URI '{redirect_uri}' specified in the request does not match the redirect URIs configured for the application '{client_id}'."),
            )
            .into_response();
        }
    }
    let state = get("state");
    let scope = get("scope").unwrap_or("openid profile User.Read");
    let Some(hint) = get("login_hint") else {
        return pick_user(
            &t.users.iter().map(|u| u.upn.clone()).collect::<Vec<_>>(),
            &q,
        );
    };
    let outcome =
        grant::plan(&t, client_id, scope).and_then(|_| grant::find_user(&t, hint).cloned());
    let user = match outcome {
        Ok(u) => u,
        Err(e) => {
            let mut params = vec![
                ("error", e.error.to_string()),
                ("error_description", e.description()),
            ];
            if let Some(st) = state {
                params.push(("state", st.to_string()));
            }
            return redirect(redirect_uri, &params);
        }
    };
    let code = uuid::Uuid::new_v4().simple().to_string();
    s.inner
        .codes
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .insert(
            code.clone(),
            CodeGrant {
                client_id: client_id.to_string(),
                redirect_uri: redirect_uri.to_string(),
                oid: user.oid.clone(),
                scope: scope.to_string(),
                nonce: get("nonce").map(str::to_string),
                expires: clock::now() + CODE_LIFETIME_SECS,
            },
        );
    let mut params = vec![("code", code)];
    if let Some(st) = state {
        params.push(("state", st.to_string()));
    }
    redirect(redirect_uri, &params)
}

/// Redirect URIs of either manifest format (`web`/`spa`/`publicClient` or `replyUrlsWithType`).
fn redirect_uris(app: &AppRegistration) -> Vec<String> {
    let mut out = Vec::new();
    for section in ["web", "spa", "publicClient"] {
        if let Some(list) = app
            .raw
            .get(section)
            .and_then(|s| s.get("redirectUris"))
            .and_then(Value::as_array)
        {
            out.extend(list.iter().filter_map(Value::as_str).map(str::to_string));
        }
    }
    if let Some(list) = app.raw.get("replyUrlsWithType").and_then(Value::as_array) {
        out.extend(
            list.iter()
                .filter_map(|r| r.get("url"))
                .filter_map(Value::as_str)
                .map(str::to_string),
        );
    }
    out
}

fn redirect(uri: &str, params: &[(&str, String)]) -> Response {
    let query: Vec<String> = params
        .iter()
        .map(|(k, v)| format!("{k}={}", encode(v)))
        .collect();
    let sep = if uri.contains('?') { '&' } else { '?' };
    let location = format!("{uri}{sep}{}", query.join("&"));
    (StatusCode::FOUND, [(header::LOCATION, location)]).into_response()
}

fn pick_user(upns: &[String], q: &HashMap<String, String>) -> Response {
    let base: Vec<String> = q
        .iter()
        .map(|(k, v)| format!("{}={}", encode(k), encode(v)))
        .collect();
    let items: String = upns
        .iter()
        .map(|upn| {
            let mut query = base.clone();
            query.push(format!("login_hint={}", encode(upn)));
            format!(
                "<li><a href=\"?{}\">{}</a></li>",
                html_escape(&query.join("&")),
                html_escape(upn)
            )
        })
        .collect();
    Html(format!(
        "<!doctype html><title>Pick an account</title><h1>Pick an account</h1><ul>{items}</ul>"
    ))
    .into_response()
}

/// Percent-encodes everything but RFC 3986 unreserved characters.
fn encode(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~') {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

fn html_escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percent_encoding() {
        assert_eq!(encode("a b&c=d/é"), "a%20b%26c%3Dd%2F%C3%A9");
    }
}
