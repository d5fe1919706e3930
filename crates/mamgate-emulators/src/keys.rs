//! RSA-2048 signing keys generated at start (aws-lc-rs) and the JWKS they publish.

use std::sync::Arc;

use aws_lc_rs::rand::SystemRandom;
use aws_lc_rs::rsa::{KeyPair, KeySize, PublicKeyComponents};
use aws_lc_rs::signature::{KeyPair as _, RSA_PKCS1_SHA256};
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use serde_json::{json, Value};
use sha2::{Digest, Sha256};

use crate::EmulatorError;

/// One RSA key pair with its key id.
pub struct SigningKey {
    /// Thumbprint-like id, also used as `x5t` (as Entra does).
    pub kid: String,
    pair: KeyPair,
    n: Vec<u8>,
    e: Vec<u8>,
}

impl std::fmt::Debug for SigningKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SigningKey")
            .field("kid", &self.kid)
            .finish()
    }
}

impl SigningKey {
    /// A fresh RSA-2048 key.
    pub fn generate() -> Result<SigningKey, EmulatorError> {
        let pair = KeyPair::generate(KeySize::Rsa2048).map_err(|_| EmulatorError::Crypto)?;
        let public = PublicKeyComponents::<Vec<u8>>::from(pair.public_key());
        // Entra's kids are 27 base64url characters (a 20-byte thumbprint); keep that shape.
        let digest = Sha256::digest(&public.n);
        let kid = URL_SAFE_NO_PAD.encode(&digest[..20]);
        Ok(SigningKey {
            kid,
            pair,
            n: public.n,
            e: public.e,
        })
    }

    /// RS256 signature of `message`.
    pub fn sign(&self, message: &[u8]) -> Result<Vec<u8>, EmulatorError> {
        let mut sig = vec![0u8; self.pair.public_modulus_len()];
        self.pair
            .sign(&RSA_PKCS1_SHA256, &SystemRandom::new(), message, &mut sig)
            .map_err(|_| EmulatorError::Crypto)?;
        Ok(sig)
    }

    /// The public key as a JWK with Entra's per-key `issuer` extension.
    pub fn jwk(&self, issuer: &str) -> Value {
        json!({
            "kty": "RSA", "use": "sig", "kid": self.kid, "x5t": self.kid,
            "n": URL_SAFE_NO_PAD.encode(&self.n), "e": URL_SAFE_NO_PAD.encode(&self.e),
            "issuer": issuer,
        })
    }

    /// Modulus and exponent, big-endian without leading zeros.
    pub fn public_components(&self) -> (&[u8], &[u8]) {
        (&self.n, &self.e)
    }
}

/// The published keys: the current (signing) one, then older ones still published.
#[derive(Debug, Clone)]
pub struct KeyRing {
    current: Arc<SigningKey>,
    older: Vec<Arc<SigningKey>>,
}

impl KeyRing {
    /// One fresh key.
    pub fn generate() -> Result<KeyRing, EmulatorError> {
        Ok(KeyRing {
            current: Arc::new(SigningKey::generate()?),
            older: Vec::new(),
        })
    }

    /// The key that signs new tokens.
    pub fn current(&self) -> Arc<SigningKey> {
        self.current.clone()
    }

    /// Every published key, newest first.
    pub fn all(&self) -> Vec<Arc<SigningKey>> {
        std::iter::once(self.current.clone())
            .chain(self.older.iter().cloned())
            .collect()
    }

    /// The published key with this id.
    pub fn find(&self, kid: &str) -> Option<Arc<SigningKey>> {
        self.all().into_iter().find(|k| k.kid == kid)
    }

    /// Puts a new key first; older keys stay published only when `keep_old`.
    pub fn rotate(&mut self, new_key: SigningKey, keep_old: bool) {
        let previous = std::mem::replace(&mut self.current, Arc::new(new_key));
        if keep_old {
            self.older.insert(0, previous);
        } else {
            self.older.clear();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rotation_keeps_or_drops_old_keys() {
        let mut ring = KeyRing::generate().unwrap();
        let first = ring.current().kid.clone();
        ring.rotate(SigningKey::generate().unwrap(), true);
        let kids: Vec<String> = ring.all().iter().map(|k| k.kid.clone()).collect();
        assert_eq!(kids.len(), 2);
        assert_eq!(kids[1], first);
        assert!(ring.find(&first).is_some());
        ring.rotate(SigningKey::generate().unwrap(), false);
        assert_eq!(ring.all().len(), 1);
        assert!(ring.find(&first).is_none());
        let jwk = ring.current().jwk("iss");
        assert_eq!(jwk["kid"], jwk["x5t"]);
        assert_eq!(jwk["kid"].as_str().unwrap().len(), 27);
    }
}
