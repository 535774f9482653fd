//! The station's two Ed25519 keys, as 0600 files in its data directory: the co-op's own key
//! (its identity on the ledger, enrolled by the operator, used only to authorise stations) and
//! this station's device key (signs every act). A backup file holds both.

use std::fs::OpenOptions;
use std::io::Write;
use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
use std::path::Path;

use rand_core::{OsRng, RngCore};
use serde::{Deserialize, Serialize};
use terroir_shared::crypto::Keypair;

use crate::error::{Result, StationError};
use crate::words::said;

pub const PARTY_KEY_FILE: &str = "party.key";
pub const DEVICE_KEY_FILE: &str = "device.key";

/// The co-op's key and this station's key.
pub struct StationKeys {
    pub party: Keypair,
    pub device: Keypair,
}

/// What a backup file holds: both seeds, with the public keys to check them against.
#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct Backup {
    pub format: String,
    pub party_seed: String,
    pub party_key: String,
    pub device_seed: String,
    pub device_key: String,
}

const BACKUP_FORMAT: &str = "terroir-station-keys-v1";

impl StationKeys {
    /// The keys in `dir`, or `None` before the first run created them.
    pub fn load(dir: &Path) -> Result<Option<Self>> {
        let party = read(&dir.join(PARTY_KEY_FILE))?;
        let device = read(&dir.join(DEVICE_KEY_FILE))?;
        Ok(match (party, device) {
            (Some(party), Some(device)) => Some(Self { party, device }),
            _ => None,
        })
    }

    /// Creates both keys (0600). Refuses to overwrite existing ones.
    pub fn create(dir: &Path) -> Result<Self> {
        let party = fresh();
        let device = fresh();
        write(&dir.join(PARTY_KEY_FILE), &party)?;
        write(&dir.join(DEVICE_KEY_FILE), &device)?;
        Ok(Self { party, device })
    }

    /// Restores both keys from a backup file's text. Refuses to overwrite existing ones.
    pub fn restore(dir: &Path, backup: &str) -> Result<Self> {
        let b: Backup = serde_json::from_str(backup).map_err(|e| {
            StationError::input(
                "backup",
                said("this is not a station key backup", "这不是工作站密钥备份").with_detail(e),
            )
        })?;
        if b.format != BACKUP_FORMAT {
            return Err(StationError::input(
                "backup",
                said("unknown backup format", "未知的备份格式").with_detail(&b.format),
            ));
        }
        let party = seed_key(&b.party_seed, &b.party_key)?;
        let device = seed_key(&b.device_seed, &b.device_key)?;
        write(&dir.join(PARTY_KEY_FILE), &party)?;
        write(&dir.join(DEVICE_KEY_FILE), &device)?;
        Ok(Self { party, device })
    }

    /// The backup file's text. Whoever holds it can sign for the co-op: keep it offline.
    pub fn backup(&self) -> String {
        let b = Backup {
            format: BACKUP_FORMAT.into(),
            party_seed: hex::encode(self.party.seed()),
            party_key: self.party.public().to_string(),
            device_seed: hex::encode(self.device.seed()),
            device_key: self.device.public().to_string(),
        };
        serde_json::to_string_pretty(&b).unwrap_or_default()
    }

    /// Writes the backup to `path` with 0600 permissions.
    pub fn export(&self, path: &Path) -> Result<()> {
        write_private(path, self.backup().as_bytes())
    }
}

fn fresh() -> Keypair {
    let mut seed = [0u8; 32];
    OsRng.fill_bytes(&mut seed);
    Keypair::from_seed(&seed)
}

fn seed_key(seed_hex: &str, public: &str) -> Result<Keypair> {
    let mut seed = [0u8; 32];
    hex::decode_to_slice(seed_hex, &mut seed).map_err(|_| {
        StationError::input(
            "backup",
            said("a key seed is not 64 hex digits", "密钥种子不是 64 位十六进制数字"),
        )
    })?;
    let key = Keypair::from_seed(&seed);
    if key.public().to_string() != public {
        return Err(StationError::input(
            "backup",
            said("the backup is damaged: a seed does not give its public key", "备份已损坏：种子与公钥不符"),
        ));
    }
    Ok(key)
}

fn read(path: &Path) -> Result<Option<Keypair>> {
    let file_err = |e: std::io::Error| StationError::file(format!("{}: {e}", path.display()));
    let text = match std::fs::read_to_string(path) {
        Ok(t) => t,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(file_err(e)),
    };
    let mode = std::fs::metadata(path).map_err(file_err)?.permissions().mode();
    if mode & 0o077 != 0 {
        let p = path.display();
        return Err(StationError::File(said(
            format!("{p} is readable by others; run `chmod 600` on it"),
            format!("{p} 其他用户也能读取；请对它运行 `chmod 600`"),
        )));
    }
    let mut seed = [0u8; 32];
    hex::decode_to_slice(text.trim(), &mut seed).map_err(|_| {
        let p = path.display();
        StationError::File(said(
            format!("{p} is not a key file (64 hex digits)"),
            format!("{p} 不是密钥文件（64 位十六进制数字）"),
        ))
    })?;
    Ok(Some(Keypair::from_seed(&seed)))
}

fn write(path: &Path, key: &Keypair) -> Result<()> {
    write_private(path, format!("{}\n", hex::encode(key.seed())).as_bytes())
}

fn write_private(path: &Path, bytes: &[u8]) -> Result<()> {
    let file_err = |e: std::io::Error| StationError::file(format!("{}: {e}", path.display()));
    let mut file =
        OpenOptions::new().write(true).create_new(true).mode(0o600).open(path).map_err(file_err)?;
    file.write_all(bytes).map_err(file_err)?;
    file.sync_all().map_err(file_err)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_are_private_files_and_a_backup_restores_them() {
        let dir = tempfile::tempdir().expect("dir");
        assert!(StationKeys::load(dir.path()).expect("load").is_none());
        let keys = StationKeys::create(dir.path()).expect("create");
        let mode = std::fs::metadata(dir.path().join(PARTY_KEY_FILE)).expect("meta").permissions().mode();
        assert_eq!(mode & 0o777, 0o600);
        assert!(StationKeys::create(dir.path()).is_err(), "never overwrites a key");
        let again = StationKeys::load(dir.path()).expect("load").expect("keys");
        assert_eq!(again.device.public(), keys.device.public());

        let other = tempfile::tempdir().expect("dir");
        let restored = StationKeys::restore(other.path(), &keys.backup()).expect("restore");
        assert_eq!(restored.party.public(), keys.party.public());
        assert_eq!(restored.device.public(), keys.device.public());

        let damaged =
            keys.backup().replace(&keys.party.public().to_string(), &keys.device.public().to_string());
        let third = tempfile::tempdir().expect("dir");
        assert!(StationKeys::restore(third.path(), &damaged).is_err());
        assert!(StationKeys::restore(third.path(), "{}").is_err());
    }
}
