//! CONTRACT §2 rows 8–13: the doctor's verdict on a token equals the server's, case by case.
//!
//! The server side is `mamgate_token::validate_with_keys` with the discovery document's issuer
//! (what the server's key cache passes) followed by row 13 as the server applies it.

use mamgate_core::identity::{normalize_object_id, provider_key_problem};
use mamgate_core::{Config, ErrorId};
use mamgate_doctor::token_verdict;
use mamgate_emulators::tenant::*;
use mamgate_token::signing::SigningKey;
use mamgate_token::{validate_with_keys, ValidationParams};
use serde_json::{json, Value};

use crate::kit::*;

/// What the server answers: rows 8–12 from the validator, then row 13.
fn server_verdict(token: &str, key: &SigningKey, config: &Config) -> Option<ErrorId> {
    let intune = &config.intune_settings;
    // Tenant-specific discovery names the concrete issuer.
    let discovery_issuer = format!("{}/{}/v2.0", intune.authority(), intune.tenant_id);
    let keys = key.key_set(Some(&template(intune.authority())));
    let params = ValidationParams {
        tenant_id: &intune.tenant_id,
        client_id: &intune.client_id,
        issuer_template: &discovery_issuer,
    };
    match validate_with_keys(token, &keys, &params, NOW) {
        Err(e) => Some(e.id),
        Ok(claims) if normalize_object_id(&claims.oid).is_none() => Some(ErrorId::ExtractAuthData),
        Ok(_) if provider_key_problem(config).is_some() => Some(ErrorId::ExtractAuthData),
        Ok(_) => None,
    }
}

enum Make {
    Claims(fn(&mut Value)),
    Header(fn(&mut Value)),
    Raw(fn(&str) -> String),
    Config(fn(&mut Config)),
}

