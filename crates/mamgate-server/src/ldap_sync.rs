//! LDAP sync (CONTRACT §4): reads the directory named by `LdapSettings` and brings the store's
//! `saml` (or `ldap`) users in line with it — create, update names/email, deactivate, reactivate.
//!
//! The whole directory is read and checked before anything is written, so a failed bind or
//! search changes nothing; users are keyed by `LdapSettings.IdAttribute` (for Intune
//! `msDS-aadObjectId`, the Entra objectId, CONTRACT §6), never by `objectGUID`.

use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Weak};
use std::time::Duration;

use ldap3::adapters::{Adapter, EntriesOnly, PagedResults};
use ldap3::{LdapConnAsync, LdapConnSettings, Scope, SearchEntry};
use mamgate_core::config::{Config, LdapSettings};
use mamgate_core::identity::{is_guid, provider_key_problem, LDAP_OBJECT_ID_ATTRIBUTE};
use mamgate_core::model::{roles, User};
use mamgate_core::ErrorId;
use mamgate_store::{Store, StoreError};
use serde_json::Value;

use crate::state::{now_ms, AppState, CLOSE_USER};
use crate::usernames;

/// The user filter when `LdapSettings.UserFilter` is empty.
pub const DEFAULT_USER_FILTER: &str = "(objectClass=person)";
/// Entries per page of the paged search (AD answers at most 1000 per request).
const PAGE_SIZE: i32 = 500;
/// Connecting, binding and reading the whole directory must end within this.
const DIRECTORY_TIMEOUT: Duration = Duration::from_secs(120);
/// How often the periodic job looks at the config while sync is off.
const IDLE_CHECK: Duration = Duration::from_secs(60);

/// A sync that could not run; nothing was changed unless `id` is `StoreFailure`.
#[derive(Debug, Clone, thiserror::Error)]
#[error("{}: {} ({reason})", .id.id(), .id.entry().message)]
pub struct SyncError {
    /// The catalog entry.
    pub id: ErrorId,
    /// The technical detail.
    pub reason: String,
}

impl SyncError {
    fn new(id: ErrorId, reason: impl Into<String>) -> Self {
        Self {
            id,
            reason: reason.into(),
        }
    }
}

impl From<StoreError> for SyncError {
    fn from(e: StoreError) -> Self {
        SyncError::new(ErrorId::StoreFailure, e.to_string())
    }
}

/// What one sync did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SyncReport {
    /// `saml` or `ldap`.
    pub auth_service: String,
    /// Entries the search returned.
    pub entries: u64,
    pub created: u64,
    pub updated: u64,
    pub deactivated: u64,
    pub reactivated: u64,
    /// Entries skipped: no usable IdAttribute, no username/email, or an email owned by another account.
    pub refused: u64,
    pub unchanged: u64,
    /// Ids of the users this sync deactivated (their sockets must be closed).
    pub deactivated_ids: Vec<String>,
}

impl std::fmt::Display for SyncReport {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "auth_service={} entries={} created={} updated={} deactivated={} reactivated={} refused={} unchanged={}",
            self.auth_service,
            self.entries,
            self.created,
            self.updated,
            self.deactivated,
            self.reactivated,
            self.refused,
            self.unchanged
        )
    }
}

/// One directory user, read and checked.
#[derive(Debug, Clone, PartialEq, Eq)]
struct DirectoryUser {
    dn: String,
    auth_data: String,
    /// How the IdAttribute value was read (GUID string, 16 bytes mixed-endian, ...).
    layout: &'static str,
    username: String,
    email: String,
    first_name: String,
    last_name: String,
}

/// The AuthService synced users get: `saml` when SAML users are synced from LDAP, else `ldap`.
pub fn auth_service(config: &Config) -> &'static str {
    if config.saml_settings.enable_sync_with_ldap {
        "saml"
    } else {
        "ldap"
    }
}

