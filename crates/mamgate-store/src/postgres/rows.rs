//! PostgreSQL rows to domain records, and driver errors to [`StoreError`].

use crate::columns::{conflict_field, text_to_map};
use crate::StoreError;
use mamgate_core::model::{Audit, AuditStatus, Session, User};
use tokio_postgres::error::SqlState;
use tokio_postgres::Row;

/// A user from a row selected with `USER_COLUMNS`.
pub(crate) fn user(row: &Row) -> Result<User, StoreError> {
    Ok(User {
        id: row.try_get(0)?,
        create_at: row.try_get(1)?,
        update_at: row.try_get(2)?,
        delete_at: row.try_get(3)?,
        username: row.try_get(4)?,
        password: row.try_get(5)?,
        auth_data: row.try_get(6)?,
        auth_service: row.try_get(7)?,
        email: row.try_get(8)?,
        email_verified: row.try_get(9)?,
        nickname: row.try_get(10)?,
        first_name: row.try_get(11)?,
        last_name: row.try_get(12)?,
        position: row.try_get(13)?,
        roles: row.try_get(14)?,
        locale: row.try_get(15)?,
        is_bot: row.try_get(16)?,
        props: text_to_map(row.try_get(17)?),
        notify_props: text_to_map(row.try_get(18)?),
        timezone: text_to_map(row.try_get(19)?),
        last_password_update: row.try_get(20)?,
        last_login: row.try_get(21)?,
    })
}

/// A session from a row selected with `SESSION_COLUMNS`.
pub(crate) fn session(row: &Row) -> Result<Session, StoreError> {
    Ok(Session {
        id: row.try_get(0)?,
        token_hash: row.try_get(1)?,
        user_id: row.try_get(2)?,
        create_at: row.try_get(3)?,
        expires_at: row.try_get(4)?,
        last_activity_at: row.try_get(5)?,
        device_id: row.try_get(6)?,
        roles: row.try_get(7)?,
        csrf_token: row.try_get(8)?,
        is_oauth: row.try_get(9)?,
        props: text_to_map(row.try_get(10)?),
    })
}

/// An audit from a row selected with `AUDIT_COLUMNS`.
pub(crate) fn audit(row: &Row) -> Result<Audit, StoreError> {
    let status: &str = row.try_get(3)?;
    Ok(Audit {
        id: row.try_get(0)?,
        create_at: row.try_get(1)?,
        action: row.try_get(2)?,
        // Only this crate writes the column; an unknown value reads as the neutral outcome.
        status: AuditStatus::parse(status).unwrap_or(AuditStatus::Attempt),
        error_id: row.try_get(4)?,
        reason: row.try_get(5)?,
        user_id: row.try_get(6)?,
        device_id: row.try_get(7)?,
        ip_address: row.try_get(8)?,
        request_id: row.try_get(9)?,
    })
}

impl From<tokio_postgres::Error> for StoreError {
    fn from(e: tokio_postgres::Error) -> Self {
        match e.as_db_error() {
            Some(db) if *db.code() == SqlState::UNIQUE_VIOLATION => {
                StoreError::Conflict(conflict_field(db.constraint().unwrap_or("")))
            }
            // The plain Display of a server error is only "db error".
            Some(db) => StoreError::Database(db.to_string()),
            None => StoreError::Database(e.to_string()),
        }
    }
}

impl From<deadpool_postgres::PoolError> for StoreError {
    fn from(e: deadpool_postgres::PoolError) -> Self {
        match e {
            deadpool_postgres::PoolError::Backend(e) => e.into(),
            other => StoreError::Database(format!("connection pool: {other}")),
        }
    }
}
