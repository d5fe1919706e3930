//! Values exchanged between the client core and its ports (mobile-client-facts §2).

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use serde_json::Value;

/// The flat string maps of `config/client` and `license/client` (CONTRACT §3).
pub type StringMap = BTreeMap<String, String>;

/// The operating system the app runs on; Intune MAM exists on iOS only.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default, clap::ValueEnum)]
#[serde(rename_all = "lowercase")]
pub enum Os {
    #[default]
    Ios,
    Android,
}

impl Os {
    /// The device-id prefix the production app sends (mobile-client-facts §5.1).
    pub fn device_prefix(self) -> &'static str {
        match self {
            Os::Ios => "apple_rn-v2",
            Os::Android => "android_rn-v2",
        }
    }
}

/// The SSO button the user tapped.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default, clap::ValueEnum)]
#[serde(rename_all = "lowercase")]
pub enum SsoType {
    #[default]
    Office365,
    Saml,
}

impl SsoType {
    /// The `auth_service` name of this SSO type.
    pub fn as_str(self) -> &'static str {
        match self {
            SsoType::Office365 => "office365",
            SsoType::Saml => "saml",
        }
    }
}

/// Who MSAL signed in (`MSALIdentity`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct MsalIdentity {
    pub upn: String,
    pub tid: String,
    pub oid: String,
}

/// What MSAL returns (`MSALTokens`); only `access_token` goes to the server.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct MsalTokens {
    pub access_token: String,
    pub id_token: String,
    pub identity: MsalIdentity,
}

/// An MSAL failure (canceled, AADSTS error, transport).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub struct MsalError {
    /// `AADSTS65001`, `canceled`, `transport`, ...
    pub code: String,
    pub message: String,
}

/// The result of an Intune enrollment, delivered after `enroll` (CLIENT.md table).
#[derive(Debug, Clone, PartialEq)]
pub enum EnrollmentOutcome {
    /// Enrolled; the policy that applies to every server of `oid`.
    Enrolled { oid: String, policy: Option<Value> },
    /// The user declined the enrollment prompt.
    Declined,
    /// MSAL error, Intune API failure, not licensed, not targeted, consent missing.
    Failed { reason: String },
}

/// An Intune SDK notification (mobile-client-facts §2, events).
#[derive(Debug, Clone, PartialEq)]
pub enum IntuneEvent {
    EnrollmentChanged {
        oid: String,
        enrolled: bool,
        server_urls: Vec<String>,
    },
    PolicyChanged {
        oid: String,
        policy: Option<Value>,
        server_urls: Vec<String>,
    },
    WipeRequested {
        oid: String,
        server_urls: Vec<String>,
    },
    AuthRequired {
        oid: String,
        reason: String,
        server_urls: Vec<String>,
    },
    ConditionalLaunchBlocked {
        oid: String,
        reason: String,
        server_urls: Vec<String>,
    },
    IdentitySwitchRequired {
        oid: String,
        reason: String,
        server_urls: Vec<String>,
    },
    ComplianceFailed {
        oid: String,
        reason: String,
        server_urls: Vec<String>,
    },
}

impl IntuneEvent {
    /// The servers the event concerns.
    pub fn server_urls(&self) -> &[String] {
        match self {
            IntuneEvent::EnrollmentChanged { server_urls, .. }
            | IntuneEvent::PolicyChanged { server_urls, .. }
            | IntuneEvent::WipeRequested { server_urls, .. }
            | IntuneEvent::AuthRequired { server_urls, .. }
            | IntuneEvent::ConditionalLaunchBlocked { server_urls, .. }
            | IntuneEvent::IdentitySwitchRequired { server_urls, .. }
            | IntuneEvent::ComplianceFailed { server_urls, .. } => server_urls,
        }
    }
}

/// A server websocket event the core acts on.
#[derive(Debug, Clone, PartialEq)]
pub enum ServerEvent {
    Hello,
    ConfigChanged(StringMap),
    LicenseChanged(StringMap),
    /// Anything else (`user_updated`, ...), by name.
    Other(String),
}

/// The body of `POST /oauth/intune`; all three keys are always sent.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct IntuneLoginBody {
    pub access_token: String,
    pub device_id: String,
    pub voip_device_id: String,
}

/// A session: the "keychain" entry of one server.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Credentials {
    pub token: String,
    /// From the `MMCSRF` cookie; sent as `X-CSRF-Token` on non-GET requests.
    pub csrf: String,
}

/// A successful `POST /oauth/intune`.
#[derive(Debug, Clone, PartialEq)]
pub struct LoginSuccess {
    pub user: Value,
    pub credentials: Credentials,
}

/// A failed server call: the AppError fields, or a transport failure (status 0).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message} ({id}, HTTP {status})")]
pub struct ApiError {
    pub status: u16,
    pub id: String,
    pub message: String,
}

impl ApiError {
    /// A failure with no HTTP answer.
    pub fn transport(message: impl Into<String>) -> ApiError {
        ApiError {
            status: 0,
            id: String::new(),
            message: message.into(),
        }
    }
}
