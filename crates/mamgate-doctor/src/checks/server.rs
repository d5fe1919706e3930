//! Check 4: the server's IntuneSettings, provider, license and cloud (seed Step 3).

use mamgate_core::config::{IntuneAuthService, KNOWN_CLOUDS};
use mamgate_core::identity::guid_eq;
use mamgate_core::license::{sku_name, sku_tier, License, ENTERPRISE_ADVANCED_TIER};
use mamgate_core::{Config, ErrorId};

use super::Ctx;
use crate::finding::{Finding, Status};
use crate::remote::ServerFacts;

const SETTINGS: (&str, &str) = (
    "server.intune_settings",
    "IntuneSettings are enabled and valid",
);
const PROVIDER: (&str, &str) = (
    "server.provider_enabled",
    "The enforced provider is enabled",
);
const IDS: (&str, &str) = (
    "server.ids_match",
    "TenantId and ClientId match the registration",
);
const LICENSE: (&str, &str) = (
    "server.license",
    "License tier is Enterprise Advanced or higher",
);
const AUTHORITY: (&str, &str) = ("server.authority_host", "AuthorityHost is a known cloud");

pub(super) fn check(ctx: &Ctx<'_>) -> Vec<Finding> {
    let Some(config) = &ctx.inputs.config else {
        return [SETTINGS, PROVIDER, IDS, LICENSE, AUTHORITY]
            .iter()
            .map(|(n, t)| Finding::skipped(4, n, t, &["--config"]))
            .collect();
    };
    vec![
        settings(config),
        provider(config),
        ids(ctx, config),
        license(ctx, config),
        authority(ctx, config),
    ]
}

fn settings(config: &Config) -> Finding {
    let intune = &config.intune_settings;
    let f = Finding::new(4, SETTINGS.0, SETTINGS.1, Status::Fail)
        .why("The server answers every mobile Intune sign-in with not_configured until IntuneSettings are enabled and valid.")
        .next("System Console > Environment > Mobile Security: enable Intune MAM, set Tenant ID and Application (Client) ID as GUIDs, and Auth Provider office365 or saml.");
    if !intune.enable {
        return f
            .found("IntuneSettings.Enable is false")
            .errors(&[ErrorId::IntuneNotConfigured]);
    }
    match intune.validate() {
        Ok(()) => Finding {
            status: Status::Pass,
            ..f
        }
        .found(format!(
            "enabled; TenantId {}, ClientId {}, AuthService {}",
            intune.tenant_id, intune.client_id, intune.auth_service
        )),
        Err(e) => f
            .found(e.detail.clone())
            .errors(&[e.id, ErrorId::IntuneNotConfigured]),
    }
}

fn provider(config: &Config) -> Finding {
    let f = Finding::new(4, PROVIDER.0, PROVIDER.1, Status::Pass)
        .why("Intune MAM enforcement applies to the provider selected in IntuneSettings.AuthService; that provider must be enabled.")
        .next("Enable the provider the users sign in with (Office365Settings.Enable for OpenID Connect, SamlSettings.Enable for SAML), or select the one they use.");
    let Some(service) = config.intune_settings.auth_service() else {
        return Finding {
            status: Status::Skipped,
            ..f
        }
        .found(format!(
            "AuthService {:?} names no provider (see server.intune_settings)",
            config.intune_settings.auth_service
        ));
    };
    let (enabled, setting, id) = match service {
        IntuneAuthService::Office365 => (
            config.office365_settings.enable,
            "Office365Settings.Enable",
            ErrorId::ConfigIntuneRequiresOffice365,
        ),
        IntuneAuthService::Saml => (
            config.saml_settings.enable,
            "SamlSettings.Enable",
            ErrorId::ConfigIntuneRequiresSaml,
        ),
    };
    if enabled {
        return f.found(format!(
            "AuthService {} with {setting} true",
            service.as_str()
        ));
    }
    Finding {
        status: Status::Fail,
        ..f
    }
    .found(format!(
        "AuthService {} but {setting} is false",
        service.as_str()
    ))
    .errors(&[id, ErrorId::LoginNotConfigured])
}

fn ids(ctx: &Ctx<'_>, config: &Config) -> Finding {
    let intune = &config.intune_settings;
    let f = Finding::new(4, IDS.0, IDS.1, Status::Pass)
        .why("Tokens are accepted only with tid = TenantId and aud = ClientId: the ids must be those of the Entra app registration.")
        .next("Copy Directory (tenant) ID and Application (client) ID from the app registration's overview into the System Console.");
    let mut seen = Vec::new();
    let mut problems = Vec::new();
    let mut errors = Vec::new();
    if let Some((app, source)) = &ctx.app {
        if guid_eq(&app.app_id, intune.client_id.trim()) {
            seen.push(format!("ClientId = appId {} ({source})", app.app_id));
        } else {
            problems.push(format!(
                "ClientId {:?} but the registration's appId is {}",
                intune.client_id, app.app_id
            ));
            errors.push(ErrorId::InvalidToken);
        }
    }
    if let Some(t) = &ctx.inputs.tenant {
        if guid_eq(&t.tenant_id, intune.tenant_id.trim()) {
            seen.push(format!("TenantId = tenant file's {}", t.tenant_id));
        } else {
            problems.push(format!(
                "TenantId {:?} but the tenant is {}",
                intune.tenant_id, t.tenant_id
            ));
            errors.push(ErrorId::InvalidTenantId);
        }
    }
    if seen.is_empty() && problems.is_empty() {
        return Finding {
            status: Status::Skipped,
            ..f
        }
        .found("not checked: needs the registration (--manifest or --tenant)")
        .needs("--manifest")
        .needs("--tenant");
    }
    if problems.is_empty() {
        let f = f.found(seen.join("; "));
        return if ctx.inputs.tenant.is_none() {
            f.needs("--tenant")
        } else {
            f
        };
    }
    Finding {
        status: Status::Fail,
        ..f
    }
    .found(problems.join("; "))
    .errors(&errors)
}

