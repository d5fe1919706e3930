use std::sync::OnceLock;

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use mamgate_core::ErrorId;
use serde_json::{json, Value};

use super::*;
use crate::keys::KeySet;
use crate::signing::{sample_claims, SigningKey, PUBLIC_ISSUER_TEMPLATE};

const TENANT: &str = "11111111-2222-3333-4444-555555555555";
const OTHER_TENANT: &str = "99999999-8888-7777-6666-555555555555";
const CLIENT: &str = "22222222-3333-4444-5555-666666666666";
const NOW: i64 = 1_700_000_000;
/// The same key published without the Entra `issuer` extension (as v1 keys are).
const KID_NO_ISSUER: &str = "k1-no-issuer";

struct Kit {
    key: SigningKey,
    stranger: SigningKey,
    keys: KeySet,
}

fn kit() -> &'static Kit {
    static KIT: OnceLock<Kit> = OnceLock::new();
    KIT.get_or_init(|| {
        let key = SigningKey::generate("k1").unwrap();
        let stranger = SigningKey::generate("k1").unwrap();
        let mut keys = key.key_set(Some(PUBLIC_ISSUER_TEMPLATE));
        keys.insert_rsa(KID_NO_ISSUER, key.modulus(), key.exponent(), None)
            .unwrap();
        Kit {
            key,
            stranger,
            keys,
        }
    })
}

fn params(upper: bool) -> (String, String) {
    if upper {
        (TENANT.to_uppercase(), CLIENT.to_uppercase())
    } else {
        (TENANT.into(), CLIENT.into())
    }
}

fn claims_with(edit: impl Fn(&mut serde_json::Map<String, Value>)) -> Value {
    let mut c = sample_claims(TENANT, CLIENT, NOW);
    if let Value::Object(m) = &mut c {
        edit(m);
    }
    c
}

fn signed(edit: impl Fn(&mut serde_json::Map<String, Value>)) -> String {
    kit().key.sign(&claims_with(edit)).unwrap()
}

fn signed_header(header: Value, edit: impl Fn(&mut serde_json::Map<String, Value>)) -> String {
    kit()
        .key
        .sign_with_header(&header, &claims_with(edit))
        .unwrap()
}

fn b64(s: &str) -> String {
    URL_SAFE_NO_PAD.encode(s)
}

fn other_tenant(m: &mut serde_json::Map<String, Value>) {
    m.insert("tid".into(), json!(OTHER_TENANT));
    m.insert(
        "iss".into(),
        json!(format!(
            "https://login.microsoftonline.com/{OTHER_TENANT}/v2.0"
        )),
    );
}

fn expired(m: &mut serde_json::Map<String, Value>) {
    m.insert("exp".into(), json!(NOW - CLOCK_SKEW_SECS - 1));
}

type Build = Box<dyn Fn() -> String>;

