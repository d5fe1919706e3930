//! Why the doctor could not run at all (as opposed to a check that failed).

use mamgate_store::StoreError;

/// An input could not be read, the store could not be opened or scanned, or the server not asked.
#[derive(Debug, thiserror::Error)]
pub enum DoctorError {
    /// A file given on the command line could not be read.
    #[error("cannot read {path}: {source}")]
    Read {
        path: String,
        #[source]
        source: std::io::Error,
    },
    /// A file was read but is not what its flag expects.
    #[error("{path}: {why}")]
    Input { path: String, why: String },
    /// A flag combination that cannot work (e.g. `--store` without `--config`).
    #[error("{0}")]
    Usage(String),
    /// The user store failed.
    #[error("user store: {0}")]
    Store(#[from] StoreError),
    /// The running server given with `--server` could not be reached.
    #[error("cannot reach the server at {url}: {why}")]
    ServerUnreachable { url: String, why: String },
    /// The running server refused the admin token (HTTP 401 or 403).
    #[error("{url} refused the admin token (HTTP {status}): the token must be a session or personal access token of a system admin (--admin-token or MAMGATE_ADMIN_TOKEN)")]
    ServerDenied { url: String, status: u16 },
    /// The running server answered, but not with the JSON document asked for.
    #[error("{url}: {why}")]
    ServerResponse { url: String, why: String },
    /// Writing the report failed.
    #[error("cannot write the report: {0}")]
    Output(#[from] std::io::Error),
}

impl DoctorError {
    /// An input file that does not parse.
    pub fn input(path: impl Into<String>, why: impl std::fmt::Display) -> Self {
        DoctorError::Input {
            path: path.into(),
            why: why.to_string(),
        }
    }
}
