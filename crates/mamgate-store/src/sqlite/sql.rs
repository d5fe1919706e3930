//! The SQL of the SQLite store, as plain functions over one connection: the writer runs them
//! inside its group transaction, the readers on their own connections.

use super::rows;
use crate::columns::{map_to_text, Single, AUDIT_COLUMNS, SESSION_COLUMNS, USER_COLUMNS};
use crate::StoreError;
use mamgate_core::model::{Audit, Session, User};
use rusqlite::{params, Connection, OptionalExtension};

/// Inserts a user as given.
pub(crate) fn insert_user(c: &Connection, u: &User) -> Result<(), StoreError> {
    let sql = format!(
        "INSERT INTO users ({USER_COLUMNS}) VALUES \
         (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18, ?19, ?20, ?21, ?22)"
    );
    c.prepare_cached(&sql)?.execute(params![
        u.id,
        u.create_at,
        u.update_at,
        u.delete_at,
        u.username,
        u.password,
        u.auth_data,
        u.auth_service,
        u.email,
        u.email_verified,
        u.nickname,
        u.first_name,
        u.last_name,
        u.position,
        u.roles,
        u.locale,
        u.is_bot,
        map_to_text(&u.props),
        map_to_text(&u.notify_props),
        map_to_text(&u.timezone),
        u.last_password_update,
        u.last_login,
    ])?;
    Ok(())
}

/// Replaces every field but `id` and `create_at`; false when there is no such user.
pub(crate) fn update_user(c: &Connection, u: &User) -> Result<bool, StoreError> {
    let n = c
        .prepare_cached(
            "UPDATE users SET update_at = ?2, delete_at = ?3, username = ?4, password = ?5, \
             auth_data = ?6, auth_service = ?7, email = ?8, email_verified = ?9, nickname = ?10, \
             first_name = ?11, last_name = ?12, position = ?13, roles = ?14, locale = ?15, \
             is_bot = ?16, props = ?17, notify_props = ?18, timezone = ?19, \
             last_password_update = ?20, last_login = ?21 WHERE id = ?1",
        )?
        .execute(params![
            u.id,
            u.update_at,
            u.delete_at,
            u.username,
            u.password,
            u.auth_data,
            u.auth_service,
            u.email,
            u.email_verified,
            u.nickname,
            u.first_name,
            u.last_name,
            u.position,
            u.roles,
            u.locale,
            u.is_bot,
            map_to_text(&u.props),
            map_to_text(&u.notify_props),
            map_to_text(&u.timezone),
            u.last_password_update,
            u.last_login,
        ])?;
    Ok(n > 0)
}

/// Sets `delete_at` and `update_at`; false when there is no such user.
pub(crate) fn set_delete_at(
    c: &Connection,
    id: &str,
    delete_at: i64,
    now: i64,
) -> Result<bool, StoreError> {
    let n = c
        .prepare_cached("UPDATE users SET delete_at = ?2, update_at = ?3 WHERE id = ?1")?
        .execute(params![id, delete_at, now])?;
    Ok(n > 0)
}

/// True when the store has no user yet.
pub(crate) fn no_users(c: &Connection) -> Result<bool, StoreError> {
    let any: bool = c
        .prepare_cached("SELECT EXISTS (SELECT 1 FROM users)")?
        .query_row([], |r| r.get(0))?;
    Ok(!any)
}

/// One user selected by `filter` (a WHERE clause over `?1`, and `?2` when given).
fn one_user(
    c: &Connection,
    filter: &str,
    args: &[&dyn rusqlite::ToSql],
) -> Result<Option<User>, StoreError> {
    let sql = format!("SELECT {USER_COLUMNS} FROM users WHERE {filter}");
    Ok(c.prepare_cached(&sql)?
        .query_row(args, rows::user)
        .optional()?)
}

/// By id.
pub(crate) fn user_by_id(c: &Connection, id: &str) -> Result<Option<User>, StoreError> {
    one_user(c, "id = ?1", &[&id])
}

/// By `(auth_service, auth_data)`; the `auth_data <> ''` term lets SQLite use the partial index.
pub(crate) fn user_by_auth(
    c: &Connection,
    service: &str,
    data: &str,
) -> Result<Option<User>, StoreError> {
    if data.is_empty() {
        return Ok(None);
    }
    one_user(
        c,
        "auth_service = ?1 AND auth_data = ?2 AND auth_data <> ''",
        &[&service, &data],
    )
}

/// By email (case-insensitive), then by username.
pub(crate) fn user_by_login(c: &Connection, login: &str) -> Result<Option<User>, StoreError> {
    if login.is_empty() {
        return Ok(None);
    }
    if let Some(u) = one_user(c, "email <> '' AND lower(email) = lower(?1)", &[&login])? {
        return Ok(Some(u));
    }
    one_user(c, "username = ?1", &[&login])
}

/// A page of users by username.
pub(crate) fn list_users(c: &Connection, limit: i64, offset: i64) -> Result<Vec<User>, StoreError> {
    let sql = format!("SELECT {USER_COLUMNS} FROM users ORDER BY username LIMIT ?1 OFFSET ?2");
    let mut st = c.prepare_cached(&sql)?;
    let users = st
        .query_map([limit, offset], rows::user)?
        .collect::<Result<_, _>>()?;
    Ok(users)
}

