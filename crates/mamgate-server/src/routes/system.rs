use std::sync::Arc;

use axum::extract::{Query, State};
use axum::Json;
use mamgate_core::model::Audit;
use mamgate_core::ErrorId;
use serde::Deserialize;
use serde_json::{json, Value};

use crate::auth::Authed;
use crate::error::AppError;
use crate::state::AppState;

/// Paging query of list endpoints.
#[derive(Debug, Deserialize)]
pub struct Paging {
    #[serde(default)]
    pub page: u32,
    #[serde(default = "default_per_page")]
    pub per_page: u32,
}

fn default_per_page() -> u32 {
    60
}

impl<S: Send + Sync> axum::extract::FromRequestParts<S> for Paging {
    type Rejection = AppError;

    async fn from_request_parts(
        parts: &mut axum::http::request::Parts,
        state: &S,
    ) -> Result<Self, Self::Rejection> {
        match Query::<Paging>::from_request_parts(parts, state).await {
            Ok(Query(p)) => Ok(p),
            Err(_) => Err(AppError::invalid_param("page")),
        }
    }
}

impl Paging {
    /// The store's page, `per_page` capped at 200 as Mattermost does.
    pub fn page(&self) -> mamgate_store::Page {
        mamgate_store::Page {
            page: self.page,
            per_page: self.per_page.clamp(1, 200),
        }
    }
}

pub async fn ping() -> Json<Value> {
    Json(json!({"status": "OK", "ActiveSearchBackend": "database"}))
}

pub async fn audits(
    State(state): State<Arc<AppState>>,
    authed: Authed,
    p: Paging,
) -> Result<Json<Vec<Audit>>, AppError> {
    authed.require_admin()?;
    Ok(Json(state.store.list_audits(p.page()).await?))
}

pub async fn not_found() -> AppError {
    AppError::new(ErrorId::RouteNotFound, "no such route")
}

pub async fn metrics(
    State(state): State<Arc<AppState>>,
) -> ([(axum::http::HeaderName, &'static str); 1], String) {
    let stats = state.validator.stats();
    let jwks = (stats.fetches, stats.failures);
    (
        [(
            axum::http::header::CONTENT_TYPE,
            "text/plain; version=0.0.4",
        )],
        state.metrics.render(jwks),
    )
}
