//! Configuration in Mattermost's `config.json` shape (CONTRACT §5).
//!
//! Each section is a typed struct with Mattermost's key names; keys this build does not know
//! are kept in `extra` so a load/save round trip never drops an admin's settings.

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use crate::catalog::ErrorId;
use crate::identity::is_guid;

/// The default public-cloud authority host.
pub const DEFAULT_AUTHORITY_HOST: &str = "https://login.microsoftonline.com";

/// The real Entra clouds: authority host and the host of v2 issuers.
pub const KNOWN_CLOUDS: &[(&str, &str)] = &[
    ("https://login.microsoftonline.com", "Global"),
    ("https://login.microsoftonline.us", "US Government"),
    (
        "https://login.partner.microsoftonline.cn",
        "China (21Vianet)",
    ),
];

/// Shown instead of a secret by `GET /api/v4/config`.
pub const MASKED: &str = "********";

macro_rules! section {
    ($(#[$doc:meta])* $name:ident { $( $(#[$fdoc:meta])* $field:ident : $ty:ty = $default:expr, )* }) => {
        $(#[$doc])*
        #[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
        #[serde(rename_all = "PascalCase", default)]
        pub struct $name {
            $( $(#[$fdoc])* pub $field: $ty, )*
            /// Keys this build does not know, kept as they were.
            #[serde(flatten)]
            pub extra: Map<String, Value>,
        }
        impl Default for $name {
            fn default() -> Self {
                Self { $( $field: $default, )* extra: Map::new() }
            }
        }
    };
}

section!(
    /// `ServiceSettings`.
    ServiceSettings {
        #[serde(rename = "SiteURL")]
        site_url: String = String::new(),
        listen_address: String = ":8065".into(),
        enable_developer: bool = false,
        session_length_web_in_hours: i64 = 720,
        session_length_mobile_in_hours: i64 = 720,
        #[serde(rename = "SessionLengthSSOInHours")]
        session_length_sso_in_hours: i64 = 720,
    }
);

section!(
    /// `TeamSettings`.
    TeamSettings {
        site_name: String = "Mattermost".into(),
        enable_user_creation: bool = true,
    }
);

section!(
    /// `SqlSettings`.
    SqlSettings {
        driver_name: String = "sqlite".into(),
        data_source: String = "./data/mamgate.db".into(),
    }
);

section!(
    /// `EmailSettings`.
    EmailSettings {
        enable_sign_in_with_email: bool = true,
        enable_sign_in_with_username: bool = true,
        enable_sign_up_with_email: bool = true,
    }
);

section!(
    /// `IntuneSettings`, with mamgate's `AuthorityHost` extension.
    IntuneSettings {
        enable: bool = false,
        tenant_id: String = String::new(),
        client_id: String = String::new(),
        auth_service: String = String::new(),
        authority_host: String = DEFAULT_AUTHORITY_HOST.into(),
    }
);

section!(
    /// `Office365Settings` (OpenID Connect web sign-in with Entra).
    Office365Settings {
        enable: bool = false,
        secret: String = String::new(),
        id: String = String::new(),
        scope: String = "User.Read".into(),
        directory_id: String = String::new(),
        /// Empty: derived from IntuneSettings.AuthorityHost and DirectoryId.
        auth_endpoint: String = String::new(),
        token_endpoint: String = String::new(),
        #[serde(rename = "UserAPIEndpoint")]
        user_api_endpoint: String = String::new(),
    }
);

section!(
    /// `SamlSettings`.
    SamlSettings {
        enable: bool = false,
        enable_sync_with_ldap: bool = false,
        verify: bool = true,
        #[serde(rename = "IdpURL")]
        idp_url: String = String::new(),
        idp_descriptor_url: String = String::new(),
        idp_certificate_file: String = String::new(),
        service_provider_identifier: String = String::new(),
        #[serde(rename = "AssertionConsumerServiceURL")]
        assertion_consumer_service_url: String = String::new(),
        id_attribute: String = String::new(),
        email_attribute: String = "http://schemas.xmlsoap.org/ws/2005/05/identity/claims/emailaddress".into(),
        username_attribute: String = String::new(),
        first_name_attribute: String = String::new(),
        last_name_attribute: String = String::new(),
    }
);

section!(
    /// `LdapSettings`.
    LdapSettings {
        enable: bool = false,
        enable_sync: bool = false,
        ldap_server: String = String::new(),
        ldap_port: i64 = 389,
        connection_security: String = String::new(),
        /// With `TLS`/`STARTTLS`: accept any server certificate (Mattermost's setting; not for production).
        skip_certificate_verification: bool = false,
        #[serde(rename = "BaseDN")]
        base_dn: String = String::new(),
        bind_username: String = String::new(),
        bind_password: String = String::new(),
        user_filter: String = String::new(),
        id_attribute: String = String::new(),
        login_id_attribute: String = String::new(),
        username_attribute: String = String::new(),
        email_attribute: String = String::new(),
        first_name_attribute: String = String::new(),
        last_name_attribute: String = String::new(),
        sync_interval_minutes: i64 = 60,
    }
);

section!(
    /// `LicenseSettings`: which Ed25519 keys may sign licenses.
    LicenseSettings {
        trusted_public_keys: Vec<String> = Vec::new(),
    }
);

section!(
    /// `LogSettings`.
    LogSettings {
        console_level: String = "INFO".into(),
        console_json: bool = true,
    }
);

section!(
    /// `NativeAppSettings`.
    NativeAppSettings {
        mobile_external_browser: bool = false,
    }
);

/// The whole configuration document.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
#[serde(rename_all = "PascalCase", default)]
pub struct Config {
    pub service_settings: ServiceSettings,
    pub team_settings: TeamSettings,
    pub sql_settings: SqlSettings,
    pub email_settings: EmailSettings,
    pub intune_settings: IntuneSettings,
    pub office365_settings: Office365Settings,
    pub saml_settings: SamlSettings,
    pub ldap_settings: LdapSettings,
    pub license_settings: LicenseSettings,
    pub log_settings: LogSettings,
    pub native_app_settings: NativeAppSettings,
    /// Sections this build does not know, kept as they were.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// A validation failure: the catalog id and the technical reason.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("{id}: {detail}")]
pub struct ConfigError {
    pub id: ErrorId,
    pub detail: String,
}

impl ConfigError {
    fn new(id: ErrorId, detail: impl Into<String>) -> Self {
        Self {
            id,
            detail: detail.into(),
        }
    }
}

/// Which provider Intune MAM enforces.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum IntuneAuthService {
    Office365,
    Saml,
}

impl IntuneAuthService {
    /// Exactly `office365` or `saml` (case-sensitive, as Mattermost).
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "office365" => Some(Self::Office365),
            "saml" => Some(Self::Saml),
            _ => None,
        }
    }

    /// The `AuthService` value users of this provider carry.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Office365 => "office365",
            Self::Saml => "saml",
        }
    }
}

