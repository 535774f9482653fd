//! The server's two keys, kept as files in the data directory with 0600 permissions: the log
//! key that signs checkpoints, and the operator key that enrols parties.

use std::fs::OpenOptions;
use std::io::Write;
use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
use std::path::{Path, PathBuf};

use rand_core::{OsRng, RngCore};
use terroir_shared::crypto::Keypair;

pub const LOG_KEY_FILE: &str = "log.key";
pub const OPERATOR_KEY_FILE: &str = "operator.key";

/// Why a key file could not be used.
#[derive(Debug, thiserror::Error)]
pub enum KeyError {
    #[error("{path}: {source}")]
    Io { path: PathBuf, source: std::io::Error },
    #[error("{0} is not a key file (64 hex digits)")]
    Malformed(PathBuf),
    #[error("{0} is readable by others; run `chmod 600` on it")]
    TooOpen(PathBuf),
}

/// Reads the key in `dir/name`.
pub fn load(dir: &Path, name: &str) -> Result<Keypair, KeyError> {
    let path = dir.join(name);
    let io = |source| KeyError::Io { path: path.clone(), source };
    let text = std::fs::read_to_string(&path).map_err(io)?;
    let mode = std::fs::metadata(&path).map_err(io)?.permissions().mode();
    if mode & 0o077 != 0 {
        return Err(KeyError::TooOpen(path));
    }
    let mut seed = [0u8; 32];
    hex::decode_to_slice(text.trim(), &mut seed).map_err(|_| KeyError::Malformed(path.clone()))?;
    Ok(Keypair::from_seed(&seed))
}

/// Reads the key in `dir/name`, or creates it (0600) if there is none.
pub fn load_or_create(dir: &Path, name: &str) -> Result<Keypair, KeyError> {
    let path = dir.join(name);
    let io = |source| KeyError::Io { path: path.clone(), source };
    match load(dir, name) {
        Err(KeyError::Io { source, .. }) if source.kind() == std::io::ErrorKind::NotFound => {
            let mut seed = [0u8; 32];
            OsRng.fill_bytes(&mut seed);
            let mut file =
                OpenOptions::new().write(true).create_new(true).mode(0o600).open(&path).map_err(io)?;
            file.write_all(format!("{}\n", hex::encode(seed)).as_bytes()).map_err(io)?;
            file.sync_all().map_err(io)?;
            Ok(Keypair::from_seed(&seed))
        }
        other => other,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn created_once_with_0600_and_read_back() {
        let dir = std::env::temp_dir().join(format!("terroir-keys-{}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("dir");
        let first = load_or_create(&dir, "k.key").expect("create");
        let mode = std::fs::metadata(dir.join("k.key")).expect("meta").permissions().mode();
        assert_eq!(mode & 0o777, 0o600);
        assert_eq!(load_or_create(&dir, "k.key").expect("read").public(), first.public());
        std::fs::set_permissions(dir.join("k.key"), std::fs::Permissions::from_mode(0o644)).expect("chmod");
        assert!(matches!(load_or_create(&dir, "k.key"), Err(KeyError::TooOpen(_))));
        let _ = std::fs::remove_dir_all(&dir);
    }
}
