//! The Intune emulator: enrollment, policy delivery and device events.
//!
//! Routes: `POST /enroll` (bearer MAM token, body `{"bundle_id", "device_id"?}`) →
//! [`EnrollResponse`] (200 success; 403 not_licensed / not_targeted / consent_missing;
//! 401 invalid_token; 404 unknown_user); `GET /policy?bundle_id=` (bearer MAM token) → the same
//! evaluation without recording an enrollment; `GET /events?oid=&after=<seq>&wait_ms=` long-poll →
//! `{"events": [DeviceEvent], "next": seq}`. MAM tokens are verified with the keys Entra
//! publishes at the tenant's `authority_host` (fetched over HTTP).

mod control;
mod enroll;
mod events;

use std::collections::{BTreeMap, BTreeSet};
use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::body::Bytes;
use axum::extract::rejection::QueryRejection;
use axum::extract::{Query, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::middleware;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::Deserialize;
use serde_json::{json, Value};

pub use enroll::{evaluate, verify_mam_token, EnrollOutcome, EnrollResponse, VerifyError};
pub use events::{DeviceEvent, DeviceEventKind};

use crate::serve::{self, RunningEmulator};
use crate::tenant::{self, SharedTenant};
use crate::EmulatorError;
use events::EventLog;

/// Long-poll wait unless the device asks otherwise.
const DEFAULT_WAIT_MS: u64 = 20_000;
/// Longest long-poll wait honoured.
const MAX_WAIT_MS: u64 = 60_000;

#[derive(Debug, Default)]
struct Counters {
    enroll: AtomicU64,
    policy: AtomicU64,
    events: AtomicU64,
}

impl Counters {
    fn json(&self) -> Value {
        let g = |c: &AtomicU64| c.load(Ordering::Relaxed);
        json!({"enroll": g(&self.enroll), "policy": g(&self.policy), "events": g(&self.events)})
    }

    fn reset(&self) {
        for c in [&self.enroll, &self.policy, &self.events] {
            c.store(0, Ordering::Relaxed);
        }
    }
}

/// Shared state of the Intune emulator.
#[derive(Clone)]
pub struct IntuneState {
    inner: Arc<Inner>,
}

struct Inner {
    tenant: SharedTenant,
    http: reqwest::Client,
    counters: Counters,
    events: EventLog,
    /// oid (lower case) → bundle ids enrolled.
    enrollments: Mutex<BTreeMap<String, BTreeSet<String>>>,
}

impl IntuneState {
    /// State over a tenant (shared with the Entra emulator when both run in one process).
    pub fn new(tenant: SharedTenant) -> Result<IntuneState, EmulatorError> {
        let http = reqwest::Client::builder()
            .timeout(Duration::from_secs(10))
            .build()
            .map_err(|e| EmulatorError::Tenant(format!("HTTP client: {e}")))?;
        Ok(IntuneState {
            inner: Arc::new(Inner {
                tenant,
                http,
                counters: Counters::default(),
                events: EventLog::new(),
                enrollments: Mutex::new(BTreeMap::new()),
            }),
        })
    }

    /// Queues an event for a user's devices (what the control endpoints do).
    pub fn push_event(
        &self,
        kind: DeviceEventKind,
        oid: &str,
        bundle_id: Option<String>,
        detail: Option<Value>,
    ) -> DeviceEvent {
        self.inner.events.push(kind, oid, bundle_id, detail)
    }

    fn enrollments(&self) -> std::sync::MutexGuard<'_, BTreeMap<String, BTreeSet<String>>> {
        self.inner
            .enrollments
            .lock()
            .unwrap_or_else(|e| e.into_inner())
    }

    /// After a tenant change: tell every enrolled device its (possibly new) policy.
    fn announce_policies(&self) {
        let enrolled: Vec<(String, String)> = self
            .enrollments()
            .iter()
            .flat_map(|(oid, bundles)| bundles.iter().map(move |b| (oid.clone(), b.clone())))
            .collect();
        for (oid, bundle) in enrolled {
            let response = enroll::evaluate(&tenant::read(&self.inner.tenant), &oid, None, &bundle);
            let detail = json!({"outcome": response.outcome, "policy": response.policy});
            self.inner.events.push(
                DeviceEventKind::PolicyChanged,
                &oid,
                Some(bundle),
                Some(detail),
            );
        }
    }

    /// Verifies the bearer MAM token and evaluates the outcome for `bundle_id`.
    async fn check(&self, headers: &HeaderMap, bundle_id: &str) -> EnrollResponse {
        let token = headers
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| {
                v.strip_prefix("Bearer ")
                    .or_else(|| v.strip_prefix("bearer "))
            });
        let Some(token) = token else {
            return invalid_token(bundle_id, "A bearer MAM token is required.".into());
        };
        let (authority, tid) = {
            let t = tenant::read(&self.inner.tenant);
            (t.authority().to_string(), t.tenant_id.clone())
        };
        let decoded =
            match enroll::verify_mam_token(&self.inner.http, &authority, &tid, token).await {
                Ok(d) => d,
                Err(e) => return invalid_token(bundle_id, e.to_string()),
            };
        let oid = decoded.claim("oid").unwrap_or_default();
        let client = decoded.claim("appid").or_else(|| decoded.claim("azp"));
        enroll::evaluate(&tenant::read(&self.inner.tenant), oid, client, bundle_id)
    }
}

