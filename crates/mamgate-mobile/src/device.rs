//! The device folder: `device.json` (ids, platform, active server, server rows) and per server
//! `servers/<slug>/` with `database.json` (its local store), `keychain.json` (session token and
//! CSRF) and `files/` (file cache). Every per-server operation touches only that server's folder,
//! so a wipe or removal of one server cannot reach another's files, credentials or rows.

use std::path::{Path, PathBuf};

use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::error::MobileError;
use crate::model::{Credentials, Os, StringMap};

/// One server the user added (kept by SDK wipes so the user can sign in again).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ServerRow {
    pub url: String,
    pub slug: String,
    #[serde(default)]
    pub site_name: String,
}

/// `device.json`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct DeviceFile {
    /// The push token part of `device_id` (`<prefix>:<token>`).
    pub push_token: String,
    pub voip_token: String,
    #[serde(default)]
    pub platform: Os,
    #[serde(default)]
    pub active: Option<String>,
    #[serde(default)]
    pub servers: Vec<ServerRow>,
}

/// A server's local database (the SYSTEM table, the current user and the Intune state).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
pub struct ServerDb {
    pub config: StringMap,
    pub license: StringMap,
    #[serde(default)]
    pub user: Option<Value>,
    /// The Intune identity the server was enrolled with.
    #[serde(default)]
    pub intune_oid: Option<String>,
    #[serde(default)]
    pub policy: Option<Value>,
    /// The user declined enrollment; nothing was wiped.
    #[serde(default)]
    pub declined: bool,
}

/// A device folder.
#[derive(Debug, Clone)]
pub struct Device {
    root: PathBuf,
    /// The contents of `device.json` (saved by [`Device::save`]).
    pub file: DeviceFile,
}

/// The canonical form of a server URL (no trailing slash).
pub fn normalize_url(url: &str) -> String {
    url.trim().trim_end_matches('/').to_string()
}

/// A folder name unique per URL, readable, and free of path separators.
pub fn slug(url: &str) -> String {
    normalize_url(url)
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '.' || c == '-' {
                c
            } else {
                '_'
            }
        })
        .collect()
}

impl Device {
    /// Opens the folder, creating it and `device.json` (with fresh device ids) if absent.
    pub fn open(root: &Path) -> Result<Device, MobileError> {
        std::fs::create_dir_all(root).map_err(|e| MobileError::io(root, e))?;
        let path = root.join("device.json");
        let file = match read_json::<DeviceFile>(&path)? {
            Some(f) => f,
            None => {
                let f = DeviceFile {
                    push_token: uuid::Uuid::new_v4().simple().to_string(),
                    voip_token: uuid::Uuid::new_v4().simple().to_string(),
                    ..DeviceFile::default()
                };
                write_json(&path, &f)?;
                f
            }
        };
        Ok(Device {
            root: root.to_path_buf(),
            file,
        })
    }

    /// The folder.
    pub fn root(&self) -> &Path {
        &self.root
    }

    /// Writes `device.json`.
    pub fn save(&self) -> Result<(), MobileError> {
        write_json(&self.root.join("device.json"), &self.file)
    }

    /// `device_id` as sent to the server.
    pub fn device_id(&self) -> String {
        format!(
            "{}:{}",
            self.file.platform.device_prefix(),
            self.file.push_token
        )
    }

    /// `voip_device_id` as sent to the server.
    pub fn voip_device_id(&self) -> String {
        format!(
            "{}:{}",
            self.file.platform.device_prefix(),
            self.file.voip_token
        )
    }

    /// The row of a server.
    pub fn server(&self, url: &str) -> Option<&ServerRow> {
        let url = normalize_url(url);
        self.file.servers.iter().find(|s| s.url == url)
    }

    /// Adds (or renames) a server row and saves.
    pub fn upsert_server(&mut self, url: &str, site_name: &str) -> Result<ServerRow, MobileError> {
        let url = normalize_url(url);
        let row = ServerRow {
            slug: slug(&url),
            url: url.clone(),
            site_name: site_name.to_string(),
        };
        match self.file.servers.iter_mut().find(|s| s.url == url) {
            Some(existing) => *existing = row.clone(),
            None => self.file.servers.push(row.clone()),
        }
        self.save()?;
        Ok(row)
    }

    /// The per-server folder.
    pub fn server_dir(&self, url: &str) -> PathBuf {
        self.root.join("servers").join(slug(url))
    }

