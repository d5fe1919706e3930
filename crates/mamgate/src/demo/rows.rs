//! The demo's scenarios, one per row of the table, in the issue's order.

use std::future::Future;
use std::path::Path;
use std::pin::Pin;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

use async_trait::async_trait;
use mamgate_emulators::tenant as ex;
use mamgate_mobile::cli::StepResult;
use mamgate_mobile::http::entra::HttpMsal;
use mamgate_mobile::http::intune::HttpIntune;
use mamgate_mobile::http::server::HttpServerApi;
use mamgate_mobile::model::{MsalError, MsalTokens, Os, SsoType};
use mamgate_mobile::ports::{FixedPlatform, Msal};
use mamgate_mobile::{Device, EnrollmentStatus, LoginOutcome, MobileClient, Ports};
use serde_json::{json, Value};

use super::kit::{enrollment_reason_of, error_id_of, DemoKit};
use super::Row;

type Fut<'a> = Pin<Box<dyn Future<Output = anyhow::Result<Row>> + Send + 'a>>;

/// A named scenario.
pub struct Scenario {
    pub name: &'static str,
    pub run: for<'a> fn(&'a DemoKit) -> Fut<'a>,
}

/// Every scenario, in order.
pub fn all() -> Vec<Scenario> {
    vec![
        Scenario {
            name: "success (office365, JIT user)",
            run: success,
        },
        Scenario {
            name: "SAML user not yet provisioned",
            run: saml_not_provisioned,
        },
        Scenario {
            name: "SAML user provisioned by admin (AuthData=objectId)",
            run: saml_provisioned,
        },
        Scenario {
            name: "decline, then retry",
            run: decline_then_retry,
        },
        Scenario {
            name: "technical failure on a two-server device",
            run: technical_failure,
        },
        Scenario {
            name: "tenant mismatch",
            run: tenant_mismatch,
        },
        Scenario {
            name: "v1 token (manifest version not 2)",
            run: v1_token,
        },
        Scenario {
            name: "expired token, single retry",
            run: expired_single_retry,
        },
        Scenario {
            name: "bot account",
            run: bot_account,
        },
        Scenario {
            name: "deactivated account",
            run: deactivated,
        },
        Scenario {
            name: "license removed mid-session, then restored",
            run: license_mid_session,
        },
        Scenario {
            name: "Intune enabled mid-session",
            run: intune_enabled_mid_session,
        },
        Scenario {
            name: "tenant-wide admin consent missing",
            run: consent_missing,
        },
        Scenario {
            name: "beta app under a production-only policy",
            run: beta_not_targeted,
        },
        Scenario {
            name: "Android device",
            run: android,
        },
    ]
}

/// A row of the table; the runner fills in the scenario's name.
fn row(expected: &str, got: String, error_id: impl Into<String>, seed_row: &'static str) -> Row {
    Row {
        scenario: "",
        matched: got == expected,
        expected: expected.into(),
        got,
        error_id: error_id.into(),
        seed_row,
    }
}

/// The row of a sign-in the server refused: `login_failed (HTTP n)` and the server's id.
fn failed_login_row(expected: &str, r: &StepResult, seed_row: &'static str) -> Row {
    row(
        expected,
        failed_with_status(&r.code, &r.message),
        error_id_of(&r.message),
        seed_row,
    )
}

/// `login_failed (HTTP 428)` from a simulator result.
fn failed_with_status(code: &str, message: &str) -> String {
    match message
        .split("(HTTP ")
        .nth(1)
        .and_then(|r| r.split(')').next())
    {
        Some(status) => format!("{code} (HTTP {status})"),
        None => code.to_string(),
    }
}

fn success(k: &DemoKit) -> Fut<'_> {
    Box::pin(async move {
        let dev = k.new_device();
        let r = k
            .device(
                &dev,
                &format!("login {} --user {}", k.server(), ex::ALICE_UPN),
            )
            .await?;
        let read = k.device(&dev, &format!("read {}", k.server())).await?;
        let jit = k
            .sandbox
            .server
            .state
            .store
            .get_user_by_auth("office365", ex::ALICE_OID)
            .await?
            .is_some();
        let got = format!(
            "{}, {}{}",
            r.code,
            read.code,
            if jit { ", JIT user" } else { "" }
        );
        Ok(row(
            "enrolled, content, JIT user",
            got,
            "",
            "Expected Mobile Login & Enrollment Flow",
        ))
    })
}

