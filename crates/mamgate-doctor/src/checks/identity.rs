//! Check 1: the same objectId across the Entra user, the token's `oid`, SAML's
//! `objectidentifier`, LDAP's `msDS-aadObjectId` and the stored `AuthData`.

use mamgate_core::config::IntuneAuthService;
use mamgate_core::identity::{
    classify_identifier, is_guid, LDAP_OBJECT_ID_ATTRIBUTE, SAML_OBJECT_ID_CLAIM,
};
use mamgate_core::ErrorId;

use super::Ctx;
use crate::finding::{Finding, Status};

const WHY: &str =
    "Intune MAM requires the Azure AD objectId as the one identity: the Entra objectId, the \
token's oid, SAML objectidentifier, LDAP msDS-aadObjectId and the user's AuthData must be the same \
value. Any mismatch makes enrollment fail, even when everything else is right.";

/// One place the objectId was read from.
struct Seen {
    source: String,
    shown: String,
    /// GUID readings, preferred first, with the form each was read in.
    guids: Vec<(String, &'static str)>,
}

impl Seen {
    fn text(source: impl Into<String>, value: &str) -> Self {
        let v = value.trim();
        let guids = if is_guid(v) {
            vec![(v.to_ascii_lowercase(), "")]
        } else {
            Vec::new()
        };
        Seen {
            source: source.into(),
            shown: v.to_string(),
            guids,
        }
    }
}

pub(super) fn check(ctx: &Ctx<'_>) -> Vec<Finding> {
    vec![alignment(ctx), store_account(ctx)]
}

fn alignment(ctx: &Ctx<'_>) -> Finding {
    let title = "Identity alignment (objectId <-> oid)";
    let mut seen: Vec<Seen> = Vec::new();
    let mut problems: Vec<String> = Vec::new();
    if let Some(u) = ctx.directory_user() {
        seen.push(Seen::text(format!("Entra user {} objectId", u.upn), &u.oid));
    }
    if ctx.inputs.token.is_some() {
        match &ctx.claims {
            Some(_) => seen.push(Seen::text(
                "token oid",
                ctx.claim("oid").unwrap_or_default(),
            )),
            None => problems.push("the token's payload cannot be decoded".into()),
        }
    }
    match &ctx.saml {
        Some(Ok(s)) => match s.object_id() {
            Some(v) => seen.push(Seen::text("SAML objectidentifier", v)),
            None => problems.push(format!(
                "the SAML assertion has no {SAML_OBJECT_ID_CLAIM} attribute"
            )),
        },
        Some(Err(e)) => problems.push(format!("the SAML input cannot be read: {e}")),
        None => {}
    }
    match &ctx.ldap {
        Some(Ok(entry)) => match entry.object_id_forms() {
            Some(forms) => seen.push(Seen {
                source: format!("LDAP {LDAP_OBJECT_ID_ATTRIBUTE}"),
                shown: forms.shown,
                guids: forms.guids,
            }),
            None => {
                let guid_note = if entry.get("objectGUID").is_some() {
                    " (it has objectGUID, which is not the Entra objectId)"
                } else {
                    ""
                };
                problems.push(format!(
                    "the LDAP entry has no {LDAP_OBJECT_ID_ATTRIBUTE}{guid_note}"
                ));
            }
        },
        Some(Err(e)) => problems.push(format!("the LDIF input cannot be read: {e}")),
        None => {}
    }
    if let Some((user, _)) = &ctx.store.user {
        seen.push(Seen::text(
            format!(
                "stored AuthData of {} ({})",
                user.username, user.auth_service
            ),
            &user.auth_data,
        ));
    }

    let reference = seen
        .iter()
        .find_map(|s| s.guids.first().map(|(g, _)| g.clone()));
    let mut lines = Vec::new();
    let mut non_guid = false;
    for s in &seen {
        let matched = reference
            .as_ref()
            .and_then(|r| s.guids.iter().find(|(g, _)| g == r));
        let line = match (matched, s.guids.is_empty()) {
            (Some((g, "")), _) => format!("{}: {g}", s.source),
            (Some((g, form)), _) => format!("{}: {g} (read as {form})", s.source),
            (None, true) => {
                non_guid = true;
                problems.push(format!(
                    "{} is {:?}: {}, not an objectId",
                    s.source,
                    s.shown,
                    classify_identifier(&s.shown)
                ));
                format!("{}: {:?} (not a GUID)", s.source, s.shown)
            }
            (None, false) => {
                let forms: Vec<&str> = s.guids.iter().map(|(g, _)| g.as_str()).collect();
                problems.push(format!(
                    "{} is {} but the objectId is {}",
                    s.source,
                    forms.join(" or "),
                    reference.as_deref().unwrap_or("?")
                ));
                format!("{}: {}", s.source, forms.join(" or "))
            }
        };
        lines.push(line);
    }

    let missing = ["--token", "--tenant", "--saml", "--ldif", "--store"];
    let status = if !problems.is_empty() {
        Status::Fail
    } else if seen.len() < 2 {
        Status::Skipped
    } else {
        Status::Pass
    };
    let mut errors = match ctx.provider() {
        Some(IntuneAuthService::Saml) => vec![ErrorId::AccountNotFound, ErrorId::EnrollmentFailed],
        Some(IntuneAuthService::Office365) => {
            vec![ErrorId::AlreadyAttached, ErrorId::EnrollmentFailed]
        }
        None => vec![
            ErrorId::AccountNotFound,
            ErrorId::AlreadyAttached,
            ErrorId::EnrollmentFailed,
        ],
    };
    if non_guid {
        errors.insert(0, ErrorId::ExtractAuthData);
    }
    let mut found = lines.join("; ");
    if !problems.is_empty() {
        found = format!(
            "{}{}{}",
            problems.join("; "),
            if found.is_empty() { "" } else { ". Seen: " },
            found
        );
    } else if seen.len() < 2 {
        found = if seen.is_empty() {
            "no source of the objectId given".into()
        } else {
            format!("only one source ({found}): nothing to compare it with")
        };
    }
    let mut f = Finding::new(1, "identity.alignment", title, status)
        .found(found)
        .why(WHY)
        .next("Make every path resolve the Azure AD objectId: IdAttribute = objectId for the enforced provider, SAML \
               objectidentifier, LDAP msDS-aadObjectId; fix stored AuthData to the lower-case objectId (see `mamgate doctor users`).")
        .errors(&errors);
    for m in missing {
        let given = match m {
            "--token" => ctx.inputs.token.is_some(),
            "--tenant" => ctx.inputs.tenant.is_some(),
            "--saml" => ctx.inputs.saml.is_some(),
            "--ldif" => ctx.inputs.ldif.is_some(),
            _ => ctx.store.opened.is_some(),
        };
        if !given {
            f = f.needs(m);
        }
    }
    f
}

/// The stored account the followed user signs in to: present, keyed by objectId, a human, active.
fn store_account(ctx: &Ctx<'_>) -> Finding {
    let title = "Stored account of the user";
    let name = "identity.store_account";
    let Some(opened) = &ctx.store.opened else {
        return Finding::skipped(1, name, title, &["--store"]);
    };
    let provider = ctx.provider();
    let f = Finding::new(1, name, title, Status::Pass);
    let Some((user, how)) = &ctx.store.user else {
        let looked = if ctx.store.looked_for.is_empty() {
            "no objectId or sign-in name to look for (give --token, --saml, --ldif or --user)"
                .to_string()
        } else {
            format!(
                "no user in {opened} for {}",
                ctx.store.looked_for.join(", ")
            )
        };
        let nothing_to_look_for = ctx.store.looked_for.is_empty();
        return match provider {
            _ if nothing_to_look_for => Finding { status: Status::Skipped, ..f }.found(looked).needs("--token"),
            Some(IntuneAuthService::Saml) => Finding { status: Status::Fail, ..f }
                .found(looked)
                .why("With SAML enforced, mobile sign-in never creates users: the user must exist with AuthService=saml and AuthData=objectId.")
                .next("Have the user sign in once on web or desktop (SAML JIT), or provision them by LDAP sync with msDS-aadObjectId.")
                .errors(&[ErrorId::AccountNotFound]),
            Some(IntuneAuthService::Office365) => f
                .found(format!("{looked}: the first mobile sign-in creates the user (office365 JIT)"))
                .why("With office365 enforced, the first mobile sign-in creates the account keyed by the objectId."),
            None => Finding { status: Status::Warn, ..f }
                .found(format!("{looked}; no enforced provider is configured to judge it"))
                .needs("--config"),
        };
    };
    let mut problems = Vec::new();
    let mut errors = Vec::new();
    if let Some(p) = provider {
        if user.auth_service != p.as_str() {
            problems.push(format!(
                "AuthService is {:?}, not {:?}",
                user.auth_service,
                p.as_str()
            ));
            errors.push(match p {
                IntuneAuthService::Saml => ErrorId::AccountNotFound,
                IntuneAuthService::Office365 => ErrorId::AlreadyAttached,
            });
        }
    }
    if !is_guid(&user.auth_data) {
        problems.push(format!(
            "AuthData {:?} is {}",
            user.auth_data,
            classify_identifier(&user.auth_data)
        ));
        errors.push(ErrorId::ExtractAuthData);
    }
    if user.is_bot {
        problems.push("the account is a bot".into());
        errors.push(ErrorId::BotLoginForbidden);
    }
    if user.is_deactivated() {
        problems.push(format!(
            "the account is deactivated (delete_at {})",
            user.delete_at
        ));
        errors.push(ErrorId::AccountLocked);
    }
    let found = format!("{} (id {}, found {how})", user.username, user.id);
    if problems.is_empty() {
        return f
            .found(format!(
                "{found}: AuthService {}, AuthData {}",
                user.auth_service, user.auth_data
            ))
            .why("Mobile sign-in finds the account by AuthService and AuthData = oid.");
    }
    errors.dedup();
    Finding { status: Status::Fail, ..f }
        .found(format!("{found}: {}", problems.join("; ")))
        .why("Mobile sign-in finds the account by AuthService and AuthData = oid, and refuses bots and deactivated accounts.")
        .next("Set AuthService to the enforced provider and AuthData to the lower-case objectId; use a human, active account.")
        .errors(&errors)
}
