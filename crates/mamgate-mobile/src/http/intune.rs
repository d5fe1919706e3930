//! [`IntuneSdk`] against the Intune emulator (`POST /enroll`, `GET /events` long-poll). What the
//! real SDK keeps in the Keychain (server → identity, policies, event cursor) lives in
//! `DIR/intune.json`, beside the app's own state but never inside a server's folder.

use std::collections::{BTreeMap, VecDeque};
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use async_trait::async_trait;
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};

use super::HttpMsal;
use crate::model::{EnrollmentOutcome, IntuneEvent, MsalIdentity};
use crate::ports::{IntuneSdk, Msal};

/// The scope of Intune's MAM service.
pub const MAM_SCOPE: &str = "https://msmamservice.api.application/.default";
/// How long one `next_event` waits on the emulator per enrolled identity.
const POLL_WAIT_MS: u64 = 500;

/// The SDK's persisted state.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
struct SdkState {
    /// Server URL → the identity enrolled for it.
    #[serde(default)]
    enrollments: BTreeMap<String, MsalIdentity>,
    /// oid → the applied policy.
    #[serde(default)]
    policies: BTreeMap<String, Value>,
    /// oid → last event sequence seen.
    #[serde(default)]
    cursors: BTreeMap<String, u64>,
}

/// The Intune SDK of one app (bundle id) on one device.
pub struct HttpIntune {
    http: reqwest::Client,
    /// `http://host:port` of the Intune emulator.
    pub intune_url: String,
    pub bundle_id: String,
    msal: HttpMsal,
    path: PathBuf,
    state: Mutex<SdkState>,
    pending: Mutex<VecDeque<IntuneEvent>>,
}

impl HttpIntune {
    /// The SDK for `bundle_id`, keeping its state in `device_dir/intune.json`; MAM tokens come
    /// from `msal`.
    pub fn new(intune_url: &str, bundle_id: &str, msal: HttpMsal, device_dir: &Path) -> HttpIntune {
        let path = device_dir.join("intune.json");
        let state = std::fs::read(&path)
            .ok()
            .and_then(|b| serde_json::from_slice(&b).ok())
            .unwrap_or_default();
        HttpIntune {
            http: super::client(),
            intune_url: intune_url.trim_end_matches('/').to_string(),
            bundle_id: bundle_id.to_string(),
            msal,
            path,
            state: Mutex::new(state),
            pending: Mutex::new(VecDeque::new()),
        }
    }

    fn with_state<T>(&self, f: impl FnOnce(&mut SdkState) -> T) -> T {
        let mut guard = self.state.lock().unwrap_or_else(|e| e.into_inner());
        let out = f(&mut guard);
        if let Ok(bytes) = serde_json::to_vec_pretty(&*guard) {
            if let Err(e) = std::fs::write(&self.path, bytes) {
                tracing::warn!(path = %self.path.display(), error = %e, "cannot save the Intune SDK state");
            }
        }
        out
    }

    fn servers_of(&self, oid: &str) -> Vec<String> {
        self.with_state(|s| {
            s.enrollments
                .iter()
                .filter(|(_, id)| id.oid.eq_ignore_ascii_case(oid))
                .map(|(u, _)| u.clone())
                .collect()
        })
    }

    async fn poll(&self, oid: &str, after: u64, wait_ms: u64) -> Option<Value> {
        let r = self
            .http
            .get(format!("{}/events", self.intune_url))
            .query(&[
                ("oid", oid.to_string()),
                ("after", after.to_string()),
                ("wait_ms", wait_ms.to_string()),
            ])
            .send()
            .await
            .ok()?;
        r.json::<Value>().await.ok()
    }

    /// Turns an emulator event into an SDK event and updates the SDK's own state.
    fn map_event(&self, e: &Value) -> Option<IntuneEvent> {
        let oid = e.get("oid")?.as_str()?.to_string();
        if let Some(bundle) = e.get("bundle_id").and_then(Value::as_str) {
            if bundle != self.bundle_id {
                return None;
            }
        }
        let detail = e.get("detail").cloned().unwrap_or(Value::Null);
        let reason = |default: &str| {
            detail
                .get("reason")
                .and_then(Value::as_str)
                .unwrap_or(default)
                .to_string()
        };
        let server_urls = self.servers_of(&oid);
        Some(match e.get("type")?.as_str()? {
            "policy_changed" => {
                let policy = detail.get("policy").filter(|p| !p.is_null()).cloned();
                self.with_state(|s| match &policy {
                    Some(p) => s.policies.insert(oid.to_ascii_lowercase(), p.clone()),
                    None => s.policies.remove(&oid.to_ascii_lowercase()),
                });
                IntuneEvent::PolicyChanged {
                    oid,
                    policy,
                    server_urls,
                }
            }
            "wipe_requested" => {
                // The service forgot the enrollment; so does the SDK.
                self.with_state(|s| {
                    s.enrollments
                        .retain(|_, id| !id.oid.eq_ignore_ascii_case(&oid))
                });
                IntuneEvent::WipeRequested { oid, server_urls }
            }
            "conditional_launch_blocked" => IntuneEvent::ConditionalLaunchBlocked {
                reason: reason("launch_blocked"),
                oid,
                server_urls,
            },
            "compliance_failed" => IntuneEvent::ComplianceFailed {
                reason: reason("not_compliant"),
                oid,
                server_urls,
            },
            "auth_required" => IntuneEvent::AuthRequired {
                reason: reason("auth_failed"),
                oid,
                server_urls,
            },
            "identity_switch_required" => IntuneEvent::IdentitySwitchRequired {
                reason: reason(""),
                oid,
                server_urls,
            },
            _ => return None,
        })
    }
}