fn saml_not_provisioned(k: &DemoKit) -> Fut<'_> {
    Box::pin(async move {
        k.patch_config(json!({"IntuneSettings": {"AuthService": "saml"}}))
            .await?;
        let dev = k.new_device();
        let r = k
            .device(
                &dev,
                &format!(
                    "login {} --user {} --sso saml",
                    k.server(),
                    ex::SAML_USER_UPN
                ),
            )
            .await?;
        Ok(failed_login_row(
            "login_failed (HTTP 428)",
            &r,
            "Your account isn't fully set up yet",
        ))
    })
}

fn saml_provisioned(k: &DemoKit) -> Fut<'_> {
    Box::pin(async move {
        let (status, body) = k.admin("POST", &format!("{}/api/v4/users", k.server()), Some(json!({
            "username": "sam", "email": ex::SAML_USER_UPN, "auth_service": "saml", "auth_data": ex::SAML_USER_OID,
        }))).await?;
        anyhow::ensure!(status == 201, "provisioning refused: {body}");
        let dev = k.new_device();
        let r = k
            .device(
                &dev,
                &format!(
                    "login {} --user {} --sso saml",
                    k.server(),
                    ex::SAML_USER_UPN
                ),
            )
            .await;
        k.patch_config(json!({"IntuneSettings": {"AuthService": "office365"}}))
            .await?;
        let r = r?;
        Ok(row(
            "enrolled",
            r.code,
            "",
            "Identity Enforcement by Authentication Method",
        ))
    })
}

fn decline_then_retry(k: &DemoKit) -> Fut<'_> {
    Box::pin(async move {
        let dev = k.new_device();
        let s = k.server();
        let first = k
            .device(
                &dev,
                &format!("login {s} --user {} --decline", ex::ALICE_UPN),
            )
            .await?;
        let blocked = k.device(&dev, &format!("read {s}")).await?;
        let kept = dev
            .join("servers")
            .read_dir()
            .map(|d| d.count() > 0)
            .unwrap_or(false);
        let retry = k
            .device(&dev, &format!("enroll {s} --user {}", ex::ALICE_UPN))
            .await?;
        let read = k.device(&dev, &format!("read {s}")).await?;
        let got = format!(
            "{} → {}{} → {} → {}",
            first.code,
            blocked.code,
            if kept { " (nothing wiped)" } else { " (WIPED)" },
            retry.code,
            read.code
        );
        Ok(row(
            "enrollment_declined → content_blocked (nothing wiped) → enrolled → content",
            got,
            "",
            "Enrollment Declined",
        ))
    })
}

fn technical_failure(k: &DemoKit) -> Fut<'_> {
    Box::pin(async move {
        let dev = k.new_device();
        let (a, b) = (k.server(), k.second.url.as_str());
        let ok = k
            .device(&dev, &format!("login {b} --user {}", ex::ALICE_UPN))
            .await?;
        let files_b = dev_files(&dev);
        k.device(&dev, &format!("add-server {a}")).await?;
        let fail = k
            .device(&dev, &format!("login {a} --user {}", ex::UNLICENSED_UPN))
            .await?;
        let gone = k.device(&dev, &format!("read {a}")).await?;
        let other = k.device(&dev, &format!("read {b}")).await?;
        let untouched = dev_files(&dev) == files_b;
        let got = format!(
            "{} ({}); {a_state}; other server {}{}",
            fail.code,
            enrollment_reason_of(&fail.message),
            other.code,
            if untouched {
                ", files untouched"
            } else {
                ", FILES CHANGED"
            },
            a_state = if gone.code == "unknown_server" {
                "failing server removed"
            } else {
                "failing server KEPT"
            }
        );
        anyhow::ensure!(ok.code == "enrolled", "setup: {}", ok.message);
        Ok(row("enrollment_failed (not_licensed); failing server removed; other server content, files untouched",
            got, "NotLicensed", "Enrollment Failed; Enrollment Failure Session Behavior"))
    })
}

/// Every file path under a device's server folders, with the content of credential files
/// (what a wipe of the wrong server would change).
fn dev_files(dev: &Path) -> Vec<(String, String)> {
    let mut out = Vec::new();
    let mut stack = vec![dev.join("servers")];
    while let Some(d) = stack.pop() {
        let Ok(entries) = d.read_dir() else { continue };
        for e in entries.flatten() {
            let p = e.path();
            if p.is_dir() {
                stack.push(p);
            } else {
                let keychain = p.file_name().is_some_and(|n| n == "keychain.json");
                let content = if keychain {
                    std::fs::read_to_string(&p).unwrap_or_default()
                } else {
                    String::new()
                };
                out.push((p.to_string_lossy().into_owned(), content));
            }
        }
    }
    out.sort();
    out
}

