//! A deterministic user population for tests and the P8 measurement, written through the
//! [`Store`] trait (many callers at once, so the SQLite writer commits them in groups).

use std::sync::Arc;

use base64::engine::general_purpose::STANDARD;
use base64::Engine as _;

use mamgate_core::model::{roles, User};
use mamgate_store::{Store, StoreError};

/// Callers inserting at once: enough to fill the writer's group commits.
const CALLERS: usize = 256;

/// What [`generate_users`] planted per 1,000 users (the rest are clean office365 users).
pub const PLANTED_PER_THOUSAND: [(&str, u64); 6] = [
    ("email AuthData", 1),
    ("base64 objectGUID AuthData", 1),
    ("upper-case duplicate of another user's objectId", 1),
    ("bot", 1),
    ("deactivated", 1),
    ("email/password user (not the enforced provider)", 1),
];

/// The objectId of generated user `i`.
pub fn generated_oid(i: u64) -> String {
    // The `a` keeps every objectId's upper-case form distinct from it (see the planted duplicates).
    format!(
        "{:08x}-0000-4000-a000-{:012x}",
        i.wrapping_mul(2_654_435_761) & 0xffff_ffff,
        i
    )
}

/// The generated user number `i`: an office365 user keyed by its objectId, except the planted
/// problems (see [`PLANTED_PER_THOUSAND`]).
pub fn generated_user(i: u64) -> User {
    let mut u = User {
        username: format!("user{i}"),
        email: format!("user{i}@example.test"),
        auth_service: "office365".into(),
        auth_data: generated_oid(i),
        roles: roles::USER.into(),
        locale: "en".into(),
        create_at: 1_700_000_000_000 + i as i64,
        update_at: 1_700_000_000_000 + i as i64,
        ..User::default()
    };
    match i % 1000 {
        1 => u.auth_data = u.email.clone(),
        2 => u.auth_data = STANDARD.encode(u128::from(i).to_le_bytes()),
        // Same objectId as user i-4 (a clean user), in upper case: the unique index is case-sensitive.
        4 => u.auth_data = generated_oid(i - 4).to_ascii_uppercase(),
        5 => u.is_bot = true,
        6 => u.delete_at = 1_700_000_000_000,
        7 => {
            u.auth_service.clear();
            u.auth_data.clear();
        }
        _ => {}
    }
    u
}

/// Inserts users `0..n` of [`generated_user`] into `store`.
pub async fn generate_users(store: Arc<dyn Store>, n: u64) -> Result<(), StoreError> {
    let mut tasks = tokio::task::JoinSet::new();
    for caller in 0..CALLERS as u64 {
        let store = store.clone();
        tasks.spawn(async move {
            let mut i = caller;
            while i < n {
                store.create_user(generated_user(i), false).await?;
                i += CALLERS as u64;
            }
            Ok::<(), StoreError>(())
        });
    }
    while let Some(done) = tasks.join_next().await {
        done.map_err(|e| StoreError::Database(format!("generator task: {e}")))??;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use mamgate_core::identity::{classify_identifier, is_guid};

    #[test]
    fn planted_shapes() {
        assert!(is_guid(&generated_oid(123_456_789)));
        assert_eq!(
            classify_identifier(&generated_user(1001).auth_data),
            "email or UPN"
        );
        assert!(classify_identifier(&generated_user(1002).auth_data).starts_with("base64"));
        assert!(generated_user(1004)
            .auth_data
            .eq_ignore_ascii_case(&generated_user(1000).auth_data));
        assert!(is_guid(&generated_user(1003).auth_data));
        assert_ne!(generated_user(4).auth_data, generated_user(0).auth_data);
    }
}
