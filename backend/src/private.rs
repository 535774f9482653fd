//! Files and directories readable by their owner alone: the data directory, the databases (SQLite
//! gives a database's journal, WAL and shared-memory files its mode), snapshots of them.

use std::io;
use std::path::Path;

/// Creates `dir` (and its parents) with mode 0700 unless it exists.
pub fn dir(dir: &Path) -> io::Result<()> {
    use std::os::unix::fs::DirBuilderExt;
    if dir.is_dir() {
        return Ok(());
    }
    std::fs::DirBuilder::new().recursive(true).mode(0o700).create(dir)
}

/// Makes `path` mode 0600: created so (empty) before anything first opens it, and made so if it
/// exists readable by others.
pub fn file(path: &Path) -> io::Result<()> {
    use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
    match std::fs::OpenOptions::new().write(true).create_new(true).mode(0o600).open(path) {
        Ok(_) => Ok(()),
        Err(e) if e.kind() == io::ErrorKind::AlreadyExists => {
            std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o600))
        }
        Err(e) => Err(e),
    }
}

/// Copies `from` to `to`, a new file of mode 0600, and syncs it to disk.
pub fn copy(from: &Path, to: &Path) -> io::Result<()> {
    use std::os::unix::fs::OpenOptionsExt;
    let mut source = std::fs::File::open(from)?;
    let mut target = std::fs::OpenOptions::new().write(true).create_new(true).mode(0o600).open(to)?;
    io::copy(&mut source, &mut target)?;
    target.sync_all()
}
