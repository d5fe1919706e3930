//! Load generators in the same process: closed loop (N connections, each sending as soon as
//! its answer came back) for throughput, open loop (a fixed schedule) for latency.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::body::Bytes;
use tokio::task::JoinSet;

/// What a run saw.
#[derive(Debug, Default, Clone)]
pub struct Outcome {
    /// 200 answers.
    pub ok: u64,
    /// Other answers by status.
    pub other: BTreeMap<u16, u64>,
    /// Requests that got no answer (connection error, timeout).
    pub errors: u64,
    /// From the first request to the last answer.
    pub elapsed: Duration,
}

impl Outcome {
    /// 200 answers per second.
    pub fn rate(&self) -> f64 {
        self.ok as f64 / self.elapsed.as_secs_f64().max(1e-9)
    }

    /// A note naming anything that was not a 200, or empty.
    pub fn problems(&self) -> String {
        let mut parts: Vec<String> = self
            .other
            .iter()
            .map(|(s, n)| format!("{n} × HTTP {s}"))
            .collect();
        if self.errors > 0 {
            parts.push(format!("{} without answer", self.errors));
        }
        parts.join(", ")
    }

    fn add(&mut self, r: Result<u16, ()>) {
        match r {
            Ok(200) => self.ok += 1,
            Ok(s) => *self.other.entry(s).or_default() += 1,
            Err(()) => self.errors += 1,
        }
    }
}

/// A client whose pool keeps `connections` connections to loopback, no proxy.
pub fn client(connections: usize) -> anyhow::Result<reqwest::Client> {
    Ok(reqwest::Client::builder()
        .no_proxy()
        .pool_max_idle_per_host(connections)
        .tcp_nodelay(true)
        .timeout(Duration::from_secs(10))
        .build()?)
}

/// POSTs one body and reads the whole answer; the status, or `Err` when none came.
async fn send(client: &reqwest::Client, url: &str, body: Bytes) -> Result<u16, ()> {
    let r = client
        .post(url)
        .header("content-type", "application/json")
        .body(body)
        .send()
        .await
        .map_err(|_| ())?;
    let status = r.status().as_u16();
    r.bytes().await.map_err(|_| ())?;
    Ok(status)
}

/// `connections` tasks POST `bodies` (round robin) to `url` for `duration`.
pub async fn closed_loop(
    client: &reqwest::Client,
    url: &str,
    bodies: &Arc<Vec<Bytes>>,
    connections: usize,
    duration: Duration,
) -> Outcome {
    let next = Arc::new(AtomicU64::new(0));
    let started = Instant::now();
    let deadline = started + duration;
    let mut tasks = JoinSet::new();
    for _ in 0..connections {
        let (client, url, bodies, next) = (
            client.clone(),
            url.to_string(),
            bodies.clone(),
            next.clone(),
        );
        tasks.spawn(async move {
            let mut out = Outcome::default();
            while Instant::now() < deadline {
                let n = next.fetch_add(1, Ordering::Relaxed) as usize;
                let body = bodies
                    .get(n % bodies.len().max(1))
                    .cloned()
                    .unwrap_or_default();
                out.add(send(&client, &url, body).await);
            }
            out
        });
    }
    let mut total = Outcome::default();
    while let Some(done) = tasks.join_next().await {
        if let Ok(o) = done {
            total.ok += o.ok;
            total.errors += o.errors;
            for (s, n) in o.other {
                *total.other.entry(s).or_default() += n;
            }
        }
    }
    total.elapsed = started.elapsed();
    total
}

/// Latencies of an open-loop run, and what was answered.
#[derive(Debug, Default)]
pub struct Latencies {
    pub outcome: Outcome,
    /// Sorted, each from the request's scheduled start (so a late generator counts against us).
    pub sorted: Vec<Duration>,
    /// Requests not sent because `max_in_flight` were already waiting.
    pub skipped: u64,
}

impl Latencies {
    fn record(&mut self, done: Result<(Result<u16, ()>, Duration), tokio::task::JoinError>) {
        if let Ok((r, latency)) = done {
            self.outcome.add(r);
            self.sorted.push(latency);
        }
    }

    /// The `q` quantile (0–1), zero when nothing was measured.
    pub fn quantile(&self, q: f64) -> Duration {
        if self.sorted.is_empty() {
            return Duration::ZERO;
        }
        let i = ((self.sorted.len() as f64 * q).ceil() as usize).clamp(1, self.sorted.len()) - 1;
        self.sorted.get(i).copied().unwrap_or_default()
    }
}

/// Sends at `rate` per second for `duration` on a fixed schedule, whatever the answers do.
pub async fn open_loop(
    client: &reqwest::Client,
    url: &str,
    bodies: &Arc<Vec<Bytes>>,
    rate: f64,
    duration: Duration,
    max_in_flight: usize,
) -> Latencies {
    let rate = rate.max(1.0);
    let started = Instant::now();
    let in_flight = Arc::new(AtomicU64::new(0));
    let mut tasks = JoinSet::new();
    let mut out = Latencies::default();
    let (mut sent, mut skipped) = (0u64, 0u64);
    loop {
        let now = started.elapsed();
        if now >= duration {
            break;
        }
        let due = (now.as_secs_f64() * rate) as u64;
        while sent < due {
            let scheduled = started + Duration::from_secs_f64(sent as f64 / rate);
            sent += 1;
            if in_flight.load(Ordering::Relaxed) as usize >= max_in_flight {
                skipped += 1;
                continue;
            }
            in_flight.fetch_add(1, Ordering::Relaxed);
            let body = bodies
                .get(sent as usize % bodies.len().max(1))
                .cloned()
                .unwrap_or_default();
            let (client, url, in_flight) = (client.clone(), url.to_string(), in_flight.clone());
            tasks.spawn(async move {
                let r = send(&client, &url, body).await;
                in_flight.fetch_sub(1, Ordering::Relaxed);
                (r, scheduled.elapsed())
            });
        }
        // Reap finished requests as we go so the set stays small on long runs.
        while let Some(done) = tasks.try_join_next() {
            out.record(done);
        }
        tokio::time::sleep(Duration::from_micros(500)).await;
    }
    while let Some(done) = tasks.join_next().await {
        out.record(done);
    }
    out.skipped = skipped;
    out.outcome.elapsed = started.elapsed();
    out.sorted.sort();
    out
}