/// (case, token, upper-case params, expected id (None = valid), reason fragment)
fn table() -> Vec<(&'static str, Build, bool, Option<ErrorId>, &'static str)> {
    use ErrorId::{
        InvalidTenantId as Tenant, InvalidToken as Invalid, MissingClaims as Missing,
        TokenExpired as Expired,
    };
    vec![
        ("valid", Box::new(|| signed(|_| {})), false, None, ""),
        (
            "valid, upper-case TenantId and ClientId configured",
            Box::new(|| signed(|_| {})),
            true,
            None,
            "",
        ),
        (
            "valid, upper-case tid/aud/iss in token",
            Box::new(|| {
                signed(|m| {
                    m.insert("tid".into(), json!(TENANT.to_uppercase()));
                    m.insert("aud".into(), json!(CLIENT.to_uppercase()));
                    m.insert(
                        "iss".into(),
                        json!(format!(
                            "https://login.microsoftonline.com/{}/v2.0",
                            TENANT.to_uppercase()
                        )),
                    );
                })
            }),
            false,
            None,
            "",
        ),
        (
            "valid, aud as array",
            Box::new(|| {
                signed(|m| {
                    m.insert("aud".into(), json!(["x", CLIENT]));
                })
            }),
            false,
            None,
            "",
        ),
        (
            "valid, several scopes",
            Box::new(|| {
                signed(|m| {
                    m.insert("scp".into(), json!("openid login.mattermost User.Read"));
                })
            }),
            false,
            None,
            "",
        ),
        (
            "valid, exp exactly at the skew",
            Box::new(|| {
                signed(|m| {
                    m.insert("exp".into(), json!(NOW - CLOCK_SKEW_SECS));
                })
            }),
            false,
            None,
            "",
        ),
        (
            "valid, nbf exactly at the skew",
            Box::new(|| {
                signed(|m| {
                    m.insert("nbf".into(), json!(NOW + CLOCK_SKEW_SECS));
                })
            }),
            false,
            None,
            "",
        ),
        (
            "valid, key without issuer extension",
            Box::new(|| signed_header(json!({"alg":"RS256","kid":KID_NO_ISSUER}), |_| {})),
            false,
            None,
            "",
        ),
        // Row 8.
        (
            "8 over 16 KiB",
            Box::new(|| {
                signed(|m| {
                    m.insert("pad".into(), json!("x".repeat(MAX_TOKEN_BYTES)));
                })
            }),
            false,
            Some(Invalid),
            "over 16 KiB",
        ),
        (
            "8 two parts",
            Box::new(|| "abc.def".into()),
            false,
            Some(Invalid),
            "three base64url parts",
        ),
        (
            "8 four parts",
            Box::new(|| format!("{}.x", signed(|_| {}))),
            false,
            Some(Invalid),
            "three base64url parts",
        ),
        (
            "8 empty parts",
            Box::new(|| "..".into()),
            false,
            Some(Invalid),
            "three base64url parts",
        ),
        (
            "8 empty string",
            Box::new(String::new),
            false,
            Some(Invalid),
            "three base64url parts",
        ),
        (
            "8 header not base64url",
            Box::new(|| "e30+.e30.e30".into()),
            false,
            Some(Invalid),
            "header",
        ),
        (
            "8 header padded",
            Box::new(|| format!("{}=.e30.e30", b64("{\"a\":1}"))),
            false,
            Some(Invalid),
            "header",
        ),
        (
            "8 header not JSON",
            Box::new(|| format!("{}.e30.e30", b64("nope"))),
            false,
            Some(Invalid),
            "header",
        ),
        (
            "8 header a JSON array",
            Box::new(|| format!("{}.e30.e30", b64("[\"RS256\",\"k1\"]"))),
            false,
            Some(Invalid),
            "not a JSON object",
        ),
        (
            "8 alg HS256",
            Box::new(|| signed_header(json!({"alg":"HS256","kid":"k1"}), |_| {})),
            false,
            Some(Invalid),
            "alg",
        ),
        (
            "8 alg none",
            Box::new(|| signed_header(json!({"alg":"none","kid":"k1"}), |_| {})),
            false,
            Some(Invalid),
            "alg",
        ),
        (
            "8 alg missing",
            Box::new(|| signed_header(json!({"kid":"k1"}), |_| {})),
            false,
            Some(Invalid),
            "alg",
        ),
        (
            "8 no kid",
            Box::new(|| signed_header(json!({"alg":"RS256"}), |_| {})),
            false,
            Some(Invalid),
            "no kid",
        ),
        (
            "8 empty kid",
            Box::new(|| signed_header(json!({"alg":"RS256","kid":""}), |_| {})),
            false,
            Some(Invalid),
            "no kid",
        ),
        (
            "8 payload not JSON",
            Box::new(|| {
                let t = signed(|_| {});
                let h = t.split('.').next().unwrap().to_owned();
                let p = b64("not json");
                let sig = kit().key.sign_bytes(format!("{h}.{p}").as_bytes()).unwrap();
                format!("{h}.{p}.{}", URL_SAFE_NO_PAD.encode(sig))
            }),
            false,
            Some(Invalid),
            "payload",
        ),
        (
            "8 exp a string",
            Box::new(|| {
                signed(|m| {
                    m.insert("exp".into(), json!("tomorrow"));
                })
            }),
            false,
            Some(Invalid),
            "payload",
        ),
        (
            "8 no exp",
            Box::new(|| {
                signed(|m| {
                    m.remove("exp");
                })
            }),
            false,
            Some(Invalid),
            "no exp",
        ),
        (
            "8 unknown kid",
            Box::new(|| signed_header(json!({"alg":"RS256","kid":"rotated"}), |_| {})),
            false,
            Some(Invalid),
            "kid \"rotated\" unknown",
        ),
        (
            "8 signed by another key",
            Box::new(|| {
                kit()
                    .stranger
                    .sign(&sample_claims(TENANT, CLIENT, NOW))
                    .unwrap()
            }),
            false,
            Some(Invalid),
            "bad signature",
        ),
        (
            "8 payload tampered",
            Box::new(|| {
                let t = signed(|_| {});
                let mut parts = t.split('.');
                let (h, _, s) = (
                    parts.next().unwrap(),
                    parts.next().unwrap(),
                    parts.next().unwrap(),
                );
                let p = URL_SAFE_NO_PAD.encode(
                    claims_with(|m| {
                        m.insert("oid".into(), json!("admin"));
                    })
                    .to_string(),
                );
                format!("{h}.{p}.{s}")
            }),
            false,
            Some(Invalid),
            "bad signature",
        ),
        (
            "8 signature not base64url",
            Box::new(|| {
                let t = signed(|_| {});
                format!("{}.!!", &t[..t.rfind('.').unwrap()])
            }),
            false,
            Some(Invalid),
            "signature",
        ),
        (
            "8 key issuer mismatch",
            Box::new(|| {
                signed(|m| {
                    m.insert(
                        "iss".into(),
                        json!(format!("https://evil.example/{TENANT}/v2.0")),
                    );
                })
            }),
            false,
            Some(Invalid),
            "of key",
        ),
        (
            "8 v1 token against v2 keys",
            Box::new(|| {
                signed(|m| {
                    m.insert(
                        "iss".into(),
                        json!(format!("https://sts.windows.net/{TENANT}/")),
                    );
                    m.insert("ver".into(), json!("1.0"));
                })
            }),
            false,
            Some(Invalid),
            "accessTokenAcceptedVersion = 2",
        ),
        // Row 9.
        (
            "9 expired",
            Box::new(|| signed(expired)),
            false,
            Some(Expired),
            "expired",
        ),
        // Row 10.
        (
            "10 no oid",
            Box::new(|| {
                signed(|m| {
                    m.remove("oid");
                })
            }),
            false,
            Some(Missing),
            "oid",
        ),
        (
            "10 empty oid",
            Box::new(|| {
                signed(|m| {
                    m.insert("oid".into(), json!(""));
                })
            }),
            false,
            Some(Missing),
            "oid",
        ),
        (
            "10 no tid",
            Box::new(|| {
                signed(|m| {
                    m.remove("tid");
                })
            }),
            false,
            Some(Missing),
            "tid",
        ),
        (
            "10 empty tid",
            Box::new(|| {
                signed(|m| {
                    m.insert("tid".into(), json!(""));
                })
            }),
            false,
            Some(Missing),
            "tid",
        ),
        // Row 11.
        (
            "11 another tenant",
            Box::new(|| signed(other_tenant)),
            false,
            Some(Tenant),
            "tid mismatch",
        ),
        // Row 12.
        (
            "12 ver 1.0",
            Box::new(|| {
                signed(|m| {
                    m.insert("ver".into(), json!("1.0"));
                })
            }),
            false,
            Some(Invalid),
            "ver \"1.0\"",
        ),
        (
            "12 no ver",
            Box::new(|| {
                signed(|m| {
                    m.remove("ver");
                })
            }),
            false,
            Some(Invalid),
            "ver",
        ),
        (
            "12 iss of another cloud",
            Box::new(|| {
                signed_header(json!({"alg":"RS256","kid":KID_NO_ISSUER}), |m| {
                    m.insert(
                        "iss".into(),
                        json!(format!("https://login.microsoftonline.us/{TENANT}/v2.0")),
                    );
                })
            }),
            false,
            Some(Invalid),
            "discovery issuer",
        ),
        (
            "12 iss missing",
            Box::new(|| {
                signed_header(json!({"alg":"RS256","kid":KID_NO_ISSUER}), |m| {
                    m.remove("iss");
                })
            }),
            false,
            Some(Invalid),
            "discovery issuer",
        ),
        (
            "12 aud another app",
            Box::new(|| {
                signed(|m| {
                    m.insert("aud".into(), json!("00000003-0000-0000-c000-000000000000"));
                })
            }),
            false,
            Some(Invalid),
            "aud",
        ),
        (
            "12 aud api:// form",
            Box::new(|| {
                signed(|m| {
                    m.insert("aud".into(), json!(format!("api://{CLIENT}")));
                })
            }),
            false,
            Some(Invalid),
            "aud",
        ),
        (
            "12 no aud",
            Box::new(|| {
                signed(|m| {
                    m.remove("aud");
                })
            }),
            false,
            Some(Invalid),
            "aud",
        ),
        (
            "12 nbf in the future",
            Box::new(|| {
                signed(|m| {
                    m.insert("nbf".into(), json!(NOW + CLOCK_SKEW_SECS + 1));
                })
            }),
            false,
            Some(Invalid),
            "nbf",
        ),
        (
            "12 scp lacks login.mattermost",
            Box::new(|| {
                signed(|m| {
                    m.insert("scp".into(), json!("User.Read openid"));
                })
            }),
            false,
            Some(Invalid),
            "lacks login.mattermost",
        ),
        (
            "12 scp prefix only",
            Box::new(|| {
                signed(|m| {
                    m.insert("scp".into(), json!("login.mattermost.all"));
                })
            }),
            false,
            Some(Invalid),
            "lacks login.mattermost",
        ),
        (
            "12 no scp no roles",
            Box::new(|| {
                signed(|m| {
                    m.remove("scp");
                })
            }),
            false,
            Some(Invalid),
            "lacks login.mattermost",
        ),
        (
            "12 app-only idtyp",
            Box::new(|| {
                signed(|m| {
                    m.insert("idtyp".into(), json!("app"));
                })
            }),
            false,
            Some(Invalid),
            "idtyp app",
        ),
        (
            "12 app-only roles",
            Box::new(|| {
                signed(|m| {
                    m.remove("scp");
                    m.insert("roles".into(), json!(["Access.All"]));
                })
            }),
            false,
            Some(Invalid),
            "roles without scp",
        ),
        // Precedence.
        (
            "prec bad signature beats expired",
            Box::new(|| kit().stranger.sign(&claims_with(expired)).unwrap()),
            false,
            Some(Invalid),
            "bad signature",
        ),
        (
            "prec expired beats wrong tenant",
            Box::new(|| {
                signed(|m| {
                    other_tenant(m);
                    expired(m);
                })
            }),
            false,
            Some(Expired),
            "expired",
        ),
        (
            "prec expired beats missing oid",
            Box::new(|| {
                signed(|m| {
                    m.remove("oid");
                    expired(m);
                })
            }),
            false,
            Some(Expired),
            "expired",
        ),
        (
            "prec missing oid beats wrong tenant",
            Box::new(|| {
                signed(|m| {
                    m.remove("oid");
                    other_tenant(m);
                })
            }),
            false,
            Some(Missing),
            "oid",
        ),
        (
            "prec wrong tenant beats row 12",
            Box::new(|| {
                signed(|m| {
                    other_tenant(m);
                    m.insert("ver".into(), json!("1.0"));
                    m.insert("aud".into(), json!("someone-else"));
                    m.insert("scp".into(), json!("User.Read"));
                })
            }),
            false,
            Some(Tenant),
            "tid mismatch",
        ),
    ]
}

