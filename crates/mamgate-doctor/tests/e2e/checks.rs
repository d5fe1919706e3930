//! Each check: the consistent world passes everything; one change makes exactly one check fail.

use mamgate_core::ErrorId;
use mamgate_doctor::{run_checks, run_checks_with_store, DoctorInputs, Status};
use mamgate_emulators::tenant::*;
use serde_json::json;

use crate::kit::*;

#[test]
fn consistent_world_passes_every_check() {
    let r = World::consistent().report();
    let not_pass: Vec<_> = r
        .findings
        .iter()
        .filter(|f| f.status != Status::Pass && f.name != "identity.store_account")
        .map(|f| (f.name, f.status, f.found.clone()))
        .collect();
    assert!(not_pass.is_empty(), "{not_pass:#?}");
    assert!(r.ok());
    // Checks run in the seed's quick-diagnostics order: identity alignment first.
    let order: Vec<u8> = r.findings.iter().map(|f| f.check).collect();
    assert!(order.windows(2).all(|w| w[0] <= w[1]), "{order:?}");
    assert_eq!(r.findings[0].name, "identity.alignment");
    let alignment = r.get("identity.alignment").unwrap();
    assert!(
        alignment.found.contains("AD mixed-endian"),
        "{}",
        alignment.found
    );
}

#[tokio::test]
async fn consistent_world_with_store_passes_every_check() {
    let w = World::consistent();
    let (store, _dir, _) = sqlite_store().await;
    store.create_user(alice_user(), false).await.unwrap();
    store.set_license(Some(w.license.clone())).await.unwrap();
    let mut inputs = w.inputs();
    inputs.license = None;
    let r = run_checks_with_store(&inputs, Some((store.as_ref(), "sqlite test")), NOW)
        .await
        .unwrap();
    let not_pass: Vec<_> = r
        .findings
        .iter()
        .filter(|f| f.status != Status::Pass)
        .map(|f| (f.name, f.found.clone()))
        .collect();
    assert!(not_pass.is_empty(), "{not_pass:#?}");
    assert!(r
        .get("identity.alignment")
        .unwrap()
        .found
        .contains("stored AuthData of alice"));
    assert!(r
        .get("server.license")
        .unwrap()
        .found
        .contains("from the store"));
}

#[test]
fn no_inputs_skips_everything_and_does_not_fail() {
    let r = run_checks(&DoctorInputs::default(), NOW);
    assert!(r.ok());
    assert!(
        r.findings.iter().all(|f| f.status == Status::Skipped),
        "{:#?}",
        r.findings
    );
    assert!(r.findings.iter().all(|f| !f.found.is_empty()));
    assert!(r.get("token.verdict").unwrap().missing.contains(&"--token"));
}

type Break = fn(&mut World);

