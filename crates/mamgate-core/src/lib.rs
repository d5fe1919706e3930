//! The pure domain of mamgate: configuration and its validation, the error catalog, licenses,
//! identity rules, client config and domain records.
//!
//! This crate does no I/O (no files, network, clock or randomness): callers pass `now` and
//! random bytes in. Every other crate depends on it; it depends on none of them.

pub mod catalog;
pub mod client;
pub mod config;
pub mod identity;
pub mod license;
pub mod model;

pub use catalog::ErrorId;
pub use config::Config;
