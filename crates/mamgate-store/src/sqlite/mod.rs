//! The embedded store: one SQLite file in WAL mode, one group-committing writer thread and a
//! few reader threads (see `worker`).

mod checkpoint;
mod migrate;
mod rows;
mod sql;
mod worker;

use crate::columns::{limit_offset, Single, SCAN_BATCH};
use crate::{new_id, AuthUser, Page, Store, StoreError};
use async_trait::async_trait;
use mamgate_core::model::{roles, Audit, Session, User};
use rusqlite::{Connection, OpenFlags};
use serde_json::Value;
use std::path::Path;
use std::time::Duration;
use worker::Workers;

/// How long a connection waits for another process's lock before failing.
const BUSY_TIMEOUT: Duration = Duration::from_secs(5);

/// Page cache per reader connection (KiB, as SQLite's negative `cache_size`): the upper index
/// levels of a million-user store stay warm without growing the server much.
const READER_CACHE_KIB: i64 = 16 * 1024;

/// The writer touches four unique indexes per new user at random places: a bigger cache keeps
/// bulk creation (LDAP sync, a million-user import) from turning into random disk I/O.
const WRITER_CACHE_KIB: i64 = 64 * 1024;

/// Reads through a memory map rather than `pread` into each connection's cache: at 1,000,000
/// users a lookup otherwise pays several syscalls and page copies (measured 56–87 µs vs
/// 32 µs at 1,000 users). Address space only; the pages are the OS's shared file cache.
const MMAP_BYTES: i64 = 1 << 30;

/// The SQLite implementation of [`Store`].
pub struct SqliteStore {
    workers: Workers,
    _checkpointer: checkpoint::Checkpointer,
}

impl SqliteStore {
    /// Opens (creating folders and file as needed) and migrates the database at `path`, then
    /// starts the writer thread and one reader thread per core plus one.
    pub fn open(path: &Path) -> Result<SqliteStore, StoreError> {
        if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
            std::fs::create_dir_all(parent)
                .map_err(|e| StoreError::Database(format!("{}: {e}", parent.display())))?;
        }
        let writer = Connection::open(path)?;
        tune(&writer, WRITER_CACHE_KIB)?;
        writer.pragma_update_and_check(None, "journal_mode", "WAL", |r| r.get::<_, String>(0))?;
        writer.pragma_update(None, "synchronous", "NORMAL")?;
        // Checkpoints happen in their own thread (see `checkpoint`), not in the writer's commits.
        writer.pragma_update(None, "wal_autocheckpoint", 0)?;
        migrate::migrate(&writer)?;
        let count = std::thread::available_parallelism().map_or(2, |n| n.get()) + 1;
        let flags = OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX;
        let readers = (0..count)
            .map(|_| {
                let conn = Connection::open_with_flags(path, flags)?;
                tune(&conn, READER_CACHE_KIB)?;
                Ok(conn)
            })
            .collect::<Result<Vec<_>, StoreError>>()?;
        Ok(SqliteStore {
            workers: Workers::start(writer, readers)?,
            _checkpointer: checkpoint::start(path)?,
        })
    }
}

/// Settings every connection shares.
fn tune(conn: &Connection, cache_kib: i64) -> Result<(), StoreError> {
    conn.busy_timeout(BUSY_TIMEOUT)?;
    conn.pragma_update(None, "cache_size", -cache_kib)?;
    // PRAGMA mmap_size answers with the size it granted; the answer is not needed.
    conn.query_row(&format!("PRAGMA mmap_size = {MMAP_BYTES}"), [], |_| Ok(()))?;
    conn.set_prepared_statement_cache_capacity(64);
    Ok(())
}

#[async_trait]
impl Store for SqliteStore {
    async fn create_user(&self, mut user: User, first_only: bool) -> Result<User, StoreError> {
        if user.id.is_empty() {
            user.id = new_id();
        }
        self.workers
            .write(move |c| {
                // Decided by the single writer inside the transaction, so only one user can
                // ever see the store empty.
                if first_only {
                    if !sql::no_users(c)? {
                        return Err(StoreError::Conflict("first_user"));
                    }
                    user.roles = roles::ADMIN.to_owned();
                }
                sql::insert_user(c, &user)?;
                Ok(user)
            })
            .await
    }

    async fn get_or_create_by_auth(&self, mut user: User) -> Result<AuthUser, StoreError> {
        if user.auth_data.is_empty() {
            return Err(StoreError::Database(
                "get_or_create_by_auth needs auth_data".into(),
            ));
        }
        // Existing users (every sign-in but the first) never touch the writer.
        if let Some(found) = self
            .get_user_by_auth(&user.auth_service, &user.auth_data)
            .await?
        {
            return Ok(AuthUser {
                user: found,
                created: false,
            });
        }
        if user.id.is_empty() {
            user.id = new_id();
        }
        self.workers
            .write(move |c| {
                if let Some(found) = sql::user_by_auth(c, &user.auth_service, &user.auth_data)? {
                    return Ok(AuthUser {
                        user: found,
                        created: false,
                    });
                }
                sql::insert_user(c, &user)?;
                Ok(AuthUser {
                    user,
                    created: true,
                })
            })
            .await
    }

    async fn get_user(&self, id: &str) -> Result<Option<User>, StoreError> {
        let id = id.to_owned();
        self.workers.read(move |c| sql::user_by_id(c, &id)).await
    }

    async fn get_user_by_auth(
        &self,
        auth_service: &str,
        auth_data: &str,
    ) -> Result<Option<User>, StoreError> {
        let (service, data) = (auth_service.to_owned(), auth_data.to_owned());
        self.workers
            .read(move |c| sql::user_by_auth(c, &service, &data))
            .await
    }

