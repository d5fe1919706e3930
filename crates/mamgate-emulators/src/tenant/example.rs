//! A complete, consistent example tenant (`mamgate emulate init`), with well-known ids that tests
//! and the demo refer to.

use std::path::Path;

use serde_json::{json, Map, Value};

use super::{
    ConsentGrant, PolicyList, SamlIdp, Tenant, User, MAM_PERMISSION_ID, MAM_RESOURCE_APP_ID,
};
use crate::EmulatorError;

/// Official Mattermost mobile client id (production).
pub const OFFICIAL_CLIENT_ID: &str = "9ac649f1-4f77-44d6-9792-b2f54ab3c9a7";
/// Official Mattermost mobile client id (beta).
pub const OFFICIAL_BETA_CLIENT_ID: &str = "64e9952b-20eb-46dc-92ad-99089ed24903";
/// Every official mobile client id: the clients the emulator serves without a registration.
pub const OFFICIAL_CLIENT_IDS: [&str; 2] = [OFFICIAL_CLIENT_ID, OFFICIAL_BETA_CLIENT_ID];
/// iOS bundle id of the production app.
pub const PRODUCTION_BUNDLE_ID: &str = "com.mattermost.rn";
/// iOS bundle id of the beta app.
pub const BETA_BUNDLE_ID: &str = "com.mattermost.rnbeta";
/// The scope the server exposes.
pub const LOGIN_SCOPE: &str = "login.mattermost";

/// The example tenant's id.
pub const EXAMPLE_TENANT_ID: &str = "7d3c1a52-4b8e-4f21-9a6c-2e5f8b0d4c11";
/// The example server app registration ("Mattermost Mobile (Intune MAM)").
pub const EXAMPLE_SERVER_APP_ID: &str = "b6f2a9c4-1d3e-4a57-8c2b-9e0f1a2b3c4d";
/// The id of its `login.mattermost` scope.
pub const EXAMPLE_LOGIN_SCOPE_ID: &str = "e4a1c7d2-5b3f-4e68-9a0c-1d2e3f4a5b6c";
/// The group both example policies are assigned to.
pub const EXAMPLE_MAM_GROUP_ID: &str = "a1b2c3d4-0e1f-4a2b-8c3d-4e5f6a7b8c9d";
/// A group no policy is assigned to.
pub const EXAMPLE_OTHER_GROUP_ID: &str = "c9d8e7f6-5a4b-4c3d-9e2f-1a0b9c8d7e6f";
/// Policy ids (Graph export form `T_<guid>`).
pub const EXAMPLE_PRODUCTION_POLICY_ID: &str = "T_0f1e2d3c-4b5a-4968-8776-a5b4c3d2e1f0";
/// Policy id of the beta app's policy.
pub const EXAMPLE_BETA_POLICY_ID: &str = "T_1a2b3c4d-5e6f-4a7b-8c9d-0e1f2a3b4c5d";

/// Office 365 user: licensed, in the policy group.
pub const ALICE_OID: &str = "3f6c2a1b-8d4e-4c7f-a9b2-5e1d0c3b7a64";
/// Her UPN.
pub const ALICE_UPN: &str = "alice@contoso.example";
/// SAML user: licensed, in the policy group.
pub const SAML_USER_OID: &str = "5a7b9c1d-2e3f-4a5b-8c6d-7e8f9a0b1c2d";
/// His UPN.
pub const SAML_USER_UPN: &str = "sam@contoso.example";
/// In the policy group but without an Intune license.
pub const UNLICENSED_OID: &str = "6b8c0d2e-3f4a-4b6c-9d7e-8f9a0b1c2d3e";
/// Her UPN.
pub const UNLICENSED_UPN: &str = "uma@contoso.example";
/// Licensed but in no policy group.
pub const UNTARGETED_OID: &str = "7c9d1e3f-4a5b-4c7d-8e8f-9a0b1c2d3e4f";
/// His UPN.
pub const UNTARGETED_UPN: &str = "nick@contoso.example";

