//! End-to-end tests of the doctor: real RSA keys, real SQLite stores, the example tenant.

mod checks;
mod cli;
mod kit;
mod token_table;
mod users;
