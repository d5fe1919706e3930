//! The state machine against in-test ports.

use serde_json::json;

use super::*;
use crate::enforce::Enforcement;
use crate::fakes::*;
use crate::model::{ApiError, IntuneEvent, MsalError, Os, ServerEvent};

const A: &str = "https://a.example";
const B: &str = "https://b.example";
const UPN: &str = "adele@contoso.com";

fn rig_with(urls: &[&str]) -> crate::fakes::Rig {
    let rig = crate::fakes::Rig::new(Os::Ios);
    for u in urls {
        rig.server.with(u, intune_config("office365"), advanced());
    }
    rig
}

fn unauthorized() -> ApiError {
    ApiError {
        status: 401,
        id: "ent.intune.validate_token.token_expired.app_error".into(),
        message: "expired".into(),
    }
}

async fn sign_in(rig: &mut crate::fakes::Rig, url: &str) -> LoginOutcome {
    rig.client
        .login(url, UPN, SsoType::Office365, false)
        .await
        .unwrap()
}

#[tokio::test]
async fn success_persists_session_and_enrolls() {
    let mut rig = rig_with(&[A]);
    let out = sign_in(&mut rig, A).await;
    assert_eq!(
        out,
        LoginOutcome::SignedIn {
            user_id: "u1".into(),
            username: "adele".into(),
            enrollment: EnrollmentStatus::Enrolled {
                oid: "oid-1".into()
            }
        }
    );
    let posts = rig.server.posts.lock().unwrap().clone();
    assert_eq!(posts.len(), 1);
    assert!(
        posts[0].device_id.starts_with("apple_rn-v2:")
            && posts[0].voip_device_id.starts_with("apple_rn-v2:")
    );
    assert_eq!(
        rig.client.device.read_credentials(A).unwrap().unwrap().csrf,
        "csrf"
    );
    let db = rig.client.device.read_db(A).unwrap().unwrap();
    assert_eq!(db.intune_oid.as_deref(), Some("oid-1"));
    assert!(db.policy.is_some());
    assert_eq!(rig.client.evaluate(A).await.unwrap(), Enforcement::Enrolled);
    assert!(matches!(
        rig.client.read(A).await.unwrap(),
        ReadOutcome::Content(_)
    ));
    // Already managed: a second sign-in does not enroll again.
    assert!(matches!(
        sign_in(&mut rig, A).await,
        LoginOutcome::SignedIn {
            enrollment: EnrollmentStatus::AlreadyManaged,
            ..
        }
    ));
    assert_eq!(*rig.intune.enrolls.lock().unwrap(), 1);
}

#[tokio::test]
async fn retry_on_401_exactly_once() {
    let mut rig = rig_with(&[A]);
    rig.server.answers.lock().unwrap().push_back(unauthorized());
    assert!(matches!(
        sign_in(&mut rig, A).await,
        LoginOutcome::SignedIn { .. }
    ));
    assert_eq!(*rig.msal.calls.lock().unwrap(), 2);
    let posts = rig.server.posts.lock().unwrap().clone();
    assert_eq!(
        (
            posts[0].access_token.as_str(),
            posts[1].access_token.as_str()
        ),
        ("token-1", "token-2")
    );

    let mut rig = rig_with(&[A]);
    rig.server
        .answers
        .lock()
        .unwrap()
        .extend([unauthorized(), unauthorized(), unauthorized()]);
    assert!(matches!(
        sign_in(&mut rig, A).await,
        LoginOutcome::Failed { status: 401, .. }
    ));
    assert_eq!(rig.server.posts.lock().unwrap().len(), 2);
    assert_eq!(*rig.msal.calls.lock().unwrap(), 2);
}

#[tokio::test]
async fn other_failures_are_not_retried_and_persist_nothing() {
    for status in [400u16, 403, 409, 412, 428, 500] {
        let mut rig = rig_with(&[A]);
        let id = format!("err.{status}");
        rig.server.answers.lock().unwrap().push_back(ApiError {
            status,
            id: id.clone(),
            message: "No".into(),
        });
        let out = sign_in(&mut rig, A).await;
        assert_eq!(
            out,
            LoginOutcome::Failed {
                status,
                id,
                message: "No".into()
            },
            "{status}"
        );
        assert_eq!(rig.server.posts.lock().unwrap().len(), 1, "{status}");
        assert!(rig.client.device.file.servers.is_empty(), "{status}");
        assert!(!rig.client.device.server_dir(A).exists(), "{status}");
    }
    let mut rig = rig_with(&[A]);
    *rig.msal.fail.lock().unwrap() = Some(MsalError {
        code: "AADSTS650057".into(),
        message: "Invalid resource".into(),
    });
    assert!(matches!(
        sign_in(&mut rig, A).await,
        LoginOutcome::Failed { status: 0, .. }
    ));
    assert!(rig.server.posts.lock().unwrap().is_empty());
}

