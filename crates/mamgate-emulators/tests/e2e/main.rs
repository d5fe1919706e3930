//! End-to-end tests of the emulators over real HTTP on loopback ports.

mod control;
mod discovery;
mod intune;
mod kit;
mod token_crate;
mod tokens;
