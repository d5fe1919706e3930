//! Compact JWS (RS256) encoding and verification, enough for the emulators' own tokens.

use aws_lc_rs::signature::{RsaPublicKeyComponents, RSA_PKCS1_2048_8192_SHA256};
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use serde_json::Value;

use crate::keys::SigningKey;
use crate::EmulatorError;

/// Why a token could not be read or verified.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum JwtError {
    #[error("the token is not three base64url parts of JSON")]
    Malformed,
    #[error("the token's header has no kid")]
    NoKid,
    #[error("no published key has kid {0}")]
    UnknownKey(String),
    #[error("the signature does not verify")]
    BadSignature,
    #[error("the token expired")]
    Expired,
    #[error("the token's audience is {0:?}")]
    WrongAudience(String),
    #[error("the token was issued for tenant {0:?}")]
    WrongTenant(String),
}

/// A token split into its parts (not yet verified).
#[derive(Debug, Clone)]
pub struct Decoded {
    pub header: Value,
    pub claims: Value,
    signing_input: String,
    signature: Vec<u8>,
}

impl Decoded {
    /// The header's `kid`.
    pub fn kid(&self) -> Option<&str> {
        self.header.get("kid").and_then(Value::as_str)
    }

    /// A string claim.
    pub fn claim(&self, name: &str) -> Option<&str> {
        self.claims.get(name).and_then(Value::as_str)
    }

    /// Checks the RS256 signature against a public key.
    pub fn verify(&self, n: &[u8], e: &[u8]) -> Result<(), JwtError> {
        RsaPublicKeyComponents { n, e }
            .verify(
                &RSA_PKCS1_2048_8192_SHA256,
                self.signing_input.as_bytes(),
                &self.signature,
            )
            .map_err(|_| JwtError::BadSignature)
    }

    /// Fails when `exp` is missing or at or before `now`.
    pub fn check_exp(&self, now: i64) -> Result<(), JwtError> {
        match self.claims.get("exp").and_then(Value::as_i64) {
            Some(exp) if exp > now => Ok(()),
            _ => Err(JwtError::Expired),
        }
    }
}

/// Signs `header` (with `alg` and `kid` filled in unless present) and `claims`.
pub fn encode(header: &Value, claims: &Value, key: &SigningKey) -> Result<String, EmulatorError> {
    let mut header = header.clone();
    if let Some(h) = header.as_object_mut() {
        h.entry("typ").or_insert_with(|| "JWT".into());
        h.entry("alg").or_insert_with(|| "RS256".into());
        h.entry("kid").or_insert_with(|| key.kid.clone().into());
    }
    encode_exact(&header, claims, key)
}

/// Signs `header` and `claims` exactly as given (no defaults filled in).
pub fn encode_exact(
    header: &Value,
    claims: &Value,
    key: &SigningKey,
) -> Result<String, EmulatorError> {
    let input = format!(
        "{}.{}",
        URL_SAFE_NO_PAD.encode(serde_json::to_vec(&header)?),
        URL_SAFE_NO_PAD.encode(serde_json::to_vec(claims)?)
    );
    let sig = key.sign(input.as_bytes())?;
    Ok(format!("{input}.{}", URL_SAFE_NO_PAD.encode(sig)))
}

/// Splits and parses a compact token without verifying it.
pub fn decode(token: &str) -> Result<Decoded, JwtError> {
    let mut parts = token.trim().split('.');
    let (Some(h), Some(c), Some(s), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return Err(JwtError::Malformed);
    };
    let json = |p: &str| -> Result<Value, JwtError> {
        let bytes = URL_SAFE_NO_PAD.decode(p).map_err(|_| JwtError::Malformed)?;
        serde_json::from_slice(&bytes).map_err(|_| JwtError::Malformed)
    };
    let header = json(h)?;
    let claims = json(c)?;
    if !header.is_object() || !claims.is_object() {
        return Err(JwtError::Malformed);
    }
    let signature = URL_SAFE_NO_PAD.decode(s).map_err(|_| JwtError::Malformed)?;
    Ok(Decoded {
        header,
        claims,
        signing_input: format!("{h}.{c}"),
        signature,
    })
}

/// The `n` and `e` of an RSA JWK.
pub fn jwk_components(jwk: &Value) -> Option<(Vec<u8>, Vec<u8>)> {
    let field = |k: &str| {
        jwk.get(k)
            .and_then(Value::as_str)
            .and_then(|v| URL_SAFE_NO_PAD.decode(v).ok())
    };
    Some((field("n")?, field("e")?))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn sign_and_verify() {
        let key = SigningKey::generate().unwrap();
        let other = SigningKey::generate().unwrap();
        let token = encode(&json!({}), &json!({"a": 1, "exp": 10}), &key).unwrap();
        let d = decode(&token).unwrap();
        assert_eq!(d.kid(), Some(key.kid.as_str()));
        assert_eq!(d.header["alg"], json!("RS256"));
        let (n, e) = jwk_components(&key.jwk("i")).unwrap();
        d.verify(&n, &e).unwrap();
        let (n, e) = other.public_components();
        assert_eq!(d.verify(n, e), Err(JwtError::BadSignature));
        assert!(d.check_exp(9).is_ok() && d.check_exp(10).is_err());
    }

    #[test]
    fn garbage_is_malformed() {
        for t in [
            "",
            "a.b",
            "a.b.c.d",
            "!!.e30.e30",
            "e30.e30.!!",
            "WzFd.e30.e30",
        ] {
            assert_eq!(decode(t).unwrap_err(), JwtError::Malformed, "{t}");
        }
    }
}
