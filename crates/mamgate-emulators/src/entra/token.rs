//! `POST /{tenant}/oauth2/v2.0/token`: the simulator's user grant and the authorization code grant.

use std::collections::HashMap;
use std::sync::atomic::Ordering;

use axum::extract::rejection::FormRejection;
use axum::extract::{Path, State};
use axum::http::{header, HeaderMap};
use axum::response::{IntoResponse, Response};
use axum::{Form, Json};
use serde_json::{json, Value};

use super::{apply_fault, tenant_path, EntraState, USER_GRANT_TYPE};
use crate::aadsts::Aadsts;
use crate::clock;
use crate::grant::{self, Audience, Plan};
use crate::tenant::{Tenant, User, MAM_RESOURCE_URI};

/// The token endpoint.
pub(super) async fn token(
    State(s): State<EntraState>,
    Path(segment): Path<String>,
    headers: HeaderMap,
    form: Result<Form<HashMap<String, String>>, FormRejection>,
) -> Response {
    s.inner.counters.token.fetch_add(1, Ordering::Relaxed);
    if let Some(r) = apply_fault(s.faults().token).await {
        return r;
    }
    let Ok(Form(mut p)) = form else {
        return missing("grant_type").into_response();
    };
    // client_secret_basic: confidential clients may send their id in the Authorization header.
    if !p.contains_key("client_id") {
        if let Some(id) = basic_client_id(&headers) {
            p.insert("client_id".into(), id);
        }
    }
    match issue(&s, &segment, &p) {
        Ok(body) => Json(body).into_response(),
        Err(e) => e.into_response(),
    }
}

/// The client id of an `Authorization: Basic base64(id:secret)` header.
fn basic_client_id(headers: &HeaderMap) -> Option<String> {
    use base64::Engine as _;
    let value = headers.get(header::AUTHORIZATION)?.to_str().ok()?;
    let encoded = value
        .strip_prefix("Basic ")
        .or_else(|| value.strip_prefix("basic "))?;
    let decoded = base64::engine::general_purpose::STANDARD
        .decode(encoded.trim())
        .ok()?;
    let text = String::from_utf8(decoded).ok()?;
    let id = text.split(':').next()?;
    // The id is form-urlencoded inside the header (RFC 6749 §2.3.1); GUIDs need no decoding.
    (!id.is_empty()).then(|| id.to_string())
}

fn missing(name: &str) -> Aadsts {
    Aadsts::new(
        "invalid_request",
        900144,
        format!("The request body must contain the following parameter: '{name}'."),
    )
}

fn param<'a>(p: &'a HashMap<String, String>, name: &str) -> Result<&'a str, Aadsts> {
    p.get(name)
        .map(|v| v.trim())
        .filter(|v| !v.is_empty())
        .ok_or_else(|| missing(name))
}

fn issue(s: &EntraState, segment: &str, p: &HashMap<String, String>) -> Result<Value, Aadsts> {
    let grant_type = param(p, "grant_type")?;
    let t = s.read_tenant().clone();
    tenant_path(&t, segment)?;
    match grant_type {
        USER_GRANT_TYPE | "password" => {
            let client_id = param(p, "client_id")?;
            let scope = param(p, "scope")?;
            let plan = grant::plan(&t, client_id, scope)?;
            let user = grant::find_user(&t, param(p, "username")?)?;
            respond(s, &t, &plan, user, None)
        }
        "authorization_code" => {
            let code = param(p, "code")?;
            let client_id = param(p, "client_id")?;
            let stored = s
                .inner
                .codes
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .remove(code)
                .ok_or_else(|| {
                    Aadsts::new(
                        "invalid_grant",
                        70000,
                        "The provided value for the 'code' parameter is not valid.",
                    )
                })?;
            if stored.expires <= clock::now() {
                return Err(Aadsts::new(
                    "invalid_grant",
                    70008,
                    "The provided authorization code or refresh token has expired due to inactivity.",
                ));
            }
            let redirect_ok = p
                .get("redirect_uri")
                .is_none_or(|r| *r == stored.redirect_uri);
            if !stored.client_id.eq_ignore_ascii_case(client_id) || !redirect_ok {
                return Err(Aadsts::new(
                    "invalid_grant",
                    70000,
                    "The provided authorization code was issued to a different client or redirect URI.",
                ));
            }
            let plan = grant::plan(&t, &stored.client_id, &stored.scope)?;
            let user = grant::find_user(&t, &stored.oid)?;
            respond(s, &t, &plan, user, Some(stored.nonce.as_deref()))
        }
        other => Err(Aadsts::new(
            "unsupported_grant_type",
            70003,
            format!("The app requested an unsupported grant type '{other}'."),
        )),
    }
}

/// The token response; `nonce` is `Some` for web sign-in (an id_token goes with it on `openid`).
fn respond(
    s: &EntraState,
    t: &Tenant,
    plan: &Plan,
    user: &User,
    nonce: Option<Option<&str>>,
) -> Result<Value, Aadsts> {
    let now = clock::now();
    let lifetime = s.lifetime();
    let (header, claims) = grant::access_token_claims(t, plan, user, now, lifetime);
    let access_token = s.sign(&header, &claims, false)?;
    let mut body = json!({
        "token_type": "Bearer",
        "scope": granted_scope(plan),
        "expires_in": lifetime,
        "ext_expires_in": lifetime,
        "access_token": access_token,
    });
    if plan.openid {
        let id = grant::id_token_claims(t, &plan.client_id, user, nonce.flatten(), now, lifetime);
        body["id_token"] = s.sign(&json!({}), &id, false)?.into();
    }
    Ok(body)
}

/// The `scope` Entra echoes: the granted scopes, prefixed by their resource.
fn granted_scope(plan: &Plan) -> String {
    let mut out: Vec<String> = Vec::new();
    if plan.openid {
        out.extend(["openid", "profile"].map(String::from));
    }
    match &plan.audience {
        Audience::App {
            resource, scopes, ..
        } => out.extend(scopes.iter().map(|s| format!("{resource}/{s}"))),
        Audience::Mam => out.push(format!(
            "{MAM_RESOURCE_URI}/DeviceManagementManagedApps.ReadWrite"
        )),
        Audience::Graph { scopes } => out.extend(
            scopes
                .iter()
                .map(|s| format!("https://graph.microsoft.com/{s}")),
        ),
    }
    out.join(" ")
}
