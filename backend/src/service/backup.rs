//! Backups that erasures reach. `backup DEST` writes a snapshot of the data directory into
//! `DEST/<UTC time>/` (both databases through `VACUUM INTO`, which copies live rows only, the
//! keys and the origin), keeps the register of erasures beside the snapshots (`DEST/erasures`),
//! and remembers `DEST` (the `backups` file in the data directory). Each erasure then reaches
//! every remembered destination that can be reached: its register gains the commitment and
//! each of its snapshots loses the data. `restore` copies a snapshot back in, merges the
//! registers, and erases again whatever the snapshot brought back.

use std::path::{Path, PathBuf};

use terroir_shared::Hash;
use terroir_shared::calendar::Timestamp;

use super::ServiceError;
use super::personal::{Erasures, REGISTER_FILE, Register, io, reapply_to, sync_dir};
use crate::db;
use crate::db::personal::Erased;

/// The data directory's list of backup destinations, one absolute path per line.
pub const BACKUPS_FILE: &str = "backups";

/// The files a snapshot holds besides the two databases.
const KEPT_FILES: [&str; 3] = [crate::keys::LOG_KEY_FILE, crate::keys::OPERATOR_KEY_FILE, "origin"];

const LEDGER_FILE: &str = "ledger.sqlite";

/// What an erasure did to one backup destination: how many of its snapshots held the data
/// (now erased from them), or why it could not be reached.
#[derive(Debug)]
pub struct Reach {
    pub dest: PathBuf,
    pub result: Result<usize, String>,
}

/// A snapshot written.
#[derive(Debug)]
pub struct Snapshot {
    pub dir: PathBuf,
    pub ledger_bytes: u64,
    pub personal_bytes: u64,
    /// What the destination's older snapshots still held of erased data, now erased there.
    pub purged: usize,
}

/// Writes a snapshot of the data directory into `dest` and remembers `dest`. Runs beside a
/// server: `VACUUM INTO` reads one consistent state of each database.
pub fn backup(data_dir: &Path, dest: &Path, at: Timestamp) -> Result<Snapshot, ServiceError> {
    let ledger = data_dir.join(LEDGER_FILE);
    if !ledger.exists() {
        return Err(ServiceError::Files(format!("there is no ledger in {}", data_dir.display())));
    }
    private_dir(dest)?;
    let dest = dest.canonicalize().map_err(|e| io(dest, e))?;
    let name = stamp(at);
    let dir = dest.join(&name);
    if dir.exists() {
        return Err(ServiceError::Files(format!("{} exists already", dir.display())));
    }
    // Written under a temporary name and renamed when complete: a snapshot directory is whole.
    let partial = dest.join(format!(".{name}.partial"));
    if partial.exists() {
        std::fs::remove_dir_all(&partial).map_err(|e| io(&partial, e))?;
    }
    private_dir(&partial)?;
    db::copy_into(&mut db::open_for_copy(&ledger)?, &partial.join(LEDGER_FILE))?;
    db::copy_into(
        &mut db::personal::open(&data_dir.join(db::personal::FILE))?,
        &partial.join(db::personal::FILE),
    )?;
    for file in KEPT_FILES {
        let from = data_dir.join(file);
        if from.exists() {
            copy_private(&from, &partial.join(file))?;
        }
    }
    for file in [LEDGER_FILE, db::personal::FILE] {
        private_file(&partial.join(file))?;
        fsync(&partial.join(file))?;
    }
    fsync(&partial)?;
    std::fs::rename(&partial, &dir).map_err(|e| io(&dir, e))?;
    sync_dir(&dir)?;
    // The destination's register and ours become one; every snapshot there is held to it.
    let ours = Register::in_dir(data_dir);
    let theirs = Register::in_dir(&dest);
    ours.add(&theirs.read()?)?;
    let erasures = ours.read()?;
    let purged = reach(&dest, &erasures)?;
    super::personal::reapply(data_dir)?;
    remember(data_dir, &dest)?;
    let size = |f: &str| std::fs::metadata(dir.join(f)).map(|m| m.len()).unwrap_or(0);
    Ok(Snapshot { ledger_bytes: size(LEDGER_FILE), personal_bytes: size(db::personal::FILE), dir, purged })
}

/// The destinations this data directory has written snapshots to.
pub fn destinations(data_dir: &Path) -> Result<Vec<PathBuf>, ServiceError> {
    let path = data_dir.join(BACKUPS_FILE);
    match std::fs::read_to_string(&path) {
        Ok(text) => Ok(text.lines().map(str::trim).filter(|l| !l.is_empty()).map(PathBuf::from).collect()),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(Vec::new()),
        Err(e) => Err(io(&path, e)),
    }
}

fn remember(data_dir: &Path, dest: &Path) -> Result<(), ServiceError> {
    use std::io::Write as _;
    if destinations(data_dir)?.iter().any(|d| d == dest) {
        return Ok(());
    }
    let path = data_dir.join(BACKUPS_FILE);
    let mut file =
        std::fs::OpenOptions::new().create(true).append(true).open(&path).map_err(|e| io(&path, e))?;
    file.write_all(format!("{}\n", dest.display()).as_bytes())
        .and_then(|()| file.sync_all())
        .map_err(|e| io(&path, e))
}

/// What an erasure did: in the store, and in each backup this ledger made.
#[derive(Debug)]
pub struct Erasure {
    pub outcome: Erased,
    pub backups: Vec<Reach>,
}

/// Erases the data behind a commitment from the store (recording it in the register), then
/// from every backup this ledger made that can be reached.
pub fn erase_everywhere(
    data_dir: &Path,
    commitment: &terroir_shared::commitment::Commitment,
    at: terroir_shared::calendar::Timestamp,
) -> Result<Erasure, ServiceError> {
    let outcome = super::personal::erase(data_dir, commitment, at)?;
    let backups = match outcome {
        Erased::Unknown => Vec::new(),
        _ => reach_all(data_dir, &Register::in_dir(data_dir).read()?)?,
    };
    Ok(Erasure { outcome, backups })
}

