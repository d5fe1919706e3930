//! Small in-test implementations of the ports.

use std::collections::{BTreeMap, HashSet, VecDeque};
use std::sync::{Arc, Mutex};

use async_trait::async_trait;
use serde_json::{json, Value};
use tokio::sync::mpsc;

use crate::client::{MobileClient, Ports};
use crate::device::Device;
use crate::model::*;
use crate::ports::{FixedPlatform, IntuneSdk, Msal, ServerApi};

pub fn map(kv: &[(&str, &str)]) -> StringMap {
    kv.iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

pub fn intune_config(auth: &str) -> StringMap {
    map(&[
        ("SiteName", "Contoso"),
        ("IntuneMAMEnabled", "true"),
        ("IntuneScope", "api://server-app/login.mattermost"),
        ("IntuneAuthService", auth),
    ])
}

pub fn advanced() -> StringMap {
    map(&[("IsLicensed", "true"), ("SkuShortName", "advanced")])
}

/// A server per URL with a scripted `/oauth/intune`.
#[derive(Default)]
pub struct FakeServer {
    pub config: Mutex<BTreeMap<String, StringMap>>,
    pub license: Mutex<BTreeMap<String, StringMap>>,
    /// Answers of `/oauth/intune`, in order; empty → success.
    pub answers: Mutex<VecDeque<ApiError>>,
    pub posts: Mutex<Vec<IntuneLoginBody>>,
    pub logouts: Mutex<Vec<String>>,
    pub auth_service: Mutex<String>,
    /// `/users/me` answers 401 (session revoked).
    pub expired: Mutex<bool>,
}

impl FakeServer {
    pub fn with(&self, url: &str, config: StringMap, license: StringMap) {
        self.config.lock().unwrap().insert(url.into(), config);
        self.license.lock().unwrap().insert(url.into(), license);
    }
}

#[async_trait]
impl ServerApi for FakeServer {
    async fn client_config(&self, url: &str) -> Result<StringMap, ApiError> {
        self.config
            .lock()
            .unwrap()
            .get(url)
            .cloned()
            .ok_or_else(|| ApiError::transport("unreachable"))
    }
    async fn client_license(&self, url: &str) -> Result<StringMap, ApiError> {
        self.license
            .lock()
            .unwrap()
            .get(url)
            .cloned()
            .ok_or_else(|| ApiError::transport("unreachable"))
    }
    async fn login_intune(
        &self,
        url: &str,
        body: &IntuneLoginBody,
    ) -> Result<LoginSuccess, ApiError> {
        self.posts.lock().unwrap().push(body.clone());
        if let Some(e) = self.answers.lock().unwrap().pop_front() {
            return Err(e);
        }
        let auth = self.auth_service.lock().unwrap().clone();
        let auth = if auth.is_empty() {
            "office365".to_string()
        } else {
            auth
        };
        Ok(LoginSuccess {
            user: json!({"id": "u1", "username": "adele", "auth_service": auth}),
            credentials: Credentials {
                token: format!("tok-{url}"),
                csrf: "csrf".into(),
            },
        })
    }
    async fn me(&self, _: &str, _: &Credentials) -> Result<Value, ApiError> {
        if *self.expired.lock().unwrap() {
            return Err(ApiError {
                status: 401,
                id: "api.context.session_expired.app_error".into(),
                message: "Invalid or expired session".into(),
            });
        }
        let auth = self.auth_service.lock().unwrap().clone();
        Ok(
            json!({"id": "u1", "username": "adele", "auth_service": if auth.is_empty() { "office365".into() } else { auth }}),
        )
    }
    async fn logout(&self, url: &str, _: &Credentials) -> Result<(), ApiError> {
        self.logouts.lock().unwrap().push(url.into());
        Ok(())
    }
    async fn events(
        &self,
        _: &str,
        _: &Credentials,
    ) -> Result<mpsc::Receiver<ServerEvent>, ApiError> {
        Err(ApiError::transport("no websocket in tests"))
    }
}

/// MSAL that counts calls and may fail.
#[derive(Default)]
pub struct FakeMsal {
    pub calls: Mutex<u32>,
    pub fail: Mutex<Option<MsalError>>,
}

#[async_trait]
impl Msal for FakeMsal {
    async fn acquire_token(
        &self,
        _: &str,
        upn: &str,
        scopes: &[String],
    ) -> Result<MsalTokens, MsalError> {
        let n = {
            let mut c = self.calls.lock().unwrap();
            *c += 1;
            *c
        };
        if let Some(e) = self.fail.lock().unwrap().clone() {
            return Err(e);
        }
        assert_eq!(scopes, ["api://server-app/login.mattermost"]);
        Ok(MsalTokens {
            access_token: format!("token-{n}"),
            id_token: String::new(),
            identity: MsalIdentity {
                upn: upn.into(),
                tid: "tid".into(),
                oid: "oid-1".into(),
            },
        })
    }
}

/// An Intune SDK whose next enrollment outcome is scripted.
pub struct FakeIntune {
    pub managed: Mutex<HashSet<String>>,
    pub outcome: Mutex<EnrollmentOutcome>,
    pub enrolls: Mutex<u32>,
    pub reports: Mutex<Vec<(String, bool)>>,
}

impl Default for FakeIntune {
    fn default() -> Self {
        FakeIntune {
            managed: Mutex::default(),
            outcome: Mutex::new(EnrollmentOutcome::Enrolled {
                oid: "oid-1".into(),
                policy: Some(json!({"isPINRequired": true})),
            }),
            enrolls: Mutex::default(),
            reports: Mutex::default(),
        }
    }
}

#[async_trait]
impl IntuneSdk for FakeIntune {
    async fn is_managed(&self, url: &str) -> bool {
        self.managed.lock().unwrap().contains(url)
    }
    async fn enroll(&self, url: &str, _: &MsalIdentity) -> EnrollmentOutcome {
        *self.enrolls.lock().unwrap() += 1;
        let outcome = self.outcome.lock().unwrap().clone();
        if matches!(outcome, EnrollmentOutcome::Enrolled { .. }) {
            self.managed.lock().unwrap().insert(url.into());
        }
        outcome
    }
    async fn policy(&self, _: &str) -> Option<Value> {
        Some(json!({"isPINRequired": true}))
    }
    async fn deregister(&self, url: &str, _: bool) {
        self.managed.lock().unwrap().remove(url);
    }
    async fn report_wipe(&self, oid: &str, ok: bool) {
        self.reports.lock().unwrap().push((oid.into(), ok));
    }
    async fn next_event(&self) -> Option<IntuneEvent> {
        None
    }
}

/// A client on a temporary device with fakes it can reach.
pub struct Rig {
    pub client: MobileClient,
    pub server: Arc<FakeServer>,
    pub msal: Arc<FakeMsal>,
    pub intune: Arc<FakeIntune>,
    pub _dir: tempfile::TempDir,
}

impl Rig {
    pub fn new(os: Os) -> Rig {
        let dir = tempfile::tempdir().unwrap();
        let server = Arc::new(FakeServer::default());
        let msal = Arc::new(FakeMsal::default());
        let intune = Arc::new(FakeIntune::default());
        let ports = Ports {
            msal: msal.clone(),
            intune: intune.clone(),
            server: server.clone(),
            platform: Arc::new(FixedPlatform(os)),
        };
        let client = MobileClient::new(Device::open(dir.path()).unwrap(), ports);
        Rig {
            client,
            server,
            msal,
            intune,
            _dir: dir,
        }
    }
}
