//! The boundaries of the client core: MSAL, the Intune SDK, the server API and the platform.
//! In-test implementations drive the state machine; [`crate::http`] has the real ones.

use async_trait::async_trait;
use serde_json::Value;
use tokio::sync::mpsc;

use crate::model::{
    ApiError, Credentials, EnrollmentOutcome, IntuneEvent, IntuneLoginBody, LoginSuccess,
    MsalError, MsalIdentity, MsalTokens, Os, ServerEvent, StringMap,
};

/// MSAL: tokens from Entra for a user.
#[async_trait]
pub trait Msal: Send + Sync {
    /// A fresh access token for `scopes`, signing in `upn` (MSAL `login(serverUrl, scopes)`).
    async fn acquire_token(
        &self,
        server_url: &str,
        upn: &str,
        scopes: &[String],
    ) -> Result<MsalTokens, MsalError>;
}

/// The Intune App SDK.
#[async_trait]
pub trait IntuneSdk: Send + Sync {
    /// Whether the server's identity is enrolled and managed (`isManagedServer`).
    async fn is_managed(&self, server_url: &str) -> bool;
    /// Enrolls the identity for the server; the future resolves when the outcome arrives.
    async fn enroll(&self, server_url: &str, identity: &MsalIdentity) -> EnrollmentOutcome;
    /// The policy that applies to the server, if managed.
    async fn policy(&self, server_url: &str) -> Option<Value>;
    /// Deregisters the server's identity (`deregisterAndUnenroll`), wiping if asked.
    async fn deregister(&self, server_url: &str, wipe: bool);
    /// Reports a selective wipe as done (`reportWipeComplete`).
    async fn report_wipe(&self, oid: &str, success: bool);
    /// The SDK's event stream; `None` when the SDK has no more events for now.
    async fn next_event(&self) -> Option<IntuneEvent>;
}

/// The Mattermost server API subset the app uses (CONTRACT §2–§4).
#[async_trait]
pub trait ServerApi: Send + Sync {
    /// `GET /api/v4/config/client?format=old`.
    async fn client_config(&self, server_url: &str) -> Result<StringMap, ApiError>;
    /// `GET /api/v4/license/client?format=old`.
    async fn client_license(&self, server_url: &str) -> Result<StringMap, ApiError>;
    /// `POST /oauth/intune`.
    async fn login_intune(
        &self,
        server_url: &str,
        body: &IntuneLoginBody,
    ) -> Result<LoginSuccess, ApiError>;
    /// `GET /api/v4/users/me`.
    async fn me(&self, server_url: &str, credentials: &Credentials) -> Result<Value, ApiError>;
    /// `POST /api/v4/users/logout`.
    async fn logout(&self, server_url: &str, credentials: &Credentials) -> Result<(), ApiError>;
    /// `GET /api/v4/websocket`: the events, `hello` first.
    async fn events(
        &self,
        server_url: &str,
        credentials: &Credentials,
    ) -> Result<mpsc::Receiver<ServerEvent>, ApiError>;
}

/// The device platform.
pub trait Platform: Send + Sync {
    /// iOS or Android.
    fn os(&self) -> Os;
}

/// A platform fixed at construction (the simulator's `--platform`).
#[derive(Debug, Clone, Copy)]
pub struct FixedPlatform(pub Os);

impl Platform for FixedPlatform {
    fn os(&self) -> Os {
        self.0
    }
}
