//! The parts under measurement: the Entra emulator (discovery, JWKS, minted tokens), a SQLite
//! store in a temp dir, and the real server with one bench-only route, all on loopback.

use std::net::SocketAddr;
use std::sync::Arc;

use anyhow::Context as _;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::StatusCode;
use axum::routing::post;
use axum::Router;
use futures_util::stream::{self, StreamExt as _};
use mamgate_core::config::Config;
use mamgate_core::license::{self, Customer, License};
use mamgate_emulators::tenant as ex;
use mamgate_emulators::RunningEmulator;
use mamgate_server::state::now_ms;
use mamgate_server::{AppState, ConfigSource, Settings};
use mamgate_store::Store;
use serde_json::{json, Value};

/// The Entra emulator and a client for its control endpoints.
pub struct Idp {
    pub entra: RunningEmulator,
    pub http: reqwest::Client,
}

impl Idp {
    /// Starts the Entra emulator for the example tenant on a loopback port.
    pub async fn start() -> anyhow::Result<Idp> {
        let tenant =
            mamgate_emulators::shared(mamgate_emulators::example_tenant("http://127.0.0.1"));
        let entra = mamgate_emulators::start_entra(tenant, SocketAddr::from(([127, 0, 0, 1], 0)))
            .await
            .context("cannot start the Entra emulator")?;
        let http = reqwest::Client::builder()
            .no_proxy()
            .build()
            .context("cannot build the HTTP client")?;
        Ok(Idp { entra, http })
    }

    /// Calls a control endpoint and returns its JSON answer (`null` for an empty one).
    pub async fn control(&self, path: &str, body: Value) -> anyhow::Result<Value> {
        let r = self
            .http
            .post(format!("{}{path}", self.entra.url))
            .json(&body)
            .send()
            .await?;
        let status = r.status();
        let text = r.text().await?;
        anyhow::ensure!(status.is_success(), "{path}: HTTP {status}: {text}");
        Ok(serde_json::from_str(&text).unwrap_or(Value::Null))
    }

    /// The emulator's request counters.
    pub async fn counters(&self) -> anyhow::Result<Value> {
        let r = self
            .http
            .get(format!("{}/_control/counters", self.entra.url))
            .send()
            .await?;
        Ok(r.error_for_status()?.json().await?)
    }

    /// A valid v2 sign-in token for generated user `i` (see `mamgate_doctor::generate`).
    pub async fn mint_for(&self, i: u64) -> anyhow::Result<String> {
        let email = format!("user{i}@example.test");
        let minted = self
            .control(
                "/_control/mint",
                json!({
                    "as": {"username": ex::ALICE_UPN, "client_id": ex::OFFICIAL_CLIENT_ID,
                           "scope": format!("api://{}/login.mattermost", ex::EXAMPLE_SERVER_APP_ID)},
                    "claims": {"oid": mamgate_doctor::generate::generated_oid(i), "preferred_username": email,
                               "email": email, "name": format!("User {i}"), "given_name": "User",
                               "family_name": i.to_string()},
                }),
            )
            .await?;
        minted["token"]
            .as_str()
            .map(str::to_string)
            .context("mint answered without a token")
    }

    /// Request bodies for `POST /oauth/intune`, one per clean user spread over `0..users`.
    pub async fn sign_in_bodies(&self, users: u64, want: u64) -> anyhow::Result<Vec<Bytes>> {
        let picks: Vec<u64> = (0..want)
            .map(|j| j * users / want)
            .filter(|i| is_clean(*i))
            .collect();
        // Minting signs with RSA on the emulator: a few at once keeps both cores busy.
        let minted: Vec<anyhow::Result<(u64, String)>> = stream::iter(picks)
            .map(|i| async move { Ok((i, self.mint_for(i).await?)) })
            .buffer_unordered(8)
            .collect()
            .await;
        let mut bodies = Vec::with_capacity(minted.len());
        for m in minted {
            let (i, token) = m?;
            let body = json!({"access_token": token, "device_id": format!("apple_rn-v2:bench-{i}"), "voip_device_id": ""});
            bodies.push(Bytes::from(body.to_string()));
        }
        anyhow::ensure!(!bodies.is_empty(), "no token minted");
        Ok(bodies)
    }
}

/// Whether generated user `i` signs in (the generator plants problems at these positions).
fn is_clean(i: u64) -> bool {
    !matches!(i % 1000, 1 | 2 | 4 | 5 | 6 | 7)
}