/// One row per check: the change, the finding that must fail alone, the ids it must name.
const BREAKS: &[(&str, Break, &str, ErrorId)] = &[
    (
        "SAML objectidentifier of someone else",
        |w| {
            w.saml = w.saml.as_ref().map(|s| s.replace(ALICE_OID, SAML_USER_OID));
        },
        "identity.alignment",
        ErrorId::AlreadyAttached,
    ),
    (
        "LDAP entry keyed by a UPN",
        |w| {
            w.ldif = Some("dn: cn=alice\nmail: alice@contoso.example\nmsDS-aadObjectId: alice@contoso.example\n".into());
        },
        "identity.alignment",
        ErrorId::ExtractAuthData,
    ),
    (
        "SAML enforced with IdAttribute = email",
        |w| {
            w.config.intune_settings.auth_service = "saml".into();
            w.config.saml_settings.enable = true;
            w.config.saml_settings.id_attribute =
                "http://schemas.xmlsoap.org/ws/2005/05/identity/claims/emailaddress".into();
            w.with_token = false;
        },
        "provider.id_attribute",
        ErrorId::ExtractAuthData,
    ),
    (
        "SAML synced with LDAP keyed by objectGUID",
        |w| {
            w.config.intune_settings.auth_service = "saml".into();
            w.config.saml_settings.enable = true;
            w.config.saml_settings.id_attribute =
                "http://schemas.microsoft.com/identity/claims/objectidentifier".into();
            w.config.saml_settings.enable_sync_with_ldap = true;
            w.config.ldap_settings.id_attribute = "objectGUID".into();
            w.with_token = false;
        },
        "provider.ldap_id_attribute",
        ErrorId::LdapObjectGuid,
    ),
    (
        "no api://<appId> identifier URI",
        |w| {
            w.app_mut()["identifierUris"] = json!(["api://contoso-chat"]);
        },
        "entra.identifier_uri",
        ErrorId::Aadsts500011,
    ),
    (
        "login.mattermost disabled",
        |w| {
            w.app_mut()["api"]["oauth2PermissionScopes"][0]["isEnabled"] = json!(false);
        },
        "entra.scope",
        ErrorId::InvalidToken,
    ),
    (
        "official clients not pre-authorized",
        |w| {
            w.app_mut()["api"]["preAuthorizedApplications"] = json!([]);
        },
        "entra.pre_authorized",
        ErrorId::Aadsts65001,
    ),
    (
        "MAM permission missing",
        |w| {
            w.app_mut()["requiredResourceAccess"]
                .as_array_mut()
                .unwrap()
                .remove(0);
        },
        "entra.mam_permission",
        ErrorId::Aadsts650057,
    ),
    (
        "no admin consent",
        |w| {
            w.tenant.admin_consent.clear();
        },
        "entra.admin_consent",
        ErrorId::Aadsts650057,
    ),
    (
        "v1 access tokens (null version)",
        |w| {
            w.app_mut()["api"]["requestedAccessTokenVersion"] = json!(null);
        },
        "entra.token_version",
        ErrorId::InvalidToken,
    ),
    (
        "Intune MAM not enabled",
        |w| {
            w.config.intune_settings.enable = false;
        },
        "server.intune_settings",
        ErrorId::IntuneNotConfigured,
    ),
    (
        "Office365 provider disabled",
        |w| {
            w.config.office365_settings.enable = false;
        },
        "server.provider_enabled",
        ErrorId::LoginNotConfigured,
    ),
    (
        "ClientId of another registration",
        |w| {
            let other = "0f0f0f0f-1111-4222-8333-444444444444";
            w.config.intune_settings.client_id = other.into();
            w.claims["aud"] = other.into();
        },
        "server.ids_match",
        ErrorId::InvalidToken,
    ),
    (
        "Enterprise license (below Enterprise Advanced)",
        |w| {
            let (file, key) = license("enterprise");
            w.license = file;
            w.config.license_settings.trusted_public_keys = vec![key];
        },
        "server.license",
        ErrorId::LoginNotConfigured,
    ),
    (
        "AuthorityHost of an unknown cloud",
        |w| {
            w.at_authority("https://login.contoso.example");
            w.tenant.authority_host = "https://login.contoso.example".into();
        },
        "server.authority_host",
        ErrorId::JwksInit,
    ),
    (
        "no policy for com.mattermost.rn",
        |w| {
            w.tenant.app_protection_policies.0.remove(0);
        },
        "intune.policy_production",
        ErrorId::NotTargeted,
    ),
    (
        "no policy for com.mattermost.rnbeta while beta is pre-authorized",
        |w| {
            w.tenant.app_protection_policies.0.remove(1);
        },
        "intune.policy_beta",
        ErrorId::NotTargeted,
    ),
    (
        "the user is in no policy group",
        |w| {
            w.tenant.users[0].groups = vec![EXAMPLE_OTHER_GROUP_ID.into()];
        },
        "intune.user_targeted",
        ErrorId::NotTargeted,
    ),
    (
        "the user has no Intune license",
        |w| {
            w.tenant.users[0].intune_licensed = false;
        },
        "intune.user_targeted",
        ErrorId::NotLicensed,
    ),
    (
        "expired token",
        |w| {
            w.claims["exp"] = json!(NOW - 3600);
        },
        "token.verdict",
        ErrorId::TokenExpired,
    ),
];

#[test]
fn each_break_fails_exactly_one_check() {
    for (what, change, name, id) in BREAKS {
        let mut w = World::consistent();
        change(&mut w);
        let r = w.report();
        assert_eq!(
            r.failed(),
            vec![*name],
            "case {what:?}: {:#?}",
            r.findings
                .iter()
                .filter(|f| f.status == Status::Fail)
                .collect::<Vec<_>>()
        );
        let f = r.get(name).unwrap();
        assert!(
            f.error_ids.contains(id),
            "case {what:?}: {:?} lacks {id}",
            f.error_ids
        );
        assert!(!f.why.is_empty() && !f.next.is_empty(), "case {what:?}");
        assert!(!r.ok());
    }
}

#[test]
fn warnings_do_not_fail() {
    let mut w = World::consistent();
    w.app_mut()["signInAudience"] = json!("AzureADMultipleOrgs");
    w.tenant.app_protection_policies.0.remove(1);
    w.app_mut()["api"]["preAuthorizedApplications"]
        .as_array_mut()
        .unwrap()
        .remove(1);
    let r = w.report();
    assert!(r.ok(), "{:?}", r.failed());
    assert_eq!(
        with_status(&r, Status::Warn),
        vec!["entra.single_tenant", "intune.policy_beta"]
    );
}

