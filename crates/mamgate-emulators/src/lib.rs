//! Offline stand-ins for Microsoft Entra ID and Microsoft Intune, driven by one tenant file in
//! Microsoft's own formats (EMULATORS.md).
//!
//! Owns: the tenant file model (app registrations in both manifest formats, Graph
//! `iosManagedAppProtection` policies), the Entra emulator (discovery, JWKS, token issuance,
//! authorization code flow, Graph `/v1.0/me`) and the Intune emulator (enrollment, policy delivery,
//! device events). Depends on `mamgate-core` only; never on the server or the token validator, so
//! the validator is tested against an independent issuer.
//!
//! Both emulators are real HTTP servers; their `/_control/` endpoints (loopback only) let tests
//! and the demo rotate keys, mint tokens, inject faults and break the tenant on purpose. They
//! print nothing: callers print [`RunningEmulator::url`].

#![cfg_attr(
    not(test),
    deny(clippy::unwrap_used, clippy::expect_used, clippy::panic)
)]

pub mod aadsts;
mod clock;
mod control;
pub mod entra;
pub mod grant;
pub mod intune;
pub mod jwt;
pub mod keys;
mod loopback;
#[cfg(feature = "saml")]
pub mod saml;
mod serve;
pub mod tenant;

pub use entra::{entra_router, start_entra, EntraState};
pub use intune::{intune_router, start_intune, EnrollOutcome, EnrollResponse, IntuneState};
pub use serve::RunningEmulator;
pub use tenant::{example_tenant, shared, write_example, AppRegistration, SharedTenant, Tenant};

use std::path::Path;

/// Everything that can go wrong starting or feeding an emulator.
#[derive(Debug, thiserror::Error)]
pub enum EmulatorError {
    #[error("{path}: {source}")]
    Io {
        path: String,
        #[source]
        source: std::io::Error,
    },
    #[error("cannot listen on {addr}: {source}")]
    Bind {
        addr: String,
        #[source]
        source: std::io::Error,
    },
    #[error("invalid JSON: {0}")]
    Json(#[from] serde_json::Error),
    #[error("invalid tenant: {0}")]
    Tenant(String),
    #[error("key generation or signing failed")]
    Crypto,
}

impl EmulatorError {
    fn io(path: &Path, source: std::io::Error) -> EmulatorError {
        EmulatorError::Io {
            path: path.display().to_string(),
            source,
        }
    }
}
