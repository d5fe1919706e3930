//! The claims of a validated token, and the borrowed shapes tokens are decoded into.

use std::borrow::Cow;
use std::fmt;

use serde::de::{self, IgnoredAny, SeqAccess, Visitor};
use serde::{Deserialize, Deserializer};
use serde_json::{Map, Value};

/// What the rest of the product needs from a validated access token.
#[derive(Debug, Clone, PartialEq)]
pub struct Claims {
    /// objectId of the user (the only identity mamgate accepts; not yet checked to be a GUID).
    pub oid: String,
    /// Tenant id.
    pub tid: String,
    /// Mutable sign-in name; used for the JIT username only.
    pub preferred_username: Option<String>,
    /// Optional `email` claim.
    pub email: Option<String>,
    /// Optional `upn` claim.
    pub upn: Option<String>,
    /// Display name.
    pub name: Option<String>,
    /// Given name (optional claim).
    pub given_name: Option<String>,
    /// Family name (optional claim).
    pub family_name: Option<String>,
    /// The client app that asked for the token (the mobile app's id).
    pub azp: Option<String>,
    /// Token version; always `2.0` once validated.
    pub ver: String,
    /// Expiry, seconds since the epoch.
    pub exp: i64,
    payload: Vec<u8>,
}

impl Claims {
    /// Every claim of the token, parsed on demand so the sign-in path never pays for it.
    pub fn raw(&self) -> Map<String, Value> {
        serde_json::from_slice(&self.payload).unwrap_or_default()
    }

    /// The decoded payload JSON, exactly as signed.
    pub fn payload_json(&self) -> &[u8] {
        &self.payload
    }

    pub(crate) fn with_payload(mut self, payload: Vec<u8>) -> Self {
        self.payload = payload;
        self
    }

    pub(crate) fn from_payload(p: &Payload<'_>, exp: i64) -> Self {
        let own = |c: &Option<Text<'_>>| c.as_deref().map(str::to_owned);
        Claims {
            oid: p.oid.as_deref().unwrap_or_default().to_owned(),
            tid: p.tid.as_deref().unwrap_or_default().to_owned(),
            preferred_username: own(&p.preferred_username),
            email: own(&p.email),
            upn: own(&p.upn),
            name: own(&p.name),
            given_name: own(&p.given_name),
            family_name: own(&p.family_name),
            azp: own(&p.azp),
            ver: p.ver.as_deref().unwrap_or_default().to_owned(),
            exp,
            payload: Vec::new(),
        }
    }
}

/// The JOSE header fields validation reads.
#[derive(Deserialize)]
pub(crate) struct Header<'a> {
    #[serde(borrow, default)]
    pub alg: Option<Text<'a>>,
    #[serde(borrow, default)]
    pub kid: Option<Text<'a>>,
}

/// The payload fields validation reads; strings borrow from the decoded buffer when unescaped.
#[derive(Deserialize)]
pub(crate) struct Payload<'a> {
    #[serde(default)]
    pub exp: Option<NumericDate>,
    #[serde(default)]
    pub nbf: Option<NumericDate>,
    #[serde(borrow, default)]
    pub iss: Option<Text<'a>>,
    #[serde(borrow, default)]
    pub aud: Option<Audience<'a>>,
    #[serde(borrow, default)]
    pub tid: Option<Text<'a>>,
    #[serde(borrow, default)]
    pub oid: Option<Text<'a>>,
    #[serde(borrow, default)]
    pub ver: Option<Text<'a>>,
    #[serde(borrow, default)]
    pub scp: Option<Text<'a>>,
    #[serde(default)]
    pub roles: Option<IgnoredAny>,
    #[serde(borrow, default)]
    pub idtyp: Option<Text<'a>>,
    #[serde(borrow, default)]
    pub preferred_username: Option<Text<'a>>,
    #[serde(borrow, default)]
    pub email: Option<Text<'a>>,
    #[serde(borrow, default)]
    pub upn: Option<Text<'a>>,
    #[serde(borrow, default)]
    pub name: Option<Text<'a>>,
    #[serde(borrow, default)]
    pub given_name: Option<Text<'a>>,
    #[serde(borrow, default)]
    pub family_name: Option<Text<'a>>,
    #[serde(borrow, default)]
    pub azp: Option<Text<'a>>,
}

