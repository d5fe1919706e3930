//! The error catalog: every error the product can show, defined once.
//!
//! Each entry carries what the server sends (id, HTTP status, message), what the seed's
//! "Intune MAM Errors" table promises the user (user message, retry, fallback) and what an
//! admin needs (cause, next steps, admin checks). The HTTP layer, the doctor and
//! `mamgate explain` all read these entries; code names an entry by its [`ErrorId`] variant.

use serde::Serialize;

/// Whether the mobile app retries after this error (the seed's "Retry" column).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Retry {
    No,
    /// "Yes (1x)": one automatic or user retry with a fresh token.
    Once,
    Yes,
}

impl Retry {
    /// The seed's wording.
    pub fn as_str(self) -> &'static str {
        match self {
            Retry::No => "no",
            Retry::Once => "yes (1x)",
            Retry::Yes => "yes",
        }
    }
}

/// What the mobile app falls back to (the seed's "Fallback" column).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Fallback {
    None,
    /// The non-Intune version of the configured sign-in method, as if Intune MAM were off.
    WebSso,
}

impl Fallback {
    /// The seed's wording.
    pub fn as_str(self) -> &'static str {
        match self {
            Fallback::None => "none",
            Fallback::WebSso => "web SSO",
        }
    }
}

/// What kind of thing the entry describes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Kind {
    /// An AppError the server sends.
    Server,
    /// A configuration validation error (HTTP 400 on save).
    Config,
    /// An error raised by Entra ID (an AADSTS code) on the device.
    Entra,
    /// An Intune enrollment outcome on the device.
    Enrollment,
}

/// One catalog entry.
#[derive(Debug, Clone, Serialize)]
pub struct Entry {
    pub id: &'static str,
    pub kind: Kind,
    /// HTTP status, where the error travels over HTTP.
    pub status: Option<u16>,
    /// The text the server sends (what the mobile app shows verbatim).
    pub message: &'static str,
    /// The seed's user-facing text; "(silent)" when the app shows nothing.
    pub user_message: &'static str,
    pub retry: Retry,
    pub fallback: Fallback,
    pub cause: &'static str,
    pub next_steps: &'static str,
    pub admin_checks: &'static str,
}

macro_rules! catalog {
    ($( $(#[$doc:meta])* $variant:ident => {
        id: $id:literal, kind: $kind:ident, status: $status:expr, message: $message:literal,
        user: $user:literal, retry: $retry:ident, fallback: $fallback:ident,
        cause: $cause:literal, next: $next:literal, checks: $checks:literal $(,)?
    } ),* $(,)?) => {
        /// Names every catalog entry; `ErrorId::X.entry()` is its definition.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        pub enum ErrorId { $( $(#[$doc])* $variant, )* }

        impl ErrorId {
            /// Every entry, in catalog order.
            pub const ALL: &'static [ErrorId] = &[ $( ErrorId::$variant, )* ];

            /// The catalog entry.
            pub fn entry(self) -> &'static Entry {
                match self { $( ErrorId::$variant => {
                    static E: Entry = Entry {
                        id: $id, kind: Kind::$kind, status: $status, message: $message,
                        user_message: $user, retry: Retry::$retry, fallback: Fallback::$fallback,
                        cause: $cause, next_steps: $next, admin_checks: $checks,
                    };
                    &E
                } )* }
            }
        }
    };
}

