use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context;
use mamgate_core::license::{self, Customer, License};

/// `mamgate license ...`.
#[derive(clap::Subcommand)]
pub enum Command {
    /// Make an Ed25519 key pair: DIR/license.key (private) and DIR/license.pub.
    Keygen {
        #[arg(long)]
        out: PathBuf,
    },
    /// Issue a signed license file.
    Issue {
        #[arg(long)]
        key: PathBuf,
        /// professional, enterprise, entry or advanced.
        #[arg(long)]
        sku: String,
        #[arg(long)]
        customer: String,
        /// Last day of validity, YYYY-MM-DD (UTC, end of day).
        #[arg(long)]
        expires: String,
        #[arg(long)]
        out: PathBuf,
    },
    /// Verify a license against the config's trusted keys and install it in the store.
    Install {
        #[arg(long, default_value = super::DEFAULT_CONFIG)]
        config: PathBuf,
        license: PathBuf,
    },
    /// Show the installed license (or a license file's content).
    Show {
        #[arg(long, default_value = super::DEFAULT_CONFIG)]
        config: PathBuf,
        file: Option<PathBuf>,
    },
}

pub async fn run(cmd: Command) -> anyhow::Result<ExitCode> {
    match cmd {
        Command::Keygen { out } => {
            std::fs::create_dir_all(&out)?;
            let seed: [u8; 32] = rand::random();
            let key = license::signing_key_from_seed(seed);
            let key_path = out.join("license.key");
            let pub_path = out.join("license.pub");
            std::fs::write(&key_path, license::encode_signing_key(&key) + "\n")?;
            restrict(&key_path);
            let public = license::encode_public_key(&key.verifying_key());
            std::fs::write(&pub_path, public.clone() + "\n")?;
            println!("private key: {}", key_path.display());
            println!("public key:  {} ({public})", pub_path.display());
            println!("trust it with: mamgate config set LicenseSettings.TrustedPublicKeys '[\"{public}\"]'");
            Ok(ExitCode::SUCCESS)
        }
        Command::Issue {
            key,
            sku,
            customer,
            expires,
            out,
        } => {
            let text = std::fs::read_to_string(&key)
                .with_context(|| format!("cannot read {}", key.display()))?;
            let signing = license::parse_signing_key(&text)
                .context("not a license key made by `mamgate license keygen`")?;
            if license::sku_tier(&sku) == 0 {
                anyhow::bail!(
                    "unknown sku {sku:?}: use professional, enterprise, entry or advanced"
                );
            }
            let expires_at = end_of_day_ms(&expires)?;
            let now = super::now_ms();
            let lic = License {
                id: mamgate_store::new_id(),
                issued_at: now,
                starts_at: now - 300_000,
                expires_at,
                customer: Customer {
                    id: mamgate_store::new_id(),
                    name: customer.clone(),
                    company: customer,
                    email: String::new(),
                },
                sku_name: license::sku_name(&sku).into(),
                sku_short_name: sku,
                signed_by: String::new(),
            };
            std::fs::write(&out, lic.sign(&signing) + "\n")?;
            println!(
                "issued {} license {} for {} until {expires}: {}",
                lic.sku_name,
                lic.id,
                lic.customer.name,
                out.display()
            );
            Ok(ExitCode::SUCCESS)
        }
        Command::Install {
            config,
            license: file,
        } => {
            let cfg = super::read_config(&config)?;
            let text = std::fs::read_to_string(&file)
                .with_context(|| format!("cannot read {}", file.display()))?;
            match License::verify(
                &text,
                &cfg.license_settings.trusted_public_keys,
                super::now_ms(),
            ) {
                Ok(lic) => {
                    let store = super::open_store(&config, &cfg).await?;
                    store.set_license(Some(text.trim().to_string())).await?;
                    println!(
                        "installed {} license {} for {}",
                        lic.sku_name, lic.id, lic.customer.name
                    );
                    Ok(ExitCode::SUCCESS)
                }
                Err(e) => {
                    println!(
                        "not installed: {}: {} ({e})",
                        e.error_id(),
                        e.error_id().entry().message
                    );
                    Ok(ExitCode::FAILURE)
                }
            }
        }
        Command::Show { config, file } => {
            let cfg = super::read_config(&config)?;
            let text = match file {
                Some(f) => std::fs::read_to_string(&f)
                    .with_context(|| format!("cannot read {}", f.display()))?,
                None => {
                    let store = super::open_store(&config, &cfg).await?;
                    match store.get_license().await? {
                        Some(t) => t,
                        None => {
                            println!("no license installed");
                            return Ok(ExitCode::SUCCESS);
                        }
                    }
                }
            };
            let trusted = &cfg.license_settings.trusted_public_keys;
            match License::verify_signature(&text, trusted) {
                Ok(l) => {
                    let state = if l.is_active(super::now_ms()) {
                        "active"
                    } else {
                        "EXPIRED"
                    };
                    println!(
                        "{} ({}) tier {} for {} — {state}",
                        l.sku_name,
                        l.sku_short_name,
                        l.tier(),
                        l.customer.name
                    );
                    println!(
                        "  id {}; expires at {} ms; signed by {}",
                        l.id, l.expires_at, l.signed_by
                    );
                    println!("  Intune MAM allowed: {}", l.is_enterprise_advanced());
                    Ok(ExitCode::SUCCESS)
                }
                Err(e) => {
                    println!("license does not verify: {e}");
                    Ok(ExitCode::FAILURE)
                }
            }
        }
    }
}

fn end_of_day_ms(date: &str) -> anyhow::Result<i64> {
    let format = time::macros::format_description!("[year]-[month]-[day]");
    let d =
        time::Date::parse(date, &format).with_context(|| format!("{date:?} is not YYYY-MM-DD"))?;
    let end = d.with_hms(23, 59, 59).context("time")?.assume_utc();
    Ok(end.unix_timestamp() * 1000 + 999)
}

#[cfg(unix)]
fn restrict(path: &std::path::Path) {
    use std::os::unix::fs::PermissionsExt;
    let _ = std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o600));
}
#[cfg(not(unix))]
fn restrict(_: &std::path::Path) {}
