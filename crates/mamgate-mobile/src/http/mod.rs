//! HTTP implementations of the ports: the server API (REST + websocket), MSAL against the Entra
//! emulator's simulator grant, and the Intune SDK against the Intune emulator.

pub mod entra;
pub mod intune;
pub mod server;
mod ws;

pub use entra::HttpMsal;
pub use intune::HttpIntune;
pub use server::HttpServerApi;

use std::time::Duration;

/// The HTTP client all adapters use: bounded so a dead peer fails a step instead of hanging it.
pub fn client() -> reqwest::Client {
    reqwest::Client::builder()
        .timeout(Duration::from_secs(30))
        .build()
        .unwrap_or_else(|_| reqwest::Client::new())
}
