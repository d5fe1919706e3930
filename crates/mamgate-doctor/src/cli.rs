//! `mamgate doctor ...`: the clap arguments and the one entry point the binary calls.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::{SystemTime, UNIX_EPOCH};

use clap::{Args, Subcommand, ValueEnum};

use crate::error::DoctorError;
use crate::inputs::{read_text, DoctorInputs};
use crate::ldif::parse_ldif;
use crate::render;
use crate::saml::parse_saml;
use crate::store::{open_configured_store, run_checks_with_store};
use crate::users::audit_users;

/// Output format.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, ValueEnum)]
pub enum Format {
    #[default]
    Human,
    Json,
}

/// `mamgate doctor`: run the seed's checks over whatever inputs are given.
#[derive(Debug, Clone, Args)]
#[command(args_conflicts_with_subcommands = true)]
pub struct DoctorArgs {
    #[command(subcommand)]
    pub command: Option<DoctorCommand>,
    #[command(flatten)]
    pub checks: CheckArgs,
}

/// Subcommands of `mamgate doctor`.
#[derive(Debug, Clone, Subcommand)]
pub enum DoctorCommand {
    /// Audit the user store: users of the enforced provider that would fail enrollment.
    Users(UsersArgs),
}

/// Inputs of the checks; each is optional and checks without their input are skipped.
#[derive(Debug, Clone, Default, Args)]
pub struct CheckArgs {
    /// Server config file (config.json; MM_* environment overrides apply).
    #[arg(long, value_name = "FILE")]
    pub config: Option<PathBuf>,
    /// A running server's URL: read its config and client license over the API instead.
    #[arg(long, value_name = "URL", conflicts_with = "config")]
    pub server: Option<String>,
    /// A system admin's session or personal access token, for --server.
    #[arg(
        long,
        value_name = "TOKEN",
        env = "MAMGATE_ADMIN_TOKEN",
        hide_env_values = true
    )]
    pub admin_token: Option<String>,
    /// Entra app registration export (Microsoft Graph or legacy manifest JSON).
    #[arg(long, value_name = "FILE")]
    pub manifest: Vec<PathBuf>,
    /// Intune app protection policy export (Graph JSON); repeatable.
    #[arg(long, value_name = "FILE")]
    pub policy: Vec<PathBuf>,
    /// A sample access token, or @FILE holding one.
    #[arg(long, value_name = "TOKEN|@FILE")]
    pub token: Option<String>,
    /// The tenant's signing keys (JWKS JSON), to verify the token's signature too.
    #[arg(long, value_name = "FILE")]
    pub jwks: Option<PathBuf>,
    /// A SAML assertion or response (XML or base64).
    #[arg(long, value_name = "FILE")]
    pub saml: Option<PathBuf>,
    /// An LDAP entry (LDIF) with msDS-aadObjectId.
    #[arg(long, value_name = "FILE")]
    pub ldif: Option<PathBuf>,
    /// The emulators' tenant file (users, registrations, consent, policies).
    #[arg(long, value_name = "FILE")]
    pub tenant: Option<PathBuf>,
    /// A license file (else the one installed in the store with --store, or the server's with --server).
    #[arg(long, value_name = "FILE")]
    pub license: Option<PathBuf>,
    /// The user to follow across sources (UPN, email or objectId).
    #[arg(long, value_name = "NAME")]
    pub user: Option<String>,
    /// Also read the user store named by the config's SqlSettings.
    #[arg(long)]
    pub store: bool,
    /// Output format.
    #[arg(long, value_enum, default_value_t = Format::Human)]
    pub format: Format,
}

/// `mamgate doctor users`.
#[derive(Debug, Clone, Args)]
pub struct UsersArgs {
    /// Server config file: names the store and the enforced provider.
    #[arg(long, value_name = "FILE", default_value = "config.json")]
    pub config: PathBuf,
    /// Example users listed per problem.
    #[arg(long, value_name = "N", default_value_t = 20)]
    pub sample: usize,
    /// Output format.
    #[arg(long, value_enum, default_value_t = Format::Human)]
    pub format: Format,
}

fn now_secs() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs() as i64)
}

