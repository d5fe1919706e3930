//! The checks, in the seed's "Quick Diagnostics" order (DOCTOR.md checks 1–6).

mod entra;
mod identity;
mod policies;
mod provider;
mod server;
mod token;

use mamgate_core::config::IntuneAuthService;
use mamgate_core::model::User;
use mamgate_emulators::tenant::{AppRegistration, User as DirectoryUser};
use serde_json::{Map, Value};

use crate::finding::Report;
use crate::inputs::DoctorInputs;
use crate::ldif::{parse_ldif, pick_entry, LdifEntry};
use crate::saml::{parse_saml, SamlFacts};
use crate::token::decode_claims;

/// What the store said about the followed user and the license (see `store::gather`).
#[derive(Debug, Clone, Default)]
pub struct StoreFacts {
    /// Which store was read, e.g. `sqlite /srv/data/mamgate.db`; `None` = no store given.
    pub opened: Option<String>,
    /// The followed user as stored, and how it was found.
    pub user: Option<(User, String)>,
    /// What was looked up when no user was found.
    pub looked_for: Vec<String>,
    /// The installed license file.
    pub license: Option<String>,
}

/// Everything the checks share, parsed once.
pub(crate) struct Ctx<'a> {
    pub inputs: &'a DoctorInputs,
    pub now_secs: i64,
    pub app: Option<(AppRegistration, &'static str)>,
    pub saml: Option<Result<SamlFacts, String>>,
    pub ldap: Option<Result<LdifEntry, String>>,
    /// The token's payload, unvalidated.
    pub claims: Option<Map<String, Value>>,
    pub store: &'a StoreFacts,
}

impl<'a> Ctx<'a> {
    fn new(inputs: &'a DoctorInputs, store: &'a StoreFacts, now_secs: i64) -> Self {
        let ldap = inputs.ldif.as_deref().map(|t| {
            parse_ldif(t).and_then(|entries| {
                pick_entry(&entries)
                    .cloned()
                    .ok_or_else(|| "no entry".to_string())
            })
        });
        Ctx {
            inputs,
            now_secs,
            app: inputs.server_app(),
            saml: inputs.saml.as_deref().map(parse_saml),
            ldap,
            claims: inputs.token.as_deref().and_then(decode_claims),
            store,
        }
    }

    /// The enforced provider, when the config names a valid one.
    pub fn provider(&self) -> Option<IntuneAuthService> {
        self.inputs.config.as_ref()?.intune_settings.auth_service()
    }

    /// A string claim of the sample token.
    pub fn claim(&self, name: &str) -> Option<&str> {
        self.claims.as_ref()?.get(name)?.as_str()
    }

    /// Names that identify the followed user: `--user`, then the token's, SAML's and LDAP's.
    pub fn user_names(&self) -> Vec<String> {
        let mut names: Vec<String> = self.inputs.user.iter().cloned().collect();
        for c in ["preferred_username", "upn", "email"] {
            names.extend(self.claim(c).map(str::to_string));
        }
        if let Some(Ok(s)) = &self.saml {
            names.extend(s.sign_in_names().into_iter().map(str::to_string));
        }
        if let Some(Ok(l)) = &self.ldap {
            names.extend(l.sign_in_names().into_iter().map(str::to_string));
        }
        names.retain(|n| !n.trim().is_empty());
        names.dedup();
        names
    }

    /// The followed user in the tenant file: by name first, then by the token's oid.
    pub fn directory_user(&self) -> Option<&'a DirectoryUser> {
        let tenant = self.inputs.tenant.as_ref()?;
        self.user_names()
            .iter()
            .find_map(|n| tenant.user(n))
            .or_else(|| self.claim("oid").and_then(|oid| tenant.user(oid)))
    }
}

/// Runs every check that needs no store (the store's part reads as skipped).
pub fn run_checks(inputs: &DoctorInputs, now_secs: i64) -> Report {
    run_with_store_facts(inputs, &StoreFacts::default(), now_secs)
}

/// Runs every check with what the store said.
pub fn run_with_store_facts(inputs: &DoctorInputs, store: &StoreFacts, now_secs: i64) -> Report {
    let ctx = Ctx::new(inputs, store, now_secs);
    let mut findings = Vec::new();
    findings.extend(identity::check(&ctx));
    findings.extend(provider::check(&ctx));
    findings.extend(entra::check(&ctx));
    findings.extend(server::check(&ctx));
    findings.extend(policies::check(&ctx));
    findings.extend(token::check(&ctx));
    Report { findings }
}