/// A complete, consistent tenant whose Entra emulator listens at `authority_host`.
pub fn example_tenant(authority_host: &str) -> Tenant {
    let user =
        |oid: &str, upn: &str, given: &str, family: &str, licensed, groups: &[&str], note| {
            let mut extra = Map::new();
            extra.insert("note".into(), Value::from(note));
            User {
                oid: oid.into(),
                upn: upn.into(),
                email: Some(upn.into()),
                given_name: Some(given.into()),
                family_name: Some(family.into()),
                intune_licensed: licensed,
                groups: groups.iter().map(|g| g.to_string()).collect(),
                extra,
            }
        };
    Tenant {
        tenant_id: EXAMPLE_TENANT_ID.into(),
        authority_host: authority_host.trim_end_matches('/').into(),
        users: vec![
            user(
                ALICE_OID,
                ALICE_UPN,
                "Alice",
                "Archer",
                true,
                &[EXAMPLE_MAM_GROUP_ID],
                "office365 user: licensed and targeted",
            ),
            user(
                SAML_USER_OID,
                SAML_USER_UPN,
                "Sam",
                "Sender",
                true,
                &[EXAMPLE_MAM_GROUP_ID],
                "saml user: licensed and targeted",
            ),
            user(
                UNLICENSED_OID,
                UNLICENSED_UPN,
                "Uma",
                "Unlicensed",
                false,
                &[EXAMPLE_MAM_GROUP_ID],
                "no Intune license: enrollment fails with not_licensed",
            ),
            user(
                UNTARGETED_OID,
                UNTARGETED_UPN,
                "Nick",
                "Nogroup",
                true,
                &[EXAMPLE_OTHER_GROUP_ID],
                "in no policy group: enrollment fails with not_targeted",
            ),
        ],
        applications: vec![server_app()],
        admin_consent: vec![ConsentGrant::AppId(EXAMPLE_SERVER_APP_ID.into())],
        app_protection_policies: PolicyList(vec![
            policy(
                EXAMPLE_PRODUCTION_POLICY_ID,
                "iOS - Mattermost",
                PRODUCTION_BUNDLE_ID,
            ),
            policy(
                EXAMPLE_BETA_POLICY_ID,
                "iOS - Mattermost Beta",
                BETA_BUNDLE_ID,
            ),
        ]),
        saml: SamlIdp {
            entity_id: Some(format!("https://sts.windows.net/{EXAMPLE_TENANT_ID}/")),
            signing_key_pem: None,
            certificate_pem: None,
            attributes: [
                "http://schemas.microsoft.com/identity/claims/objectidentifier",
                "http://schemas.microsoft.com/identity/claims/tenantid",
                "http://schemas.xmlsoap.org/ws/2005/05/identity/claims/upn",
                "http://schemas.xmlsoap.org/ws/2005/05/identity/claims/emailaddress",
                "http://schemas.xmlsoap.org/ws/2005/05/identity/claims/name",
                "http://schemas.xmlsoap.org/ws/2005/05/identity/claims/givenname",
                "http://schemas.xmlsoap.org/ws/2005/05/identity/claims/surname",
            ]
            .map(String::from)
            .to_vec(),
            extra: Map::new(),
        },
        extra: Map::new(),
    }
}

/// Writes [`example_tenant`] to `path`.
pub fn write_example(path: &Path, authority_host: &str) -> Result<(), EmulatorError> {
    example_tenant(authority_host).save(path)
}

/// The server's registration in Microsoft Graph application JSON, as `GET /applications/{id}` shows it.
fn server_app() -> Value {
    let pre =
        |client: &str| json!({"appId": client, "delegatedPermissionIds": [EXAMPLE_LOGIN_SCOPE_ID]});
    json!({
        "id": "0c1d2e3f-4a5b-4c6d-8e7f-9a0b1c2d3e4f",
        "appId": EXAMPLE_SERVER_APP_ID,
        "displayName": "Mattermost Mobile (Intune MAM)",
        "signInAudience": "AzureADMyOrg",
        "identifierUris": [format!("api://{EXAMPLE_SERVER_APP_ID}")],
        "api": {
            "requestedAccessTokenVersion": 2,
            "acceptMappedClaims": null,
            "knownClientApplications": [],
            "oauth2PermissionScopes": [{
                "id": EXAMPLE_LOGIN_SCOPE_ID,
                "value": LOGIN_SCOPE,
                "type": "User",
                "isEnabled": true,
                "adminConsentDisplayName": "Sign in to Mattermost",
                "adminConsentDescription": "Lets the Mattermost mobile app sign the user in to Mattermost.",
                "userConsentDisplayName": "Sign in to Mattermost",
                "userConsentDescription": "Lets the Mattermost mobile app sign you in to Mattermost."
            }],
            "preAuthorizedApplications": [pre(OFFICIAL_CLIENT_ID), pre(OFFICIAL_BETA_CLIENT_ID)]
        },
        "requiredResourceAccess": [
            {"resourceAppId": MAM_RESOURCE_APP_ID,
             "resourceAccess": [{"id": MAM_PERMISSION_ID, "type": "Scope"}]},
            {"resourceAppId": "00000003-0000-0000-c000-000000000000",
             "resourceAccess": [{"id": "e1fe6dd8-ba31-4d61-89e7-88639da4683d", "type": "Scope"}]}
        ],
        "web": {"redirectUris": [], "implicitGrantSettings":
            {"enableIdTokenIssuance": false, "enableAccessTokenIssuance": false}}
    })
}

