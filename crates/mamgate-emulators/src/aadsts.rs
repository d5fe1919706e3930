//! Entra's error responses: OAuth `error`, `error_description` starting `AADSTS<code>: `, `error_codes`.

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde_json::json;

/// One Entra error, ready to render.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Aadsts {
    pub status: u16,
    /// OAuth `error`: `invalid_resource`, `invalid_grant`, `unauthorized_client`, ...
    pub error: &'static str,
    pub code: u32,
    /// The text after `AADSTS<code>: `.
    pub message: String,
}

impl Aadsts {
    /// A 400 error.
    pub fn new(error: &'static str, code: u32, message: impl Into<String>) -> Aadsts {
        Aadsts {
            status: 400,
            error,
            code,
            message: message.into(),
        }
    }

    /// `AADSTS<code>: <message>`.
    pub fn description(&self) -> String {
        format!("AADSTS{}: {}", self.code, self.message)
    }

    /// Entra's JSON body.
    pub fn body(&self) -> serde_json::Value {
        let trace = uuid::Uuid::new_v4().to_string();
        let correlation = uuid::Uuid::new_v4().to_string();
        let timestamp = crate::clock::rfc3339_now();
        json!({
            "error": self.error,
            "error_description": format!("{}\r\nTrace ID: {trace}\r\nCorrelation ID: {correlation}\r\nTimestamp: {timestamp}", self.description()),
            "error_codes": [self.code],
            "timestamp": timestamp,
            "trace_id": trace,
            "correlation_id": correlation,
            "error_uri": format!("https://login.microsoftonline.com/error?code={}", self.code),
        })
    }
}

impl IntoResponse for Aadsts {
    fn into_response(self) -> Response {
        let status = StatusCode::from_u16(self.status).unwrap_or(StatusCode::BAD_REQUEST);
        (status, Json(self.body())).into_response()
    }
}
