//! One simulator command against the device folder, as an outcome code and message.

use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;

use super::{describe, EmulatorArgs, MobileCommand};
use crate::client::{EnrollmentStatus, LoginOutcome, MobileClient, Ports, ReadOutcome};
use crate::device::Device;
use crate::error::MobileError;
use crate::http::{HttpIntune, HttpMsal, HttpServerApi};
use crate::model::{MsalError, MsalTokens, Os};
use crate::ports::{FixedPlatform, Msal};

/// What one command ended with: `code` is what scenarios match on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StepResult {
    pub code: String,
    pub message: String,
    /// Whether the command did what the user asked (exit code 0).
    pub ok: bool,
    /// Extra output (status table, watch log).
    pub lines: Vec<String>,
}

fn result(code: &str, message: impl Into<String>, ok: bool) -> StepResult {
    StepResult {
        code: code.into(),
        message: message.into(),
        ok,
        lines: Vec::new(),
    }
}

/// MSAL when no Entra URL was given: every call says how to give one.
struct NoEntra;

#[async_trait]
impl Msal for NoEntra {
    async fn acquire_token(&self, _: &str, _: &str, _: &[String]) -> Result<MsalTokens, MsalError> {
        Err(MsalError {
            code: "no_entra".into(),
            message: "no Entra URL: pass --entra or set MAMGATE_ENTRA_URL".into(),
        })
    }
}

pub(super) fn client(
    dir: &Path,
    os: Option<Os>,
    bundle: &str,
    emulators: &EmulatorArgs,
) -> Result<MobileClient, MobileError> {
    let device = Device::open(dir)?;
    let os = os.unwrap_or(device.file.platform);
    let http_msal = emulators.entra.as_deref().map(|e| HttpMsal::new(e, bundle));
    let msal: Arc<dyn Msal> = match &http_msal {
        Some(m) => Arc::new(m.clone()),
        None => Arc::new(NoEntra),
    };
    let intune_url = emulators.intune.clone().unwrap_or_default();
    let mam_msal = http_msal.unwrap_or_else(|| HttpMsal::new("", bundle));
    let intune = Arc::new(HttpIntune::new(&intune_url, bundle, mam_msal, dir));
    let ports = Ports {
        msal,
        intune,
        server: Arc::new(HttpServerApi::new()),
        platform: Arc::new(FixedPlatform(os)),
    };
    Ok(MobileClient::new(device, ports))
}

/// Enrollment reaches both emulators; refuse up front rather than fail enrollment (which
/// would remove the server).
fn require(emulators: &EmulatorArgs) -> Result<(), MobileError> {
    if emulators.entra.is_none() || emulators.intune.is_none() {
        return Err(MobileError::Usage(
            "Entra and Intune URLs are needed: pass --entra and --intune or set MAMGATE_ENTRA_URL and MAMGATE_INTUNE_URL".into(),
        ));
    }
    Ok(())
}

fn merged(step: &EmulatorArgs, defaults: &EmulatorArgs) -> EmulatorArgs {
    EmulatorArgs {
        entra: step.entra.clone().or_else(|| defaults.entra.clone()),
        intune: step.intune.clone().or_else(|| defaults.intune.clone()),
    }
}

fn enrollment_result(status: &EnrollmentStatus, signed_in: &str) -> StepResult {
    match status {
        EnrollmentStatus::AlreadyManaged => result("already_managed", format!("{signed_in}; already managed by Intune"), true),
        EnrollmentStatus::Enrolled { oid } => result("enrolled", format!("{signed_in}; enrolled in Intune MAM (oid {oid}), policy applied"), true),
        EnrollmentStatus::Declined => result(
            "enrollment_declined",
            format!("{signed_in}; Enrollment Declined: nothing wiped, retry with `enroll`, log out or switch server"),
            false,
        ),
        EnrollmentStatus::Failed { reason } => result(
            "enrollment_failed",
            format!("{signed_in}; Enrollment Failed ({reason}): logged out, server removed, its data wiped"),
            false,
        ),
    }
}

