//! Change notices between nodes: `pg_notify` on publish, one dedicated `LISTEN` connection per
//! node that reconnects by itself and says [`RECONNECTED`](crate::RECONNECTED) when it had to
//! (notices sent while it was away are lost, so the node reloads everything).

use std::time::Duration;

use futures_util::StreamExt;
use tokio::sync::broadcast;
use tokio::task::JoinHandle;
use tokio_postgres::{AsyncMessage, NoTls};

/// How many notices a slow node may fall behind before it reloads everything.
const BACKLOG: usize = 1024;
/// The wait between reconnection attempts.
const RETRY: Duration = Duration::from_secs(1);

/// The running listener; aborted when the store is dropped.
pub(crate) struct Listener {
    pub(crate) tx: broadcast::Sender<String>,
    task: JoinHandle<()>,
}

impl Drop for Listener {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// The channel of a schema: notices never cross schemas sharing one database.
pub(crate) fn channel_for(schema: &str) -> String {
    format!("mamgate_events_{schema}")
}

/// Starts listening on `channel` (in the current tokio runtime).
pub(crate) fn listen(config: tokio_postgres::Config, channel: String) -> Listener {
    let (tx, _) = broadcast::channel(BACKLOG);
    let sender = tx.clone();
    let task = tokio::spawn(async move {
        let mut first = true;
        loop {
            if run_once(&config, &channel, &sender, first).await {
                first = false;
            }
            tokio::time::sleep(RETRY).await;
        }
    });
    Listener { tx, task }
}

/// One connection's life; returns whether it got as far as `LISTEN`.
async fn run_once(
    config: &tokio_postgres::Config,
    channel: &str,
    tx: &broadcast::Sender<String>,
    first: bool,
) -> bool {
    let Ok((client, mut conn)) = config.connect(NoTls).await else {
        return false;
    };
    let forward = tx.clone();
    let pump = tokio::spawn(async move {
        let mut messages = futures_util::stream::poll_fn(move |cx| conn.poll_message(cx));
        while let Some(msg) = messages.next().await {
            match msg {
                Ok(AsyncMessage::Notification(n)) => {
                    let _ = forward.send(n.payload().to_string());
                }
                Ok(_) => {}
                Err(e) => {
                    tracing::warn!(error = %e, "notice listener lost its connection");
                    break;
                }
            }
        }
    });
    if client
        .batch_execute(&format!("LISTEN {channel}"))
        .await
        .is_err()
    {
        pump.abort();
        return false;
    }
    if !first {
        let _ = tx.send(crate::RECONNECTED.to_string());
    }
    let _ = pump.await;
    drop(client);
    true
}
