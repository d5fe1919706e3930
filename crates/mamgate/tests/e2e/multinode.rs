//! Two `mamgate serve` processes sharing one PostgreSQL database (issue: multi-node).

use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use futures_util::StreamExt;
use serde_json::{json, Value};
use tokio_tungstenite::tungstenite::Message;

fn pg_url() -> Option<String> {
    let url = std::env::var("MAMGATE_TEST_POSTGRES")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/test".into());
    let ok = std::net::TcpStream::connect_timeout(
        &"127.0.0.1:5432".parse().unwrap(),
        Duration::from_secs(2),
    )
    .is_ok();
    if !ok {
        assert!(
            std::env::var_os("MAMGATE_REQUIRE_POSTGRES").is_none(),
            "MAMGATE_REQUIRE_POSTGRES is set but PostgreSQL is unreachable"
        );
        eprintln!("SKIPPED: PostgreSQL is not reachable at 127.0.0.1:5432");
        return None;
    }
    Some(url)
}

struct Node {
    child: Child,
    url: String,
}

impl Drop for Node {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

async fn start_node(dir: &std::path::Path) -> Node {
    let port = free_port();
    let child = Command::new(env!("CARGO_BIN_EXE_mamgate"))
        .args([
            "serve",
            "--config",
            "config.json",
            "--listen",
            &format!("127.0.0.1:{port}"),
        ])
        .current_dir(dir)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let url = format!("http://127.0.0.1:{port}");
    let deadline = Instant::now() + Duration::from_secs(20);
    while Instant::now() < deadline {
        if reqwest::get(format!("{url}/api/v4/system/ping"))
            .await
            .is_ok()
        {
            return Node { child, url };
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    // Dropping the node kills the process before the test fails.
    drop(Node { child, url });
    panic!("node did not start");
}

type Socket =
    tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

async fn websocket(base: &str, token: &str) -> Socket {
    let url = format!("{}/api/v4/websocket", base.replace("http://", "ws://"));
    let (mut ws, _) = tokio_tungstenite::connect_async(url).await.unwrap();
    use futures_util::SinkExt;
    ws.send(Message::Text(
        json!({"seq": 1, "action": "authentication_challenge", "data": {"token": token}})
            .to_string()
            .into(),
    ))
    .await
    .unwrap();
    ws
}

/// The next event named `name` within `within`; None if the socket closed or time ran out.
async fn next_event(ws: &mut Socket, name: &str, within: Duration) -> Option<Value> {
    let deadline = Instant::now() + within;
    loop {
        let left = deadline.checked_duration_since(Instant::now())?;
        match tokio::time::timeout(left, ws.next()).await {
            Ok(Some(Ok(Message::Text(t)))) => {
                let v: Value = serde_json::from_str(&t).unwrap_or(Value::Null);
                if v["event"] == name {
                    return Some(v);
                }
            }
            Ok(Some(Ok(Message::Close(_)))) | Ok(None) | Ok(Some(Err(_))) => return None,
            Ok(Some(Ok(_))) => {}
            Err(_) => return None,
        }
    }
}

/// True when the socket is closed by the server within `within`.
async fn closes(ws: &mut Socket, within: Duration) -> bool {
    let deadline = Instant::now() + within;
    loop {
        let Some(left) = deadline.checked_duration_since(Instant::now()) else {
            return false;
        };
        match tokio::time::timeout(left, ws.next()).await {
            Ok(Some(Ok(Message::Close(_)))) | Ok(None) | Ok(Some(Err(_))) => return true,
            Ok(Some(Ok(_))) => {}
            Err(_) => return false,
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_nodes_share_config_license_sessions_and_events() {
    let Some(pg) = pg_url() else { return };
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let schema = format!("mn_{}", mamgate_store::new_id());
    // Create and migrate the schema; the nodes then find it through search_path.
    let setup = mamgate_store::PostgresStore::connect_with_schema(&pg, &schema)
        .await
        .unwrap();
    drop(setup);
    let sep = if pg.contains('?') { '&' } else { '?' };
    let data_source = format!("{pg}{sep}options=-c%20search_path%3D{schema}");
    let key = mamgate_core::license::signing_key_from_seed([5; 32]);
    let public = mamgate_core::license::encode_public_key(&key.verifying_key());
    std::fs::write(
        d.join("config.json"),
        json!({
            "SqlSettings": {"DriverName": "postgres", "DataSource": data_source},
            "LicenseSettings": {"TrustedPublicKeys": [public]},
            "LogSettings": {"ConsoleLevel": "ERROR"},
        })
        .to_string(),
    )
    .unwrap();
    let a = start_node(d).await;
    let b = start_node(d).await;
    let http = reqwest::Client::new();

    // The first user, created through A; its session (made on A) works on B.
    let r = http
        .post(format!("{}/api/v4/users", a.url))
        .json(&json!({"username": "admin", "email": "admin@x.com", "password": "Adm1n-pass"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 201);
    let r = http
        .post(format!("{}/api/v4/users/login", a.url))
        .json(&json!({"login_id": "admin", "password": "Adm1n-pass"}))
        .send()
        .await
        .unwrap();
    let admin = r.headers()["token"].to_str().unwrap().to_string();
    let me = http
        .get(format!("{}/api/v4/users/me", b.url))
        .bearer_auth(&admin)
        .send()
        .await
        .unwrap();
    assert_eq!(me.status(), 200, "a session created on A works on B");

    // A config change through A reaches a websocket on B within 1 s.
    let mut ws_b = websocket(&b.url, &admin).await;
    assert!(next_event(&mut ws_b, "hello", Duration::from_secs(5))
        .await
        .is_some());
    let r = http
        .put(format!("{}/api/v4/config/patch", a.url))
        .bearer_auth(&admin)
        .json(&json!({"TeamSettings": {"SiteName": "Two Nodes"}}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let ev = next_event(&mut ws_b, "config_changed", Duration::from_secs(1))
        .await
        .expect("config_changed on B within 1 s");
    assert_eq!(ev["data"]["config"]["SiteName"], "Two Nodes");
    let cfg_b: Value = http
        .get(format!("{}/api/v4/config/client?format=old", b.url))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(cfg_b["SiteName"], "Two Nodes");

    // A license installed through A: B's socket hears license_changed.
    let now = mamgate_server::state::now_ms();
    let lic = mamgate_core::license::License {
        id: "l".into(),
        issued_at: now,
        starts_at: now - 60_000,
        expires_at: now + 86_400_000,
        customer: Default::default(),
        sku_short_name: "advanced".into(),
        sku_name: "Enterprise Advanced".into(),
        signed_by: String::new(),
    }
    .sign(&key);
    let form = reqwest::multipart::Form::new().part(
        "license",
        reqwest::multipart::Part::bytes(lic.into_bytes()).file_name("l"),
    );
    let r = http
        .post(format!("{}/api/v4/license", a.url))
        .bearer_auth(&admin)
        .multipart(form)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let ev = next_event(&mut ws_b, "license_changed", Duration::from_secs(1))
        .await
        .expect("license_changed on B within 1 s");
    assert_eq!(ev["data"]["license"]["SkuShortName"], "advanced");

    // Deactivation on B kills bob's session and socket on A.
    let r = http
        .post(format!("{}/api/v4/users", a.url))
        .bearer_auth(&admin)
        .json(&json!({"username": "bob", "email": "bob@x.com", "password": "b0b-pass"}))
        .send()
        .await
        .unwrap();
    let bob: Value = r.json().await.unwrap();
    let r = http
        .post(format!("{}/api/v4/users/login", a.url))
        .json(&json!({"login_id": "bob", "password": "b0b-pass"}))
        .send()
        .await
        .unwrap();
    let bob_token = r.headers()["token"].to_str().unwrap().to_string();
    let mut ws_a = websocket(&a.url, &bob_token).await;
    assert!(next_event(&mut ws_a, "hello", Duration::from_secs(5))
        .await
        .is_some());
    let r = http
        .put(format!(
            "{}/api/v4/users/{}/active",
            b.url,
            bob["id"].as_str().unwrap()
        ))
        .bearer_auth(&admin)
        .json(&json!({"active": false}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    assert!(
        closes(&mut ws_a, Duration::from_secs(1)).await,
        "bob's socket on A closes within 1 s"
    );
    let r = http
        .get(format!("{}/api/v4/users/me", a.url))
        .bearer_auth(&bob_token)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 401);

    // Killing A loses nothing committed; B keeps serving.
    let carol = http
        .post(format!("{}/api/v4/users", a.url))
        .bearer_auth(&admin)
        .json(&json!({"username": "carol", "email": "carol@x.com", "password": "c4rol-pass"}))
        .send()
        .await
        .unwrap();
    assert_eq!(carol.status(), 201);
    let r = http
        .post(format!("{}/api/v4/users/login", a.url))
        .json(&json!({"login_id": "carol", "password": "c4rol-pass"}))
        .send()
        .await
        .unwrap();
    let carol_token = r.headers()["token"].to_str().unwrap().to_string();
    let mut a = a;
    a.child.kill().unwrap();
    a.child.wait().unwrap();
    let me = http
        .get(format!("{}/api/v4/users/me", b.url))
        .bearer_auth(&carol_token)
        .send()
        .await
        .unwrap();
    assert_eq!(me.status(), 200, "a session committed on A survives A");
    let users: Vec<Value> = http
        .get(format!("{}/api/v4/users?per_page=200", b.url))
        .bearer_auth(&admin)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(users.len(), 3);

    drop(ws_b);
    drop(b);
    drop(a);
    // Leave the database as it was.
    let (client, conn) = tokio_postgres_connect(&pg).await;
    let task = tokio::spawn(conn);
    client
        .batch_execute(&format!("DROP SCHEMA {schema} CASCADE"))
        .await
        .unwrap();
    drop(client);
    let _ = task.await;
}

async fn tokio_postgres_connect(
    url: &str,
) -> (
    tokio_postgres::Client,
    tokio_postgres::Connection<tokio_postgres::Socket, tokio_postgres::tls::NoTlsStream>,
) {
    tokio_postgres::connect(url, tokio_postgres::NoTls)
        .await
        .unwrap()
}
