//! `mamgate doctor users`: which stored users of the enforced provider would fail enrollment.
//!
//! One streaming pass over [`Store::scan_users`]: counts per problem, a bounded sample each, and
//! a set of 128-bit objectIds for duplicates, so a million users take tens of MB (PERFORMANCE P8).

use std::collections::{BTreeMap, HashSet};
use std::time::Instant;

use mamgate_core::config::IntuneAuthService;
use mamgate_core::identity::{classify_identifier, is_guid};
use mamgate_core::model::User;
use mamgate_core::ErrorId;
use mamgate_store::Store;
use serde::Serialize;

use crate::error::DoctorError;

/// Why a stored user of the enforced provider cannot sign in with Intune MAM.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Problem {
    /// AuthData is an email or a UPN.
    EmailOrUpn,
    /// AuthData is a base64 binary GUID (objectGUID or immutableID).
    Base64Guid,
    /// AuthData is empty.
    Empty,
    /// AuthData is something else that is not a GUID.
    OtherIdentifier,
    /// A GUID with upper-case letters: the server looks up the lower-case oid.
    UpperCaseGuid,
    /// Another user of the provider has the same objectId (case-insensitively).
    Duplicate,
    Bot,
    Deactivated,
}

impl Problem {
    /// What the admin reads.
    pub fn describe(self) -> &'static str {
        match self {
            Problem::EmailOrUpn => "AuthData is an email or UPN, not the objectId",
            Problem::Base64Guid => {
                "AuthData is a base64 binary GUID (objectGUID or immutableID), not the objectId"
            }
            Problem::Empty => "AuthData is empty",
            Problem::OtherIdentifier => "AuthData is not a GUID",
            Problem::UpperCaseGuid => {
                "AuthData is the objectId in upper case; sign-in looks up the lower-case oid"
            }
            Problem::Duplicate => "another user of the provider has the same objectId",
            Problem::Bot => "bot account",
            Problem::Deactivated => "deactivated account",
        }
    }

    /// The error the user would see at mobile sign-in.
    pub fn error_id(self, provider: Option<IntuneAuthService>) -> ErrorId {
        match self {
            Problem::Bot => ErrorId::BotLoginForbidden,
            Problem::Deactivated => ErrorId::AccountLocked,
            _ => match provider {
                Some(IntuneAuthService::Office365) => ErrorId::AlreadyAttached,
                _ => ErrorId::AccountNotFound,
            },
        }
    }

    fn of_identifier(auth_data: &str) -> Option<Problem> {
        if is_guid(auth_data) {
            return auth_data
                .bytes()
                .any(|b| b.is_ascii_uppercase())
                .then_some(Problem::UpperCaseGuid);
        }
        Some(match classify_identifier(auth_data) {
            "email or UPN" => Problem::EmailOrUpn,
            "empty" => Problem::Empty,
            s if s.starts_with("base64") => Problem::Base64Guid,
            _ => Problem::OtherIdentifier,
        })
    }
}

/// One user in a sample list.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SampleUser {
    pub id: String,
    pub username: String,
    pub auth_data: String,
}

/// Count and sample of one problem.
#[derive(Debug, Clone, Serialize)]
pub struct ProblemCount {
    pub problem: Problem,
    pub description: &'static str,
    pub count: u64,
    #[serde(serialize_with = "error_id_str")]
    pub error_id: ErrorId,
    pub sample: Vec<SampleUser>,
}

fn error_id_str<S: serde::Serializer>(id: &ErrorId, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(id.id())
}

/// The result of one audit.
#[derive(Debug, Clone, Serialize)]
pub struct UsersReport {
    /// The enforced provider audited (`office365`/`saml`), or both when none is configured.
    pub providers: Vec<&'static str>,
    pub total_users: u64,
    /// Users of the audited provider(s).
    pub enforced_users: u64,
    /// Of those, users with no problem at all.
    pub ready_users: u64,
    /// Users of other sign-in methods per AuthService (`""` = email/password): not evaluated by Intune MAM.
    pub other_users: BTreeMap<String, u64>,
    /// Problems found, in [`Problem`] order; absent problems are left out.
    pub problems: Vec<ProblemCount>,
    pub elapsed_ms: u128,
}

impl UsersReport {
    /// True when no user of the provider has a problem.
    pub fn ok(&self) -> bool {
        self.problems.is_empty()
    }

    /// The count of one problem.
    pub fn count(&self, p: Problem) -> u64 {
        self.problems
            .iter()
            .find(|c| c.problem == p)
            .map_or(0, |c| c.count)
    }
}

