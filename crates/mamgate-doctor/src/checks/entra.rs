//! Check 3: the Entra app registration (seed Step 2), in either manifest format.

use mamgate_core::ErrorId;
use mamgate_emulators::tenant::{
    AppRegistration, ManifestFormat, LOGIN_SCOPE, MAM_PERMISSION_ID, MAM_RESOURCE_APP_ID,
    OFFICIAL_BETA_CLIENT_ID, OFFICIAL_CLIENT_ID,
};

use super::Ctx;
use crate::finding::{Finding, Status};

const NAMES: [(&str, &str); 7] = [
    ("entra.single_tenant", "Registration is single tenant"),
    (
        "entra.identifier_uri",
        "Application ID URI is api://<appId>",
    ),
    (
        "entra.scope",
        "Scope login.mattermost is exposed and enabled",
    ),
    (
        "entra.pre_authorized",
        "Official mobile client ids are pre-authorized",
    ),
    ("entra.mam_permission", "Intune MAM permission is required"),
    (
        "entra.admin_consent",
        "Tenant-wide admin consent is granted",
    ),
    (
        "entra.token_version",
        "Access tokens are v2 (accessTokenAcceptedVersion = 2)",
    ),
];

fn finding(i: usize, status: Status) -> Finding {
    let (name, title) = NAMES[i];
    Finding::new(3, name, title, status)
}

fn pass_or(ok: bool, fail: Status) -> Status {
    if ok {
        Status::Pass
    } else {
        fail
    }
}

pub(super) fn check(ctx: &Ctx<'_>) -> Vec<Finding> {
    let Some((app, source)) = &ctx.app else {
        return NAMES
            .iter()
            .map(|(n, t)| Finding::skipped(3, n, t, &["--manifest", "--tenant"]))
            .collect();
    };
    let format = match app.format {
        ManifestFormat::Graph => "Microsoft Graph format",
        ManifestFormat::AadGraph => "legacy AAD Graph format",
    };
    let which = format!("registration {} ({format}, from {source})", app.app_id);
    vec![
        single_tenant(app, &which),
        identifier_uri(app),
        scope(app),
        pre_authorized(app),
        mam_permission(app),
        admin_consent(ctx, app),
        token_version(app),
    ]
}

fn single_tenant(app: &AppRegistration, which: &str) -> Finding {
    let audience = app.sign_in_audience.as_deref();
    let ok = audience == Some("AzureADMyOrg");
    finding(0, pass_or(ok, Status::Warn))
        .found(format!("{which}: signInAudience = {}", audience.map_or("(absent)".into(), |a| format!("{a:?}"))))
        .why("The seed registers the app for 'Accounts in this organizational directory only'; tokens of other tenants are refused anyway.")
        .next("Set Supported account types to single tenant (signInAudience AzureADMyOrg).")
}

fn identifier_uri(app: &AppRegistration) -> Finding {
    let want = format!("api://{}", app.app_id);
    let ok = app
        .identifier_uris
        .iter()
        .any(|u| u.trim_end_matches('/').eq_ignore_ascii_case(&want));
    finding(1, pass_or(ok, Status::Fail))
        .found(format!("identifierUris = {:?}", app.identifier_uris))
        .why("The mobile app asks for api://<ClientId>/login.mattermost; without that URI Entra cannot find the resource.")
        .next(format!("In Expose an API, set the Application ID URI to {want}."))
        .errors(if ok { &[] } else { &[ErrorId::Aadsts500011] })
}

fn scope(app: &AppRegistration) -> Finding {
    let exposed = app.scopes.iter().find(|s| s.value == LOGIN_SCOPE);
    let (ok, found) = match exposed {
        Some(s) if s.is_enabled => (
            true,
            format!(
                "scope {LOGIN_SCOPE} (id {}, type {}) is enabled",
                s.id,
                s.kind.as_deref().unwrap_or("?")
            ),
        ),
        Some(s) => (
            false,
            format!("scope {LOGIN_SCOPE} (id {}) is disabled", s.id),
        ),
        None => {
            let values: Vec<&str> = app.scopes.iter().map(|s| s.value.as_str()).collect();
            (
                false,
                format!("no scope {LOGIN_SCOPE}; exposed scopes: {values:?}"),
            )
        }
    };
    finding(2, pass_or(ok, Status::Fail))
        .found(found)
        .why("The token's scp must contain login.mattermost; Entra refuses to issue a scope that is not exposed (AADSTS70011, invalid_scope).")
        .next(format!("In Expose an API, add an enabled scope named {LOGIN_SCOPE}."))
        .errors(if ok { &[] } else { &[ErrorId::InvalidToken] })
}

