//! SQLite rows to domain records, and SQLite errors to [`StoreError`].

use crate::columns::{conflict_field, text_to_map};
use crate::StoreError;
use mamgate_core::model::{Audit, AuditStatus, Session, User};
use rusqlite::{ErrorCode, Row};

/// A user from a row selected with `USER_COLUMNS`.
pub(crate) fn user(row: &Row<'_>) -> rusqlite::Result<User> {
    Ok(User {
        id: row.get(0)?,
        create_at: row.get(1)?,
        update_at: row.get(2)?,
        delete_at: row.get(3)?,
        username: row.get(4)?,
        password: row.get(5)?,
        auth_data: row.get(6)?,
        auth_service: row.get(7)?,
        email: row.get(8)?,
        email_verified: row.get(9)?,
        nickname: row.get(10)?,
        first_name: row.get(11)?,
        last_name: row.get(12)?,
        position: row.get(13)?,
        roles: row.get(14)?,
        locale: row.get(15)?,
        is_bot: row.get(16)?,
        props: text_to_map(&row.get::<_, String>(17)?),
        notify_props: text_to_map(&row.get::<_, String>(18)?),
        timezone: text_to_map(&row.get::<_, String>(19)?),
        last_password_update: row.get(20)?,
        last_login: row.get(21)?,
    })
}

/// A session from a row selected with `SESSION_COLUMNS`.
pub(crate) fn session(row: &Row<'_>) -> rusqlite::Result<Session> {
    Ok(Session {
        id: row.get(0)?,
        token_hash: row.get(1)?,
        user_id: row.get(2)?,
        create_at: row.get(3)?,
        expires_at: row.get(4)?,
        last_activity_at: row.get(5)?,
        device_id: row.get(6)?,
        roles: row.get(7)?,
        csrf_token: row.get(8)?,
        is_oauth: row.get(9)?,
        props: text_to_map(&row.get::<_, String>(10)?),
    })
}

/// An audit from a row selected with `AUDIT_COLUMNS`.
pub(crate) fn audit(row: &Row<'_>) -> rusqlite::Result<Audit> {
    let status: String = row.get(3)?;
    Ok(Audit {
        id: row.get(0)?,
        create_at: row.get(1)?,
        action: row.get(2)?,
        // Only this crate writes the column; an unknown value reads as the neutral outcome.
        status: AuditStatus::parse(&status).unwrap_or(AuditStatus::Attempt),
        error_id: row.get(4)?,
        reason: row.get(5)?,
        user_id: row.get(6)?,
        device_id: row.get(7)?,
        ip_address: row.get(8)?,
        request_id: row.get(9)?,
    })
}

/// Unique violations become `Conflict(field)`; everything else is a database failure.
pub(crate) fn db_err(e: rusqlite::Error) -> StoreError {
    if let rusqlite::Error::SqliteFailure(ref f, ref msg) = e {
        if f.code == ErrorCode::ConstraintViolation {
            return StoreError::Conflict(conflict_field(msg.as_deref().unwrap_or("")));
        }
    }
    StoreError::Database(e.to_string())
}

impl From<rusqlite::Error> for StoreError {
    fn from(e: rusqlite::Error) -> Self {
        db_err(e)
    }
}