/// The next keyset batch of users after id `after`.
pub(crate) fn users_after(
    c: &Connection,
    after: &str,
    limit: i64,
) -> Result<Vec<User>, StoreError> {
    let sql = format!("SELECT {USER_COLUMNS} FROM users WHERE id > ?1 ORDER BY id LIMIT ?2");
    let mut st = c.prepare_cached(&sql)?;
    let users = st
        .query_map(params![after, limit], rows::user)?
        .collect::<Result<_, _>>()?;
    Ok(users)
}

/// Every user.
pub(crate) fn count_users(c: &Connection) -> Result<u64, StoreError> {
    let n: i64 = c
        .prepare_cached("SELECT COUNT(*) FROM users")?
        .query_row([], |r| r.get(0))?;
    Ok(u64::try_from(n).unwrap_or(0))
}

/// Inserts a session as given.
pub(crate) fn insert_session(c: &Connection, s: &Session) -> Result<(), StoreError> {
    let sql = format!(
        "INSERT INTO sessions ({SESSION_COLUMNS}) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)"
    );
    c.prepare_cached(&sql)?.execute(params![
        s.id,
        s.token_hash,
        s.user_id,
        s.create_at,
        s.expires_at,
        s.last_activity_at,
        s.device_id,
        s.roles,
        s.csrf_token,
        s.is_oauth,
        map_to_text(&s.props),
    ])?;
    Ok(())
}

/// Deletes the user's sessions bound to `device_id`.
pub(crate) fn revoke_device(
    c: &Connection,
    user_id: &str,
    device_id: &str,
) -> Result<u64, StoreError> {
    let n = c
        .prepare_cached("DELETE FROM sessions WHERE user_id = ?1 AND device_id = ?2")?
        .execute([user_id, device_id])?;
    Ok(n as u64)
}

/// Deletes one session.
pub(crate) fn revoke_session(c: &Connection, id: &str) -> Result<(), StoreError> {
    c.prepare_cached("DELETE FROM sessions WHERE id = ?1")?
        .execute([id])?;
    Ok(())
}

/// Deletes every session of a user.
pub(crate) fn revoke_user_sessions(c: &Connection, user_id: &str) -> Result<u64, StoreError> {
    let n = c
        .prepare_cached("DELETE FROM sessions WHERE user_id = ?1")?
        .execute([user_id])?;
    Ok(n as u64)
}

/// A session by its token hash.
pub(crate) fn session_by_token_hash(
    c: &Connection,
    hash: &str,
) -> Result<Option<Session>, StoreError> {
    let sql = format!("SELECT {SESSION_COLUMNS} FROM sessions WHERE token_hash = ?1");
    Ok(c.prepare_cached(&sql)?
        .query_row([hash], rows::session)
        .optional()?)
}

/// A user's sessions, newest first.
pub(crate) fn user_sessions(c: &Connection, user_id: &str) -> Result<Vec<Session>, StoreError> {
    let sql = format!(
        "SELECT {SESSION_COLUMNS} FROM sessions WHERE user_id = ?1 ORDER BY create_at DESC, id"
    );
    let mut st = c.prepare_cached(&sql)?;
    let sessions = st
        .query_map([user_id], rows::session)?
        .collect::<Result<_, _>>()?;
    Ok(sessions)
}

/// Appends an audit.
pub(crate) fn insert_audit(c: &Connection, a: &Audit) -> Result<(), StoreError> {
    let sql = format!(
        "INSERT INTO audits ({AUDIT_COLUMNS}) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)"
    );
    c.prepare_cached(&sql)?.execute(params![
        a.id,
        a.create_at,
        a.action,
        a.status.as_str(),
        a.error_id,
        a.reason,
        a.user_id,
        a.device_id,
        a.ip_address,
        a.request_id,
    ])?;
    Ok(())
}

/// A page of audits, newest first (`seq` breaks ties within a millisecond).
pub(crate) fn list_audits(
    c: &Connection,
    limit: i64,
    offset: i64,
) -> Result<Vec<Audit>, StoreError> {
    let sql = format!(
        "SELECT {AUDIT_COLUMNS} FROM audits ORDER BY create_at DESC, seq DESC LIMIT ?1 OFFSET ?2"
    );
    let mut st = c.prepare_cached(&sql)?;
    let audits = st
        .query_map([limit, offset], rows::audit)?
        .collect::<Result<_, _>>()?;
    Ok(audits)
}

/// The text of a single-row table (`license.file`, `config.document`).
pub(crate) fn get_single(c: &Connection, table: Single) -> Result<Option<String>, StoreError> {
    let sql = format!(
        "SELECT {} FROM {} WHERE singleton = 1",
        table.column(),
        table.name()
    );
    Ok(c.prepare_cached(&sql)?
        .query_row([], |r| r.get(0))
        .optional()?)
}

/// Sets (`Some`) or clears (`None`) a single-row table.
pub(crate) fn set_single(
    c: &Connection,
    table: Single,
    value: Option<&str>,
) -> Result<(), StoreError> {
    match value {
        Some(v) => {
            let sql = format!(
                "INSERT INTO {t} (singleton, {col}) VALUES (1, ?1) \
                 ON CONFLICT (singleton) DO UPDATE SET {col} = excluded.{col}",
                t = table.name(),
                col = table.column()
            );
            c.prepare_cached(&sql)?.execute([v])?;
        }
        None => {
            c.prepare_cached(&format!("DELETE FROM {}", table.name()))?
                .execute([])?;
        }
    }
    Ok(())
}
