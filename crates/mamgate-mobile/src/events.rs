//! Reactions to Intune SDK events and server websocket events (CLIENT.md "Mid-session
//! enforcement"; mobile-client-facts §7.3).

use crate::client::MobileClient;
use crate::device::normalize_url;
use crate::enforce::Enforcement;
use crate::error::MobileError;
use crate::model::{IntuneEvent, ServerEvent};

/// What the client did about an event.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EventReport {
    /// The alert the app would show ("" for none).
    pub alert: String,
    /// Servers whose session and data were wiped, in order.
    pub wiped: Vec<String>,
}

impl MobileClient {
    /// Handles one Intune SDK event.
    pub async fn handle_intune_event(
        &mut self,
        event: IntuneEvent,
    ) -> Result<EventReport, MobileError> {
        let affected: Vec<String> = event
            .server_urls()
            .iter()
            .map(|u| normalize_url(u))
            .filter(|u| self.device.server(u).is_some())
            .collect();
        let (alert, wipe) = match &event {
            IntuneEvent::EnrollmentChanged { enrolled, .. } => {
                let policy = match (enrolled, affected.first()) {
                    (true, Some(first)) => self.ports.intune.policy(first).await,
                    _ => None,
                };
                for url in &affected {
                    self.update_db(url, |db| {
                        db.policy = policy.clone();
                        if *enrolled {
                            db.declined = false;
                        }
                    })?;
                }
                (String::new(), false)
            }
            IntuneEvent::PolicyChanged { policy, .. } => {
                for url in &affected {
                    self.update_db(url, |db| db.policy = policy.clone())?;
                }
                (String::new(), false)
            }
            IntuneEvent::WipeRequested { .. } => (String::new(), true),
            IntuneEvent::AuthRequired { reason, .. } => (
                match reason.as_str() {
                    "consent_denied" => "Consent Denied",
                    "auth_failed" => "Authentication Failed",
                    _ => "Authentication Required",
                }
                .to_string(),
                true,
            ),
            // A canceled PIN prompt blocks without wiping; the user may retry it.
            IntuneEvent::ConditionalLaunchBlocked { reason, .. } if reason == "launch_canceled" => {
                ("Blocked by your organization".to_string(), false)
            }
            IntuneEvent::ConditionalLaunchBlocked { .. } => ("Access Blocked".to_string(), true),
            IntuneEvent::IdentitySwitchRequired { .. } => {
                ("Identity Switch Required".to_string(), true)
            }
            IntuneEvent::ComplianceFailed { .. } => ("App Protection Required".to_string(), true),
        };
        let mut wiped = Vec::new();
        if wipe {
            let (ok, order) = self.selective_wipe(&affected).await;
            wiped = order;
            if let IntuneEvent::WipeRequested { oid, .. } = &event {
                self.ports.intune.report_wipe(oid, ok).await;
            }
        }
        Ok(EventReport { alert, wiped })
    }

    /// Wipes non-active servers first and the active one last; rows are kept so the user can
    /// sign in again. Returns whether every wipe succeeded, and the order.
    async fn selective_wipe(&mut self, urls: &[String]) -> (bool, Vec<String>) {
        let active = self.active().map(str::to_string);
        let mut order: Vec<String> = urls
            .iter()
            .filter(|u| Some(u.as_str()) != active.as_deref())
            .cloned()
            .collect();
        order.extend(
            urls.iter()
                .filter(|u| Some(u.as_str()) == active.as_deref())
                .cloned(),
        );
        let mut ok = true;
        for url in &order {
            if let Err(e) = self.terminate_session(url, false).await {
                tracing::warn!(server = %url, error = %e, "selective wipe failed");
                ok = false;
            }
        }
        (ok, order)
    }

    /// Handles a websocket event of `url`; returns the check's result when it had to run.
    pub async fn handle_server_event(
        &mut self,
        url: &str,
        event: ServerEvent,
    ) -> Result<Option<Enforcement>, MobileError> {
        let url = normalize_url(url);
        let changed = match event {
            ServerEvent::ConfigChanged(config) => {
                let mut changed = false;
                self.update_db(&url, |db| {
                    changed = db.config != config;
                    db.config = config;
                })?;
                changed
            }
            // The real app stores a websocket license change silently; mamgate acts on it.
            ServerEvent::LicenseChanged(license) => {
                let mut changed = false;
                self.update_db(&url, |db| {
                    changed = db.license != license;
                    db.license = license;
                })?;
                changed
            }
            ServerEvent::Hello | ServerEvent::Other(_) => false,
        };
        if changed && self.active() == Some(url.as_str()) {
            return Ok(Some(self.evaluate(&url).await?));
        }
        Ok(None)
    }
}
