//! PERFORMANCE P5: however many requests wait, one fetch.

use std::sync::atomic::Ordering;

use crate::kit::{now_secs, validator, Emulator};

async fn burst(v: &std::sync::Arc<mamgate_token::Validator>, emu: &Emulator, key: usize, n: usize) {
    let intune = emu.intune();
    let now = now_secs();
    let token = emu.token(key, now);
    let tasks: Vec<_> = (0..n)
        .map(|_| {
            let (v, intune, token) = (v.clone(), intune.clone(), token.clone());
            tokio::spawn(async move { v.validate(&token, &intune, now).await })
        })
        .collect();
    for t in tasks {
        t.await.unwrap().unwrap();
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn thousand_requests_with_unknown_kid_cause_one_fetch() {
    let emu = Emulator::start(&[0]).await;
    let v = validator();
    assert_eq!(v.prefetch(&emu.intune()).await.unwrap(), 1);
    assert_eq!(emu.jwks_hits(), 1);

    emu.publish(&[0, 1]);
    emu.jwks_delay_ms.store(200, Ordering::SeqCst);
    burst(&v, &emu, 1, 1000).await;
    assert_eq!(emu.jwks_hits(), 2, "one refresh for 1,000 requests");
    assert_eq!(v.stats().kid_refreshes, 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn thousand_requests_on_a_cold_cache_cause_one_fetch() {
    let emu = Emulator::start(&[0]).await;
    emu.jwks_delay_ms.store(200, Ordering::SeqCst);
    let v = validator();
    burst(&v, &emu, 0, 1000).await;
    assert_eq!(emu.jwks_hits(), 1);
    assert_eq!(emu.discovery_hits.load(Ordering::SeqCst), 1);
    assert_eq!(v.stats().fetches, 1);
}
