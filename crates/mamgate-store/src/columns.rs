//! What both implementations share: column lists, JSON columns, conflict names, paging.

use crate::{Page, StoreError};
use serde_json::{Map, Value};

/// User columns, in the order both row mappers read them.
pub(crate) const USER_COLUMNS: &str = "id, create_at, update_at, delete_at, username, password, \
    auth_data, auth_service, email, email_verified, nickname, first_name, last_name, position, \
    roles, locale, is_bot, props, notify_props, timezone, last_password_update, last_login";

/// Session columns, in the order both row mappers read them.
pub(crate) const SESSION_COLUMNS: &str = "id, token_hash, user_id, create_at, expires_at, \
    last_activity_at, device_id, roles, csrf_token, is_oauth, props";

/// Audit columns, in the order both row mappers read them.
pub(crate) const AUDIT_COLUMNS: &str =
    "id, create_at, action, status, error_id, reason, user_id, device_id, ip_address, request_id";

/// Rows per keyset batch of `scan_users`: big enough to amortise the query, small enough that
/// a million users never sit in memory (PERFORMANCE.md P8).
pub(crate) const SCAN_BATCH: i64 = 10_000;

/// A JSON map column as text.
pub(crate) fn map_to_text(map: &Map<String, Value>) -> String {
    Value::Object(map.clone()).to_string()
}

/// A JSON map column from text; a damaged value reads as empty rather than hiding the row.
pub(crate) fn text_to_map(text: &str) -> Map<String, Value> {
    match serde_json::from_str::<Value>(text) {
        Ok(Value::Object(map)) => map,
        _ => Map::new(),
    }
}

/// Names the field of a unique constraint from its index name or error message.
pub(crate) fn conflict_field(name: &str) -> &'static str {
    if name.contains("username") {
        "username"
    } else if name.contains("email") {
        "email"
    } else if name.contains("auth") {
        "auth"
    } else if name.contains("token") {
        "token"
    } else {
        "id"
    }
}

/// `(limit, offset)` of a page, saturating instead of overflowing.
pub(crate) fn limit_offset(page: Page) -> (i64, i64) {
    let limit = i64::from(page.per_page);
    (limit, limit.saturating_mul(i64::from(page.page)))
}

/// The failure of a closed background worker or pool.
pub(crate) fn gone(what: &str) -> StoreError {
    StoreError::Database(format!("{what} stopped"))
}

/// The single-row tables.
#[derive(Clone, Copy)]
pub(crate) enum Single {
    License,
    Config,
}

impl Single {
    /// Table name.
    pub(crate) fn name(self) -> &'static str {
        match self {
            Single::License => "license",
            Single::Config => "config",
        }
    }

    /// Its one value column.
    pub(crate) fn column(self) -> &'static str {
        match self {
            Single::License => "file",
            Single::Config => "document",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn conflict_names() {
        assert_eq!(
            conflict_field("UNIQUE constraint failed: users.username"),
            "username"
        );
        assert_eq!(
            conflict_field("UNIQUE constraint failed: index 'users_email_key'"),
            "email"
        );
        assert_eq!(conflict_field("users_auth_key"), "auth");
        assert_eq!(conflict_field("sessions_token_key"), "token");
        assert_eq!(conflict_field("users_pkey"), "id");
    }

    #[test]
    fn damaged_json_reads_empty() {
        assert!(text_to_map("not json").is_empty());
        assert!(text_to_map("[1]").is_empty());
        assert_eq!(text_to_map(r#"{"a":1}"#).len(), 1);
    }

    #[test]
    fn paging_saturates() {
        assert_eq!(
            limit_offset(Page {
                page: 2,
                per_page: 10
            }),
            (10, 20)
        );
        let (_, off) = limit_offset(Page {
            page: u32::MAX,
            per_page: u32::MAX,
        });
        assert!(off > 0);
    }
}
