//! The System Console's "Mobile Security" page: embedded HTML, CSS and JS that sign in and edit
//! `IntuneSettings` through the `/api/v4` API (no external assets, works offline).

use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;

/// Where the page lives.
pub const MOBILE_SECURITY: &str = "/admin_console/environment/mobile_security";

const PAGE: &str = include_str!("page.html");
const SCRIPT: &str = include_str!("console.js");
const STYLE: &str = include_str!("console.css");

/// Scripts and styles only from this server; no framing; API calls to this origin only.
const CSP: &str = "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; \
                   img-src 'self' data:; form-action 'self'; frame-ancestors 'none'; base-uri 'none'";

/// The console routes: the page, its two assets and the `/admin_console` redirects.
pub fn router<S: Clone + Send + Sync + 'static>() -> Router<S> {
    Router::new()
        .route(
            "/admin_console",
            get(|| async { redirect("admin_console/environment/mobile_security") }),
        )
        .route(
            "/admin_console/",
            get(|| async { redirect("environment/mobile_security") }),
        )
        .route(
            MOBILE_SECURITY,
            get(|| async { asset(PAGE, "text/html; charset=utf-8", "no-store") }),
        )
        .route(
            "/admin_console/static/console.js",
            get(|| async { asset(SCRIPT, "text/javascript; charset=utf-8", "no-cache") }),
        )
        .route(
            "/admin_console/static/console.css",
            get(|| async { asset(STYLE, "text/css; charset=utf-8", "no-cache") }),
        )
}

/// A relative redirect, so the console also works under a SiteURL sub-path.
fn redirect(to: &'static str) -> Response {
    (
        StatusCode::FOUND,
        [(header::LOCATION, HeaderValue::from_static(to))],
    )
        .into_response()
}

/// One embedded file with its type, cache policy and the security headers.
fn asset(body: &'static str, content_type: &'static str, cache: &'static str) -> Response {
    (
        [
            (header::CONTENT_TYPE, HeaderValue::from_static(content_type)),
            (header::CACHE_CONTROL, HeaderValue::from_static(cache)),
            (
                header::CONTENT_SECURITY_POLICY,
                HeaderValue::from_static(CSP),
            ),
            (
                header::X_CONTENT_TYPE_OPTIONS,
                HeaderValue::from_static("nosniff"),
            ),
            (
                header::REFERRER_POLICY,
                HeaderValue::from_static("no-referrer"),
            ),
        ],
        body,
    )
        .into_response()
}