fn invalid_token(bundle_id: &str, message: String) -> EnrollResponse {
    EnrollResponse {
        outcome: EnrollOutcome::InvalidToken,
        oid: None,
        bundle_id: Some(bundle_id.to_string()),
        policy: None,
        error_code: None,
        message,
    }
}

fn render(r: EnrollResponse) -> Response {
    let status = StatusCode::from_u16(r.outcome.status()).unwrap_or(StatusCode::FORBIDDEN);
    (status, Json(r)).into_response()
}

fn bad_request(msg: &str) -> Response {
    (StatusCode::BAD_REQUEST, Json(json!({"error": msg}))).into_response()
}

#[derive(Deserialize)]
struct EnrollBody {
    bundle_id: String,
    #[serde(default)]
    #[allow(dead_code)]
    device_id: Option<String>,
}

async fn enroll_device(State(s): State<IntuneState>, headers: HeaderMap, body: Bytes) -> Response {
    s.inner.counters.enroll.fetch_add(1, Ordering::Relaxed);
    let Ok(b) = serde_json::from_slice::<EnrollBody>(&body) else {
        return bad_request("body must be {\"bundle_id\": string, \"device_id\"?: string}");
    };
    let r = s.check(&headers, &b.bundle_id).await;
    if r.outcome == EnrollOutcome::Success {
        if let Some(oid) = &r.oid {
            s.enrollments()
                .entry(oid.to_ascii_lowercase())
                .or_default()
                .insert(b.bundle_id.clone());
        }
    }
    render(r)
}

#[derive(Deserialize)]
struct PolicyQuery {
    bundle_id: String,
}

async fn policy(
    State(s): State<IntuneState>,
    headers: HeaderMap,
    q: Result<Query<PolicyQuery>, QueryRejection>,
) -> Response {
    s.inner.counters.policy.fetch_add(1, Ordering::Relaxed);
    let Ok(Query(q)) = q else {
        return bad_request("query must have bundle_id");
    };
    render(s.check(&headers, &q.bundle_id).await)
}

#[derive(Deserialize)]
struct EventsQuery {
    oid: String,
    #[serde(default)]
    after: u64,
    wait_ms: Option<u64>,
}

async fn events(
    State(s): State<IntuneState>,
    q: Result<Query<EventsQuery>, QueryRejection>,
) -> Response {
    s.inner.counters.events.fetch_add(1, Ordering::Relaxed);
    let Ok(Query(q)) = q else {
        return bad_request("query must have oid (and optionally after, wait_ms)");
    };
    let wait = Duration::from_millis(q.wait_ms.unwrap_or(DEFAULT_WAIT_MS).min(MAX_WAIT_MS));
    let found = s.inner.events.wait(&q.oid, q.after, wait).await;
    let next = found.last().map_or(q.after, |e| e.seq);
    Json(json!({"events": found, "next": next, "latest": s.inner.events.latest()})).into_response()
}

/// The emulator's routes; serve with connect info (`into_make_service_with_connect_info`).
pub fn intune_router(state: IntuneState) -> Router {
    let announcer = state.clone();
    let on_change: crate::control::OnChange = Arc::new(move || announcer.announce_policies());
    let control = control::routes()
        .merge(crate::control::tenant_routes(
            state.inner.tenant.clone(),
            Some(on_change),
        ))
        .route_layer(middleware::from_fn(crate::loopback::loopback_only));
    Router::new()
        .route("/enroll", post(enroll_device))
        .route("/policy", get(policy))
        .route("/events", get(events))
        .merge(control)
        .with_state(state)
}

/// Starts the Intune emulator on `listen_addr` (port 0 picks one).
pub async fn start_intune(
    tenant: SharedTenant,
    listen_addr: SocketAddr,
) -> Result<RunningEmulator, EmulatorError> {
    let state = IntuneState::new(tenant)?;
    let listener = serve::bind(listen_addr).await?;
    serve::spawn(listener, intune_router(state))
}
