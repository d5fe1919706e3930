//! `mamgate doctor users` over a real SQLite store, and the P8 measurement.

use std::time::Instant;

use mamgate_core::config::IntuneAuthService;
use mamgate_core::ErrorId;
use mamgate_doctor::generate::generate_users;
use mamgate_doctor::{audit_users, Problem};

use crate::kit::*;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn audit_counts_every_planted_problem() {
    let (store, _dir, _) = sqlite_store().await;
    let n = 5_000;
    generate_users(store.clone(), n).await.unwrap();
    let r = audit_users(store.as_ref(), Some(IntuneAuthService::Office365), 3)
        .await
        .unwrap();
    let per = n / 1000;
    assert_eq!(r.total_users, n);
    assert_eq!(r.other_users.get(""), Some(&per));
    assert_eq!(r.enforced_users, n - per);
    for p in [
        Problem::EmailOrUpn,
        Problem::Base64Guid,
        Problem::Duplicate,
        Problem::UpperCaseGuid,
        Problem::Bot,
        Problem::Deactivated,
    ] {
        assert_eq!(r.count(p), per, "{p:?}");
    }
    // Which of a duplicate pair is "the duplicate" depends on scan order (ids are random).
    assert!(
        (n - 7 * per..=n - 6 * per).contains(&r.ready_users),
        "{}",
        r.ready_users
    );
    let dup = r
        .problems
        .iter()
        .find(|c| c.problem == Problem::Duplicate)
        .unwrap();
    assert_eq!(dup.sample.len(), 3);
    assert_eq!(dup.error_id, ErrorId::AlreadyAttached);
    assert!(!r.ok());
    // SAML enforced: none of these office365 users counts, so nothing fails.
    let r = audit_users(store.as_ref(), Some(IntuneAuthService::Saml), 3)
        .await
        .unwrap();
    assert_eq!(r.enforced_users, 0);
    assert!(r.ok());
}

/// P8: `mamgate doctor users` over 1,000,000 users ≤ 10 s. Run in release:
/// `cargo test -p mamgate-doctor --release --test e2e -- --ignored --nocapture p8`
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "measurement (1,000,000 users), run by hand in release mode"]
async fn p8_audit_one_million_users() {
    let n: u64 = std::env::var("P8_USERS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(1_000_000);
    let (store, _dir, path) = sqlite_store().await;
    let started = Instant::now();
    generate_users(store.clone(), n).await.unwrap();
    let gen = started.elapsed().as_secs_f64();
    let size = std::fs::metadata(&path).map(|m| m.len()).unwrap_or(0);
    println!(
        "generated {n} users in {gen:.1} s ({:.0}/s), db {} MiB",
        n as f64 / gen,
        size >> 20
    );
    let started = Instant::now();
    let r = audit_users(store.as_ref(), Some(IntuneAuthService::Office365), 20)
        .await
        .unwrap();
    let secs = started.elapsed().as_secs_f64();
    println!(
        "P8: doctor users over {} users: {secs:.2} s (target <= 10 s); {} would fail",
        r.total_users,
        r.enforced_users - r.ready_users
    );
    assert_eq!(r.total_users, n);
    assert!(secs <= 10.0, "P8 missed: {secs:.2} s");
}
