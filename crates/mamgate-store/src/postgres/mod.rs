//! The multi-node store: PostgreSQL through a `deadpool-postgres` pool. Concurrency between
//! nodes is the database's job: unique indexes, `ON CONFLICT`, and an advisory lock for the
//! first-user promotion.

mod migrate;
mod notify;
mod rows;
mod sql;

use crate::columns::{limit_offset, Single, SCAN_BATCH};
use crate::{new_id, AuthUser, Page, Store, StoreError};
use async_trait::async_trait;
use deadpool_postgres::{Client, Manager, ManagerConfig, Pool, RecyclingMethod, Runtime};
use mamgate_core::model::{roles, Audit, Session, User};
use serde_json::Value;
use sql::OnAuthConflict;
use std::time::Duration;
use tokio_postgres::NoTls;

/// Pooled connections per node.
const POOL_SIZE: usize = 16;

/// How long opening a connection, or waiting for a pooled one, may take.
const POOL_TIMEOUT: Duration = Duration::from_secs(10);

/// Advisory-lock key serialising "am I the first user?" across nodes.
const FIRST_USER_LOCK: i64 = 0x6d61_6d67_6174_6501;

/// The PostgreSQL implementation of [`Store`].
pub struct PostgresStore {
    pool: Pool,
    /// For the notice listener's own connection.
    config: tokio_postgres::Config,
    channel: String,
    listener: std::sync::OnceLock<notify::Listener>,
}

impl PostgresStore {
    /// Connects to `url` (`postgres://user@host:port/db`, TLS not supported), migrates the
    /// default schema and keeps a pool.
    pub async fn connect(url: &str) -> Result<PostgresStore, StoreError> {
        Self::start(parse(url)?, "public").await
    }

    /// Like [`PostgresStore::connect`], inside `schema` (created if missing; lower-case
    /// letters, digits and `_`): every pooled connection gets it as `search_path`.
    pub async fn connect_with_schema(url: &str, schema: &str) -> Result<PostgresStore, StoreError> {
        let valid = !schema.is_empty()
            && schema.len() <= 63
            && schema
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_')
            && !schema.as_bytes().first().is_some_and(u8::is_ascii_digit);
        if !valid {
            return Err(StoreError::Database(format!(
                "invalid schema name {schema:?}"
            )));
        }
        let mut config = parse(url)?;
        let (client, conn) = tokio::time::timeout(POOL_TIMEOUT, config.connect(NoTls))
            .await
            .map_err(|_| StoreError::Database("connect timed out".into()))??;
        let task = tokio::spawn(conn);
        let created = client
            .batch_execute(&format!("CREATE SCHEMA IF NOT EXISTS {schema}"))
            .await;
        drop(client);
        let _ = task.await;
        created?;
        config.options(format!("-c search_path={schema}"));
        Self::start(config, schema).await
    }

    async fn start(
        config: tokio_postgres::Config,
        schema: &str,
    ) -> Result<PostgresStore, StoreError> {
        let manager = Manager::from_config(
            config.clone(),
            NoTls,
            ManagerConfig {
                recycling_method: RecyclingMethod::Fast,
            },
        );
        let pool = Pool::builder(manager)
            .max_size(POOL_SIZE)
            .runtime(Runtime::Tokio1)
            .create_timeout(Some(POOL_TIMEOUT))
            .wait_timeout(Some(POOL_TIMEOUT))
            .build()
            .map_err(|e| StoreError::Database(format!("connection pool: {e}")))?;
        let store = PostgresStore {
            pool,
            config,
            channel: notify::channel_for(schema),
            listener: std::sync::OnceLock::new(),
        };
        migrate::migrate(&mut store.client().await?).await?;
        Ok(store)
    }

    async fn client(&self) -> Result<Client, StoreError> {
        Ok(self.pool.get().await?)
    }
}

fn parse(url: &str) -> Result<tokio_postgres::Config, StoreError> {
    url.parse()
        .map_err(|e| StoreError::Database(format!("connection URL: {e}")))
}

