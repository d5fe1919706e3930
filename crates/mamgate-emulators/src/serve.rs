//! Serving a router on a loopback port with connect info (the control endpoints need the peer).

use std::net::SocketAddr;
use std::time::Duration;

use axum::Router;
use tokio::net::TcpListener;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

use crate::EmulatorError;

/// A running emulator; dropping it stops the server too.
#[derive(Debug)]
pub struct RunningEmulator {
    /// `http://<addr>` without a trailing slash.
    pub url: String,
    pub addr: SocketAddr,
    stop: Option<oneshot::Sender<()>>,
    task: JoinHandle<()>,
}

impl RunningEmulator {
    /// Stops accepting, lets requests in flight finish for up to 2 s, then aborts.
    pub async fn shutdown(mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if tokio::time::timeout(Duration::from_secs(2), &mut self.task)
            .await
            .is_err()
        {
            self.task.abort();
        }
    }

    /// Waits until the server stops (for a foreground `mamgate emulate ...`).
    pub async fn wait(mut self) {
        let _ = (&mut self.task).await;
    }
}

impl Drop for RunningEmulator {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// Binds `addr` and serves `router` in a background task.
pub(crate) async fn bind(addr: SocketAddr) -> Result<TcpListener, EmulatorError> {
    TcpListener::bind(addr)
        .await
        .map_err(|source| EmulatorError::Bind {
            addr: addr.to_string(),
            source,
        })
}

/// Serves `router` on an already bound listener.
pub(crate) fn spawn(
    listener: TcpListener,
    router: Router,
) -> Result<RunningEmulator, EmulatorError> {
    let addr = listener
        .local_addr()
        .map_err(|source| EmulatorError::Bind {
            addr: "?".into(),
            source,
        })?;
    let (stop, stopped) = oneshot::channel::<()>();
    let task = tokio::spawn(async move {
        let service = router.into_make_service_with_connect_info::<SocketAddr>();
        let _ = axum::serve(listener, service)
            .with_graceful_shutdown(async move {
                let _ = stopped.await;
            })
            .await;
    });
    Ok(RunningEmulator {
        url: format!("http://{addr}"),
        addr,
        stop: Some(stop),
        task,
    })
}
