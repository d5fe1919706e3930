//! `--server URL --admin-token TOKEN`: the config and client license of a running server.

use std::time::Duration;

use mamgate_core::Config;
use reqwest::header::ACCEPT;
use serde_json::Value;

use crate::error::DoctorError;

/// The license a running server exposes (`GET /api/v4/license/client?format=old`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ClientLicense {
    /// `IsLicensed`: a verified license is in force on the server.
    pub is_licensed: bool,
    /// `Id`.
    pub id: String,
    /// `SkuShortName`: the tier (`advanced`, `enterprise`, ...).
    pub sku_short_name: String,
    /// `Name`: the customer.
    pub customer: String,
    /// `ExpiresAt` in milliseconds since the epoch, when given.
    pub expires_at: Option<i64>,
}

impl ClientLicense {
    /// Reads the `format=old` map (every value a string; booleans and numbers are accepted too).
    pub fn from_value(v: &Value) -> Result<Self, String> {
        let map = v
            .as_object()
            .ok_or_else(|| "the client license is not a JSON object".to_string())?;
        let text = |k: &str| match map.get(k) {
            Some(Value::String(s)) => s.trim().to_string(),
            Some(Value::Null) | None => String::new(),
            Some(other) => other.to_string(),
        };
        let is_licensed = match text("IsLicensed").to_ascii_lowercase().as_str() {
            "true" => true,
            "false" | "" => false,
            other => return Err(format!("IsLicensed is {other:?}, not true or false")),
        };
        Ok(ClientLicense {
            is_licensed,
            id: text("Id"),
            sku_short_name: text("SkuShortName"),
            customer: text("Name"),
            expires_at: text("ExpiresAt").parse().ok(),
        })
    }
}

/// What a running server told the doctor besides its config.
#[derive(Debug, Clone, Default)]
pub struct ServerFacts {
    /// The server's base URL (no trailing slash).
    pub url: String,
    /// Its client license.
    pub license: ClientLicense,
}

/// A `--server` value as a base URL: http(s), no trailing slash.
pub fn base_url(url: &str) -> Result<String, DoctorError> {
    let trimmed = url.trim().trim_end_matches('/');
    match reqwest::Url::parse(trimmed) {
        Ok(u) if matches!(u.scheme(), "http" | "https") && u.host().is_some() => {
            Ok(trimmed.to_string())
        }
        _ => Err(DoctorError::Usage(format!(
            "--server {url:?} is not an http(s) URL such as https://chat.example.com"
        ))),
    }
}

/// An error and its causes on one line (reqwest's own message omits the cause).
fn chain(e: &(dyn std::error::Error + 'static)) -> String {
    let mut parts = vec![e.to_string()];
    let mut source = e.source();
    while let Some(s) = source {
        let text = s.to_string();
        if !parts.iter().any(|p| p.contains(&text)) {
            parts.push(text);
        }
        source = s.source();
    }
    parts.join(": ")
}

/// The start of a response body, for error messages.
fn snippet(body: &str) -> String {
    let one_line: String = body.split_whitespace().collect::<Vec<_>>().join(" ");
    match one_line.char_indices().nth(160) {
        Some((i, _)) => format!("{}...", &one_line[..i]),
        None if one_line.is_empty() => "(empty body)".into(),
        None => one_line,
    }
}

/// GETs `{base}{path}` with the bearer token and parses the JSON body.
async fn get_json(
    http: &reqwest::Client,
    base: &str,
    path: &str,
    token: &str,
) -> Result<Value, DoctorError> {
    let unreachable = |e: reqwest::Error| DoctorError::ServerUnreachable {
        url: base.to_string(),
        why: chain(&e),
    };
    let resp = http
        .get(format!("{base}{path}"))
        .header(ACCEPT, "application/json")
        .bearer_auth(token)
        .send()
        .await
        .map_err(unreachable)?;
    let status = resp.status();
    if status.as_u16() == 401 || status.as_u16() == 403 {
        return Err(DoctorError::ServerDenied {
            url: base.to_string(),
            status: status.as_u16(),
        });
    }
    let body = resp.text().await.map_err(unreachable)?;
    let parsed: Result<Value, _> = serde_json::from_str(&body);
    if !status.is_success() {
        let why = match &parsed {
            Ok(v) if v.get("message").is_some() => format!(
                "{} {}",
                v["id"].as_str().unwrap_or_default(),
                v["message"].as_str().unwrap_or_default()
            ),
            _ => snippet(&body),
        };
        return Err(DoctorError::ServerResponse {
            url: base.to_string(),
            why: format!("GET {path} answered HTTP {status}: {}", why.trim()),
        });
    }
    parsed.map_err(|e| DoctorError::ServerResponse {
        url: base.to_string(),
        why: format!(
            "GET {path} did not answer JSON ({e}); is this a Mattermost server? The body starts: {}",
            snippet(&body)
        ),
    })
}

/// Reads the config (`GET /api/v4/config`, secrets masked) and the client license of a server.
pub async fn fetch_server(url: &str, token: &str) -> Result<(Config, ServerFacts), DoctorError> {
    let base = base_url(url)?;
    let token = token.trim();
    if token.is_empty() {
        return Err(DoctorError::Usage(
            "--server needs a system admin's token: --admin-token or MAMGATE_ADMIN_TOKEN".into(),
        ));
    }
    let http = reqwest::Client::builder()
        .connect_timeout(Duration::from_secs(10))
        .timeout(Duration::from_secs(30))
        .build()
        .map_err(|e| DoctorError::ServerUnreachable {
            url: base.clone(),
            why: chain(&e),
        })?;
    let doc = get_json(&http, &base, "/api/v4/config", token).await?;
    if !doc.is_object() {
        return Err(DoctorError::ServerResponse {
            url: base,
            why: "GET /api/v4/config did not answer a config object".into(),
        });
    }
    let config = Config::from_value(doc).map_err(|e| DoctorError::ServerResponse {
        url: base.clone(),
        why: format!("GET /api/v4/config is not a server config: {e}"),
    })?;
    let lic = get_json(&http, &base, "/api/v4/license/client?format=old", token).await?;
    let license = ClientLicense::from_value(&lic).map_err(|why| DoctorError::ServerResponse {
        url: base.clone(),
        why: format!("GET /api/v4/license/client: {why}"),
    })?;
    Ok((config, ServerFacts { url: base, license }))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn client_license_and_urls() {
        let l =
            ClientLicense::from_value(&json!({"IsLicensed": "true", "SkuShortName": "advanced",
            "Id": "l1", "Name": "Contoso", "ExpiresAt": "1000"}))
            .unwrap();
        assert!(l.is_licensed);
        assert_eq!(
            (l.sku_short_name.as_str(), l.expires_at),
            ("advanced", Some(1000))
        );
        assert!(
            !ClientLicense::from_value(&json!({"IsLicensed": "false"}))
                .unwrap()
                .is_licensed
        );
        assert!(ClientLicense::from_value(&json!({"IsLicensed": "maybe"})).is_err());
        assert!(ClientLicense::from_value(&json!([])).is_err());
        assert_eq!(
            base_url("https://chat.example.com/").unwrap(),
            "https://chat.example.com"
        );
        assert!(base_url("chat.example.com").is_err());
        assert!(base_url("ftp://x").is_err());
        assert_eq!(snippet(""), "(empty body)");
        assert!(snippet(&"x ".repeat(500)).ends_with("..."));
    }
}