#[async_trait]
impl IntuneSdk for HttpIntune {
    async fn is_managed(&self, server_url: &str) -> bool {
        self.with_state(|s| s.enrollments.contains_key(server_url))
    }

    async fn enroll(&self, server_url: &str, identity: &MsalIdentity) -> EnrollmentOutcome {
        let token = match self
            .msal
            .acquire_token(server_url, &identity.upn, &[MAM_SCOPE.to_string()])
            .await
        {
            Ok(t) => t,
            Err(e) if e.code == "AADSTS650057" || e.code == "AADSTS65001" => {
                return EnrollmentOutcome::Failed {
                    reason: format!("consent_missing: {}", e.message),
                }
            }
            Err(e) => {
                return EnrollmentOutcome::Failed {
                    reason: format!("msal_error: {}", e.message),
                }
            }
        };
        let r = self
            .http
            .post(format!("{}/enroll", self.intune_url))
            .bearer_auth(&token.access_token)
            .json(&json!({"bundle_id": self.bundle_id}))
            .send()
            .await;
        let body: Value = match r {
            Ok(r) => r.json().await.unwrap_or(Value::Null),
            Err(e) => {
                return EnrollmentOutcome::Failed {
                    reason: format!("intune_unreachable: {e}"),
                }
            }
        };
        let s = |k: &str| {
            body.get(k)
                .and_then(Value::as_str)
                .unwrap_or_default()
                .to_string()
        };
        if s("outcome") != "success" {
            let outcome = if s("outcome").is_empty() {
                "intune_api_failure".to_string()
            } else {
                s("outcome")
            };
            return EnrollmentOutcome::Failed {
                reason: format!("{outcome}: {}", s("message")),
            };
        }
        let oid = if s("oid").is_empty() {
            identity.oid.clone()
        } else {
            s("oid")
        };
        let policy = body.get("policy").filter(|p| !p.is_null()).cloned();
        let known_cursor = self.with_state(|s| s.cursors.contains_key(&oid.to_ascii_lowercase()));
        // Events before this enrollment are not for this device.
        let latest = if known_cursor {
            None
        } else {
            self.poll(&oid, u64::MAX, 0)
                .await
                .and_then(|v| v.get("latest")?.as_u64())
        };
        self.with_state(|s| {
            s.enrollments.insert(
                server_url.to_string(),
                MsalIdentity {
                    oid: oid.clone(),
                    ..identity.clone()
                },
            );
            let key = oid.to_ascii_lowercase();
            if let Some(p) = &policy {
                s.policies.insert(key.clone(), p.clone());
            }
            if let Some(seq) = latest {
                s.cursors.insert(key, seq);
            }
        });
        EnrollmentOutcome::Enrolled { oid, policy }
    }

    async fn policy(&self, server_url: &str) -> Option<Value> {
        self.with_state(|s| {
            let oid = s.enrollments.get(server_url)?.oid.to_ascii_lowercase();
            s.policies.get(&oid).cloned()
        })
    }

    async fn deregister(&self, server_url: &str, _wipe: bool) {
        self.with_state(|s| s.enrollments.remove(server_url));
    }

    async fn report_wipe(&self, oid: &str, success: bool) {
        tracing::info!(oid, success, "selective wipe reported");
    }

    async fn next_event(&self) -> Option<IntuneEvent> {
        if let Some(e) = self
            .pending
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .pop_front()
        {
            return Some(e);
        }
        let oids: Vec<(String, u64)> = self.with_state(|s| {
            let mut oids: Vec<String> = s
                .enrollments
                .values()
                .map(|i| i.oid.to_ascii_lowercase())
                .collect();
            oids.sort();
            oids.dedup();
            oids.into_iter()
                .map(|o| (o.clone(), s.cursors.get(&o).copied().unwrap_or(0)))
                .collect()
        });
        for (oid, after) in oids {
            let Some(answer) = self.poll(&oid, after, POLL_WAIT_MS).await else {
                continue;
            };
            let events = answer
                .get("events")
                .and_then(Value::as_array)
                .cloned()
                .unwrap_or_default();
            if let Some(next) = answer.get("next").and_then(Value::as_u64) {
                self.with_state(|s| s.cursors.insert(oid.clone(), next));
            }
            let mapped: Vec<IntuneEvent> =
                events.iter().filter_map(|e| self.map_event(e)).collect();
            self.pending
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .extend(mapped);
        }
        self.pending
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .pop_front()
    }
}
