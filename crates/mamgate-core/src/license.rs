//! Licenses (CONTRACT §3): tiers, and the Ed25519-signed license file.
//!
//! A license file is the base64 of the license JSON bytes followed by the 64-byte Ed25519
//! signature over them; the server trusts the keys in `LicenseSettings.TrustedPublicKeys`
//! (base64 of the 32-byte public key).

use base64::engine::general_purpose::STANDARD as B64;
use base64::Engine;
use ed25519_dalek::{Signature, Signer, SigningKey, Verifier, VerifyingKey};
use serde::{Deserialize, Serialize};

use crate::catalog::ErrorId;

/// "Enterprise Advanced or higher".
pub const ENTERPRISE_ADVANCED_TIER: u32 = 30;

/// The tier of a short SKU name; unknown SKUs have tier 0.
pub fn sku_tier(sku_short_name: &str) -> u32 {
    match sku_short_name {
        "professional" => 10,
        "enterprise" => 20,
        "entry" | "advanced" => 30,
        _ => 0,
    }
}

/// The display name of a short SKU name.
pub fn sku_name(sku_short_name: &str) -> &'static str {
    match sku_short_name {
        "professional" => "Professional",
        "enterprise" => "Enterprise",
        "entry" => "Mattermost Entry",
        "advanced" => "Enterprise Advanced",
        _ => "Unknown",
    }
}

/// The signed content of a license.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct License {
    pub id: String,
    pub issued_at: i64,
    pub starts_at: i64,
    pub expires_at: i64,
    pub customer: Customer,
    pub sku_short_name: String,
    pub sku_name: String,
    /// Base64 of the public key that signed it (filled on verification, not signed).
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub signed_by: String,
}

/// Who a license is for.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct Customer {
    pub id: String,
    pub name: String,
    #[serde(default)]
    pub email: String,
    #[serde(default)]
    pub company: String,
}

/// Why a license was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum LicenseError {
    #[error("license is not valid: {0}")]
    Invalid(String),
    #[error("license is expired or not yet started")]
    Expired,
}

impl LicenseError {
    /// The catalog entry.
    pub fn error_id(&self) -> ErrorId {
        match self {
            LicenseError::Invalid(_) => ErrorId::LicenseInvalid,
            LicenseError::Expired => ErrorId::LicenseExpired,
        }
    }
}

impl License {
    /// Tier of this license's SKU.
    pub fn tier(&self) -> u32 {
        sku_tier(&self.sku_short_name)
    }

    /// Tier ≥ Enterprise Advanced.
    pub fn is_enterprise_advanced(&self) -> bool {
        self.tier() >= ENTERPRISE_ADVANCED_TIER
    }

    /// Active at `now_ms`.
    pub fn is_active(&self, now_ms: i64) -> bool {
        self.starts_at <= now_ms && now_ms < self.expires_at
    }

    /// Signs the license into the file format.
    pub fn sign(&self, key: &SigningKey) -> String {
        let mut unsigned = self.clone();
        unsigned.signed_by.clear();
        let mut bytes = serde_json::to_vec(&unsigned).unwrap_or_default();
        let sig = key.sign(&bytes);
        bytes.extend_from_slice(&sig.to_bytes());
        B64.encode(bytes)
    }

    /// Decodes a license file and verifies it against the trusted keys and `now_ms`.
    pub fn verify(
        file: &str,
        trusted_keys: &[String],
        now_ms: i64,
    ) -> Result<License, LicenseError> {
        let license = Self::verify_signature(file, trusted_keys)?;
        if !license.is_active(now_ms) {
            return Err(LicenseError::Expired);
        }
        Ok(license)
    }

    /// Decodes and checks the signature only (for `license show` of an expired file).
    pub fn verify_signature(file: &str, trusted_keys: &[String]) -> Result<License, LicenseError> {
        let compact: String = file.chars().filter(|c| !c.is_whitespace()).collect();
        let bytes = B64
            .decode(compact.as_bytes())
            .map_err(|_| LicenseError::Invalid("not base64".into()))?;
        if bytes.len() <= 64 {
            return Err(LicenseError::Invalid("too short".into()));
        }
        let (payload, sig) = bytes.split_at(bytes.len() - 64);
        let sig = Signature::from_slice(sig)
            .map_err(|_| LicenseError::Invalid("bad signature".into()))?;
        let signer = trusted_keys
            .iter()
            .filter_map(|k| parse_public_key(k).map(|vk| (k, vk)))
            .find(|(_, vk)| vk.verify(payload, &sig).is_ok())
            .map(|(k, _)| k.clone())
            .ok_or_else(|| {
                LicenseError::Invalid("signature does not verify with any trusted key".into())
            })?;
        let mut license: License = serde_json::from_slice(payload)
            .map_err(|e| LicenseError::Invalid(format!("bad JSON: {e}")))?;
        license.signed_by = signer;
        Ok(license)
    }
}

/// Parses a base64 Ed25519 public key.
pub fn parse_public_key(s: &str) -> Option<VerifyingKey> {
    let bytes = B64.decode(s.trim()).ok()?;
    VerifyingKey::from_bytes(&bytes.try_into().ok()?).ok()
}

/// Parses a base64 Ed25519 private key (32-byte seed).
pub fn parse_signing_key(s: &str) -> Option<SigningKey> {
    let bytes = B64.decode(s.trim()).ok()?;
    Some(SigningKey::from_bytes(&bytes.try_into().ok()?))
}

/// Base64 of a signing key's seed.
pub fn encode_signing_key(key: &SigningKey) -> String {
    B64.encode(key.to_bytes())
}

/// Base64 of a public key.
pub fn encode_public_key(key: &VerifyingKey) -> String {
    B64.encode(key.to_bytes())
}

/// Makes a signing key from 32 random bytes supplied by the caller (the core does no I/O).
pub fn signing_key_from_seed(seed: [u8; 32]) -> SigningKey {
    SigningKey::from_bytes(&seed)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn license(expires_at: i64) -> License {
        License {
            id: "lic1".into(),
            issued_at: 0,
            starts_at: 0,
            expires_at,
            customer: Customer {
                id: "c".into(),
                name: "Contoso".into(),
                ..Default::default()
            },
            sku_short_name: "advanced".into(),
            sku_name: sku_name("advanced").into(),
            signed_by: String::new(),
        }
    }

    #[test]
    fn tiers() {
        assert!(license(1).is_enterprise_advanced());
        assert_eq!(sku_tier("entry"), 30);
        assert_eq!(sku_tier("enterprise"), 20);
        assert_eq!(sku_tier("E20"), 0);
    }

    #[test]
    fn sign_verify_and_refusals() {
        let a = signing_key_from_seed([1; 32]);
        let b = signing_key_from_seed([2; 32]);
        let a_pub = encode_public_key(&a.verifying_key());
        let b_pub = encode_public_key(&b.verifying_key());
        let file = license(1000).sign(&a);
        let ok = License::verify(&file, &[b_pub.clone(), a_pub.clone()], 10).unwrap();
        assert_eq!(ok.signed_by, a_pub);
        assert_eq!(
            License::verify(&file, &[b_pub], 10).unwrap_err().error_id(),
            ErrorId::LicenseInvalid
        );
        assert_eq!(
            License::verify(&file, std::slice::from_ref(&a_pub), 1000).unwrap_err(),
            LicenseError::Expired
        );
        let mut tampered = B64.decode(&file).unwrap();
        tampered[5] ^= 1;
        assert!(License::verify(&B64.encode(tampered), std::slice::from_ref(&a_pub), 10).is_err());
        assert!(License::verify("garbage!", &[a_pub], 10).is_err());
    }
}