impl IntuneSettings {
    /// `IntuneSettings.IsValid()`: checks 1–6 of CONTRACT §5 in order, then AuthorityHost.
    /// Skipped when `Enable` is false.
    pub fn validate(&self) -> Result<(), ConfigError> {
        if !self.enable {
            return Ok(());
        }
        if self.tenant_id.is_empty() {
            return Err(ConfigError::new(
                ErrorId::ConfigIntuneTenantId,
                "TenantId is required",
            ));
        }
        if !is_guid(&self.tenant_id) {
            return Err(ConfigError::new(
                ErrorId::ConfigIntuneTenantIdFormat,
                format!("TenantId {:?} is not a UUID", self.tenant_id),
            ));
        }
        if self.client_id.is_empty() {
            return Err(ConfigError::new(
                ErrorId::ConfigIntuneClientId,
                "ClientId is required",
            ));
        }
        if !is_guid(&self.client_id) {
            return Err(ConfigError::new(
                ErrorId::ConfigIntuneClientIdFormat,
                format!("ClientId {:?} is not a UUID", self.client_id),
            ));
        }
        if self.auth_service.is_empty() {
            return Err(ConfigError::new(
                ErrorId::ConfigIntuneAuthService,
                "AuthService is required",
            ));
        }
        if IntuneAuthService::parse(&self.auth_service).is_none() {
            return Err(ConfigError::new(
                ErrorId::ConfigIntuneAuthServiceInvalid,
                "AuthService must be 'office365' or 'saml'",
            ));
        }
        if !is_authority_host(&self.authority_host) {
            return Err(ConfigError::new(
                ErrorId::ConfigIntuneAuthorityHost,
                format!(
                    "AuthorityHost {:?} is not an http(s) URL without a path",
                    self.authority_host
                ),
            ));
        }
        Ok(())
    }

    /// Enabled and valid: what `IntuneMAMEnabled` reports.
    pub fn is_configured(&self) -> bool {
        self.enable && self.validate().is_ok()
    }

    /// The enforced provider, when configured.
    pub fn auth_service(&self) -> Option<IntuneAuthService> {
        IntuneAuthService::parse(&self.auth_service)
    }

