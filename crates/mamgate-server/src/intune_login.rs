//! `POST /oauth/intune` (CONTRACT §2): the sixteen checks in their order, JIT creation for
//! `office365`, the session, and one audit record plus one log line per attempt.

use mamgate_core::config::{Config, IntuneAuthService};
use mamgate_core::identity::{normalize_object_id, provider_key_problem};
use mamgate_core::model::{Audit, AuditStatus, User};
use mamgate_core::ErrorId;
use serde_json::Value;

use crate::auth::{prepare_session, IssuedSession, NewSession, PreparedSession};
use crate::context::RequestCtx;
use crate::error::AppError;
use crate::provision::{self, Profile};
use crate::state::{now_ms, AppState};
use crate::usernames;

/// The parsed request body.
#[derive(Debug, Default)]
pub struct IntuneLoginRequest {
    pub access_token: String,
    pub device_id: String,
    pub voip_device_id: String,
}

/// A successful sign-in.
pub struct IntuneLogin {
    pub user: User,
    pub issued: IssuedSession,
}

/// Rows 1–3: the body.
pub fn parse_body(body: &[u8]) -> Result<IntuneLoginRequest, AppError> {
    let value: Value = serde_json::from_slice(body)
        .map_err(|e| AppError::invalid_body("request_body", format!("not JSON: {e}")))?;
    let Value::Object(obj) = value else {
        return Err(AppError::invalid_body("request_body", "not a JSON object"));
    };
    let text = |k: &str| obj.get(k).and_then(Value::as_str).unwrap_or("").to_string();
    let req = IntuneLoginRequest {
        access_token: text("access_token"),
        device_id: text("device_id"),
        voip_device_id: text("voip_device_id"),
    };
    if req.access_token.is_empty() {
        return Err(AppError::invalid_body(
            "access_token",
            "access_token missing or empty",
        ));
    }
    if !req.voip_device_id.is_empty() && !is_device_id(&req.voip_device_id) {
        return Err(AppError::invalid_body(
            "voip_device_id",
            "voip_device_id is not <prefix>:<token>",
        ));
    }
    Ok(req)
}

/// `<prefix>:<token>`, at most 512 bytes, no whitespace or control characters.
pub fn is_device_id(s: &str) -> bool {
    if s.len() > 512 || s.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return false;
    }
    match s.split_once(':') {
        Some((prefix, token)) => !prefix.is_empty() && !token.is_empty(),
        None => false,
    }
}

/// Rows 4–6: the gates that depend on the build, config and license.
fn gate(state: &AppState, config: &Config) -> Result<IntuneAuthService, AppError> {
    if !state.intune_available {
        return Err(AppError::new(
            ErrorId::IntuneNotAvailable,
            "built without the intune feature",
        ));
    }
    let intune = &config.intune_settings;
    if !intune.enable {
        return Err(AppError::new(
            ErrorId::IntuneNotConfigured,
            "IntuneSettings.Enable is false",
        ));
    }
    if let Err(e) = intune.validate() {
        return Err(AppError::new(
            ErrorId::IntuneNotConfigured,
            format!("IntuneSettings invalid: {e}"),
        ));
    }
    let licensed = state.license().is_some_and(|l| l.is_enterprise_advanced());
    if !licensed {
        return Err(AppError::new(
            ErrorId::LoginNotConfigured,
            "no active license of tier >= Enterprise Advanced",
        ));
    }
    let service = intune
        .auth_service()
        .ok_or_else(|| AppError::new(ErrorId::IntuneNotConfigured, "AuthService invalid"))?;
    let provider_on = match service {
        IntuneAuthService::Office365 => config.office365_settings.enable,
        IntuneAuthService::Saml => config.saml_settings.enable,
    };
    if !provider_on {
        return Err(AppError::new(
            ErrorId::LoginNotConfigured,
            format!("provider {} is not enabled", service.as_str()),
        ));
    }
    Ok(service)
}

/// Runs the sign-in and writes its audit record and log line; a successful sign-in writes its
/// session and audit record together, in one store write.
pub async fn login(
    state: &AppState,
    body: &[u8],
    ctx: &RequestCtx,
) -> Result<IntuneLogin, AppError> {
    let mut audit = Audit {
        id: mamgate_store::new_id(),
        create_at: now_ms(),
        action: "login_by_intune".into(),
        status: AuditStatus::Fail,
        error_id: String::new(),
        reason: String::new(),
        user_id: String::new(),
        device_id: String::new(),
        ip_address: ctx.ip.clone(),
        request_id: ctx.request_id.clone(),
    };
    let result = match run(state, body, ctx, &mut audit).await {
        Ok((user, prepared)) => {
            let mut success = audit.clone();
            success.status = AuditStatus::Success;
            let store_started = std::time::Instant::now();
            let written = state
                .store
                .create_session_with_audit(
                    prepared.issued.session.clone(),
                    prepared.revoke_device_id,
                    success,
                )
                .await;
            state.metrics.store_latency.observe(store_started.elapsed());
            match written {
                Ok(()) => Ok(IntuneLogin {
                    user,
                    issued: prepared.issued,
                }),
                Err(e) => Err(AppError::from(e)),
            }
        }
        Err(e) => Err(e),
    };
    match &result {
        Ok(done) => {
            state.metrics.signin("success", "");
            tracing::info!(request_id = %ctx.request_id, user_id = %done.user.id, device_id = %audit.device_id,
                ip = %ctx.ip, outcome = "success", "login_by_intune");
        }
        Err(e) => {
            state.metrics.signin("fail", e.id.id());
            audit.error_id = e.id.id().to_string();
            audit.reason = e.reason.clone();
            tracing::warn!(request_id = %ctx.request_id, user_id = %audit.user_id, device_id = %audit.device_id,
                ip = %ctx.ip, outcome = "fail", error_id = e.id.id(), reason = %e.reason, "login_by_intune");
            if let Err(e) = state.store.add_audit(audit).await {
                tracing::error!(request_id = %ctx.request_id, error = %e, "audit write failed");
            }
        }
    }
    result
}

