//! Keeping the app open: server websockets and Intune SDK events, each handled as it arrives.

use std::time::Duration;

use tokio::sync::mpsc;

use crate::client::MobileClient;
use crate::error::MobileError;
use crate::model::ServerEvent;

/// Pause between SDK polls when no identity is enrolled (nothing to long-poll on).
const IDLE_POLL: Duration = Duration::from_millis(200);

impl MobileClient {
    /// Opens a websocket per signed-in server and reacts to server and SDK events until
    /// `duration` passes or `max_events` events (other than `hello`) were handled; `report`
    /// gets one line per reaction.
    pub async fn watch(
        &mut self,
        duration: Duration,
        max_events: Option<usize>,
        mut report: impl FnMut(String),
    ) -> Result<usize, MobileError> {
        let (tx, mut rx) = mpsc::channel::<(String, ServerEvent)>(64);
        for row in self.device.file.servers.clone() {
            let Some(creds) = self.device.read_credentials(&row.url)? else {
                continue;
            };
            match self.ports.server.events(&row.url, &creds).await {
                Ok(mut events) => {
                    let tx = tx.clone();
                    let url = row.url.clone();
                    tokio::spawn(async move {
                        while let Some(e) = events.recv().await {
                            if tx.send((url.clone(), e)).await.is_err() {
                                break;
                            }
                        }
                    });
                }
                Err(e) => report(format!("websocket {}: {e}", row.url)),
            }
        }
        drop(tx);
        let deadline = tokio::time::Instant::now() + duration;
        let intune = self.ports.intune.clone();
        let mut handled = 0;
        while max_events.is_none_or(|m| handled < m) {
            tokio::select! {
                Some((url, event)) = rx.recv() => {
                    if event == ServerEvent::Hello {
                        report(format!("{url}: connected"));
                        continue;
                    }
                    let name = format!("{event:?}").split('(').next().unwrap_or_default().to_string();
                    let outcome = self.handle_server_event(&url, event).await?;
                    handled += 1;
                    match outcome {
                        Some(enforcement) => report(format!("{url}: {name}: {}", crate::cli::describe(&enforcement))),
                        None => report(format!("{url}: {name}")),
                    }
                }
                event = intune.next_event() => match event {
                    Some(event) => {
                        let name = format!("{event:?}").split(' ').next().unwrap_or_default().to_string();
                        let r = self.handle_intune_event(event).await?;
                        handled += 1;
                        report(format!("intune: {name}: alert \"{}\", wiped {:?}", r.alert, r.wiped));
                    }
                    None => tokio::time::sleep(IDLE_POLL).await,
                },
                _ = tokio::time::sleep_until(deadline) => break,
            }
        }
        Ok(handled)
    }
}
