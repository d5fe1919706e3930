//! With keys cached, an unknown kid refreshes at most once per 5 minutes (injected clock).

use mamgate_core::ErrorId;
use mamgate_token::cache::KID_REFRESH_INTERVAL_MS;

use crate::kit::{now_secs, validator_with_clock, Emulator};

#[tokio::test]
async fn at_most_one_kid_refresh_per_five_minutes() {
    let emu = Emulator::start(&[0]).await;
    let (v, clock) = validator_with_clock();
    let intune = emu.intune();
    v.prefetch(&intune).await.unwrap();
    let now = now_secs();

    // k2 is not published yet: one refresh, then row 8.
    let err = v
        .validate(&emu.token(1, now), &intune, now)
        .await
        .unwrap_err();
    assert_eq!(err.id, ErrorId::InvalidToken);
    assert_eq!(emu.jwks_hits(), 2);

    emu.publish(&[0, 1]);
    clock.advance(KID_REFRESH_INTERVAL_MS - 1);
    let err = v
        .validate(&emu.token(1, now), &intune, now)
        .await
        .unwrap_err();
    assert_eq!(err.id, ErrorId::InvalidToken);
    assert!(
        err.reason.contains("next refresh allowed"),
        "{}",
        err.reason
    );
    assert_eq!(emu.jwks_hits(), 2, "no refresh inside the window");

    clock.advance(1);
    v.validate(&emu.token(1, now), &intune, now).await.unwrap();
    assert_eq!(emu.jwks_hits(), 3);
    assert_eq!(v.stats().kid_refreshes, 2);
}
