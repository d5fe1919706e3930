//! The human-readable table of a bench run.

use std::fmt::Write as _;

use super::{Cmp, Figure, Report, Row};

/// A number with thousands separators when large, three decimals when small.
fn num(v: f64) -> String {
    if !v.is_finite() {
        return "-".into();
    }
    if v.abs() >= 1000.0 {
        let s = format!("{:.0}", v.abs());
        let mut out = String::new();
        for (i, c) in s.chars().enumerate() {
            if i > 0 && (s.len() - i) % 3 == 0 {
                out.push(',');
            }
            out.push(c);
        }
        if v < 0.0 {
            out.insert(0, '-');
        }
        out
    } else if v.abs() >= 100.0 || v.fract() == 0.0 {
        format!("{v:.0}")
    } else if v.abs() >= 10.0 {
        format!("{v:.1}")
    } else {
        format!("{v:.3}")
    }
}

fn figure(f: &Figure) -> String {
    let unit = match f.unit {
        "" => String::new(),
        "/s" => "/s".into(),
        u => format!(" {u}"),
    };
    format!("{} {}{unit}", f.label, num(f.value))
}

fn target(r: &Row) -> String {
    let op = match r.cmp {
        Cmp::AtLeast => "≥",
        Cmp::AtMost => "≤",
    };
    let unit = if r.unit.is_empty() {
        String::new()
    } else {
        format!(" {}", r.unit)
    };
    format!("{op} {}{unit}", num(r.target))
}

fn verdict(r: &Row) -> &'static str {
    match (&r.error, r.pass) {
        (Some(_), _) => "ERROR",
        (None, Some(true)) => "pass",
        (None, Some(false)) => "FAIL",
        (None, None) => "not measured",
    }
}

/// The report as a table: id, value, target, verdict, then the figures and notes.
pub fn human(report: &Report) -> String {
    let mut s = String::new();
    let _ = writeln!(
        s,
        "mamgate bench: {} cores, {} connections, {} s per figure, all on 127.0.0.1",
        report.cores, report.connections, report.seconds
    );
    let _ = writeln!(
        s,
        "{:<4} {:<16} {:<14} {:<13} what",
        "id", "value", "target", "result"
    );
    for r in &report.results {
        let value = r.value.map(num).unwrap_or_else(|| "-".into());
        let value = if r.unit.is_empty() || r.value.is_none() {
            value
        } else {
            format!("{value} {}", r.unit)
        };
        let _ = writeln!(
            s,
            "{:<4} {:<16} {:<14} {:<13} {}",
            r.id,
            value,
            target(r),
            verdict(r),
            r.title
        );
        if !r.figures.is_empty() {
            let figs: Vec<String> = r.figures.iter().map(figure).collect();
            let _ = writeln!(s, "       {}", figs.join(" | "));
        }
        if !r.note.is_empty() {
            let _ = writeln!(s, "       {}", r.note);
        }
        if let Some(e) = &r.error {
            let _ = writeln!(s, "       error: {e}");
        }
    }
    s
}