/// The server's config: Intune sign-in through office365 against the emulator.
fn config(authority: &str) -> Config {
    let mut c = Config::default();
    c.intune_settings.enable = true;
    c.intune_settings.tenant_id = ex::EXAMPLE_TENANT_ID.into();
    c.intune_settings.client_id = ex::EXAMPLE_SERVER_APP_ID.into();
    c.intune_settings.auth_service = "office365".into();
    c.intune_settings.authority_host = authority.into();
    c.office365_settings.enable = true;
    c.office365_settings.id = ex::EXAMPLE_SERVER_APP_ID.into();
    c.office365_settings.directory_id = ex::EXAMPLE_TENANT_ID.into();
    c
}

/// An Enterprise Advanced license active for a day (handed to the state, so unsigned).
fn bench_license() -> License {
    let now = now_ms();
    License {
        id: mamgate_store::new_id(),
        issued_at: now,
        starts_at: now - 300_000,
        expires_at: now + 24 * 3_600_000,
        customer: Customer {
            id: "bench".into(),
            name: "Bench".into(),
            ..Default::default()
        },
        sku_short_name: "advanced".into(),
        sku_name: license::sku_name("advanced").into(),
        signed_by: String::new(),
    }
}

/// A SQLite store in its own temp dir, holding generated users `0..users`.
pub struct BenchStore {
    pub store: Arc<dyn Store>,
    _dir: tempfile::TempDir,
}

impl BenchStore {
    /// Creates the store file and inserts the users.
    pub async fn generate(users: u64) -> anyhow::Result<BenchStore> {
        let dir = tempfile::tempdir().context("cannot make a temp dir")?;
        let path = dir.path().join("mamgate.db");
        let store = mamgate_store::open_store("sqlite", &path.to_string_lossy())
            .await
            .map_err(|e| anyhow::anyhow!("cannot open the SQLite store: {e}"))?;
        mamgate_doctor::generate_users(store.clone(), users)
            .await
            .map_err(|e| anyhow::anyhow!("cannot generate users: {e}"))?;
        Ok(BenchStore { store, _dir: dir })
    }
}

/// The real server (the app of `mamgate serve`) plus `POST /bench/verify`, on a loopback port.
pub struct Server {
    pub url: String,
    pub state: Arc<AppState>,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    task: tokio::task::JoinHandle<()>,
}

impl Server {
    /// Builds the state over `store`, fetches the signing keys and listens.
    pub async fn start(store: Arc<dyn Store>, idp: &Idp) -> anyhow::Result<Server> {
        let cfg = config(&idp.entra.url);
        let settings = Settings::new(ConfigSource::Memory, cfg, Vec::new())
            .map_err(|e| anyhow::anyhow!("{}: {}", e.id, e.detail))?;
        let validator = mamgate_token::Validator::http()
            .map_err(|e| anyhow::anyhow!("cannot build the validator: {e}"))?;
        let state = AppState::new(store, settings, Some(bench_license()), validator);
        let intune = state.config().intune_settings.clone();
        state
            .validator
            .prefetch(&intune)
            .await
            .map_err(|e| anyhow::anyhow!("cannot fetch the signing keys: {}", e.reason))?;
        // The verify route sits behind the same request middleware as the real routes, so the
        // two figures of P2 differ only by what the sign-in adds.
        let bench = Router::new()
            .route("/bench/verify", post(verify))
            .with_state(state.clone())
            .layer(axum::middleware::from_fn_with_state(
                state.clone(),
                mamgate_server::context::request_context,
            ));
        let router = mamgate_server::app(state.clone()).merge(bench);
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .context("cannot listen")?;
        let addr = listener.local_addr()?;
        let (tx, rx) = tokio::sync::oneshot::channel::<()>();
        let task = tokio::spawn(async move {
            let service = router.into_make_service_with_connect_info::<SocketAddr>();
            let _ = axum::serve(listener, service)
                .with_graceful_shutdown(async {
                    let _ = rx.await;
                })
                .await;
        });
        Ok(Server {
            url: format!("http://{addr}"),
            state,
            stop: Some(tx),
            task,
        })
    }

    /// Stops the server; connections still open after 2 s are dropped.
    pub async fn stop(mut self) {
        if let Some(tx) = self.stop.take() {
            let _ = tx.send(());
        }
        if tokio::time::timeout(std::time::Duration::from_secs(2), &mut self.task)
            .await
            .is_err()
        {
            self.task.abort();
        }
    }
}

/// The verify-only endpoint: the sign-in's body parse and token validation, nothing else.
async fn verify(State(state): State<Arc<AppState>>, body: Bytes) -> StatusCode {
    let Ok(req) = mamgate_server::intune_login::parse_body(&body) else {
        return StatusCode::BAD_REQUEST;
    };
    let config = state.config();
    match state
        .validator
        .validate(&req.access_token, &config.intune_settings, now_ms() / 1000)
        .await
    {
        Ok(_) => StatusCode::OK,
        Err(_) => StatusCode::UNAUTHORIZED,
    }
}
