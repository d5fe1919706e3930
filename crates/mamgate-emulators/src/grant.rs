//! What Entra would grant: which resource a scope names, whether the client may have it, and the
//! claims of the resulting token. Pure: the HTTP handlers only parse, call and render.
//!
//! Claim choices: v2 app tokens carry `email` (when the user has one) as if the optional claim
//! were configured, because the server's just-in-time account creation reads it; v1 tokens carry
//! `appid`, `upn` and `unique_name` instead of `azp` and `preferred_username`, as Entra's do.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use serde_json::{json, Map, Value};
use sha2::{Digest, Sha256};

use crate::aadsts::Aadsts;
use crate::tenant::{
    AppRegistration, Tenant, User, GRAPH_APP_ID, GRAPH_RESOURCE_URI, MAM_RESOURCE_APP_ID,
    MAM_RESOURCE_URI, OFFICIAL_CLIENT_IDS,
};

/// Scopes that ask for sign-in data rather than a resource.
const OIDC_SCOPES: [&str; 4] = ["openid", "profile", "email", "offline_access"];
/// The `scp` Intune's MAM service sees.
const MAM_SCP: &str = "DeviceManagementManagedApps.ReadWrite";
/// v1 tokens always name this issuer host (entra-facts §2).
const V1_ISSUER_HOST: &str = "https://sts.windows.net";

/// The resource a token is for.
#[derive(Debug, Clone)]
pub enum Audience {
    /// An app registration of the tenant (the Mattermost server app).
    App {
        app: Box<AppRegistration>,
        /// The resource as the request named it (identifier URI or app id).
        resource: String,
        /// Granted scope values.
        scopes: Vec<String>,
    },
    /// Intune's MAM service.
    Mam,
    /// Microsoft Graph.
    Graph { scopes: Vec<String> },
}

/// A decided token request.
#[derive(Debug, Clone)]
pub struct Plan {
    pub client_id: String,
    pub audience: Audience,
    /// `openid` was requested (an id_token goes with the access token).
    pub openid: bool,
    /// The scope string to echo back.
    pub scope: String,
}

/// Whether Entra knows the client: an official mobile client or an app of the tenant.
pub fn client_known(tenant: &Tenant, client_id: &str) -> Result<(), Aadsts> {
    let official = OFFICIAL_CLIENT_IDS
        .iter()
        .any(|c| c.eq_ignore_ascii_case(client_id));
    if official || tenant.application(client_id).is_some() {
        return Ok(());
    }
    Err(Aadsts::new(
        "unauthorized_client",
        700016,
        format!(
            "Application with identifier '{client_id}' was not found in the directory '{}'. This can happen if the application has not been installed by the administrator of the tenant or consented to by any user in the tenant. You may have sent your authentication request to the wrong tenant.",
            tenant.tenant_id
        ),
    ))
}

/// The directory user a grant names.
pub fn find_user<'a>(tenant: &'a Tenant, name: &str) -> Result<&'a User, Aadsts> {
    tenant.user(name).ok_or_else(|| {
        Aadsts::new(
            "invalid_grant",
            50034,
            format!(
                "The user account {name} does not exist in the {} directory. To sign into this application, the account must be added to the directory.",
                tenant.tenant_id
            ),
        )
    })
}