fn tenant_mismatch(k: &DemoKit) -> Fut<'_> {
    Box::pin(async move {
        let other = "0b1c2d3e-4f5a-4b6c-8d7e-9f0a1b2c3d4e";
        let minted = k.control("POST", format!("{}/_control/mint", k.sandbox.entra.url), json!({
            "as": {"username": ex::ALICE_UPN, "client_id": ex::OFFICIAL_CLIENT_ID,
                   "scope": format!("api://{}/login.mattermost", ex::EXAMPLE_SERVER_APP_ID)},
            "claims": {"tid": other, "iss": format!("{}/{other}/v2.0", k.sandbox.entra.url)},
        })).await?;
        let token = minted["token"].as_str().unwrap_or_default();
        let r = k.http.post(format!("{}/oauth/intune", k.server()))
            .json(&json!({"access_token": token, "device_id": "apple_rn-v2:demo-tenant", "voip_device_id": ""}))
            .send().await?;
        let status = r.status().as_u16();
        let body: Value = r.json().await.unwrap_or(Value::Null);
        Ok(row(
            "HTTP 400",
            format!("HTTP {status}"),
            body["id"].as_str().unwrap_or(""),
            "There was a configuration issue (tenant mismatch)",
        ))
    })
}

fn v1_token(k: &DemoKit) -> Fut<'_> {
    Box::pin(async move {
        let url = format!(
            "{}/_control/apps/{}/token-version",
            k.sandbox.entra.url,
            ex::EXAMPLE_SERVER_APP_ID
        );
        k.control("PUT", url.clone(), json!({"version": 1})).await?;
        let dev = k.new_device();
        let r = k
            .device(
                &dev,
                &format!("login {} --user {}", k.server(), ex::ALICE_UPN),
            )
            .await;
        k.control("PUT", url, json!({"version": 2})).await?;
        let r = r?;
        Ok(failed_login_row(
            "login_failed (HTTP 400)",
            &r,
            "We couldn't verify your sign in (accessTokenAcceptedVersion = 2)",
        ))
    })
}

/// Real MSAL whose first token is an expired one (an MSAL cache serving a stale token).
struct ExpiredFirst {
    real: HttpMsal,
    entra: String,
    http: reqwest::Client,
    calls: AtomicUsize,
}

#[async_trait]
impl Msal for ExpiredFirst {
    async fn acquire_token(
        &self,
        server: &str,
        upn: &str,
        scopes: &[String],
    ) -> Result<MsalTokens, MsalError> {
        let mut tokens = self.real.acquire_token(server, upn, scopes).await?;
        if self.calls.fetch_add(1, Ordering::SeqCst) == 0 {
            let minted: Option<Value> = async {
                self.http.post(format!("{}/_control/mint", self.entra))
                    .json(&json!({"as": {"username": upn, "client_id": ex::OFFICIAL_CLIENT_ID, "scope": scopes.join(" ")}, "lifetime_secs": -600}))
                    .send().await.ok()?.json().await.ok()
            }.await;
            if let Some(t) = minted.as_ref().and_then(|m| m["token"].as_str()) {
                tokens.access_token = t.to_string();
            }
        }
        Ok(tokens)
    }
}

fn expired_single_retry(k: &DemoKit) -> Fut<'_> {
    Box::pin(async move {
        let dev = k.new_device();
        let entra = k.sandbox.entra.url.clone();
        let msal = Arc::new(ExpiredFirst {
            real: HttpMsal::new(&entra, ex::PRODUCTION_BUNDLE_ID),
            entra: entra.clone(),
            http: k.http.clone(),
            calls: AtomicUsize::new(0),
        });
        let device = Device::open(&dev)?;
        let device_id = device.device_id();
        let ports = Ports {
            msal: msal.clone(),
            intune: Arc::new(HttpIntune::new(
                &k.sandbox.intune.url,
                ex::PRODUCTION_BUNDLE_ID,
                HttpMsal::new(&entra, ex::PRODUCTION_BUNDLE_ID),
                &dev,
            )),
            server: Arc::new(HttpServerApi::new()),
            platform: Arc::new(FixedPlatform(Os::Ios)),
        };
        let mut client = MobileClient::new(device, ports);
        let out = client
            .login(k.server(), ex::ALICE_UPN, SsoType::Office365, false)
            .await?;
        let (_, audits) = k
            .admin(
                "GET",
                &format!("{}/api/v4/audits?per_page=200", k.server()),
                None,
            )
            .await?;
        let mine: Vec<&Value> = audits
            .as_array()
            .map(|a| {
                a.iter()
                    .filter(|x| x["device_id"] == device_id.as_str())
                    .collect()
            })
            .unwrap_or_default();
        let first_error = mine
            .last()
            .and_then(|a| a["error_id"].as_str())
            .unwrap_or("")
            .to_string();
        let enrolled = matches!(
            out,
            LoginOutcome::SignedIn {
                enrollment: EnrollmentStatus::Enrolled { .. },
                ..
            }
        );
        let got = format!(
            "{} attempts, then {}",
            mine.len(),
            if enrolled { "enrolled" } else { "not enrolled" }
        );
        Ok(row(
            "2 attempts, then enrolled",
            got,
            first_error,
            "Your sign in session has expired (Retry: Yes (1x))",
        ))
    })
}

