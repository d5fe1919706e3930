//! Several nodes on one PostgreSQL database (SYSTEM.md "Storage and scale"): a change made on
//! any node is announced through the store's notices (PostgreSQL `LISTEN/NOTIFY`); every node
//! reloads what changed and tells its own websockets. No other coordination.

use std::sync::Arc;

use mamgate_core::client;
use mamgate_core::config::Config;
use serde_json::Value;
use tokio::sync::broadcast::error::RecvError;

use crate::settings::ConfigSource;
use crate::state::{AppState, CLOSE_SESSION, CLOSE_USER};

/// Notice: the shared configuration changed.
pub const CONFIG: &str = "config";
/// Notice: the license changed.
pub const LICENSE: &str = "license";
/// Notice prefix: a user was deactivated (`user_deactivated:<id>`).
pub const USER_DEACTIVATED: &str = "user_deactivated";
/// Notice prefix: a session was revoked (`session_revoked:<id>`).
pub const SESSION_REVOKED: &str = "session_revoked";

/// Announces a change to the other nodes; failures are logged, never fatal (the other nodes
/// reload everything when their listener reconnects).
pub async fn announce(state: &AppState, notice: &str) {
    if let Err(e) = state.store.publish(notice).await {
        tracing::warn!(notice, error = %e, "could not announce a change to the other nodes");
    }
}

/// Starts following the store's notices, if the store has any.
pub fn follow(state: Arc<AppState>) {
    let Some(mut rx) = state.store.notices() else {
        return;
    };
    tokio::spawn(async move {
        loop {
            match rx.recv().await {
                Ok(notice) => apply(&state, &notice).await,
                Err(RecvError::Lagged(_)) => apply(&state, mamgate_store::RECONNECTED).await,
                Err(RecvError::Closed) => break,
            }
        }
    });
}

async fn apply(state: &AppState, notice: &str) {
    let (kind, arg) = notice.split_once(':').unwrap_or((notice, ""));
    match kind {
        CONFIG => reload_config(state).await,
        LICENSE => reload_license(state).await,
        USER_DEACTIVATED => state.broadcast(CLOSE_USER, Value::Null, arg),
        SESSION_REVOKED => state.broadcast(CLOSE_SESSION, Value::String(arg.to_string()), ""),
        mamgate_store::RECONNECTED => {
            reload_config(state).await;
            reload_license(state).await;
        }
        other => tracing::debug!(notice = other, "ignored notice"),
    }
}

async fn reload_config(state: &AppState) {
    if !matches!(state.settings.source(), ConfigSource::Database) {
        return;
    }
    let stored = match state.store.get_config().await {
        Ok(Some(v)) => v,
        Ok(None) => return,
        Err(e) => {
            tracing::warn!(error = %e, "could not reload the configuration");
            return;
        }
    };
    let before = client::client_config(&state.config(), state.license().as_ref());
    match Config::from_value(stored).and_then(|c| state.settings.reload_from(c)) {
        Ok(now) => {
            if client::client_config(&now, state.license().as_ref()) != before {
                state.broadcast_client_config();
            }
        }
        Err(e) => {
            tracing::warn!(error_id = e.id.id(), reason = %e.detail, "reloaded configuration is invalid")
        }
    }
}

async fn reload_license(state: &AppState) {
    let trusted = state.config().license_settings.trusted_public_keys.clone();
    let license = crate::routes::load_license(state.store.as_ref(), &trusted).await;
    if license == state.license() {
        return;
    }
    let before = client::client_config(&state.config(), state.license().as_ref());
    state.set_license(license);
    if client::client_config(&state.config(), state.license().as_ref()) != before {
        state.broadcast_client_config();
    }
}
