//! Check 6: a sample token, validated as the server would (same function, same error id).

use mamgate_core::config::IntuneAuthService;
use mamgate_emulators::tenant::OFFICIAL_CLIENT_IDS;

use super::Ctx;
use crate::finding::{Finding, Status};
use crate::token::token_verdict;

const NAME: &str = "token.verdict";
const TITLE: &str = "Sample token passes the server's validation";

pub(super) fn check(ctx: &Ctx<'_>) -> Vec<Finding> {
    let (Some(token), Some(config)) = (&ctx.inputs.token, &ctx.inputs.config) else {
        let mut missing = Vec::new();
        if ctx.inputs.token.is_none() {
            missing.push("--token");
        }
        if ctx.inputs.config.is_none() {
            missing.push("--config");
        }
        return vec![Finding::skipped(6, NAME, TITLE, &missing)];
    };
    let verdict = token_verdict(token, config, ctx.inputs.jwks.as_ref(), ctx.now_secs);
    let mut notes = Vec::new();
    let shown: Vec<String> = ["oid", "tid", "aud", "ver", "scp", "azp"]
        .iter()
        .filter_map(|c| ctx.claims.as_ref()?.get(*c).map(|v| format!("{c}={v}")))
        .collect();
    if !shown.is_empty() {
        notes.push(format!("claims {}", shown.join(" ")));
    }
    if let Some(azp) = ctx.claim("azp").or_else(|| ctx.claim("appid")) {
        if !OFFICIAL_CLIENT_IDS
            .iter()
            .any(|c| c.eq_ignore_ascii_case(azp))
        {
            notes.push(format!(
                "issued to client {azp}, not an official Mattermost mobile app"
            ));
        }
    }
    if !verdict.signature_checked {
        notes.push("signature NOT verified (give --jwks with the tenant's keys)".into());
    }
    // Rows 4–6 answer before the token is read; say so without failing this check for them.
    let intune = &config.intune_settings;
    if !intune.is_configured() {
        notes.push("the server would answer api.user.login_by_intune.not_configured.app_error before reading the token".into());
    } else if config.validate().is_err() {
        notes.push("the server would answer ent.intune.login.not_configured.app_error before reading the token".into());
    }
    let notes = if notes.is_empty() {
        String::new()
    } else {
        format!(" ({})", notes.join("; "))
    };
    let f = Finding::new(6, NAME, TITLE, Status::Pass)
        .why("The server checks shape, signature, issuer, expiry, oid/tid, tenant, version, audience and scope in that order; the first failure is the error the user sees.");
    let finding = match verdict.result {
        Ok(claims) => {
            let next = match intune.auth_service() {
                Some(IntuneAuthService::Saml) => {
                    "The server then looks the user up by AuthService=saml, AuthData=oid."
                }
                _ => "The server then finds or creates the user by AuthData=oid.",
            };
            let status = if verdict.signature_checked {
                Status::Pass
            } else {
                Status::Warn
            };
            Finding { status, ..f }
                .found(format!(
                    "accepted: oid {}, tid {}{notes}",
                    claims.oid, claims.tid
                ))
                .next(next)
        }
        Err(e) => Finding {
            status: Status::Fail,
            ..f
        }
        .found(format!("{}: {}{notes}", e.id, e.reason))
        .next(e.id.entry().next_steps)
        .errors(&[e.id]),
    };
    vec![finding]
}
