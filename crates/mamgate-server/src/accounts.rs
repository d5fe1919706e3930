//! Account rules for users created through the API (local, pre-provisioned SSO, bots).

use mamgate_core::identity::normalize_object_id;
use mamgate_core::model::{roles, User};
use mamgate_core::ErrorId;
use serde::Deserialize;

use crate::error::AppError;
use crate::passwords;
use crate::state::now_ms;

/// The body of `POST /api/v4/users`.
#[derive(Debug, Deserialize, Default)]
#[serde(default)]
pub struct NewUser {
    pub username: String,
    pub email: String,
    pub password: String,
    pub first_name: String,
    pub last_name: String,
    pub nickname: String,
    pub auth_service: String,
    pub auth_data: Option<String>,
    pub locale: String,
}

/// Checks a new user and turns it into a record (password hashed, objectIds lower-cased).
pub fn build_user(new: NewUser) -> Result<User, AppError> {
    let username = new.username.trim().to_ascii_lowercase();
    if !is_valid_username(&username) {
        return Err(AppError::new(
            ErrorId::InvalidUser,
            format!("username {username:?} must be 3-22 of a-z0-9.-_ starting with a letter"),
        ));
    }
    let email = new.email.trim().to_ascii_lowercase();
    if !email.contains('@') || email.len() > 128 {
        return Err(AppError::new(
            ErrorId::InvalidUser,
            format!("email {email:?} is not valid"),
        ));
    }
    let auth_service = new.auth_service.trim().to_string();
    let mut auth_data = new.auth_data.unwrap_or_default().trim().to_string();
    let password = if auth_service.is_empty() {
        if !passwords::is_acceptable(&new.password) {
            return Err(AppError::new(
                ErrorId::InvalidUser,
                "password must be 5 to 72 characters",
            ));
        }
        passwords::hash(&new.password)
            .ok_or_else(|| AppError::new(ErrorId::InvalidUser, "password could not be hashed"))?
    } else {
        if auth_data.is_empty() {
            return Err(AppError::new(
                ErrorId::InvalidUser,
                format!("auth_data is required for auth_service {auth_service}"),
            ));
        }
        // objectIds are stored lower-case so lookups by the token's oid match (CONTRACT §6);
        // other shapes are kept as given (the doctor reports them).
        if let Some(oid) = normalize_object_id(&auth_data) {
            auth_data = oid;
        }
        String::new()
    };
    let now = now_ms();
    Ok(User {
        id: mamgate_store::new_id(),
        create_at: now,
        update_at: now,
        username,
        password,
        auth_data,
        auth_service,
        email,
        email_verified: false,
        nickname: new.nickname,
        first_name: new.first_name,
        last_name: new.last_name,
        roles: roles::USER.into(),
        locale: if new.locale.is_empty() {
            "en".into()
        } else {
            new.locale
        },
        last_password_update: now,
        ..User::default()
    })
}

/// Mattermost's username rule.
pub fn is_valid_username(s: &str) -> bool {
    (3..=22).contains(&s.len())
        && s.starts_with(|c: char| c.is_ascii_lowercase())
        && s.chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || matches!(c, '.' | '-' | '_'))
}

/// A bot account record.
pub fn build_bot(username: &str, display_name: &str) -> Result<User, AppError> {
    let username = username.trim().to_ascii_lowercase();
    if !is_valid_username(&username) {
        return Err(AppError::new(
            ErrorId::InvalidUser,
            format!("bot username {username:?} is not valid"),
        ));
    }
    let now = now_ms();
    Ok(User {
        id: mamgate_store::new_id(),
        create_at: now,
        update_at: now,
        email: format!("{username}@localhost"),
        username,
        first_name: display_name.to_string(),
        roles: roles::USER.into(),
        is_bot: true,
        locale: "en".into(),
        ..User::default()
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sso_users_keep_lower_case_object_ids() {
        let u = build_user(NewUser {
            username: "adele".into(),
            email: "Adele@Contoso.com".into(),
            auth_service: "saml".into(),
            auth_data: Some("ABCDEFAB-4444-5555-6666-777777777777".into()),
            ..Default::default()
        })
        .unwrap();
        assert_eq!(u.auth_data, "abcdefab-4444-5555-6666-777777777777");
        assert_eq!(u.email, "adele@contoso.com");
        assert!(u.password.is_empty());
    }

    #[test]
    fn local_users_need_a_password() {
        let e = build_user(NewUser {
            username: "bob".into(),
            email: "b@x".into(),
            ..Default::default()
        })
        .unwrap_err();
        assert_eq!(e.id, ErrorId::InvalidUser);
        assert!(build_user(NewUser {
            username: "Bad Name".into(),
            email: "b@x".into(),
            password: "secret".into(),
            ..Default::default()
        })
        .is_err());
    }
}