/// Refuses settings a sync cannot run with, before any connection is made.
pub fn check_settings(ldap: &LdapSettings) -> Result<(), SyncError> {
    let id_attr = ldap.id_attribute.trim();
    if id_attr.eq_ignore_ascii_case("objectGUID") {
        return Err(SyncError::new(
            ErrorId::LdapObjectGuid,
            "LdapSettings.IdAttribute is objectGUID; refusing to sync",
        ));
    }
    let required = [
        ("LdapServer", &ldap.ldap_server),
        ("BaseDN", &ldap.base_dn),
        ("IdAttribute", &ldap.id_attribute),
        ("UsernameAttribute", &ldap.username_attribute),
        ("EmailAttribute", &ldap.email_attribute),
    ];
    if let Some((name, _)) = required.iter().find(|(_, v)| v.trim().is_empty()) {
        return Err(SyncError::new(
            ErrorId::LdapNotConfigured,
            format!("LdapSettings.{name} is empty"),
        ));
    }
    if !(1..=65535).contains(&ldap.ldap_port) {
        return Err(SyncError::new(
            ErrorId::LdapNotConfigured,
            format!("LdapSettings.LdapPort {} is not a TCP port", ldap.ldap_port),
        ));
    }
    security(ldap)?;
    Ok(())
}

/// How the connection to the directory is protected (`LdapSettings.ConnectionSecurity`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Security {
    /// `""`: plain LDAP.
    Plain,
    /// `"TLS"`: LDAPS, TLS from the first byte (usually port 636).
    Tls,
    /// `"STARTTLS"`: plain LDAP upgraded to TLS before the bind.
    StartTls,
}

/// Parses `ConnectionSecurity` as Mattermost does (`""`, `"TLS"`, `"STARTTLS"`); any other
/// value is refused rather than silently falling back to plain text.
pub fn security(ldap: &LdapSettings) -> Result<Security, SyncError> {
    let security = ldap.connection_security.trim();
    if security.is_empty() || security.eq_ignore_ascii_case("none") {
        Ok(Security::Plain)
    } else if security.eq_ignore_ascii_case("TLS") {
        Ok(Security::Tls)
    } else if security.eq_ignore_ascii_case("STARTTLS") {
        Ok(Security::StartTls)
    } else {
        Err(SyncError::new(
            ErrorId::LdapNotConfigured,
            format!("LdapSettings.ConnectionSecurity {security:?} is not one of \"\", \"TLS\", \"STARTTLS\""),
        ))
    }
}

/// Runs one sync against `store`, stamping changes with `now`.
pub async fn sync(store: &dyn Store, config: &Config, now: i64) -> Result<SyncReport, SyncError> {
    let ldap = &config.ldap_settings;
    check_settings(ldap)?;
    if let Some(problem) = provider_key_problem(config) {
        // Mattermost accepts such settings; mobile sign-in will not find these users.
        tracing::warn!(problem, "LDAP sync keys users by something other than the objectId: Intune mobile sign-in will not find them");
    }
    let service = auth_service(config);
    let mut report = SyncReport {
        auth_service: service.to_string(),
        ..SyncReport::default()
    };
    let entries = tokio::time::timeout(DIRECTORY_TIMEOUT, read_directory(ldap))
        .await
        .map_err(|_| {
            SyncError::new(
                ErrorId::LdapSearchFailed,
                format!(
                    "the directory was not read within {}s",
                    DIRECTORY_TIMEOUT.as_secs()
                ),
            )
        })??;
    report.entries = entries.len() as u64;
    let mut seen: HashSet<String> = HashSet::new();
    let mut wanted = Vec::new();
    for entry in &entries {
        match directory_user(ldap, entry) {
            Ok(u) if seen.insert(u.auth_data.clone()) => wanted.push(u),
            Ok(u) => {
                tracing::warn!(dn = %u.dn, auth_data = %u.auth_data, "LDAP sync: a second entry has the same IdAttribute; skipped");
                report.refused += 1;
            }
            Err(why) => {
                tracing::warn!(dn = %entry.dn, reason = %why, "LDAP sync: entry skipped");
                report.refused += 1;
            }
        }
    }

    let mut existing: HashMap<String, User> = HashMap::new();
    store
        .scan_users(&mut |u: &User| {
            if u.auth_service == service && !u.auth_data.is_empty() {
                existing.insert(u.auth_data.clone(), u.clone());
            }
        })
        .await?;

    for want in &wanted {
        match existing.remove(&want.auth_data) {
            Some(user) => apply_existing(store, user, want, now, &mut report).await?,
            None => create(store, service, want, now, &mut report).await?,
        }
    }

    let active_left: Vec<User> = existing
        .into_values()
        .filter(|u| !u.is_deactivated())
        .collect();
    // An empty answer while users exist is far more likely a wrong BaseDN/filter than a
    // directory that lost everyone: do not lock the whole organisation out on it.
    if wanted.is_empty() && !active_left.is_empty() {
        tracing::warn!(
            active = active_left.len(),
            "LDAP sync: the directory returned no usable user; nobody is deactivated"
        );
        return Ok(report);
    }
    for user in active_left {
        store.set_user_active(&user.id, false, now).await?;
        tracing::info!(user_id = %user.id, username = %user.username, "LDAP sync: user no longer in the directory, deactivated");
        report.deactivated += 1;
        report.deactivated_ids.push(user.id);
    }
    Ok(report)
}

