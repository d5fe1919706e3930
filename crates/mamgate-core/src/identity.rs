//! Identity rules (CONTRACT §6): the Azure AD objectId is the only accepted identity.

use crate::config::{Config, IntuneAuthService};

/// SAML attribute carrying the objectId.
pub const SAML_OBJECT_ID_CLAIM: &str =
    "http://schemas.microsoft.com/identity/claims/objectidentifier";
/// LDAP attribute carrying the objectId (Entra Domain Services).
pub const LDAP_OBJECT_ID_ATTRIBUTE: &str = "msDS-aadObjectId";

/// `8-4-4-4-12` hexadecimal digits, no braces.
pub fn is_guid(s: &str) -> bool {
    let b = s.as_bytes();
    if b.len() != 36 {
        return false;
    }
    b.iter().enumerate().all(|(i, c)| match i {
        8 | 13 | 18 | 23 => *c == b'-',
        _ => c.is_ascii_hexdigit(),
    })
}

/// The form objectIds are stored and compared in: lower case.
pub fn normalize_object_id(s: &str) -> Option<String> {
    is_guid(s).then(|| s.to_ascii_lowercase())
}

/// Case-insensitive GUID equality (TenantId, ClientId, oid).
pub fn guid_eq(a: &str, b: &str) -> bool {
    a.eq_ignore_ascii_case(b)
}

/// Why the enforced provider does not key users by objectId, if it does not.
pub fn provider_key_problem(config: &Config) -> Option<String> {
    match config.intune_settings.auth_service()? {
        IntuneAuthService::Office365 => None,
        IntuneAuthService::Saml => {
            let saml = &config.saml_settings;
            let id = saml.id_attribute.trim();
            if !is_saml_object_id_attribute(id) {
                return Some(format!(
                    "SamlSettings.IdAttribute is {id:?}, not {SAML_OBJECT_ID_CLAIM}"
                ));
            }
            if saml.enable_sync_with_ldap {
                let ldap = config.ldap_settings.id_attribute.trim();
                if !ldap.eq_ignore_ascii_case(LDAP_OBJECT_ID_ATTRIBUTE) {
                    return Some(format!(
                        "LdapSettings.IdAttribute is {ldap:?}, not {LDAP_OBJECT_ID_ATTRIBUTE}"
                    ));
                }
            }
            None
        }
    }
}

/// `http://schemas.microsoft.com/identity/claims/objectidentifier` or its short name.
pub fn is_saml_object_id_attribute(s: &str) -> bool {
    s.eq_ignore_ascii_case(SAML_OBJECT_ID_CLAIM) || s.eq_ignore_ascii_case("objectidentifier")
}

/// What an identifier that is not an objectId most likely is (for the doctor and logs).
pub fn classify_identifier(s: &str) -> &'static str {
    if is_guid(s) {
        "objectId (GUID)"
    } else if s.contains('@') {
        "email or UPN"
    } else if looks_like_base64_guid(s) {
        "base64 binary GUID (objectGUID or immutableID)"
    } else if s.is_empty() {
        "empty"
    } else {
        "other"
    }
}

fn looks_like_base64_guid(s: &str) -> bool {
    // 16 bytes in base64: 22 characters plus "==" padding.
    s.len() == 24
        && s.ends_with("==")
        && s[..22]
            .bytes()
            .all(|c| c.is_ascii_alphanumeric() || c == b'+' || c == b'/')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn guid_shapes() {
        assert!(is_guid("33333333-4444-5555-6666-777777777777"));
        assert!(is_guid("ABCDEFAB-4444-5555-6666-777777777777"));
        assert!(!is_guid("{33333333-4444-5555-6666-777777777777}"));
        assert!(!is_guid("333333334444555566667777777777777777"));
        assert!(!is_guid("33333333-4444-5555-6666-77777777777g"));
        assert_eq!(
            normalize_object_id("ABCDEFAB-4444-5555-6666-777777777777").as_deref(),
            Some("abcdefab-4444-5555-6666-777777777777")
        );
    }

    #[test]
    fn classify() {
        assert_eq!(classify_identifier("a@b.c"), "email or UPN");
        assert_eq!(
            classify_identifier("q83vAAECAwQFBgcICQoLDA=="),
            "base64 binary GUID (objectGUID or immutableID)"
        );
    }

    #[test]
    fn provider_keys() {
        let mut c = Config::default();
        c.intune_settings.auth_service = "saml".into();
        c.saml_settings.id_attribute = "email".into();
        assert!(provider_key_problem(&c).is_some());
        c.saml_settings.id_attribute = SAML_OBJECT_ID_CLAIM.into();
        assert!(provider_key_problem(&c).is_none());
        c.saml_settings.enable_sync_with_ldap = true;
        c.ldap_settings.id_attribute = "objectGUID".into();
        assert!(provider_key_problem(&c).is_some());
        c.ldap_settings.id_attribute = "msDS-aadObjectId".into();
        assert!(provider_key_problem(&c).is_none());
        c.intune_settings.auth_service = "office365".into();
        c.saml_settings.id_attribute = "email".into();
        assert!(provider_key_problem(&c).is_none());
    }
}
