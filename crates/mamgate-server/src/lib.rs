//! The Mattermost-compatible HTTP API of mamgate: `POST /oauth/intune`, the `/api/v4` subset,
//! sessions, audits and events.
//!
//! Handlers stay thin (extract → call → map); sign-in logic lives in [`intune_login`], token
//! rules in `mamgate-token`, persistence behind `mamgate-store`'s `Store` trait. Every error a
//! client sees is rendered from the core catalog in [`error`].
#![cfg_attr(
    not(test),
    deny(clippy::unwrap_used, clippy::expect_used, clippy::panic)
)]

pub mod accounts;
pub mod auth;
pub mod cluster;
mod console;
pub mod context;
pub mod error;
pub mod intune_login;
pub mod ldap_sync;
pub mod metrics;
pub mod passwords;
pub mod provision;
mod routes;
pub mod settings;
pub mod state;
mod usernames;
pub mod web_office365;
#[cfg(feature = "saml")]
pub mod web_saml;
pub mod ws;

use std::net::SocketAddr;
use std::sync::Arc;

use mamgate_core::config::Config;
use mamgate_store::Store;
use tokio::net::TcpListener;

pub use settings::{ConfigSource, Settings};
pub use state::AppState;

/// What a server needs to start.
pub struct ServerOptions {
    pub store: Arc<dyn Store>,
    pub settings: Settings,
    /// `host:port`; `:8065` means every interface.
    pub listen: String,
}

/// A server accepting connections.
pub struct RunningServer {
    pub url: String,
    pub addr: SocketAddr,
    pub state: Arc<AppState>,
    shutdown: Option<tokio::sync::oneshot::Sender<()>>,
    task: tokio::task::JoinHandle<()>,
}

impl RunningServer {
    /// Stops accepting connections and waits for the server task.
    pub async fn stop(mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
        let _ = (&mut self.task).await;
    }

    /// Waits until the server stops (it runs until the process ends).
    pub async fn wait(self) {
        let _ = self.task.await;
    }
}

/// The axum app with its middleware.
pub fn app(state: Arc<AppState>) -> axum::Router {
    routes::router(state.clone()).layer(axum::middleware::from_fn_with_state(
        state,
        context::request_context,
    ))
}

/// Builds the state (license from the store, JWKS warmed in the background) and listens.
pub async fn start(opts: ServerOptions) -> std::io::Result<RunningServer> {
    let config: Arc<Config> = opts.settings.current();
    let license = routes::load_license(
        opts.store.as_ref(),
        &config.license_settings.trusted_public_keys,
    )
    .await;
    let validator = mamgate_token::Validator::http().map_err(std::io::Error::other)?;
    let state = AppState::new(opts.store, opts.settings, license, validator);
    if config.intune_settings.is_configured() {
        let st = state.clone();
        tokio::spawn(async move {
            let cfg = st.config();
            if let Err(e) = st.validator.prefetch(&cfg.intune_settings).await {
                tracing::warn!(error_id = e.id.id(), reason = %e.reason, "signing keys not fetched at start-up");
            }
        });
    }
    cluster::follow(state.clone());
    // Runs only while LdapSettings.Enable && EnableSync; errors are logged, never fatal.
    ldap_sync::start_periodic(&state);
    let listener = TcpListener::bind(listen_addr(&opts.listen)).await?;
    let addr = listener.local_addr()?;
    let (tx, rx) = tokio::sync::oneshot::channel::<()>();
    let router = app(state.clone()).into_make_service_with_connect_info::<SocketAddr>();
    let task = tokio::spawn(async move {
        let serve = axum::serve(listener, router).with_graceful_shutdown(async {
            let _ = rx.await;
        });
        if let Err(e) = serve.await {
            tracing::error!(error = %e, "server stopped");
        }
    });
    let host = if addr.ip().is_unspecified() {
        "127.0.0.1".to_string()
    } else {
        addr.ip().to_string()
    };
    Ok(RunningServer {
        url: format!("http://{host}:{}", addr.port()),
        addr,
        state,
        shutdown: Some(tx),
        task,
    })
}

/// `:8065` → `0.0.0.0:8065`.
pub fn listen_addr(s: &str) -> String {
    if s.starts_with(':') {
        format!("0.0.0.0{s}")
    } else {
        s.to_string()
    }
}
