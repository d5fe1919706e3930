//! Schema migrations for PostgreSQL, applied in order at connect.

use crate::StoreError;
use deadpool_postgres::{Client, GenericClient};

/// Every migration, in order: `(version, sql)`.
const MIGRATIONS: &[(i64, &str)] = &[(1, include_str!("../../migrations/postgres/0001_init.sql"))];

/// Applies the missing migrations in one transaction. Nodes starting together serialise on an
/// advisory lock keyed by the schema, so each migration runs once.
pub(crate) async fn migrate(client: &mut Client) -> Result<(), StoreError> {
    let tx = client.transaction().await?;
    tx.execute(
        "SELECT pg_advisory_xact_lock(hashtext(current_schema()))",
        &[],
    )
    .await?;
    tx.batch_execute("CREATE TABLE IF NOT EXISTS schema_version (version BIGINT PRIMARY KEY)")
        .await?;
    let current: i64 = tx
        .query_one("SELECT COALESCE(MAX(version), 0) FROM schema_version", &[])
        .await?
        .try_get(0)?;
    for (version, sql) in MIGRATIONS.iter().filter(|(v, _)| *v > current) {
        tx.batch_execute(sql).await?;
        tx.execute(
            "INSERT INTO schema_version (version) VALUES ($1)",
            &[version],
        )
        .await?;
    }
    tx.commit().await?;
    Ok(())
}