fn parse_guid(s: &str) -> Option<u128> {
    let mut v: u128 = 0;
    for b in s.bytes().filter(|b| *b != b'-') {
        v = (v << 4) | u128::from((b as char).to_digit(16)?);
    }
    Some(v)
}

struct Tally {
    providers: Vec<&'static str>,
    provider: Option<IntuneAuthService>,
    sample_limit: usize,
    total: u64,
    enforced: u64,
    ready: u64,
    other: BTreeMap<String, u64>,
    counts: BTreeMap<Problem, (u64, Vec<SampleUser>)>,
    seen: HashSet<u128>,
}

impl Tally {
    fn note(&mut self, p: Problem, u: &User) {
        let entry = self.counts.entry(p).or_insert((0, Vec::new()));
        entry.0 += 1;
        if entry.1.len() < self.sample_limit {
            entry.1.push(SampleUser {
                id: u.id.clone(),
                username: u.username.clone(),
                auth_data: u.auth_data.clone(),
            });
        }
    }

    fn add(&mut self, u: &User) {
        self.total += 1;
        if !self.providers.contains(&u.auth_service.as_str()) {
            match self.other.get_mut(&u.auth_service) {
                Some(n) => *n += 1,
                None => {
                    self.other.insert(u.auth_service.clone(), 1);
                }
            }
            return;
        }
        self.enforced += 1;
        let mut clean = true;
        if let Some(p) = Problem::of_identifier(&u.auth_data) {
            self.note(p, u);
            clean = false;
        }
        if let Some(g) = is_guid(&u.auth_data)
            .then(|| parse_guid(&u.auth_data))
            .flatten()
        {
            if !self.seen.insert(g) {
                self.note(Problem::Duplicate, u);
                clean = false;
            }
        }
        if u.is_bot {
            self.note(Problem::Bot, u);
            clean = false;
        }
        if u.is_deactivated() {
            self.note(Problem::Deactivated, u);
            clean = false;
        }
        self.ready += u64::from(clean);
    }
}

/// Audits every user of `provider` (both SSO providers when `None`), keeping `sample_limit` examples per problem.
pub async fn audit_users(
    store: &dyn Store,
    provider: Option<IntuneAuthService>,
    sample_limit: usize,
) -> Result<UsersReport, DoctorError> {
    let started = Instant::now();
    let providers = match provider {
        Some(p) => vec![p.as_str()],
        None => vec![
            IntuneAuthService::Office365.as_str(),
            IntuneAuthService::Saml.as_str(),
        ],
    };
    let mut tally = Tally {
        providers: providers.clone(),
        provider,
        sample_limit,
        total: 0,
        enforced: 0,
        ready: 0,
        other: BTreeMap::new(),
        counts: BTreeMap::new(),
        seen: HashSet::new(),
    };
    store.scan_users(&mut |u: &User| tally.add(u)).await?;
    let provider = tally.provider;
    let problems = std::mem::take(&mut tally.counts)
        .into_iter()
        .map(|(problem, (count, sample))| ProblemCount {
            problem,
            description: problem.describe(),
            count,
            error_id: problem.error_id(provider),
            sample,
        })
        .collect();
    Ok(UsersReport {
        providers,
        total_users: tally.total,
        enforced_users: tally.enforced,
        ready_users: tally.ready,
        other_users: tally.other,
        problems,
        elapsed_ms: started.elapsed().as_millis(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn identifier_problems() {
        assert_eq!(
            Problem::of_identifier("3f6c2a1b-8d4e-4c7f-a9b2-5e1d0c3b7a64"),
            None
        );
        assert_eq!(
            Problem::of_identifier("3F6C2A1B-8D4E-4C7F-A9B2-5E1D0C3B7A64"),
            Some(Problem::UpperCaseGuid)
        );
        assert_eq!(Problem::of_identifier("a@b.c"), Some(Problem::EmailOrUpn));
        assert_eq!(
            Problem::of_identifier("q83vAAECAwQFBgcICQoLDA=="),
            Some(Problem::Base64Guid)
        );
        assert_eq!(Problem::of_identifier(""), Some(Problem::Empty));
        assert_eq!(
            Problem::of_identifier("{3f6c2a1b-8d4e-4c7f-a9b2-5e1d0c3b7a64}"),
            Some(Problem::OtherIdentifier)
        );
        assert_eq!(
            parse_guid("00000000-0000-0000-0000-00000000000A"),
            parse_guid("00000000-0000-0000-0000-00000000000a")
        );
    }
}
