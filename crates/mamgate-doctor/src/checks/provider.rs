//! Check 2: the enforced provider keys users by objectId (`IdAttribute = objectId`).

use mamgate_core::config::IntuneAuthService;
use mamgate_core::identity::{
    is_saml_object_id_attribute, provider_key_problem, LDAP_OBJECT_ID_ATTRIBUTE,
    SAML_OBJECT_ID_CLAIM,
};
use mamgate_core::ErrorId;

use super::Ctx;
use crate::finding::{Finding, Status};

const TITLE: &str = "Enforced provider keys users by objectId";
const LDAP_TITLE: &str = "LDAP sync keys users by msDS-aadObjectId";

/// The seed's "Supported Identity Attributes" result for an attribute name.
pub(crate) fn seed_result(attribute: &str) -> &'static str {
    let a = attribute.trim().to_ascii_lowercase();
    let tail = a.rsplit('/').next().unwrap_or(&a).to_string();
    if a.is_empty() {
        "empty: no identity at all"
    } else if is_saml_object_id_attribute(attribute)
        || a == LDAP_OBJECT_ID_ATTRIBUTE.to_ascii_lowercase()
    {
        "objectId: works"
    } else if tail == "objectguid" {
        "objectGUID: breaks mobile authentication"
    } else if ["emailaddress", "email", "mail"].contains(&tail.as_str()) {
        "email: enrollment fails"
    } else if [
        "upn",
        "userprincipalname",
        "preferred_username",
        "name",
        "unique_name",
    ]
    .contains(&tail.as_str())
    {
        "UPN / preferred_username: identity mismatch"
    } else if tail == "immutableid" {
        "immutableID: not supported"
    } else if tail == "nameidentifier" {
        "nameidentifier (NameID, the UPN by default): not supported"
    } else {
        "custom attribute: unsupported by Intune"
    }
}

pub(super) fn check(ctx: &Ctx<'_>) -> Vec<Finding> {
    let Some(config) = &ctx.inputs.config else {
        return vec![
            Finding::skipped(2, "provider.id_attribute", TITLE, &["--config"]),
            Finding::skipped(2, "provider.ldap_id_attribute", LDAP_TITLE, &["--config"]),
        ];
    };
    let Some(provider) = config.intune_settings.auth_service() else {
        let found = format!(
            "IntuneSettings.AuthService is {:?}: no enforced provider to check (see server.intune_settings)",
            config.intune_settings.auth_service
        );
        return vec![
            Finding::new(2, "provider.id_attribute", TITLE, Status::Skipped).found(found.clone()),
            Finding::new(2, "provider.ldap_id_attribute", LDAP_TITLE, Status::Skipped).found(found),
        ];
    };
    let problem = provider_key_problem(config);
    let why = "Intune MAM resolves users by the Azure AD objectId only; a provider keyed by anything else \
               stores a different AuthData than the token's oid, so mobile sign-in cannot find the user.";
    let saml = match provider {
        IntuneAuthService::Office365 => Finding::new(
            2,
            "provider.id_attribute",
            TITLE,
            Status::Pass,
        )
        .found("office365 (OpenID Connect): users are keyed by the token's oid, nothing to set")
        .why(why),
        IntuneAuthService::Saml => {
            let id = config.saml_settings.id_attribute.trim();
            let ok = is_saml_object_id_attribute(id);
            let status = if ok { Status::Pass } else { Status::Fail };
            Finding::new(2, "provider.id_attribute", TITLE, status)
                .found(format!("SamlSettings.IdAttribute = {id:?} ({})", seed_result(id)))
                .why(why)
                .next(format!("Set SamlSettings.IdAttribute to {SAML_OBJECT_ID_CLAIM}; email, UPN and immutableID are not supported."))
                .errors(if ok { &[] } else { &[ErrorId::ExtractAuthData, ErrorId::AccountNotFound] })
        }
    };
    let ldap = ldap_finding(config, provider, problem.as_deref());
    vec![saml, ldap]
}

fn ldap_finding(
    config: &mamgate_core::Config,
    provider: IntuneAuthService,
    problem: Option<&str>,
) -> Finding {
    let ldap = &config.ldap_settings;
    let id = ldap.id_attribute.trim();
    let synced = provider == IntuneAuthService::Saml && config.saml_settings.enable_sync_with_ldap;
    let base = Finding::new(2, "provider.ldap_id_attribute", LDAP_TITLE, Status::Pass)
        .why("LDAP sync provisions the enforced SAML users; their AuthData comes from LdapSettings.IdAttribute. \
              objectGUID is binary with a different byte order and is not the Entra objectId.")
        .next(format!("Set LdapSettings.IdAttribute to {LDAP_OBJECT_ID_ATTRIBUTE} (Entra Domain Services)."));
    if synced {
        let ok = id.eq_ignore_ascii_case(LDAP_OBJECT_ID_ATTRIBUTE);
        let mut errors = vec![ErrorId::ExtractAuthData, ErrorId::AccountNotFound];
        if id.eq_ignore_ascii_case("objectGUID") {
            errors.push(ErrorId::LdapObjectGuid);
        }
        // The core rule decides; the text only names the seed's result.
        let failed = !ok && problem.is_some();
        return Finding {
            status: if failed { Status::Fail } else { Status::Pass },
            ..base
        }
        .found(format!(
            "SAML syncs with LDAP; LdapSettings.IdAttribute = {id:?} ({})",
            seed_result(id)
        ))
        .errors(if failed { &errors } else { &[] });
    }
    if ldap.enable && id.eq_ignore_ascii_case("objectGUID") {
        return Finding { status: Status::Warn, ..base }
            .found("LDAP is enabled with IdAttribute objectGUID; it is not the enforced provider, but users it provisions will not align with Entra objectIds")
            .errors(&[ErrorId::LdapObjectGuid]);
    }
    base.found("not applicable: the enforced provider does not sync with LDAP")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn seed_results_per_attribute() {
        assert_eq!(seed_result(SAML_OBJECT_ID_CLAIM), "objectId: works");
        assert_eq!(seed_result("msDS-aadObjectId"), "objectId: works");
        assert!(
            seed_result("http://schemas.xmlsoap.org/ws/2005/05/identity/claims/emailaddress")
                .starts_with("email")
        );
        assert!(seed_result("userPrincipalName").starts_with("UPN"));
        assert!(seed_result("objectGUID").starts_with("objectGUID"));
        assert!(seed_result("immutableID").starts_with("immutableID"));
        assert!(seed_result("employeeNumber").starts_with("custom"));
        assert!(seed_result(" ").starts_with("empty"));
    }
}