/// Updates names/email and reactivates a user that is back in the directory.
async fn apply_existing(
    store: &dyn Store,
    user: User,
    want: &DirectoryUser,
    now: i64,
    report: &mut SyncReport,
) -> Result<(), SyncError> {
    let mut user = user;
    if user.is_deactivated() {
        user = store.set_user_active(&user.id, true, now).await?;
        tracing::info!(user_id = %user.id, "LDAP sync: user back in the directory, reactivated");
        report.reactivated += 1;
    }
    let mut changed = user.clone();
    changed.first_name = want.first_name.clone();
    changed.last_name = want.last_name.clone();
    changed.email = want.email.clone();
    if changed.email != user.email {
        changed.email_verified = true;
    }
    if changed == user {
        report.unchanged += 1;
        return Ok(());
    }
    changed.update_at = now;
    match store.update_user(changed).await {
        Ok(_) => report.updated += 1,
        Err(StoreError::Conflict(field)) => {
            tracing::warn!(user_id = %user.id, dn = %want.dn, field, "LDAP sync: update refused, another account owns this {field}");
            report.refused += 1;
        }
        Err(e) => return Err(e.into()),
    }
    Ok(())
}

/// Creates a directory user missing from the store, finding a free username.
async fn create(
    store: &dyn Store,
    service: &str,
    want: &DirectoryUser,
    now: i64,
    report: &mut SyncReport,
) -> Result<(), SyncError> {
    let base = usernames::from_login(&want.username, &want.auth_data);
    for attempt in 0..20u32 {
        let user = User {
            id: mamgate_store::new_id(),
            create_at: now,
            update_at: now,
            username: usernames::with_suffix(&base, attempt),
            auth_service: service.to_string(),
            auth_data: want.auth_data.clone(),
            email: want.email.clone(),
            email_verified: true,
            first_name: want.first_name.clone(),
            last_name: want.last_name.clone(),
            roles: roles::USER.into(),
            locale: "en".into(),
            ..User::default()
        };
        match store.create_user(user, false).await {
            Ok(u) => {
                tracing::info!(user_id = %u.id, username = %u.username, auth_data = %u.auth_data, dn = %want.dn, id_layout = want.layout, "LDAP sync: user created");
                report.created += 1;
                return Ok(());
            }
            Err(StoreError::Conflict("username")) => continue,
            Err(StoreError::Conflict(field)) => {
                tracing::warn!(dn = %want.dn, field, "LDAP sync: not created, another account owns this {field}");
                report.refused += 1;
                return Ok(());
            }
            Err(e) => return Err(e.into()),
        }
    }
    tracing::warn!(dn = %want.dn, username = %base, "LDAP sync: no free username; not created");
    report.refused += 1;
    Ok(())
}