#[test]
fn doctor_and_server_agree_on_every_token_row() {
    let cases: Vec<(&str, u8, Make, Option<ErrorId>)> = vec![
        ("valid", 0, Make::Claims(|_| {}), None),
        (
            "not three parts",
            8,
            Make::Raw(|_| "abc.def".into()),
            Some(ErrorId::InvalidToken),
        ),
        (
            "payload not JSON",
            8,
            Make::Raw(|t| {
                let p: Vec<&str> = t.split('.').collect();
                format!("{}.bm90IGpzb24.{}", p[0], p[2])
            }),
            Some(ErrorId::InvalidToken),
        ),
        (
            "over 16 KiB",
            8,
            Make::Claims(|c| c["pad"] = "x".repeat(17 * 1024).into()),
            Some(ErrorId::InvalidToken),
        ),
        (
            "no exp",
            8,
            Make::Claims(|c| {
                c.as_object_mut().unwrap().remove("exp");
            }),
            Some(ErrorId::InvalidToken),
        ),
        (
            "alg HS256",
            8,
            Make::Header(|h| h["alg"] = "HS256".into()),
            Some(ErrorId::InvalidToken),
        ),
        (
            "no kid",
            8,
            Make::Header(|h| {
                h.as_object_mut().unwrap().remove("kid");
            }),
            Some(ErrorId::InvalidToken),
        ),
        (
            "unknown kid",
            8,
            Make::Header(|h| h["kid"] = "rotated-away".into()),
            Some(ErrorId::InvalidToken),
        ),
        (
            "bad signature",
            8,
            Make::Raw(|t| {
                let p: Vec<&str> = t.split('.').collect();
                let sig = if p[2].starts_with('A') {
                    format!("B{}", &p[2][1..])
                } else {
                    format!("A{}", &p[2][1..])
                };
                format!("{}.{}.{sig}", p[0], p[1])
            }),
            Some(ErrorId::InvalidToken),
        ),
        (
            "key issuer differs from iss",
            8,
            Make::Claims(|c| {
                c["iss"] = format!("https://sts.windows.net/{EXAMPLE_TENANT_ID}/").into()
            }),
            Some(ErrorId::InvalidToken),
        ),
        (
            "expired",
            9,
            Make::Claims(|c| c["exp"] = json!(NOW - 301)),
            Some(ErrorId::TokenExpired),
        ),
        (
            "expired within skew",
            0,
            Make::Claims(|c| c["exp"] = json!(NOW - 299)),
            None,
        ),
        (
            "no oid",
            10,
            Make::Claims(|c| {
                c.as_object_mut().unwrap().remove("oid");
            }),
            Some(ErrorId::MissingClaims),
        ),
        (
            "empty tid",
            10,
            Make::Claims(|c| c["tid"] = "".into()),
            Some(ErrorId::MissingClaims),
        ),
        (
            "other tenant",
            11,
            Make::Claims(|c| {
                let other = "99999999-8888-4777-8666-555555555555";
                c["tid"] = other.into();
                c["iss"] = format!("{AUTHORITY}/{other}/v2.0").into();
            }),
            Some(ErrorId::InvalidTenantId),
        ),
        (
            "tenant in upper case",
            0,
            Make::Config(|c| c.intune_settings.tenant_id = EXAMPLE_TENANT_ID.to_uppercase()),
            None,
        ),
        (
            "ver 1.0",
            12,
            Make::Claims(|c| c["ver"] = "1.0".into()),
            Some(ErrorId::InvalidToken),
        ),
        (
            "aud another app",
            12,
            Make::Claims(|c| c["aud"] = "00000003-0000-0000-c000-000000000000".into()),
            Some(ErrorId::InvalidToken),
        ),
        (
            "aud api:// form",
            12,
            Make::Claims(|c| c["aud"] = format!("api://{EXAMPLE_SERVER_APP_ID}").into()),
            Some(ErrorId::InvalidToken),
        ),
        (
            "nbf in the future",
            12,
            Make::Claims(|c| c["nbf"] = json!(NOW + 301)),
            Some(ErrorId::InvalidToken),
        ),
        (
            "scp lacks login.mattermost",
            12,
            Make::Claims(|c| c["scp"] = "User.Read".into()),
            Some(ErrorId::InvalidToken),
        ),
        (
            "app-only idtyp",
            12,
            Make::Claims(|c| c["idtyp"] = "app".into()),
            Some(ErrorId::InvalidToken),
        ),
        (
            "roles without scp",
            12,
            Make::Claims(|c| {
                c.as_object_mut().unwrap().remove("scp");
                c["roles"] = json!(["Task.Read"]);
            }),
            Some(ErrorId::InvalidToken),
        ),
        (
            "oid not a GUID",
            13,
            Make::Claims(|c| c["oid"] = ALICE_UPN.into()),
            Some(ErrorId::ExtractAuthData),
        ),
        (
            "saml keyed by email",
            13,
            Make::Config(|c| {
                c.intune_settings.auth_service = "saml".into();
                c.saml_settings.enable = true;
                c.saml_settings.id_attribute = "email".into();
            }),
            Some(ErrorId::ExtractAuthData),
        ),
        (
            "ldap sync keyed by objectGUID",
            13,
            Make::Config(|c| {
                c.intune_settings.auth_service = "saml".into();
                c.saml_settings.enable = true;
                c.saml_settings.id_attribute =
                    "http://schemas.microsoft.com/identity/claims/objectidentifier".into();
                c.saml_settings.enable_sync_with_ldap = true;
                c.ldap_settings.id_attribute = "objectGUID".into();
            }),
            Some(ErrorId::ExtractAuthData),
        ),
    ];
    let w = World::consistent();
    let mut rows_seen = std::collections::BTreeSet::new();
    for (name, row, make, want) in cases {
        let mut claims = w.claims.clone();
        let mut header = json!({"typ": "JWT", "alg": "RS256", "kid": w.key.kid});
        let mut config = w.config.clone();
        let mut raw: Option<fn(&str) -> String> = None;
        match make {
            Make::Claims(f) => f(&mut claims),
            Make::Header(f) => f(&mut header),
            Make::Raw(f) => raw = Some(f),
            Make::Config(f) => f(&mut config),
        }
        let mut token = w.key.sign_with_header(&header, &claims).unwrap();
        if let Some(f) = raw {
            token = f(&token);
        }
        let server = server_verdict(&token, &w.key, &config);
        assert_eq!(
            server, want,
            "row {row} {name:?}: the server's answer changed"
        );
        let doctor = token_verdict(&token, &config, Some(&w.jwks()), NOW);
        assert_eq!(
            doctor.error_id(),
            server,
            "row {row} {name:?} with --jwks: {:?}",
            doctor.result
        );
        assert!(doctor.signature_checked);
        // Offline (no keys): the same answer for everything but the signature itself.
        let offline = token_verdict(&token, &config, None, NOW);
        if !matches!(name, "bad signature" | "unknown kid") {
            assert_eq!(
                offline.error_id(),
                server,
                "row {row} {name:?} without keys: {:?}",
                offline.result
            );
        }
        rows_seen.insert(row);
    }
    assert_eq!(
        rows_seen.into_iter().collect::<Vec<_>>(),
        vec![0, 8, 9, 10, 11, 12, 13]
    );
}
