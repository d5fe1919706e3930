//! The Entra ID emulator: discovery, JWKS, token issuance (simulator grant and authorization
//! code), Graph `/v1.0/me`, and `/_control/` endpoints.
//!
//! Routes (`{tenant}` = the tenant id, `common` or `organizations`):
//! `GET /{tenant}/v2.0/.well-known/openid-configuration`, `GET /{tenant}/discovery/v2.0/keys`,
//! `GET /{tenant}/oauth2/v2.0/authorize`, `POST /{tenant}/oauth2/v2.0/token`, `GET /v1.0/me`.
//! The simulator's grant is `grant_type=urn:mamgate:grant-type:user` with `username`,
//! `client_id` and `scope` (no browser, so the request names the user).

mod authorize;
mod control;
mod discovery;
mod graph;
mod token;

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicI64, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, RwLock};
use std::time::Duration;

use axum::http::StatusCode;
use axum::middleware;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::Router;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::aadsts::Aadsts;
use crate::keys::{KeyRing, SigningKey};
use crate::serve::{self, RunningEmulator};
use crate::tenant::{self, SharedTenant, Tenant};
use crate::{jwt, EmulatorError};

/// The simulator's grant type: a token for a named user, since there is no browser.
pub const USER_GRANT_TYPE: &str = "urn:mamgate:grant-type:user";
/// Token lifetime unless changed through `/_control/settings` (Entra: 60–90 min).
const DEFAULT_LIFETIME_SECS: i64 = 3600;

/// A fault injected into one endpoint.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Fault {
    /// Answer with this HTTP status instead (e.g. 500, 503).
    #[serde(default)]
    pub status: Option<u16>,
    /// Wait this long before answering.
    #[serde(default)]
    pub delay_ms: u64,
}

/// Faults per endpoint.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Faults {
    #[serde(default)]
    pub discovery: Fault,
    #[serde(default)]
    pub jwks: Fault,
    #[serde(default)]
    pub token: Fault,
}

/// Request counters.
#[derive(Debug, Default)]
struct Counters {
    discovery: AtomicU64,
    jwks: AtomicU64,
    token: AtomicU64,
    authorize: AtomicU64,
    graph_me: AtomicU64,
}

impl Counters {
    fn json(&self) -> Value {
        let g = |c: &AtomicU64| c.load(Ordering::Relaxed);
        serde_json::json!({
            "discovery": g(&self.discovery), "jwks": g(&self.jwks), "token": g(&self.token),
            "authorize": g(&self.authorize), "graph_me": g(&self.graph_me),
        })
    }

    fn reset(&self) {
        for c in [
            &self.discovery,
            &self.jwks,
            &self.token,
            &self.authorize,
            &self.graph_me,
        ] {
            c.store(0, Ordering::Relaxed);
        }
    }
}

/// An issued authorization code, single use.
#[derive(Debug, Clone)]
struct CodeGrant {
    client_id: String,
    redirect_uri: String,
    oid: String,
    scope: String,
    nonce: Option<String>,
    expires: i64,
}

/// Shared state of the Entra emulator.
#[derive(Clone)]
pub struct EntraState {
    inner: Arc<Inner>,
}

struct Inner {
    tenant: SharedTenant,
    keys: RwLock<KeyRing>,
    /// Signs tokens with a key no JWKS publishes ("unknown key" mints).
    rogue: Arc<SigningKey>,
    faults: Mutex<Faults>,
    counters: Counters,
    codes: Mutex<HashMap<String, CodeGrant>>,
    lifetime: AtomicI64,
}

impl EntraState {
    /// Generates the signing keys (RSA-2048) for a tenant.
    pub fn new(tenant: SharedTenant) -> Result<EntraState, EmulatorError> {
        Ok(EntraState {
            inner: Arc::new(Inner {
                tenant,
                keys: RwLock::new(KeyRing::generate()?),
                rogue: Arc::new(SigningKey::generate()?),
                faults: Mutex::new(Faults::default()),
                counters: Counters::default(),
                codes: Mutex::new(HashMap::new()),
                lifetime: AtomicI64::new(DEFAULT_LIFETIME_SECS),
            }),
        })
    }

    /// The tenant this emulator serves.
    pub fn tenant(&self) -> &SharedTenant {
        &self.inner.tenant
    }

    /// Key ids currently published, newest (signing) first.
    pub fn kids(&self) -> Vec<String> {
        self.keys().all().iter().map(|k| k.kid.clone()).collect()
    }

    fn read_tenant(&self) -> std::sync::RwLockReadGuard<'_, Tenant> {
        tenant::read(&self.inner.tenant)
    }

    fn keys(&self) -> std::sync::RwLockReadGuard<'_, KeyRing> {
        self.inner.keys.read().unwrap_or_else(|e| e.into_inner())
    }

    fn faults(&self) -> Faults {
        *self.inner.faults.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// The current key, or the unpublished one.
    fn signing_key(&self, unknown_key: bool) -> Arc<SigningKey> {
        if unknown_key {
            self.inner.rogue.clone()
        } else {
            self.keys().current()
        }
    }

    fn lifetime(&self) -> i64 {
        self.inner.lifetime.load(Ordering::Relaxed)
    }

    /// Signs with the current key; a `null` `x5t` in `header` becomes the kid (v1 tokens).
    fn sign(&self, header: &Value, claims: &Value, unknown_key: bool) -> Result<String, Aadsts> {
        let key = self.signing_key(unknown_key);
        let key_ref: &SigningKey = &key;
        let mut header = header.clone();
        if let Some(h) = header.as_object_mut() {
            if h.get("x5t").is_some_and(Value::is_null) {
                h.insert("x5t".into(), key_ref.kid.clone().into());
            }
        }
        jwt::encode(&header, claims, key_ref).map_err(|_| server_error())
    }
}

