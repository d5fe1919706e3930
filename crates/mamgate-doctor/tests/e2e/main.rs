//! End-to-end tests of the doctor: real RSA keys, real SQLite stores, the example tenant, a
//! real running server.

mod checks;
mod cli;
mod kit;
mod server;
mod token_table;
mod users;
