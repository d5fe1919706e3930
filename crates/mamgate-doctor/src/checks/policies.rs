//! Check 5: one assigned iOS app protection policy per deployed bundle id, and the user targeted
//! (seed Step 5).

use mamgate_core::ErrorId;
use mamgate_emulators::tenant::{
    PolicyList, ProtectionPolicy, BETA_BUNDLE_ID, OFFICIAL_BETA_CLIENT_ID, PRODUCTION_BUNDLE_ID,
};

use super::Ctx;
use crate::finding::{Finding, Status};

const PRODUCTION: (&str, &str) = (
    "intune.policy_production",
    "A policy protects com.mattermost.rn and is assigned",
);
const BETA: (&str, &str) = (
    "intune.policy_beta",
    "A policy protects com.mattermost.rnbeta and is assigned",
);
const TARGETED: (&str, &str) = ("intune.user_targeted", "The user is licensed and targeted");

pub(super) fn check(ctx: &Ctx<'_>) -> Vec<Finding> {
    let Some((list, source)) = ctx.inputs.policy_list() else {
        return [PRODUCTION, BETA, TARGETED]
            .iter()
            .map(|(n, t)| Finding::skipped(5, n, t, &["--policy", "--tenant"]))
            .collect();
    };
    let policies = list.normalized();
    // The beta app is deployed when its client is pre-authorized; otherwise its policy is optional.
    let beta_deployed = ctx
        .app
        .as_ref()
        .is_some_and(|(a, _)| a.pre_authorization(OFFICIAL_BETA_CLIENT_ID).is_some());
    vec![
        bundle(PRODUCTION, PRODUCTION_BUNDLE_ID, &policies, source, true),
        bundle(BETA, BETA_BUNDLE_ID, &policies, source, beta_deployed),
        targeted(ctx, &list),
    ]
}

fn label(p: &ProtectionPolicy) -> String {
    p.display_name
        .clone()
        .or_else(|| p.id.clone())
        .unwrap_or_else(|| "(unnamed)".into())
}

fn bundle(
    names: (&'static str, &'static str),
    bundle_id: &str,
    policies: &[ProtectionPolicy],
    source: &str,
    required: bool,
) -> Finding {
    let covering: Vec<&ProtectionPolicy> = policies
        .iter()
        .filter(|p| p.covers_bundle(bundle_id))
        .collect();
    let assigned: Vec<&&ProtectionPolicy> = covering
        .iter()
        .filter(|p| p.all_users || !p.included_groups.is_empty())
        .collect();
    let f = Finding::new(5, names.0, names.1, Status::Pass)
        .why("Intune applies a policy only to the bundle id it lists (com.mattermost.rn and com.mattermost.rnbeta are separate) and only to the groups it is assigned to.")
        .next(format!("Intune admin center > Apps > App protection policies: create an iOS policy for {bundle_id} and assign it to the users' Entra groups."));
    if let Some(p) = assigned.first() {
        let groups = if p.all_users {
            "all licensed users".to_string()
        } else {
            p.included_groups.join(", ")
        };
        return f.found(format!(
            "{} ({source}) protects {bundle_id}, assigned to {groups}",
            label(p)
        ));
    }
    let found = match covering.first() {
        Some(p) => format!(
            "{} ({source}) protects {bundle_id} but has no inclusion assignment",
            label(p)
        ),
        None => format!(
            "no policy among {} ({source}) lists {bundle_id}",
            policies.len()
        ),
    };
    let status = if required { Status::Fail } else { Status::Warn };
    let found = if required {
        found
    } else {
        format!("{found}; needed only if you deploy this app")
    };
    Finding { status, ..f }
        .found(found)
        .errors(&[ErrorId::NotTargeted, ErrorId::EnrollmentFailed])
}

fn targeted(ctx: &Ctx<'_>, list: &PolicyList) -> Finding {
    let f = Finding::new(5, TARGETED.0, TARGETED.1, Status::Pass)
        .why("A user can enroll only with an Intune license and a policy for the app's bundle id assigned to one of their groups.")
        .next("Add the user to a group the policy is assigned to and assign an Intune license.");
    let Some(tenant) = &ctx.inputs.tenant else {
        return Finding::skipped(5, TARGETED.0, TARGETED.1, &["--tenant"])
            .found("not checked: group membership and Intune licenses are in the tenant file");
    };
    let covered = |groups: &[String]| {
        [PRODUCTION_BUNDLE_ID, BETA_BUNDLE_ID]
            .into_iter()
            .filter(|b| list.find_for(b, groups).is_some())
            .collect::<Vec<_>>()
    };
    if let Some(user) = ctx.directory_user() {
        let apps = covered(&user.groups);
        let mut problems = Vec::new();
        let mut errors = Vec::new();
        if !user.intune_licensed {
            problems.push("has no Intune license".to_string());
            errors.push(ErrorId::NotLicensed);
        }
        if !apps.contains(&PRODUCTION_BUNDLE_ID) && !apps.contains(&BETA_BUNDLE_ID) {
            problems
                .push("is in no group a policy for either bundle id is assigned to".to_string());
            errors.push(ErrorId::NotTargeted);
        }
        if problems.is_empty() {
            return f.found(format!(
                "{} is licensed and targeted for {}",
                user.upn,
                apps.join(", ")
            ));
        }
        errors.push(ErrorId::EnrollmentFailed);
        return Finding {
            status: Status::Fail,
            ..f
        }
        .found(format!("{} {}", user.upn, problems.join(" and ")))
        .errors(&errors);
    }
    let mut missed = Vec::new();
    for u in &tenant.users {
        let apps = covered(&u.groups);
        match (u.intune_licensed, apps.is_empty()) {
            (true, false) => {}
            (false, _) => missed.push(format!("{} (no Intune license)", u.upn)),
            (true, true) => missed.push(format!("{} (not targeted)", u.upn)),
        }
    }
    let total = tenant.users.len();
    if missed.is_empty() {
        return f.found(format!(
            "all {total} directory users are licensed and targeted"
        ));
    }
    Finding {
        status: Status::Warn,
        ..f
    }
    .found(format!(
        "{} of {total} directory users cannot enroll: {}",
        missed.len(),
        missed.join(", ")
    ))
    .errors(&[ErrorId::NotTargeted, ErrorId::NotLicensed])
    .needs("--user")
}
