//! App registrations in both manifest formats (Microsoft Graph application JSON and the legacy
//! AAD Graph manifest), normalized into one view (entra-facts §4).
//!
//! The doctor reuses these parsers, so every field remembers where it came from.

use serde::Serialize;
use serde_json::{Map, Value};

use super::ManifestError;

/// Microsoft Mobile Application Management, the resource behind the MAM token.
pub const MAM_RESOURCE_APP_ID: &str = "0a5f63c0-b750-4f38-a71c-4fc0d58b89e2";
/// `DeviceManagementManagedApps.ReadWrite` (the docs' "user_impersonation"), delegated.
pub const MAM_PERMISSION_ID: &str = "3c7192af-9629-4473-9276-d35e4e4b36c5";
/// The audience of MAM tokens and the resource part of the scope the Intune SDK requests.
pub const MAM_RESOURCE_URI: &str = "https://msmamservice.api.application";
/// The scope the Intune SDK requests.
pub const MAM_SCOPE: &str = "https://msmamservice.api.application/.default";
/// Microsoft Graph's app id (the `aud` of Graph tokens).
pub const GRAPH_APP_ID: &str = "00000003-0000-0000-c000-000000000000";
/// Microsoft Graph's resource URI.
pub const GRAPH_RESOURCE_URI: &str = "https://graph.microsoft.com";

/// Which manifest format a registration was written in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ManifestFormat {
    /// Microsoft Graph application JSON (`api.*`, `web`, `spa`, `publicClient`).
    Graph,
    /// The legacy Entra (AAD Graph) manifest (`oauth2Permissions`, `accessTokenAcceptedVersion`).
    AadGraph,
}

/// One exposed delegated scope (`api.oauth2PermissionScopes[]` / `oauth2Permissions[]`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PermissionScope {
    pub id: String,
    /// What goes in `scp`, e.g. `login.mattermost`.
    pub value: String,
    /// `User` or `Admin`.
    pub kind: Option<String>,
    pub is_enabled: bool,
}

/// One pre-authorized client.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PreAuthorizedApp {
    pub app_id: String,
    pub permission_ids: Vec<String>,
    /// `delegatedPermissionIds` (Graph v1.0 responses) or `permissionIds` (manifest docs, AAD Graph).
    pub ids_field: &'static str,
}

/// One permission inside `requiredResourceAccess[].resourceAccess`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ResourceAccess {
    pub id: String,
    /// `Scope` (delegated) or `Role` (application).
    pub kind: String,
}

/// One entry of `requiredResourceAccess`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RequiredResource {
    pub resource_app_id: String,
    pub access: Vec<ResourceAccess>,
}

/// The normalized view of one app registration, whichever format it was written in.
#[derive(Debug, Clone, Serialize)]
pub struct AppRegistration {
    pub app_id: String,
    pub display_name: Option<String>,
    pub format: ManifestFormat,
    /// 1 or 2: `null`, missing and anything that is not 2 mean v1 tokens.
    pub token_version: u8,
    /// The manifest's own value (`None` when null or missing).
    pub token_version_raw: Option<Value>,
    /// The field the version was read from, when present.
    pub token_version_field: Option<&'static str>,
    pub identifier_uris: Vec<String>,
    pub scopes: Vec<PermissionScope>,
    pub pre_authorized: Vec<PreAuthorizedApp>,
    pub required_resource_access: Vec<RequiredResource>,
    pub sign_in_audience: Option<String>,
    /// The registration exactly as written, unknown fields included.
    pub raw: Value,
}

impl AppRegistration {
    /// The enabled scope with this value (case-sensitive, as Entra compares scope values).
    pub fn scope(&self, value: &str) -> Option<&PermissionScope> {
        self.scopes
            .iter()
            .find(|s| s.is_enabled && s.value == value)
    }