fn server_error() -> Aadsts {
    Aadsts {
        status: 500,
        error: "server_error",
        code: 90033,
        message: "A transient error has occurred. Please try again.".into(),
    }
}

/// Applies an injected fault: waits, then answers with the fault's status if it has one.
async fn apply_fault(fault: Fault) -> Option<Response> {
    if fault.delay_ms > 0 {
        tokio::time::sleep(Duration::from_millis(fault.delay_ms)).await;
    }
    let status = StatusCode::from_u16(fault.status?).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    let body = serde_json::json!({
        "error": "temporarily_unavailable",
        "error_description": format!("injected fault: HTTP {}", status.as_u16()),
    });
    Some((status, axum::Json(body)).into_response())
}

/// The emulator's routes; serve with connect info (`into_make_service_with_connect_info`).
pub fn entra_router(state: EntraState) -> Router {
    #[cfg(feature = "saml")]
    let saml = crate::saml::routes(state.inner.tenant.clone());
    let control = control::routes()
        .merge(crate::control::tenant_routes(
            state.inner.tenant.clone(),
            None,
        ))
        .route_layer(middleware::from_fn(crate::loopback::loopback_only));
    let router = Router::new()
        .route(
            "/{tenant}/v2.0/.well-known/openid-configuration",
            get(discovery::openid_configuration),
        )
        .route("/{tenant}/discovery/v2.0/keys", get(discovery::keys))
        .route("/{tenant}/oauth2/v2.0/token", post(token::token))
        .route("/{tenant}/oauth2/v2.0/authorize", get(authorize::authorize))
        .route("/v1.0/me", get(graph::me))
        .merge(control);
    #[cfg(feature = "saml")]
    let router = router.merge(saml);
    router.with_state(state)
}

/// Starts the Entra emulator on `listen_addr` (port 0 picks one).
///
/// When the tenant's `authority_host` does not name the bound port, it is set to the
/// emulator's actual URL so issuers, discovery and the Intune emulator agree.
pub async fn start_entra(
    tenant: SharedTenant,
    listen_addr: SocketAddr,
) -> Result<RunningEmulator, EmulatorError> {
    let state = EntraState::new(tenant.clone())?;
    let listener = serve::bind(listen_addr).await?;
    let port = listener
        .local_addr()
        .map_err(|source| EmulatorError::Bind {
            addr: listen_addr.to_string(),
            source,
        })?
        .port();
    let running = serve::spawn(listener, entra_router(state))?;
    {
        let mut t = tenant::write(&tenant);
        if authority_port(&t.authority_host) != Some(port) {
            t.authority_host = running.url.clone();
        }
    }
    Ok(running)
}

/// The port of an `http(s)://host:port[/...]` URL (default ports included).
fn authority_port(url: &str) -> Option<u16> {
    let (scheme, rest) = url.split_once("://")?;
    let host_port = rest.split('/').next()?;
    match host_port.rsplit_once(':') {
        Some((_, p)) if !p.contains(']') => p.parse().ok(),
        _ => match scheme {
            "https" => Some(443),
            "http" => Some(80),
            _ => None,
        },
    }
}

/// Which issuer form discovery shows for a `{tenant}` path segment.
enum TenantPath {
    /// `common` / `organizations`: the `{tenantid}` template.
    Template,
    /// The tenant's own id.
    Concrete,
}

fn tenant_path(t: &Tenant, segment: &str) -> Result<TenantPath, Aadsts> {
    if segment.eq_ignore_ascii_case("common") || segment.eq_ignore_ascii_case("organizations") {
        Ok(TenantPath::Template)
    } else if segment.eq_ignore_ascii_case(&t.tenant_id) {
        Ok(TenantPath::Concrete)
    } else {
        Err(Aadsts::new(
            "invalid_tenant",
            90002,
            format!("Tenant '{segment}' not found. Check to make sure you have the correct tenant ID and are signing into the correct cloud. Check with your subscription administrator, this may happen if there are no active subscriptions for the tenant."),
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ports() {
        assert_eq!(authority_port("http://127.0.0.1:8443"), Some(8443));
        assert_eq!(authority_port("http://127.0.0.1:8443/"), Some(8443));
        assert_eq!(
            authority_port("https://login.microsoftonline.com"),
            Some(443)
        );
        assert_eq!(authority_port("http://[::1]"), Some(80));
        assert_eq!(authority_port("http://[::1]:9"), Some(9));
        assert_eq!(authority_port("nonsense"), None);
    }
}
