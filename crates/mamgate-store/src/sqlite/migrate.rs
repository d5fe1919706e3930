//! Schema migrations for SQLite, applied in order at open.

use crate::StoreError;
use rusqlite::Connection;

/// Every migration, in order: `(version, sql)`.
const MIGRATIONS: &[(i64, &str)] = &[(1, include_str!("../../migrations/sqlite/0001_init.sql"))];

/// Applies the migrations newer than the recorded version, each in its own transaction.
pub(crate) fn migrate(conn: &Connection) -> Result<(), StoreError> {
    conn.execute_batch(
        "CREATE TABLE IF NOT EXISTS schema_version (
            version INTEGER PRIMARY KEY NOT NULL
        )",
    )?;
    for (version, sql) in MIGRATIONS {
        // The version is read inside the write lock: two processes opening one new file
        // must not both apply a migration.
        conn.execute_batch("BEGIN IMMEDIATE")?;
        let applied = apply(conn, *version, sql);
        let end = if applied.is_ok() {
            "COMMIT"
        } else {
            "ROLLBACK"
        };
        let ended = conn.execute_batch(end);
        applied?;
        ended?;
    }
    Ok(())
}

fn apply(conn: &Connection, version: i64, sql: &str) -> Result<(), StoreError> {
    let current: i64 = conn.query_row(
        "SELECT COALESCE(MAX(version), 0) FROM schema_version",
        [],
        |r| r.get(0),
    )?;
    if current < version {
        conn.execute_batch(sql)?;
        conn.execute(
            "INSERT INTO schema_version (version) VALUES (?1)",
            [version],
        )?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn migrating_twice_is_a_no_op() {
        let conn = Connection::open_in_memory().unwrap();
        migrate(&conn).unwrap();
        migrate(&conn).unwrap();
        let v: i64 = conn
            .query_row("SELECT MAX(version) FROM schema_version", [], |r| r.get(0))
            .unwrap();
        assert_eq!(v, MIGRATIONS.len() as i64);
    }
}
