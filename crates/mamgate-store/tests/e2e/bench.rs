//! Throughput of `create_session` on SQLite with 64 concurrent callers (PERFORMANCE.md: the
//! session write is the floor of a sign-in). Run once, in release:
//! `cargo test -p mamgate-store --release --test e2e -- --ignored --nocapture --test-threads=1 bench`
//! (one at a time: two benches at once share the 2 cores and skew each other).

use crate::harness::{session, user, SqliteHarness};
use std::time::Instant;
use tokio::task::JoinSet;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "measurement, run by hand in release mode"]
async fn bench_sqlite_create_session_64_callers() {
    const CALLERS: usize = 64;
    const PER_CALLER: usize = 1_000;
    let h = SqliteHarness::new();
    let u = h.store.create_user(user(1), false).await.unwrap();
    let start = Instant::now();
    let mut set = JoinSet::new();
    for c in 0..CALLERS {
        let s = h.store.clone();
        let id = u.id.clone();
        set.spawn(async move {
            for n in 0..PER_CALLER {
                let (x, _) = session(&id, &format!("dev{c}"), n as i64);
                s.create_session(x, Some(format!("dev{c}"))).await.unwrap();
            }
        });
    }
    set.join_all().await;
    let secs = start.elapsed().as_secs_f64();
    let total = CALLERS * PER_CALLER;
    println!(
        "sqlite create_session, {CALLERS} callers: {total} in {secs:.2} s = {:.0} sessions/s",
        total as f64 / secs
    );
}

/// Lookup by auth key at 1,000 and at 1,000,000 users, and a full `scan_users` over the
/// million (PERFORMANCE.md P3, P8).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "measurement, run by hand in release mode"]
async fn bench_sqlite_million_users() {
    let h = SqliteHarness::new();
    let mut have = 0;
    for n in [1_000, 1_000_000] {
        let start = Instant::now();
        create_users(&h, have, n).await;
        have = n;
        println!(
            "sqlite: users {n}: created in {:.1} s",
            start.elapsed().as_secs_f64()
        );
        lookups(&h, n).await;
    }
    let start = Instant::now();
    let mut count = 0u32;
    h.store.scan_users(&mut |_| count += 1).await.unwrap();
    assert_eq!(count, have);
    println!(
        "sqlite: scan_users over {have} users: {:.2} s",
        start.elapsed().as_secs_f64()
    );
}

async fn create_users(h: &SqliteHarness, from: u32, to: u32) {
    const CALLERS: u32 = 64;
    let mut set = JoinSet::new();
    for c in 0..CALLERS {
        let s = h.store.clone();
        set.spawn(async move {
            for n in (from + c..to).step_by(CALLERS as usize) {
                s.create_user(user(n), false).await.unwrap();
            }
        });
    }
    set.join_all().await;
}

/// Prints one caller's latency and 64 callers' throughput of `get_user_by_auth`.
async fn lookups(h: &SqliteHarness, users: u32) {
    const LOOKUPS: u32 = 20_000;
    let start = Instant::now();
    for n in 0..LOOKUPS {
        let key = user((n * 7919) % users).auth_data;
        assert!(h
            .store
            .get_user_by_auth("office365", &key)
            .await
            .unwrap()
            .is_some());
    }
    let per = start.elapsed().as_secs_f64() / f64::from(LOOKUPS) * 1e6;
    let start = Instant::now();
    let mut set = JoinSet::new();
    for c in 0..64u32 {
        let s = h.store.clone();
        set.spawn(async move {
            for n in 0..LOOKUPS / 64 {
                let key = user((c * 104_729 + n * 7919) % users).auth_data;
                assert!(s
                    .get_user_by_auth("office365", &key)
                    .await
                    .unwrap()
                    .is_some());
            }
        });
    }
    set.join_all().await;
    let rate = f64::from(LOOKUPS / 64 * 64) / start.elapsed().as_secs_f64();
    println!("sqlite: users {users}: get_user_by_auth one caller {per:.1} µs each; 64 callers {rate:.0}/s");
}