/// Decides a token request of `client_id` for `scope` (space-separated).
pub fn plan(tenant: &Tenant, client_id: &str, scope: &str) -> Result<Plan, Aadsts> {
    client_known(tenant, client_id)?;
    let mut openid = false;
    let mut resource: Option<(String, Vec<String>)> = None;
    for s in scope.split_whitespace() {
        if OIDC_SCOPES.contains(&s) {
            openid |= s == "openid";
            continue;
        }
        let (res, name) = match s.rsplit_once('/') {
            Some((r, n)) => (r.trim_end_matches('/').to_string(), n.to_string()),
            // A bare scope name is a Microsoft Graph permission (`User.Read`).
            None => (GRAPH_RESOURCE_URI.to_string(), s.to_string()),
        };
        match &mut resource {
            None => resource = Some((res, vec![name])),
            Some((r, names)) if same_resource(r, &res) => names.push(name),
            Some(_) => {
                return Err(Aadsts::new(
                    "invalid_scope",
                    700022,
                    "The provided value for the input parameter scope is not valid because it contains more than one resource.",
                ))
            }
        }
    }
    let (res, names) = resource.unwrap_or_else(|| (GRAPH_RESOURCE_URI.to_string(), Vec::new()));
    let audience =
        if same_resource(&res, MAM_RESOURCE_URI) || same_resource(&res, MAM_RESOURCE_APP_ID) {
            mam_allowed(tenant, client_id)?;
            Audience::Mam
        } else if same_resource(&res, GRAPH_RESOURCE_URI) || same_resource(&res, GRAPH_APP_ID) {
            let mut scopes: Vec<String> = names.into_iter().filter(|n| n != ".default").collect();
            if scopes.is_empty() {
                scopes.push("User.Read".into());
            }
            Audience::Graph { scopes }
        } else {
            let app = tenant
                .applications()
                .into_iter()
                .find(|a| a.is_named_by(&res))
                .ok_or_else(|| resource_not_found(tenant, &res))?;
            let scopes = app_scopes(tenant, &app, client_id, &names)?;
            Audience::App {
                app: Box::new(app),
                resource: res,
                scopes,
            }
        };
    Ok(Plan {
        client_id: client_id.to_string(),
        audience,
        openid,
        scope: scope.trim().to_string(),
    })
}

fn same_resource(a: &str, b: &str) -> bool {
    a.trim_end_matches('/')
        .eq_ignore_ascii_case(b.trim_end_matches('/'))
}

fn resource_not_found(tenant: &Tenant, resource: &str) -> Aadsts {
    Aadsts::new(
        "invalid_resource",
        500011,
        format!(
            "The resource principal named {resource} was not found in the tenant named {}. This can happen if the application has not been installed by the administrator of the tenant or consented to by any user in the tenant. You might have sent your authentication request to the wrong tenant.",
            tenant.tenant_id
        ),
    )
}

/// The scopes of `app` the client may have, or why not.
fn app_scopes(
    tenant: &Tenant,
    app: &AppRegistration,
    client_id: &str,
    names: &[String],
) -> Result<Vec<String>, Aadsts> {
    let entitled = |scope_id: &str| {
        if app.app_id.eq_ignore_ascii_case(client_id) {
            return true;
        }
        let pre = app.pre_authorization(client_id).is_some_and(|p| {
            p.permission_ids
                .iter()
                .any(|id| id.eq_ignore_ascii_case(scope_id))
        });
        if pre {
            return true;
        }
        // Consent: tenant-wide admin consent for a client that lists this scope (or, for an
        // official client without a registration here, for the client as such).
        tenant.has_admin_consent(client_id)
            && tenant
                .application(client_id)
                .is_none_or(|c| c.requires(&app.app_id, scope_id))
    };
    let not_consented = || {
        Aadsts::new(
            "invalid_grant",
            65001,
            format!(
                "The user or administrator has not consented to use the application with ID '{client_id}' named '{}'. Send an interactive authorization request for this user and resource.",
                app.display_name.as_deref().unwrap_or(&app.app_id)
            ),
        )
    };
    let mut granted = Vec::new();
    for name in names {
        if name == ".default" {
            let all: Vec<String> = app
                .scopes
                .iter()
                .filter(|s| s.is_enabled && entitled(&s.id))
                .map(|s| s.value.clone())
                .collect();
            if all.is_empty() {
                return Err(not_consented());
            }
            granted.extend(all);
            continue;
        }
        let scope = app.scope(name).ok_or_else(|| {
            Aadsts::new(
                "invalid_scope",
                70011,
                format!("The provided value for the input parameter 'scope' is not valid. The scope {}/{name} is not valid.", app.app_id),
            )
        })?;
        if !entitled(&scope.id) {
            return Err(not_consented());
        }
        granted.push(scope.value.clone());
    }
    granted.dedup();
    Ok(granted)
}

