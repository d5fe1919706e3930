//! Intune control endpoints (loopback only): `POST /_control/events`
//! `{"oid", "type", "bundle_id"?, "detail"?}`, `POST /_control/wipe` `{"oid", "bundle_id"?}`,
//! `GET /_control/enrollments`, `GET /_control/counters`, `POST /_control/counters/reset`.

use axum::body::Bytes;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::Deserialize;
use serde_json::{json, Value};

use super::{DeviceEventKind, IntuneState};
use crate::control::bad_request;

pub(super) fn routes() -> Router<IntuneState> {
    Router::new()
        .route("/_control/events", post(push))
        .route("/_control/wipe", post(wipe))
        .route("/_control/enrollments", get(enrollments))
        .route("/_control/counters", get(counters))
        .route("/_control/counters/reset", post(reset))
}

#[derive(Deserialize)]
struct EventBody {
    oid: String,
    #[serde(rename = "type")]
    kind: DeviceEventKind,
    #[serde(default)]
    bundle_id: Option<String>,
    #[serde(default)]
    detail: Option<Value>,
}

async fn push(State(s): State<IntuneState>, body: Bytes) -> Response {
    match serde_json::from_slice::<EventBody>(&body) {
        Ok(b) => Json(s.push_event(b.kind, &b.oid, b.bundle_id, b.detail)).into_response(),
        Err(e) => bad_request(e),
    }
}

#[derive(Deserialize)]
struct WipeBody {
    oid: String,
    #[serde(default)]
    bundle_id: Option<String>,
}

/// Selective wipe: an event the device acts on; its enrollment is forgotten.
async fn wipe(State(s): State<IntuneState>, body: Bytes) -> Response {
    let b = match serde_json::from_slice::<WipeBody>(&body) {
        Ok(b) => b,
        Err(e) => return bad_request(e),
    };
    {
        let mut enrolled = s.enrollments();
        let key = b.oid.to_ascii_lowercase();
        match &b.bundle_id {
            Some(bundle) => {
                if let Some(set) = enrolled.get_mut(&key) {
                    set.remove(bundle);
                }
            }
            None => {
                enrolled.remove(&key);
            }
        }
    }
    Json(s.push_event(DeviceEventKind::WipeRequested, &b.oid, b.bundle_id, None)).into_response()
}

async fn enrollments(State(s): State<IntuneState>) -> Json<Value> {
    Json(json!(*s.enrollments()))
}

async fn counters(State(s): State<IntuneState>) -> Json<Value> {
    Json(s.inner.counters.json())
}

async fn reset(State(s): State<IntuneState>) -> StatusCode {
    s.inner.counters.reset();
    StatusCode::NO_CONTENT
}
