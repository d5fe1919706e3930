//! End-to-end tests of mamgate-store: one conformance suite run against a SQLite file and a
//! PostgreSQL schema, plus an ignored throughput measurement.

mod bench;
mod conformance;
mod harness;
