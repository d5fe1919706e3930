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
        let own = |c: &Option<Cow<'_, str>>| c.as_deref().map(str::to_owned);
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
    pub alg: Option<Cow<'a, str>>,
    #[serde(borrow, default)]
    pub kid: Option<Cow<'a, str>>,
}

/// The payload fields validation reads; strings borrow from the decoded buffer when unescaped.
#[derive(Deserialize)]
pub(crate) struct Payload<'a> {
    #[serde(default)]
    pub exp: Option<f64>,
    #[serde(default)]
    pub nbf: Option<f64>,
    #[serde(borrow, default)]
    pub iss: Option<Cow<'a, str>>,
    #[serde(borrow, default)]
    pub aud: Option<Audience<'a>>,
    #[serde(borrow, default)]
    pub tid: Option<Cow<'a, str>>,
    #[serde(borrow, default)]
    pub oid: Option<Cow<'a, str>>,
    #[serde(borrow, default)]
    pub ver: Option<Cow<'a, str>>,
    #[serde(borrow, default)]
    pub scp: Option<Cow<'a, str>>,
    #[serde(default)]
    pub roles: Option<IgnoredAny>,
    #[serde(borrow, default)]
    pub idtyp: Option<Cow<'a, str>>,
    #[serde(borrow, default)]
    pub preferred_username: Option<Cow<'a, str>>,
    #[serde(borrow, default)]
    pub email: Option<Cow<'a, str>>,
    #[serde(borrow, default)]
    pub upn: Option<Cow<'a, str>>,
    #[serde(borrow, default)]
    pub name: Option<Cow<'a, str>>,
    #[serde(borrow, default)]
    pub given_name: Option<Cow<'a, str>>,
    #[serde(borrow, default)]
    pub family_name: Option<Cow<'a, str>>,
    #[serde(borrow, default)]
    pub azp: Option<Cow<'a, str>>,
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
