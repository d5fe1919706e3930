//! `mamgate mobile`: the device simulator. Each invocation is one app launch on the device
//! folder given by `--device`.
//!
//! Emulator URLs: `login`, `enroll`, `watch` and `run` take `--entra URL` and `--intune URL`,
//! falling back to `MAMGATE_ENTRA_URL` and `MAMGATE_INTUNE_URL` (the server's advertised
//! authority is not enough: the Intune service has no discovery).

mod exec;
pub mod scenario;

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Args, Parser, Subcommand};

use crate::enforce::Enforcement;
use crate::error::MobileError;
use crate::http::entra::PRODUCTION_BUNDLE_ID;
use crate::model::{Os, SsoType};

pub use exec::{execute, StepResult};

/// `mamgate mobile --device DIR <command>`.
#[derive(Debug, Clone, Args)]
pub struct MobileArgs {
    /// The device folder (created on first use).
    #[arg(long, env = "MAMGATE_DEVICE")]
    pub device: PathBuf,
    #[command(subcommand)]
    pub command: MobileCommand,
}

/// Where the Entra and Intune emulators listen.
#[derive(Debug, Clone, Default, Args)]
pub struct EmulatorArgs {
    /// Entra (emulator) authority host, e.g. http://127.0.0.1:9001.
    #[arg(long, env = "MAMGATE_ENTRA_URL")]
    pub entra: Option<String>,
    /// Intune (emulator) service URL, e.g. http://127.0.0.1:9002.
    #[arg(long, env = "MAMGATE_INTUNE_URL")]
    pub intune: Option<String>,
}

/// What the simulated user does.
#[derive(Debug, Clone, Subcommand)]
pub enum MobileCommand {
    /// Add a server to the device.
    AddServer { url: String },
    /// Sign in with native Entra (or report the web SSO fallback), then enroll.
    Login {
        url: String,
        /// The Entra user (UPN) MSAL signs in.
        #[arg(long)]
        user: String,
        #[arg(long, value_enum, default_value = "office365")]
        sso: SsoType,
        #[arg(long, default_value = PRODUCTION_BUNDLE_ID)]
        bundle: String,
        /// Decline the enrollment prompt.
        #[arg(long)]
        decline: bool,
        /// The device's platform (kept for later commands).
        #[arg(long, value_enum)]
        platform: Option<Os>,
        #[command(flatten)]
        emulators: EmulatorArgs,
    },
    /// "Enroll Now" / "Retry" on a signed-in server (or "Cancel" with --decline).
    Enroll {
        url: String,
        #[arg(long)]
        user: String,
        #[arg(long, default_value = PRODUCTION_BUNDLE_ID)]
        bundle: String,
        #[arg(long)]
        decline: bool,
        #[command(flatten)]
        emulators: EmulatorArgs,
    },
    /// Servers, sessions and enforcement state.
    Status,
    /// Read content (`/api/v4/users/me`); refused while enrollment is required.
    Read { url: String },
    /// Make a server active (runs the enforcement check).
    Switch { url: String },
    /// Log out of a server (`--remove` also removes it).
    Logout {
        url: String,
        #[arg(long)]
        remove: bool,
    },
    /// Keep websockets open and react to server and Intune events.
    Watch {
        /// Stop after this many seconds.
        #[arg(long, default_value_t = 60)]
        seconds: u64,
        /// Stop after this many events.
        #[arg(long)]
        events: Option<usize>,
        #[arg(long, default_value = PRODUCTION_BUNDLE_ID)]
        bundle: String,
        #[command(flatten)]
        emulators: EmulatorArgs,
    },
    /// Run a scenario file; exit code 0 only if every step matched its expectation.
    Run {
        scenario: PathBuf,
        /// `NAME=VALUE` for `${NAME}` in the scenario (environment variables also work).
        #[arg(long = "var", value_name = "NAME=VALUE")]
        vars: Vec<String>,
        #[command(flatten)]
        emulators: EmulatorArgs,
    },
}

/// Parses one scenario step's words as a command.
#[derive(Debug, Parser)]
#[command(name = "step", no_binary_name = true)]
pub(crate) struct StepLine {
    #[command(subcommand)]
    pub command: MobileCommand,
}

/// Runs one simulator command, printing its outcome; the binary maps the exit code.
pub async fn run_cli(args: MobileArgs) -> Result<ExitCode, MobileError> {
    if let MobileCommand::Run {
        scenario,
        vars,
        emulators,
    } = &args.command
    {
        let passed = scenario::run_file(&args.device, scenario, vars, emulators, &mut |line| {
            println!("{line}")
        })
        .await?;
        return Ok(if passed {
            ExitCode::SUCCESS
        } else {
            ExitCode::from(1)
        });
    }
    if let MobileCommand::Watch {
        seconds,
        events,
        bundle,
        emulators,
    } = &args.command
    {
        // A foreground watcher prints each reaction as it happens.
        let mut c = exec::client(&args.device, None, bundle, emulators)?;
        let n = c
            .watch(std::time::Duration::from_secs(*seconds), *events, |l| {
                println!("{l}")
            })
            .await?;
        println!("watched: {n} event(s) handled");
        return Ok(ExitCode::SUCCESS);
    }
    let result = execute(&args.device, &args.command, &EmulatorArgs::default()).await?;
    for line in &result.lines {
        println!("{line}");
    }
    println!("{}: {}", result.code, result.message);
    Ok(if result.ok {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(2)
    })
}

/// A short human sentence for an enforcement state.
pub fn describe(e: &Enforcement) -> String {
    match e {
        Enforcement::NotSignedIn => "not signed in".into(),
        Enforcement::NotRequired => "Intune MAM not required".into(),
        Enforcement::AuthServiceMismatch { user, intune } => {
            format!("not enforced: user signs in with \"{user}\", Intune applies to \"{intune}\"")
        }
        Enforcement::Enrolled => "enrolled in Intune MAM".into(),
        Enforcement::Required { declined: true } => {
            "Enrollment Declined: enrollment required; retry, log out or switch server".into()
        }
        Enforcement::Required { declined: false } => {
            "enrollment in Microsoft Intune required; content blocked".into()
        }
    }
}

/// Parses a command line (without `mamgate mobile --device DIR`) into a command.
pub fn parse_command<I: IntoIterator<Item = T>, T: Into<std::ffi::OsString> + Clone>(
    words: I,
) -> Result<MobileCommand, MobileError> {
    StepLine::try_parse_from(words)
        .map(|l| l.command)
        .map_err(|e| MobileError::Usage(e.to_string()))
}
