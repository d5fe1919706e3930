//! WAL checkpoints off the writer's path. With SQLite's automatic checkpoint the writer thread
//! copies the WAL back and syncs the database file itself every 1,000 pages, and every sign-in
//! waiting on that commit waits for the sync too (measured: ~10 % I/O wait and a third of the
//! CPU idle under load). A separate connection checkpoints once a second instead; a PASSIVE
//! checkpoint never blocks the writer or the readers.

use std::path::Path;
use std::sync::mpsc;
use std::time::Duration;

use rusqlite::Connection;

use crate::StoreError;

/// How often the checkpointer runs.
const INTERVAL: Duration = Duration::from_secs(1);

/// Stops the checkpointer when dropped (with the store).
pub(crate) struct Checkpointer {
    _stop: mpsc::Sender<()>,
}

/// Starts checkpointing the database at `path` in its own thread.
pub(crate) fn start(path: &Path) -> Result<Checkpointer, StoreError> {
    let conn = Connection::open(path)?;
    conn.busy_timeout(Duration::from_secs(5))?;
    let (stop, stopped) = mpsc::channel::<()>();
    std::thread::Builder::new()
        .name("mamgate-sqlite-checkpoint".into())
        .spawn(move || {
            // A closed channel (the store was dropped) ends the loop; a timeout means "run".
            while let Err(mpsc::RecvTimeoutError::Timeout) = stopped.recv_timeout(INTERVAL) {
                if let Err(e) = conn.query_row("PRAGMA wal_checkpoint(PASSIVE)", [], |_| Ok(())) {
                    tracing::warn!(error = %e, "SQLite checkpoint failed");
                }
            }
            let _ = conn.query_row("PRAGMA wal_checkpoint(TRUNCATE)", [], |_| Ok(()));
        })
        .map_err(|e| StoreError::Database(e.to_string()))?;
    Ok(Checkpointer { _stop: stop })
}