#[tokio::test]
async fn android_falls_back_to_web_sso_with_reason() {
    let mut rig = crate::fakes::Rig::new(Os::Android);
    rig.server.with(A, intune_config("office365"), advanced());
    match sign_in(&mut rig, A).await {
        LoginOutcome::WebSsoFallback { reason } => assert!(reason.contains("iOS"), "{reason}"),
        other => panic!("{other:?}"),
    }
    assert_eq!(*rig.msal.calls.lock().unwrap(), 0);
    // Tapping the other SSO button also falls back.
    let mut rig = rig_with(&[A]);
    let out = rig
        .client
        .login(A, UPN, SsoType::Saml, false)
        .await
        .unwrap();
    assert!(
        matches!(out, LoginOutcome::WebSsoFallback { ref reason } if reason.contains("IntuneAuthService")),
        "{out:?}"
    );
}

#[tokio::test]
async fn decline_then_retry_succeeds_without_wiping() {
    let mut rig = rig_with(&[A]);
    let out = rig
        .client
        .login(A, UPN, SsoType::Office365, true)
        .await
        .unwrap();
    assert!(matches!(
        out,
        LoginOutcome::SignedIn {
            enrollment: EnrollmentStatus::Declined,
            ..
        }
    ));
    std::fs::write(rig.client.device.files_dir(A).join("cached.bin"), b"x").unwrap();
    assert_eq!(
        rig.client.evaluate(A).await.unwrap(),
        Enforcement::Required { declined: true }
    );
    assert!(matches!(
        rig.client.read(A).await.unwrap(),
        ReadOutcome::Blocked { declined: true, .. }
    ));
    // Still there: credentials, database, files.
    assert!(rig.client.device.read_credentials(A).unwrap().is_some());
    assert!(rig.client.device.files_dir(A).join("cached.bin").exists());
    assert!(rig.server.logouts.lock().unwrap().is_empty());
    // Retry.
    assert_eq!(
        rig.client.enroll(A, UPN, false).await.unwrap(),
        EnrollmentStatus::Enrolled {
            oid: "oid-1".into()
        }
    );
    assert!(matches!(
        rig.client.read(A).await.unwrap(),
        ReadOutcome::Content(_)
    ));
    assert!(rig.client.device.files_dir(A).join("cached.bin").exists());
}

#[tokio::test]
async fn technical_failure_removes_only_that_server() {
    let mut rig = rig_with(&[A, B]);
    assert!(matches!(
        sign_in(&mut rig, B).await,
        LoginOutcome::SignedIn { .. }
    ));
    std::fs::write(rig.client.device.files_dir(B).join("keep.bin"), b"x").unwrap();
    let b_creds = rig.client.device.read_credentials(B).unwrap();
    let b_db = rig.client.device.read_db(B).unwrap();
    for reason in ["not_licensed", "not_targeted", "consent_missing"] {
        *rig.intune.outcome.lock().unwrap() = EnrollmentOutcome::Failed {
            reason: reason.into(),
        };
        let out = sign_in(&mut rig, A).await;
        assert!(
            matches!(out, LoginOutcome::SignedIn { enrollment: EnrollmentStatus::Failed { ref reason }, .. } if reason.as_str() == reason_of(&out)),
            "{out:?}"
        );
        assert!(rig.client.device.server(A).is_none(), "{reason}");
        assert!(!rig.client.device.server_dir(A).exists(), "{reason}");
        assert_eq!(
            rig.client.device.read_credentials(B).unwrap(),
            b_creds,
            "{reason}"
        );
        assert_eq!(rig.client.device.read_db(B).unwrap(), b_db, "{reason}");
        assert!(
            rig.client.device.files_dir(B).join("keep.bin").exists(),
            "{reason}"
        );
        assert!(rig.client.device.server(B).is_some(), "{reason}");
        assert_eq!(rig.client.active(), Some(B));
    }
    assert_eq!(rig.server.logouts.lock().unwrap().as_slice(), [A, A, A]);
}

fn reason_of(out: &LoginOutcome) -> &str {
    match out {
        LoginOutcome::SignedIn {
            enrollment: EnrollmentStatus::Failed { reason },
            ..
        } => reason,
        _ => "",
    }
}

