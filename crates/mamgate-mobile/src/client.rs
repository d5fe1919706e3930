//! The client core: sign-in, logout, server switch and content reads on a [`Device`]
//! (CLIENT.md "Sign-in"; mobile-client-facts §5). Enrollment and enforcement are in `enforce`,
//! SDK and websocket events in `events`.

use std::sync::Arc;

use serde_json::Value;

use crate::device::{normalize_url, Device, ServerDb};
use crate::error::MobileError;
use crate::model::{
    ApiError, EnrollmentOutcome, IntuneLoginBody, MsalError, MsalTokens, SsoType, StringMap,
};
use crate::ports::{IntuneSdk, Msal, Platform, ServerApi};
use crate::preflight::{self, Preflight};

/// The four boundaries a client runs against.
#[derive(Clone)]
pub struct Ports {
    pub msal: Arc<dyn Msal>,
    pub intune: Arc<dyn IntuneSdk>,
    pub server: Arc<dyn ServerApi>,
    pub platform: Arc<dyn Platform>,
}

/// The app on one device.
pub struct MobileClient {
    /// The device folder; public so callers can inspect what is persisted.
    pub device: Device,
    pub(crate) ports: Ports,
}

/// What a sign-in attempt ended with.
#[derive(Debug, Clone, PartialEq)]
pub enum LoginOutcome {
    /// Preflight chose web SSO (the simulator cannot do web SSO; it reports why).
    WebSsoFallback { reason: String },
    /// MSAL or the server refused; nothing was persisted or wiped.
    Failed {
        status: u16,
        id: String,
        message: String,
    },
    /// Signed in; what happened with Intune enrollment.
    SignedIn {
        user_id: String,
        username: String,
        enrollment: EnrollmentStatus,
    },
}

/// Where a server stands with Intune after sign-in or an enrollment attempt.
#[derive(Debug, Clone, PartialEq)]
pub enum EnrollmentStatus {
    /// The SDK already manages this server's identity; no enrollment needed.
    AlreadyManaged,
    /// Enrolled; policy applied to every server of the oid.
    Enrolled { oid: String },
    /// "Enrollment Declined": nothing wiped, still not usable until enrolled.
    Declined,
    /// "Enrollment Failed": logged out, server removed, only its data wiped.
    Failed { reason: String },
}

/// The result of a content read.
#[derive(Debug, Clone, PartialEq)]
pub enum ReadOutcome {
    /// The content (`/api/v4/users/me`).
    Content(Value),
    /// Refused: enrollment is required and not done.
    Blocked { site_name: String, declined: bool },
    /// The server no longer accepts the session; its data was wiped, the row kept.
    SessionExpired { message: String },
}

impl MobileClient {
    /// A client on `device` with `ports`; the device takes the platform's OS.
    pub fn new(mut device: Device, ports: Ports) -> MobileClient {
        device.file.platform = ports.platform.os();
        MobileClient { device, ports }
    }

    /// The active server, if any.
    pub fn active(&self) -> Option<&str> {
        self.device.file.active.as_deref()
    }

    /// Adds a server row (the "add server" screen): reads its site name.
    pub async fn add_server(&mut self, url: &str) -> Result<String, MobileError> {
        let url = normalize_url(url);
        let config = self
            .ports
            .server
            .client_config(&url)
            .await
            .map_err(|e| MobileError::api(&url, e))?;
        let site = config.get("SiteName").cloned().unwrap_or_default();
        self.device.upsert_server(&url, &site)?;
        if self.device.file.active.is_none() {
            self.device.file.active = Some(url);
            self.device.save()?;
        }
        Ok(site)
    }

    /// The pre-login config and license, and the preflight decision on them.
    pub async fn preflight(
        &self,
        url: &str,
        sso: SsoType,
    ) -> Result<(Preflight, StringMap, StringMap), ApiError> {
        let config = self.ports.server.client_config(url).await?;
        let license = self.ports.server.client_license(url).await?;
        Ok((
            preflight::decide(self.ports.platform.os(), sso, &config, &license),
            config,
            license,
        ))
    }

    /// Signs `upn` in to `url` with native Entra, then enrolls (or records a decline).
    pub async fn login(
        &mut self,
        url: &str,
        upn: &str,
        sso: SsoType,
        decline: bool,
    ) -> Result<LoginOutcome, MobileError> {
        let url = normalize_url(url);
        let (decision, config, license) = match self.preflight(&url, sso).await {
            Ok(p) => p,
            Err(e) => return Ok(failed(e)),
        };
        let scope = match decision {
            Preflight::WebSsoFallback { reason } => {
                return Ok(LoginOutcome::WebSsoFallback { reason })
            }
            Preflight::NativeEntra { scope } => scope,
        };
        let scopes = [scope];
        let mut tokens = match self.ports.msal.acquire_token(&url, upn, &scopes).await {
            Ok(t) => t,
            Err(e) => return Ok(msal_failed(e)),
        };
        let mut result = self
            .ports
            .server
            .login_intune(&url, &self.login_body(&tokens))
            .await;
        // The only automatic retry: a 401 (expired token) gets one fresh token and one more post.
        if matches!(&result, Err(e) if e.status == 401) {
            tokens = match self.ports.msal.acquire_token(&url, upn, &scopes).await {
                Ok(t) => t,
                Err(e) => return Ok(msal_failed(e)),
            };
            result = self
                .ports
                .server
                .login_intune(&url, &self.login_body(&tokens))
                .await;
        }
        let success = match result {
            Ok(s) => s,
            Err(e) => return Ok(failed(e)),
        };
        let site = config.get("SiteName").cloned().unwrap_or_default();
        self.device.upsert_server(&url, &site)?;
        self.device.write_credentials(&url, &success.credentials)?;
        let db = ServerDb {
            config,
            license,
            user: Some(success.user.clone()),
            ..ServerDb::default()
        };
        self.device.write_db(&url, &db)?;
        self.device.file.active = Some(url.clone());
        self.device.save()?;
        let enrollment = if self.ports.intune.is_managed(&url).await {
            let policy = self.ports.intune.policy(&url).await;
            self.update_db(&url, |db| {
                db.intune_oid = Some(tokens.identity.oid.clone());
                db.policy = policy;
            })?;
            EnrollmentStatus::AlreadyManaged
        } else if decline {
            self.apply_enrollment(&url, EnrollmentOutcome::Declined)
                .await?
        } else {
            let outcome = self.ports.intune.enroll(&url, &tokens.identity).await;
            self.apply_enrollment(&url, outcome).await?
        };
        Ok(LoginOutcome::SignedIn {
            user_id: str_field(&success.user, "id"),
            username: str_field(&success.user, "username"),
            enrollment,
        })
    }