/// The MAM token needs the server app's `requiredResourceAccess` to list the MAM permission and
/// tenant-wide admin consent for it (seed: "consent missing → enrollment can't complete").
fn mam_allowed(tenant: &Tenant, client_id: &str) -> Result<(), Aadsts> {
    // The registration that speaks for the client: its own, or the server app that
    // pre-authorizes it (official clients have no registration in the customer's tenant).
    let candidates: Vec<AppRegistration> = match tenant.application(client_id) {
        Some(own) => vec![own],
        None => tenant
            .applications()
            .into_iter()
            .filter(|a| a.pre_authorization(client_id).is_some())
            .collect(),
    };
    if candidates
        .iter()
        .any(|a| a.requires_mam_permission() && tenant.has_admin_consent(&a.app_id))
    {
        return Ok(());
    }
    let why = match candidates.iter().find(|a| a.requires_mam_permission()) {
        Some(a) => format!(
            " Tenant-wide admin consent for application '{}' has not been granted.",
            a.app_id
        ),
        None => String::new(),
    };
    let listed: Vec<String> = candidates
        .iter()
        .flat_map(|a| {
            a.required_resource_access
                .iter()
                .map(|r| r.resource_app_id.clone())
        })
        .collect();
    Err(Aadsts::new(
        "invalid_resource",
        650057,
        format!(
            "Invalid resource. The client has requested access to a resource which isn't listed in the requested permissions in the client's application registration. Client app ID: {client_id}. Resource value from request: {MAM_RESOURCE_URI}. Resource app ID: {MAM_RESOURCE_APP_ID}. List of valid resources from app registration: {}.{why}",
            listed.join(", ")
        ),
    ))
}

/// Header fields and claims of the access token for `plan` and `user`.
pub fn access_token_claims(
    tenant: &Tenant,
    plan: &Plan,
    user: &User,
    now: i64,
    lifetime: i64,
) -> (Value, Value) {
    let tid = &tenant.tenant_id;
    let mut c = Map::new();
    let mut header = Map::new();
    let v1 = |c: &mut Map<String, Value>, aud: &str, scp: &str| {
        c.insert("aud".into(), aud.into());
        c.insert("iss".into(), format!("{V1_ISSUER_HOST}/{tid}/").into());
        c.insert("acr".into(), "1".into());
        c.insert("amr".into(), json!(["pwd"]));
        c.insert("appid".into(), plan.client_id.clone().into());
        c.insert("appidacr".into(), "0".into());
        if let Some(f) = &user.family_name {
            c.insert("family_name".into(), f.clone().into());
        }
        if let Some(g) = &user.given_name {
            c.insert("given_name".into(), g.clone().into());
        }
        c.insert("scp".into(), scp.into());
        c.insert("unique_name".into(), user.upn.clone().into());
        c.insert("upn".into(), user.upn.clone().into());
        c.insert("ver".into(), "1.0".into());
    };
    let sub_key;
    match &plan.audience {
        Audience::App {
            app,
            resource,
            scopes,
        } => {
            sub_key = app.app_id.clone();
            if app.token_version == 2 {
                c.insert("aud".into(), app.app_id.clone().into());
                c.insert(
                    "iss".into(),
                    format!("{}/{tid}/v2.0", tenant.authority()).into(),
                );
                c.insert("azp".into(), plan.client_id.clone().into());
                c.insert("azpacr".into(), "0".into());
                c.insert("preferred_username".into(), user.upn.clone().into());
                if let Some(e) = &user.email {
                    c.insert("email".into(), e.clone().into());
                }
                c.insert("scp".into(), scopes.join(" ").into());
                c.insert("ver".into(), "2.0".into());
            } else {
                v1(&mut c, resource, &scopes.join(" "));
            }
        }
        Audience::Mam => {
            sub_key = MAM_RESOURCE_APP_ID.to_string();
            v1(&mut c, MAM_RESOURCE_URI, MAM_SCP);
        }
        Audience::Graph { scopes } => {
            sub_key = GRAPH_APP_ID.to_string();
            let mut scp = vec!["openid".to_string(), "profile".into(), "email".into()];
            scp.extend(scopes.iter().cloned());
            v1(&mut c, GRAPH_RESOURCE_URI, &scp.join(" "));
        }
    }
    if c.get("ver").and_then(Value::as_str) == Some("1.0") {
        // v1 tokens carry x5t next to kid (entra-facts §1); it is filled in when signing.
        header.insert("x5t".into(), Value::Null);
    }
    c.insert("iat".into(), now.into());
    c.insert("nbf".into(), now.into());
    c.insert("exp".into(), (now + lifetime).into());
    c.insert("name".into(), user.display_name().into());
    c.insert("oid".into(), user.oid.clone().into());
    c.insert("sub".into(), pairwise_sub(&user.oid, &sub_key).into());
    c.insert("tid".into(), tid.clone().into());
    c.insert("uti".into(), token_id().into());
    (Value::Object(header), Value::Object(c))
}

