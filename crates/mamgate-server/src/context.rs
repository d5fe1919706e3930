//! Per-request context: request id, client address, User-Agent, https-ness; and the
//! middleware that renders AppErrors with the request id.

use std::net::SocketAddr;
use std::sync::Arc;

use axum::extract::{ConnectInfo, FromRequestParts, Request, State};
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderValue};
use axum::middleware::Next;
use axum::response::Response;

use crate::error;
use crate::state::AppState;

/// Facts about the request that audits, sessions and logs need.
#[derive(Debug, Clone, Default)]
pub struct RequestCtx {
    pub request_id: String,
    pub ip: String,
    pub user_agent: String,
    /// Came over https, or through a proxy that says so.
    pub secure: bool,
}

impl RequestCtx {
    fn from_parts(headers: &HeaderMap, peer: Option<SocketAddr>, scheme_https: bool) -> Self {
        let header = |n: &str| {
            headers
                .get(n)
                .and_then(|v| v.to_str().ok())
                .unwrap_or("")
                .to_string()
        };
        let forwarded_for = header("x-forwarded-for");
        let ip = forwarded_for
            .split(',')
            .next()
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(str::to_string)
            .unwrap_or_else(|| peer.map(|p| p.ip().to_string()).unwrap_or_default());
        Self {
            request_id: mamgate_store::new_id(),
            ip,
            user_agent: header("user-agent"),
            secure: scheme_https || header("x-forwarded-proto").eq_ignore_ascii_case("https"),
        }
    }
}

impl<S: Send + Sync> FromRequestParts<S> for RequestCtx {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        Ok(parts
            .extensions
            .get::<RequestCtx>()
            .cloned()
            .unwrap_or_default())
    }
}

/// Assigns the request id, sends it as `X-Request-Id`, and renders AppErrors with it.
pub async fn request_context(
    State(state): State<Arc<AppState>>,
    mut req: Request,
    next: Next,
) -> Response {
    let peer = req
        .extensions()
        .get::<ConnectInfo<SocketAddr>>()
        .map(|c| c.0);
    let https = req.uri().scheme_str() == Some("https");
    let ctx = RequestCtx::from_parts(req.headers(), peer, https);
    let request_id = ctx.request_id.clone();
    let method = req.method().clone();
    let path = req.uri().path().to_string();
    req.extensions_mut().insert(ctx);
    let mut resp = next.run(req).await;
    let developer = state.config().service_settings.enable_developer;
    if let Some(err) = error::finish(&mut resp, &request_id, developer) {
        tracing::info!(request_id = %request_id, %method, %path, status = resp.status().as_u16(),
            error_id = err.id.id(), reason = %err.reason, "request failed");
    }
    if let Ok(v) = HeaderValue::from_str(&request_id) {
        resp.headers_mut().insert("x-request-id", v);
    }
    resp
}
