use std::collections::BTreeMap;
use std::sync::Arc;

use axum::extract::State;
use axum::Json;
use mamgate_core::client;
use mamgate_core::config::Config;
use serde_json::{Map, Value};

use crate::auth::Authed;
use crate::error::AppError;
use crate::state::AppState;

pub async fn client_config(State(state): State<Arc<AppState>>) -> Json<BTreeMap<String, String>> {
    Json(client::client_config(
        &state.config(),
        state.license().as_ref(),
    ))
}

pub async fn get_config(
    State(state): State<Arc<AppState>>,
    authed: Authed,
) -> Result<Json<Value>, AppError> {
    authed.require_admin()?;
    Ok(Json(state.config().masked().to_value()))
}

pub async fn put_config(
    State(state): State<Arc<AppState>>,
    authed: Authed,
    body: axum::body::Bytes,
) -> Result<Json<Value>, AppError> {
    authed.require_admin()?;
    let value: Value = serde_json::from_slice(&body)
        .map_err(|e| AppError::invalid_body("config", e.to_string()))?;
    let new = Config::from_value(value).map_err(|e| AppError::new(e.id, e.detail))?;
    save(&state, new).await
}

pub async fn patch_config(
    State(state): State<Arc<AppState>>,
    authed: Authed,
    body: axum::body::Bytes,
) -> Result<Json<Value>, AppError> {
    authed.require_admin()?;
    let patch: Value = serde_json::from_slice(&body)
        .map_err(|e| AppError::invalid_body("config", e.to_string()))?;
    if !patch.is_object() {
        return Err(AppError::invalid_body("config", "not a JSON object"));
    }
    let new = state
        .config()
        .patched(&patch)
        .map_err(|e| AppError::new(e.id, e.detail))?;
    save(&state, new).await
}

async fn save(state: &AppState, new: Config) -> Result<Json<Value>, AppError> {
    let before = client::client_config(&state.config(), state.license().as_ref());
    let effective = state.settings.save(state.store.as_ref(), new).await?;
    crate::cluster::announce(state, crate::cluster::CONFIG).await;
    if client::client_config(&effective, state.license().as_ref()) != before {
        state.broadcast_client_config();
    }
    Ok(Json(effective.masked().to_value()))
}

/// Mattermost's `GET /api/v4/config/environment`: the settings set by `MM_*` variables.
pub async fn environment(
    State(state): State<Arc<AppState>>,
    authed: Authed,
) -> Result<Json<Value>, AppError> {
    authed.require_admin()?;
    let mut out = Map::new();
    for path in state.settings.overridden() {
        if let Some((section, setting)) = path.split_once('.') {
            let entry = out
                .entry(section.to_string())
                .or_insert_with(|| Value::Object(Map::new()));
            if let Value::Object(m) = entry {
                m.insert(setting.to_string(), Value::Bool(true));
            }
        }
    }
    Ok(Json(Value::Object(out)))
}
