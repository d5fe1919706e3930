//! Prometheus text metrics (`GET /metrics`): sign-ins by outcome and error id, token
//! validation latency, open websockets, store latency of sign-ins.

use std::collections::BTreeMap;
use std::fmt::Write;
use std::sync::atomic::{AtomicI64, AtomicU64, Ordering};
use std::sync::Mutex;
use std::time::Duration;

/// Upper bounds of the latency buckets, in seconds.
const BUCKETS: [f64; 12] = [
    0.00005, 0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.5,
];

/// A latency histogram with fixed buckets.
#[derive(Default)]
pub struct Histogram {
    counts: [AtomicU64; 12],
    count: AtomicU64,
    sum_micros: AtomicU64,
}

impl Histogram {
    /// Records one observation.
    pub fn observe(&self, d: Duration) {
        let secs = d.as_secs_f64();
        if let Some(i) = BUCKETS.iter().position(|b| secs <= *b) {
            self.counts[i].fetch_add(1, Ordering::Relaxed);
        }
        self.count.fetch_add(1, Ordering::Relaxed);
        self.sum_micros
            .fetch_add(d.as_micros() as u64, Ordering::Relaxed);
    }

    fn render(&self, out: &mut String, name: &str, help: &str) {
        let _ = writeln!(out, "# HELP {name} {help}\n# TYPE {name} histogram");
        let mut cumulative = 0;
        for (i, b) in BUCKETS.iter().enumerate() {
            cumulative += self.counts[i].load(Ordering::Relaxed);
            let _ = writeln!(out, "{name}_bucket{{le=\"{b}\"}} {cumulative}");
        }
        let count = self.count.load(Ordering::Relaxed);
        let _ = writeln!(out, "{name}_bucket{{le=\"+Inf\"}} {count}");
        let _ = writeln!(
            out,
            "{name}_sum {}",
            self.sum_micros.load(Ordering::Relaxed) as f64 / 1e6
        );
        let _ = writeln!(out, "{name}_count {count}");
    }
}

/// All server metrics.
#[derive(Default)]
pub struct Metrics {
    signins: Mutex<BTreeMap<(String, String), u64>>,
    pub token_validation: Histogram,
    pub store_latency: Histogram,
    open_websockets: AtomicI64,
}

impl Metrics {
    /// Counts a sign-in by outcome (`success`/`fail`) and error id (empty on success).
    pub fn signin(&self, outcome: &str, error_id: &str) {
        if let Ok(mut m) = self.signins.lock() {
            *m.entry((outcome.to_string(), error_id.to_string()))
                .or_default() += 1;
        }
    }

    /// A websocket was opened.
    pub fn websocket_opened(&self) {
        self.open_websockets.fetch_add(1, Ordering::Relaxed);
    }

    /// A websocket was closed.
    pub fn websocket_closed(&self) {
        self.open_websockets.fetch_sub(1, Ordering::Relaxed);
    }

    /// Open websockets now.
    pub fn open_websockets(&self) -> i64 {
        self.open_websockets.load(Ordering::Relaxed)
    }

    /// The Prometheus text exposition; `jwks` is (fetches, failures) from the key cache.
    pub fn render(&self, jwks: (u64, u64)) -> String {
        let mut out = String::new();
        let _ = writeln!(out, "# HELP mamgate_signins_total Intune sign-ins by outcome and error id.\n# TYPE mamgate_signins_total counter");
        if let Ok(m) = self.signins.lock() {
            for ((outcome, id), n) in m.iter() {
                let _ = writeln!(
                    out,
                    "mamgate_signins_total{{outcome=\"{outcome}\",error_id=\"{id}\"}} {n}"
                );
            }
        }
        self.token_validation.render(
            &mut out,
            "mamgate_token_validation_seconds",
            "Access-token validation latency.",
        );
        self.store_latency.render(&mut out, "mamgate_store_signin_seconds", "Store time of a successful sign-in's write (session and audit record, one group commit).");
        let _ = writeln!(out, "# HELP mamgate_jwks_fetches_total JWKS refreshes.\n# TYPE mamgate_jwks_fetches_total counter\nmamgate_jwks_fetches_total {}", jwks.0);
        let _ = writeln!(out, "# HELP mamgate_jwks_fetch_failures_total Failed JWKS refreshes.\n# TYPE mamgate_jwks_fetch_failures_total counter\nmamgate_jwks_fetch_failures_total {}", jwks.1);
        let _ = writeln!(out, "# HELP mamgate_open_websockets Open websocket connections.\n# TYPE mamgate_open_websockets gauge\nmamgate_open_websockets {}", self.open_websockets());
        out
    }
}
