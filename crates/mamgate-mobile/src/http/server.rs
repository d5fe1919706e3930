//! [`ServerApi`] over HTTP (CONTRACT §2–§4).

use async_trait::async_trait;
use reqwest::header::{CACHE_CONTROL, SET_COOKIE};
use serde_json::Value;
use tokio::sync::mpsc;

use crate::model::{ApiError, Credentials, IntuneLoginBody, LoginSuccess, ServerEvent, StringMap};
use crate::ports::ServerApi;

/// The Mattermost API of a running server.
#[derive(Clone)]
pub struct HttpServerApi {
    http: reqwest::Client,
}

impl Default for HttpServerApi {
    fn default() -> Self {
        HttpServerApi {
            http: super::client(),
        }
    }
}

impl HttpServerApi {
    /// A client with its own connection pool.
    pub fn new() -> HttpServerApi {
        HttpServerApi::default()
    }

    async fn get_map(&self, url: String) -> Result<StringMap, ApiError> {
        let r = self.http.get(url).send().await.map_err(transport)?;
        let v = body(r).await?;
        Ok(string_map(&v))
    }
}

fn transport(e: reqwest::Error) -> ApiError {
    ApiError::transport(e.to_string())
}

/// The JSON body of a 2xx answer, or the AppError of any other.
async fn body(r: reqwest::Response) -> Result<Value, ApiError> {
    let status = r.status().as_u16();
    let text = r.text().await.map_err(transport)?;
    let v: Value = serde_json::from_str(&text).unwrap_or(Value::Null);
    if (200..300).contains(&status) {
        return Ok(v);
    }
    let s = |k: &str| {
        v.get(k)
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_string()
    };
    let message = if s("message").is_empty() {
        format!("HTTP {status}: {}", text.trim())
    } else {
        s("message")
    };
    Err(ApiError {
        status,
        id: s("id"),
        message,
    })
}

/// A flat map of strings; non-string values are kept as their JSON text.
pub fn string_map(v: &Value) -> StringMap {
    v.as_object()
        .map(|o| {
            o.iter()
                .map(|(k, v)| {
                    (
                        k.clone(),
                        v.as_str()
                            .map(str::to_string)
                            .unwrap_or_else(|| v.to_string()),
                    )
                })
                .collect()
        })
        .unwrap_or_default()
}

/// The value of a cookie among `Set-Cookie` headers.
fn cookie(headers: &reqwest::header::HeaderMap, name: &str) -> Option<String> {
    headers
        .get_all(SET_COOKIE)
        .iter()
        .filter_map(|h| h.to_str().ok())
        .find_map(|h| {
            let first = h.split(';').next()?;
            let (k, v) = first.split_once('=')?;
            (k.trim() == name).then(|| v.trim().to_string())
        })
}

#[async_trait]
impl ServerApi for HttpServerApi {
    async fn client_config(&self, server_url: &str) -> Result<StringMap, ApiError> {
        self.get_map(format!("{server_url}/api/v4/config/client?format=old"))
            .await
    }

    async fn client_license(&self, server_url: &str) -> Result<StringMap, ApiError> {
        self.get_map(format!("{server_url}/api/v4/license/client?format=old"))
            .await
    }

    async fn login_intune(
        &self,
        server_url: &str,
        login: &IntuneLoginBody,
    ) -> Result<LoginSuccess, ApiError> {
        let r = self
            .http
            .post(format!("{server_url}/oauth/intune"))
            .header(CACHE_CONTROL, "no-store")
            .json(login)
            .send()
            .await
            .map_err(transport)?;
        let token = r
            .headers()
            .get("Token")
            .and_then(|v| v.to_str().ok())
            .map(str::to_string);
        let csrf = cookie(r.headers(), "MMCSRF").unwrap_or_default();
        let user = body(r).await?;
        let token = token
            .filter(|t| !t.is_empty())
            .ok_or_else(|| ApiError::transport("the server answered 200 without a Token header"))?;
        Ok(LoginSuccess {
            user,
            credentials: Credentials { token, csrf },
        })
    }

    async fn me(&self, server_url: &str, credentials: &Credentials) -> Result<Value, ApiError> {
        let r = self
            .http
            .get(format!("{server_url}/api/v4/users/me"))
            .bearer_auth(&credentials.token)
            .send()
            .await
            .map_err(transport)?;
        body(r).await
    }

    async fn logout(&self, server_url: &str, credentials: &Credentials) -> Result<(), ApiError> {
        let r = self
            .http
            .post(format!("{server_url}/api/v4/users/logout"))
            .bearer_auth(&credentials.token)
            .header("X-CSRF-Token", &credentials.csrf)
            .header("X-Requested-With", "XMLHttpRequest")
            .send()
            .await
            .map_err(transport)?;
        body(r).await.map(|_| ())
    }

    async fn events(
        &self,
        server_url: &str,
        credentials: &Credentials,
    ) -> Result<mpsc::Receiver<ServerEvent>, ApiError> {
        super::ws::connect(server_url, &credentials.token).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_mmcsrf_among_cookies() {
        let mut h = reqwest::header::HeaderMap::new();
        h.append(
            SET_COOKIE,
            "MMAUTHTOKEN=abc; Path=/; HttpOnly".parse().unwrap(),
        );
        h.append(
            SET_COOKIE,
            "MMCSRF=xyz; Path=/; Max-Age=10".parse().unwrap(),
        );
        assert_eq!(cookie(&h, "MMCSRF").as_deref(), Some("xyz"));
        assert_eq!(cookie(&h, "MMUSERID"), None);
    }
}
