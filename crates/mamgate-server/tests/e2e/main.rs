//! End-to-end tests of the server over real HTTP: real RSA keys served by a JWKS endpoint
//! of the test's own identity provider, a real SQLite file, real license signatures.

mod api;
mod compat;
mod intune_rows;
mod kit;
mod office365_web;
#[cfg(feature = "saml")]
mod saml_web;