/// Binds and reads every entry under BaseDN matching the filter; any failure is an error.
async fn read_directory(ldap: &LdapSettings) -> Result<Vec<SearchEntry>, SyncError> {
    let security = security(ldap)?;
    let scheme = if security == Security::Tls {
        "ldaps"
    } else {
        "ldap"
    };
    let url = format!("{scheme}://{}:{}", ldap.ldap_server.trim(), ldap.ldap_port);
    let tls = security != Security::Plain;
    if tls && ldap.skip_certificate_verification {
        tracing::warn!(%url, "LDAP sync: SkipCertificateVerification is set; the directory's certificate is not checked");
    }
    // With TLS, ldap3 (rustls) checks the certificate and its name (DNS name or IP address)
    // against the system roots (rustls-native-certs; SSL_CERT_FILE / SSL_CERT_DIR override them).
    let settings = LdapConnSettings::new()
        .set_conn_timeout(Duration::from_secs(15))
        .set_starttls(security == Security::StartTls)
        .set_no_tls_verify(tls && ldap.skip_certificate_verification);
    let (conn, mut handle) = LdapConnAsync::with_settings(settings, &url)
        .await
        .map_err(|e| {
            let mut reason = format!("{url}: {e}");
            if security == Security::StartTls {
                reason.push_str(" (STARTTLS)");
            }
            // The rustls message alone ("invalid peer certificate: UnknownIssuer") does not say what to do.
            if tls && reason.to_ascii_lowercase().contains("certificate") {
                reason.push_str(
                    "; the directory's TLS certificate is not trusted: add its CA to the system trust store \
                     (or SSL_CERT_FILE), make sure it names LdapServer, or set LdapSettings.SkipCertificateVerification",
                );
            }
            SyncError::new(ErrorId::LdapUnableToConnect, reason)
        })?;
    ldap3::drive!(conn);
    let bind = handle
        .simple_bind(&ldap.bind_username, &ldap.bind_password)
        .await
        .and_then(|r| r.success());
    if let Err(e) = bind {
        return Err(SyncError::new(
            ErrorId::LdapBindFailed,
            format!("bind as {:?} to {url}: {e}", ldap.bind_username),
        ));
    }
    let filter = user_filter(&ldap.user_filter);
    let attrs: Vec<String> = [
        &ldap.id_attribute,
        &ldap.username_attribute,
        &ldap.email_attribute,
        &ldap.first_name_attribute,
        &ldap.last_name_attribute,
    ]
    .iter()
    .map(|a| a.trim().to_string())
    .filter(|a| !a.is_empty())
    .collect();
    let search_failed = |e: ldap3::LdapError| {
        SyncError::new(
            ErrorId::LdapSearchFailed,
            format!("search {:?} with {filter}: {e}", ldap.base_dn),
        )
    };
    // Referrals are skipped (EntriesOnly); paging keeps under AD's per-request size limit.
    let adapters: Vec<Box<dyn Adapter<_, _>>> = vec![
        Box::new(EntriesOnly::new()),
        Box::new(PagedResults::new(PAGE_SIZE)),
    ];
    let mut stream = handle
        .streaming_search_with(
            adapters,
            ldap.base_dn.trim(),
            Scope::Subtree,
            &filter,
            attrs,
        )
        .await
        .map_err(search_failed)?;
    let mut entries = Vec::new();
    while let Some(raw) = stream.next().await.map_err(search_failed)? {
        // ldap3 panics on a malformed entry; a bad server answer must fail the sync, not the process.
        let entry =
            std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| SearchEntry::construct(raw)))
                .map_err(|_| SyncError::new(ErrorId::LdapSearchFailed, "malformed search entry"))?;
        entries.push(entry);
    }
    stream.finish().await.success().map_err(search_failed)?;
    let _ = handle.unbind().await;
    Ok(entries)
}

/// `UserFilter`, defaulted and wrapped in parentheses if the admin left them out.
fn user_filter(f: &str) -> String {
    let f = f.trim();
    if f.is_empty() {
        DEFAULT_USER_FILTER.to_string()
    } else if f.starts_with('(') {
        f.to_string()
    } else {
        format!("({f})")
    }
}

/// The first text value of an attribute (names are case-insensitive), trimmed.
fn text_attr(entry: &SearchEntry, name: &str) -> Option<String> {
    let name = name.trim();
    if name.is_empty() {
        return None;
    }
    entry
        .attrs
        .iter()
        .find(|(k, _)| k.eq_ignore_ascii_case(name))
        .and_then(|(_, v)| v.first())
        .map(|s| s.trim().to_string())
        .filter(|s| !s.is_empty())
}

