//! The one place where a catalog entry becomes a Mattermost AppError response (CONTRACT §1).

use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use mamgate_core::ErrorId;
use mamgate_store::StoreError;
use serde_json::json;

/// An error a handler returns: the catalog entry, the `{{.Name}}` parameter if the message
/// has one, and the technical reason (logged always, sent only with `EnableDeveloper`).
#[derive(Debug, Clone)]
pub struct AppError {
    pub id: ErrorId,
    pub name: Option<&'static str>,
    pub reason: String,
}

impl AppError {
    /// An error with a technical reason.
    pub fn new(id: ErrorId, reason: impl Into<String>) -> Self {
        Self {
            id,
            name: None,
            reason: reason.into(),
        }
    }

    /// `api.context.invalid_body_param.app_error` naming the field.
    pub fn invalid_body(name: &'static str, reason: impl Into<String>) -> Self {
        Self {
            id: ErrorId::InvalidBodyParam,
            name: Some(name),
            reason: reason.into(),
        }
    }

    /// `api.context.invalid_url_param.app_error` naming the parameter.
    pub fn invalid_param(name: &'static str) -> Self {
        Self {
            id: ErrorId::InvalidUrlParam,
            name: Some(name),
            reason: format!("bad {name}"),
        }
    }

    /// The message the client sees.
    pub fn message(&self) -> String {
        match self.name {
            Some(n) => self.id.message_with_name(n),
            None => self.id.entry().message.to_string(),
        }
    }
}

impl From<StoreError> for AppError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::Conflict(field) => {
                AppError::new(ErrorId::UserExists, format!("{field} already exists"))
            }
            StoreError::NotFound => AppError::new(ErrorId::NotFound, "not found"),
            StoreError::Database(why) => AppError::new(ErrorId::StoreFailure, why),
        }
    }
}

/// Marks a response as an AppError so the request-id layer can finish rendering it.
#[derive(Debug, Clone)]
pub struct PendingAppError(pub AppError);

impl IntoResponse for AppError {
    fn into_response(self) -> Response {
        let status =
            StatusCode::from_u16(self.id.status()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        let mut resp = (status, render(&self, "", false)).into_response();
        resp.extensions_mut().insert(PendingAppError(self));
        resp
    }
}

/// The AppError JSON body.
pub fn render(err: &AppError, request_id: &str, developer: bool) -> String {
    json!({
        "id": err.id.id(),
        "message": err.message(),
        "detailed_error": if developer { err.reason.as_str() } else { "" },
        "request_id": request_id,
        "status_code": err.id.status(),
    })
    .to_string()
}

/// Re-renders a pending AppError with the request id and developer flag.
pub fn finish(resp: &mut Response, request_id: &str, developer: bool) -> Option<AppError> {
    let pending = resp.extensions_mut().remove::<PendingAppError>()?;
    let body = render(&pending.0, request_id, developer);
    *resp.body_mut() = axum::body::Body::from(body);
    resp.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    resp.headers_mut().remove(header::CONTENT_LENGTH);
    Some(pending.0)
}
