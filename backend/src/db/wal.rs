//! The write-ahead log beside the writer: a thread copies committed frames into the database
//! file with passive checkpoints, which never block the writer. A WAL only starts over from its
//! beginning when a transaction begins after a checkpoint copied every frame, which a writer
//! that is never idle never meets. So a writer in a lull asks for a pass at once (the WAL
//! starts over for free if it ends before the next group), and a busy one whose WAL has grown
//! long waits, between two groups, for one complete pass. Without that the WAL grows without end,
//! and every frame appended extends the file.

use std::path::Path;
use std::sync::{Condvar, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use diesel::connection::SimpleConnection;
use diesel::prelude::*;
use diesel::sql_types::BigInt;
use diesel::sqlite::SqliteConnection;

use super::DbError;

/// Frames (pages) in the WAL after which the writer waits for it to start over: 64 MiB. The
/// file keeps its largest size (`journal_size_limit` is above this), so that after the first
/// round frames overwrite the file instead of extending it. Small on purpose: a frame appended
/// past the file's end lands on pages the system must first find and zero, which took a fresh
/// server's writer a fifth of its time while the WAL grew to 512 MiB, and each 4,096 frames
/// add one more table that every read in the WAL searches.
pub const RESTART_FRAMES: i64 = 16_384;

/// Frames after which a writer in a lull asks for a pass, so that the WAL starts over for free
/// if the pass ends before the next group begins.
const IDLE_RESTART_FRAMES: i64 = 4_096;

/// How often the checkpointer runs when the writer does not ask.
const PERIOD: Duration = Duration::from_millis(100);

/// The longest the writer waits for a pass: a stalled checkpointer must not stop the log.
const PATIENCE: Duration = Duration::from_secs(2);

/// What the writer and the checkpointer thread share.
#[derive(Debug, Default)]
pub struct Wal {
    state: Mutex<State>,
    changed: Condvar,
}

#[derive(Debug, Default)]
struct State {
    started: u64,
    finished: u64,
    /// Frames in the WAL after the last pass, and how many of them are in the database file.
    frames: i64,
    copied: i64,
    asked: bool,
    stopping: bool,
}

#[derive(QueryableByName)]
struct Pass {
    #[diesel(sql_type = BigInt)]
    log: i64,
    #[diesel(sql_type = BigInt)]
    checkpointed: i64,
}

impl Wal {
    /// Runs passive checkpoints on a connection of its own, every quarter second or when the
    /// writer asks, until [`Wal::stop`]; then once more.
    pub fn run_checkpoints(&self, path: &Path) -> Result<(), DbError> {
        let mut conn = SqliteConnection::establish(&path.to_string_lossy())?;
        conn.batch_execute("PRAGMA busy_timeout = 10000;")?;
        loop {
            let last = {
                let mut s = self.lock();
                if !s.asked && !s.stopping {
                    s = match self.changed.wait_timeout(s, PERIOD) {
                        Ok((s, _)) => s,
                        Err(poisoned) => poisoned.into_inner().0,
                    };
                }
                s.asked = false;
                s.started += 1;
                s.stopping
            };
            let pass = diesel::sql_query("PRAGMA wal_checkpoint(PASSIVE)").get_result::<Pass>(&mut conn);
            let mut s = self.lock();
            s.finished += 1;
            match pass {
                Ok(p) => (s.frames, s.copied) = (p.log, p.checkpointed),
                Err(e) => tracing::warn!(error = %e, "WAL checkpoint failed; will retry"),
            }
            self.changed.notify_all();
            if last {
                return Ok(());
            }
        }
    }

    /// Called by the writer between groups. If the WAL has grown long, asks for a pass and waits
    /// until one that began after this call has finished: if it copied every frame, the next
    /// transaction starts the WAL over.
    pub fn settle(&self) {
        let mut s = self.lock();
        if s.frames < RESTART_FRAMES || s.stopping {
            return;
        }
        let wanted = s.started + 1;
        s.asked = true;
        self.changed.notify_all();
        let deadline = Instant::now() + PATIENCE;
        while s.finished < wanted {
            let left = deadline.saturating_duration_since(Instant::now());
            if left.is_zero() {
                tracing::warn!("the WAL checkpointer is slow; the WAL keeps growing");
                return;
            }
            s = match self.changed.wait_timeout(s, left) {
                Ok((s, _)) => s,
                Err(poisoned) => poisoned.into_inner().0,
            };
        }
        if s.copied == s.frames {
            // Restarted by the next transaction; the next pass tells if readers prevented it.
            s.frames = 0;
        }
    }

    /// Called by the writer in a lull: asks for a pass at once, without waiting.
    pub fn lull(&self) {
        let mut s = self.lock();
        if s.frames >= IDLE_RESTART_FRAMES {
            s.asked = true;
            self.changed.notify_all();
        }
    }

    /// Ends [`Wal::run_checkpoints`] after one more pass.
    pub fn stop(&self) {
        self.lock().stopping = true;
        self.changed.notify_all();
    }

    fn lock(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}
