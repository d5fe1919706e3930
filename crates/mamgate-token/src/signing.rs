//! RS256 signing with a real RSA key, for the bench, tests and emulators: never the server path.

use aws_lc_rs::rand::SystemRandom;
use aws_lc_rs::rsa::KeySize;
use aws_lc_rs::signature::{KeyPair, RsaKeyPair, RSA_PKCS1_SHA256};
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use serde_json::{json, Value};

use crate::keys::{Jwk, KeySet};

/// Entra's tenant-independent v2 issuer template on the public cloud (tests and bench only).
pub const PUBLIC_ISSUER_TEMPLATE: &str = "https://login.microsoftonline.com/{tenantid}/v2.0";

/// An RSA-2048 key pair with a `kid`.
pub struct SigningKey {
    /// The key id put in token headers and the JWK.
    pub kid: String,
    pair: RsaKeyPair,
}

/// Key generation or signing failed inside aws-lc-rs.
#[derive(Debug, thiserror::Error)]
#[error("RSA operation failed: {0}")]
pub struct SigningError(String);

impl SigningError {
    pub(crate) fn new(why: impl Into<String>) -> Self {
        Self(why.into())
    }
}

impl SigningKey {
    /// Generates a fresh RSA-2048 key (slow: tens to hundreds of milliseconds).
    pub fn generate(kid: &str) -> Result<Self, SigningError> {
        let pair =
            RsaKeyPair::generate(KeySize::Rsa2048).map_err(|e| SigningError(e.to_string()))?;
        Ok(Self {
            kid: kid.to_owned(),
            pair,
        })
    }

    /// Loads a key from PKCS#8 DER.
    pub fn from_pkcs8(kid: &str, der: &[u8]) -> Result<Self, SigningError> {
        let pair = RsaKeyPair::from_pkcs8(der).map_err(|e| SigningError(e.to_string()))?;
        Ok(Self {
            kid: kid.to_owned(),
            pair,
        })
    }

    /// Modulus, big-endian without leading zeros.
    pub fn modulus(&self) -> &[u8] {
        self.pair
            .public_key()
            .modulus()
            .big_endian_without_leading_zero()
    }

    /// Public exponent, big-endian without leading zeros.
    pub fn exponent(&self) -> &[u8] {
        self.pair
            .public_key()
            .exponent()
            .big_endian_without_leading_zero()
    }

    /// The public half as Entra publishes it, with an optional `issuer` extension.
    pub fn jwk(&self, issuer: Option<&str>) -> Jwk {
        Jwk {
            kty: "RSA".into(),
            use_: Some("sig".into()),
            kid: self.kid.clone(),
            alg: None,
            n: URL_SAFE_NO_PAD.encode(self.modulus()),
            e: URL_SAFE_NO_PAD.encode(self.exponent()),
            x5t: Some(self.kid.clone()),
            issuer: issuer.map(str::to_owned),
        }
    }

    /// A key set holding just this key.
    pub fn key_set(&self, issuer: Option<&str>) -> KeySet {
        let mut set = KeySet::default();
        // The modulus came from a key aws-lc-rs generated, so it always parses.
        let _ = set.insert_rsa(&self.kid, self.modulus(), self.exponent(), issuer);
        set
    }

    /// Signs `claims` with Entra's header shape (`typ` JWT, `alg` RS256, `kid`).
    pub fn sign(&self, claims: &Value) -> Result<String, SigningError> {
        self.sign_with_header(
            &json!({"typ": "JWT", "alg": "RS256", "kid": self.kid}),
            claims,
        )
    }

    /// Signs `claims` under an arbitrary header (to build wrong tokens on purpose).
    pub fn sign_with_header(&self, header: &Value, claims: &Value) -> Result<String, SigningError> {
        let mut token = URL_SAFE_NO_PAD.encode(header.to_string());
        token.push('.');
        token.push_str(&URL_SAFE_NO_PAD.encode(claims.to_string()));
        let sig = self.sign_bytes(token.as_bytes())?;
        token.push('.');
        token.push_str(&URL_SAFE_NO_PAD.encode(sig));
        Ok(token)
    }

    /// RSASSA-PKCS1-v1_5 SHA-256 signature of `message`.
    pub fn sign_bytes(&self, message: &[u8]) -> Result<Vec<u8>, SigningError> {
        let mut sig = vec![0u8; self.pair.public_modulus_len()];
        self.pair
            .sign(&RSA_PKCS1_SHA256, &SystemRandom::new(), message, &mut sig)
            .map_err(|e| SigningError(e.to_string()))?;
        Ok(sig)
    }
}

/// Claims of a valid v2 user token for `tenant`/`client`, shaped like the docs' sample.
pub fn sample_claims(tenant: &str, client: &str, now_secs: i64) -> Value {
    json!({
        "aud": client,
        "iss": format!("https://login.microsoftonline.com/{tenant}/v2.0"),
        "iat": now_secs - 60,
        "nbf": now_secs - 60,
        "exp": now_secs + 3600,
        "aio": "AXQAi/8IAAAAqxsuB+R1e5F4A0b3zkh0I5xXnX0kKg0H8dG0zJ8Nc3VQmpCI=",
        "azp": "aa000000-0000-0000-0000-000000000001",
        "azpacr": "0",
        "name": "Test User",
        "oid": "33333333-4444-5555-6666-777777777777",
        "preferred_username": "user@contoso.com",
        "rh": "I",
        "scp": "login.mattermost",
        "sub": "HKZpfaHyWadeOouYlitjrI-KffTm222X5rrV3xDqfKQ",
        "tid": tenant,
        "uti": "fqiBqXLPj0eQa82S-IYFAA",
        "ver": "2.0"
    })
}
