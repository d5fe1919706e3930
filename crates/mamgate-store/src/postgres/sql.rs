//! The SQL of the PostgreSQL store, over a pooled client or a transaction alike.

use super::rows;
use crate::columns::{map_to_text, Single, AUDIT_COLUMNS, SESSION_COLUMNS, USER_COLUMNS};
use crate::StoreError;
use deadpool_postgres::GenericClient;
use mamgate_core::model::{Audit, Session, User};
use tokio_postgres::types::ToSql;

/// How `insert_user` treats an existing `(auth_service, auth_data)`.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) enum OnAuthConflict {
    /// A conflict is an error.
    Fail,
    /// A conflict inserts nothing (`get_or_create_by_auth`).
    Skip,
}

/// Inserts a user; false when `Skip` found the auth key taken.
pub(crate) async fn insert_user<C: GenericClient>(
    c: &C,
    u: &User,
    on: OnAuthConflict,
) -> Result<bool, StoreError> {
    let tail = match on {
        OnAuthConflict::Fail => "",
        OnAuthConflict::Skip => {
            " ON CONFLICT (auth_service, auth_data) WHERE auth_data <> '' DO NOTHING"
        }
    };
    let sql = format!(
        "INSERT INTO users ({USER_COLUMNS}) VALUES \
         ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20, $21, $22){tail}"
    );
    let (props, notify, tz) = (
        map_to_text(&u.props),
        map_to_text(&u.notify_props),
        map_to_text(&u.timezone),
    );
    let st = c.prepare_cached(&sql).await?;
    let n = c
        .execute(
            &st,
            &[
                &u.id,
                &u.create_at,
                &u.update_at,
                &u.delete_at,
                &u.username,
                &u.password,
                &u.auth_data,
                &u.auth_service,
                &u.email,
                &u.email_verified,
                &u.nickname,
                &u.first_name,
                &u.last_name,
                &u.position,
                &u.roles,
                &u.locale,
                &u.is_bot,
                &props,
                &notify,
                &tz,
                &u.last_password_update,
                &u.last_login,
            ],
        )
        .await?;
    Ok(n > 0)
}

/// Replaces every field but `id` and `create_at`; the stored user, or `None` when absent.
pub(crate) async fn update_user<C: GenericClient>(
    c: &C,
    u: &User,
) -> Result<Option<User>, StoreError> {
    let sql = format!(
        "UPDATE users SET update_at = $2, delete_at = $3, username = $4, password = $5, \
         auth_data = $6, auth_service = $7, email = $8, email_verified = $9, nickname = $10, \
         first_name = $11, last_name = $12, position = $13, roles = $14, locale = $15, \
         is_bot = $16, props = $17, notify_props = $18, timezone = $19, \
         last_password_update = $20, last_login = $21 WHERE id = $1 RETURNING {USER_COLUMNS}"
    );
    let (props, notify, tz) = (
        map_to_text(&u.props),
        map_to_text(&u.notify_props),
        map_to_text(&u.timezone),
    );
    let st = c.prepare_cached(&sql).await?;
    let row = c
        .query_opt(
            &st,
            &[
                &u.id,
                &u.update_at,
                &u.delete_at,
                &u.username,
                &u.password,
                &u.auth_data,
                &u.auth_service,
                &u.email,
                &u.email_verified,
                &u.nickname,
                &u.first_name,
                &u.last_name,
                &u.position,
                &u.roles,
                &u.locale,
                &u.is_bot,
                &props,
                &notify,
                &tz,
                &u.last_password_update,
                &u.last_login,
            ],
        )
        .await?;
    row.as_ref().map(rows::user).transpose()
}

/// Sets `delete_at` and `update_at`; the stored user, or `None` when absent.
pub(crate) async fn set_delete_at<C: GenericClient>(
    c: &C,
    id: &str,
    delete_at: i64,
    now: i64,
) -> Result<Option<User>, StoreError> {
    let sql = format!(
        "UPDATE users SET delete_at = $2, update_at = $3 WHERE id = $1 RETURNING {USER_COLUMNS}"
    );
    let st = c.prepare_cached(&sql).await?;
    let row = c.query_opt(&st, &[&id, &delete_at, &now]).await?;
    row.as_ref().map(rows::user).transpose()
}

