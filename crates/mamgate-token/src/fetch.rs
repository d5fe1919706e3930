//! Fetching the OpenID discovery document and the JWKS, behind a trait so the cache can be
//! driven by any transport.

use std::time::Duration;

use async_trait::async_trait;
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};

use crate::error::FetchError;
use crate::keys::Jwks;

/// The fields of `.well-known/openid-configuration` validation needs.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Discovery {
    /// e.g. `https://login.microsoftonline.com/{tenantid}/v2.0` or with the tenant's GUID.
    #[serde(default)]
    pub issuer: String,
    /// Where the signing keys are published.
    #[serde(default)]
    pub jwks_uri: String,
}

/// Gets discovery documents and key sets.
#[async_trait]
pub trait KeyFetcher: Send + Sync + 'static {
    /// GETs and parses the discovery document at `url`.
    async fn discovery(&self, url: &str) -> Result<Discovery, FetchError>;
    /// GETs and parses the JWKS at `url`.
    async fn jwks(&self, url: &str) -> Result<Jwks, FetchError>;
}

/// Fetch timeout: a sign-in waits for at most one fetch, so keep it short.
pub const FETCH_TIMEOUT: Duration = Duration::from_secs(5);
/// Larger documents are refused (Entra's are a few KiB).
pub const MAX_DOCUMENT_BYTES: usize = 1024 * 1024;

/// [`KeyFetcher`] over HTTPS (or HTTP, for emulators) with `reqwest`.
#[derive(Debug, Clone)]
pub struct HttpFetcher {
    client: reqwest::Client,
}

impl HttpFetcher {
    /// A fetcher with the default 5 s timeouts.
    pub fn new() -> Result<Self, FetchError> {
        Self::with_timeout(FETCH_TIMEOUT)
    }

    /// A fetcher with custom connect and total timeouts.
    pub fn with_timeout(timeout: Duration) -> Result<Self, FetchError> {
        let client = reqwest::Client::builder()
            .timeout(timeout)
            .connect_timeout(timeout)
            .user_agent(concat!("mamgate/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(|e| FetchError::Transport {
                url: String::new(),
                reason: e.to_string(),
            })?;
        Ok(Self { client })
    }

    async fn get_json<T: DeserializeOwned>(&self, url: &str) -> Result<T, FetchError> {
        let transport = |e: reqwest::Error| FetchError::Transport {
            url: url.to_owned(),
            reason: e.to_string(),
        };
        let resp = self.client.get(url).send().await.map_err(transport)?;
        let status = resp.status();
        if !status.is_success() {
            return Err(FetchError::Status {
                url: url.to_owned(),
                status: status.as_u16(),
            });
        }
        let body = resp.bytes().await.map_err(transport)?;
        let document = |reason: String| FetchError::Document {
            url: url.to_owned(),
            reason,
        };
        if body.len() > MAX_DOCUMENT_BYTES {
            return Err(document(format!(
                "{} bytes, over {MAX_DOCUMENT_BYTES}",
                body.len()
            )));
        }
        serde_json::from_slice(&body).map_err(|e| document(format!("bad JSON: {e}")))
    }
}

#[async_trait]
impl KeyFetcher for HttpFetcher {
    async fn discovery(&self, url: &str) -> Result<Discovery, FetchError> {
        let d: Discovery = self.get_json(url).await?;
        let bad = |reason: &str| FetchError::Document {
            url: url.to_owned(),
            reason: reason.to_owned(),
        };
        if d.issuer.is_empty() {
            return Err(bad("no issuer"));
        }
        if !(d.jwks_uri.starts_with("https://") || d.jwks_uri.starts_with("http://")) {
            return Err(bad("jwks_uri is not an http(s) URL"));
        }
        Ok(d)
    }

    async fn jwks(&self, url: &str) -> Result<Jwks, FetchError> {
        self.get_json(url).await
    }
}
