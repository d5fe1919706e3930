//! End-to-end tests of the emulators over real HTTP on loopback ports.

mod control;
mod discovery;
mod intune;
mod kit;
#[cfg(feature = "saml")]
mod saml;
mod token_crate;
mod tokens;
