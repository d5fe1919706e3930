//! OpenID discovery and the JWKS (entra-facts §2).

use std::sync::atomic::Ordering;

use axum::extract::{Path, State};
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde_json::{json, Value};

use super::{apply_fault, tenant_path, EntraState, TenantPath};

/// `GET /{tenant}/v2.0/.well-known/openid-configuration`.
pub(super) async fn openid_configuration(
    State(s): State<EntraState>,
    Path(segment): Path<String>,
) -> Response {
    s.inner.counters.discovery.fetch_add(1, Ordering::Relaxed);
    if let Some(r) = apply_fault(s.faults().discovery).await {
        return r;
    }
    let t = s.read_tenant();
    let issuer_tenant = match tenant_path(&t, &segment) {
        Ok(TenantPath::Template) => "{tenantid}".to_string(),
        Ok(TenantPath::Concrete) => t.tenant_id.clone(),
        Err(e) => return e.into_response(),
    };
    let a = t.authority();
    Json(json!({
        "token_endpoint": format!("{a}/{segment}/oauth2/v2.0/token"),
        "token_endpoint_auth_methods_supported": ["client_secret_post", "private_key_jwt", "client_secret_basic"],
        "jwks_uri": format!("{a}/{segment}/discovery/v2.0/keys"),
        "response_modes_supported": ["query", "fragment", "form_post"],
        "subject_types_supported": ["pairwise"],
        "id_token_signing_alg_values_supported": ["RS256"],
        "response_types_supported": ["code", "id_token", "code id_token", "id_token token"],
        "scopes_supported": ["openid", "profile", "email", "offline_access"],
        "issuer": format!("{a}/{issuer_tenant}/v2.0"),
        "request_uri_parameter_supported": false,
        "userinfo_endpoint": format!("{a}/v1.0/me"),
        "authorization_endpoint": format!("{a}/{segment}/oauth2/v2.0/authorize"),
        "end_session_endpoint": format!("{a}/{segment}/oauth2/v2.0/logout"),
        "claims_supported": ["sub", "iss", "aud", "exp", "iat", "auth_time", "acr", "nonce",
            "preferred_username", "name", "tid", "ver", "at_hash", "c_hash", "email"],
        "tenant_region_scope": null,
        "cloud_instance_name": "mamgate.emulator",
        "msgraph_host": a,
    }))
    .into_response()
}

/// `GET /{tenant}/discovery/v2.0/keys`: the same keys for every tenant, each with the template issuer.
pub(super) async fn keys(State(s): State<EntraState>, Path(segment): Path<String>) -> Response {
    s.inner.counters.jwks.fetch_add(1, Ordering::Relaxed);
    if let Some(r) = apply_fault(s.faults().jwks).await {
        return r;
    }
    let issuer = {
        let t = s.read_tenant();
        if let Err(e) = tenant_path(&t, &segment) {
            return e.into_response();
        }
        format!("{}/{{tenantid}}/v2.0", t.authority())
    };
    let keys: Vec<Value> = s.keys().all().iter().map(|k| k.jwk(&issuer)).collect();
    Json(json!({ "keys": keys })).into_response()
}