#[tokio::test]
async fn msal_failure_while_enrolling_is_technical() {
    let mut rig = rig_with(&[A]);
    rig.client
        .login(A, UPN, SsoType::Office365, true)
        .await
        .unwrap();
    *rig.msal.fail.lock().unwrap() = Some(MsalError {
        code: "canceled".into(),
        message: "canceled".into(),
    });
    assert!(matches!(
        rig.client.enroll(A, UPN, false).await.unwrap(),
        EnrollmentStatus::Failed { .. }
    ));
    assert!(rig.client.device.server(A).is_none());
}

#[tokio::test]
async fn selective_wipe_non_active_first_rows_kept() {
    let mut rig = rig_with(&[A, B, "https://c.example"]);
    for u in ["https://c.example", A, B] {
        sign_in(&mut rig, u).await;
    }
    rig.client.switch(A).await.unwrap();
    let ev = IntuneEvent::WipeRequested {
        oid: "oid-1".into(),
        server_urls: vec![A.into(), B.into()],
    };
    let report = rig.client.handle_intune_event(ev).await.unwrap();
    assert_eq!(report.wiped, [B, A]);
    assert_eq!(rig.server.logouts.lock().unwrap().as_slice(), [B, A]);
    assert_eq!(
        rig.intune.reports.lock().unwrap().as_slice(),
        [("oid-1".to_string(), true)]
    );
    for u in [A, B] {
        assert!(rig.client.device.server(u).is_some(), "row kept");
        assert!(rig.client.device.read_credentials(u).unwrap().is_none());
        assert_eq!(
            rig.client.evaluate(u).await.unwrap(),
            Enforcement::NotSignedIn
        );
    }
    assert!(rig
        .client
        .device
        .read_credentials("https://c.example")
        .unwrap()
        .is_some());
}

#[tokio::test]
async fn sdk_events_that_wipe_and_one_that_does_not() {
    let cases = [
        (
            IntuneEvent::AuthRequired {
                oid: "o".into(),
                reason: "consent_denied".into(),
                server_urls: vec![A.into()],
            },
            "Consent Denied",
            true,
        ),
        (
            IntuneEvent::IdentitySwitchRequired {
                oid: "o".into(),
                reason: "x".into(),
                server_urls: vec![A.into()],
            },
            "Identity Switch Required",
            true,
        ),
        (
            IntuneEvent::ComplianceFailed {
                oid: "o".into(),
                reason: "not_compliant".into(),
                server_urls: vec![A.into()],
            },
            "App Protection Required",
            true,
        ),
        (
            IntuneEvent::ConditionalLaunchBlocked {
                oid: "o".into(),
                reason: "launch_blocked".into(),
                server_urls: vec![A.into()],
            },
            "Access Blocked",
            true,
        ),
        (
            IntuneEvent::ConditionalLaunchBlocked {
                oid: "o".into(),
                reason: "launch_canceled".into(),
                server_urls: vec![A.into()],
            },
            "Blocked by your organization",
            false,
        ),
    ];
    for (ev, alert, wipes) in cases {
        let mut rig = rig_with(&[A]);
        sign_in(&mut rig, A).await;
        let report = rig.client.handle_intune_event(ev.clone()).await.unwrap();
        assert_eq!(report.alert, alert, "{ev:?}");
        assert_eq!(
            rig.client.device.read_credentials(A).unwrap().is_none(),
            wipes,
            "{ev:?}"
        );
    }
    let mut rig = rig_with(&[A]);
    sign_in(&mut rig, A).await;
    let ev = IntuneEvent::PolicyChanged {
        oid: "oid-1".into(),
        policy: Some(json!({"isPINRequired": false})),
        server_urls: vec![A.into()],
    };
    rig.client.handle_intune_event(ev).await.unwrap();
    assert_eq!(
        rig.client.device.read_db(A).unwrap().unwrap().policy,
        Some(json!({"isPINRequired": false}))
    );
}

