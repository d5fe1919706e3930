//! Starts both emulators on `127.0.0.1:0` over one shared example tenant.

use std::net::SocketAddr;

use mamgate_emulators::tenant::{self, EXAMPLE_SERVER_APP_ID, LOGIN_SCOPE};
use mamgate_emulators::{
    example_tenant, shared, start_entra, start_intune, RunningEmulator, SharedTenant, Tenant,
};
use serde_json::{json, Value};

pub const LOOPBACK: &str = "127.0.0.1:0";

/// Both emulators and an HTTP client.
pub struct Kit {
    pub tenant: SharedTenant,
    pub entra: RunningEmulator,
    pub intune: RunningEmulator,
    pub http: reqwest::Client,
}

/// The server app's login scope.
pub fn login_scope() -> String {
    format!("api://{EXAMPLE_SERVER_APP_ID}/{LOGIN_SCOPE}")
}

impl Kit {
    /// The example tenant, both emulators.
    pub async fn start() -> Kit {
        Kit::with_tenant(example_tenant("http://127.0.0.1:0")).await
    }

    /// A given tenant, both emulators.
    pub async fn with_tenant(t: Tenant) -> Kit {
        let tenant = shared(t);
        let addr: SocketAddr = LOOPBACK.parse().unwrap();
        let entra = start_entra(tenant.clone(), addr).await.unwrap();
        let intune = start_intune(tenant.clone(), addr).await.unwrap();
        let http = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .unwrap();
        Kit {
            tenant,
            entra,
            intune,
            http,
        }
    }

    /// A copy of the current tenant.
    pub fn tenant(&self) -> Tenant {
        tenant::read(&self.tenant).clone()
    }

    /// `{entra}/{current tenant id}`.
    pub fn authority(&self) -> String {
        format!("{}/{}", self.entra.url, self.tenant().tenant_id)
    }

    /// The simulator's user grant; returns status and JSON body.
    pub async fn token(&self, client_id: &str, username: &str, scope: &str) -> (u16, Value) {
        let r = self
            .http
            .post(format!("{}/oauth2/v2.0/token", self.authority()))
            .form(&[
                ("grant_type", "urn:mamgate:grant-type:user"),
                ("client_id", client_id),
                ("username", username),
                ("scope", scope),
            ])
            .send()
            .await
            .unwrap();
        (r.status().as_u16(), r.json().await.unwrap_or(Value::Null))
    }

    /// An access token, asserting success.
    pub async fn access_token(&self, client_id: &str, username: &str, scope: &str) -> String {
        let (status, body) = self.token(client_id, username, scope).await;
        assert_eq!(status, 200, "{body}");
        body["access_token"].as_str().unwrap().to_string()
    }

    /// GET JSON.
    pub async fn get(&self, url: &str) -> (u16, Value) {
        let r = self.http.get(url).send().await.unwrap();
        let status = r.status().as_u16();
        (status, r.json().await.unwrap_or(Value::Null))
    }

    /// Sends JSON with a method to a URL; returns status and JSON body (null when empty).
    pub async fn send(&self, method: reqwest::Method, url: &str, body: Value) -> (u16, Value) {
        let r = self
            .http
            .request(method, url)
            .json(&body)
            .send()
            .await
            .unwrap();
        let status = r.status().as_u16();
        (status, r.json().await.unwrap_or(Value::Null))
    }

    /// POST to Entra's control API.
    pub async fn entra_control(
        &self,
        method: reqwest::Method,
        path: &str,
        body: Value,
    ) -> (u16, Value) {
        self.send(method, &format!("{}/_control/{path}", self.entra.url), body)
            .await
    }

    /// POST to Intune's control API.
    pub async fn intune_control(
        &self,
        method: reqwest::Method,
        path: &str,
        body: Value,
    ) -> (u16, Value) {
        self.send(
            method,
            &format!("{}/_control/{path}", self.intune.url),
            body,
        )
        .await
    }

    /// Replaces the tenant through Entra's control API.
    pub async fn put_tenant(&self, t: &Tenant) {
        let (status, body) = self
            .entra_control(reqwest::Method::PUT, "tenant", json!(t))
            .await;
        assert_eq!(status, 204, "{body}");
    }

    /// `POST /enroll` with a bearer token.
    pub async fn enroll(&self, token: &str, bundle_id: &str) -> (u16, Value) {
        let r = self
            .http
            .post(format!("{}/enroll", self.intune.url))
            .bearer_auth(token)
            .json(&json!({"bundle_id": bundle_id, "device_id": "apple:abc"}))
            .send()
            .await
            .unwrap();
        (r.status().as_u16(), r.json().await.unwrap())
    }
}

/// The claims of a token (not verified).
pub fn claims(token: &str) -> Value {
    mamgate_emulators::jwt::decode(token).unwrap().claims
}

/// The header of a token.
pub fn header(token: &str) -> Value {
    mamgate_emulators::jwt::decode(token).unwrap().header
}

/// Asserts Entra's error shape and code.
pub fn assert_aadsts(status: u16, body: &Value, error: &str, code: u32) {
    assert_eq!(status, 400, "{body}");
    assert_eq!(body["error"], json!(error), "{body}");
    assert_eq!(body["error_codes"], json!([code]), "{body}");
    let desc = body["error_description"].as_str().unwrap();
    assert!(desc.starts_with(&format!("AADSTS{code}: ")), "{desc}");
}