/// True when the store has no user yet.
pub(crate) async fn no_users<C: GenericClient>(c: &C) -> Result<bool, StoreError> {
    let st = c
        .prepare_cached("SELECT EXISTS (SELECT 1 FROM users)")
        .await?;
    let any: bool = c.query_one(&st, &[]).await?.try_get(0)?;
    Ok(!any)
}

/// Users selected by `filter` with `args`.
async fn users_where<C: GenericClient>(
    c: &C,
    filter: &str,
    args: &[&(dyn ToSql + Sync)],
) -> Result<Vec<User>, StoreError> {
    let sql = format!("SELECT {USER_COLUMNS} FROM users WHERE {filter}");
    let st = c.prepare_cached(&sql).await?;
    c.query(&st, args).await?.iter().map(rows::user).collect()
}

async fn one_user<C: GenericClient>(
    c: &C,
    filter: &str,
    args: &[&(dyn ToSql + Sync)],
) -> Result<Option<User>, StoreError> {
    Ok(users_where(c, filter, args).await?.into_iter().next())
}

/// By id.
pub(crate) async fn user_by_id<C: GenericClient>(
    c: &C,
    id: &str,
) -> Result<Option<User>, StoreError> {
    one_user(c, "id = $1", &[&id]).await
}

/// By `(auth_service, auth_data)`; `auth_data <> ''` lets the planner use the partial index.
pub(crate) async fn user_by_auth<C: GenericClient>(
    c: &C,
    service: &str,
    data: &str,
) -> Result<Option<User>, StoreError> {
    if data.is_empty() {
        return Ok(None);
    }
    one_user(
        c,
        "auth_service = $1 AND auth_data = $2 AND auth_data <> ''",
        &[&service, &data],
    )
    .await
}

/// By email (case-insensitive), then by username.
pub(crate) async fn user_by_login<C: GenericClient>(
    c: &C,
    login: &str,
) -> Result<Option<User>, StoreError> {
    if login.is_empty() {
        return Ok(None);
    }
    if let Some(u) = one_user(c, "email <> '' AND lower(email) = lower($1)", &[&login]).await? {
        return Ok(Some(u));
    }
    one_user(c, "username = $1", &[&login]).await
}

/// A page of users by username.
pub(crate) async fn list_users<C: GenericClient>(
    c: &C,
    limit: i64,
    offset: i64,
) -> Result<Vec<User>, StoreError> {
    users_where(
        c,
        "TRUE ORDER BY username LIMIT $1 OFFSET $2",
        &[&limit, &offset],
    )
    .await
}

/// The next keyset batch of users after id `after`.
pub(crate) async fn users_after<C: GenericClient>(
    c: &C,
    after: &str,
    limit: i64,
) -> Result<Vec<User>, StoreError> {
    users_where(c, "id > $1 ORDER BY id LIMIT $2", &[&after, &limit]).await
}

/// Every user.
pub(crate) async fn count_users<C: GenericClient>(c: &C) -> Result<u64, StoreError> {
    let st = c.prepare_cached("SELECT COUNT(*) FROM users").await?;
    let n: i64 = c.query_one(&st, &[]).await?.try_get(0)?;
    Ok(u64::try_from(n).unwrap_or(0))
}

/// Inserts a session as given.
pub(crate) async fn insert_session<C: GenericClient>(c: &C, s: &Session) -> Result<(), StoreError> {
    let sql = format!("INSERT INTO sessions ({SESSION_COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)");
    let props = map_to_text(&s.props);
    let st = c.prepare_cached(&sql).await?;
    c.execute(
        &st,
        &[
            &s.id,
            &s.token_hash,
            &s.user_id,
            &s.create_at,
            &s.expires_at,
            &s.last_activity_at,
            &s.device_id,
            &s.roles,
            &s.csrf_token,
            &s.is_oauth,
            &props,
        ],
    )
    .await?;
    Ok(())
}

