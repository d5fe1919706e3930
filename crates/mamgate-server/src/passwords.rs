//! Argon2id password hashes for local accounts.

use argon2::password_hash::rand_core::OsRng;
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::Argon2;

/// Hashes a password (PHC string).
pub fn hash(password: &str) -> Option<String> {
    let salt = SaltString::generate(&mut OsRng);
    Argon2::default()
        .hash_password(password.as_bytes(), &salt)
        .ok()
        .map(|h| h.to_string())
}

/// Checks a password against a stored hash; an empty or malformed hash never matches.
pub fn verify(password: &str, stored: &str) -> bool {
    match PasswordHash::new(stored) {
        Ok(h) => Argon2::default()
            .verify_password(password.as_bytes(), &h)
            .is_ok(),
        Err(_) => false,
    }
}

/// Mattermost's default rule: at least 5 characters (more is the admin's choice).
pub fn is_acceptable(password: &str) -> bool {
    password.chars().count() >= 5 && password.len() <= 72
}

#[cfg(test)]
mod tests {
    #[test]
    fn round_trip() {
        let h = super::hash("hunter22").unwrap();
        assert!(h.starts_with("$argon2id$"));
        assert!(super::verify("hunter22", &h));
        assert!(!super::verify("hunter23", &h));
        assert!(!super::verify("x", ""));
    }
}