/// Runs one command (not `run`) on the device folder; `defaults` fill missing emulator URLs.
pub async fn execute(
    dir: &Path,
    command: &MobileCommand,
    defaults: &EmulatorArgs,
) -> Result<StepResult, MobileError> {
    let none = EmulatorArgs::default();
    match command {
        MobileCommand::AddServer { url } => {
            let mut c = client(dir, None, super::PRODUCTION_BUNDLE_ID, &none)?;
            let site = c.add_server(url).await?;
            Ok(result("added", format!("added {url} ({site})"), true))
        }
        MobileCommand::Login {
            url,
            user,
            sso,
            bundle,
            decline,
            platform,
            emulators,
        } => {
            let emulators = merged(emulators, defaults);
            let mut c = client(dir, *platform, bundle, &emulators)?;
            c.device.save()?;
            // The preflight needs no emulator; only the native path does.
            if let (crate::preflight::Preflight::NativeEntra { .. }, _, _) = c
                .preflight(&crate::device::normalize_url(url), *sso)
                .await
                .map_err(|e| MobileError::api(url, e))?
            {
                require(&emulators)?;
            }
            Ok(match c.login(url, user, *sso, *decline).await? {
                LoginOutcome::WebSsoFallback { reason } => result(
                    "web_sso_fallback",
                    format!("web SSO fallback: {reason}"),
                    false,
                ),
                LoginOutcome::Failed {
                    status,
                    id,
                    message,
                } => {
                    let id = if id.is_empty() {
                        String::new()
                    } else {
                        format!(" [{id}]")
                    };
                    let status = if status == 0 {
                        String::new()
                    } else {
                        format!(" (HTTP {status})")
                    };
                    result(
                        "login_failed",
                        format!("Sign in error: {message}{id}{status}; nothing saved"),
                        false,
                    )
                }
                LoginOutcome::SignedIn {
                    username,
                    enrollment,
                    ..
                } => enrollment_result(&enrollment, &format!("signed in as {username}")),
            })
        }
        MobileCommand::Enroll {
            url,
            user,
            bundle,
            decline,
            emulators,
        } => {
            let emulators = merged(emulators, defaults);
            if !decline {
                require(&emulators)?;
            }
            let mut c = client(dir, None, bundle, &emulators)?;
            let status = c.enroll(url, user, *decline).await?;
            Ok(enrollment_result(&status, url))
        }
        MobileCommand::Status => {
            let c = client(dir, None, super::PRODUCTION_BUNDLE_ID, &none)?;
            let status = c.status().await?;
            let mut r = result(
                "status",
                format!(
                    "{} server(s), platform {:?}",
                    status.len(),
                    c.device.file.platform
                ),
                true,
            );
            for s in &status {
                r.lines.push(format!(
                    "{}{} ({}): {}{}",
                    if s.active { "* " } else { "  " },
                    s.url,
                    s.site_name,
                    if s.signed_in { "signed in; " } else { "" },
                    describe(&s.enforcement)
                ));
            }
            Ok(r)
        }
        MobileCommand::Read { url } => {
            let mut c = client(dir, None, super::PRODUCTION_BUNDLE_ID, &none)?;
            match c.read(url).await {
                Ok(ReadOutcome::Content(me)) => {
                    let name = me
                        .get("username")
                        .and_then(|v| v.as_str())
                        .unwrap_or_default();
                    Ok(result("content", format!("read {url} as {name}"), true))
                }
                Ok(ReadOutcome::Blocked {
                    site_name,
                    declined,
                }) => Ok(result(
                    "content_blocked",
                    format!(
                        "{site_name} requires enrollment in Microsoft Intune{}; content blocked",
                        if declined { " (declined)" } else { "" }
                    ),
                    false,
                )),
                Err(MobileError::NotSignedIn(u)) => Ok(result(
                    "not_signed_in",
                    format!("not signed in to {u}"),
                    false,
                )),
                Err(MobileError::UnknownServer(u)) => Ok(result(
                    "unknown_server",
                    format!("{u} is not on this device"),
                    false,
                )),
                Ok(ReadOutcome::SessionExpired { message }) => Ok(result(
                    "session_expired",
                    format!("{message}; signed out, data for {url} wiped"),
                    false,
                )),
                Err(e) => Err(e),
            }
        }
        MobileCommand::Switch { url } => {
            let mut c = client(dir, None, super::PRODUCTION_BUNDLE_ID, &none)?;
            let e = match c.switch(url).await {
                Err(MobileError::UnknownServer(u)) => {
                    return Ok(result(
                        "unknown_server",
                        format!("{u} is not on this device"),
                        false,
                    ))
                }
                other => other?,
            };
            let blocked = matches!(e, crate::enforce::Enforcement::Required { .. });
            Ok(result(
                if blocked {
                    "enrollment_required"
                } else {
                    "switched"
                },
                format!("active: {url}: {}", describe(&e)),
                !blocked,
            ))
        }
        MobileCommand::Logout { url, remove } => {
            let mut c = client(dir, None, super::PRODUCTION_BUNDLE_ID, &none)?;
            c.logout(url, *remove).await?;
            Ok(result(
                "logged_out",
                format!(
                    "logged out of {url}{}",
                    if *remove { " and removed it" } else { "" }
                ),
                true,
            ))
        }
        MobileCommand::Watch {
            seconds,
            events,
            bundle,
            emulators,
        } => {
            let emulators = merged(emulators, defaults);
            let mut c = client(dir, None, bundle, &emulators)?;
            let mut lines = Vec::new();
            let n = c
                .watch(Duration::from_secs(*seconds), *events, |l| lines.push(l))
                .await?;
            let mut r = result("watched", format!("{n} event(s) handled"), true);
            r.lines = lines;
            Ok(r)
        }
        MobileCommand::Run { .. } => {
            Err(MobileError::Usage("`run` cannot be a scenario step".into()))
        }
    }
}
