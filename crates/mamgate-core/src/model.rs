//! Domain records: users, sessions, audits, in Mattermost's JSON shape.

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

/// A user (Mattermost `User` JSON). `password` holds the Argon2id hash and is never sent.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
#[serde(default)]
pub struct User {
    pub id: String,
    pub create_at: i64,
    pub update_at: i64,
    pub delete_at: i64,
    pub username: String,
    #[serde(skip_serializing_if = "String::is_empty")]
    pub password: String,
    pub auth_data: String,
    pub auth_service: String,
    pub email: String,
    pub email_verified: bool,
    pub nickname: String,
    pub first_name: String,
    pub last_name: String,
    pub position: String,
    pub roles: String,
    pub locale: String,
    pub is_bot: bool,
    pub props: Map<String, Value>,
    pub notify_props: Map<String, Value>,
    pub timezone: Map<String, Value>,
    pub last_password_update: i64,
    pub last_login: i64,
}

impl User {
    /// Has the `system_admin` role.
    pub fn is_system_admin(&self) -> bool {
        self.roles.split_whitespace().any(|r| r == "system_admin")
    }

    /// `delete_at ≠ 0`.
    pub fn is_deactivated(&self) -> bool {
        self.delete_at != 0
    }

    /// The JSON sent to clients: no password hash, no last login.
    pub fn sanitized(&self) -> User {
        let mut u = self.clone();
        u.password.clear();
        u.last_login = 0;
        u
    }
}

/// A session. The store keeps only `token_hash`; the token itself goes to the client once.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
#[serde(default)]
pub struct Session {
    pub id: String,
    pub token_hash: String,
    pub user_id: String,
    pub create_at: i64,
    pub expires_at: i64,
    pub last_activity_at: i64,
    pub device_id: String,
    pub roles: String,
    pub csrf_token: String,
    pub is_oauth: bool,
    pub props: Map<String, Value>,
}

impl Session {
    /// Expired at `now_ms`.
    pub fn is_expired(&self, now_ms: i64) -> bool {
        self.expires_at != 0 && self.expires_at <= now_ms
    }
}

/// Outcome of an audited action.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AuditStatus {
    Attempt,
    Success,
    Fail,
}

impl AuditStatus {
    /// Wire name.
    pub fn as_str(self) -> &'static str {
        match self {
            AuditStatus::Attempt => "attempt",
            AuditStatus::Success => "success",
            AuditStatus::Fail => "fail",
        }
    }

    /// Parses the wire name.
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "attempt" => Some(Self::Attempt),
            "success" => Some(Self::Success),
            "fail" => Some(Self::Fail),
            _ => None,
        }
    }
}

/// One audit record.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Audit {
    pub id: String,
    pub create_at: i64,
    pub action: String,
    pub status: AuditStatus,
    pub error_id: String,
    pub reason: String,
    pub user_id: String,
    pub device_id: String,
    pub ip_address: String,
    pub request_id: String,
}

/// Role strings.
pub mod roles {
    pub const USER: &str = "system_user";
    pub const ADMIN: &str = "system_admin system_user";
}
