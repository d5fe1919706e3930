//! mamgate-doctor: the seed's pre-flight checklist, quick diagnostics and troubleshooting table
//! as checks a program runs (DOCTOR.md), and the identity audit of the user store.
//!
//! Owns: reading the admin's exports (config, app registrations in both manifest formats,
//! Intune policies, a sample token, a SAML assertion, an LDAP entry, the tenant file) or a
//! running server's config and client license over its API, the checks and their report. It
//! judges with the validators the server uses (core's config and identity rules,
//! `mamgate_token::validate_with_keys`) and the emulators' parsers, so its
//! verdicts name the same catalog ids. It must not depend on the server crate (its tests do).

pub mod checks;
pub mod cli;
pub mod error;
pub mod finding;
pub mod generate;
pub mod inputs;
pub mod ldif;
pub mod remote;
pub mod render;
pub mod saml;
pub mod store;
pub mod token;
pub mod users;

pub use checks::{run_checks, run_with_store_facts, StoreFacts};
pub use cli::{run_cli, run_to, CheckArgs, DoctorArgs, DoctorCommand, Format, UsersArgs};
pub use error::DoctorError;
pub use finding::{Finding, Report, Status, Summary};
pub use generate::generate_users;
pub use inputs::DoctorInputs;
pub use remote::{fetch_server, ClientLicense, ServerFacts};
pub use store::run_checks_with_store;
pub use token::{token_verdict, TokenVerdict};
pub use users::{audit_users, Problem, UsersReport};