    /// `api://<ClientId>/login.mattermost`, ClientId verbatim.
    pub fn scope(&self) -> String {
        format!("api://{}/login.mattermost", self.client_id)
    }

    /// The authority host without a trailing slash.
    pub fn authority(&self) -> &str {
        self.authority_host.trim_end_matches('/')
    }

    /// `{AuthorityHost}/{TenantId}/v2.0/.well-known/openid-configuration`.
    pub fn discovery_url(&self) -> String {
        format!(
            "{}/{}/v2.0/.well-known/openid-configuration",
            self.authority(),
            self.tenant_id
        )
    }
}

fn is_authority_host(s: &str) -> bool {
    let rest = match s
        .strip_prefix("https://")
        .or_else(|| s.strip_prefix("http://"))
    {
        Some(r) => r.trim_end_matches('/'),
        None => return false,
    };
    !rest.is_empty() && !rest.contains('/') && !rest.contains(char::is_whitespace)
}

impl Config {
    /// `Config.IsValid()`: IntuneSettings first, then the cross-checks with the providers.
    pub fn validate(&self) -> Result<(), ConfigError> {
        self.intune_settings.validate()?;
        let intune = &self.intune_settings;
        if intune.enable {
            match intune.auth_service() {
                Some(IntuneAuthService::Office365) if !self.office365_settings.enable => {
                    return Err(ConfigError::new(
                        ErrorId::ConfigIntuneRequiresOffice365,
                        "Office365Settings.Enable is false",
                    ))
                }
                Some(IntuneAuthService::Saml) if !self.saml_settings.enable => {
                    return Err(ConfigError::new(
                        ErrorId::ConfigIntuneRequiresSaml,
                        "SamlSettings.Enable is false",
                    ))
                }
                _ => {}
            }
        }
        Ok(())
    }

    /// Parses a config document; missing keys take their defaults.
    pub fn from_json(text: &str) -> Result<Self, ConfigError> {
        serde_json::from_str(text)
            .map_err(|e| ConfigError::new(ErrorId::ConfigInvalidJson, e.to_string()))
    }

    /// Parses a JSON value; missing keys take their defaults.
    pub fn from_value(value: Value) -> Result<Self, ConfigError> {
        serde_json::from_value(value)
            .map_err(|e| ConfigError::new(ErrorId::ConfigInvalidJson, e.to_string()))
    }

    /// The document as pretty JSON (defaults filled in, unknown keys kept).
    pub fn to_json_pretty(&self) -> String {
        serde_json::to_string_pretty(self).unwrap_or_else(|_| "{}".into())
    }

    /// The document as a JSON value.
    pub fn to_value(&self) -> Value {
        serde_json::to_value(self).unwrap_or(Value::Null)
    }

    /// Applies `MM_<SECTION>_<SETTING>` overrides from `vars`; returns the overridden
    /// `Section.Setting` paths. A value that does not fit the setting's type is an error.
    pub fn apply_env<I, K, V>(&mut self, vars: I) -> Result<Vec<String>, ConfigError>
    where
        I: IntoIterator<Item = (K, V)>,
        K: AsRef<str>,
        V: AsRef<str>,
    {
        let mut doc = self.to_value();
        let mut applied = Vec::new();
        let wanted: Vec<(String, String)> = vars
            .into_iter()
            .filter_map(|(k, v)| {
                let k = k.as_ref();
                k.strip_prefix("MM_")
                    .map(|rest| (rest.to_ascii_uppercase(), v.as_ref().to_string()))
            })
            .collect();
        if wanted.is_empty() {
            return Ok(applied);
        }
        if let Value::Object(sections) = &mut doc {
            for (section_name, section) in sections.iter_mut() {
                let Value::Object(settings) = section else {
                    continue;
                };
                for (setting_name, current) in settings.iter_mut() {
                    let key = format!("{}_{}", section_name, setting_name).to_ascii_uppercase();
                    if let Some((_, raw)) = wanted.iter().find(|(k, _)| *k == key) {
                        *current = coerce(current, raw).map_err(|why| {
                            ConfigError::new(ErrorId::ConfigInvalidJson, format!("MM_{key}: {why}"))
                        })?;
                        applied.push(format!("{section_name}.{setting_name}"));
                    }
                }
            }
        }
        *self = Config::from_value(doc)?;
        applied.sort();
        Ok(applied)
    }

    /// A copy with every secret replaced by [`MASKED`].
    pub fn masked(&self) -> Config {
        let mut c = self.clone();
        for s in c.secrets_mut() {
            if !s.is_empty() {
                *s = MASKED.into();
            }
        }
        c
    }