#[test]
fn rows_8_to_12_and_precedence() {
    let mut failures = Vec::new();
    for (name, build, upper, want, fragment) in table() {
        let (tenant, client) = params(upper);
        let p = ValidationParams {
            tenant_id: &tenant,
            client_id: &client,
            issuer_template: PUBLIC_ISSUER_TEMPLATE,
        };
        let got = validate_with_keys(&build(), &kit().keys, &p, NOW);
        let ok = match (&got, want) {
            (Ok(_), None) => true,
            (Err(e), Some(id)) => e.id == id && e.reason.contains(fragment),
            _ => false,
        };
        if !ok {
            failures.push(format!("{name}: want {want:?} ~ {fragment:?}, got {got:?}"));
        }
    }
    assert!(failures.is_empty(), "\n{}", failures.join("\n"));
}

#[test]
fn claims_are_exposed() {
    let t = signed(|m| {
        m.insert("email".into(), json!("u@contoso.com"));
        m.insert("given_name".into(), json!("Te\"st"));
    });
    let p = ValidationParams {
        tenant_id: TENANT,
        client_id: CLIENT,
        issuer_template: PUBLIC_ISSUER_TEMPLATE,
    };
    let c = validate_with_keys(&t, &kit().keys, &p, NOW).unwrap();
    assert_eq!(c.oid, "33333333-4444-5555-6666-777777777777");
    assert_eq!(c.tid, TENANT);
    assert_eq!(c.ver, "2.0");
    assert_eq!(c.exp, NOW + 3600);
    assert_eq!(c.preferred_username.as_deref(), Some("user@contoso.com"));
    assert_eq!(c.email.as_deref(), Some("u@contoso.com"));
    assert_eq!(c.given_name.as_deref(), Some("Te\"st"));
    assert_eq!(c.upn, None);
    assert_eq!(c.name.as_deref(), Some("Test User"));
    assert_eq!(
        c.azp.as_deref(),
        Some("aa000000-0000-0000-0000-000000000001")
    );
    assert_eq!(c.raw().get("uti"), Some(&json!("fqiBqXLPj0eQa82S-IYFAA")));
}

