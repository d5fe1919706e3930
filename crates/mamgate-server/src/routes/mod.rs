//! Routes: each handler extracts, calls, and maps — logic lives in the modules it calls.

use std::sync::Arc;

use axum::routing::{get, post, put};
use axum::Router;

use crate::state::AppState;

mod config;
mod intune;
mod license;
mod office365;
#[cfg(feature = "saml")]
mod saml;
mod system;
mod users;

pub(crate) use license::load_installed as load_license;

#[cfg(feature = "saml")]
fn saml_routes() -> axum::routing::MethodRouter<Arc<AppState>> {
    get(saml::login).post(saml::acs_post)
}

/// Without the `saml` feature the route still answers, with a clear id.
#[cfg(not(feature = "saml"))]
fn saml_routes() -> axum::routing::MethodRouter<Arc<AppState>> {
    async fn unavailable() -> crate::error::AppError {
        crate::error::AppError::new(
            mamgate_core::ErrorId::SamlNotEnabled,
            "built without the saml feature",
        )
    }
    get(unavailable).post(unavailable)
}

/// The whole HTTP API.
pub fn router(state: Arc<AppState>) -> Router {
    Router::new()
        .route("/oauth/intune", post(intune::login_by_intune))
        .route("/oauth/office365/login", get(office365::login))
        .route("/signup/office365/complete", get(office365::complete))
        .route("/login/sso/saml", saml_routes())
        .route("/api/v4/system/ping", get(system::ping))
        .route("/api/v4/audits", get(system::audits))
        .route("/api/v4/config/client", get(config::client_config))
        .route(
            "/api/v4/config",
            get(config::get_config).put(config::put_config),
        )
        .route("/api/v4/config/patch", put(config::patch_config))
        .route("/api/v4/config/environment", get(config::environment))
        .route("/api/v4/license/client", get(license::client_license))
        .route(
            "/api/v4/license",
            post(license::upload).delete(license::remove),
        )
        .route("/api/v4/users/login", post(users::login))
        .route("/api/v4/users/logout", post(users::logout))
        .route("/api/v4/users/me", get(users::me))
        .route("/api/v4/users", get(users::list).post(users::create))
        .route("/api/v4/users/{id}", get(users::get_one))
        .route("/api/v4/users/{id}/active", put(users::set_active))
        .route("/api/v4/bots", post(users::create_bot))
        .route("/api/v4/websocket", get(crate::ws::upgrade))
        .route("/metrics", get(system::metrics))
        .merge(crate::console::router())
        .fallback(system::not_found)
        .with_state(state)
}