    /// Whether `uri` names this app: one of its identifier URIs or its app id (trailing `/` ignored).
    pub fn is_named_by(&self, uri: &str) -> bool {
        let uri = uri.trim_end_matches('/');
        uri.eq_ignore_ascii_case(&self.app_id)
            || self
                .identifier_uris
                .iter()
                .any(|u| u.trim_end_matches('/').eq_ignore_ascii_case(uri))
    }

    /// The pre-authorization entry for a client, if any.
    pub fn pre_authorization(&self, client_id: &str) -> Option<&PreAuthorizedApp> {
        self.pre_authorized
            .iter()
            .find(|p| p.app_id.eq_ignore_ascii_case(client_id))
    }

    /// Whether `requiredResourceAccess` lists the delegated Intune MAM permission.
    pub fn requires_mam_permission(&self) -> bool {
        self.requires(MAM_RESOURCE_APP_ID, MAM_PERMISSION_ID)
    }

    /// Whether `requiredResourceAccess` lists `permission_id` of `resource_app_id`.
    pub fn requires(&self, resource_app_id: &str, permission_id: &str) -> bool {
        self.required_resource_access.iter().any(|r| {
            r.resource_app_id.eq_ignore_ascii_case(resource_app_id)
                && r.access
                    .iter()
                    .any(|a| a.id.eq_ignore_ascii_case(permission_id))
        })
    }

    /// Whether `requiredResourceAccess` lists anything of `resource_app_id`.
    pub fn requires_resource(&self, resource_app_id: &str) -> bool {
        self.required_resource_access
            .iter()
            .any(|r| r.resource_app_id.eq_ignore_ascii_case(resource_app_id))
    }
}

/// Parses one app registration in either format.
pub fn normalize(raw: &Value) -> Result<AppRegistration, ManifestError> {
    let obj = raw.as_object().ok_or(ManifestError::NotAnObject)?;
    let app_id = str_field(obj, "appId")
        .filter(|s| !s.trim().is_empty())
        .ok_or(ManifestError::MissingAppId)?
        .trim()
        .to_string();
    let api = obj.get("api").and_then(Value::as_object);
    let format = detect_format(obj);

    let (token_version_field, token_version_raw) = token_version_source(obj, api);
    let token_version = match token_version_raw.as_ref().and_then(version_number) {
        Some(2) => 2,
        _ => 1,
    };

    let scopes = api
        .and_then(|a| a.get("oauth2PermissionScopes"))
        .or_else(|| obj.get("oauth2Permissions"))
        .and_then(Value::as_array)
        .map(|list| list.iter().filter_map(parse_scope).collect())
        .unwrap_or_default();

    let pre_authorized = api
        .and_then(|a| a.get("preAuthorizedApplications"))
        .or_else(|| obj.get("preAuthorizedApplications"))
        .and_then(Value::as_array)
        .map(|list| list.iter().filter_map(parse_pre_authorized).collect())
        .unwrap_or_default();

    let required_resource_access = obj
        .get("requiredResourceAccess")
        .and_then(Value::as_array)
        .map(|list| list.iter().filter_map(parse_required).collect())
        .unwrap_or_default();

    let identifier_uris = match obj.get("identifierUris") {
        Some(Value::String(s)) => vec![s.clone()],
        Some(Value::Array(list)) => list
            .iter()
            .filter_map(Value::as_str)
            .map(str::to_string)
            .collect(),
        _ => Vec::new(),
    };

    Ok(AppRegistration {
        app_id,
        display_name: str_field(obj, "displayName")
            .or_else(|| str_field(obj, "name"))
            .map(str::to_string),
        format,
        token_version,
        token_version_raw,
        token_version_field,
        identifier_uris,
        scopes,
        pre_authorized,
        required_resource_access,
        sign_in_audience: str_field(obj, "signInAudience").map(str::to_string),
        raw: raw.clone(),
    })
}

