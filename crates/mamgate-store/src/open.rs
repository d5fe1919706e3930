use crate::{PostgresStore, SqliteStore, Store, StoreError};
use std::path::Path;
use std::sync::Arc;

/// Opens the store named by `SqlSettings`: `driver` is `sqlite` (data source = file path) or
/// `postgres` (data source = connection URL).
pub async fn open_store(driver: &str, data_source: &str) -> Result<Arc<dyn Store>, StoreError> {
    match driver {
        "sqlite" | "sqlite3" => {
            let path = data_source.to_owned();
            let store = tokio::task::spawn_blocking(move || SqliteStore::open(Path::new(&path)))
                .await
                .map_err(|e| StoreError::Database(e.to_string()))??;
            Ok(Arc::new(store))
        }
        "postgres" | "postgresql" => Ok(Arc::new(PostgresStore::connect(data_source).await?)),
        other => Err(StoreError::Database(format!(
            "unknown driver {other:?} (expected sqlite or postgres)"
        ))),
    }
}
