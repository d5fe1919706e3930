//! JWKS documents and the pre-parsed key set tokens are verified against.

use aws_lc_rs::signature::{ParsedPublicKey, RsaPublicKeyComponents, RSA_PKCS1_2048_8192_SHA256};
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use serde::{Deserialize, Serialize};

/// A JSON Web Key Set as Entra publishes it at `jwks_uri`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Jwks {
    /// The keys; several are valid at once, in no particular order.
    #[serde(default)]
    pub keys: Vec<Jwk>,
}

/// One JSON Web Key, with Entra's `issuer` extension.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Jwk {
    /// Key type; only `RSA` is used.
    #[serde(default)]
    pub kty: String,
    /// Intended use; absent or `sig`.
    #[serde(rename = "use", default, skip_serializing_if = "Option::is_none")]
    pub use_: Option<String>,
    /// Key id, matched against the token header's `kid`.
    #[serde(default)]
    pub kid: String,
    /// Algorithm, when stated; must then be `RS256`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub alg: Option<String>,
    /// RSA modulus, base64url.
    #[serde(default)]
    pub n: String,
    /// RSA public exponent, base64url.
    #[serde(default)]
    pub e: String,
    /// Certificate thumbprint (same value as `kid` at Entra).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub x5t: Option<String>,
    /// Entra's issuer extension, e.g. `https://login.microsoftonline.com/{tenantid}/v2.0`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub issuer: Option<String>,
}

/// One usable key: parsed once per refresh so a verification never parses key material.
pub struct Key {
    /// The `kid` it is looked up by.
    pub kid: Box<str>,
    /// The issuer template from the JWK (`{tenantid}` unsubstituted), when published.
    pub issuer: Option<Box<str>>,
    pub(crate) public: ParsedPublicKey,
}

impl std::fmt::Debug for Key {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Key")
            .field("kid", &self.kid)
            .field("issuer", &self.issuer)
            .finish()
    }
}

/// The signing keys of one discovery URL, ready for verification.
#[derive(Debug, Default)]
pub struct KeySet {
    keys: Vec<Key>,
    skipped: Vec<String>,
}

impl KeySet {
    /// Parses every usable RSA signing key of `jwks`; unusable keys are listed in
    /// [`KeySet::skipped`] instead of failing the whole set.
    pub fn from_jwks(jwks: &Jwks) -> Self {
        let mut set = KeySet::default();
        for jwk in &jwks.keys {
            match parse_jwk(jwk) {
                Ok(key) => set.keys.push(key),
                Err(why) => set.skipped.push(format!("kid {:?}: {why}", jwk.kid)),
            }
        }
        set
    }

    /// Adds an already-parsed RSA public key (bench and tests).
    pub fn insert_rsa(
        &mut self,
        kid: &str,
        n: &[u8],
        e: &[u8],
        issuer: Option<&str>,
    ) -> Result<(), String> {
        let public = parse_components(n, e)?;
        self.keys.retain(|k| &*k.kid != kid);
        self.keys.push(Key {
            kid: kid.into(),
            issuer: issuer.map(Into::into),
            public,
        });
        Ok(())
    }

    /// The key with this `kid`; a linear scan beats hashing for the handful of keys Entra publishes.
    pub fn get(&self, kid: &str) -> Option<&Key> {
        self.keys.iter().find(|k| &*k.kid == kid)
    }

    /// Number of usable keys.
    pub fn len(&self) -> usize {
        self.keys.len()
    }

    /// True when no key is usable.
    pub fn is_empty(&self) -> bool {
        self.keys.is_empty()
    }

    /// The usable keys' ids.
    pub fn kids(&self) -> impl Iterator<Item = &str> {
        self.keys.iter().map(|k| &*k.kid)
    }

    /// Keys left out of the set and why.
    pub fn skipped(&self) -> &[String] {
        &self.skipped
    }
}

fn parse_jwk(jwk: &Jwk) -> Result<Key, String> {
    if jwk.kty != "RSA" {
        return Err(format!("kty {:?} is not RSA", jwk.kty));
    }
    if let Some(u) = jwk.use_.as_deref().filter(|u| *u != "sig") {
        return Err(format!("use {u:?} is not sig"));
    }
    if let Some(a) = jwk.alg.as_deref().filter(|a| *a != "RS256") {
        return Err(format!("alg {a:?} is not RS256"));
    }
    if jwk.kid.is_empty() {
        return Err("no kid".into());
    }
    let n = URL_SAFE_NO_PAD
        .decode(jwk.n.trim_end_matches('='))
        .map_err(|e| format!("n: {e}"))?;
    let e = URL_SAFE_NO_PAD
        .decode(jwk.e.trim_end_matches('='))
        .map_err(|e| format!("e: {e}"))?;
    let public = parse_components(&n, &e)?;
    Ok(Key {
        kid: jwk.kid.as_str().into(),
        issuer: jwk.issuer.as_deref().map(Into::into),
        public,
    })
}

fn parse_components(n: &[u8], e: &[u8]) -> Result<ParsedPublicKey, String> {
    // aws-lc-rs rejects a leading zero byte, which some JWK writers emit before a high bit.
    let strip = |b: &[u8]| -> Vec<u8> {
        let start = b.iter().position(|&x| x != 0).unwrap_or(b.len());
        b[start..].to_vec()
    };
    let (n, e) = (strip(n), strip(e));
    if n.len() * 8 < 2048 {
        return Err(format!("modulus of {} bits is below 2048", n.len() * 8));
    }
    RsaPublicKeyComponents {
        n: n.as_slice(),
        e: e.as_slice(),
    }
    .to_parsed_public_key(&RSA_PKCS1_2048_8192_SHA256)
    .map_err(|e| format!("RSA key rejected: {e}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unusable_keys_are_skipped_not_fatal() {
        let jwks: Jwks = serde_json::from_str(
            r#"{"keys":[{"kty":"EC","kid":"a"},{"kty":"RSA","kid":"b","n":"AQAB","e":"AQAB"},
                {"kty":"RSA","kid":"c","use":"enc","n":"x","e":"AQAB"},{"kty":"RSA","kid":"","n":"x","e":"y"}]}"#,
        )
        .unwrap();
        let set = KeySet::from_jwks(&jwks);
        assert!(set.is_empty());
        assert_eq!(set.skipped().len(), 4, "{:?}", set.skipped());
    }

    #[test]
    fn bad_document_shapes_do_not_panic() {
        for doc in ["{}", r#"{"keys":[]}"#, r#"{"keys":[{}]}"#] {
            let jwks: Jwks = serde_json::from_str(doc).unwrap();
            assert!(KeySet::from_jwks(&jwks).is_empty());
        }
    }
}