/// Sets the access token version in whichever field the registration uses (`None` = null).
pub fn set_token_version(raw: &mut Value, version: Option<u8>) -> Result<(), ManifestError> {
    let obj = raw.as_object_mut().ok_or(ManifestError::NotAnObject)?;
    let value = version.map(Value::from).unwrap_or(Value::Null);
    let legacy = detect_format(obj) == ManifestFormat::AadGraph;
    if legacy {
        obj.insert("accessTokenAcceptedVersion".into(), value);
        return Ok(());
    }
    let api = obj
        .entry("api")
        .or_insert_with(|| Value::Object(Map::new()));
    if !api.is_object() {
        *api = Value::Object(Map::new());
    }
    if let Some(api) = api.as_object_mut() {
        api.insert("requestedAccessTokenVersion".into(), value);
    }
    Ok(())
}

fn detect_format(obj: &Map<String, Value>) -> ManifestFormat {
    const GRAPH_MARKERS: &[&str] = &[
        "api",
        "web",
        "spa",
        "publicClient",
        "isFallbackPublicClient",
    ];
    const LEGACY_MARKERS: &[&str] = &[
        "oauth2Permissions",
        "accessTokenAcceptedVersion",
        "replyUrlsWithType",
        "preAuthorizedApplications",
        "knownClientApplications",
        "oauth2AllowImplicitFlow",
    ];
    if GRAPH_MARKERS.iter().any(|k| obj.contains_key(*k)) {
        ManifestFormat::Graph
    } else if LEGACY_MARKERS.iter().any(|k| obj.contains_key(*k)) {
        ManifestFormat::AadGraph
    } else {
        ManifestFormat::Graph
    }
}

fn token_version_source(
    obj: &Map<String, Value>,
    api: Option<&Map<String, Value>>,
) -> (Option<&'static str>, Option<Value>) {
    let present = |v: Option<&Value>| v.filter(|v| !v.is_null()).cloned();
    if let Some(v) = api.and_then(|a| a.get("requestedAccessTokenVersion")) {
        return (Some("api.requestedAccessTokenVersion"), present(Some(v)));
    }
    if let Some(v) = obj.get("accessTokenAcceptedVersion") {
        return (Some("accessTokenAcceptedVersion"), present(Some(v)));
    }
    (None, None)
}

fn version_number(v: &Value) -> Option<i64> {
    match v {
        Value::Number(n) => n.as_i64(),
        Value::String(s) => s.trim().parse().ok(),
        _ => None,
    }
}

fn str_field<'a>(obj: &'a Map<String, Value>, key: &str) -> Option<&'a str> {
    obj.get(key).and_then(Value::as_str)
}

fn string_list(v: Option<&Value>) -> Vec<String> {
    v.and_then(Value::as_array)
        .map(|l| {
            l.iter()
                .filter_map(Value::as_str)
                .map(str::to_string)
                .collect()
        })
        .unwrap_or_default()
}

fn parse_scope(v: &Value) -> Option<PermissionScope> {
    let o = v.as_object()?;
    Some(PermissionScope {
        id: str_field(o, "id")?.to_string(),
        value: str_field(o, "value")?.to_string(),
        kind: str_field(o, "type").map(str::to_string),
        is_enabled: o.get("isEnabled").and_then(Value::as_bool).unwrap_or(true),
    })
}

fn parse_pre_authorized(v: &Value) -> Option<PreAuthorizedApp> {
    let o = v.as_object()?;
    let (ids_field, ids) = if o.contains_key("delegatedPermissionIds") {
        ("delegatedPermissionIds", o.get("delegatedPermissionIds"))
    } else {
        ("permissionIds", o.get("permissionIds"))
    };
    Some(PreAuthorizedApp {
        app_id: str_field(o, "appId")?.to_string(),
        permission_ids: string_list(ids),
        ids_field,
    })
}

