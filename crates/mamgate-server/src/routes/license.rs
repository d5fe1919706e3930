use std::collections::BTreeMap;
use std::sync::Arc;

use axum::extract::{Multipart, State};
use axum::Json;
use mamgate_core::client;
use mamgate_core::license::License;
use mamgate_core::ErrorId;
use serde_json::{json, Value};

use crate::auth::Authed;
use crate::error::AppError;
use crate::state::{now_ms, AppState};

pub async fn client_license(State(state): State<Arc<AppState>>) -> Json<BTreeMap<String, String>> {
    Json(client::client_license(state.license().as_ref()))
}

pub async fn upload(
    State(state): State<Arc<AppState>>,
    authed: Authed,
    mut form: Multipart,
) -> Result<Json<Value>, AppError> {
    authed.require_admin()?;
    let mut file = None;
    while let Some(field) = form
        .next_field()
        .await
        .map_err(|e| AppError::invalid_body("license", e.to_string()))?
    {
        if field.name() == Some("license") {
            let bytes = field
                .bytes()
                .await
                .map_err(|e| AppError::invalid_body("license", e.to_string()))?;
            file = Some(String::from_utf8_lossy(&bytes).into_owned());
        }
    }
    let file =
        file.ok_or_else(|| AppError::invalid_body("license", "multipart field 'license' missing"))?;
    let trusted = state.config().license_settings.trusted_public_keys.clone();
    let license = License::verify(&file, &trusted, now_ms())
        .map_err(|e| AppError::new(e.error_id(), e.to_string()))?;
    state.store.set_license(Some(file)).await?;
    state.set_license(Some(license.clone()));
    state.broadcast_client_config();
    crate::cluster::announce(&state, crate::cluster::LICENSE).await;
    Ok(Json(json!(client::client_license(Some(&license)))))
}

pub async fn remove(
    State(state): State<Arc<AppState>>,
    authed: Authed,
) -> Result<Json<Value>, AppError> {
    authed.require_admin()?;
    state.store.set_license(None).await?;
    state.set_license(None);
    state.broadcast_client_config();
    crate::cluster::announce(&state, crate::cluster::LICENSE).await;
    Ok(Json(json!({"status": "OK"})))
}

/// Reads the installed license from the store, dropping one that no longer verifies.
pub async fn load_installed(
    store: &dyn mamgate_store::Store,
    trusted: &[String],
) -> Option<License> {
    let file = store.get_license().await.ok().flatten()?;
    match License::verify(&file, trusted, now_ms()) {
        Ok(l) => Some(l),
        Err(e) => {
            tracing::warn!(error_id = ErrorId::LicenseInvalid.id(), reason = %e, "installed license not in force");
            None
        }
    }
}