/// Claims of the v2 id_token for a web sign-in.
pub fn id_token_claims(
    tenant: &Tenant,
    client_id: &str,
    user: &User,
    nonce: Option<&str>,
    now: i64,
    lifetime: i64,
) -> Value {
    let mut c = json!({
        "aud": client_id,
        "iss": format!("{}/{}/v2.0", tenant.authority(), tenant.tenant_id),
        "iat": now, "nbf": now, "exp": now + lifetime,
        "name": user.display_name(),
        "oid": user.oid,
        "preferred_username": user.upn,
        "sub": pairwise_sub(&user.oid, client_id),
        "tid": tenant.tenant_id,
        "ver": "2.0",
    });
    if let Some(e) = &user.email {
        c["email"] = e.clone().into();
    }
    if let Some(n) = nonce {
        c["nonce"] = n.into();
    }
    c
}

/// `sub` is pairwise: stable per user and app, different across apps.
fn pairwise_sub(oid: &str, app_id: &str) -> String {
    let digest = Sha256::digest(format!(
        "{}:{}",
        oid.to_ascii_lowercase(),
        app_id.to_ascii_lowercase()
    ));
    URL_SAFE_NO_PAD.encode(digest)
}

fn token_id() -> String {
    URL_SAFE_NO_PAD.encode(&uuid::Uuid::new_v4().as_bytes()[..16])
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tenant::*;

    fn tenant() -> Tenant {
        example_tenant("http://127.0.0.1:1")
    }

    fn login_scope() -> String {
        format!("api://{EXAMPLE_SERVER_APP_ID}/{LOGIN_SCOPE}")
    }

    #[test]
    fn official_client_gets_v2_login_token() {
        let t = tenant();
        let p = plan(&t, OFFICIAL_CLIENT_ID, &login_scope()).unwrap();
        let user = t.user(ALICE_UPN).unwrap();
        let (h, c) = access_token_claims(&t, &p, user, 100, 3600);
        assert!(h.get("x5t").is_none());
        assert_eq!(c["aud"], json!(EXAMPLE_SERVER_APP_ID));
        assert_eq!(
            c["iss"],
            json!(format!("http://127.0.0.1:1/{EXAMPLE_TENANT_ID}/v2.0"))
        );
        assert_eq!(c["scp"], json!(LOGIN_SCOPE));
        assert_eq!(c["azp"], json!(OFFICIAL_CLIENT_ID));
        assert_eq!(c["ver"], json!("2.0"));
        assert_eq!(c["exp"], json!(3700));
        assert_eq!(c["email"], json!(ALICE_UPN));
    }

    #[test]
    fn v1_when_version_null() {
        let mut t = tenant();
        assert!(t.set_token_version(EXAMPLE_SERVER_APP_ID, None));
        let p = plan(&t, OFFICIAL_BETA_CLIENT_ID, &login_scope()).unwrap();
        let (h, c) = access_token_claims(&t, &p, t.user(ALICE_OID).unwrap(), 0, 60);
        assert!(h.get("x5t").is_some());
        assert_eq!(
            c["iss"],
            json!(format!("https://sts.windows.net/{EXAMPLE_TENANT_ID}/"))
        );
        assert_eq!(c["aud"], json!(format!("api://{EXAMPLE_SERVER_APP_ID}")));
        assert_eq!(c["ver"], json!("1.0"));
        assert_eq!(c["appid"], json!(OFFICIAL_BETA_CLIENT_ID));
    }

    #[test]
    fn error_codes() {
        let mut t = tenant();
        let code = |t: &Tenant, client: &str, scope: &str| plan(t, client, scope).unwrap_err().code;
        assert_eq!(
            code(&t, "00000000-0000-0000-0000-000000000001", &login_scope()),
            700016
        );
        assert_eq!(
            code(&t, OFFICIAL_CLIENT_ID, "api://nowhere/login.mattermost"),
            500011
        );
        assert_eq!(
            code(
                &t,
                OFFICIAL_CLIENT_ID,
                &format!("api://{EXAMPLE_SERVER_APP_ID}/nope")
            ),
            70011
        );
        assert_eq!(
            code(
                &t,
                OFFICIAL_CLIENT_ID,
                &format!("{} {MAM_SCOPE}", login_scope())
            ),
            700022
        );
        assert!(plan(&t, OFFICIAL_CLIENT_ID, MAM_SCOPE).is_ok());
        t.set_admin_consent(EXAMPLE_SERVER_APP_ID, false);
        assert_eq!(code(&t, OFFICIAL_CLIENT_ID, MAM_SCOPE), 650057);
        // Login still works: "authentication can succeed even when MAM permissions are missing".
        assert!(plan(&t, OFFICIAL_CLIENT_ID, &login_scope()).is_ok());
        // A client of the tenant that is neither pre-authorized nor consented.
        t.applications
            .push(json!({"appId": "11111111-2222-3333-4444-555555555555"}));
        assert_eq!(
            code(&t, "11111111-2222-3333-4444-555555555555", &login_scope()),
            65001
        );
        t.set_admin_consent("11111111-2222-3333-4444-555555555555", true);
        assert_eq!(
            code(&t, "11111111-2222-3333-4444-555555555555", &login_scope()),
            65001
        );
    }

    #[test]
    fn mam_needs_required_resource_access() {
        let mut t = tenant();
        t.applications[0]["requiredResourceAccess"] = json!([]);
        let e = plan(&t, OFFICIAL_CLIENT_ID, MAM_SCOPE).unwrap_err();
        assert_eq!((e.code, e.error), (650057, "invalid_resource"));
        assert!(e.description().starts_with("AADSTS650057: "));
    }

    #[test]
    fn graph_and_mam_tokens() {
        let t = tenant();
        let user = t.user(ALICE_UPN).unwrap();
        let p = plan(&t, EXAMPLE_SERVER_APP_ID, "openid profile User.Read").unwrap();
        assert!(p.openid);
        let (_, c) = access_token_claims(&t, &p, user, 0, 60);
        assert_eq!(c["aud"], json!(GRAPH_RESOURCE_URI));
        let p = plan(&t, OFFICIAL_CLIENT_ID, MAM_SCOPE).unwrap();
        let (_, c) = access_token_claims(&t, &p, user, 0, 60);
        assert_eq!(c["aud"], json!(MAM_RESOURCE_URI));
        assert_eq!(c["oid"], json!(ALICE_OID));
    }
}
