//! Entra control endpoints (loopback only):
//! `POST /_control/keys/rotate` `{"keep_old": bool}`; `POST /_control/mint`;
//! `GET|PUT|DELETE /_control/faults`; `GET /_control/counters`, `POST /_control/counters/reset`;
//! `PUT /_control/settings` `{"token_lifetime_secs": n}`.

use std::sync::atomic::Ordering;

use axum::body::Bytes;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post, put};
use axum::{Json, Router};
use serde::Deserialize;
use serde_json::{json, Map, Value};

use super::{EntraState, Faults};
use crate::clock;
use crate::control::bad_request;
use crate::grant;
use crate::keys::SigningKey;

pub(super) fn routes() -> Router<EntraState> {
    Router::new()
        .route("/_control/keys/rotate", post(rotate))
        .route("/_control/mint", post(mint))
        .route(
            "/_control/faults",
            get(get_faults).put(put_faults).delete(clear_faults),
        )
        .route("/_control/counters", get(counters))
        .route("/_control/counters/reset", post(reset_counters))
        .route("/_control/settings", put(put_settings))
}

#[derive(Deserialize, Default)]
struct RotateBody {
    #[serde(default = "yes")]
    keep_old: bool,
}

fn yes() -> bool {
    true
}

/// An empty body means "all defaults".
fn body_or_default<T: for<'de> Deserialize<'de> + Default>(
    body: &Bytes,
) -> Result<T, serde_json::Error> {
    if body.iter().all(u8::is_ascii_whitespace) {
        return Ok(T::default());
    }
    serde_json::from_slice(body)
}

async fn rotate(State(s): State<EntraState>, body: Bytes) -> Response {
    let b: RotateBody = match body_or_default(&body) {
        Ok(b) => b,
        Err(e) => return bad_request(e),
    };
    // Key generation takes a few tens of milliseconds: keep it off the async workers.
    let key = match tokio::task::spawn_blocking(SigningKey::generate).await {
        Ok(Ok(k)) => k,
        _ => return (StatusCode::INTERNAL_SERVER_ERROR, "key generation failed").into_response(),
    };
    let kid = key.kid.clone();
    s.inner
        .keys
        .write()
        .unwrap_or_else(|e| e.into_inner())
        .rotate(key, b.keep_old);
    Json(json!({"kid": kid, "kids": s.kids()})).into_response()
}

/// Base claims of a normal token, when a mint wants one to start from.
#[derive(Deserialize)]
struct MintAs {
    username: String,
    client_id: String,
    scope: String,
}

#[derive(Deserialize, Default)]
struct MintBody {
    /// Start from the token this grant would get.
    #[serde(rename = "as")]
    as_: Option<MintAs>,
    /// Claims to set; `null` removes one.
    #[serde(default)]
    claims: Map<String, Value>,
    /// Header fields to set; `null` removes one (e.g. `kid`).
    #[serde(default)]
    header: Map<String, Value>,
    /// Seconds from now to `exp` (negative for an expired token); default the token lifetime.
    lifetime_secs: Option<i64>,
    /// Sign with a key that no JWKS publishes.
    #[serde(default)]
    unknown_key: bool,
}

async fn mint(State(s): State<EntraState>, body: Bytes) -> Response {
    let b: MintBody = match body_or_default(&body) {
        Ok(b) => b,
        Err(e) => return bad_request(e),
    };
    let now = clock::now();
    let lifetime = b.lifetime_secs.unwrap_or_else(|| s.lifetime());
    let (mut header, mut claims) = match &b.as_ {
        Some(a) => {
            let t = s.read_tenant().clone();
            let planned = grant::plan(&t, &a.client_id, &a.scope)
                .and_then(|p| grant::find_user(&t, &a.username).map(|u| (p, u.clone())));
            match planned {
                Ok((p, u)) => grant::access_token_claims(&t, &p, &u, now, lifetime),
                Err(e) => return e.into_response(),
            }
        }
        None => (
            json!({}),
            json!({"iat": now, "nbf": now, "exp": now + lifetime}),
        ),
    };
    merge(&mut claims, b.claims);
    let removed_kid = b.header.get("kid").is_some_and(Value::is_null);
    merge(&mut header, b.header);
    let signed = if removed_kid {
        // The signer fills in a missing kid; a test asking for none must get none.
        let key = s.signing_key(b.unknown_key);
        if let Some(h) = header.as_object_mut() {
            h.entry("typ").or_insert_with(|| "JWT".into());
            h.entry("alg").or_insert_with(|| "RS256".into());
        }
        crate::jwt::encode_exact(&header, &claims, &key).map_err(|_| super::server_error())
    } else {
        s.sign(&header, &claims, b.unknown_key)
    };
    let token = match signed {
        Ok(t) => t,
        Err(e) => return e.into_response(),
    };
    let kid = crate::jwt::decode(&token)
        .ok()
        .and_then(|d| d.kid().map(str::to_string));
    Json(json!({"token": token, "kid": kid})).into_response()
}

fn merge(target: &mut Value, patch: Map<String, Value>) {
    let Some(t) = target.as_object_mut() else {
        return;
    };
    for (k, v) in patch {
        if v.is_null() {
            t.remove(&k);
        } else {
            t.insert(k, v);
        }
    }
}

async fn get_faults(State(s): State<EntraState>) -> Json<Faults> {
    Json(s.faults())
}

async fn put_faults(State(s): State<EntraState>, body: Bytes) -> Response {
    let f: Faults = match serde_json::from_slice(&body) {
        Ok(f) => f,
        Err(e) => return bad_request(e),
    };
    *s.inner.faults.lock().unwrap_or_else(|e| e.into_inner()) = f;
    Json(f).into_response()
}

async fn clear_faults(State(s): State<EntraState>) -> StatusCode {
    *s.inner.faults.lock().unwrap_or_else(|e| e.into_inner()) = Faults::default();
    StatusCode::NO_CONTENT
}

async fn counters(State(s): State<EntraState>) -> Json<Value> {
    Json(s.inner.counters.json())
}

async fn reset_counters(State(s): State<EntraState>) -> StatusCode {
    s.inner.counters.reset();
    StatusCode::NO_CONTENT
}

#[derive(Deserialize)]
struct Settings {
    token_lifetime_secs: i64,
}

async fn put_settings(State(s): State<EntraState>, body: Bytes) -> Response {
    match serde_json::from_slice::<Settings>(&body) {
        Ok(v) => {
            s.inner
                .lifetime
                .store(v.token_lifetime_secs, Ordering::Relaxed);
            StatusCode::NO_CONTENT.into_response()
        }
        Err(e) => bad_request(e),
    }
}