/// A JSON string borrowed from the decoded token unless it has escapes.
///
/// serde's own `Option<Cow<str>>` always allocates (its `borrow` only reaches a bare `Cow`),
/// which cost ~0.2 µs per claim: a fifth of PERFORMANCE P1's budget.
pub(crate) struct Text<'a>(Cow<'a, str>);

impl std::ops::Deref for Text<'_> {
    type Target = str;
    fn deref(&self) -> &str {
        &self.0
    }
}

impl<'de: 'a, 'a> Deserialize<'de> for Text<'a> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V<'a>(std::marker::PhantomData<&'a ()>);
        impl<'de: 'a, 'a> Visitor<'de> for V<'a> {
            type Value = Text<'a>;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a string")
            }
            fn visit_borrowed_str<E: de::Error>(self, v: &'de str) -> Result<Self::Value, E> {
                Ok(Text(Cow::Borrowed(v)))
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Self::Value, E> {
                Ok(Text(Cow::Owned(v.to_owned())))
            }
        }
        d.deserialize_str(V(std::marker::PhantomData))
    }
}

/// A JWT NumericDate: integer seconds at Entra; fractions are truncated, not refused.
#[derive(Clone, Copy)]
pub(crate) struct NumericDate(pub i64);

impl<'de> Deserialize<'de> for NumericDate {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl Visitor<'_> for V {
            type Value = NumericDate;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a number of seconds")
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<Self::Value, E> {
                Ok(NumericDate(v))
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<Self::Value, E> {
                Ok(NumericDate(i64::try_from(v).unwrap_or(i64::MAX)))
            }
            fn visit_f64<E: de::Error>(self, v: f64) -> Result<Self::Value, E> {
                if v.is_finite() {
                    Ok(NumericDate(v as i64))
                } else {
                    Err(E::custom("not a finite number"))
                }
            }
        }
        d.deserialize_any(V)
    }
}

/// `aud`: a string at Entra, an array of strings in general JWTs.
pub(crate) enum Audience<'a> {
    One(Cow<'a, str>),
    Many(Vec<String>),
}

impl Audience<'_> {
    /// True when any audience equals `client_id`, GUID-style (case-insensitive).
    pub fn contains(&self, client_id: &str) -> bool {
        match self {
            Audience::One(a) => a.eq_ignore_ascii_case(client_id),
            Audience::Many(v) => v.iter().any(|a| a.eq_ignore_ascii_case(client_id)),
        }
    }

    /// For reasons in errors.
    pub fn describe(&self) -> String {
        match self {
            Audience::One(a) => a.to_string(),
            Audience::Many(v) => v.join(","),
        }
    }
}

impl<'de: 'a, 'a> Deserialize<'de> for Audience<'a> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V<'a>(std::marker::PhantomData<&'a ()>);
        impl<'de: 'a, 'a> Visitor<'de> for V<'a> {
            type Value = Audience<'a>;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a string or an array of strings")
            }
            fn visit_borrowed_str<E: de::Error>(self, v: &'de str) -> Result<Self::Value, E> {
                Ok(Audience::One(Cow::Borrowed(v)))
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Self::Value, E> {
                Ok(Audience::One(Cow::Owned(v.to_owned())))
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
                let mut all = Vec::new();
                while let Some(s) = seq.next_element::<String>()? {
                    all.push(s);
                }
                Ok(Audience::Many(all))
            }
        }
        d.deserialize_any(V(std::marker::PhantomData))
    }
}