    /// Where a client sent back [`MASKED`], keeps the stored secret.
    pub fn unmask_from(&mut self, stored: &Config) {
        let stored_secrets: Vec<String> = stored
            .clone()
            .secrets_mut()
            .into_iter()
            .map(|s| s.clone())
            .collect();
        for (s, old) in self.secrets_mut().into_iter().zip(stored_secrets) {
            if s == MASKED {
                *s = old;
            }
        }
    }

    fn secrets_mut(&mut self) -> Vec<&mut String> {
        vec![
            &mut self.office365_settings.secret,
            &mut self.ldap_settings.bind_password,
            &mut self.sql_settings.data_source,
        ]
    }

    /// Applies a partial document (`PUT /api/v4/config/patch`): objects merge key by key.
    pub fn patched(&self, patch: &Value) -> Result<Config, ConfigError> {
        let mut doc = self.to_value();
        merge(&mut doc, patch);
        Config::from_value(doc)
    }
}

fn merge(target: &mut Value, patch: &Value) {
    match (target, patch) {
        (Value::Object(t), Value::Object(p)) => {
            for (k, v) in p {
                match t.get_mut(k) {
                    Some(existing) if existing.is_object() && v.is_object() => merge(existing, v),
                    _ => {
                        t.insert(k.clone(), v.clone());
                    }
                }
            }
        }
        (t, p) => *t = p.clone(),
    }
}

