//! Discovery or JWKS down: warm caches keep working, cold ones answer JwksInit and recover.

use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

use mamgate_core::ErrorId;
use mamgate_token::cache::{BACKGROUND_REFRESH_AGE_MS, COLD_RETRY_INTERVAL_MS, MAX_KEY_AGE_MS};

use crate::kit::{eventually, now_secs, validator, validator_with_clock, Emulator};

#[tokio::test]
async fn warm_cache_survives_an_outage() {
    let emu = Emulator::start(&[0]).await;
    let v = validator();
    let intune = emu.intune();
    v.prefetch(&intune).await.unwrap();
    emu.fail.store(true, Ordering::SeqCst);
    let now = now_secs();
    v.validate(&emu.token(0, now), &intune, now).await.unwrap();

    // An unknown kid refreshes, the refresh fails, the last known good keys stay.
    let err = v
        .validate(&emu.token(1, now), &intune, now)
        .await
        .unwrap_err();
    assert_eq!(err.id, ErrorId::InvalidToken);
    assert_eq!(v.stats().failures, 1);
    v.validate(&emu.token(0, now), &intune, now).await.unwrap();
}

#[tokio::test]
async fn cold_cache_outage_is_jwks_init_at_most_one_attempt_per_second() {
    let emu = Emulator::start(&[0]).await;
    emu.fail.store(true, Ordering::SeqCst);
    let (v, clock) = validator_with_clock();
    let intune = emu.intune();
    let now = now_secs();

    let err = v
        .validate(&emu.token(0, now), &intune, now)
        .await
        .unwrap_err();
    assert_eq!(err.id, ErrorId::JwksInit);
    assert!(err.reason.contains("503"), "{}", err.reason);
    // Row 7 precedes row 8: even garbage answers JwksInit while there are no keys.
    assert_eq!(
        v.validate("garbage", &intune, now).await.unwrap_err().id,
        ErrorId::JwksInit
    );
    assert_eq!(
        emu.discovery_hits.load(Ordering::SeqCst),
        1,
        "no second attempt within a second"
    );

    clock.advance(COLD_RETRY_INTERVAL_MS);
    emu.fail.store(false, Ordering::SeqCst);
    v.validate(&emu.token(0, now), &intune, now).await.unwrap();
    assert_eq!(v.stats().fetches, 2);
    assert_eq!(v.stats().failures, 1);
}

#[tokio::test]
async fn cold_cache_recovers_within_seconds_on_the_wall_clock() {
    let emu = Emulator::start(&[0]).await;
    emu.fail.store(true, Ordering::SeqCst);
    let v = validator();
    let intune = emu.intune();
    let now = now_secs();
    let err = v
        .validate(&emu.token(0, now), &intune, now)
        .await
        .unwrap_err();
    assert_eq!(err.id, ErrorId::JwksInit);

    emu.fail.store(false, Ordering::SeqCst);
    let back = Instant::now();
    let recovered = eventually(Duration::from_secs(3), || {
        let (v, intune, token) = (v.clone(), intune.clone(), emu.token(0, now));
        async move { v.validate(&token, &intune, now).await.is_ok() }
    })
    .await;
    assert!(recovered, "not recovered within 3 s");
    assert!(
        back.elapsed() < Duration::from_millis(2500),
        "took {:?}",
        back.elapsed()
    );
    assert!(v.stats().fetches <= 3, "{:?}", v.stats());
}

#[tokio::test]
async fn keys_older_than_a_day_without_refresh_are_dropped() {
    let emu = Emulator::start(&[0]).await;
    let (v, clock) = validator_with_clock();
    let intune = emu.intune();
    v.prefetch(&intune).await.unwrap();
    emu.fail.store(true, Ordering::SeqCst);
    clock.advance(MAX_KEY_AGE_MS + 1);
    let now = now_secs();
    let err = v
        .validate(&emu.token(0, now), &intune, now)
        .await
        .unwrap_err();
    assert_eq!(err.id, ErrorId::JwksInit);
    assert_eq!(v.stats().dropped_stale, 1);
}

#[tokio::test]
async fn hour_old_keys_refresh_in_the_background() {
    let emu = Emulator::start(&[0]).await;
    let (v, clock) = validator_with_clock();
    let intune = emu.intune();
    v.prefetch(&intune).await.unwrap();
    let first = v.cached(&intune).unwrap().fetched_at_ms;
    clock.advance(BACKGROUND_REFRESH_AGE_MS + 1);
    let now = now_secs();
    // Answered from the cache at once; the refresh runs behind it.
    v.validate(&emu.token(0, now), &intune, now).await.unwrap();
    let refreshed = eventually(Duration::from_secs(5), || {
        let fresh = v.cached(&intune).is_some_and(|k| k.fetched_at_ms > first);
        async move { fresh }
    })
    .await;
    assert!(refreshed);
    assert_eq!(v.stats().background_refreshes, 1);
    assert_eq!(emu.jwks_hits(), 2);
}
