//! What the doctor reports: one [`Finding`] per check, gathered in a [`Report`].

use mamgate_core::ErrorId;
use serde::{Serialize, Serializer};

/// The verdict of one check.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    Pass,
    Warn,
    Fail,
    /// An input the check needs was not given (see [`Finding::missing`]).
    Skipped,
}

impl Status {
    /// The tag printed in human output.
    pub fn tag(self) -> &'static str {
        match self {
            Status::Pass => "PASS",
            Status::Warn => "WARN",
            Status::Fail => "FAIL",
            Status::Skipped => "SKIP",
        }
    }
}

/// One check's result, in the seed's terms.
#[derive(Debug, Clone, Serialize)]
pub struct Finding {
    /// The DOCTOR.md check it belongs to (1 identity alignment … 6 sample token).
    pub check: u8,
    /// Stable machine name, e.g. `entra.admin_consent`.
    pub name: &'static str,
    /// Short human title.
    pub title: &'static str,
    pub status: Status,
    /// What the doctor saw.
    pub found: String,
    /// Why it matters (the seed's reason).
    pub why: String,
    /// What to do next.
    pub next: String,
    /// The catalog entries a user meets if this stays wrong.
    #[serde(serialize_with = "ids_with_entries")]
    pub error_ids: Vec<ErrorId>,
    /// Inputs that would let a skipped (or partial) check run fully, as CLI flags.
    pub missing: Vec<&'static str>,
}

impl Finding {
    /// A finding with the given identity and status; fill the texts with the builder methods.
    pub fn new(check: u8, name: &'static str, title: &'static str, status: Status) -> Self {
        Finding {
            check,
            name,
            title,
            status,
            found: String::new(),
            why: String::new(),
            next: String::new(),
            error_ids: Vec::new(),
            missing: Vec::new(),
        }
    }

    /// A skipped finding naming the inputs it needs.
    pub fn skipped(
        check: u8,
        name: &'static str,
        title: &'static str,
        missing: &[&'static str],
    ) -> Self {
        let mut f = Finding::new(check, name, title, Status::Skipped);
        f.found = format!("not checked: needs {}", missing.join(" and "));
        f.missing = missing.to_vec();
        f
    }

    /// Sets what was found.
    pub fn found(mut self, s: impl Into<String>) -> Self {
        self.found = s.into();
        self
    }

    /// Sets why it matters.
    pub fn why(mut self, s: impl Into<String>) -> Self {
        self.why = s.into();
        self
    }

    /// Sets the next step.
    pub fn next(mut self, s: impl Into<String>) -> Self {
        self.next = s.into();
        self
    }

    /// Sets the error ids a user would see.
    pub fn errors(mut self, ids: &[ErrorId]) -> Self {
        self.error_ids = ids.to_vec();
        self
    }

    /// Notes an input that would make the check more complete.
    pub fn needs(mut self, flag: &'static str) -> Self {
        if !self.missing.contains(&flag) {
            self.missing.push(flag);
        }
        self
    }
}

#[derive(Serialize)]
struct IdView {
    id: &'static str,
    status: Option<u16>,
    message: &'static str,
}

fn ids_with_entries<S: Serializer>(ids: &[ErrorId], s: S) -> Result<S::Ok, S::Error> {
    let views: Vec<IdView> = ids
        .iter()
        .map(|e| {
            let entry = e.entry();
            IdView {
                id: entry.id,
                status: entry.status,
                message: entry.message,
            }
        })
        .collect();
    views.serialize(s)
}

/// Counts per status.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct Summary {
    pub pass: usize,
    pub warn: usize,
    pub fail: usize,
    pub skipped: usize,
}

/// Every finding of one doctor run, in the seed's "Quick Diagnostics" order.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Report {
    pub findings: Vec<Finding>,
}

impl Report {
    /// Counts per status.
    pub fn summary(&self) -> Summary {
        let mut s = Summary::default();
        for f in &self.findings {
            match f.status {
                Status::Pass => s.pass += 1,
                Status::Warn => s.warn += 1,
                Status::Fail => s.fail += 1,
                Status::Skipped => s.skipped += 1,
            }
        }
        s
    }

    /// True when nothing failed (exit code 0).
    pub fn ok(&self) -> bool {
        self.findings.iter().all(|f| f.status != Status::Fail)
    }

    /// The finding with this name.
    pub fn get(&self, name: &str) -> Option<&Finding> {
        self.findings.iter().find(|f| f.name == name)
    }

    /// Names of the failed findings.
    pub fn failed(&self) -> Vec<&'static str> {
        self.findings
            .iter()
            .filter(|f| f.status == Status::Fail)
            .map(|f| f.name)
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn summary_and_exit() {
        let mut r = Report::default();
        r.findings.push(Finding::new(1, "a", "A", Status::Pass));
        r.findings
            .push(Finding::skipped(2, "b", "B", &["--config"]));
        assert!(r.ok());
        r.findings
            .push(Finding::new(3, "c", "C", Status::Fail).errors(&[ErrorId::InvalidToken]));
        assert!(!r.ok());
        assert_eq!(
            r.summary(),
            Summary {
                pass: 1,
                warn: 0,
                fail: 1,
                skipped: 1
            }
        );
        let json = serde_json::to_value(&r).unwrap();
        assert_eq!(
            json["findings"][2]["error_ids"][0]["id"],
            "ent.intune.validate_token.invalid_token.app_error"
        );
        assert_eq!(json["findings"][1]["status"], "skipped");
        assert_eq!(json["findings"][1]["missing"][0], "--config");
    }
}