/// Carries the register to every remembered destination, and erases from their snapshots.
pub fn reach_all(data_dir: &Path, erasures: &Erasures) -> Result<Vec<Reach>, ServiceError> {
    Ok(destinations(data_dir)?
        .into_iter()
        .map(|dest| {
            let result = reach(&dest, erasures).map_err(|e| e.to_string());
            Reach { dest, result }
        })
        .collect())
}

/// Adds the erasures to `dest`'s register and erases them from each of its snapshots; returns
/// how many items were erased there.
fn reach(dest: &Path, erasures: &Erasures) -> Result<usize, ServiceError> {
    if !dest.is_dir() {
        return Err(ServiceError::Files(format!("{} is not reachable", dest.display())));
    }
    Register::in_dir(dest).add(erasures)?;
    let mut erased = 0;
    for snapshot in snapshots(dest)? {
        erased += reapply_to(&snapshot.join(db::personal::FILE), erasures)?.len();
    }
    Ok(erased)
}

/// The snapshot directories in a destination, oldest first.
pub fn snapshots(dest: &Path) -> Result<Vec<PathBuf>, ServiceError> {
    let mut found = Vec::new();
    for entry in std::fs::read_dir(dest).map_err(|e| io(dest, e))? {
        let path = entry.map_err(|e| io(dest, e))?.path();
        let hidden = path.file_name().is_some_and(|n| n.to_string_lossy().starts_with('.'));
        if path.is_dir() && !hidden && path.join(db::personal::FILE).exists() {
            found.push(path);
        }
    }
    found.sort();
    Ok(found)
}

/// What a restore did.
#[derive(Debug)]
pub struct Restored {
    /// Where the ledger it replaced was put, if it replaced one.
    pub replaced: Option<PathBuf>,
    /// Subjects the snapshot kept that the data directory's store did not.
    pub merged: usize,
    /// Erased data the snapshot brought back, erased again.
    pub erased_again: Vec<Hash>,
    /// Erasures the registers gave, in all.
    pub erasures: usize,
}

/// Puts a snapshot's ledger in the data directory (which holds none, or whose ledger `replace`
/// allows to set aside, in `replaced-<time>/`), with its keys and origin; merges its personal
/// store into the directory's (which wins where both keep a subject) and its destination's
/// register into the directory's; then erases again whatever either register lists. The
/// caller holds the data directory (no server runs on it).
pub fn restore(
    data_dir: &Path,
    snapshot: &Path,
    replace: bool,
    at: Timestamp,
) -> Result<Restored, ServiceError> {
    for file in [LEDGER_FILE, db::personal::FILE] {
        if !snapshot.join(file).is_file() {
            return Err(ServiceError::Files(format!(
                "{} is not a snapshot: it has no {file}",
                snapshot.display()
            )));
        }
    }
    let ledger = data_dir.join(LEDGER_FILE);
    let mut replaced = None;
    if ledger.exists() {
        if !replace {
            return Err(ServiceError::Files(format!(
                "{} holds a ledger already; give --replace to set it aside and put the snapshot in its place",
                data_dir.display()
            )));
        }
        let aside = data_dir.join(format!("replaced-{}", stamp(at)));
        private_dir(&aside)?;
        for file in [LEDGER_FILE.to_string(), format!("{LEDGER_FILE}-wal"), format!("{LEDGER_FILE}-shm")] {
            let from = data_dir.join(&file);
            if from.exists() {
                std::fs::rename(&from, aside.join(&file)).map_err(|e| io(&from, e))?;
            }
        }
        replaced = Some(aside);
    }
    private_dir(data_dir)?;
    for file in std::iter::once(LEDGER_FILE).chain(KEPT_FILES) {
        let from = snapshot.join(file);
        if from.exists() {
            let to = data_dir.join(file);
            if to.exists() {
                std::fs::remove_file(&to).map_err(|e| io(&to, e))?;
            }
            copy_private(&from, &to)?;
        }
    }
    sync_dir(&ledger)?;
    let mut store = db::personal::open(&data_dir.join(db::personal::FILE))?;
    let merged = db::personal::merge_from(&mut store, &snapshot.join(db::personal::FILE))?;
    drop(store);
    let ours = Register::in_dir(data_dir);
    if let Some(dest) = snapshot.parent()
        && dest.join(REGISTER_FILE).exists()
    {
        ours.add(&Register::in_dir(dest).read()?)?;
    }
    let erased_again = super::personal::reapply(data_dir)?;
    Ok(Restored { replaced, merged, erased_again, erasures: ours.read()?.len() })
}

/// A time as a file name takes it: `20261203T190501-123Z`.
fn stamp(at: Timestamp) -> String {
    at.to_rfc3339().replace([':', '-'], "").replace('.', "-")
}

fn private_dir(dir: &Path) -> Result<(), ServiceError> {
    crate::private::dir(dir).map_err(|e| io(dir, e))
}

fn private_file(path: &Path) -> Result<(), ServiceError> {
    crate::private::file(path).map_err(|e| io(path, e))
}

/// Copies a file readable by its owner alone, durably.
fn copy_private(from: &Path, to: &Path) -> Result<(), ServiceError> {
    crate::private::copy(from, to)
        .map_err(|e| ServiceError::Files(format!("copying {} to {}: {e}", from.display(), to.display())))
}

fn fsync(path: &Path) -> Result<(), ServiceError> {
    std::fs::File::open(path).and_then(|f| f.sync_all()).map_err(|e| io(path, e))
}
