//! `mamgate bench`: measures the PERFORMANCE.md targets in one process, on loopback.

use std::process::ExitCode;

pub use crate::bench::Format;

/// `mamgate bench [--only P1,P2] [--seconds N] [--users-large N] [--format human|json]`.
#[derive(clap::Args)]
pub struct Args {
    /// Measure only these targets (comma-separated ids, e.g. P1,P2); default all.
    #[arg(long, value_delimiter = ',')]
    pub only: Vec<String>,
    /// Seconds of load behind each throughput or latency figure (1–60).
    #[arg(long, default_value_t = 5)]
    pub seconds: u64,
    /// Users in the large store of P3 and P8 (the spec's figure is 1,000,000; 1,000–2,000,000).
    #[arg(long, default_value_t = 100_000)]
    pub users_large: u64,
    /// Output format.
    #[arg(long, value_enum, default_value_t = Format::Human)]
    pub format: Format,
}

/// Runs the measurements and prints them; targets missed are reported, not errors.
pub async fn run(args: Args) -> anyhow::Result<ExitCode> {
    let opts = crate::bench::Options {
        only: args
            .only
            .iter()
            .map(|s| s.trim().to_ascii_uppercase())
            .filter(|s| !s.is_empty())
            .collect(),
        seconds: args.seconds.clamp(1, 60),
        users_large: args.users_large.clamp(1_000, 2_000_000),
        format: args.format,
    };
    crate::bench::run(opts).await
}