    /// The server's file-cache folder.
    pub fn files_dir(&self, url: &str) -> PathBuf {
        self.server_dir(url).join("files")
    }

    /// The server's local database, if it has one.
    pub fn read_db(&self, url: &str) -> Result<Option<ServerDb>, MobileError> {
        read_json(&self.server_dir(url).join("database.json"))
    }

    /// Creates or replaces the server's local database (and its file-cache folder).
    pub fn write_db(&self, url: &str, db: &ServerDb) -> Result<(), MobileError> {
        let files = self.files_dir(url);
        std::fs::create_dir_all(&files).map_err(|e| MobileError::io(&files, e))?;
        write_json(&self.server_dir(url).join("database.json"), db)
    }

    /// The server's keychain entry.
    pub fn read_credentials(&self, url: &str) -> Result<Option<Credentials>, MobileError> {
        read_json(&self.server_dir(url).join("keychain.json"))
    }

    /// Stores the server's keychain entry.
    pub fn write_credentials(
        &self,
        url: &str,
        credentials: &Credentials,
    ) -> Result<(), MobileError> {
        let dir = self.server_dir(url);
        std::fs::create_dir_all(&dir).map_err(|e| MobileError::io(&dir, e))?;
        write_json(&dir.join("keychain.json"), credentials)
    }

    /// Deletes the server's credentials, database and file cache; its row stays.
    pub fn wipe_server_data(&self, url: &str) -> Result<(), MobileError> {
        let dir = self.server_dir(url);
        match std::fs::remove_dir_all(&dir) {
            Err(e) if e.kind() != std::io::ErrorKind::NotFound => Err(MobileError::io(&dir, e)),
            _ => Ok(()),
        }
    }

    /// Wipes the server's data and removes its row; the active server moves to another one.
    pub fn remove_server(&mut self, url: &str) -> Result<(), MobileError> {
        self.wipe_server_data(url)?;
        let url = normalize_url(url);
        self.file.servers.retain(|s| s.url != url);
        if self.file.active.as_deref() == Some(url.as_str()) {
            self.file.active = self.file.servers.first().map(|s| s.url.clone());
        }
        self.save()
    }
}

fn read_json<T: DeserializeOwned>(path: &Path) -> Result<Option<T>, MobileError> {
    match std::fs::read(path) {
        Ok(bytes) => serde_json::from_slice(&bytes)
            .map(Some)
            .map_err(|source| MobileError::Json {
                path: path.display().to_string(),
                source,
            }),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(MobileError::io(path, e)),
    }
}

/// Writes through a temporary file so a crash never leaves half a file.
fn write_json<T: Serialize>(path: &Path, value: &T) -> Result<(), MobileError> {
    let bytes = serde_json::to_vec_pretty(value).map_err(|source| MobileError::Json {
        path: path.display().to_string(),
        source,
    })?;
    let tmp = path.with_extension("json.tmp");
    std::fs::write(&tmp, bytes).map_err(|e| MobileError::io(&tmp, e))?;
    std::fs::rename(&tmp, path).map_err(|e| MobileError::io(path, e))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn removal_touches_only_that_server() {
        let dir = tempfile::tempdir().unwrap();
        let mut d = Device::open(dir.path()).unwrap();
        let creds = Credentials {
            token: "t".into(),
            csrf: "c".into(),
        };
        for url in ["https://a.example", "https://b.example/"] {
            d.upsert_server(url, "S").unwrap();
            d.write_db(url, &ServerDb::default()).unwrap();
            d.write_credentials(url, &creds).unwrap();
            std::fs::write(d.files_dir(url).join("f.bin"), b"x").unwrap();
        }
        d.file.active = Some("https://a.example".into());
        d.remove_server("https://a.example/").unwrap();
        assert!(d.server("https://a.example").is_none());
        assert!(!d.server_dir("https://a.example").exists());
        assert_eq!(d.file.active.as_deref(), Some("https://b.example"));
        assert_eq!(
            d.read_credentials("https://b.example").unwrap(),
            Some(creds)
        );
        assert!(d.files_dir("https://b.example").join("f.bin").exists());
        let reopened = Device::open(dir.path()).unwrap();
        assert_eq!(reopened.file, d.file);
        assert!(reopened.device_id().starts_with("apple_rn-v2:"));
    }
}