/// Reads every input the flags name (and asks the `--server`); unreadable or malformed inputs are errors.
pub async fn load_inputs(a: &CheckArgs) -> Result<DoctorInputs, DoctorError> {
    if a.server.is_some() && a.config.is_some() {
        return Err(DoctorError::Usage(
            "--config and --server both name the server config: give one".into(),
        ));
    }
    if a.server.is_some() && a.store {
        return Err(DoctorError::Usage(
            "--store needs --config: a running server masks SqlSettings.DataSource".into(),
        ));
    }
    let mut i = DoctorInputs::default();
    if let Some(p) = &a.config {
        i.load_config(p, std::env::vars())?;
    }
    if let Some(url) = &a.server {
        let token = a.admin_token.as_deref().unwrap_or_default();
        let (config, facts) = crate::remote::fetch_server(url, token).await?;
        i.config = Some(config);
        i.server = Some(facts);
    }
    for p in &a.manifest {
        i.load_manifest(p)?;
    }
    for p in &a.policy {
        i.load_policy(p)?;
    }
    if let Some(t) = &a.token {
        i.token = Some(match t.strip_prefix('@') {
            Some(path) => read_text(Path::new(path))?.trim().to_string(),
            None => t.trim().to_string(),
        });
    }
    if let Some(p) = &a.jwks {
        i.load_jwks(p)?;
    }
    if let Some(p) = &a.saml {
        let text = read_text(p)?;
        parse_saml(&text).map_err(|e| DoctorError::input(p.display().to_string(), e))?;
        i.saml = Some(text);
    }
    if let Some(p) = &a.ldif {
        let text = read_text(p)?;
        parse_ldif(&text).map_err(|e| DoctorError::input(p.display().to_string(), e))?;
        i.ldif = Some(text);
    }
    if let Some(p) = &a.tenant {
        i.load_tenant(p)?;
    }
    if let Some(p) = &a.license {
        i.license = Some(read_text(p)?.trim().to_string());
    }
    i.user = a.user.clone();
    if a.store && i.config.is_none() {
        return Err(DoctorError::Usage(
            "--store needs --config (its SqlSettings name the store)".into(),
        ));
    }
    Ok(i)
}

/// Runs `mamgate doctor` and writes the report to `out`; the exit code is 0 only when nothing fails.
pub async fn run_to(
    args: DoctorArgs,
    out: &mut (dyn Write + Send),
    now_secs: i64,
) -> Result<ExitCode, DoctorError> {
    let (text, ok) = match args.command {
        Some(DoctorCommand::Users(u)) => {
            let mut inputs = DoctorInputs::default();
            inputs.load_config(&u.config, std::env::vars())?;
            let config = inputs.config.unwrap_or_default();
            let (store, _) = open_configured_store(&config, Some(&u.config)).await?;
            let report = audit_users(
                store.as_ref(),
                config.intune_settings.auth_service(),
                u.sample,
            )
            .await?;
            let text = match u.format {
                Format::Human => render::users_human(&report),
                Format::Json => render::users_json(&report),
            };
            (text, report.ok())
        }
        None => {
            let inputs = load_inputs(&args.checks).await?;
            let report = if args.checks.store {
                run_checks_with_store(&inputs, None, now_secs).await?
            } else {
                crate::run_checks(&inputs, now_secs)
            };
            let text = match args.checks.format {
                Format::Human => render::human(&report),
                Format::Json => render::json(&report),
            };
            (text, report.ok())
        }
    };
    out.write_all(text.as_bytes())?;
    if !text.ends_with('\n') {
        out.write_all(b"\n")?;
    }
    Ok(if ok {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    })
}

/// Runs `mamgate doctor` with the clock and stdout: what the binary calls.
pub async fn run_cli(args: DoctorArgs) -> Result<ExitCode, DoctorError> {
    let mut buf: Vec<u8> = Vec::new();
    let code = run_to(args, &mut buf, now_secs()).await?;
    std::io::stdout().lock().write_all(&buf)?;
    Ok(code)
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::Parser;

    #[derive(Parser)]
    struct Cli {
        #[command(flatten)]
        doctor: DoctorArgs,
    }

    #[test]
    fn flags_parse() {
        let c = Cli::try_parse_from([
            "doctor", "--config", "c.json", "--policy", "a", "--policy", "b", "--token", "@t",
            "--format", "json",
        ])
        .unwrap();
        assert_eq!(c.doctor.checks.policy.len(), 2);
        assert_eq!(c.doctor.checks.format, Format::Json);
        let c = Cli::try_parse_from(["doctor", "users", "--config", "x.json", "--sample", "3"])
            .unwrap();
        assert!(matches!(c.doctor.command, Some(DoctorCommand::Users(ref u)) if u.sample == 3));
        assert!(Cli::try_parse_from(["doctor", "--format", "xml"]).is_err());
    }

    #[tokio::test]
    async fn store_needs_config() {
        let a = CheckArgs {
            store: true,
            ..CheckArgs::default()
        };
        assert!(matches!(load_inputs(&a).await, Err(DoctorError::Usage(_))));
    }

    #[tokio::test]
    async fn server_flag_combinations() {
        assert!(Cli::try_parse_from(["doctor", "--config", "c", "--server", "http://x"]).is_err());
        let c =
            Cli::try_parse_from(["doctor", "--server", "http://x", "--admin-token", "t"]).unwrap();
        assert_eq!(c.doctor.checks.admin_token.as_deref(), Some("t"));
        let server = Some("http://127.0.0.1:9".to_string());
        for a in [
            CheckArgs {
                server: server.clone(),
                config: Some("c.json".into()),
                ..CheckArgs::default()
            },
            CheckArgs {
                server: server.clone(),
                store: true,
                ..CheckArgs::default()
            },
            CheckArgs {
                server: server.clone(),
                ..CheckArgs::default()
            },
            CheckArgs {
                server: Some("not a url".into()),
                admin_token: Some("t".into()),
                ..CheckArgs::default()
            },
        ] {
            assert!(matches!(load_inputs(&a).await, Err(DoctorError::Usage(_))));
        }
    }
}