/// The first binary (non-UTF-8) value of an attribute.
fn binary_attr<'e>(entry: &'e SearchEntry, name: &str) -> Option<&'e [u8]> {
    entry
        .bin_attrs
        .iter()
        .find(|(k, _)| k.eq_ignore_ascii_case(name.trim()))
        .and_then(|(_, v)| v.first())
        .map(|v| v.as_slice())
}

/// Reads and checks one entry; the error says why it is skipped.
fn directory_user(ldap: &LdapSettings, entry: &SearchEntry) -> Result<DirectoryUser, String> {
    let (auth_data, layout) = id_value(ldap, entry)?;
    let username = text_attr(entry, &ldap.username_attribute)
        .ok_or_else(|| format!("no {} (UsernameAttribute)", ldap.username_attribute))?;
    let email = text_attr(entry, &ldap.email_attribute)
        .ok_or_else(|| format!("no {} (EmailAttribute)", ldap.email_attribute))?
        .to_ascii_lowercase();
    Ok(DirectoryUser {
        dn: entry.dn.clone(),
        auth_data,
        layout,
        username,
        email,
        first_name: text_attr(entry, &ldap.first_name_attribute).unwrap_or_default(),
        last_name: text_attr(entry, &ldap.last_name_attribute).unwrap_or_default(),
    })
}

/// The entry's AuthData: for `msDS-aadObjectId` the objectId, lower case; else the text value.
fn id_value(ldap: &LdapSettings, entry: &SearchEntry) -> Result<(String, &'static str), String> {
    let name = ldap.id_attribute.trim();
    if !name.eq_ignore_ascii_case(LDAP_OBJECT_ID_ATTRIBUTE) {
        return text_attr(entry, name)
            .map(|v| (v, "text"))
            .ok_or_else(|| format!("no {name} (IdAttribute)"));
    }
    // Untrimmed: 16 raw bytes that happen to be UTF-8 may start or end with a space byte.
    let raw_text = entry
        .attrs
        .iter()
        .find(|(k, _)| k.eq_ignore_ascii_case(name))
        .and_then(|(_, v)| v.first())
        .filter(|s| !s.trim().is_empty());
    let (guid, layout) = if let Some(text) = raw_text {
        object_id_from_text(text)
            .ok_or_else(|| format!("{name} {text:?} is neither a GUID string nor 16 bytes (hex)"))?
    } else if let Some(bytes) = binary_attr(entry, name) {
        object_id_from_bytes(bytes)
            .ok_or_else(|| format!("{name} is {} bytes, not a 16-byte GUID", bytes.len()))?
    } else {
        return Err(format!("no {name} (IdAttribute)"));
    };
    tracing::debug!(dn = %entry.dn, object_id = %guid, layout, "LDAP sync: msDS-aadObjectId read");
    Ok((guid, layout))
}

/// An `msDS-aadObjectId` text value: a GUID string, 32 hex digits, or 16 bytes that
/// happened to be valid UTF-8; with the layout that matched.
pub fn object_id_from_text(text: &str) -> Option<(String, &'static str)> {
    let t = text.trim();
    if is_guid(t) {
        return Some((t.to_ascii_lowercase(), "GUID string"));
    }
    if t.len() == 32 && t.bytes().all(|c| c.is_ascii_hexdigit()) {
        let bytes: Option<Vec<u8>> = (0..16)
            .map(|i| {
                t.get(2 * i..2 * i + 2)
                    .and_then(|p| u8::from_str_radix(p, 16).ok())
            })
            .collect();
        return bytes
            .as_deref()
            .and_then(object_id_from_bytes)
            .map(|(g, _)| (g, "32 hex digits, AD mixed-endian"));
    }
    object_id_from_bytes(text.as_bytes())
        .map(|(g, _)| (g, "16 bytes (UTF-8 safe), AD mixed-endian"))
}