#[tokio::test]
async fn auth_service_mismatch_is_not_enforced() {
    let mut rig = rig_with(&[A]);
    rig.client
        .login(A, UPN, SsoType::Office365, true)
        .await
        .unwrap();
    *rig.server.auth_service.lock().unwrap() = "ldap".into();
    rig.client
        .update_db(A, |db| {
            db.user = Some(json!({"id": "u1", "auth_service": "ldap"}))
        })
        .unwrap();
    assert!(matches!(
        rig.client.evaluate(A).await.unwrap(),
        Enforcement::AuthServiceMismatch { .. }
    ));
    assert!(matches!(
        rig.client.read(A).await.unwrap(),
        ReadOutcome::Content(_)
    ));
    // Same service, other case: enforced.
    rig.client
        .update_db(A, |db| {
            db.user = Some(json!({"id": "u1", "auth_service": "OFFICE365"}))
        })
        .unwrap();
    *rig.server.auth_service.lock().unwrap() = "OFFICE365".into();
    assert!(matches!(
        rig.client.read(A).await.unwrap(),
        ReadOutcome::Blocked { .. }
    ));
}

#[tokio::test]
async fn config_change_makes_enrollment_newly_required() {
    let mut rig = rig_with(&[A]);
    // Signed in while Intune was on, enrollment declined, then the admin turned Intune off.
    rig.client
        .login(A, UPN, SsoType::Office365, true)
        .await
        .unwrap();
    let off = map(&[("SiteName", "Contoso"), ("IntuneMAMEnabled", "false")]);
    rig.server.with(A, off.clone(), advanced());
    assert!(matches!(
        rig.client.read(A).await.unwrap(),
        ReadOutcome::Content(_)
    ));
    // Websocket trigger: Intune on again.
    let ev = ServerEvent::ConfigChanged(intune_config("office365"));
    assert_eq!(
        rig.client.handle_server_event(A, ev).await.unwrap(),
        Some(Enforcement::Required { declined: true })
    );
    // REST trigger: the next read fetches the new config and is refused.
    rig.server.with(A, intune_config("office365"), advanced());
    assert!(matches!(
        rig.client.read(A).await.unwrap(),
        ReadOutcome::Blocked { .. }
    ));
    // License downgrade over the websocket lifts it.
    let ev = ServerEvent::LicenseChanged(map(&[
        ("IsLicensed", "true"),
        ("SkuShortName", "professional"),
    ]));
    assert_eq!(
        rig.client.handle_server_event(A, ev).await.unwrap(),
        Some(Enforcement::NotRequired)
    );
}

#[tokio::test]
async fn logout_keeps_other_servers() {
    let mut rig = rig_with(&[A, B]);
    sign_in(&mut rig, A).await;
    sign_in(&mut rig, B).await;
    rig.client.logout(B, false).await.unwrap();
    assert!(rig.client.device.server(B).is_some());
    assert!(rig.client.device.read_credentials(B).unwrap().is_none());
    assert!(!rig.intune.managed.lock().unwrap().contains(B));
    assert!(rig.client.device.read_credentials(A).unwrap().is_some());
    rig.client.logout(A, true).await.unwrap();
    assert!(rig.client.device.server(A).is_none());
    assert!(matches!(
        rig.client.logout("https://nope", false).await,
        Err(MobileError::UnknownServer(_))
    ));
}

#[tokio::test]
async fn expired_session_wipes_that_server_only() {
    let mut rig = rig_with(&[A, B]);
    sign_in(&mut rig, A).await;
    sign_in(&mut rig, B).await;
    *rig.server.expired.lock().unwrap() = true;
    assert!(matches!(
        rig.client.read(B).await.unwrap(),
        ReadOutcome::SessionExpired { .. }
    ));
    assert!(rig.client.device.server(B).is_some());
    assert!(rig.client.device.read_credentials(B).unwrap().is_none());
    assert!(!rig.intune.managed.lock().unwrap().contains(B));
    assert!(rig.client.device.read_credentials(A).unwrap().is_some());
}

#[tokio::test]
async fn msal_errors_are_worded_as_the_app_does() {
    let mut rig = rig_with(&[A]);
    *rig.msal.fail.lock().unwrap() = Some(MsalError {
        code: "canceled".into(),
        message: "user canceled".into(),
    });
    match sign_in(&mut rig, A).await {
        LoginOutcome::Failed { message, .. } => assert!(
            message.starts_with("Login was canceled. Please try again"),
            "{message}"
        ),
        other => panic!("{other:?}"),
    }
    *rig.msal.fail.lock().unwrap() = Some(MsalError {
        code: "AADSTS650057".into(),
        message: "Invalid resource".into(),
    });
    match sign_in(&mut rig, A).await {
        LoginOutcome::Failed { message, id, .. } => {
            assert!(
                message.starts_with("Authentication failed. Please try again"),
                "{message}"
            );
            assert_eq!(id, "AADSTS650057");
        }
        other => panic!("{other:?}"),
    }
}