#[async_trait]
impl Store for PostgresStore {
    async fn create_user(&self, mut user: User, first_only: bool) -> Result<User, StoreError> {
        if user.id.is_empty() {
            user.id = new_id();
        }
        let mut client = self.client().await?;
        if !first_only {
            sql::insert_user(&client, &user, OnAuthConflict::Fail).await?;
            return Ok(user);
        }
        let tx = client.transaction().await?;
        // Under READ COMMITTED the EXISTS after the lock sees every user committed before it.
        tx.execute("SELECT pg_advisory_xact_lock($1)", &[&FIRST_USER_LOCK])
            .await?;
        if !sql::no_users(&tx).await? {
            return Err(StoreError::Conflict("first_user"));
        }
        user.roles = roles::ADMIN.to_owned();
        sql::insert_user(&tx, &user, OnAuthConflict::Fail).await?;
        tx.commit().await?;
        Ok(user)
    }

    async fn get_or_create_by_auth(&self, mut user: User) -> Result<AuthUser, StoreError> {
        if user.auth_data.is_empty() {
            return Err(StoreError::Database(
                "get_or_create_by_auth needs auth_data".into(),
            ));
        }
        let client = self.client().await?;
        if let Some(found) = sql::user_by_auth(&client, &user.auth_service, &user.auth_data).await?
        {
            return Ok(AuthUser {
                user: found,
                created: false,
            });
        }
        if user.id.is_empty() {
            user.id = new_id();
        }
        // A concurrent first sign-in of the same oid may win the race on another unique index
        // (the email) before ours reaches the auth index: so any conflict re-reads the key.
        let inserted = sql::insert_user(&client, &user, OnAuthConflict::Skip).await;
        match inserted {
            Ok(true) => {
                return Ok(AuthUser {
                    user,
                    created: true,
                })
            }
            Ok(false) | Err(StoreError::Conflict(_)) => {}
            Err(e) => return Err(e),
        }
        match sql::user_by_auth(&client, &user.auth_service, &user.auth_data).await? {
            Some(found) => Ok(AuthUser {
                user: found,
                created: false,
            }),
            None => Err(inserted.err().unwrap_or(StoreError::Conflict("auth"))),
        }
    }

    async fn get_user(&self, id: &str) -> Result<Option<User>, StoreError> {
        sql::user_by_id(&self.client().await?, id).await
    }

    async fn get_user_by_auth(
        &self,
        auth_service: &str,
        auth_data: &str,
    ) -> Result<Option<User>, StoreError> {
        sql::user_by_auth(&self.client().await?, auth_service, auth_data).await
    }

    async fn get_user_by_login(&self, login: &str) -> Result<Option<User>, StoreError> {
        sql::user_by_login(&self.client().await?, login).await
    }

    async fn list_users(&self, page: Page) -> Result<Vec<User>, StoreError> {
        let (limit, offset) = limit_offset(page);
        sql::list_users(&self.client().await?, limit, offset).await
    }

    async fn count_users(&self) -> Result<u64, StoreError> {
        sql::count_users(&self.client().await?).await
    }

