//! Usernames and display names for users created on first sign-in.

/// Mattermost's username rules: lower case, `a-z0-9.-_`, starts with a letter, 3–22 chars.
pub fn from_login(login: &str, oid: &str) -> String {
    let local = login.split('@').next().unwrap_or("");
    let mut name: String = local
        .to_ascii_lowercase()
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_') {
                c
            } else {
                '-'
            }
        })
        .collect();
    if !name.starts_with(|c: char| c.is_ascii_lowercase()) {
        name = format!("u{name}");
    }
    name.truncate(18);
    if name.len() < 3 {
        name = format!("user-{}", &oid.get(..8).unwrap_or("x"));
    }
    name
}

/// `base`, then `base1`, `base2`, … for later attempts.
pub fn with_suffix(base: &str, attempt: u32) -> String {
    if attempt == 0 {
        base.to_string()
    } else {
        format!("{base}{attempt}")
    }
}

/// First and last name from `given_name`/`family_name`, else split `name`.
pub fn split_name(
    given: Option<&str>,
    family: Option<&str>,
    full: Option<&str>,
) -> (String, String) {
    if given.is_some() || family.is_some() {
        return (
            given.unwrap_or("").to_string(),
            family.unwrap_or("").to_string(),
        );
    }
    let full = full.unwrap_or("").trim();
    match full.rsplit_once(' ') {
        Some((f, l)) => (f.to_string(), l.to_string()),
        None => (full.to_string(), String::new()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn usernames() {
        assert_eq!(from_login("Adele.Vance@contoso.com", "x"), "adele.vance");
        assert_eq!(from_login("9lives@x", "x"), "u9lives");
        assert_eq!(from_login("a@x", "abcdef12-0000"), "user-abcdef12");
        assert_eq!(with_suffix("bob", 2), "bob2");
        assert_eq!(
            split_name(None, None, Some("Adele Vance")),
            ("Adele".into(), "Vance".into())
        );
    }
}
