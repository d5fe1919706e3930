//! Real databases for the suite: a SQLite file in a temp folder, a PostgreSQL schema per test.

use mamgate_core::model::{Session, User};
use mamgate_store::{hash_token, new_id, PostgresStore, SqliteStore, Store};
use std::sync::Arc;

/// A SQLite store in its own temp folder (removed on drop).
pub struct SqliteHarness {
    pub store: Arc<dyn Store>,
    _dir: tempfile::TempDir,
}

impl SqliteHarness {
    pub fn new() -> Self {
        let dir = tempfile::tempdir().unwrap();
        // A nested path also checks that open creates parent folders.
        let store = SqliteStore::open(&dir.path().join("data/nested/mamgate.db")).unwrap();
        Self {
            store: Arc::new(store),
            _dir: dir,
        }
    }
}

/// A PostgreSQL store in schema `store_test_<name>`, or `None` (loudly) when no server answers
/// and `MAMGATE_REQUIRE_POSTGRES` is unset.
pub struct PostgresHarness {
    pub store: Arc<dyn Store>,
    url: String,
    schema: String,
}

impl PostgresHarness {
    pub async fn new(name: &str) -> Option<Self> {
        let url = std::env::var("MAMGATE_TEST_POSTGRES")
            .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/test".into());
        let schema = format!("store_test_{name}");
        // A previous failed run may have left the schema behind.
        if let Err(e) = admin(&url, &format!("DROP SCHEMA IF EXISTS {schema} CASCADE")).await {
            if std::env::var_os("MAMGATE_REQUIRE_POSTGRES").is_some() {
                panic!(
                    "PostgreSQL at {url} is required (MAMGATE_REQUIRE_POSTGRES) but failed: {e}"
                );
            }
            eprintln!("\n!!!!! SKIPPING PostgreSQL test {name}: cannot reach {url}: {e} !!!!!\n");
            return None;
        }
        let store = PostgresStore::connect_with_schema(&url, &schema)
            .await
            .unwrap();
        Some(Self {
            store: Arc::new(store),
            url,
            schema,
        })
    }

    /// Drops the test's schema (after the store's pool is gone).
    pub async fn finish(self) {
        drop(self.store);
        admin(
            &self.url,
            &format!("DROP SCHEMA IF EXISTS {} CASCADE", self.schema),
        )
        .await
        .unwrap();
    }
}

async fn admin(url: &str, sql: &str) -> Result<(), tokio_postgres::Error> {
    let (client, conn) = url
        .parse::<tokio_postgres::Config>()?
        .connect(tokio_postgres::NoTls)
        .await?;
    let task = tokio::spawn(conn);
    let done = client.batch_execute(sql).await;
    drop(client);
    let _ = task.await;
    done
}

/// A distinct user `n`: username, email and office365 auth key all derived from `n`.
pub fn user(n: u32) -> User {
    User {
        id: new_id(),
        create_at: 1_000 + i64::from(n),
        update_at: 1_000 + i64::from(n),
        username: format!("user{n}"),
        email: format!("user{n}@example.com"),
        auth_service: "office365".into(),
        auth_data: format!("00000000-0000-0000-0000-{n:012}"),
        roles: "system_user".into(),
        ..User::default()
    }
}

/// A session of `user_id` on `device_id`, with its token.
pub fn session(user_id: &str, device_id: &str, create_at: i64) -> (Session, String) {
    let token = new_id();
    let mut props = serde_json::Map::new();
    props.insert("isMobile".into(), "true".into());
    let session = Session {
        id: new_id(),
        token_hash: hash_token(&token),
        user_id: user_id.into(),
        create_at,
        expires_at: create_at + 3_600_000,
        last_activity_at: create_at,
        device_id: device_id.into(),
        roles: "system_user".into(),
        csrf_token: new_id(),
        is_oauth: true,
        props,
    };
    (session, token)
}