/// One Graph `iosManagedAppProtection` for one bundle id, assigned to the example group.
fn policy(id: &str, name: &str, bundle_id: &str) -> Value {
    json!({
        "@odata.type": "#microsoft.graph.iosManagedAppProtection",
        "id": id,
        "displayName": name,
        "description": "",
        "periodOfflineBeforeAccessCheck": "PT12H",
        "periodOnlineBeforeAccessCheck": "PT30M",
        "allowedInboundDataTransferSources": "managedApps",
        "allowedOutboundDataTransferDestinations": "managedApps",
        "allowedOutboundClipboardSharingLevel": "managedAppsWithPasteIn",
        "dataBackupBlocked": true,
        "deviceComplianceRequired": true,
        "saveAsBlocked": true,
        "periodOfflineBeforeWipeIsEnforced": "P90D",
        "pinRequired": true,
        "minimumPinLength": 6,
        "printBlocked": true,
        "minimumRequiredOsVersion": "17.0",
        "appActionIfDeviceComplianceRequired": "block",
        "isAssigned": true,
        "appDataEncryptionType": "whenDeviceLocked",
        "apps": [{
            "id": format!("{bundle_id}.ios"),
            "mobileAppIdentifier": {"@odata.type": "#microsoft.graph.iosMobileAppIdentifier", "bundleId": bundle_id}
        }],
        "assignments": [{
            "id": format!("{EXAMPLE_MAM_GROUP_ID}_incl"),
            "source": "direct",
            "target": {"@odata.type": "#microsoft.graph.groupAssignmentTarget", "groupId": EXAMPLE_MAM_GROUP_ID}
        }]
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use mamgate_core::identity::is_guid;

    #[test]
    fn example_is_consistent() {
        let t = example_tenant("http://127.0.0.1:9/");
        assert_eq!(t.authority(), "http://127.0.0.1:9");
        let app = t.application(EXAMPLE_SERVER_APP_ID).unwrap();
        assert_eq!(app.token_version, 2);
        assert!(app.requires_mam_permission());
        assert!(t.has_admin_consent(EXAMPLE_SERVER_APP_ID));
        for c in OFFICIAL_CLIENT_IDS {
            let p = app.pre_authorization(c).unwrap();
            assert_eq!(p.permission_ids, vec![EXAMPLE_LOGIN_SCOPE_ID.to_string()]);
        }
        let alice = t.user(ALICE_UPN).unwrap();
        assert!(t
            .app_protection_policies
            .find_for(PRODUCTION_BUNDLE_ID, &alice.groups)
            .is_some());
        assert!(t
            .app_protection_policies
            .find_for(BETA_BUNDLE_ID, &alice.groups)
            .is_some());
        let nick = t.user(UNTARGETED_UPN).unwrap();
        assert!(t
            .app_protection_policies
            .find_for(PRODUCTION_BUNDLE_ID, &nick.groups)
            .is_none());
        for id in [
            EXAMPLE_TENANT_ID,
            EXAMPLE_SERVER_APP_ID,
            EXAMPLE_LOGIN_SCOPE_ID,
            EXAMPLE_MAM_GROUP_ID,
            EXAMPLE_OTHER_GROUP_ID,
            ALICE_OID,
            SAML_USER_OID,
            UNLICENSED_OID,
            UNTARGETED_OID,
        ] {
            assert!(is_guid(id), "{id}");
        }
    }

    #[test]
    fn write_and_load() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("tenant.json");
        write_example(&path, "http://127.0.0.1:1").unwrap();
        let t = Tenant::load(&path).unwrap();
        assert_eq!(t, example_tenant("http://127.0.0.1:1"));
    }
}
