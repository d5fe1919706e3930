//! The threads behind [`super::SqliteStore`]: one writer that group-commits, a few readers.
//!
//! PERFORMANCE.md: the session write is the floor of a sign-in. One COMMIT per login costs
//! ~84 µs; grouping ~100 writes per transaction ~35 µs each. So every write that is waiting when
//! the writer becomes free goes into one transaction, each inside its own SAVEPOINT (one write's
//! conflict must not fail its neighbours), and each caller is answered only after the COMMIT.
//! WAL lets the readers run on their own connections without ever waiting on the writer.

use super::rows::db_err;
use crate::columns::gone;
use crate::StoreError;
use rusqlite::Connection;
use std::sync::mpsc;
use std::sync::{Arc, Mutex};
use tokio::sync::oneshot;

/// Most writes in one transaction; bounds how long the first caller of a group waits.
const MAX_GROUP: usize = 512;

/// One queued write: runs inside its savepoint, then hears how the commit went.
trait WriteJob: Send {
    /// Runs the write; `false` means it failed and its savepoint must be rolled back.
    fn run(&mut self, conn: &Connection) -> bool;
    /// Answers the caller once the group's fate is known.
    fn finish(self: Box<Self>, commit: Result<(), String>);
}

struct Job<T, F> {
    work: Option<F>,
    result: Option<Result<T, StoreError>>,
    reply: oneshot::Sender<Result<T, StoreError>>,
}

impl<T, F> WriteJob for Job<T, F>
where
    T: Send + 'static,
    F: FnOnce(&Connection) -> Result<T, StoreError> + Send + 'static,
{
    fn run(&mut self, conn: &Connection) -> bool {
        let Some(work) = self.work.take() else {
            return false;
        };
        let result = work(conn);
        let ok = result.is_ok();
        self.result = Some(result);
        ok
    }

    fn finish(self: Box<Self>, commit: Result<(), String>) {
        let answer = match (commit, self.result) {
            (Err(e), _) => Err(StoreError::Database(e)),
            (Ok(()), Some(result)) => result,
            (Ok(()), None) => Err(gone("write")),
        };
        // The caller may have given up waiting; its write still counts.
        let _ = self.reply.send(answer);
    }
}

type ReadJob = Box<dyn FnOnce(&Connection) + Send>;

/// Handles to the writer and reader threads; the threads end when this is dropped.
pub(crate) struct Workers {
    writes: mpsc::Sender<Box<dyn WriteJob>>,
    reads: mpsc::Sender<ReadJob>,
}

impl Workers {
    /// Starts the writer on `writer` and one reader thread per connection in `readers`.
    pub(crate) fn start(writer: Connection, readers: Vec<Connection>) -> Result<Self, StoreError> {
        let (writes, write_rx) = mpsc::channel::<Box<dyn WriteJob>>();
        std::thread::Builder::new()
            .name("mamgate-sqlite-writer".into())
            .spawn(move || write_loop(writer, write_rx))
            .map_err(|e| StoreError::Database(e.to_string()))?;
        let (reads, read_rx) = mpsc::channel::<ReadJob>();
        let read_rx = Arc::new(Mutex::new(read_rx));
        for (i, conn) in readers.into_iter().enumerate() {
            let rx = Arc::clone(&read_rx);
            std::thread::Builder::new()
                .name(format!("mamgate-sqlite-reader-{i}"))
                .spawn(move || read_loop(conn, rx))
                .map_err(|e| StoreError::Database(e.to_string()))?;
        }
        Ok(Self { writes, reads })
    }

    /// Queues a write for the next group commit and waits for that commit.
    pub(crate) async fn write<T, F>(&self, work: F) -> Result<T, StoreError>
    where
        T: Send + 'static,
        F: FnOnce(&Connection) -> Result<T, StoreError> + Send + 'static,
    {
        let (reply, answer) = oneshot::channel();
        let job = Job {
            work: Some(work),
            result: None,
            reply,
        };
        self.writes
            .send(Box::new(job))
            .map_err(|_| gone("writer"))?;
        answer.await.map_err(|_| gone("writer"))?
    }

    /// Runs a read on the next free reader connection.
    pub(crate) async fn read<T, F>(&self, work: F) -> Result<T, StoreError>
    where
        T: Send + 'static,
        F: FnOnce(&Connection) -> Result<T, StoreError> + Send + 'static,
    {
        let (reply, answer) = oneshot::channel();
        let job: ReadJob = Box::new(move |conn| {
            let _ = reply.send(work(conn));
        });
        self.reads.send(job).map_err(|_| gone("reader"))?;
        answer.await.map_err(|_| gone("reader"))?
    }
}

fn read_loop(conn: Connection, jobs: Arc<Mutex<mpsc::Receiver<ReadJob>>>) {
    loop {
        let job = {
            let Ok(rx) = jobs.lock() else { return };
            match rx.recv() {
                Ok(job) => job,
                Err(_) => return,
            }
        };
        job(&conn);
    }
}

fn write_loop(conn: Connection, jobs: mpsc::Receiver<Box<dyn WriteJob>>) {
    let mut group: Vec<Box<dyn WriteJob>> = Vec::with_capacity(MAX_GROUP);
    while let Ok(first) = jobs.recv() {
        group.push(first);
        drain(&jobs, &mut group);
        let commit = commit_group(&conn, &mut group);
        for job in group.drain(..) {
            job.finish(commit.clone());
        }
    }
}

/// Moves every waiting write into `group`, up to the group limit.
fn drain(jobs: &mpsc::Receiver<Box<dyn WriteJob>>, group: &mut Vec<Box<dyn WriteJob>>) {
    while group.len() < MAX_GROUP {
        match jobs.try_recv() {
            Ok(job) => group.push(job),
            Err(_) => break,
        }
    }
}

/// One transaction for the whole group; each write in its own savepoint.
fn commit_group(conn: &Connection, group: &mut [Box<dyn WriteJob>]) -> Result<(), String> {
    exec(conn, "BEGIN IMMEDIATE").map_err(|e| e.to_string())?;
    for job in group.iter_mut() {
        if let Err(e) = run_in_savepoint(conn, job.as_mut()) {
            let _ = exec(conn, "ROLLBACK");
            return Err(e.to_string());
        }
    }
    if let Err(e) = exec(conn, "COMMIT") {
        let _ = exec(conn, "ROLLBACK");
        return Err(e.to_string());
    }
    Ok(())
}

/// Runs one write; its own failure is rolled back to the savepoint and kept for its caller.
/// Only a failure of the savepoint statements themselves is returned (it dooms the group).
fn run_in_savepoint(conn: &Connection, job: &mut dyn WriteJob) -> Result<(), StoreError> {
    exec(conn, "SAVEPOINT w")?;
    if !job.run(conn) {
        exec(conn, "ROLLBACK TO w")?;
    }
    exec(conn, "RELEASE w")
}

fn exec(conn: &Connection, sql: &str) -> Result<(), StoreError> {
    conn.prepare_cached(sql)
        .and_then(|mut st| st.execute([]))
        .map(|_| ())
        .map_err(db_err)
}