fn license(ctx: &Ctx<'_>, config: &Config) -> Finding {
    let f = Finding::new(4, LICENSE.0, LICENSE.1, Status::Fail)
        .why("Intune MAM needs an Enterprise Advanced license; below it the server refuses mobile Intune sign-in and the app falls back to web SSO.")
        .next("Install an active Enterprise Advanced license signed by a key in LicenseSettings.TrustedPublicKeys.")
        .errors(&[ErrorId::LoginNotConfigured, ErrorId::NotLicensed]);
    let (file, source) = match (&ctx.inputs.license, &ctx.store.license) {
        (Some(l), _) => (l, "--license"),
        (None, Some(l)) => (l, "the store"),
        (None, None) if ctx.store.opened.is_some() => {
            return f.found("no license is installed in the store")
        }
        (None, None) => match &ctx.inputs.server {
            Some(server) => return server_license(f, server, ctx.now_secs),
            None => return Finding::skipped(4, LICENSE.0, LICENSE.1, &["--license", "--store"]),
        },
    };
    let now_ms = ctx.now_secs.saturating_mul(1000);
    match License::verify(file, &config.license_settings.trusted_public_keys, now_ms) {
        Ok(l) if l.is_enterprise_advanced() => Finding {
            status: Status::Pass,
            error_ids: Vec::new(),
            ..f
        }
        .found(format!(
            "{} license {} for {} (from {source}), active",
            sku_name(&l.sku_short_name),
            l.id,
            l.customer.name
        )),
        Ok(l) => f.found(format!(
            "{} license {} (from {source}) is below Enterprise Advanced",
            sku_name(&l.sku_short_name),
            l.id
        )),
        Err(e) => f
            .found(format!("the license from {source} is refused: {e}"))
            .errors(&[e.error_id(), ErrorId::LoginNotConfigured]),
    }
}

/// The license check over what a running server exposes: tier and `IsLicensed`, not the file.
fn server_license(f: Finding, server: &ServerFacts, now_secs: i64) -> Finding {
    let l = &server.license;
    let source = format!("from the running server {}", server.url);
    if !l.is_licensed {
        return f.found(format!("no license is in force ({source})"));
    }
    let name = sku_name(&l.sku_short_name);
    if l.expires_at
        .is_some_and(|t| t <= now_secs.saturating_mul(1000))
    {
        return f
            .found(format!("{name} license {} ({source}) has expired", l.id))
            .errors(&[ErrorId::LicenseExpired, ErrorId::LoginNotConfigured]);
    }
    if sku_tier(&l.sku_short_name) < ENTERPRISE_ADVANCED_TIER {
        return f.found(format!(
            "{name} license {} ({source}) is below Enterprise Advanced",
            l.id
        ));
    }
    Finding {
        status: Status::Pass,
        error_ids: Vec::new(),
        ..f
    }
    .found(format!(
        "{name} license {} for {} ({source}), in force",
        l.id, l.customer
    ))
}

/// `http(s)://127.0.0.1`, `localhost` or `[::1]`, any port: the sandbox's emulator.
fn is_loopback(host: &str) -> bool {
    let rest = host
        .strip_prefix("http://")
        .or_else(|| host.strip_prefix("https://"))
        .unwrap_or(host);
    let name = if rest.starts_with('[') {
        rest.split(']')
            .next()
            .map(|s| format!("{s}]"))
            .unwrap_or_default()
    } else {
        rest.split(':').next().unwrap_or_default().to_string()
    };
    matches!(name.as_str(), "127.0.0.1" | "localhost" | "[::1]")
}

fn authority(ctx: &Ctx<'_>, config: &Config) -> Finding {
    let host = config.intune_settings.authority();
    let f = Finding::new(4, AUTHORITY.0, AUTHORITY.1, Status::Pass)
        .why("The server fetches discovery and signing keys from {AuthorityHost}/{TenantId}/v2.0 and checks the issuer of that cloud.")
        .next("Set IntuneSettings.AuthorityHost to the tenant's cloud: https://login.microsoftonline.com (Global), .us (US Government) or login.partner.microsoftonline.cn (China), or the emulator's URL in the sandbox.");
    let cloud = KNOWN_CLOUDS
        .iter()
        .find(|(h, _)| h.eq_ignore_ascii_case(host));
    let tenant_host = ctx
        .inputs
        .tenant
        .as_ref()
        .map(|t| t.authority().to_string());
    let mut f = match (cloud, is_loopback(host)) {
        (Some((_, name)), _) => f.found(format!("{host} ({name} cloud)")),
        (None, true) => f.found(format!("{host} (a loopback emulator)")),
        (None, false) => {
            return Finding {
                status: Status::Fail,
                ..f
            }
            .found(format!(
                "{host} is neither a known Entra cloud nor a loopback emulator"
            ))
            .errors(&[ErrorId::JwksInit, ErrorId::InvalidToken])
        }
    };
    if let Some(t) = tenant_host.filter(|t| !t.eq_ignore_ascii_case(host)) {
        f = Finding {
            status: Status::Warn,
            ..f
        };
        f.found = format!("{}; the tenant file's emulator is at {t}", f.found);
    }
    f
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn loopback_hosts() {
        assert!(is_loopback("http://127.0.0.1:8443"));
        assert!(is_loopback("http://localhost"));
        assert!(is_loopback("http://[::1]:9"));
        assert!(!is_loopback("https://login.example.com"));
        assert!(!is_loopback("http://127.0.0.1.evil.example"));
    }
}
