//! The `mamgate` command: clap wiring, plus the parts that wire every crate together (sandbox,
//! demo, bench); every other behaviour lives in a library crate.

use clap::{Parser, Subcommand};

mod bench;
mod cmd;
mod demo;
mod sandbox;

#[derive(Parser)]
#[command(
    name = "mamgate",
    version,
    about = "Microsoft Intune MAM mobile sign-in, Mattermost-compatible"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Run every scripted scenario against a fresh sandbox and print the table.
    Demo(cmd::demo::Args),
    /// Run the server.
    Serve(cmd::serve::Args),
    /// Validate, read or change a configuration file.
    #[command(subcommand)]
    Config(cmd::config::Command),
    /// Create, list or deactivate users in the store.
    #[command(subcommand)]
    User(cmd::user::Command),
    /// Sync users from the LDAP directory (LdapSettings) once.
    #[command(subcommand)]
    Ldap(cmd::ldap::Command),
    /// Make, issue, install and show licenses.
    #[command(subcommand)]
    License(cmd::license::Command),
    /// Diagnose the config, Entra registration, policies, a token, SAML/LDAP and the user store.
    Doctor(mamgate_doctor::DoctorArgs),
    /// Explain an error id, AADSTS code or enrollment outcome.
    Explain(cmd::explain::Args),
    /// Run the offline Entra ID or Intune emulator, or write an example tenant file.
    #[command(subcommand)]
    Emulate(cmd::emulate::Command),
    /// The whole chain on this machine: server, Entra and Intune emulators, license, users.
    Sandbox(cmd::sandbox::Args),
    /// The device simulator: a phone running the Mattermost app's Intune logic.
    Mobile(mamgate_mobile::MobileArgs),
    /// Measure the performance targets of PERFORMANCE.md
    Bench(cmd::bench::Args),
}

fn main() -> std::process::ExitCode {
    let cli = Cli::parse();
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("error: cannot start the runtime: {e}");
            return std::process::ExitCode::FAILURE;
        }
    };
    let result = runtime.block_on(async {
        match cli.command {
            Command::Demo(a) => cmd::demo::run(a).await,
            Command::Serve(a) => cmd::serve::run(a).await,
            Command::Config(c) => cmd::config::run(c).await,
            Command::User(c) => cmd::user::run(c).await,
            Command::Ldap(c) => cmd::ldap::run(c).await,
            Command::License(c) => cmd::license::run(c).await,
            Command::Explain(a) => cmd::explain::run(a),
            Command::Doctor(a) => mamgate_doctor::run_cli(a)
                .await
                .map_err(anyhow::Error::from),
            Command::Emulate(c) => cmd::emulate::run(c).await,
            Command::Sandbox(a) => cmd::sandbox::run(a).await,
            Command::Mobile(a) => mamgate_mobile::run_cli(a)
                .await
                .map_err(anyhow::Error::from),
            Command::Bench(a) => cmd::bench::run(a).await,
        }
    });
    match result {
        Ok(code) => code,
        Err(e) => {
            eprintln!("error: {e:#}");
            std::process::ExitCode::FAILURE
        }
    }
}
