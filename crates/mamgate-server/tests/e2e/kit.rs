//! The test kit: a signing identity provider (discovery + JWKS over HTTP), a server on a
//! loopback port with a SQLite file, license helpers, and a typed HTTP client.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, OnceLock};

use aws_lc_rs::rand::SystemRandom;
use aws_lc_rs::rsa::{KeyPair, KeySize};
use aws_lc_rs::signature::{KeyPair as _, RSA_PKCS1_SHA256};
use axum::extract::State;
use axum::routing::get;
use axum::{Json, Router};
use base64::engine::general_purpose::URL_SAFE_NO_PAD as B64URL;
use base64::Engine;
use mamgate_core::config::Config;
use mamgate_core::license::{self, Customer, License};
use mamgate_server::{ConfigSource, RunningServer, ServerOptions, Settings};
use serde_json::{json, Value};

pub const TENANT: &str = "11111111-2222-3333-4444-555555555555";
pub const CLIENT: &str = "22222222-3333-4444-5555-666666666666";
pub const OID: &str = "33333333-4444-5555-6666-777777777777";
pub const KID: &str = "test-key-1";

fn rsa_key() -> &'static KeyPair {
    static KEY: OnceLock<KeyPair> = OnceLock::new();
    KEY.get_or_init(|| KeyPair::generate(KeySize::Rsa2048).unwrap())
}

fn license_key() -> &'static ed25519_dalek::SigningKey {
    static KEY: OnceLock<ed25519_dalek::SigningKey> = OnceLock::new();
    KEY.get_or_init(|| license::signing_key_from_seed([7; 32]))
}

/// The trusted license public key, base64.
pub fn license_public_key() -> String {
    license::encode_public_key(&license_key().verifying_key())
}

/// A license file of a SKU, signed by the trusted key.
pub fn license_file(sku: &str) -> String {
    License {
        id: "lic".into(),
        issued_at: 0,
        starts_at: 0,
        expires_at: i64::MAX / 2,
        customer: Customer {
            id: "c".into(),
            name: "Contoso".into(),
            ..Default::default()
        },
        sku_short_name: sku.into(),
        sku_name: license::sku_name(sku).into(),
        signed_by: String::new(),
    }
    .sign(license_key())
}

/// A signing identity provider serving discovery and JWKS for any tenant.
pub struct Idp {
    pub url: String,
    /// How many times the JWKS was served.
    #[allow(dead_code)]
    pub jwks_hits: Arc<AtomicUsize>,
}

impl Idp {
    pub async fn start() -> Idp {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        let hits = Arc::new(AtomicUsize::new(0));
        let state = (url.clone(), hits.clone());
        let app = Router::new()
            .route(
                "/{tenant}/v2.0/.well-known/openid-configuration",
                get(discovery),
            )
            .route("/{tenant}/discovery/v2.0/keys", get(jwks))
            .with_state(state);
        tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
        Idp {
            url,
            jwks_hits: hits,
        }
    }

    /// A valid v2 token for the configured tenant and client, with `overrides` merged in
    /// (a `null` value removes the claim).
    pub fn token(&self, overrides: Value) -> String {
        let now = now_secs();
        let mut claims = json!({
            "aud": CLIENT, "iss": format!("{}/{TENANT}/v2.0", self.url),
            "iat": now, "nbf": now, "exp": now + 3600,
            "azp": "9ac649f1-4f77-44d6-9792-b2f54ab3c9a7", "azpacr": "0",
            "name": "Adele Vance", "given_name": "Adele", "family_name": "Vance",
            "oid": OID, "preferred_username": "adele@contoso.com", "email": "adele@contoso.com",
            "scp": "login.mattermost", "sub": "x", "tid": TENANT, "ver": "2.0",
        });
        if let (Value::Object(c), Value::Object(o)) = (&mut claims, overrides) {
            for (k, v) in o {
                if v.is_null() {
                    c.remove(&k);
                } else {
                    c.insert(k, v);
                }
            }
        }
        sign(&json!({"typ": "JWT", "alg": "RS256", "kid": KID}), &claims)
    }
}

/// Signs header + claims with the test key.
pub fn sign(header: &Value, claims: &Value) -> String {
    let input = format!(
        "{}.{}",
        B64URL.encode(serde_json::to_vec(header).unwrap()),
        B64URL.encode(serde_json::to_vec(claims).unwrap())
    );
    let key = rsa_key();
    let mut sig = vec![0u8; key.public_modulus_len()];
    key.sign(
        &RSA_PKCS1_SHA256,
        &SystemRandom::new(),
        input.as_bytes(),
        &mut sig,
    )
    .unwrap();
    format!("{input}.{}", B64URL.encode(sig))
}

pub fn now_secs() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64
}

async fn discovery(
    State((url, _)): State<(String, Arc<AtomicUsize>)>,
    axum::extract::Path(tenant): axum::extract::Path<String>,
) -> Json<Value> {
    Json(json!({
        "issuer": format!("{url}/{{tenantid}}/v2.0"),
        "jwks_uri": format!("{url}/{tenant}/discovery/v2.0/keys"),
        "token_endpoint": format!("{url}/{tenant}/oauth2/v2.0/token"),
        "authorization_endpoint": format!("{url}/{tenant}/oauth2/v2.0/authorize"),
        "id_token_signing_alg_values_supported": ["RS256"],
    }))
}

