//! What the mobile core can fail with (outcomes a user sees are values, not errors).

use crate::model::ApiError;

/// A failure of the device, an adapter or a precondition.
#[derive(Debug, thiserror::Error)]
pub enum MobileError {
    #[error("{path}: {source}")]
    Io {
        path: String,
        #[source]
        source: std::io::Error,
    },
    #[error("{path}: invalid JSON: {source}")]
    Json {
        path: String,
        #[source]
        source: serde_json::Error,
    },
    #[error("server {0} is not on this device")]
    UnknownServer(String),
    #[error("not signed in to {0}")]
    NotSignedIn(String),
    #[error("server {url}: {source}")]
    Api {
        url: String,
        #[source]
        source: ApiError,
    },
    /// A command or scenario that cannot run as written.
    #[error("{0}")]
    Usage(String),
}

impl MobileError {
    /// Wraps an I/O error with the path it concerns.
    pub fn io(path: &std::path::Path, source: std::io::Error) -> MobileError {
        MobileError::Io {
            path: path.display().to_string(),
            source,
        }
    }

    /// Wraps a server API error with the server it came from.
    pub fn api(url: &str, source: ApiError) -> MobileError {
        MobileError::Api {
            url: url.to_string(),
            source,
        }
    }
}
