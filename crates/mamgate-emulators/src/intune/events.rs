//! Device events (Intune SDK notifications) and their long-poll delivery.

use std::sync::Mutex;
use std::time::Duration;

use serde::{Deserialize, Serialize};
use serde_json::Value;
use tokio::sync::watch;

/// What the Intune SDK tells the app.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DeviceEventKind {
    PolicyChanged,
    WipeRequested,
    ConditionalLaunchBlocked,
    ComplianceFailed,
    AuthRequired,
    IdentitySwitchRequired,
}

/// One event for one user's devices.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DeviceEvent {
    /// Increases by one per event, across users; poll with `after=<last seq seen>`.
    pub seq: u64,
    #[serde(rename = "type")]
    pub kind: DeviceEventKind,
    pub oid: String,
    /// Only devices of this app, when set.
    #[serde(default)]
    pub bundle_id: Option<String>,
    #[serde(default)]
    pub detail: Option<Value>,
}

/// Every event so far, and a signal when one is added.
#[derive(Debug)]
pub(super) struct EventLog {
    events: Mutex<Vec<DeviceEvent>>,
    latest: watch::Sender<u64>,
}

impl EventLog {
    pub(super) fn new() -> EventLog {
        EventLog {
            events: Mutex::new(Vec::new()),
            latest: watch::Sender::new(0),
        }
    }

    /// Appends an event and wakes the pollers.
    pub(super) fn push(
        &self,
        kind: DeviceEventKind,
        oid: &str,
        bundle_id: Option<String>,
        detail: Option<Value>,
    ) -> DeviceEvent {
        let event = {
            let mut events = self.events.lock().unwrap_or_else(|e| e.into_inner());
            let event = DeviceEvent {
                seq: events.len() as u64 + 1,
                kind,
                oid: oid.to_string(),
                bundle_id,
                detail,
            };
            events.push(event.clone());
            event
        };
        self.latest.send_replace(event.seq);
        event
    }

    fn since(&self, oid: &str, after: u64) -> Vec<DeviceEvent> {
        let events = self.events.lock().unwrap_or_else(|e| e.into_inner());
        events
            .iter()
            .filter(|e| e.seq > after && e.oid.eq_ignore_ascii_case(oid))
            .cloned()
            .collect()
    }

    /// The user's events after `after`, waiting up to `wait` for the first one.
    pub(super) async fn wait(&self, oid: &str, after: u64, wait: Duration) -> Vec<DeviceEvent> {
        let deadline = tokio::time::Instant::now() + wait;
        loop {
            // Subscribe before looking, so an event pushed in between still wakes us.
            let mut rx = self.latest.subscribe();
            let found = self.since(oid, after);
            if !found.is_empty() {
                return found;
            }
            if tokio::time::timeout_at(deadline, rx.changed())
                .await
                .is_err()
            {
                return Vec::new();
            }
        }
    }

    /// The highest sequence number so far.
    pub(super) fn latest(&self) -> u64 {
        *self.latest.borrow()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Arc;

    #[tokio::test]
    async fn waiter_wakes_on_push_for_its_user() {
        let log = Arc::new(EventLog::new());
        let l2 = log.clone();
        let waiter = tokio::spawn(async move { l2.wait("a", 0, Duration::from_secs(10)).await });
        log.push(DeviceEventKind::PolicyChanged, "b", None, None);
        log.push(DeviceEventKind::WipeRequested, "A", None, None);
        let got = waiter.await.unwrap();
        assert_eq!(got.len(), 1);
        assert_eq!(
            (got[0].seq, got[0].kind),
            (2, DeviceEventKind::WipeRequested)
        );
        assert!(log.wait("a", 2, Duration::from_millis(1)).await.is_empty());
        assert_eq!(log.latest(), 2);
    }
}
