//! The two error types: why a token was refused, and why keys could not be fetched.

use mamgate_core::ErrorId;

/// A refused token: the catalog entry to answer with and a short technical reason for logs,
/// audits and the doctor (never shown to the user).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{}: {reason}", id.entry().id)]
pub struct TokenError {
    /// The catalog entry (CONTRACT §2 rows 7–12).
    pub id: ErrorId,
    /// What exactly was wrong, e.g. `tid mismatch: token 1111… configured 2222…`.
    pub reason: String,
}

impl TokenError {
    /// Builds an error from an id and a reason.
    pub fn new(id: ErrorId, reason: impl Into<String>) -> Self {
        Self {
            id,
            reason: reason.into(),
        }
    }

    /// Row 8/12: `ent.intune.validate_token.invalid_token.app_error`.
    pub fn invalid(reason: impl Into<String>) -> Self {
        Self::new(ErrorId::InvalidToken, reason)
    }
}

/// Discovery or JWKS could not be fetched or understood.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FetchError {
    /// Connection, TLS or timeout failure.
    #[error("GET {url}: {reason}")]
    Transport { url: String, reason: String },
    /// The server answered with a non-success status.
    #[error("GET {url}: HTTP {status}")]
    Status { url: String, status: u16 },
    /// The body is not the expected document.
    #[error("GET {url}: {reason}")]
    Document { url: String, reason: String },
}
