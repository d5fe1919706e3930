//! Shared server state.

use std::sync::{Arc, RwLock};
use std::time::{SystemTime, UNIX_EPOCH};

use mamgate_core::client;
use mamgate_core::config::Config;
use mamgate_core::license::License;
use mamgate_store::Store;
use mamgate_token::Validator;
use serde_json::{json, Value};
use tokio::sync::broadcast;

use crate::metrics::Metrics;
use crate::settings::Settings;

/// Internal event: close every socket of `user_id`.
pub const CLOSE_USER: &str = "_close_user";
/// Internal event: close the socket of the session whose id is `data`.
pub const CLOSE_SESSION: &str = "_close_session";

/// An event for websocket clients (CONTRACT §4).
#[derive(Debug, Clone)]
pub struct Event {
    pub event: &'static str,
    pub data: Value,
    /// Only sockets of this user get it (empty: everyone).
    pub user_id: String,
}

/// Everything a handler can reach.
pub struct AppState {
    pub store: Arc<dyn Store>,
    pub settings: Settings,
    pub license: RwLock<Option<License>>,
    pub validator: Validator,
    pub events: broadcast::Sender<Event>,
    /// Whether this build carries Intune sign-in (the `intune` cargo feature).
    pub intune_available: bool,
    pub metrics: Metrics,
    /// Outgoing HTTP (Office 365 code exchange, Graph).
    pub http: reqwest::Client,
}

/// Milliseconds since the epoch.
pub fn now_ms() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_millis() as i64)
        .unwrap_or(0)
}

impl AppState {
    /// Builds the state.
    pub fn new(
        store: Arc<dyn Store>,
        settings: Settings,
        license: Option<License>,
        validator: Validator,
    ) -> Arc<Self> {
        let (events, _) = broadcast::channel(1024);
        Arc::new(Self {
            store,
            settings,
            license: RwLock::new(license),
            validator,
            events,
            intune_available: cfg!(feature = "intune"),
            metrics: Metrics::default(),
            http: reqwest::Client::builder()
                .timeout(std::time::Duration::from_secs(10))
                .build()
                .unwrap_or_default(),
        })
    }

    /// The configuration in force.
    pub fn config(&self) -> Arc<Config> {
        self.settings.current()
    }

    /// The installed license, if it is still active.
    pub fn license(&self) -> Option<License> {
        let now = now_ms();
        self.license
            .read()
            .ok()
            .and_then(|l| l.clone())
            .filter(|l| l.is_active(now))
    }

    /// Replaces the license in memory and tells every websocket.
    pub fn set_license(&self, license: Option<License>) {
        if let Ok(mut g) = self.license.write() {
            *g = license;
        }
        let data = json!({ "license": client::client_license(self.license().as_ref()) });
        self.broadcast("license_changed", data, "");
    }

    /// Tells every websocket about the config clients see.
    pub fn broadcast_client_config(&self) {
        let cfg = client::client_config(&self.config(), self.license().as_ref());
        self.broadcast("config_changed", json!({ "config": cfg }), "");
    }

    /// Sends an event to websockets (nobody listening is fine).
    pub fn broadcast(&self, event: &'static str, data: Value, user_id: &str) {
        let _ = self.events.send(Event {
            event,
            data,
            user_id: user_id.to_string(),
        });
    }
}
