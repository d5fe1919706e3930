//! `GET /api/v4/websocket`: Mattermost's websocket protocol (CONTRACT §4) — authentication by
//! header, cookie or `authentication_challenge`; `hello`; per-connection sequence numbers;
//! `ping`; events. Deactivation, logout and expiry close the affected sockets.

use std::sync::Arc;
use std::time::Duration;

use axum::extract::ws::{Message, WebSocket, WebSocketUpgrade};
use axum::extract::State;
use axum::http::HeaderMap;
use axum::response::Response;
use futures_util::{SinkExt, StreamExt};
use mamgate_core::client::SERVER_VERSION;
use serde_json::{json, Value};
use tokio::sync::broadcast::error::RecvError;

use crate::auth::{self, Authed};
use crate::state::{now_ms, AppState, Event, CLOSE_SESSION, CLOSE_USER};

/// How long an unauthenticated socket may wait before sending its challenge.
const CHALLENGE_TIMEOUT: Duration = Duration::from_secs(10);

/// Upgrades; authentication happens from headers now or from the first message.
pub async fn upgrade(
    State(state): State<Arc<AppState>>,
    headers: HeaderMap,
    ws: WebSocketUpgrade,
) -> Response {
    let pre = match auth::request_token(&headers) {
        Some((token, _)) => auth::authenticate(&state, &token).await.ok(),
        None => None,
    };
    ws.on_upgrade(move |socket| run(state, socket, pre))
}

async fn run(state: Arc<AppState>, socket: WebSocket, pre: Option<Authed>) {
    let (mut tx, mut rx) = socket.split();
    // Subscribe before hello so nothing sent after hello is missed.
    let mut events = state.events.subscribe();
    let authed = match pre {
        Some(a) => a,
        None => match challenge(&state, &mut rx, &mut tx).await {
            Some(a) => a,
            None => return,
        },
    };
    state.metrics.websocket_opened();
    let mut seq: i64 = 0;
    let hello = frame(
        "hello",
        &json!({"server_version": SERVER_VERSION, "connection_id": mamgate_store::new_id()}),
        &authed.user.id,
        seq,
    );
    if tx.send(Message::Text(hello.into())).await.is_err() {
        state.metrics.websocket_closed();
        return;
    }
    let expires_in = Duration::from_millis((authed.session.expires_at - now_ms()).max(0) as u64);
    let expiry = tokio::time::sleep(expires_in);
    tokio::pin!(expiry);
    loop {
        tokio::select! {
            ev = events.recv() => match ev {
                Ok(ev) => {
                    if closes(&ev, &authed) {
                        break;
                    }
                    if ev.event.starts_with('_') || (!ev.user_id.is_empty() && ev.user_id != authed.user.id) {
                        continue;
                    }
                    seq += 1;
                    if tx.send(Message::Text(frame(ev.event, &ev.data, &ev.user_id, seq).into())).await.is_err() {
                        break;
                    }
                }
                // Events were dropped for this slow socket: resend the state that matters
                // for enforcement so the device never acts on a stale config or license.
                Err(RecvError::Lagged(_)) => {
                    let config = mamgate_core::client::client_config(&state.config(), state.license().as_ref());
                    let license = mamgate_core::client::client_license(state.license().as_ref());
                    let catch_up = [("config_changed", json!({"config": config})), ("license_changed", json!({"license": license}))];
                    let mut failed = false;
                    for (event, data) in catch_up {
                        seq += 1;
                        failed |= tx.send(Message::Text(frame(event, &data, "", seq).into())).await.is_err();
                    }
                    if failed {
                        break;
                    }
                }
                Err(RecvError::Closed) => break,
            },
            msg = rx.next() => match msg {
                Some(Ok(Message::Text(text))) => {
                    if let Some(reply) = action_reply(&text) {
                        if tx.send(Message::Text(reply.into())).await.is_err() {
                            break;
                        }
                    }
                }
                Some(Ok(Message::Ping(p))) => {
                    if tx.send(Message::Pong(p)).await.is_err() {
                        break;
                    }
                }
                Some(Ok(Message::Close(_))) | None | Some(Err(_)) => break,
                Some(Ok(_)) => {}
            },
            _ = &mut expiry => break,
        }
    }
    let _ = tx.send(Message::Close(None)).await;
    state.metrics.websocket_closed();
}

fn closes(ev: &Event, authed: &Authed) -> bool {
    match ev.event {
        CLOSE_USER => ev.user_id == authed.user.id,
        CLOSE_SESSION => ev.data.as_str() == Some(authed.session.id.as_str()),
        _ => false,
    }
}

async fn challenge(
    state: &AppState,
    rx: &mut futures_util::stream::SplitStream<WebSocket>,
    tx: &mut futures_util::stream::SplitSink<WebSocket, Message>,
) -> Option<Authed> {
    let msg = tokio::time::timeout(CHALLENGE_TIMEOUT, rx.next())
        .await
        .ok()??
        .ok()?;
    let Message::Text(text) = msg else {
        return None;
    };
    let v: Value = serde_json::from_str(&text).ok()?;
    let seq = v.get("seq").cloned().unwrap_or(Value::Null);
    if v.get("action").and_then(Value::as_str) != Some("authentication_challenge") {
        return None;
    }
    let token = v.pointer("/data/token").and_then(Value::as_str)?;
    match auth::authenticate(state, token).await {
        Ok(a) => {
            let ok = json!({"status": "OK", "seq_reply": seq}).to_string();
            tx.send(Message::Text(ok.into())).await.ok()?;
            Some(a)
        }
        Err(e) => {
            let fail = json!({"status": "FAIL", "seq_reply": seq, "error": {"id": e.id.id(), "message": e.message()}});
            let _ = tx.send(Message::Text(fail.to_string().into())).await;
            None
        }
    }
}

fn action_reply(text: &str) -> Option<String> {
    let v: Value = serde_json::from_str(text).ok()?;
    let seq = v.get("seq").cloned().unwrap_or(Value::Null);
    match v.get("action").and_then(Value::as_str)? {
        "ping" => Some(
            json!({"status": "OK", "seq_reply": seq, "data": {"text": "pong", "version": SERVER_VERSION, "server_time": now_ms()}})
                .to_string(),
        ),
        // Already authenticated; Mattermost answers OK again.
        "authentication_challenge" => Some(json!({"status": "OK", "seq_reply": seq}).to_string()),
        _ => Some(json!({"status": "OK", "seq_reply": seq}).to_string()),
    }
}

fn frame(event: &str, data: &Value, user_id: &str, seq: i64) -> String {
    json!({
        "event": event,
        "data": data,
        "broadcast": {"omit_users": null, "user_id": user_id, "channel_id": "", "team_id": ""},
        "seq": seq,
    })
    .to_string()
}
