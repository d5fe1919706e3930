//! Users created on first sign-in (JIT) by the Office 365 paths: mobile (token claims) and
//! web (Graph `/me`). Both key the account by objectId, so they resolve the same user.

use mamgate_core::model::{roles, User};
use mamgate_core::ErrorId;
use mamgate_store::StoreError;

use crate::error::AppError;
use crate::state::{now_ms, AppState};
use crate::usernames;

/// What a provider says about the person signing in.
#[derive(Debug, Default, Clone)]
pub struct Profile {
    /// objectId, lower case.
    pub oid: String,
    pub email: String,
    /// The login name the username is derived from (`preferred_username`, UPN).
    pub login: String,
    pub first_name: String,
    pub last_name: String,
}

/// Returns the `office365` user keyed by `profile.oid`, creating it on first sign-in.
pub async fn office365_user(state: &AppState, profile: &Profile) -> Result<User, AppError> {
    if let Some(u) = state
        .store
        .get_user_by_auth("office365", &profile.oid)
        .await?
    {
        return Ok(u);
    }
    let base = usernames::from_login(
        if profile.login.is_empty() {
            &profile.email
        } else {
            &profile.login
        },
        &profile.oid,
    );
    let now = now_ms();
    for attempt in 0..20u32 {
        let user = User {
            id: mamgate_store::new_id(),
            create_at: now,
            update_at: now,
            username: usernames::with_suffix(&base, attempt),
            auth_service: "office365".into(),
            auth_data: profile.oid.clone(),
            email: profile.email.clone(),
            email_verified: true,
            first_name: profile.first_name.clone(),
            last_name: profile.last_name.clone(),
            roles: roles::USER.into(),
            locale: "en".into(),
            ..User::default()
        };
        match state.store.get_or_create_by_auth(user).await {
            Ok(got) => return Ok(got.user),
            Err(StoreError::Conflict("username")) => continue,
            Err(StoreError::Conflict("email")) => {
                return Err(AppError::new(
                    ErrorId::AlreadyAttached,
                    format!("email {} belongs to another account", profile.email),
                ))
            }
            Err(e) => return Err(e.into()),
        }
    }
    Err(AppError::new(
        ErrorId::UserExists,
        "could not find a free username",
    ))
}

/// Brings names and email up to date at sign-in (the seed: OIDC attributes sync on sign-in).
pub async fn sync_attributes(
    state: &AppState,
    user: User,
    profile: &Profile,
) -> Result<User, AppError> {
    let mut updated = user.clone();
    if !profile.first_name.is_empty() {
        updated.first_name = profile.first_name.clone();
    }
    if !profile.last_name.is_empty() {
        updated.last_name = profile.last_name.clone();
    }
    if !profile.email.is_empty() {
        updated.email = profile.email.clone();
    }
    if updated == user {
        return Ok(user);
    }
    updated.update_at = now_ms();
    match state.store.update_user(updated).await {
        Ok(u) => Ok(u),
        // Another account owns the new email: keep the old attributes, sign in anyway.
        Err(StoreError::Conflict(_)) => Ok(user),
        Err(e) => Err(e.into()),
    }
}
