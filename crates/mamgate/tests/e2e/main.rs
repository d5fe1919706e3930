//! The `mamgate` command end to end: each test runs the real binary.

mod cli;
mod ldap;
mod multinode;
