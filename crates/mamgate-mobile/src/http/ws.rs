//! The server websocket (`GET /api/v4/websocket`, Mattermost protocol) as a stream of
//! [`ServerEvent`]s.

use futures_util::StreamExt;
use serde_json::Value;
use tokio::sync::mpsc;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::Message;

use super::server::string_map;
use crate::model::{ApiError, ServerEvent};

/// Connects with a bearer token; the receiver ends when the socket closes.
pub async fn connect(
    server_url: &str,
    token: &str,
) -> Result<mpsc::Receiver<ServerEvent>, ApiError> {
    let ws_url = match server_url.split_once("://") {
        Some(("https", rest)) => format!("wss://{rest}/api/v4/websocket"),
        Some((_, rest)) => format!("ws://{rest}/api/v4/websocket"),
        None => return Err(ApiError::transport(format!("not a URL: {server_url}"))),
    };
    let mut request = ws_url
        .as_str()
        .into_client_request()
        .map_err(|e| ApiError::transport(e.to_string()))?;
    let auth = format!("Bearer {token}")
        .parse()
        .map_err(|_| ApiError::transport("token is not a valid header value"))?;
    request.headers_mut().insert("Authorization", auth);
    let (socket, _) = tokio_tungstenite::connect_async(request)
        .await
        .map_err(|e| match e {
            tokio_tungstenite::tungstenite::Error::Http(r) => ApiError {
                status: r.status().as_u16(),
                id: String::new(),
                message: format!("websocket refused: HTTP {}", r.status()),
            },
            other => ApiError::transport(other.to_string()),
        })?;
    let (tx, rx) = mpsc::channel(64);
    tokio::spawn(async move {
        let (_write, mut read) = socket.split();
        while let Some(Ok(msg)) = read.next().await {
            let text = match msg {
                Message::Text(t) => t.to_string(),
                Message::Close(_) => break,
                _ => continue,
            };
            if let Some(event) = parse(&text) {
                if tx.send(event).await.is_err() {
                    break;
                }
            }
        }
    });
    Ok(rx)
}

/// One websocket frame; replies to actions (no `event`) are skipped.
pub fn parse(text: &str) -> Option<ServerEvent> {
    let v: Value = serde_json::from_str(text).ok()?;
    let name = v.get("event")?.as_str()?;
    let data = v.get("data").cloned().unwrap_or(Value::Null);
    Some(match name {
        "hello" => ServerEvent::Hello,
        "config_changed" => ServerEvent::ConfigChanged(string_map(data.get("config")?)),
        "license_changed" => ServerEvent::LicenseChanged(string_map(data.get("license")?)),
        other => ServerEvent::Other(other.to_string()),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_events() {
        assert_eq!(
            parse(r#"{"event":"hello","data":{"server_version":"x"},"seq":0}"#),
            Some(ServerEvent::Hello)
        );
        let c = parse(
            r#"{"event":"config_changed","data":{"config":{"IntuneMAMEnabled":"true"}},"seq":1}"#,
        );
        assert!(
            matches!(c, Some(ServerEvent::ConfigChanged(m)) if m["IntuneMAMEnabled"] == "true")
        );
        assert!(matches!(
            parse(r#"{"event":"license_changed","data":{"license":{"IsLicensed":"false"}}}"#),
            Some(ServerEvent::LicenseChanged(_))
        ));
        assert_eq!(parse(r#"{"status":"OK","seq_reply":1}"#), None);
        assert_eq!(parse("not json"), None);
    }
}
