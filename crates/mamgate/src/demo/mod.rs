//! `mamgate demo`: a fresh sandbox in a temporary folder, scripted devices through every case
//! of the seed's troubleshooting table, a table of expected and observed outcomes, then the
//! doctor's summary. Exit 0 only if every row matched.

mod kit;
mod rows;

use std::io::Write;
use std::time::Instant;

pub use kit::DemoKit;

/// One line of the demo's table.
#[derive(Debug, Clone)]
pub struct Row {
    pub scenario: &'static str,
    pub expected: String,
    pub got: String,
    pub error_id: String,
    pub seed_row: &'static str,
    pub matched: bool,
}

/// Runs the demo; returns whether every row matched.
pub async fn run(out: &mut dyn Write) -> anyhow::Result<bool> {
    let started = Instant::now();
    let kit = DemoKit::start().await?;
    writeln!(
        out,
        "mamgate demo: sandbox in {} (server {}, second server {}, Entra {}, Intune {})",
        kit.sandbox.dir.display(),
        kit.sandbox.server.url,
        kit.second.url,
        kit.sandbox.entra.url,
        kit.sandbox.intune.url
    )?;
    let scenarios = rows::all();
    let total = scenarios.len();
    let mut results = Vec::with_capacity(total);
    for (i, scenario) in scenarios.into_iter().enumerate() {
        let mut err = std::io::stderr();
        let _ = write!(err, "\r[{:>2}/{total}] {:<60}", i + 1, scenario.name);
        let _ = err.flush();
        let row = match (scenario.run)(&kit).await {
            Ok(row) => Row {
                scenario: scenario.name,
                ..row
            },
            Err(e) => Row {
                scenario: scenario.name,
                expected: "-".into(),
                got: format!("error: {e:#}"),
                error_id: String::new(),
                seed_row: "-",
                matched: false,
            },
        };
        results.push(row);
    }
    let _ = write!(std::io::stderr(), "\r{:<72}\r", "");
    print_table(out, &results)?;
    let matched = results.iter().filter(|r| r.matched).count();
    writeln!(
        out,
        "\n{matched}/{total} rows matched in {:.1} s",
        started.elapsed().as_secs_f64()
    )?;
    writeln!(out, "\n{}", kit.doctor_summary().await)?;
    kit.stop().await;
    Ok(matched == total)
}

fn print_table(out: &mut dyn Write, rows: &[Row]) -> std::io::Result<()> {
    let w =
        |f: fn(&Row) -> usize, title: &str| rows.iter().map(f).max().unwrap_or(0).max(title.len());
    let ws = w(|r| r.scenario.len(), "scenario");
    let we = w(|r| r.expected.len(), "expected");
    let wg = w(|r| r.got.len(), "got");
    let wi = w(|r| r.error_id.len(), "error id");
    writeln!(
        out,
        "\n   {:<ws$}  {:<we$}  {:<wg$}  {:<wi$}  seed row",
        "scenario", "expected", "got", "error id"
    )?;
    writeln!(out, "   {}", "-".repeat(ws + we + wg + wi + 18))?;
    for r in rows {
        let mark = if r.matched { "ok" } else { "XX" };
        writeln!(
            out,
            "{mark} {:<ws$}  {:<we$}  {:<wg$}  {:<wi$}  {}",
            r.scenario, r.expected, r.got, r.error_id, r.seed_row
        )?;
    }
    Ok(())
}