    async fn get_user_by_login(&self, login: &str) -> Result<Option<User>, StoreError> {
        let login = login.to_owned();
        self.workers
            .read(move |c| sql::user_by_login(c, &login))
            .await
    }

    async fn list_users(&self, page: Page) -> Result<Vec<User>, StoreError> {
        let (limit, offset) = limit_offset(page);
        self.workers
            .read(move |c| sql::list_users(c, limit, offset))
            .await
    }

    async fn count_users(&self) -> Result<u64, StoreError> {
        self.workers.read(sql::count_users).await
    }

    async fn scan_users(
        &self,
        f: &mut (dyn for<'u> FnMut(&'u User) + Send),
    ) -> Result<(), StoreError> {
        // Keyset batches by id: bounded memory, no read transaction held across the scan.
        let mut after = String::new();
        loop {
            let from = after.clone();
            let batch = self
                .workers
                .read(move |c| sql::users_after(c, &from, SCAN_BATCH))
                .await?;
            for user in &batch {
                f(user);
            }
            match batch.last() {
                Some(last) if batch.len() as i64 == SCAN_BATCH => after.clone_from(&last.id),
                _ => return Ok(()),
            }
        }
    }

    async fn update_user(&self, user: User) -> Result<User, StoreError> {
        self.workers
            .write(move |c| {
                if !sql::update_user(c, &user)? {
                    return Err(StoreError::NotFound);
                }
                sql::user_by_id(c, &user.id)?.ok_or(StoreError::NotFound)
            })
            .await
    }

    async fn set_user_active(
        &self,
        id: &str,
        active: bool,
        now_ms: i64,
    ) -> Result<User, StoreError> {
        let id = id.to_owned();
        self.workers
            .write(move |c| {
                let delete_at = if active { 0 } else { now_ms };
                if !sql::set_delete_at(c, &id, delete_at, now_ms)? {
                    return Err(StoreError::NotFound);
                }
                if !active {
                    sql::revoke_user_sessions(c, &id)?;
                }
                sql::user_by_id(c, &id)?.ok_or(StoreError::NotFound)
            })
            .await
    }

    async fn create_session(
        &self,
        mut session: Session,
        revoke_device_id: Option<String>,
    ) -> Result<(), StoreError> {
        if session.id.is_empty() {
            session.id = new_id();
        }
        self.workers
            .write(move |c| {
                if let Some(device) = revoke_device_id.filter(|d| !d.is_empty()) {
                    sql::revoke_device(c, &session.user_id, &device)?;
                }
                sql::insert_session(c, &session)
            })
            .await
    }

    async fn create_session_with_audit(
        &self,
        mut session: Session,
        revoke_device_id: Option<String>,
        mut audit: Audit,
    ) -> Result<(), StoreError> {
        if session.id.is_empty() {
            session.id = new_id();
        }
        if audit.id.is_empty() {
            audit.id = new_id();
        }
        self.workers
            .write(move |c| {
                if let Some(device) = revoke_device_id.filter(|d| !d.is_empty()) {
                    sql::revoke_device(c, &session.user_id, &device)?;
                }
                sql::insert_session(c, &session)?;
                sql::insert_audit(c, &audit)
            })
            .await
    }

    async fn get_session_by_token_hash(
        &self,
        token_hash: &str,
    ) -> Result<Option<Session>, StoreError> {
        let hash = token_hash.to_owned();
        self.workers
            .read(move |c| sql::session_by_token_hash(c, &hash))
            .await
    }

    async fn revoke_session(&self, id: &str) -> Result<(), StoreError> {
        let id = id.to_owned();
        self.workers
            .write(move |c| sql::revoke_session(c, &id))
            .await
    }

    async fn revoke_user_sessions(&self, user_id: &str) -> Result<u64, StoreError> {
        let id = user_id.to_owned();
        self.workers
            .write(move |c| sql::revoke_user_sessions(c, &id))
            .await
    }

    async fn list_user_sessions(&self, user_id: &str) -> Result<Vec<Session>, StoreError> {
        let id = user_id.to_owned();
        self.workers.read(move |c| sql::user_sessions(c, &id)).await
    }

    async fn add_audit(&self, mut audit: Audit) -> Result<(), StoreError> {
        if audit.id.is_empty() {
            audit.id = new_id();
        }
        self.workers
            .write(move |c| sql::insert_audit(c, &audit))
            .await
    }

    async fn list_audits(&self, page: Page) -> Result<Vec<Audit>, StoreError> {
        let (limit, offset) = limit_offset(page);
        self.workers
            .read(move |c| sql::list_audits(c, limit, offset))
            .await
    }

    async fn get_license(&self) -> Result<Option<String>, StoreError> {
        self.workers
            .read(|c| sql::get_single(c, Single::License))
            .await
    }

    async fn set_license(&self, file: Option<String>) -> Result<(), StoreError> {
        self.workers
            .write(move |c| sql::set_single(c, Single::License, file.as_deref()))
            .await
    }

    async fn get_config(&self) -> Result<Option<Value>, StoreError> {
        let text = self
            .workers
            .read(|c| sql::get_single(c, Single::Config))
            .await?;
        text.map(|t| {
            serde_json::from_str(&t)
                .map_err(|e| StoreError::Database(format!("stored config: {e}")))
        })
        .transpose()
    }

    async fn set_config(&self, config: Value) -> Result<(), StoreError> {
        let text = config.to_string();
        self.workers
            .write(move |c| sql::set_single(c, Single::Config, Some(&text)))
            .await
    }
}