/// 16 raw bytes in AD's binary GUID layout (first three fields little-endian).
pub fn object_id_from_bytes(b: &[u8]) -> Option<(String, &'static str)> {
    let b: [u8; 16] = b.try_into().ok()?;
    let order = [3, 2, 1, 0, 5, 4, 7, 6, 8, 9, 10, 11, 12, 13, 14, 15];
    let hex: String = order.iter().map(|&i| format!("{:02x}", b[i])).collect();
    let guid = format!(
        "{}-{}-{}-{}-{}",
        &hex[0..8],
        &hex[8..12],
        &hex[12..16],
        &hex[16..20],
        &hex[20..32]
    );
    Some((guid, "16 bytes, AD mixed-endian"))
}

/// One sync inside the server: deactivated users' sockets are closed here and on other nodes.
pub async fn sync_in_server(state: &AppState) -> Result<SyncReport, SyncError> {
    let config = state.config();
    let report = sync(state.store.as_ref(), &config, now_ms()).await?;
    for id in &report.deactivated_ids {
        state.broadcast(CLOSE_USER, Value::Null, id);
        crate::cluster::announce(state, &format!("{}:{id}", crate::cluster::USER_DEACTIVATED))
            .await;
    }
    Ok(report)
}

/// Starts the periodic sync: every `SyncIntervalMinutes` while `Enable && EnableSync`; it
/// ends when the server's state is dropped. Errors are logged, never fatal.
pub fn start_periodic(state: &Arc<AppState>) {
    let weak: Weak<AppState> = Arc::downgrade(state);
    tokio::spawn(async move {
        loop {
            let Some(state) = weak.upgrade() else { break };
            let config = state.config();
            let ldap = &config.ldap_settings;
            let wait = if ldap.enable && ldap.enable_sync {
                match sync_in_server(&state).await {
                    Ok(report) => tracing::info!(%report, "LDAP sync done"),
                    Err(e) => {
                        tracing::error!(error_id = e.id.id(), reason = %e.reason, "LDAP sync failed")
                    }
                }
                Duration::from_secs(60 * ldap.sync_interval_minutes.max(1) as u64)
            } else {
                IDLE_CHECK
            };
            // Do not keep the state alive while sleeping.
            drop(config);
            drop(state);
            tokio::time::sleep(wait).await;
        }
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn object_id_forms() {
        let oid = "0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0";
        let mixed: [u8; 16] = [
            0x3c, 0x2d, 0x1e, 0x0f, 0x5a, 0x4b, 0x78, 0x69, 0x87, 0x96, 0xa5, 0xb4, 0xc3, 0xd2,
            0xe1, 0xf0,
        ];
        assert_eq!(
            object_id_from_bytes(&mixed).map(|g| g.0).as_deref(),
            Some(oid)
        );
        assert_eq!(
            object_id_from_text(&oid.to_ascii_uppercase())
                .map(|g| g.0)
                .as_deref(),
            Some(oid)
        );
        let hex: String = mixed.iter().map(|b| format!("{b:02X}")).collect();
        assert_eq!(object_id_from_text(&hex).map(|g| g.0).as_deref(), Some(oid));
        assert!(object_id_from_text("alice@contoso.example").is_none());
        assert!(object_id_from_bytes(&[1, 2, 3]).is_none());
    }

    #[test]
    fn object_guid_is_refused_before_connecting() {
        let ldap = LdapSettings {
            id_attribute: "objectGUID".into(),
            ..LdapSettings::default()
        };
        let e = check_settings(&ldap).err().map(|e| e.id);
        assert_eq!(e, Some(ErrorId::LdapObjectGuid));
    }

    #[test]
    fn connection_security_values() {
        let with = |v: &str| LdapSettings {
            connection_security: v.into(),
            ..LdapSettings::default()
        };
        assert_eq!(security(&with("")).ok(), Some(Security::Plain));
        assert_eq!(security(&with("TLS")).ok(), Some(Security::Tls));
        assert_eq!(security(&with("STARTTLS")).ok(), Some(Security::StartTls));
        let e = security(&with("SSL")).err().map(|e| e.id);
        assert_eq!(e, Some(ErrorId::LdapNotConfigured));
    }

    #[test]
    fn filters() {
        assert_eq!(user_filter(""), DEFAULT_USER_FILTER);
        assert_eq!(user_filter("uid=a"), "(uid=a)");
        assert_eq!(user_filter("(uid=a)"), "(uid=a)");
    }
}
