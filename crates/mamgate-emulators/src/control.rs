//! Control endpoints both emulators share: read, replace and patch the tenant.
//!
//! `GET|PUT /_control/tenant`, `PUT /_control/admin-consent/{app_id}` `{"granted": bool}`,
//! `PUT /_control/apps/{app_id}/token-version` `{"version": 1|2|null}`,
//! `PATCH /_control/users/{oid}` `{"intune_licensed"?: bool, "groups"?: [..]}`.

use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, patch, put};
use axum::{Json, Router};
use serde::Deserialize;
use serde_json::{json, Value};

use crate::tenant::{self, SharedTenant, Tenant};

/// Called after every change, e.g. so Intune can tell enrolled devices about new policies.
pub(crate) type OnChange = Arc<dyn Fn() + Send + Sync>;

#[derive(Clone)]
struct Ctl {
    tenant: SharedTenant,
    on_change: Option<OnChange>,
}

impl Ctl {
    fn changed(&self) {
        if let Some(f) = &self.on_change {
            f();
        }
    }
}

/// The shared tenant control routes (state applied; add the loopback layer when merging).
pub(crate) fn tenant_routes<S: Clone + Send + Sync + 'static>(
    tenant: SharedTenant,
    on_change: Option<OnChange>,
) -> Router<S> {
    Router::new()
        .route("/_control/tenant", get(get_tenant).put(put_tenant))
        .route("/_control/admin-consent/{app_id}", put(put_consent))
        .route("/_control/apps/{app_id}/token-version", put(put_version))
        .route("/_control/users/{oid}", patch(patch_user))
        .with_state(Ctl { tenant, on_change })
}

/// A plain JSON error for control endpoints.
pub(crate) fn bad_request(msg: impl std::fmt::Display) -> Response {
    (
        StatusCode::BAD_REQUEST,
        Json(json!({"error": msg.to_string()})),
    )
        .into_response()
}

fn not_found(what: &str) -> Response {
    (
        StatusCode::NOT_FOUND,
        Json(json!({"error": format!("{what} not found")})),
    )
        .into_response()
}

async fn get_tenant(State(c): State<Ctl>) -> Json<Tenant> {
    Json(tenant::read(&c.tenant).clone())
}

async fn put_tenant(State(c): State<Ctl>, body: Bytes) -> Response {
    let text = String::from_utf8_lossy(&body);
    match Tenant::from_json(&text) {
        Ok(t) => {
            *tenant::write(&c.tenant) = t;
            c.changed();
            StatusCode::NO_CONTENT.into_response()
        }
        Err(e) => bad_request(e),
    }
}

#[derive(Deserialize)]
struct ConsentBody {
    granted: bool,
}

async fn put_consent(State(c): State<Ctl>, Path(app_id): Path<String>, body: Bytes) -> Response {
    let Ok(b) = serde_json::from_slice::<ConsentBody>(&body) else {
        return bad_request("body must be {\"granted\": bool}");
    };
    tenant::write(&c.tenant).set_admin_consent(&app_id, b.granted);
    c.changed();
    StatusCode::NO_CONTENT.into_response()
}

#[derive(Deserialize)]
struct VersionBody {
    version: Option<u8>,
}

async fn put_version(State(c): State<Ctl>, Path(app_id): Path<String>, body: Bytes) -> Response {
    let Ok(b) = serde_json::from_slice::<VersionBody>(&body) else {
        return bad_request("body must be {\"version\": 1 | 2 | null}");
    };
    let found = tenant::write(&c.tenant).set_token_version(&app_id, b.version);
    if !found {
        return not_found("application");
    }
    c.changed();
    StatusCode::NO_CONTENT.into_response()
}

#[derive(Deserialize)]
struct UserPatch {
    intune_licensed: Option<bool>,
    groups: Option<Vec<String>>,
}

async fn patch_user(State(c): State<Ctl>, Path(oid): Path<String>, body: Bytes) -> Response {
    let Ok(p) = serde_json::from_slice::<UserPatch>(&body) else {
        return bad_request("body must be {\"intune_licensed\"?: bool, \"groups\"?: [string]}");
    };
    let user = {
        let mut t = tenant::write(&c.tenant);
        let Some(user) = t
            .users
            .iter_mut()
            .find(|u| u.oid.eq_ignore_ascii_case(&oid))
        else {
            return not_found("user");
        };
        if let Some(l) = p.intune_licensed {
            user.intune_licensed = l;
        }
        if let Some(g) = p.groups {
            user.groups = g;
        }
        serde_json::to_value(&*user).unwrap_or(Value::Null)
    };
    c.changed();
    Json(user).into_response()
}
