use sha2::{Digest, Sha256};

/// The stored form of a session token: hex SHA-256 (tokens are 130-bit random, so no salt).
pub fn hash_token(token: &str) -> String {
    let digest = Sha256::digest(token.as_bytes());
    let mut out = String::with_capacity(64);
    for b in digest {
        out.push_str(&format!("{b:02x}"));
    }
    out
}
