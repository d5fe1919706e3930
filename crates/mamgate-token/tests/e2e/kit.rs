//! A discovery + JWKS server on 127.0.0.1:0 shaped like Entra's, with hit counters, a switch
//! to fail, and an optional delay on the JWKS answer.

use std::future::Future;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::{Duration, Instant};

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use mamgate_core::config::IntuneSettings;
use mamgate_token::signing::{sample_claims, SigningKey};
use mamgate_token::{Clock, HttpFetcher, Jwks, ManualClock, Validator};
use serde_json::{json, Value};

pub const TENANT: &str = "11111111-2222-3333-4444-555555555555";
pub const CLIENT: &str = "22222222-3333-4444-5555-666666666666";

/// Two RSA-2048 keys, generated once for the whole binary (generation is slow).
pub fn keys() -> &'static [SigningKey; 2] {
    static KEYS: OnceLock<[SigningKey; 2]> = OnceLock::new();
    KEYS.get_or_init(|| {
        [
            SigningKey::generate("k1").unwrap(),
            SigningKey::generate("k2").unwrap(),
        ]
    })
}

#[derive(Default)]
pub struct Emulator {
    pub base: String,
    pub discovery_hits: AtomicUsize,
    pub jwks_hits: AtomicUsize,
    pub fail: AtomicBool,
    pub jwks_delay_ms: AtomicU64,
    published: Mutex<Vec<usize>>,
}

impl Emulator {
    /// Starts the server publishing the keys at the given indexes of [`keys`].
    pub async fn start(published: &[usize]) -> Arc<Self> {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let base = format!("http://{}", listener.local_addr().unwrap());
        let emu = Arc::new(Emulator {
            base,
            published: Mutex::new(published.to_vec()),
            ..Default::default()
        });
        let app = Router::new()
            .route(
                "/{tenant}/v2.0/.well-known/openid-configuration",
                get(discovery),
            )
            .route("/{tenant}/discovery/v2.0/keys", get(jwks))
            .with_state(emu.clone());
        tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
        emu
    }

    /// Replaces the published keys.
    pub fn publish(&self, published: &[usize]) {
        *self.published.lock().unwrap() = published.to_vec();
    }

    /// The tenant-independent issuer template, as Entra's common metadata publishes it.
    pub fn issuer_template(&self) -> String {
        format!("{}/{{tenantid}}/v2.0", self.base)
    }

    /// IntuneSettings pointing at this server as the cloud's authority host.
    pub fn intune(&self) -> IntuneSettings {
        IntuneSettings {
            enable: true,
            tenant_id: TENANT.into(),
            client_id: CLIENT.into(),
            auth_service: "office365".into(),
            authority_host: self.base.clone(),
            ..Default::default()
        }
    }

    /// A valid token from this "cloud", signed with key `idx`.
    pub fn token(&self, idx: usize, now_secs: i64) -> String {
        let mut claims = sample_claims(TENANT, CLIENT, now_secs);
        claims["iss"] = json!(format!("{}/{TENANT}/v2.0", self.base));
        keys()[idx].sign(&claims).unwrap()
    }

    /// A token signed with key `idx` but naming another kid.
    pub fn token_with_kid(&self, idx: usize, kid: &str, now_secs: i64) -> String {
        let mut claims = sample_claims(TENANT, CLIENT, now_secs);
        claims["iss"] = json!(format!("{}/{TENANT}/v2.0", self.base));
        keys()[idx]
            .sign_with_header(&json!({"typ":"JWT","alg":"RS256","kid":kid}), &claims)
            .unwrap()
    }

    pub fn jwks_hits(&self) -> usize {
        self.jwks_hits.load(Ordering::SeqCst)
    }
}

async fn discovery(State(emu): State<Arc<Emulator>>, Path(tenant): Path<String>) -> Response {
    emu.discovery_hits.fetch_add(1, Ordering::SeqCst);
    if emu.fail.load(Ordering::SeqCst) {
        return StatusCode::SERVICE_UNAVAILABLE.into_response();
    }
    Json(json!({
        "issuer": emu.issuer_template(),
        "jwks_uri": format!("{}/{tenant}/discovery/v2.0/keys", emu.base),
        "token_endpoint": format!("{}/{tenant}/oauth2/v2.0/token", emu.base),
    }))
    .into_response()
}

async fn jwks(State(emu): State<Arc<Emulator>>) -> Response {
    emu.jwks_hits.fetch_add(1, Ordering::SeqCst);
    // Simulates Entra's latency so concurrent requests pile up behind one fetch.
    let delay = emu.jwks_delay_ms.load(Ordering::SeqCst);
    if delay > 0 {
        tokio::time::sleep(Duration::from_millis(delay)).await;
    }
    if emu.fail.load(Ordering::SeqCst) {
        return StatusCode::SERVICE_UNAVAILABLE.into_response();
    }
    let issuer = emu.issuer_template();
    let published = emu.published.lock().unwrap().clone();
    let doc = Jwks {
        keys: published
            .iter()
            .map(|i| keys()[*i].jwk(Some(&issuer)))
            .collect(),
    };
    Json(serde_json::to_value(doc).unwrap_or(Value::Null)).into_response()
}

/// Wall-clock seconds, for token times.
pub fn now_secs() -> i64 {
    mamgate_token::SystemClock.now_millis() / 1000
}

/// A validator on the real HTTP fetcher and the wall clock.
pub fn validator() -> Arc<Validator> {
    Arc::new(Validator::new(Arc::new(HttpFetcher::new().unwrap())))
}

/// A validator on the real HTTP fetcher and a manual clock.
pub fn validator_with_clock() -> (Arc<Validator>, Arc<ManualClock>) {
    let clock = Arc::new(ManualClock::new(1_700_000_000_000));
    (
        Arc::new(Validator::with_clock(
            Arc::new(HttpFetcher::new().unwrap()),
            clock.clone(),
        )),
        clock,
    )
}

/// Polls `cond` until it holds or `deadline` passes; returns whether it held.
pub async fn eventually<F, Fut>(deadline: Duration, mut cond: F) -> bool
where
    F: FnMut() -> Fut,
    Fut: Future<Output = bool>,
{
    let end = Instant::now() + deadline;
    loop {
        if cond().await {
            return true;
        }
        if Instant::now() > end {
            return false;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}