#[test]
fn tenant_specific_discovery_issuer() {
    let issuer = format!("https://login.microsoftonline.com/{TENANT}/v2.0");
    let p = ValidationParams {
        tenant_id: &TENANT.to_uppercase(),
        client_id: CLIENT,
        issuer_template: &issuer,
    };
    validate_with_keys(&signed(|_| {}), &kit().keys, &p, NOW).unwrap();
}

#[test]
fn issuer_matching() {
    let t = "https://login.partner.microsoftonline.cn/{tenantid}/v2.0";
    assert!(issuer_matches(
        t,
        "abc",
        "https://login.partner.microsoftonline.cn/ABC/v2.0"
    ));
    assert!(!issuer_matches(
        t,
        "abc",
        "https://login.partner.microsoftonline.cn/abcd/v2.0"
    ));
    assert!(!issuer_matches(
        t,
        "abc",
        "https://login.partner.microsoftonline.cn/abc/v2.0/"
    ));
    assert!(!issuer_matches(
        t,
        "abc",
        "https://login.microsoftonline.com/abc/v2.0"
    ));
    assert!(!issuer_matches(
        t,
        "é",
        "https://login.partner.microsoftonline.cn/é/v2.0x"
    ));
    assert!(issuer_matches(
        "https://x/abc/v2.0",
        "ignored",
        "https://X/ABC/v2.0"
    ));
}

#[test]
fn garbage_never_panics() {
    let p = ValidationParams {
        tenant_id: TENANT,
        client_id: CLIENT,
        issuer_template: PUBLIC_ISSUER_TEMPLATE,
    };
    let good = signed(|_| {});
    for cut in 0..good.len() {
        let _ = validate_with_keys(&good[..cut], &kit().keys, &p, NOW);
        let mut bytes = good.clone().into_bytes();
        bytes[cut] = bytes[cut].wrapping_add(1);
        if let Ok(s) = String::from_utf8(bytes) {
            assert!(validate_with_keys(&s, &kit().keys, &p, NOW).is_err() || cut >= good.len() - 1);
        }
    }
    for s in [
        "é.é.é",
        "\u{0}.\u{0}.\u{0}",
        &format!("{}.{}.{}", b64("{}"), b64("{}"), "A".repeat(2000)),
    ] {
        assert!(validate_with_keys(s, &kit().keys, &p, NOW).is_err());
    }
}
