//! Native Entra sign-in or web SSO (CLIENT.md "Preflight"; mobile-client-facts §3).

use mamgate_core::license::{sku_tier, ENTERPRISE_ADVANCED_TIER};

use crate::model::{Os, SsoType, StringMap};

/// Which sign-in the app takes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Preflight {
    /// Native Entra (MSAL) sign-in with this scope.
    NativeEntra { scope: String },
    /// Web SSO, with the first gate that failed.
    WebSsoFallback { reason: String },
}

/// Decides from the pre-login client config and license; gates are checked in CLIENT.md order.
pub fn decide(os: Os, sso: SsoType, config: &StringMap, license: &StringMap) -> Preflight {
    let fallback = |reason: String| Preflight::WebSsoFallback { reason };
    if os != Os::Ios {
        return fallback("Intune MAM is available on iOS only (platform is android)".into());
    }
    let get = |m: &StringMap, k: &str| m.get(k).cloned().unwrap_or_default();
    if get(config, "IntuneMAMEnabled") != "true" {
        return fallback("IntuneMAMEnabled is not \"true\" in the server's client config".into());
    }
    let scope = get(config, "IntuneScope");
    if scope.is_empty() {
        return fallback("IntuneScope is empty in the server's client config".into());
    }
    let auth = get(config, "IntuneAuthService");
    if !auth.eq_ignore_ascii_case(sso.as_str()) {
        return fallback(format!(
            "IntuneAuthService is \"{auth}\", the chosen SSO is \"{}\"",
            sso.as_str()
        ));
    }
    if !license_allows(license) {
        return fallback(format!(
            "license is not Enterprise Advanced (IsLicensed \"{}\", SkuShortName \"{}\")",
            get(license, "IsLicensed"),
            get(license, "SkuShortName")
        ));
    }
    Preflight::NativeEntra { scope }
}

/// `IsLicensed == "true"` and SKU tier ≥ Enterprise Advanced.
pub fn license_allows(license: &StringMap) -> bool {
    license.get("IsLicensed").map(String::as_str) == Some("true")
        && sku_tier(
            license
                .get("SkuShortName")
                .map(String::as_str)
                .unwrap_or(""),
        ) >= ENTERPRISE_ADVANCED_TIER
}

/// The enforcement predicate (`isIntuneEnabledForConfigAndLicense`): tier, enabled, scope and
/// auth service all present.
pub fn intune_enforced(config: &StringMap, license: &StringMap) -> bool {
    let non_empty = |k: &str| config.get(k).is_some_and(|v| !v.is_empty());
    license_allows(license)
        && config.get("IntuneMAMEnabled").map(String::as_str) == Some("true")
        && non_empty("IntuneScope")
        && non_empty("IntuneAuthService")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn good() -> (StringMap, StringMap) {
        let c = [
            ("IntuneMAMEnabled", "true"),
            ("IntuneScope", "api://c/login.mattermost"),
            ("IntuneAuthService", "office365"),
        ];
        let l = [("IsLicensed", "true"), ("SkuShortName", "advanced")];
        let m = |kv: &[(&str, &str)]| {
            kv.iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect()
        };
        (m(&c), m(&l))
    }

    #[test]
    fn all_gates_pass() {
        let (c, l) = good();
        assert_eq!(
            decide(Os::Ios, SsoType::Office365, &c, &l),
            Preflight::NativeEntra {
                scope: "api://c/login.mattermost".into()
            }
        );
        let mut upper = c.clone();
        upper.insert("IntuneAuthService".into(), "OFFICE365".into());
        assert!(matches!(
            decide(Os::Ios, SsoType::Office365, &upper, &l),
            Preflight::NativeEntra { .. }
        ));
        let mut entry = l.clone();
        entry.insert("SkuShortName".into(), "entry".into());
        assert!(matches!(
            decide(Os::Ios, SsoType::Office365, &c, &entry),
            Preflight::NativeEntra { .. }
        ));
    }

    #[test]
    fn each_gate_alone_falls_back() {
        type Break = fn(&mut StringMap, &mut StringMap);
        let cases: [(&str, Os, SsoType, Break, &str); 9] = [
            (
                "android",
                Os::Android,
                SsoType::Office365,
                |_, _| {},
                "iOS only",
            ),
            (
                "disabled",
                Os::Ios,
                SsoType::Office365,
                |c, _| {
                    c.insert("IntuneMAMEnabled".into(), "false".into());
                },
                "IntuneMAMEnabled",
            ),
            (
                "absent",
                Os::Ios,
                SsoType::Office365,
                |c, _| {
                    c.remove("IntuneMAMEnabled");
                },
                "IntuneMAMEnabled",
            ),
            (
                "no scope",
                Os::Ios,
                SsoType::Office365,
                |c, _| {
                    c.insert("IntuneScope".into(), String::new());
                },
                "IntuneScope",
            ),
            (
                "other sso",
                Os::Ios,
                SsoType::Saml,
                |_, _| {},
                "IntuneAuthService",
            ),
            (
                "unlicensed",
                Os::Ios,
                SsoType::Office365,
                |_, l| {
                    l.insert("IsLicensed".into(), "false".into());
                },
                "license",
            ),
            (
                "enterprise",
                Os::Ios,
                SsoType::Office365,
                |_, l| {
                    l.insert("SkuShortName".into(), "enterprise".into());
                },
                "license",
            ),
            (
                "E20",
                Os::Ios,
                SsoType::Office365,
                |_, l| {
                    l.insert("SkuShortName".into(), "E20".into());
                },
                "license",
            ),
            (
                "no sku",
                Os::Ios,
                SsoType::Office365,
                |_, l| {
                    l.remove("SkuShortName");
                },
                "license",
            ),
        ];
        for (name, os, sso, brk, want) in cases {
            let (mut c, mut l) = good();
            brk(&mut c, &mut l);
            match decide(os, sso, &c, &l) {
                Preflight::WebSsoFallback { reason } => {
                    assert!(reason.contains(want), "{name}: {reason}")
                }
                other => panic!("{name}: {other:?}"),
            }
        }
    }

    #[test]
    fn enforcement_predicate() {
        let (c, l) = good();
        assert!(intune_enforced(&c, &l));
        let mut no_auth = c.clone();
        no_auth.remove("IntuneAuthService");
        assert!(!intune_enforced(&no_auth, &l));
        assert!(!intune_enforced(&c, &StringMap::new()));
    }
}
