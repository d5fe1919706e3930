//! Human and JSON renderings of the reports.

use std::fmt::Write as _;

use serde_json::json;

use crate::finding::{Report, Status};
use crate::users::UsersReport;

/// The doctor's report for people: failures stand out, each says what to do.
pub fn human(report: &Report) -> String {
    let s = report.summary();
    let mut out = format!(
        "mamgate doctor: {} pass, {} fail, {} warn, {} skipped\n",
        s.pass, s.fail, s.warn, s.skipped
    );
    let mut check = 0;
    for f in &report.findings {
        if f.check != check {
            check = f.check;
            let _ = writeln!(out, "\n{}", section(check));
        }
        let _ = writeln!(out, "[{}] {} ({})", f.status.tag(), f.title, f.name);
        if !f.found.is_empty() {
            let _ = writeln!(out, "       found: {}", f.found);
        }
        if matches!(f.status, Status::Fail | Status::Warn) {
            if !f.why.is_empty() {
                let _ = writeln!(out, "       why:   {}", f.why);
            }
            if !f.next.is_empty() {
                let _ = writeln!(out, "       next:  {}", f.next);
            }
            for id in &f.error_ids {
                let e = id.entry();
                let status = e.status.map(|s| format!(" (HTTP {s})")).unwrap_or_default();
                let _ = writeln!(
                    out,
                    "       users see: {}{status}: {}",
                    e.id, e.user_message
                );
            }
        }
        if f.status != Status::Pass && !f.missing.is_empty() {
            let _ = writeln!(out, "       give:  {}", f.missing.join(", "));
        }
    }
    if report
        .findings
        .iter()
        .any(|f| !f.error_ids.is_empty() && f.status == Status::Fail)
    {
        out.push_str("\n`mamgate explain <id>` prints the cause and next steps of any id above.\n");
    }
    out
}

fn section(check: u8) -> &'static str {
    match check {
        1 => "1. Identity alignment (objectId <-> oid)",
        2 => "2. Enforced provider uses IdAttribute = objectId",
        3 => "3. Entra app registration, permissions and consent",
        4 => "4. Mattermost server configuration",
        5 => "5. Intune app protection policies",
        _ => "6. Sample token",
    }
}

/// The doctor's report for tools.
pub fn json(report: &Report) -> String {
    let doc = json!({"ok": report.ok(), "summary": report.summary(), "findings": report.findings});
    serde_json::to_string_pretty(&doc).unwrap_or_else(|_| "{}".into())
}

/// The user audit for people.
pub fn users_human(r: &UsersReport) -> String {
    let mut out = format!(
        "mamgate doctor users: {} users scanned in {} ms; {} of provider {} ({} ready, {} would fail)\n",
        r.total_users,
        r.elapsed_ms,
        r.enforced_users,
        r.providers.join("/"),
        r.ready_users,
        r.enforced_users.saturating_sub(r.ready_users)
    );
    for (service, n) in &r.other_users {
        let name = if service.is_empty() {
            "email/password"
        } else {
            service
        };
        let _ = writeln!(out, "  {n} users of {name}: not evaluated by Intune MAM");
    }
    for p in &r.problems {
        let _ = writeln!(
            out,
            "\n[FAIL] {} users: {} (users see {})",
            p.count, p.description, p.error_id
        );
        for s in &p.sample {
            let _ = writeln!(
                out,
                "       {} (id {}) AuthData {:?}",
                s.username, s.id, s.auth_data
            );
        }
        if p.count > p.sample.len() as u64 {
            let _ = writeln!(
                out,
                "       ... and {} more",
                p.count - p.sample.len() as u64
            );
        }
    }
    if r.ok() {
        out.push_str(
            "\nEvery user of the enforced provider is keyed by a unique lower-case objectId.\n",
        );
    }
    out
}

/// The user audit for tools.
pub fn users_json(r: &UsersReport) -> String {
    let doc = json!({"ok": r.ok(), "report": r});
    serde_json::to_string_pretty(&doc).unwrap_or_else(|_| "{}".into())
}