/// Runs one statement that changes rows; how many it changed.
pub(crate) async fn change<C: GenericClient>(
    c: &C,
    sql: &str,
    args: &[&(dyn ToSql + Sync)],
) -> Result<u64, StoreError> {
    let st = c.prepare_cached(sql).await?;
    Ok(c.execute(&st, args).await?)
}

/// A session by its token hash.
pub(crate) async fn session_by_token_hash<C: GenericClient>(
    c: &C,
    hash: &str,
) -> Result<Option<Session>, StoreError> {
    let sql = format!("SELECT {SESSION_COLUMNS} FROM sessions WHERE token_hash = $1");
    let st = c.prepare_cached(&sql).await?;
    c.query_opt(&st, &[&hash])
        .await?
        .as_ref()
        .map(rows::session)
        .transpose()
}

/// A user's sessions, newest first.
pub(crate) async fn user_sessions<C: GenericClient>(
    c: &C,
    user_id: &str,
) -> Result<Vec<Session>, StoreError> {
    let sql = format!(
        "SELECT {SESSION_COLUMNS} FROM sessions WHERE user_id = $1 ORDER BY create_at DESC, id"
    );
    let st = c.prepare_cached(&sql).await?;
    c.query(&st, &[&user_id])
        .await?
        .iter()
        .map(rows::session)
        .collect()
}

/// Appends an audit.
pub(crate) async fn insert_audit<C: GenericClient>(c: &C, a: &Audit) -> Result<(), StoreError> {
    let sql = format!(
        "INSERT INTO audits ({AUDIT_COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)"
    );
    let st = c.prepare_cached(&sql).await?;
    c.execute(
        &st,
        &[
            &a.id,
            &a.create_at,
            &a.action,
            &a.status.as_str(),
            &a.error_id,
            &a.reason,
            &a.user_id,
            &a.device_id,
            &a.ip_address,
            &a.request_id,
        ],
    )
    .await?;
    Ok(())
}

/// A page of audits, newest first (`seq` breaks ties within a millisecond).
pub(crate) async fn list_audits<C: GenericClient>(
    c: &C,
    limit: i64,
    offset: i64,
) -> Result<Vec<Audit>, StoreError> {
    let sql = format!(
        "SELECT {AUDIT_COLUMNS} FROM audits ORDER BY create_at DESC, seq DESC LIMIT $1 OFFSET $2"
    );
    let st = c.prepare_cached(&sql).await?;
    c.query(&st, &[&limit, &offset])
        .await?
        .iter()
        .map(rows::audit)
        .collect()
}

/// The text of a single-row table.
pub(crate) async fn get_single<C: GenericClient>(
    c: &C,
    table: Single,
) -> Result<Option<String>, StoreError> {
    let sql = format!(
        "SELECT {} FROM {} WHERE singleton = 1",
        table.column(),
        table.name()
    );
    let st = c.prepare_cached(&sql).await?;
    Ok(c.query_opt(&st, &[])
        .await?
        .map(|r| r.try_get(0))
        .transpose()?)
}

/// Sets (`Some`) or clears (`None`) a single-row table.
pub(crate) async fn set_single<C: GenericClient>(
    c: &C,
    table: Single,
    value: Option<&str>,
) -> Result<(), StoreError> {
    match value {
        Some(v) => {
            let sql = format!(
                "INSERT INTO {t} (singleton, {col}) VALUES (1, $1) \
                 ON CONFLICT (singleton) DO UPDATE SET {col} = EXCLUDED.{col}",
                t = table.name(),
                col = table.column()
            );
            change(c, &sql, &[&v]).await?;
        }
        None => {
            change(c, &format!("DELETE FROM {}", table.name()), &[]).await?;
        }
    }
    Ok(())
}