async fn jwks(State((url, hits)): State<(String, Arc<AtomicUsize>)>) -> Json<Value> {
    hits.fetch_add(1, Ordering::SeqCst);
    let public = rsa_key().public_key();
    Json(json!({"keys": [{
        "kty": "RSA", "use": "sig", "kid": KID, "x5t": KID,
        "n": B64URL.encode(public.modulus().big_endian_without_leading_zero()),
        "e": B64URL.encode(public.exponent().big_endian_without_leading_zero()),
        "issuer": format!("{url}/{{tenantid}}/v2.0"),
    }]}))
}

/// A config with Intune enabled for `auth` against the test IdP.
pub fn intune_config(idp: &Idp, auth: &str) -> Config {
    let mut c = Config::default();
    c.intune_settings.enable = true;
    c.intune_settings.tenant_id = TENANT.into();
    c.intune_settings.client_id = CLIENT.into();
    c.intune_settings.auth_service = auth.into();
    c.intune_settings.authority_host = idp.url.clone();
    c.office365_settings.enable = auth == "office365";
    c.saml_settings.enable = auth == "saml";
    c.saml_settings.id_attribute = mamgate_core::identity::SAML_OBJECT_ID_CLAIM.into();
    c.license_settings.trusted_public_keys = vec![license_public_key()];
    c
}

/// A running server with its own SQLite file.
pub struct Kit {
    pub server: RunningServer,
    pub http: reqwest::Client,
    _dir: tempfile::TempDir,
}

/// How to start a kit.
pub struct Setup {
    pub config: Config,
    pub license_sku: Option<&'static str>,
    pub env: Vec<(String, String)>,
}

impl Kit {
    pub async fn start(setup: Setup) -> Kit {
        let dir = tempfile::tempdir().unwrap();
        let store =
            mamgate_store::open_store("sqlite", dir.path().join("mamgate.db").to_str().unwrap())
                .await
                .unwrap();
        if let Some(sku) = setup.license_sku {
            store.set_license(Some(license_file(sku))).await.unwrap();
        }
        let settings = Settings::new(ConfigSource::Memory, setup.config, setup.env).unwrap();
        let server = mamgate_server::start(ServerOptions {
            store,
            settings,
            listen: "127.0.0.1:0".into(),
        })
        .await
        .unwrap();
        Kit {
            server,
            http: reqwest::Client::new(),
            _dir: dir,
        }
    }

    /// A server with Intune on for office365 against `idp` and an Enterprise Advanced license.
    pub async fn office365(idp: &Idp) -> Kit {
        Kit::start(Setup {
            config: intune_config(idp, "office365"),
            license_sku: Some("advanced"),
            env: vec![],
        })
        .await
    }

    /// GETs `path` with a bearer token and parses the JSON body.
    pub async fn get_json<T: serde::de::DeserializeOwned>(&self, path: &str, token: &str) -> T {
        self.http
            .get(self.url(path))
            .bearer_auth(token)
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap()
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.server.url)
    }

    /// POSTs raw bytes to `/oauth/intune`.
    pub async fn intune_raw(&self, body: &str) -> reqwest::Response {
        self.http
            .post(self.url("/oauth/intune"))
            .header("content-type", "application/json")
            .body(body.to_string())
            .send()
            .await
            .unwrap()
    }

    /// POSTs a token with a device id.
    pub async fn intune(&self, token: &str, device_id: &str) -> reqwest::Response {
        self.intune_raw(
            &json!({"access_token": token, "device_id": device_id, "voip_device_id": ""})
                .to_string(),
        )
        .await
    }

    /// Creates the first user (system admin) and returns a session token.
    pub async fn admin_token(&self) -> String {
        let r = self.http.post(self.url("/api/v4/users"))
            .json(&json!({"username": "admin", "email": "admin@contoso.com", "password": "Adm1n-password"}))
            .send().await.unwrap();
        assert_eq!(r.status(), 201, "{}", r.text().await.unwrap());
        self.login("admin", "Adm1n-password").await
    }

    pub async fn login(&self, login_id: &str, password: &str) -> String {
        let r = self
            .http
            .post(self.url("/api/v4/users/login"))
            .json(&json!({"login_id": login_id, "password": password}))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 200);
        r.headers()["token"].to_str().unwrap().to_string()
    }

    pub fn store(&self) -> &Arc<dyn mamgate_store::Store> {
        &self.server.state.store
    }
}

/// Reads an AppError response: (status, id, message).
pub async fn app_error(r: reqwest::Response) -> (u16, String, String) {
    let status = r.status().as_u16();
    let body: Value = r.json().await.unwrap();
    assert_eq!(body["status_code"], status, "{body}");
    assert_eq!(
        body["request_id"].as_str().map(str::len),
        Some(26),
        "{body}"
    );
    (
        status,
        body["id"].as_str().unwrap_or("").into(),
        body["message"].as_str().unwrap_or("").into(),
    )
}