fn parse_required(v: &Value) -> Option<RequiredResource> {
    let o = v.as_object()?;
    let access = o
        .get("resourceAccess")
        .and_then(Value::as_array)
        .map(|l| {
            l.iter()
                .filter_map(|a| {
                    let a = a.as_object()?;
                    Some(ResourceAccess {
                        id: str_field(a, "id")?.to_string(),
                        kind: str_field(a, "type").unwrap_or("Scope").to_string(),
                    })
                })
                .collect()
        })
        .unwrap_or_default();
    Some(RequiredResource {
        resource_app_id: str_field(o, "resourceAppId")?.to_string(),
        access,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    const APP: &str = "11111111-aaaa-bbbb-cccc-000000000001";

    #[test]
    fn graph_format_v2() {
        let raw = json!({
            "appId": APP, "identifierUris": [format!("api://{APP}")], "signInAudience": "AzureADMyOrg",
            "api": {"requestedAccessTokenVersion": 2,
                "oauth2PermissionScopes": [{"id": "s1", "value": "login.mattermost", "type": "User", "isEnabled": true}],
                "preAuthorizedApplications": [{"appId": "c1", "delegatedPermissionIds": ["s1"]}]},
            "requiredResourceAccess": [{"resourceAppId": MAM_RESOURCE_APP_ID,
                "resourceAccess": [{"id": MAM_PERMISSION_ID, "type": "Scope"}]}],
            "somethingNew": {"kept": true}
        });
        let app = normalize(&raw).unwrap();
        assert_eq!(app.format, ManifestFormat::Graph);
        assert_eq!(app.token_version, 2);
        assert_eq!(
            app.token_version_field,
            Some("api.requestedAccessTokenVersion")
        );
        assert!(app.scope("login.mattermost").is_some());
        assert_eq!(
            app.pre_authorization("C1").unwrap().ids_field,
            "delegatedPermissionIds"
        );
        assert!(app.requires_mam_permission());
        assert!(app.is_named_by(&format!("api://{APP}/")));
        assert_eq!(app.raw["somethingNew"]["kept"], json!(true));
    }

    #[test]
    fn legacy_format_null_version_is_v1() {
        let raw = json!({
            "appId": APP, "accessTokenAcceptedVersion": null, "identifierUris": "api://legacy",
            "oauth2Permissions": [{"id": "s1", "value": "login.mattermost", "type": "User"}],
            "preAuthorizedApplications": [{"appId": "c1", "permissionIds": ["s1"]}]
        });
        let app = normalize(&raw).unwrap();
        assert_eq!(app.format, ManifestFormat::AadGraph);
        assert_eq!(app.token_version, 1);
        assert_eq!(app.token_version_raw, None);
        assert_eq!(app.token_version_field, Some("accessTokenAcceptedVersion"));
        assert_eq!(app.identifier_uris, vec!["api://legacy".to_string()]);
        assert_eq!(
            app.pre_authorization("c1").unwrap().ids_field,
            "permissionIds"
        );
        assert!(!app.requires_mam_permission());
    }

    #[test]
    fn missing_version_and_string_version() {
        let app = normalize(&json!({"appId": APP})).unwrap();
        assert_eq!(app.token_version, 1);
        assert_eq!(app.token_version_field, None);
        let app = normalize(&json!({"appId": APP, "accessTokenAcceptedVersion": "2"})).unwrap();
        assert_eq!(app.token_version, 2);
    }

    #[test]
    fn bad_input_is_an_error_not_a_panic() {
        assert!(normalize(&json!([1])).is_err());
        assert!(normalize(&json!({"appId": 3})).is_err());
        let app = normalize(&json!({"appId": APP, "api": 7, "oauth2Permissions": "x",
            "requiredResourceAccess": [1, {"resourceAppId": 2}]}))
        .unwrap();
        assert!(app.scopes.is_empty() && app.required_resource_access.is_empty());
    }

    #[test]
    fn set_version_in_either_format() {
        let mut g = json!({"appId": APP, "api": {"requestedAccessTokenVersion": 2}});
        set_token_version(&mut g, None).unwrap();
        assert_eq!(normalize(&g).unwrap().token_version, 1);
        let mut l = json!({"appId": APP, "accessTokenAcceptedVersion": 1});
        set_token_version(&mut l, Some(2)).unwrap();
        assert_eq!(l["accessTokenAcceptedVersion"], json!(2));
        assert!(l.get("api").is_none());
    }
}
