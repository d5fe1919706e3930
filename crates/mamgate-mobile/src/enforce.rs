//! Enrollment outcomes and the enforcement check (CLIENT.md "Enrollment outcomes",
//! "Mid-session enforcement"; mobile-client-facts §6).

use serde::Serialize;

use crate::client::{EnrollmentStatus, MobileClient};
use crate::device::normalize_url;
use crate::error::MobileError;
use crate::model::EnrollmentOutcome;
use crate::preflight::intune_enforced;

/// What the enforcement check says about a server.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case", tag = "state")]
pub enum Enforcement {
    /// No session on this device.
    NotSignedIn,
    /// Intune is not enabled for the server's config and license.
    NotRequired,
    /// The user signs in with another auth service; Intune does not apply to them.
    AuthServiceMismatch { user: String, intune: String },
    /// Managed by the Intune SDK.
    Enrolled,
    /// Enrollment required and not done: content is blocked.
    Required { declined: bool },
}

impl MobileClient {
    /// `ensureMAMEnrollmentForActiveServer` without the UI: whether the server must enroll.
    pub async fn evaluate(&self, url: &str) -> Result<Enforcement, MobileError> {
        let url = normalize_url(url);
        let Some(db) = self.device.read_db(&url)? else {
            return Ok(Enforcement::NotSignedIn);
        };
        if !intune_enforced(&db.config, &db.license) {
            return Ok(Enforcement::NotRequired);
        }
        if self.ports.intune.is_managed(&url).await {
            return Ok(Enforcement::Enrolled);
        }
        let intune = db
            .config
            .get("IntuneAuthService")
            .cloned()
            .unwrap_or_default();
        // No current user: enforcement proceeds (mobile-client-facts §3).
        if let Some(user) = db
            .user
            .as_ref()
            .and_then(|u| u.get("auth_service"))
            .and_then(|v| v.as_str())
        {
            if !user.eq_ignore_ascii_case(&intune) {
                return Ok(Enforcement::AuthServiceMismatch {
                    user: user.to_string(),
                    intune,
                });
            }
        }
        Ok(Enforcement::Required {
            declined: db.declined,
        })
    }

    /// App start: the check on the active server.
    pub async fn start(&self) -> Result<Option<(String, Enforcement)>, MobileError> {
        match self.active().map(str::to_string) {
            Some(url) => Ok(Some((url.clone(), self.evaluate(&url).await?))),
            None => Ok(None),
        }
    }

    /// Server switch: makes `url` active, then runs the check on it.
    pub async fn switch(&mut self, url: &str) -> Result<Enforcement, MobileError> {
        let url = normalize_url(url);
        if self.device.server(&url).is_none() {
            return Err(MobileError::UnknownServer(url));
        }
        self.device.file.active = Some(url.clone());
        self.device.save()?;
        self.evaluate(&url).await
    }

    /// "Enroll Now" (or "Retry") on a signed-in server; `decline` is "Cancel".
    pub async fn enroll(
        &mut self,
        url: &str,
        upn: &str,
        decline: bool,
    ) -> Result<EnrollmentStatus, MobileError> {
        let url = normalize_url(url);
        let db = self
            .device
            .read_db(&url)?
            .ok_or_else(|| MobileError::NotSignedIn(url.clone()))?;
        if decline {
            return self
                .apply_enrollment(&url, EnrollmentOutcome::Declined)
                .await;
        }
        let scope = db.config.get("IntuneScope").cloned().unwrap_or_default();
        let outcome = match self.ports.msal.acquire_token(&url, upn, &[scope]).await {
            Ok(tokens) => self.ports.intune.enroll(&url, &tokens.identity).await,
            // An MSAL error while enrolling (cancel included) is a technical failure.
            Err(e) => EnrollmentOutcome::Failed {
                reason: format!("MSAL: {e}"),
            },
        };
        self.apply_enrollment(&url, outcome).await
    }

    /// Applies an enrollment outcome with the effects of CLIENT.md's table.
    pub async fn apply_enrollment(
        &mut self,
        url: &str,
        outcome: EnrollmentOutcome,
    ) -> Result<EnrollmentStatus, MobileError> {
        let url = normalize_url(url);
        match outcome {
            EnrollmentOutcome::Enrolled { oid, policy } => {
                for other in self.servers_of_oid(&oid, &url)? {
                    self.update_db(&other, |db| {
                        db.intune_oid = Some(oid.clone());
                        db.policy = policy.clone();
                        db.declined = false;
                    })?;
                }
                Ok(EnrollmentStatus::Enrolled { oid })
            }
            EnrollmentOutcome::Declined => {
                self.update_db(&url, |db| db.declined = true)?;
                Ok(EnrollmentStatus::Declined)
            }
            EnrollmentOutcome::Failed { reason } => {
                self.terminate_session(&url, true).await?;
                Ok(EnrollmentStatus::Failed { reason })
            }
        }
    }

    /// `url` and every other server enrolled with `oid`.
    fn servers_of_oid(&self, oid: &str, url: &str) -> Result<Vec<String>, MobileError> {
        let mut out = vec![url.to_string()];
        for row in &self.device.file.servers {
            if row.url != url {
                if let Some(db) = self.device.read_db(&row.url)? {
                    if db.intune_oid.as_deref() == Some(oid) {
                        out.push(row.url.clone());
                    }
                }
            }
        }
        Ok(out)
    }

    /// Every server with its enforcement state and whether it holds a session.
    pub async fn status(&self) -> Result<Vec<ServerStatus>, MobileError> {
        let mut out = Vec::new();
        for row in &self.device.file.servers {
            let db = self.device.read_db(&row.url)?;
            out.push(ServerStatus {
                url: row.url.clone(),
                site_name: row.site_name.clone(),
                active: self.active() == Some(row.url.as_str()),
                signed_in: self.device.read_credentials(&row.url)?.is_some(),
                enforcement: self.evaluate(&row.url).await?,
                intune_oid: db.as_ref().and_then(|d| d.intune_oid.clone()),
                policy_applied: db.as_ref().is_some_and(|d| d.policy.is_some()),
            });
        }
        Ok(out)
    }
}

/// One line of `status`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ServerStatus {
    pub url: String,
    pub site_name: String,
    pub active: bool,
    pub signed_in: bool,
    pub enforcement: Enforcement,
    pub intune_oid: Option<String>,
    pub policy_applied: bool,
}
