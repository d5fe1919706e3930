//! Control endpoints: minting, tenant replacement, loopback-only access.

use std::net::{IpAddr, SocketAddr, UdpSocket};

use mamgate_emulators::tenant::*;
use mamgate_emulators::{example_tenant, shared, start_entra, start_intune};
use reqwest::Method;
use serde_json::json;

use crate::kit::{claims, header, Kit};

#[tokio::test]
async fn mint_any_claims_and_headers() {
    let kit = Kit::start().await;
    let (s, m) = kit
        .entra_control(Method::POST, "mint", json!({"claims": {"tid": "someone-else", "custom": [1]}, "header": {"typ": "at+jwt"}, "lifetime_secs": 120}))
        .await;
    assert_eq!(s, 200, "{m}");
    let token = m["token"].as_str().unwrap();
    let (c, h) = (claims(token), header(token));
    assert_eq!(
        (c["tid"].as_str(), c["custom"].clone()),
        (Some("someone-else"), json!([1]))
    );
    assert_eq!(c["exp"].as_i64().unwrap() - c["iat"].as_i64().unwrap(), 120);
    assert_eq!(h["typ"], json!("at+jwt"));
    let (_, jwks) = kit
        .get(&format!("{}/discovery/v2.0/keys", kit.authority()))
        .await;
    assert_eq!(h["kid"], jwks["keys"][0]["kid"]);

    // Start from a real token, drop a claim and the kid.
    let (_, m) = kit
        .entra_control(Method::POST, "mint", json!({"as": {"username": ALICE_UPN, "client_id": OFFICIAL_CLIENT_ID, "scope": format!("api://{EXAMPLE_SERVER_APP_ID}/{LOGIN_SCOPE}")},
            "claims": {"oid": null}, "header": {"kid": null}}))
        .await;
    let token = m["token"].as_str().unwrap();
    assert!(claims(token).get("oid").is_none());
    assert_eq!(claims(token)["scp"], json!(LOGIN_SCOPE));
    assert!(header(token).get("kid").is_none());

    let (_, m) = kit
        .entra_control(Method::POST, "mint", json!({"unknown_key": true}))
        .await;
    assert_ne!(
        header(m["token"].as_str().unwrap())["kid"],
        jwks["keys"][0]["kid"]
    );

    let (s, b) = kit
        .entra_control(
            Method::POST,
            "mint",
            json!({"as": {"username": ALICE_UPN, "client_id": "x", "scope": "y"}}),
        )
        .await;
    assert_eq!((s, b["error_codes"].clone()), (400, json!([700016])));
}

#[tokio::test]
async fn tenant_can_be_read_and_replaced() {
    let kit = Kit::start().await;
    let (s, t) = kit.entra_control(Method::GET, "tenant", json!(null)).await;
    assert_eq!(s, 200);
    assert_eq!(
        t["authority_host"],
        json!(kit.entra.url),
        "authority follows the bound port"
    );
    let (s, _) = kit
        .entra_control(Method::PUT, "tenant", json!({"tenant_id": 3}))
        .await;
    assert_eq!(s, 400);
    let (s, _) = kit
        .entra_control(
            Method::PUT,
            "tenant",
            json!({"tenant_id": "t", "authority_host": "h", "applications": [{"no": "appId"}]}),
        )
        .await;
    assert_eq!(s, 400);
    // The token lifetime setting.
    let (s, _) = kit
        .entra_control(Method::PUT, "settings", json!({"token_lifetime_secs": 90}))
        .await;
    assert_eq!(s, 204);
    let token = kit
        .access_token(OFFICIAL_CLIENT_ID, ALICE_UPN, MAM_SCOPE)
        .await;
    let c = claims(&token);
    assert_eq!(c["exp"].as_i64().unwrap() - c["iat"].as_i64().unwrap(), 90);
}

/// A local address that is not loopback, if the machine has one.
fn non_loopback_ip() -> Option<IpAddr> {
    let socket = UdpSocket::bind("0.0.0.0:0").ok()?;
    // Connecting a UDP socket sends nothing; it only picks the outgoing interface.
    socket.connect("10.255.255.255:9").ok()?;
    let ip = socket.local_addr().ok()?.ip();
    (!ip.is_loopback() && !ip.is_unspecified()).then_some(ip)
}

#[tokio::test]
async fn control_refuses_non_loopback_peers() {
    let Some(ip) = non_loopback_ip() else {
        eprintln!("no non-loopback address on this machine; skipping");
        return;
    };
    let tenant = shared(example_tenant("http://127.0.0.1:0"));
    let any: SocketAddr = "0.0.0.0:0".parse().unwrap();
    let entra = start_entra(tenant.clone(), any).await.unwrap();
    let intune = start_intune(tenant, any).await.unwrap();
    let http = reqwest::Client::new();
    for (port, path) in [
        (entra.addr.port(), "counters"),
        (intune.addr.port(), "counters"),
        (entra.addr.port(), "tenant"),
    ] {
        let far = http
            .get(format!("http://{ip}:{port}/_control/{path}"))
            .send()
            .await
            .unwrap();
        assert_eq!(far.status().as_u16(), 403, "{path} from {ip}");
        let near = http
            .get(format!("http://127.0.0.1:{port}/_control/{path}"))
            .send()
            .await
            .unwrap();
        assert_eq!(near.status().as_u16(), 200);
    }
    // The public endpoints answer everyone.
    let disc = http
        .get(format!(
            "http://{ip}:{}/{EXAMPLE_TENANT_ID}/v2.0/.well-known/openid-configuration",
            entra.addr.port()
        ))
        .send()
        .await
        .unwrap();
    assert_eq!(disc.status().as_u16(), 200);
    entra.shutdown().await;
    intune.shutdown().await;
}
