//! The Mattermost iOS app's Intune MAM behaviour as a library, plus the device simulator
//! (CLIENT.md).
//!
//! Owns: device state on disk ([`device`]), the preflight ([`preflight`]), sign-in, enrollment
//! outcomes, wipes and mid-session enforcement ([`client`]). MSAL, the Intune SDK, the server
//! API and the platform are traits ([`ports`]); [`http`] implements them against a running
//! server and the Entra/Intune emulators; [`cli`] is the `mamgate mobile` simulator.
//! Depends on `mamgate-core` only among mamgate crates: never on the server or the emulators.
#![cfg_attr(
    not(test),
    deny(clippy::unwrap_used, clippy::expect_used, clippy::panic)
)]

pub mod cli;
pub mod client;
pub mod device;
pub mod enforce;
pub mod error;
pub mod events;
#[cfg(test)]
mod fakes;
pub mod http;
pub mod model;
pub mod ports;
pub mod preflight;
mod watch;

pub use cli::{run_cli, MobileArgs};
pub use client::{EnrollmentStatus, LoginOutcome, MobileClient, Ports, ReadOutcome};
pub use device::Device;
pub use enforce::Enforcement;
pub use error::MobileError;