fn pre_authorized(app: &AppRegistration) -> Finding {
    // By value, enabled or not: a disabled scope is entra.scope's finding, not this one's.
    let scope_id = app
        .scopes
        .iter()
        .find(|s| s.value == LOGIN_SCOPE)
        .map(|s| s.id.clone());
    let mut lines = Vec::new();
    let mut authorized = 0;
    for (label, id) in [
        ("production", OFFICIAL_CLIENT_ID),
        ("beta", OFFICIAL_BETA_CLIENT_ID),
    ] {
        match app.pre_authorization(id) {
            Some(p) => {
                let covers = scope_id
                    .as_ref()
                    .is_some_and(|s| p.permission_ids.iter().any(|x| x.eq_ignore_ascii_case(s)));
                authorized += usize::from(covers);
                let what = if covers {
                    "for login.mattermost"
                } else {
                    "but not for the login.mattermost scope id"
                };
                lines.push(format!(
                    "{label} {id} pre-authorized {what} (via {})",
                    p.ids_field
                ));
            }
            None => lines.push(format!("{label} {id} not pre-authorized")),
        }
    }
    let status = match authorized {
        0 => Status::Fail,
        _ => Status::Pass,
    };
    finding(3, status)
        .found(lines.join("; "))
        .why("The official Mattermost mobile apps request the scope; without pre-authorization Entra asks for consent that does not exist (AADSTS65001).")
        .next("In Expose an API > Authorized client applications, add the official mobile client id(s) for api://<ClientId>/login.mattermost (both if you deploy production and beta).")
        .errors(if authorized > 0 { &[] } else { &[ErrorId::Aadsts65001] })
}

fn mam_permission(app: &AppRegistration) -> Finding {
    let ok = app.requires_mam_permission();
    let listed = app.requires_resource(MAM_RESOURCE_APP_ID);
    let found = match (ok, listed) {
        (true, _) => format!("requiredResourceAccess lists {MAM_RESOURCE_APP_ID} / {MAM_PERMISSION_ID} (delegated)"),
        (false, true) => format!("Microsoft Mobile Application Management is listed but not permission {MAM_PERMISSION_ID}"),
        (false, false) => "requiredResourceAccess does not list Microsoft Mobile Application Management".into(),
    };
    finding(4, pass_or(ok, Status::Fail))
        .found(found)
        .why("Intune enrollment requests https://msmamservice.api.application/.default; without the permission Entra answers AADSTS650057.")
        .next("API permissions > Add: Microsoft Mobile Application Management > DeviceManagementManagedApps.ReadWrite (user_impersonation, delegated), then grant admin consent.")
        .errors(if ok { &[] } else { &[ErrorId::Aadsts650057, ErrorId::EnrollmentFailed] })
}

fn admin_consent(ctx: &Ctx<'_>, app: &AppRegistration) -> Finding {
    let Some(tenant) = &ctx.inputs.tenant else {
        return Finding::skipped(3, NAMES[5].0, NAMES[5].1, &["--tenant"])
            .found("not checked: an app registration export does not show consent (Enterprise applications > Permissions does)");
    };
    let ok = tenant.has_admin_consent(&app.app_id);
    finding(5, pass_or(ok, Status::Fail))
        .found(format!("tenant {} {} admin consent for {}", tenant.tenant_id, if ok { "has" } else { "has no" }, app.app_id))
        .why("Consent must be tenant-wide: without it sign-in may succeed but Intune enrollment fails.")
        .next("App registrations > API permissions > Grant admin consent for the tenant.")
        .errors(if ok { &[] } else { &[ErrorId::Aadsts650057, ErrorId::Aadsts65001, ErrorId::EnrollmentFailed] })
}

fn token_version(app: &AppRegistration) -> Finding {
    let ok = app.token_version == 2;
    let field = app
        .token_version_field
        .unwrap_or("requestedAccessTokenVersion / accessTokenAcceptedVersion");
    let raw = app
        .token_version_raw
        .as_ref()
        .map_or("null or absent".to_string(), |v| v.to_string());
    finding(6, pass_or(ok, Status::Fail))
        .found(format!("{field} = {raw} (v{} tokens)", app.token_version))
        .why("The server accepts MSAL v2 access tokens only (ver 2.0, v2 issuer, aud = ClientId); null, 1 or missing give v1 tokens.")
        .next("In Manifest set accessTokenAcceptedVersion (Graph format: api.requestedAccessTokenVersion) to 2 and save.")
        .errors(if ok { &[] } else { &[ErrorId::InvalidToken] })
}
