//! One process at a time keeps a ledger. The writer holds the log's tip in memory, so a second
//! process appending to the same database would write from a stale tip: the first would then
//! fail its next commit, or sign a checkpoint over a tree it never saw. Whatever opens the
//! ledger to write (`serve`, `init`, `enrol`, `demo`) holds an exclusive lock on
//! [`LOCK_FILE`] in the data directory for as long as it runs; the operating system drops it
//! when the process ends, however it ends. The file names its holder, so that a command run
//! beside a running server can say which one it is, and `enrol` can send its record there.

use std::fs::{File, OpenOptions, TryLockError};
use std::io::{Read as _, Seek as _, SeekFrom, Write as _};
use std::path::Path;

use anyhow::Context as _;

pub const LOCK_FILE: &str = "ledger.lock";

/// The lock on a data directory's ledger, held until dropped.
#[derive(Debug)]
pub struct Owner {
    file: File,
}

/// Who holds a data directory's ledger, as its lock file says.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Holder {
    pub pid: Option<u32>,
    /// Where it serves the ledger's API, once it listens.
    pub url: Option<String>,
}

impl std::fmt::Display for Holder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match (&self.url, self.pid) {
            (Some(url), Some(pid)) => write!(f, "the server at {url} (process {pid})"),
            (Some(url), None) => write!(f, "the server at {url}"),
            (None, Some(pid)) => write!(f, "process {pid}"),
            (None, None) => write!(f, "another process"),
        }
    }
}

impl Owner {
    /// Takes the ledger in `dir`, or says who holds it.
    pub fn take(dir: &Path) -> anyhow::Result<Result<Owner, Holder>> {
        let path = dir.join(LOCK_FILE);
        let mut file = OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(false)
            .open(&path)
            .with_context(|| format!("opening {}", path.display()))?;
        match file.try_lock() {
            Ok(()) => {
                let mut owner = Owner { file };
                owner.announce(None).with_context(|| format!("writing {}", path.display()))?;
                Ok(Ok(owner))
            }
            Err(TryLockError::WouldBlock) => {
                let mut text = String::new();
                file.read_to_string(&mut text).with_context(|| format!("reading {}", path.display()))?;
                Ok(Err(Holder::parse(&text)))
            }
            Err(TryLockError::Error(e)) => Err(e).with_context(|| format!("locking {}", path.display())),
        }
    }

    /// Takes the ledger in `dir`; an error naming the holder if another process has it.
    pub fn require(dir: &Path) -> anyhow::Result<Owner> {
        Self::take(dir)?.map_err(|holder| {
            anyhow::anyhow!(
                "the ledger in {} is kept by {holder}; stop it first (one process at a time keeps a ledger)",
                dir.display()
            )
        })
    }

    /// Says who holds the lock: this process, and the URL it serves at once it listens.
    pub fn announce(&mut self, url: Option<&str>) -> std::io::Result<()> {
        let mut text = format!("pid {}\n", std::process::id());
        if let Some(url) = url {
            text.push_str(&format!("url {url}\n"));
        }
        self.file.set_len(0)?;
        self.file.seek(SeekFrom::Start(0))?;
        self.file.write_all(text.as_bytes())?;
        self.file.flush()
    }
}

impl Holder {
    fn parse(text: &str) -> Holder {
        let mut holder = Holder::default();
        for line in text.lines() {
            match line.split_once(' ') {
                Some(("pid", pid)) => holder.pid = pid.trim().parse().ok(),
                Some(("url", url)) => holder.url = Some(url.trim().to_owned()),
                _ => {}
            }
        }
        holder
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_second_taker_is_told_who_holds_the_ledger_until_it_is_released() {
        let dir = tempfile::tempdir().expect("dir");
        let mut first = Owner::take(dir.path()).expect("take").expect("free");
        let holder = Owner::take(dir.path()).expect("take").expect_err("held");
        assert_eq!(holder, Holder { pid: Some(std::process::id()), url: None });
        first.announce(Some("http://127.0.0.1:8080")).expect("announce");
        let holder = Owner::take(dir.path()).expect("take").expect_err("held");
        assert_eq!(holder.url.as_deref(), Some("http://127.0.0.1:8080"));
        let refused = Owner::require(dir.path()).expect_err("held").to_string();
        assert!(refused.contains("the server at http://127.0.0.1:8080"), "{refused}");
        drop(first);
        let again = Owner::take(dir.path()).expect("take").expect("free once released");
        drop(again);
    }

    #[test]
    fn a_lock_file_left_by_a_process_that_ended_holds_nothing() {
        let dir = tempfile::tempdir().expect("dir");
        std::fs::write(dir.path().join(LOCK_FILE), "pid 1\nurl http://127.0.0.1:1\n").expect("stale file");
        assert!(Owner::take(dir.path()).expect("take").is_ok());
    }
}