    async fn scan_users(
        &self,
        f: &mut (dyn for<'u> FnMut(&'u User) + Send),
    ) -> Result<(), StoreError> {
        // Keyset batches by id: bounded memory, no transaction held across the scan.
        let client = self.client().await?;
        let mut after = String::new();
        loop {
            let batch = sql::users_after(&client, &after, SCAN_BATCH).await?;
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
        sql::update_user(&self.client().await?, &user)
            .await?
            .ok_or(StoreError::NotFound)
    }

    async fn set_user_active(
        &self,
        id: &str,
        active: bool,
        now_ms: i64,
    ) -> Result<User, StoreError> {
        let mut client = self.client().await?;
        let tx = client.transaction().await?;
        let delete_at = if active { 0 } else { now_ms };
        let user = sql::set_delete_at(&tx, id, delete_at, now_ms)
            .await?
            .ok_or(StoreError::NotFound)?;
        if !active {
            sql::change(&tx, "DELETE FROM sessions WHERE user_id = $1", &[&id]).await?;
        }
        tx.commit().await?;
        Ok(user)
    }

    async fn create_session(
        &self,
        mut session: Session,
        revoke_device_id: Option<String>,
    ) -> Result<(), StoreError> {
        if session.id.is_empty() {
            session.id = new_id();
        }
        let mut client = self.client().await?;
        let Some(device) = revoke_device_id.filter(|d| !d.is_empty()) else {
            return sql::insert_session(&client, &session).await;
        };
        let tx = client.transaction().await?;
        sql::change(
            &tx,
            "DELETE FROM sessions WHERE user_id = $1 AND device_id = $2",
            &[&session.user_id, &device],
        )
        .await?;
        sql::insert_session(&tx, &session).await?;
        tx.commit().await?;
        Ok(())
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
        let mut client = self.client().await?;
        let tx = client.transaction().await?;
        if let Some(device) = revoke_device_id.filter(|d| !d.is_empty()) {
            sql::change(
                &tx,
                "DELETE FROM sessions WHERE user_id = $1 AND device_id = $2",
                &[&session.user_id, &device],
            )
            .await?;
        }
        sql::insert_session(&tx, &session).await?;
        sql::insert_audit(&tx, &audit).await?;
        tx.commit().await?;
        Ok(())
    }

    async fn get_session_by_token_hash(
        &self,
        token_hash: &str,
    ) -> Result<Option<Session>, StoreError> {
        sql::session_by_token_hash(&self.client().await?, token_hash).await
    }

    async fn revoke_session(&self, id: &str) -> Result<(), StoreError> {
        sql::change(
            &self.client().await?,
            "DELETE FROM sessions WHERE id = $1",
            &[&id],
        )
        .await?;
        Ok(())
    }

    async fn revoke_user_sessions(&self, user_id: &str) -> Result<u64, StoreError> {
        sql::change(
            &self.client().await?,
            "DELETE FROM sessions WHERE user_id = $1",
            &[&user_id],
        )
        .await
    }

    async fn list_user_sessions(&self, user_id: &str) -> Result<Vec<Session>, StoreError> {
        sql::user_sessions(&self.client().await?, user_id).await
    }

    async fn add_audit(&self, mut audit: Audit) -> Result<(), StoreError> {
        if audit.id.is_empty() {
            audit.id = new_id();
        }
        sql::insert_audit(&self.client().await?, &audit).await
    }

    async fn list_audits(&self, page: Page) -> Result<Vec<Audit>, StoreError> {
        let (limit, offset) = limit_offset(page);
        sql::list_audits(&self.client().await?, limit, offset).await
    }

    async fn get_license(&self) -> Result<Option<String>, StoreError> {
        sql::get_single(&self.client().await?, Single::License).await
    }

    async fn set_license(&self, file: Option<String>) -> Result<(), StoreError> {
        sql::set_single(&self.client().await?, Single::License, file.as_deref()).await
    }

    async fn get_config(&self) -> Result<Option<Value>, StoreError> {
        let text = sql::get_single(&self.client().await?, Single::Config).await?;
        text.map(|t| {
            serde_json::from_str(&t)
                .map_err(|e| StoreError::Database(format!("stored config: {e}")))
        })
        .transpose()
    }

    async fn set_config(&self, config: Value) -> Result<(), StoreError> {
        sql::set_single(
            &self.client().await?,
            Single::Config,
            Some(&config.to_string()),
        )
        .await
    }

    async fn publish(&self, notice: &str) -> Result<(), StoreError> {
        self.client()
            .await?
            .execute("SELECT pg_notify($1, $2)", &[&self.channel, &notice])
            .await?;
        Ok(())
    }

    fn notices(&self) -> Option<tokio::sync::broadcast::Receiver<String>> {
        let listener = self
            .listener
            .get_or_init(|| notify::listen(self.config.clone(), self.channel.clone()));
        Some(listener.tx.subscribe())
    }
}
