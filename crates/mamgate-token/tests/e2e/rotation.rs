//! Key rotation is picked up through an unknown kid.

use mamgate_core::ErrorId;

use crate::kit::{now_secs, validator, Emulator};

#[tokio::test]
async fn rotated_key_is_picked_up_through_unknown_kid() {
    let emu = Emulator::start(&[0]).await;
    let v = validator();
    let intune = emu.intune();
    let now = now_secs();

    let claims = v.validate(&emu.token(0, now), &intune, now).await.unwrap();
    assert_eq!(claims.tid, crate::kit::TENANT);
    assert_eq!(emu.jwks_hits(), 1);

    // Entra rolls over: k2 appears, k1 is retired.
    emu.publish(&[1]);
    v.validate(&emu.token(1, now), &intune, now).await.unwrap();
    assert_eq!(emu.jwks_hits(), 2);
    assert_eq!(v.stats().kid_refreshes, 1);

    // The retired key is gone from the cache too; an unknown kid within 5 minutes fetches nothing.
    let err = v
        .validate(&emu.token(0, now), &intune, now)
        .await
        .unwrap_err();
    assert_eq!(err.id, ErrorId::InvalidToken);
    let err = v
        .validate(&emu.token_with_kid(1, "bogus", now), &intune, now)
        .await
        .unwrap_err();
    assert_eq!(err.id, ErrorId::InvalidToken);
    assert!(err.reason.contains("unknown"), "{}", err.reason);
    assert_eq!(emu.jwks_hits(), 2);
    assert_eq!(v.stats().fetches, 2);
}

#[tokio::test]
async fn issuer_and_hosts_come_from_configuration() {
    // The emulator is its own "cloud": nothing but AuthorityHost says where to go.
    let emu = Emulator::start(&[0]).await;
    let v = validator();
    let now = now_secs();
    let cached = {
        v.validate(&emu.token(0, now), &emu.intune(), now)
            .await
            .unwrap();
        v.cached(&emu.intune()).unwrap()
    };
    assert_eq!(cached.issuer, emu.issuer_template());
    assert!(cached.jwks_uri.starts_with(&emu.base));

    // A token from the public cloud's issuer does not pass against this cloud's keys.
    let mut claims =
        mamgate_token::signing::sample_claims(crate::kit::TENANT, crate::kit::CLIENT, now);
    claims["iss"] = serde_json::json!(format!(
        "https://login.microsoftonline.com/{}/v2.0",
        crate::kit::TENANT
    ));
    let token = crate::kit::keys()[0].sign(&claims).unwrap();
    assert_eq!(
        v.validate(&token, &emu.intune(), now).await.unwrap_err().id,
        ErrorId::InvalidToken
    );
}