fn bot_account(k: &DemoKit) -> Fut<'_> {
    Box::pin(async move {
        let robot_oid = "8d0e2f4a-5b6c-4d7e-9f8a-0b1c2d3e4f5a";
        {
            let mut t = mamgate_emulators::tenant::write(&k.sandbox.tenant);
            let mut robot = t
                .users
                .first()
                .cloned()
                .ok_or_else(|| anyhow::anyhow!("tenant has no users"))?;
            robot.oid = robot_oid.into();
            robot.upn = "robot@contoso.example".into();
            robot.email = Some("robot@contoso.example".into());
            t.users.push(robot);
        }
        let (status, bot) = k
            .admin(
                "POST",
                &format!("{}/api/v4/bots", k.server()),
                Some(json!({"username": "robot", "display_name": "Robot"})),
            )
            .await?;
        anyhow::ensure!(status == 201, "bot creation refused: {bot}");
        let store = &k.sandbox.server.state.store;
        let mut user = store
            .get_user(bot["user_id"].as_str().unwrap_or_default())
            .await?
            .ok_or_else(|| anyhow::anyhow!("bot missing"))?;
        user.auth_service = "office365".into();
        user.auth_data = robot_oid.into();
        store.update_user(user).await?;
        let dev = k.new_device();
        let r = k
            .device(
                &dev,
                &format!("login {} --user robot@contoso.example", k.server()),
            )
            .await?;
        Ok(failed_login_row(
            "login_failed (HTTP 403)",
            &r,
            "Bot accounts cannot sign in using this method",
        ))
    })
}

fn deactivated(k: &DemoKit) -> Fut<'_> {
    Box::pin(async move {
        let alice = k
            .sandbox
            .server
            .state
            .store
            .get_user_by_auth("office365", ex::ALICE_OID)
            .await?
            .ok_or_else(|| anyhow::anyhow!("alice was not created"))?;
        let active_url = format!("{}/api/v4/users/{}/active", k.server(), alice.id);
        k.admin("PUT", &active_url, Some(json!({"active": false})))
            .await?;
        let dev = k.new_device();
        let r = k
            .device(
                &dev,
                &format!("login {} --user {}", k.server(), ex::ALICE_UPN),
            )
            .await;
        k.admin("PUT", &active_url, Some(json!({"active": true})))
            .await?;
        let r = r?;
        Ok(failed_login_row(
            "login_failed (HTTP 409)",
            &r,
            "Your account has been deactivated",
        ))
    })
}

fn license_mid_session(k: &DemoKit) -> Fut<'_> {
    Box::pin(async move {
        let dev = k.new_device();
        let s = k.server();
        k.device(
            &dev,
            &format!("login {s} --user {} --decline", ex::ALICE_UPN),
        )
        .await?;
        let before = k.device(&dev, &format!("read {s}")).await?;
        k.admin("DELETE", &format!("{s}/api/v4/license"), None)
            .await?;
        let removed = k.device(&dev, &format!("read {s}")).await?;
        let file = crate::sandbox::issue_license(&k.sandbox.license_key, "advanced");
        let form = reqwest::multipart::Form::new().part(
            "license",
            reqwest::multipart::Part::bytes(file.into_bytes()).file_name("sandbox.license"),
        );
        let r = k
            .http
            .post(format!("{s}/api/v4/license"))
            .bearer_auth(&k.admin_token)
            .multipart(form)
            .send()
            .await?;
        anyhow::ensure!(
            r.status().is_success(),
            "license upload refused: HTTP {}",
            r.status()
        );
        let restored = k.device(&dev, &format!("read {s}")).await?;
        let got = format!(
            "{} → removed: {} → restored: {}",
            before.code, removed.code, restored.code
        );
        Ok(row(
            "content_blocked → removed: content → restored: content_blocked",
            got,
            "",
            "Runtime Enforcement Behavior (licensing change)",
        ))
    })
}