fn coerce(current: &Value, raw: &str) -> Result<Value, String> {
    Ok(match current {
        Value::Bool(_) => match raw.trim().to_ascii_lowercase().as_str() {
            "true" | "1" => Value::Bool(true),
            "false" | "0" => Value::Bool(false),
            other => return Err(format!("{other:?} is not a boolean")),
        },
        Value::Number(_) => {
            let n: i64 = raw
                .trim()
                .parse()
                .map_err(|_| format!("{raw:?} is not a whole number"))?;
            Value::from(n)
        }
        Value::Array(_) => {
            let items = raw
                .split([' ', ','])
                .filter(|s| !s.is_empty())
                .map(|s| Value::String(s.into()));
            Value::Array(items.collect())
        }
        _ => Value::String(raw.to_string()),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const TENANT: &str = "11111111-2222-3333-4444-555555555555";
    const CLIENT: &str = "22222222-3333-4444-5555-666666666666";

    fn enabled(auth: &str) -> Config {
        let mut c = Config::default();
        c.intune_settings.enable = true;
        c.intune_settings.tenant_id = TENANT.into();
        c.intune_settings.client_id = CLIENT.into();
        c.intune_settings.auth_service = auth.into();
        c.office365_settings.enable = true;
        c.saml_settings.enable = true;
        c
    }

    #[test]
    fn each_validation_id_alone() {
        type Case = (&'static str, fn(&mut Config), Option<ErrorId>);
        let cases: &[Case] = &[
            ("valid office365", |_| {}, None),
            (
                "disabled skips checks",
                |c| {
                    c.intune_settings.enable = false;
                    c.intune_settings.tenant_id.clear();
                },
                None,
            ),
            (
                "tenant empty",
                |c| c.intune_settings.tenant_id.clear(),
                Some(ErrorId::ConfigIntuneTenantId),
            ),
            (
                "tenant domain",
                |c| c.intune_settings.tenant_id = "contoso.onmicrosoft.com".into(),
                Some(ErrorId::ConfigIntuneTenantIdFormat),
            ),
            (
                "tenant braces",
                |c| c.intune_settings.tenant_id = format!("{{{TENANT}}}"),
                Some(ErrorId::ConfigIntuneTenantIdFormat),
            ),
            (
                "client empty",
                |c| c.intune_settings.client_id.clear(),
                Some(ErrorId::ConfigIntuneClientId),
            ),
            (
                "client uri",
                |c| c.intune_settings.client_id = format!("api://{CLIENT}"),
                Some(ErrorId::ConfigIntuneClientIdFormat),
            ),
            (
                "auth empty",
                |c| c.intune_settings.auth_service.clear(),
                Some(ErrorId::ConfigIntuneAuthService),
            ),
            (
                "auth openid",
                |c| c.intune_settings.auth_service = "openid".into(),
                Some(ErrorId::ConfigIntuneAuthServiceInvalid),
            ),
            (
                "auth case",
                |c| c.intune_settings.auth_service = "Office365".into(),
                Some(ErrorId::ConfigIntuneAuthServiceInvalid),
            ),
            (
                "office365 off",
                |c| c.office365_settings.enable = false,
                Some(ErrorId::ConfigIntuneRequiresOffice365),
            ),
            (
                "saml off",
                |c| {
                    c.intune_settings.auth_service = "saml".into();
                    c.saml_settings.enable = false;
                },
                Some(ErrorId::ConfigIntuneRequiresSaml),
            ),
            (
                "authority path",
                |c| {
                    c.intune_settings.authority_host =
                        "https://login.microsoftonline.com/tenant".into()
                },
                Some(ErrorId::ConfigIntuneAuthorityHost),
            ),
            (
                "upper-case guids ok",
                |c| {
                    c.intune_settings.tenant_id = TENANT.to_uppercase();
                    c.intune_settings.client_id = CLIENT.to_uppercase();
                },
                None,
            ),
        ];
        for (name, mutate, want) in cases {
            let mut c = enabled("office365");
            mutate(&mut c);
            assert_eq!(c.validate().err().map(|e| e.id), *want, "case {name}");
        }
    }

    #[test]
    fn validation_order_first_failure_answers() {
        let mut c = enabled("bogus");
        c.office365_settings.enable = false;
        c.intune_settings.tenant_id = "x".into();
        c.intune_settings.client_id.clear();
        let steps = [
            ErrorId::ConfigIntuneTenantIdFormat,
            ErrorId::ConfigIntuneClientId,
            ErrorId::ConfigIntuneAuthServiceInvalid,
            ErrorId::ConfigIntuneRequiresOffice365,
        ];
        for want in steps {
            let got = c.validate().unwrap_err().id;
            assert_eq!(got, want);
            match got {
                ErrorId::ConfigIntuneTenantIdFormat => c.intune_settings.tenant_id = TENANT.into(),
                ErrorId::ConfigIntuneClientId => c.intune_settings.client_id = CLIENT.into(),
                ErrorId::ConfigIntuneAuthServiceInvalid => {
                    c.intune_settings.auth_service = "office365".into()
                }
                _ => c.office365_settings.enable = true,
            }
        }
        assert!(c.validate().is_ok());
        c.intune_settings.tenant_id.clear();
        c.intune_settings.auth_service.clear();
        assert_eq!(c.validate().unwrap_err().id, ErrorId::ConfigIntuneTenantId);
    }

    #[test]
    fn unknown_keys_survive_round_trip() {
        let text = r#"{"ServiceSettings":{"SiteURL":"https://chat","Custom":1},"PluginSettings":{"Enable":true}}"#;
        let c = Config::from_json(text).unwrap();
        let back = c.to_value();
        assert_eq!(back["ServiceSettings"]["Custom"], 1);
        assert_eq!(back["PluginSettings"]["Enable"], true);
        assert_eq!(back["ServiceSettings"]["ListenAddress"], ":8065");
        assert_eq!(
            back["IntuneSettings"]["AuthorityHost"],
            DEFAULT_AUTHORITY_HOST
        );
    }

    #[test]
    fn env_overrides_apply_with_types() {
        let mut c = Config::default();
        let applied = c
            .apply_env([
                ("MM_INTUNESETTINGS_ENABLE", "true"),
                ("MM_INTUNESETTINGS_TENANTID", TENANT),
                ("MM_SERVICESETTINGS_SESSIONLENGTHWEBINHOURS", "24"),
                ("PATH", "/bin"),
            ])
            .unwrap();
        assert!(c.intune_settings.enable);
        assert_eq!(c.intune_settings.tenant_id, TENANT);
        assert_eq!(c.service_settings.session_length_web_in_hours, 24);
        assert_eq!(
            applied,
            [
                "IntuneSettings.Enable",
                "IntuneSettings.TenantId",
                "ServiceSettings.SessionLengthWebInHours"
            ]
        );
        let err = c
            .apply_env([("MM_INTUNESETTINGS_ENABLE", "maybe")])
            .unwrap_err();
        assert_eq!(err.id, ErrorId::ConfigInvalidJson);
    }

    #[test]
    fn secrets_are_masked_and_kept() {
        let mut c = Config::default();
        c.office365_settings.secret = "s3cret".into();
        let masked = c.masked();
        assert_eq!(masked.office365_settings.secret, MASKED);
        let mut incoming = masked.clone();
        incoming.unmask_from(&c);
        assert_eq!(incoming.office365_settings.secret, "s3cret");
    }

    #[test]
    fn patch_merges() {
        let c = Config::default();
        let p = serde_json::json!({"IntuneSettings": {"Enable": true}});
        let n = c.patched(&p).unwrap();
        assert!(n.intune_settings.enable);
        assert_eq!(n.intune_settings.authority_host, DEFAULT_AUTHORITY_HOST);
    }
}
