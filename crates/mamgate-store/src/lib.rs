//! Persistence for mamgate: the [`Store`] trait (the port the server and doctor use) and its
//! two implementations, SQLite (the embedded default) and PostgreSQL (several nodes).
//!
//! Depends on `mamgate-core` only. No HTTP types here; no "which database am I on" branches
//! outside the two implementation modules.

use async_trait::async_trait;
use mamgate_core::model::{Audit, Session, User};
use serde_json::Value;

mod columns;
mod hash;
mod id;
mod open;
pub mod postgres;
pub mod sqlite;

pub use hash::hash_token;
pub use id::new_id;
pub use open::open_store;
pub use postgres::PostgresStore;
pub use sqlite::SqliteStore;

/// What went wrong in the store.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// A unique constraint was hit; the field says which (`username`, `email`, `auth`).
    #[error("{0} already exists")]
    Conflict(&'static str),
    /// The record to change does not exist.
    #[error("not found")]
    NotFound,
    /// The database failed.
    #[error("database: {0}")]
    Database(String),
}

/// The result of a get-or-create by `(auth_service, auth_data)`.
#[derive(Debug, Clone)]
pub struct AuthUser {
    /// The stored user (existing or just created).
    pub user: User,
    /// True when this call created the user.
    pub created: bool,
}

/// One page of a listing.
#[derive(Debug, Clone, Copy)]
pub struct Page {
    /// Zero-based page number.
    pub page: u32,
    /// Rows per page; 0 gives an empty page.
    pub per_page: u32,
}

/// The persistence port. Both implementations pass the same conformance suite.
#[async_trait]
pub trait Store: Send + Sync + 'static {
    /// Inserts a user. With `first_only`, the insert happens only on an empty store and the
    /// user becomes `system_admin system_user` (decided inside the same transaction, so of
    /// concurrent first sign-ups exactly one succeeds); otherwise `Conflict("first_user")`.
    async fn create_user(&self, user: User, first_only: bool) -> Result<User, StoreError>;
    /// Returns the user with `(auth_service, auth_data)`, creating `user` if there is none.
    /// Concurrent calls for one key create exactly one user. A different account owning
    /// the email gives `Conflict("email")`.
    async fn get_or_create_by_auth(&self, user: User) -> Result<AuthUser, StoreError>;
    /// By id.
    async fn get_user(&self, id: &str) -> Result<Option<User>, StoreError>;
    /// By `(auth_service, auth_data)`: an index seek.
    async fn get_user_by_auth(
        &self,
        auth_service: &str,
        auth_data: &str,
    ) -> Result<Option<User>, StoreError>;
    /// By email (case-insensitive) or username.
    async fn get_user_by_login(&self, login: &str) -> Result<Option<User>, StoreError>;
    /// Ordered by username.
    async fn list_users(&self, page: Page) -> Result<Vec<User>, StoreError>;
    /// Every user, deactivated and bots included.
    async fn count_users(&self) -> Result<u64, StoreError>;
    /// Calls `f` for every user, in id order, without holding them all in memory.
    async fn scan_users(
        &self,
        f: &mut (dyn for<'u> FnMut(&'u User) + Send),
    ) -> Result<(), StoreError>;
    /// Replaces the user's fields (not its id or create_at).
    async fn update_user(&self, user: User) -> Result<User, StoreError>;
    /// Sets `delete_at` (0 = active); deactivating revokes every session of the user in the
    /// same transaction. Returns the updated user.
    async fn set_user_active(
        &self,
        id: &str,
        active: bool,
        now_ms: i64,
    ) -> Result<User, StoreError>;

    /// Inserts a session; when `revoke_device_id` is given, first revokes the user's other
    /// sessions with that device id, in the same transaction. Writes are group-committed.
    async fn create_session(
        &self,
        session: Session,
        revoke_device_id: Option<String>,
    ) -> Result<(), StoreError>;
    /// A live (not revoked) session; expiry is the caller's check.
    /// [`Store::create_session`] and [`Store::add_audit`] in one write, so a sign-in commits
    /// its session and its audit record together (one group-commit round trip, not two).
    async fn create_session_with_audit(
        &self,
        session: Session,
        revoke_device_id: Option<String>,
        audit: Audit,
    ) -> Result<(), StoreError> {
        self.create_session(session, revoke_device_id).await?;
        self.add_audit(audit).await
    }

    async fn get_session_by_token_hash(
        &self,
        token_hash: &str,
    ) -> Result<Option<Session>, StoreError>;
    /// Deletes the session; revoking an unknown id is not an error.
    async fn revoke_session(&self, id: &str) -> Result<(), StoreError>;
    /// Revokes every session of a user; returns how many.
    async fn revoke_user_sessions(&self, user_id: &str) -> Result<u64, StoreError>;
    /// Newest first.
    async fn list_user_sessions(&self, user_id: &str) -> Result<Vec<Session>, StoreError>;

    /// Appends one audit record.
    async fn add_audit(&self, audit: Audit) -> Result<(), StoreError>;
    /// Newest first.
    async fn list_audits(&self, page: Page) -> Result<Vec<Audit>, StoreError>;

    /// The installed license file, if any.
    async fn get_license(&self) -> Result<Option<String>, StoreError>;
    /// Installs (`Some`) or removes (`None`) the license file.
    async fn set_license(&self, file: Option<String>) -> Result<(), StoreError>;

    /// The configuration document kept in the database (PostgreSQL mode), if any.
    async fn get_config(&self) -> Result<Option<Value>, StoreError>;
    /// Replaces the stored configuration document.
    async fn set_config(&self, config: Value) -> Result<(), StoreError>;

    /// Tells every node sharing this database that something changed (`config`, `license`,
    /// `user_deactivated:<id>`, `session_revoked:<id>`). A single-node store has no one to tell.
    async fn publish(&self, _notice: &str) -> Result<(), StoreError> {
        Ok(())
    }

    /// Notices published by any node (this one included), plus [`RECONNECTED`] after the
    /// listener lost and regained its connection (notices may have been missed). `None` for a
    /// single-node store.
    fn notices(&self) -> Option<tokio::sync::broadcast::Receiver<String>> {
        None
    }
}

/// The notice sent after the listener reconnects: reload everything shared.
pub const RECONNECTED: &str = "reconnected";