fn intune_enabled_mid_session(k: &DemoKit) -> Fut<'_> {
    Box::pin(async move {
        let dev = k.new_device();
        let s = k.server();
        k.device(
            &dev,
            &format!("login {s} --user {} --decline", ex::ALICE_UPN),
        )
        .await?;
        k.patch_config(json!({"IntuneSettings": {"Enable": false}}))
            .await?;
        let off = k.device(&dev, &format!("read {s}")).await?;
        k.patch_config(json!({"IntuneSettings": {"Enable": true}}))
            .await?;
        let on = k.device(&dev, &format!("read {s}")).await?;
        let enrolled = k
            .device(&dev, &format!("enroll {s} --user {}", ex::ALICE_UPN))
            .await?;
        let after = k.device(&dev, &format!("read {s}")).await?;
        let got = format!(
            "off: {} → on: {} → {} → {}",
            off.code, on.code, enrolled.code, after.code
        );
        Ok(row(
            "off: content → on: content_blocked → enrolled → content",
            got,
            "",
            "Runtime Enforcement Behavior (configuration change)",
        ))
    })
}

fn consent_missing(k: &DemoKit) -> Fut<'_> {
    Box::pin(async move {
        let consent = format!(
            "{}/_control/admin-consent/{}",
            k.sandbox.entra.url,
            ex::EXAMPLE_SERVER_APP_ID
        );
        k.control("PUT", consent.clone(), json!({"granted": false}))
            .await?;
        let dev = k.new_device();
        let s = k.server();
        let first = k
            .device(&dev, &format!("login {s} --user {}", ex::ALICE_UPN))
            .await;
        let gone = k.device(&dev, &format!("read {s}")).await;
        k.control("PUT", consent, json!({"granted": true})).await?;
        let (first, gone) = (first?, gone?);
        k.device(&dev, &format!("add-server {s}")).await?;
        let retry = k
            .device(&dev, &format!("login {s} --user {}", ex::ALICE_UPN))
            .await?;
        let got = format!(
            "{} ({}), {} → consent granted, re-added → {}",
            first.code,
            enrollment_reason_of(&first.message),
            if gone.code == "unknown_server" {
                "server removed"
            } else {
                "server KEPT"
            },
            retry.code
        );
        Ok(row("enrollment_failed (consent_missing), server removed → consent granted, re-added → enrolled", got,
            "AADSTS650057", "Consent Required During First Login"))
    })
}

fn beta_not_targeted(k: &DemoKit) -> Fut<'_> {
    Box::pin(async move {
        let url = format!("{}/_control/tenant", k.sandbox.intune.url);
        let original = k.control("GET", url.clone(), Value::Null).await?;
        let mut production_only = original.clone();
        let is_beta = |p: &Value| {
            p.to_string()
                .contains(&format!("\"{}\"", ex::BETA_BUNDLE_ID))
        };
        match production_only.get_mut("app_protection_policies") {
            Some(Value::Array(list)) => list.retain(|p| !is_beta(p)),
            Some(Value::Object(o)) => {
                if let Some(Value::Array(list)) = o.get_mut("value") {
                    list.retain(|p| !is_beta(p));
                }
            }
            _ => {}
        }
        k.control("PUT", url.clone(), production_only).await?;
        let dev = k.new_device();
        let r = k
            .device(
                &dev,
                &format!(
                    "login {} --user {} --bundle {}",
                    k.server(),
                    ex::ALICE_UPN,
                    ex::BETA_BUNDLE_ID
                ),
            )
            .await;
        k.control("PUT", url, original).await?;
        let r = r?;
        Ok(row(
            "enrollment_failed (not_targeted)",
            format!("{} ({})", r.code, enrollment_reason_of(&r.message)),
            "NotTargeted",
            "Step 5: separate policies per bundle ID",
        ))
    })
}

fn android(k: &DemoKit) -> Fut<'_> {
    Box::pin(async move {
        let dev = k.new_device();
        let r = k
            .device(
                &dev,
                &format!(
                    "login {} --user {} --platform android",
                    k.server(),
                    ex::ALICE_UPN
                ),
            )
            .await?;
        Ok(row(
            "web_sso_fallback",
            r.code,
            "",
            "Troubleshooting: Android device usage",
        ))
    })
}