catalog! {
    /// Body not JSON / required field missing / bad voip_device_id (the message names the field).
    InvalidBodyParam => {
        id: "api.context.invalid_body_param.app_error", kind: Server, status: Some(400),
        message: "Invalid or missing {{.Name}} in request body.",
        user: "(client error)", retry: No, fallback: None,
        cause: "The request body is not a JSON object or a required field is missing or malformed.",
        next: "Send a JSON object with a non-empty access_token; device ids must look like <prefix>:<token>.",
        checks: "Check the client version and any proxy that rewrites request bodies.",
    },
    /// The binary was built without Intune support.
    IntuneNotAvailable => {
        id: "api.user.login_by_intune.not_available.app_error", kind: Server, status: Some(501),
        message: "Microsoft Intune authentication is not available.",
        user: "(silent)", retry: No, fallback: WebSso,
        cause: "The server does not support Intune MAM (feature not available in this build or not enabled for the deployment).",
        next: "Confirm the server version/build includes Intune MAM support and that the deployment is licensed for Enterprise Advanced.",
        checks: "Have the user sign in via web/desktop while the server is updated or configuration is corrected.",
    },
    /// IntuneSettings.Enable is off or IntuneSettings are invalid.
    IntuneNotConfigured => {
        id: "api.user.login_by_intune.not_configured.app_error", kind: Server, status: Some(400),
        message: "Microsoft Intune authentication is not configured.",
        user: "(silent)", retry: No, fallback: WebSso,
        cause: "Intune MAM is not fully configured in System Console > Environment > Mobile Security.",
        next: "Enable Microsoft Intune MAM and ensure Tenant ID, Application (Client) ID, and Auth Provider are set correctly.",
        checks: "Confirm the selected auth provider is Entra-backed and that required permissions/admin consent have been granted for the Entra app registration. Have the user sign in via web/desktop while configuration is completed.",
    },
    /// The user is a bot.
    BotLoginForbidden => {
        id: "api.user.login_by_intune.bot_login_forbidden.app_error", kind: Server, status: Some(403),
        message: "Bot accounts cannot sign in using Microsoft authentication.",
        user: "Bot accounts cannot sign in using this method.", retry: No, fallback: None,
        cause: "Bot accounts are not allowed to authenticate via Intune MAM.",
        next: "Use a human user account for Intune MAM enrollment and access.",
        checks: "Check that the objectId is not mapped to a bot account.",
    },
    /// The user is deactivated.
    AccountLocked => {
        id: "api.user.login_by_intune.account_locked.app_error", kind: Server, status: Some(409),
        message: "Your account has been deactivated. Please contact your system administrator.",
        user: "Your account has been deactivated. Please contact your administrator.", retry: No, fallback: None,
        cause: "The user is deleted, disabled, or locked in Mattermost.",
        next: "Re-enable or restore the user account in Mattermost, then retry sign-in and enrollment.",
        checks: "Check the user's status in System Console > Users (delete_at must be 0).",
    },
    /// No Enterprise Advanced license, or the chosen provider is not enabled.
    LoginNotConfigured => {
        id: "ent.intune.login.not_configured.app_error", kind: Server, status: Some(403),
        message: "Microsoft Intune authentication is not configured.",
        user: "(silent)", retry: No, fallback: WebSso,
        cause: "Intune MAM is not configured for the requested authentication path (license below Enterprise Advanced, configuration incomplete, or the selected provider is not enabled).",
        next: "Confirm Intune MAM is enabled and configured, the server holds an Enterprise Advanced license, and the selected Auth Provider matches how users authenticate (OIDC vs SAML).",
        checks: "Have the user sign in via web/desktop while configuration is corrected.",
    },
    /// The oid is not a GUID, or the provider does not key users by objectId.
    ExtractAuthData => {
        id: "ent.intune.login.extract_auth_data.app_error", kind: Server, status: Some(400),
        message: "Authentication failed. Please try again or contact your system administrator.",
        user: "We couldn't complete your sign in. Please try again.", retry: Once, fallback: None,
        cause: "The server couldn't extract or map the identity attribute required for Intune MAM (commonly IdAttribute is misconfigured or the token is not MSAL v2).",
        next: "Ensure IdAttribute = objectId, then confirm identity alignment (objectId <-> oid).",
        checks: "Verify the Entra app registration is configured to issue v2 tokens and includes accessTokenAcceptedVersion = 2.",
    },
    /// SAML user not provisioned yet.
    AccountNotFound => {
        id: "ent.intune.login.account_not_found.app_error", kind: Server, status: Some(428),
        message: "Your account isn't fully set up yet. Please sign in to Mattermost via the web or desktop app first.",
        user: "Your account isn't fully set up yet. Please sign in to Mattermost via the web or desktop app first.", retry: No, fallback: None,
        cause: "When SAML is the selected provider for Intune MAM enforcement, mobile sign-in cannot create a new user.",
        next: "Have the user sign in once via the web or desktop app to create/provision the account, then retry mobile sign-in.",
        checks: "Ensure provisioning is in place (SAML JIT via web/desktop, LDAP sync, or another provisioning method) with AuthData = objectId.",
    },
    /// Signing keys cannot be obtained.
    JwksInit => {
        id: "ent.intune.validate_token.jwks_init.app_error", kind: Server, status: Some(500),
        message: "Authentication service initialization failed. Please contact your system administrator.",
        user: "Authentication service initialization failed. Please contact your system administrator.", retry: No, fallback: None,
        cause: "Failed to initialize JWKS (JSON Web Key Set) from Microsoft's OpenID configuration: discovery or the keys endpoint is unreachable and no keys are cached.",
        next: "Check that the server reaches {AuthorityHost}/{TenantId}/v2.0/.well-known/openid-configuration and its jwks_uri.",
        checks: "Check outbound HTTPS, proxies and IntuneSettings.AuthorityHost (the cloud of the tenant).",
    },
    /// Token malformed, bad signature, wrong issuer/audience/version/scope.
    InvalidToken => {
        id: "ent.intune.validate_token.invalid_token.app_error", kind: Server, status: Some(400),
        message: "Authentication failed. Please try again.",
        user: "We couldn't verify your sign in. Please try again.", retry: Once, fallback: None,
        cause: "Token validation failed (token malformed, wrong issuer/audience, missing permissions, or Entra configuration mismatch).",
        next: "Verify the configured Tenant ID and Application (Client) ID match the Entra app that issued the token.",
        checks: "Confirm tenant-wide admin consent for required Intune MAM permissions; confirm the app registration issues MSAL v2 access tokens (accessTokenAcceptedVersion = 2); confirm identity alignment (objectId <-> oid).",
    },
    /// Token expired (401 so that the app retries once with a fresh token).
    TokenExpired => {
        id: "ent.intune.validate_token.token_expired.app_error", kind: Server, status: Some(401),
        message: "Authentication session has expired. Please try signing in again.",
        user: "Your sign in session has expired. Please try signing in again.", retry: Once, fallback: None,
        cause: "The access token or interactive session expired during sign-in/enrollment.",
        next: "Have the user sign in again and complete enrollment promptly.",
        checks: "If repeated, validate the device has network access to Entra/Intune endpoints, its clock is right, and that enrollment prompts are not being blocked.",
    },
    /// oid or tid missing.
    MissingClaims => {
        id: "ent.intune.validate_token.missing_claims.app_error", kind: Server, status: Some(400),
        message: "Authentication failed. Required user information is missing.",
        user: "We couldn't complete your sign in. Please contact your IT administrator.", retry: No, fallback: None,
        cause: "Required claims are missing from the access token (most commonly oid).",
        next: "Ensure MSAL v2 tokens are issued (accessTokenAcceptedVersion = 2) and confirm the enforced provider uses IdAttribute = objectId. Then confirm identity alignment (objectId <-> oid).",
        checks: "Confirm accessTokenAcceptedVersion = 2 in the app manifest; confirm IdAttribute = objectId for the enforced provider; confirm identity alignment (objectId <-> oid).",
    },
    /// Token of another tenant.
    InvalidTenantId => {
        id: "ent.intune.validate_token.invalid_tenant_id.app_error", kind: Server, status: Some(400),
        message: "Authentication failed. Invalid configuration.",
        user: "There was a configuration issue. Please contact your IT administrator.", retry: No, fallback: None,
        cause: "The token was issued by a different tenant than the one configured in Mattermost (tenant mismatch).",
        next: "Verify the Tenant ID configured in the System Console matches the Entra tenant issuing MSAL tokens for Mattermost Mobile.",
        checks: "Confirm the user is authenticating against the expected tenant and that the mobile configuration points to the correct environment.",
    },
    /// JIT creation found another account owning the email.
    AlreadyAttached => {
        id: "api.user.create_oauth_user.already_attached.app_error", kind: Server, status: Some(400),
        message: "There is already an account associated with that email address using a sign in method other than office365. Please sign in using that method.",
        user: "There is already an account associated with that email address.", retry: No, fallback: None,
        cause: "A different account already owns the email of the signing-in Entra user.",
        next: "Convert the existing account to AuthService=office365 with AuthData=<objectId>, or change its email.",
        checks: "Look up the email in System Console > Users; confirm identity alignment (objectId <-> oid).",
    },
    /// Session missing, expired or revoked.
    SessionExpired => {
        id: "api.context.session_expired.app_error", kind: Server, status: Some(401),
        message: "Invalid or expired session, please login again.",
        user: "Invalid or expired session, please login again.", retry: No, fallback: None,
        cause: "The request carried no valid session: token unknown, expired or revoked, or the CSRF header is missing.",
        next: "Sign in again.", checks: "Check SessionLength* settings and whether the user was deactivated.",
    },
    /// The session lacks a needed permission (system admin).
    PermissionDenied => {
        id: "api.context.permissions.app_error", kind: Server, status: Some(403),
        message: "You do not have the appropriate permissions.",
        user: "You do not have the appropriate permissions.", retry: No, fallback: None,
        cause: "The action needs the system_admin role.", next: "Sign in as a system administrator.",
        checks: "Check the user's roles.",
    },
    /// Password login failed.
    InvalidCredentials => {
        id: "api.user.login.invalid_credentials_email_username", kind: Server, status: Some(401),
        message: "Enter a valid email or username and/or password.",
        user: "Enter a valid email or username and/or password.", retry: Yes, fallback: None,
        cause: "Unknown login id, wrong password, or an account without a local password (SSO account).",
        next: "Check the login id and password; SSO accounts sign in through their provider.", checks: "-",
    },
    /// The addressed resource does not exist.
    NotFound => {
        id: "app.user.missing_account.const", kind: Server, status: Some(404),
        message: "Unable to find the user.",
        user: "Unable to find the user.", retry: No, fallback: None,
        cause: "No user with that id.", next: "Check the id.", checks: "-",
    },
    /// Username, email or (auth_service, auth_data) already taken.
    UserExists => {
        id: "app.user.save.existing.app_error", kind: Server, status: Some(400),
        message: "An account with that username, email or authentication data already exists.",
        user: "An account with that username or email already exists.", retry: No, fallback: None,
        cause: "A unique field of the new user collides with an existing account.",
        next: "Choose another username or email, or update the existing account.", checks: "-",
    },
    /// A user field is invalid.
    InvalidUser => {
        id: "model.user.is_valid.app_error", kind: Server, status: Some(400),
        message: "Invalid user.",
        user: "Invalid user.", retry: No, fallback: None,
        cause: "A user field (username, email, auth_data, password) is missing or malformed.",
        next: "Fix the field named in detailed_error.", checks: "-",
    },
    /// A license file is badly signed, malformed or untrusted.
    LicenseInvalid => {
        id: "api.license.add_license.invalid.app_error", kind: Server, status: Some(400),
        message: "Invalid license file.",
        user: "Invalid license file.", retry: No, fallback: None,
        cause: "The license is malformed, or its signature does not verify with any key in LicenseSettings.TrustedPublicKeys.",
        next: "Install a license issued by a trusted key, or add the issuer's public key to LicenseSettings.TrustedPublicKeys.",
        checks: "Compare the license issuer key with the trusted keys (mamgate license show).",
    },
    /// A license file has expired.
    LicenseExpired => {
        id: "api.license.add_license.expired.app_error", kind: Server, status: Some(400),
        message: "License is either expired or has not yet started.",
        user: "License is either expired or has not yet started.", retry: No, fallback: None,
        cause: "The license's expiry date has passed (or its start date is in the future).",
        next: "Install a current license.", checks: "-",
    },
    /// Bad request parameter (URL or query).
    InvalidUrlParam => {
        id: "api.context.invalid_url_param.app_error", kind: Server, status: Some(400),
        message: "Invalid or missing {{.Name}} parameter in request URL.",
        user: "(client error)", retry: No, fallback: None,
        cause: "A URL or query parameter is missing or malformed.", next: "Fix the request.", checks: "-",
    },
    /// Office 365 web sign-in is not enabled or not configured.
    OAuthUnsupported => {
        id: "api.user.authorize_oauth_user.unsupported.app_error", kind: Server, status: Some(400),
        message: "Office 365 sign-in is not enabled on this server.",
        user: "Office 365 sign-in is not enabled on this server.", retry: No, fallback: None,
        cause: "Office365Settings.Enable is false, or Office365Settings.Id / the tenant id is missing.",
        next: "Enable Office365Settings with the app registration's Application (client) ID, secret and Directory (tenant) ID.",
        checks: "Office365Settings.Id, Office365Settings.Secret, Office365Settings.DirectoryId (or IntuneSettings.TenantId).",
    },
    /// The OAuth state of a web sign-in is missing, unknown or reused.
    OAuthInvalidState => {
        id: "api.oauth.invalid_state_token.app_error", kind: Server, status: Some(400),
        message: "Invalid state token.",
        user: "The sign-in took too long or was started elsewhere. Please try again.", retry: Yes, fallback: None,
        cause: "The callback's state does not match the one set when the sign-in started (expired, reused or forged).",
        next: "Start the sign-in again from the login page.", checks: "-",
    },
    /// Exchanging the authorization code or reading Graph /me failed.
    OAuthProviderFailed => {
        id: "api.user.authorize_oauth_user.token_failed.app_error", kind: Server, status: Some(400),
        message: "Token request to Office 365 failed.",
        user: "Sign-in with Office 365 failed. Please try again.", retry: Yes, fallback: None,
        cause: "Entra refused the authorization code or client secret, or Microsoft Graph /v1.0/me could not be read.",
        next: "Check Office365Settings.Id and Secret, the redirect URI registered for the app ({SiteURL}/signup/office365/complete) and consent for User.Read.",
        checks: "Entra admin center > App registrations > Authentication and Certificates & secrets.",
    },
    /// No such route.
    RouteNotFound => {
        id: "api.context.404.app_error", kind: Server, status: Some(404),
        message: "Sorry, we could not find the page.",
        user: "(client error)", retry: No, fallback: None,
        cause: "The URL names no endpoint of this server.", next: "Check the URL and the server version.", checks: "-",
    },
    /// The request's feature is not wired in this build or deployment.
    NotImplemented => {
        id: "api.context.not_implemented.app_error", kind: Server, status: Some(501),
        message: "This feature is not available on this server.",
        user: "(client error)", retry: No, fallback: None,
        cause: "The endpoint exists in Mattermost but is not part of mamgate's subset.", next: "-", checks: "-",
    },
    /// The store failed (an internal error, never a client mistake).
    StoreFailure => {
        id: "app.store.internal.app_error", kind: Server, status: Some(500),
        message: "An internal error occurred. Please try again later.",
        user: "An internal error occurred.", retry: Yes, fallback: None,
        cause: "The database failed or is unreachable.", next: "Check the server log and the database.",
        checks: "Check SqlSettings.DataSource and disk space.",
    },

    // Configuration validation (CONTRACT §5), in validation order.
    /// IntuneSettings.TenantId empty.
    ConfigIntuneTenantId => {
        id: "model.config.is_valid.intune_tenant_id.app_error", kind: Config, status: Some(400),
        message: "Intune MAM Tenant ID is required when Intune is enabled.",
        user: "(admin only)", retry: No, fallback: None,
        cause: "IntuneSettings.Enable is true but TenantId is empty.",
        next: "Copy the Directory (tenant) ID from the Entra app registration overview.", checks: "-",
    },
    /// IntuneSettings.TenantId not a UUID.
    ConfigIntuneTenantIdFormat => {
        id: "model.config.is_valid.intune_tenant_id_format.app_error", kind: Config, status: Some(400),
        message: "Intune MAM Tenant ID must be a valid UUID.",
        user: "(admin only)", retry: No, fallback: None,
        cause: "TenantId is not of the form 8-4-4-4-12 hexadecimal digits (a domain name is not accepted).",
        next: "Use the Directory (tenant) ID GUID, not the tenant's domain.", checks: "-",
    },
    /// IntuneSettings.ClientId empty.
    ConfigIntuneClientId => {
        id: "model.config.is_valid.intune_client_id.app_error", kind: Config, status: Some(400),
        message: "Intune MAM Client ID is required when Intune is enabled.",
        user: "(admin only)", retry: No, fallback: None,
        cause: "IntuneSettings.Enable is true but ClientId is empty.",
        next: "Copy the Application (client) ID from the Entra app registration overview.", checks: "-",
    },
    /// IntuneSettings.ClientId not a UUID.
    ConfigIntuneClientIdFormat => {
        id: "model.config.is_valid.intune_client_id_format.app_error", kind: Config, status: Some(400),
        message: "Intune MAM Client ID must be a valid UUID.",
        user: "(admin only)", retry: No, fallback: None,
        cause: "ClientId is not a UUID (the Application ID URI api://... is not accepted).",
        next: "Use the Application (client) ID GUID.", checks: "-",
    },
    /// IntuneSettings.AuthService empty.
    ConfigIntuneAuthService => {
        id: "model.config.is_valid.intune_auth_service.app_error", kind: Config, status: Some(400),
        message: "Intune MAM Auth Service is required when Intune is enabled.",
        user: "(admin only)", retry: No, fallback: None,
        cause: "IntuneSettings.Enable is true but AuthService is empty.",
        next: "Choose office365 or saml: the provider your users already sign in with.", checks: "-",
    },
    /// IntuneSettings.AuthService not office365/saml.
    ConfigIntuneAuthServiceInvalid => {
        id: "model.config.is_valid.intune_auth_service_invalid.app_error", kind: Config, status: Some(400),
        message: "Intune MAM Auth Service must be either 'office365' or 'saml'.",
        user: "(admin only)", retry: No, fallback: None,
        cause: "AuthService is neither exactly 'office365' nor exactly 'saml' (the value is case-sensitive).",
        next: "Set AuthService to office365 or saml.", checks: "-",
    },
    /// office365 chosen but Office365Settings.Enable is off.
    ConfigIntuneRequiresOffice365 => {
        id: "model.config.is_valid.intune_requires_office365.app_error", kind: Config, status: Some(400),
        message: "Intune MAM requires OpenID Connect (Office 365) to be enabled when Auth Service is set to 'office365'.",
        user: "(admin only)", retry: No, fallback: None,
        cause: "IntuneSettings.AuthService is office365 but Office365Settings.Enable is false.",
        next: "Enable and configure Office365Settings, or choose saml.", checks: "-",
    },
    /// saml chosen but SamlSettings.Enable is off.
    ConfigIntuneRequiresSaml => {
        id: "model.config.is_valid.intune_requires_saml.app_error", kind: Config, status: Some(400),
        message: "Intune MAM requires SAML to be enabled when Auth Service is set to 'saml'.",
        user: "(admin only)", retry: No, fallback: None,
        cause: "IntuneSettings.AuthService is saml but SamlSettings.Enable is false.",
        next: "Enable and configure SamlSettings, or choose office365.", checks: "-",
    },
    /// IntuneSettings.AuthorityHost is not an http(s) URL.
    ConfigIntuneAuthorityHost => {
        id: "model.config.is_valid.intune_authority_host.app_error", kind: Config, status: Some(400),
        message: "Intune MAM Authority Host must be an http or https URL without a path.",
        user: "(admin only)", retry: No, fallback: None,
        cause: "IntuneSettings.AuthorityHost is not a URL such as https://login.microsoftonline.com.",
        next: "Use https://login.microsoftonline.com, https://login.microsoftonline.us, https://login.partner.microsoftonline.cn or the emulator's URL.", checks: "-",
    },
    /// LDAP sync refuses `objectGUID` as IdAttribute.
    LdapObjectGuid => {
        id: "ent.ldap.sync.object_guid_id_attribute.app_error", kind: Server, status: Some(400),
        message: "LDAP IdAttribute objectGUID cannot be used with Intune MAM: use msDS-aadObjectId.",
        user: "(admin only)", retry: No, fallback: None,
        cause: "objectGUID is the directory's own binary GUID with a different byte order, not the Entra objectId: it breaks mobile authentication.",
        next: "Set LdapSettings.IdAttribute to msDS-aadObjectId.", checks: "-",
    },
    /// A setting has the wrong JSON type.
    ConfigInvalidJson => {
        id: "model.config.is_valid.json.app_error", kind: Config, status: Some(400),
        message: "The configuration is not valid JSON of the expected shape.",
        user: "(admin only)", retry: No, fallback: None,
        cause: "A setting has the wrong type (for example a string where a boolean is expected).",
        next: "Fix the setting named in detailed_error.", checks: "-",
    },

    // Seed table rows that are not server AppErrors.
    /// Intune enrollment failed for a technical reason.
    EnrollmentFailed => {
        id: "Enrollment Failed", kind: Enrollment, status: None,
        message: "Intune MAM enrollment failed due to a technical error.",
        user: "Enrollment Failed", retry: No, fallback: None,
        cause: "Enrollment could not be completed due to a technical failure (MSAL error, Intune enrollment API failure, identity mismatch, or missing Entra permissions). The server is removed immediately and there is no retry option.",
        next: "Fix the underlying issue, then have the user re-add the server in the mobile app.",
        checks: "Verify IdAttribute = objectId; confirm identity alignment (objectId <-> oid); confirm tenant-wide admin consent; confirm App Protection Policy targets the user and app bundle ID.",
    },
    /// The user declined enrollment.
    EnrollmentDeclined => {
        id: "Enrollment Declined", kind: Enrollment, status: None,
        message: "User declined Intune MAM enrollment.",
        user: "Enrollment Declined", retry: Yes, fallback: None,
        cause: "The user canceled the enrollment prompt. A Retry option is shown.",
        next: "Instruct the user to retry enrollment when ready.",
        checks: "No server data is removed unless a later technical enrollment failure occurs.",
    },
    /// The client app lacks the MAM permission (or its consent).
    Aadsts650057 => {
        id: "AADSTS650057", kind: Entra, status: None,
        message: "Invalid resource. The client has requested access to a resource which isn't listed in the requested permissions in the client's application registration.",
        user: "AADSTS650057 (invalid_resource)", retry: No, fallback: None,
        cause: "Required Intune MAM API permissions are missing or do not have tenant-wide admin consent.",
        next: "Add and grant admin consent for https://msmamservice.api.application/.default and Microsoft Mobile Application Management -> user_impersonation (Delegated), as required.",
        checks: "Confirm admin consent was granted under the Enterprise application (service principal), then have the user retry sign-in.",
    },
    /// Consent for a delegated permission does not exist.
    Aadsts65001 => {
        id: "AADSTS65001", kind: Entra, status: None,
        message: "The user or administrator has not consented to use the application.",
        user: "AADSTS65001 (invalid_grant)", retry: No, fallback: None,
        cause: "DelegationDoesNotExist: no consent for the requested scope (tenant-wide admin consent missing).",
        next: "Grant tenant-wide admin consent for the app registration's API permissions.",
        checks: "Entra admin center > App registrations > API permissions > Grant admin consent.",
    },
    /// The resource's service principal does not exist in the tenant.
    Aadsts500011 => {
        id: "AADSTS500011", kind: Entra, status: None,
        message: "The resource principal was not found in the tenant.",
        user: "AADSTS500011 (invalid_resource)", retry: No, fallback: None,
        cause: "InvalidResourceServicePrincipalNotFound: the requested resource (the server's app or Intune) has no service principal in the tenant.",
        next: "Check the Application ID URI (api://<ClientId>) and that Intune is provisioned for the tenant.", checks: "-",
    },
    /// AADSTS700016.
    Aadsts700016 => {
        id: "AADSTS700016", kind: Entra, status: None,
        message: "UnauthorizedClient_DoesNotMatchRequest: the application was not found in the directory.",
        user: "AADSTS700016 (unauthorized_client)", retry: No, fallback: None,
        cause: "The client id the app presents is not registered in (or consented to) the tenant: a custom or re-signed build, or a typo in a client id.",
        next: "Use the official Mattermost mobile apps (production 9ac649f1-4f77-44d6-9792-b2f54ab3c9a7, beta 64e9952b-20eb-46dc-92ad-99089ed24903); other distributions are not supported for Intune MAM.",
        checks: "Entra admin center > Enterprise applications: the client must exist or be consentable in the tenant.",
    },
    /// AADSTS70011.
    Aadsts70011 => {
        id: "AADSTS70011", kind: Entra, status: None,
        message: "InvalidScope: the provided scope is not valid.",
        user: "AADSTS70011 (invalid_scope)", retry: No, fallback: None,
        cause: "The requested scope is not exposed by the app registration (the login.mattermost scope is missing, disabled or misspelled), or IntuneScope points at another Application ID URI.",
        next: "Expose the API with Application ID URI api://<ClientId> and add the scope login.mattermost; check IntuneSettings.ClientId.",
        checks: "Entra admin center > App registrations > Expose an API.",
    },
    /// AADSTS700022.
    Aadsts700022 => {
        id: "AADSTS700022", kind: Entra, status: None,
        message: "InvalidMultipleResourcesScope: the scope requests more than one resource.",
        user: "AADSTS700022 (invalid_scope)", retry: No, fallback: None,
        cause: "One token request named scopes of two different resources.",
        next: "Request one resource's scopes per token (the app asks for IntuneScope alone).",
        checks: "-",
    },
    /// AADSTS50034.
    Aadsts50034 => {
        id: "AADSTS50034", kind: Entra, status: None,
        message: "UserAccountNotFound: the user account does not exist in the directory.",
        user: "AADSTS50034 (invalid_grant)", retry: No, fallback: None,
        cause: "The person signs in with an account that is not in the tenant.",
        next: "Sign in with an account of the tenant configured in IntuneSettings.TenantId.",
        checks: "Entra admin center > Users.",
    },
    /// AADSTS90002.
    Aadsts90002 => {
        id: "AADSTS90002", kind: Entra, status: None,
        message: "InvalidTenantName: the tenant was not found.",
        user: "AADSTS90002 (invalid_request)", retry: No, fallback: None,
        cause: "The tenant id or domain in the authority URL does not exist (for the server: IntuneSettings.TenantId or AuthorityHost points at the wrong tenant or cloud).",
        next: "Copy the Directory (tenant) ID again; for US Government or China use that cloud's AuthorityHost.",
        checks: "-",
    },
    /// AADSTS50011.
    Aadsts50011 => {
        id: "AADSTS50011", kind: Entra, status: None,
        message: "InvalidReplyTo: the redirect URI does not match the redirect URIs configured for the application.",
        user: "AADSTS50011 (invalid_request)", retry: No, fallback: None,
        cause: "The redirect URI of the request (msauth.<bundle>://auth for the app, {SiteURL}/signup/office365/complete for web sign-in) is not registered.",
        next: "Register the exact redirect URI on the app registration (Authentication blade).",
        checks: "-",
    },
    /// AADSTS70000.
    Aadsts70000 => {
        id: "AADSTS70000", kind: Entra, status: None,
        message: "InvalidGrant: the authorization code is not valid, was already used, or belongs to another client.",
        user: "AADSTS70000 (invalid_grant)", retry: No, fallback: None,
        cause: "An authorization code was redeemed twice, by another client, or with another redirect URI.",
        next: "Start the sign-in again.",
        checks: "-",
    },
    /// AADSTS70008.
    Aadsts70008 => {
        id: "AADSTS70008", kind: Entra, status: None,
        message: "ExpiredOrRevokedGrant: the authorization code or refresh token has expired.",
        user: "AADSTS70008 (invalid_grant)", retry: No, fallback: None,
        cause: "The code waited too long before being redeemed (about 10 minutes), or the refresh token expired.",
        next: "Start the sign-in again.",
        checks: "-",
    },
    /// AADSTS70003.
    Aadsts70003 => {
        id: "AADSTS70003", kind: Entra, status: None,
        message: "UnsupportedGrantType: the app asked for a grant type Entra does not support for it.",
        user: "AADSTS70003 (unsupported_grant_type)", retry: No, fallback: None,
        cause: "The token request used a grant type the app registration does not allow.",
        next: "Check the client's grant type (public clients use the authorization code flow with PKCE).",
        checks: "-",
    },
    /// AADSTS900144.
    Aadsts900144 => {
        id: "AADSTS900144", kind: Entra, status: None,
        message: "The request body must contain a required parameter.",
        user: "AADSTS900144 (invalid_request)", retry: No, fallback: None,
        cause: "A token or authorize request lacks a required parameter (client_id, redirect_uri, grant_type, scope).",
        next: "Fix the request.",
        checks: "-",
    },
    /// The tenant has no Intune license for the user.
    NotLicensed => {
        id: "NotLicensed", kind: Enrollment, status: None,
        message: "The server is not licensed for Intune MAM enforcement.",
        user: "(varies)", retry: No, fallback: None,
        cause: "Enterprise Advanced licensing is missing or not applied to the server, or the user has no Intune license.",
        next: "Apply an Enterprise Advanced license to the server and confirm the license is active; assign an Intune license to the user.", checks: "-",
    },
    /// No app protection policy targets the user and bundle id.
    NotTargeted => {
        id: "NotTargeted", kind: Enrollment, status: None,
        message: "No App Protection Policy targets this user and app.",
        user: "Enrollment Failed", retry: No, fallback: None,
        cause: "No iOS App Protection Policy for the app's bundle id is assigned to a group the user is in (policies of com.mattermost.rn do not apply to com.mattermost.rnbeta).",
        next: "Create one policy per bundle id and assign it to the user's groups, then have the user re-add the server.",
        checks: "Intune admin center > Apps > App protection policies: targeted apps and assignments.",
    },
    /// Server-side gating (HTTP 403).
    Http403 => {
        id: "HTTP 403", kind: Server, status: Some(403),
        message: "Server-side access is blocked.",
        user: "(varies)", retry: No, fallback: None,
        cause: "A server gating condition is preventing enrollment (not an Intune service failure).",
        next: "Verify Enterprise Advanced licensing, Intune MAM is enabled, Auth Provider selection matches how users authenticate, Tenant ID and Client ID are valid, admin consent is granted, and IntuneScope is set. Then confirm identity alignment (objectId <-> oid).",
        checks: "Confirm provider selection (OIDC vs SAML); confirm IdAttribute = objectId for the enforced provider; confirm identity alignment (objectId <-> oid); confirm the user is licensed for Intune and targeted by an App Protection Policy for the correct bundle ID.",
    },
    /// SAML web sign-in is off, or SamlSettings lack what it needs.
    SamlNotEnabled => {
        id: "api.user.saml.not_enabled.app_error", kind: Server, status: Some(501),
        message: "SAML 2.0 is not configured or supported on this server.",
        user: "SAML sign-in is not available on this server.", retry: No, fallback: None,
        cause: "SamlSettings.Enable is false, or one of IdpURL, IdpDescriptorURL, ServiceProviderIdentifier, IdpCertificateFile, IdAttribute is empty, or the IdP certificate file cannot be read as a PEM certificate.",
        next: "Enable SAML and fill SamlSettings from the Entra enterprise application's SAML page: Login URL (IdpURL), Microsoft Entra Identifier (IdpDescriptorURL), Identifier (ServiceProviderIdentifier), the Certificate (Base64) saved as IdpCertificateFile, IdAttribute = http://schemas.microsoft.com/identity/claims/objectidentifier.",
        checks: "The IdpCertificateFile path (relative paths are relative to the server's working directory) and that the file holds -----BEGIN CERTIFICATE-----.",
    },
    /// The SAMLResponse is malformed, unsigned, signed by another key, expired or for another audience.
    SamlResponseInvalid => {
        id: "ent.saml.do_login.invalid_response.app_error", kind: Server, status: Some(400),
        message: "The SAML response is not valid.",
        user: "SAML sign-in failed. Please try again or contact your administrator.", retry: No, fallback: None,
        cause: "The SAMLResponse could not be decoded, is not signed (Response or Assertion) by the certificate in SamlSettings.IdpCertificateFile, is outside its NotBefore/NotOnOrAfter window (300 s skew), names another Audience than SamlSettings.ServiceProviderIdentifier, another Issuer than SamlSettings.IdpDescriptorURL, or another Destination/Recipient than the ACS URL.",
        next: "Compare the Entra enterprise application's SAML settings with SamlSettings; after a certificate rollover save the new certificate as IdpCertificateFile; check the server clock.",
        checks: "Entra admin center > Enterprise applications > Single sign-on: Identifier, Reply URL ({SiteURL}/login/sso/saml), SAML Signing Certificate (RSA-SHA256).",
    },
    /// The Response answers no pending AuthnRequest of this server (unknown, expired or replayed).
    SamlRequestUnknown => {
        id: "ent.saml.do_login.invalid_in_response_to.app_error", kind: Server, status: Some(400),
        message: "The SAML response does not answer a sign-in started on this server, or was already used.",
        user: "The sign-in took too long or was already completed. Please try again.", retry: Yes, fallback: None,
        cause: "InResponseTo names an AuthnRequest this server did not send, sent more than 10 minutes ago, or already consumed (a replayed response), or the sign-in was IdP-initiated.",
        next: "Start the sign-in from the Mattermost login page (SP-initiated), not from My Apps.",
        checks: "With several nodes, the ACS POST must reach the node that sent the AuthnRequest (sticky sessions).",
    },
    /// The assertion lacks the IdAttribute or the EmailAttribute (or the id is not an objectId).
    SamlMissingAttribute => {
        id: "ent.saml.do_login.missing_attribute.app_error", kind: Server, status: Some(400),
        message: "The SAML assertion lacks a required attribute.",
        user: "SAML sign-in failed. Please contact your administrator.", retry: No, fallback: None,
        cause: "The assertion carries no attribute named by SamlSettings.IdAttribute (or its value is not an objectId GUID) or by SamlSettings.EmailAttribute.",
        next: "Add the claim in Entra (Attributes & Claims) or fix the attribute names in SamlSettings; IdAttribute must be http://schemas.microsoft.com/identity/claims/objectidentifier for Intune.",
        checks: "Entra admin center > Enterprise applications > Single sign-on > Attributes & Claims; confirm identity alignment (objectId <-> oid).",
    },
    /// The SAML user's email belongs to another account.
    SamlAlreadyAttached => {
        id: "ent.saml.do_login.already_attached.app_error", kind: Server, status: Some(400),
        message: "There is already an account associated with that email address using a sign in method other than SAML. Please sign in using that method.",
        user: "There is already an account associated with that email address.", retry: No, fallback: None,
        cause: "A different account already owns the email of the signing-in SAML user.",
        next: "Convert the existing account to AuthService=saml with AuthData=<objectId>, or change its email.",
        checks: "Look up the email in System Console > Users; confirm identity alignment (objectId <-> oid).",
    },
    /// LdapSettings lack what a sync needs (server, BaseDN, IdAttribute) or ask for TLS.
    LdapNotConfigured => {
        id: "ent.ldap.sync.not_configured.app_error", kind: Server, status: Some(400),
        message: "LDAP synchronization is not configured.",
        user: "(admin only)", retry: No, fallback: None,
        cause: "One of LdapSettings.LdapServer, BaseDN, IdAttribute, UsernameAttribute or EmailAttribute is empty, or ConnectionSecurity is not one of \"\", TLS (LDAPS) or STARTTLS.",
        next: "Fill LdapSettings (IdAttribute = msDS-aadObjectId for Intune) and set ConnectionSecurity to TLS or STARTTLS for Entra Domain Services' secure LDAP.", checks: "-",
    },
    /// The LDAP server could not be reached.
    LdapUnableToConnect => {
        id: "ent.ldap.do_login.unable_to_connect.app_error", kind: Server, status: Some(500),
        message: "Unable to connect to the LDAP server.",
        user: "(admin only)", retry: Yes, fallback: None,
        cause: "The TCP connection to LdapSettings.LdapServer:LdapPort failed or timed out.",
        next: "Check LdapServer, LdapPort and the firewall between mamgate and the directory.", checks: "ldapsearch -H ldap://SERVER:PORT -x -b '' -s base from the mamgate host.",
    },
    /// The directory refused BindUsername/BindPassword.
    LdapBindFailed => {
        id: "ent.ldap.do_login.bind_admin_user.app_error", kind: Server, status: Some(500),
        message: "Unable to bind to the LDAP server. Check BindUsername and BindPassword.",
        user: "(admin only)", retry: No, fallback: None,
        cause: "The simple bind with LdapSettings.BindUsername and BindPassword failed (wrong DN or password, expired or locked service account).",
        next: "Fix BindUsername (a full DN or UPN) and BindPassword; nothing was synchronized.", checks: "ldapwhoami -H ldap://SERVER:PORT -x -D BINDDN -W.",
    },
    /// The user search failed, so the sync changed nothing.
    LdapSearchFailed => {
        id: "ent.ldap.syncronize.search_failure.app_error", kind: Server, status: Some(500),
        message: "Unable to search the LDAP server for users.",
        user: "(admin only)", retry: Yes, fallback: None,
        cause: "The search of LdapSettings.BaseDN with UserFilter failed (bad BaseDN, bad filter syntax, size limit, connection lost); no user was created, updated or deactivated.",
        next: "Check BaseDN and UserFilter (default (objectClass=person)).", checks: "ldapsearch -H ldap://SERVER:PORT -x -D BINDDN -W -b BASEDN FILTER.",
    },
}