    fn login_body(&self, tokens: &MsalTokens) -> IntuneLoginBody {
        IntuneLoginBody {
            access_token: tokens.access_token.clone(),
            device_id: self.device.device_id(),
            voip_device_id: self.device.voip_device_id(),
        }
    }

    /// Logs out of a server: unenroll (no wipe), best-effort server logout, delete its session,
    /// database and file cache; `remove` also drops its row.
    pub async fn logout(&mut self, url: &str, remove: bool) -> Result<(), MobileError> {
        let url = normalize_url(url);
        if self.device.server(&url).is_none() {
            return Err(MobileError::UnknownServer(url));
        }
        if self.ports.intune.is_managed(&url).await {
            self.ports.intune.deregister(&url, false).await;
        }
        self.terminate_session(&url, remove).await
    }

    /// Ends the session locally (server logout is best-effort) and deletes the server's data.
    pub(crate) async fn terminate_session(
        &mut self,
        url: &str,
        remove: bool,
    ) -> Result<(), MobileError> {
        if let Some(creds) = self.device.read_credentials(url)? {
            if let Err(e) = self.ports.server.logout(url, &creds).await {
                tracing::info!(server = url, error = %e, "server logout failed; wiping locally anyway");
            }
        }
        if remove {
            self.device.remove_server(url)
        } else {
            self.device.wipe_server_data(url)
        }
    }

    /// Reads content from a server (switching to it first); refused while enrollment is required.
    pub async fn read(&mut self, url: &str) -> Result<ReadOutcome, MobileError> {
        let url = normalize_url(url);
        if self.active() != Some(url.as_str()) {
            self.switch(&url).await?;
        }
        let creds = self
            .device
            .read_credentials(&url)?
            .ok_or_else(|| MobileError::NotSignedIn(url.clone()))?;
        // Every read refreshes config and license: a REST fetch that shows a change is a trigger.
        self.refresh(&url).await?;
        if let crate::enforce::Enforcement::Required { declined } = self.evaluate(&url).await? {
            let site_name = self
                .device
                .server(&url)
                .map(|s| s.site_name.clone())
                .unwrap_or_default();
            return Ok(ReadOutcome::Blocked {
                site_name,
                declined,
            });
        }
        let me = match self.ports.server.me(&url, &creds).await {
            Ok(me) => me,
            // Session expired or revoked: wipe locally and unenroll with wipe (mobile-client-facts §8).
            Err(e) if e.status == 401 => {
                self.device.wipe_server_data(&url)?;
                if self.ports.intune.is_managed(&url).await {
                    self.ports.intune.deregister(&url, true).await;
                }
                return Ok(ReadOutcome::SessionExpired { message: e.message });
            }
            Err(e) => return Err(MobileError::api(&url, e)),
        };
        self.update_db(&url, |db| db.user = Some(me.clone()))?;
        Ok(ReadOutcome::Content(me))
    }

    /// Fetches config and license over REST and stores them; true when either changed.
    pub async fn refresh(&mut self, url: &str) -> Result<bool, MobileError> {
        let config = self
            .ports
            .server
            .client_config(url)
            .await
            .map_err(|e| MobileError::api(url, e))?;
        let license = self
            .ports
            .server
            .client_license(url)
            .await
            .map_err(|e| MobileError::api(url, e))?;
        let mut changed = false;
        self.update_db(url, |db| {
            changed = db.config != config || db.license != license;
            db.config = config;
            db.license = license;
        })?;
        Ok(changed)
    }

    /// Applies `f` to the server's database if it has one.
    pub(crate) fn update_db(
        &self,
        url: &str,
        f: impl FnOnce(&mut ServerDb),
    ) -> Result<bool, MobileError> {
        match self.device.read_db(url)? {
            Some(mut db) => {
                f(&mut db);
                self.device.write_db(url, &db)?;
                Ok(true)
            }
            None => Ok(false),
        }
    }
}

/// MSAL errors as the app words them (mobile-client-facts §5.4); the detail stays visible.
fn msal_failed(e: MsalError) -> LoginOutcome {
    let canceled =
        e.code == "canceled" || e.code == "-50005" || e.message.contains("(code: -50005)");
    let text = if canceled {
        "Login was canceled. Please try again"
    } else {
        "Authentication failed. Please try again"
    };
    LoginOutcome::Failed {
        status: 0,
        id: e.code,
        message: format!("{text} ({})", e.message),
    }
}

fn failed(e: ApiError) -> LoginOutcome {
    LoginOutcome::Failed {
        status: e.status,
        id: e.id,
        message: e.message,
    }
}

fn str_field(v: &Value, k: &str) -> String {
    v.get(k)
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_string()
}

#[cfg(test)]
#[path = "client_tests.rs"]
mod tests;