#[test]
fn saml_with_email_id_attribute_is_also_the_tokens_verdict() {
    let mut w = World::consistent();
    w.config.intune_settings.auth_service = "saml".into();
    w.config.saml_settings.enable = true;
    w.config.saml_settings.id_attribute = "email".into();
    let r = w.report();
    assert_eq!(r.failed(), vec!["provider.id_attribute", "token.verdict"]);
    assert_eq!(
        r.get("token.verdict").unwrap().error_ids,
        vec![ErrorId::ExtractAuthData]
    );
}

#[test]
fn without_jwks_the_token_is_a_warning_naming_the_signature() {
    let w = World::consistent();
    let mut inputs = w.inputs();
    inputs.jwks = None;
    let r = run_checks(&inputs, NOW);
    let f = r.get("token.verdict").unwrap();
    assert_eq!(f.status, Status::Warn);
    assert!(f.found.contains("signature NOT verified"), "{}", f.found);
}

#[test]
fn both_manifest_formats_and_both_pre_authorization_keys() {
    for (file, format, key) in [
        (
            "manifest-graph.json",
            "Microsoft Graph format",
            "delegatedPermissionIds",
        ),
        (
            "manifest-legacy.json",
            "legacy AAD Graph format",
            "permissionIds",
        ),
    ] {
        let w = World::consistent();
        let mut inputs = w.inputs();
        inputs.load_manifest(&fixture(file)).unwrap();
        let r = run_checks(&inputs, NOW);
        let entra: Vec<_> = r.findings.iter().filter(|f| f.check == 3).collect();
        assert!(
            entra.iter().all(|f| f.status == Status::Pass),
            "{file}: {entra:#?}"
        );
        assert!(
            r.get("entra.single_tenant").unwrap().found.contains(format),
            "{file}"
        );
        assert!(
            r.get("entra.pre_authorized").unwrap().found.contains(key),
            "{file}"
        );
        assert!(
            r.get("entra.single_tenant")
                .unwrap()
                .found
                .contains("--manifest"),
            "{file}"
        );

        // The same break in either format is found.
        let mut raw: serde_json::Value = serde_json::from_str(&fixture_text(file)).unwrap();
        match raw.get_mut("api") {
            Some(api) => api["requestedAccessTokenVersion"] = json!(1),
            None => raw["accessTokenAcceptedVersion"] = json!(null),
        }
        inputs.manifests = vec![raw];
        let r = run_checks(&inputs, NOW);
        assert_eq!(r.failed(), vec!["entra.token_version"], "{file}");
    }
}

#[test]
fn policy_files_replace_the_tenants_policies() {
    let w = World::consistent();
    let mut inputs = w.inputs();
    inputs
        .load_policy(&fixture("policy-production.json"))
        .unwrap();
    let r = run_checks(&inputs, NOW);
    assert_eq!(r.failed(), vec!["intune.policy_beta"]);
    inputs.load_policy(&fixture("policy-beta.json")).unwrap();
    let r = run_checks(&inputs, NOW);
    assert!(r.ok(), "{:?}", r.failed());
    assert!(r
        .get("intune.policy_beta")
        .unwrap()
        .found
        .contains("--policy"));
}

#[tokio::test]
async fn store_account_problems() {
    type Case = (&'static str, fn(&mut mamgate_core::model::User), ErrorId);
    let cases: &[Case] = &[
        ("bot", |u| u.is_bot = true, ErrorId::BotLoginForbidden),
        ("deactivated", |u| u.delete_at = 5, ErrorId::AccountLocked),
        (
            "keyed by email",
            |u| u.auth_data = ALICE_UPN.into(),
            ErrorId::ExtractAuthData,
        ),
    ];
    for (what, change, id) in cases {
        let w = World::consistent();
        let (store, _dir, _) = sqlite_store().await;
        let mut u = alice_user();
        change(&mut u);
        store.create_user(u, false).await.unwrap();
        let r = run_checks_with_store(&w.inputs(), Some((store.as_ref(), "sqlite test")), NOW)
            .await
            .unwrap();
        let f = r.get("identity.store_account").unwrap();
        assert_eq!(f.status, Status::Fail, "{what}: {}", f.found);
        assert!(f.error_ids.contains(id), "{what}: {:?}", f.error_ids);
    }
    // SAML enforced and the user never signed in on web: account_not_found.
    let mut w = World::consistent();
    w.config.intune_settings.auth_service = "saml".into();
    w.config.saml_settings.enable = true;
    w.config.saml_settings.id_attribute =
        "http://schemas.microsoft.com/identity/claims/objectidentifier".into();
    let (store, _dir, _) = sqlite_store().await;
    let r = run_checks_with_store(&w.inputs(), Some((store.as_ref(), "sqlite test")), NOW)
        .await
        .unwrap();
    assert_eq!(r.failed(), vec!["identity.store_account"]);
    assert_eq!(
        r.get("identity.store_account").unwrap().error_ids,
        vec![ErrorId::AccountNotFound]
    );
}