impl ErrorId {
    /// The wire id.
    pub fn id(self) -> &'static str {
        self.entry().id
    }

    /// HTTP status; 500 for entries that never travel over HTTP.
    pub fn status(self) -> u16 {
        self.entry().status.unwrap_or(500)
    }

    /// Finds an entry by its id (case-insensitive for AADSTS codes and outcome names).
    pub fn lookup(id: &str) -> Option<ErrorId> {
        let id = id.trim();
        ErrorId::ALL
            .iter()
            .copied()
            .find(|e| e.id() == id || e.id().eq_ignore_ascii_case(id))
    }

    /// The server message with `{{.Name}}` filled in.
    pub fn message_with_name(self, name: &str) -> String {
        self.entry().message.replace("{{.Name}}", name)
    }
}

impl std::fmt::Display for ErrorId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.id())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashSet;

    #[test]
    fn ids_are_unique() {
        let mut seen = HashSet::new();
        for e in ErrorId::ALL {
            assert!(seen.insert(e.id()), "duplicate id {}", e.id());
        }
    }

    #[test]
    fn seed_rows_are_present_with_their_statuses() {
        let rows = [
            (
                "api.user.login_by_intune.not_available.app_error",
                Some(501),
            ),
            (
                "api.user.login_by_intune.not_configured.app_error",
                Some(400),
            ),
            (
                "api.user.login_by_intune.bot_login_forbidden.app_error",
                Some(403),
            ),
            (
                "api.user.login_by_intune.account_locked.app_error",
                Some(409),
            ),
            ("ent.intune.login.not_configured.app_error", Some(403)),
            ("ent.intune.login.extract_auth_data.app_error", Some(400)),
            ("ent.intune.login.account_not_found.app_error", Some(428)),
            (
                "ent.intune.validate_token.invalid_token.app_error",
                Some(400),
            ),
            (
                "ent.intune.validate_token.token_expired.app_error",
                Some(401),
            ),
            (
                "ent.intune.validate_token.missing_claims.app_error",
                Some(400),
            ),
            (
                "ent.intune.validate_token.invalid_tenant_id.app_error",
                Some(400),
            ),
            ("ent.intune.validate_token.jwks_init.app_error", Some(500)),
            ("Enrollment Failed", None),
            ("Enrollment Declined", None),
            ("AADSTS650057", None),
            ("NotLicensed", None),
            ("HTTP 403", Some(403)),
        ];
        for (id, status) in rows {
            let e = ErrorId::lookup(id).unwrap_or_else(|| panic!("{id} missing"));
            assert_eq!(e.entry().status, status, "{id}");
        }
    }

    #[test]
    fn lookup_is_forgiving_for_codes() {
        assert_eq!(ErrorId::lookup("aadsts650057"), Some(ErrorId::Aadsts650057));
        assert_eq!(ErrorId::lookup("nope"), None);
    }
}
