//! What the mobile preflight reads: the limited client config and the client license
//! (CONTRACT §3).

use std::collections::BTreeMap;

use crate::config::Config;
use crate::license::License;

/// The version string reported to clients.
pub const SERVER_VERSION: &str = "11.6.0";

/// `GET /api/v4/config/client?format=old`: a flat map of strings.
pub fn client_config(config: &Config, license: Option<&License>) -> BTreeMap<String, String> {
    let b = |v: bool| if v { "true" } else { "false" }.to_string();
    let mut m = BTreeMap::new();
    m.insert("Version".into(), SERVER_VERSION.into());
    m.insert("BuildNumber".into(), env_version().into());
    m.insert("SiteName".into(), config.team_settings.site_name.clone());
    m.insert("SiteURL".into(), config.service_settings.site_url.clone());
    m.insert(
        "EnableSignInWithEmail".into(),
        b(config.email_settings.enable_sign_in_with_email),
    );
    m.insert(
        "EnableSignInWithUsername".into(),
        b(config.email_settings.enable_sign_in_with_username),
    );
    m.insert(
        "EnableSignUpWithEmail".into(),
        b(config.email_settings.enable_sign_up_with_email),
    );
    m.insert(
        "EnableSignUpWithOffice365".into(),
        b(config.office365_settings.enable),
    );
    m.insert("EnableSaml".into(), b(config.saml_settings.enable));
    m.insert("EnableLdap".into(), b(config.ldap_settings.enable));
    m.insert(
        "EnableUserCreation".into(),
        b(config.team_settings.enable_user_creation),
    );
    m.insert(
        "MobileExternalBrowser".into(),
        b(config.native_app_settings.mobile_external_browser),
    );
    m.insert(
        "EnableDeveloper".into(),
        b(config.service_settings.enable_developer),
    );
    m.insert("DiagnosticId".into(), String::new());
    if license.is_some_and(License::is_enterprise_advanced) {
        let intune = &config.intune_settings;
        let on = intune.is_configured();
        m.insert("IntuneMAMEnabled".into(), b(on));
        if on {
            m.insert("IntuneScope".into(), intune.scope());
            if !intune.auth_service.is_empty() {
                m.insert("IntuneAuthService".into(), intune.auth_service.clone());
            }
        }
    }
    m
}

fn env_version() -> &'static str {
    env!("CARGO_PKG_VERSION")
}

/// `GET /api/v4/license/client?format=old`.
pub fn client_license(license: Option<&License>) -> BTreeMap<String, String> {
    let mut m = BTreeMap::new();
    match license {
        None => {
            m.insert("IsLicensed".into(), "false".into());
        }
        Some(l) => {
            m.insert("IsLicensed".into(), "true".into());
            m.insert("Id".into(), l.id.clone());
            m.insert("SkuShortName".into(), l.sku_short_name.clone());
            m.insert("SkuName".into(), l.sku_name.clone());
            m.insert("IssuedAt".into(), l.issued_at.to_string());
            m.insert("StartsAt".into(), l.starts_at.to_string());
            m.insert("ExpiresAt".into(), l.expires_at.to_string());
            m.insert("Name".into(), l.customer.name.clone());
            m.insert("Company".into(), l.customer.company.clone());
            m.insert("IsTrial".into(), "false".into());
        }
    }
    m
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::license::{sku_name, Customer};

    fn lic(sku: &str) -> License {
        License {
            id: "l".into(),
            issued_at: 0,
            starts_at: 0,
            expires_at: i64::MAX,
            customer: Customer::default(),
            sku_short_name: sku.into(),
            sku_name: sku_name(sku).into(),
            signed_by: String::new(),
        }
    }

    fn intune(auth: &str) -> Config {
        let mut c = Config::default();
        c.intune_settings.enable = true;
        c.intune_settings.tenant_id = "11111111-2222-3333-4444-555555555555".into();
        c.intune_settings.client_id = "87654321-4321-4321-4321-210987654321".into();
        c.intune_settings.auth_service = auth.into();
        c
    }

    fn keys(m: &BTreeMap<String, String>) -> Vec<(&str, &str)> {
        m.iter()
            .filter(|(k, _)| k.starts_with("Intune"))
            .map(|(k, v)| (k.as_str(), v.as_str()))
            .collect()
    }

    #[test]
    fn intune_keys_by_license_and_config() {
        assert!(keys(&client_config(&intune("office365"), None)).is_empty());
        assert!(keys(&client_config(
            &intune("office365"),
            Some(&lic("professional"))
        ))
        .is_empty());
        assert!(keys(&client_config(
            &intune("office365"),
            Some(&lic("enterprise"))
        ))
        .is_empty());
        assert_eq!(
            keys(&client_config(&Config::default(), Some(&lic("advanced")))),
            [("IntuneMAMEnabled", "false")]
        );
        let mut missing = intune("office365");
        missing.intune_settings.tenant_id.clear();
        assert_eq!(
            keys(&client_config(&missing, Some(&lic("entry")))),
            [("IntuneMAMEnabled", "false")]
        );
        assert_eq!(
            keys(&client_config(&intune("office365"), Some(&lic("advanced")))),
            [
                ("IntuneAuthService", "office365"),
                ("IntuneMAMEnabled", "true"),
                (
                    "IntuneScope",
                    "api://87654321-4321-4321-4321-210987654321/login.mattermost"
                )
            ]
        );
        assert_eq!(
            keys(&client_config(&intune("saml"), Some(&lic("entry"))))[0],
            ("IntuneAuthService", "saml")
        );
    }

    #[test]
    fn client_license_shapes() {
        assert_eq!(client_license(None)["IsLicensed"], "false");
        let m = client_license(Some(&lic("advanced")));
        assert_eq!(m["SkuShortName"], "advanced");
        assert_eq!(m["IsLicensed"], "true");
    }
}
