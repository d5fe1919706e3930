//! Throughput of `create_session` on SQLite with 64 concurrent callers (PERFORMANCE.md: the
//! session write is the floor of a sign-in). Run once, in release:
//! `cargo test -p mamgate-store --release --test e2e -- --ignored --nocapture bench`

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