/// Rows 1–16; returns the user and the session to write.
async fn run(
    state: &AppState,
    body: &[u8],
    ctx: &RequestCtx,
    audit: &mut Audit,
) -> Result<(User, PreparedSession), AppError> {
    let req = parse_body(body)?;
    audit.device_id = req.device_id.clone();
    let config = state.config();
    let service = gate(state, &config)?;

    let now_secs = now_ms() / 1000;
    let started = std::time::Instant::now();
    let claims = state
        .validator
        .validate(&req.access_token, &config.intune_settings, now_secs)
        .await;
    state.metrics.token_validation.observe(started.elapsed());
    let claims = claims.map_err(|e| AppError::new(e.id, e.reason))?;

    // Row 13: the oid must be an objectId and the provider must key users by it.
    let oid = normalize_object_id(&claims.oid).ok_or_else(|| {
        AppError::new(
            ErrorId::ExtractAuthData,
            format!("oid {:?} is not a GUID", claims.oid),
        )
    })?;
    if let Some(problem) = provider_key_problem(&config) {
        return Err(AppError::new(ErrorId::ExtractAuthData, problem));
    }

    let user = match service {
        IntuneAuthService::Saml => state
            .store
            .get_user_by_auth("saml", &oid)
            .await?
            .ok_or_else(|| {
                AppError::new(
                    ErrorId::AccountNotFound,
                    format!("no saml user with AuthData {oid}"),
                )
            })?,
        IntuneAuthService::Office365 => jit_office365(state, &oid, &claims).await?,
    };
    audit.user_id = user.id.clone();
    if user.is_bot {
        return Err(AppError::new(
            ErrorId::BotLoginForbidden,
            format!("user_id={}", user.id),
        ));
    }
    if user.is_deactivated() {
        return Err(AppError::new(
            ErrorId::AccountLocked,
            format!("user_id={}", user.id),
        ));
    }
    let prepared = prepare_session(
        state,
        NewSession {
            user: &user,
            device_id: &req.device_id,
            voip_device_id: &req.voip_device_id,
            is_oauth: true,
            ctx,
        },
    );
    Ok((user, prepared))
}

async fn jit_office365(
    state: &AppState,
    oid: &str,
    claims: &mamgate_token::Claims,
) -> Result<User, AppError> {
    let email = [&claims.email, &claims.upn, &claims.preferred_username]
        .into_iter()
        .flatten()
        .find(|s| s.contains('@'))
        .cloned()
        .unwrap_or_default()
        .to_ascii_lowercase();
    let (first_name, last_name) = usernames::split_name(
        claims.given_name.as_deref(),
        claims.family_name.as_deref(),
        claims.name.as_deref(),
    );
    let login = claims
        .preferred_username
        .clone()
        .or_else(|| claims.upn.clone())
        .unwrap_or_else(|| email.clone());
    provision::office365_user(
        state,
        &Profile {
            oid: oid.to_string(),
            email,
            login,
            first_name,
            last_name,
        },
    )
    .await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn device_id_shapes() {
        assert!(is_device_id("apple_rn-v2:abc"));
        assert!(is_device_id("android_rn-v2:x"));
        assert!(!is_device_id("apple_rn-v2:"));
        assert!(!is_device_id(":abc"));
        assert!(!is_device_id("nocolon"));
        assert!(!is_device_id("apple_rn-v2:a b"));
        assert!(!is_device_id(&format!("p:{}", "a".repeat(600))));
    }

    #[test]
    fn body_rows() {
        assert_eq!(
            parse_body(b"nope").err().map(|e| e.name),
            Some(Some("request_body"))
        );
        assert_eq!(
            parse_body(b"[1]").err().map(|e| e.name),
            Some(Some("request_body"))
        );
        assert_eq!(
            parse_body(b"{}").err().map(|e| e.name),
            Some(Some("access_token"))
        );
        assert_eq!(
            parse_body(br#"{"access_token":"t","voip_device_id":"bad"}"#)
                .err()
                .map(|e| e.name),
            Some(Some("voip_device_id"))
        );
        assert!(parse_body(br#"{"access_token":"t","device_id":"","voip_device_id":""}"#).is_ok());
    }
}
