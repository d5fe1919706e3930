use std::path::PathBuf;
use std::process::ExitCode;

use mamgate_core::model::roles;
use mamgate_server::accounts::{build_bot, build_user, NewUser};

/// `mamgate user ...`.
#[derive(clap::Subcommand)]
pub enum Command {
    /// Create a user (local with --password, or pre-provisioned SSO with --auth-service/--auth-data).
    Create {
        #[arg(long, default_value = super::DEFAULT_CONFIG)]
        config: PathBuf,
        #[arg(long)]
        username: String,
        #[arg(long, default_value = "")]
        email: String,
        #[arg(long, default_value = "")]
        password: String,
        /// office365, saml, ldap, or empty for a local account.
        #[arg(long, default_value = "")]
        auth_service: String,
        /// The Azure AD objectId for office365/saml users.
        #[arg(long)]
        auth_data: Option<String>,
        #[arg(long)]
        bot: bool,
        #[arg(long)]
        system_admin: bool,
    },
    /// List users.
    List {
        #[arg(long, default_value = super::DEFAULT_CONFIG)]
        config: PathBuf,
        #[arg(long, default_value_t = 0)]
        page: u32,
        #[arg(long, default_value_t = 100)]
        per_page: u32,
    },
    /// Deactivate a user (by id, username or email); their sessions are revoked.
    Deactivate {
        #[arg(long, default_value = super::DEFAULT_CONFIG)]
        config: PathBuf,
        user: String,
    },
}

pub async fn run(cmd: Command) -> anyhow::Result<ExitCode> {
    match cmd {
        Command::Create {
            config,
            username,
            email,
            password,
            auth_service,
            auth_data,
            bot,
            system_admin,
        } => {
            let cfg = super::read_config(&config)?;
            let store = super::open_store(&config, &cfg).await?;
            let mut user = if bot {
                build_bot(&username, &username)
            } else {
                let email = if email.is_empty() {
                    format!("{username}@localhost")
                } else {
                    email
                };
                build_user(NewUser {
                    username,
                    email,
                    password,
                    auth_service,
                    auth_data,
                    ..Default::default()
                })
            }
            .map_err(|e| anyhow::anyhow!("{}: {}", e.id, e.reason))?;
            if system_admin {
                user.roles = roles::ADMIN.into();
            }
            let created = store.create_user(user, false).await?;
            println!(
                "created {} ({}) roles={:?} auth_service={:?} auth_data={:?} bot={}",
                created.username,
                created.id,
                created.roles,
                created.auth_service,
                created.auth_data,
                created.is_bot
            );
            Ok(ExitCode::SUCCESS)
        }
        Command::List {
            config,
            page,
            per_page,
        } => {
            let cfg = super::read_config(&config)?;
            let store = super::open_store(&config, &cfg).await?;
            let users = store
                .list_users(mamgate_store::Page { page, per_page })
                .await?;
            println!(
                "{:<26}  {:<22}  {:<30}  {:<9}  {:<36}  flags",
                "id", "username", "email", "auth", "auth_data"
            );
            for u in users {
                let mut flags = Vec::new();
                if u.is_bot {
                    flags.push("bot");
                }
                if u.is_deactivated() {
                    flags.push("deactivated");
                }
                if u.is_system_admin() {
                    flags.push("admin");
                }
                println!(
                    "{:<26}  {:<22}  {:<30}  {:<9}  {:<36}  {}",
                    u.id,
                    u.username,
                    u.email,
                    u.auth_service,
                    u.auth_data,
                    flags.join(",")
                );
            }
            Ok(ExitCode::SUCCESS)
        }
        Command::Deactivate { config, user } => {
            let cfg = super::read_config(&config)?;
            let store = super::open_store(&config, &cfg).await?;
            let found = match store.get_user(&user).await? {
                Some(u) => Some(u),
                None => store.get_user_by_login(&user).await?,
            };
            let Some(found) = found else {
                eprintln!("no user {user:?}");
                return Ok(ExitCode::FAILURE);
            };
            let u = store
                .set_user_active(&found.id, false, super::now_ms())
                .await?;
            println!("deactivated {} ({}); sessions revoked", u.username, u.id);
            Ok(ExitCode::SUCCESS)
        }
    }
}
