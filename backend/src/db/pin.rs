//! Readers share one pin on the latest commit. A read transaction holds a WAL read mark, and
//! SQLite's unix VFS takes the operating system's lock on a mark (an `fcntl` on the `-shm`
//! file) only for the first connection of the process to hold it, dropping it with the last.
//! An HTTP worker's point read, alone on its mark, took and dropped that lock itself: two
//! system calls, contended in the kernel between workers, about a tenth of a label page's
//! time. So between groups a connection of the writer holds a read transaction at the latest
//! commit, and every read at that snapshot shares its mark without a system call.
//!
//! A checkpoint copies frames only up to the oldest mark held, and this one is never older than
//! the last commit. The WAL starts over only at a write transaction that finds no mark held, so
//! the pin is released before each group.

use std::path::Path;

use diesel::connection::SimpleConnection as _;
use diesel::sqlite::SqliteConnection;

#[derive(Default)]
pub struct Pin {
    /// The read connection, while it works; the pin is an optimisation and gives up on error.
    conn: Option<SqliteConnection>,
    held: bool,
}

impl Pin {
    pub fn open(path: &Path) -> Pin {
        match super::open_reader(path) {
            Ok(conn) => Pin { conn: Some(conn), held: false },
            Err(e) => {
                tracing::warn!(error = %e, "no read pin: every read takes its own WAL lock");
                Pin::default()
            }
        }
    }

    /// Holds a read transaction at the latest commit.
    pub fn hold(&mut self) {
        self.release();
        // A deferred transaction reads nothing until a statement does: reading the schema
        // page starts it.
        self.run("BEGIN; SELECT 1 FROM sqlite_schema LIMIT 1;");
        self.held = self.conn.is_some();
    }

    pub fn release(&mut self) {
        if std::mem::take(&mut self.held) {
            self.run("COMMIT;");
        }
    }

    fn run(&mut self, sql: &str) {
        let Some(conn) = self.conn.as_mut() else { return };
        if let Err(e) = conn.batch_execute(sql) {
            tracing::warn!(error = %e, "the read pin failed; reads go without it");
            self.conn = None;
        }
    }
}

impl Drop for Pin {
    fn drop(&mut self) {
        self.release();
    }
}

#[cfg(test)]
mod tests {
    use diesel::prelude::*;

    use super::*;

    #[derive(QueryableByName)]
    struct Pass {
        #[diesel(sql_type = diesel::sql_types::BigInt)]
        log: i64,
        #[diesel(sql_type = diesel::sql_types::BigInt)]
        checkpointed: i64,
    }

    fn passive_checkpoint(conn: &mut SqliteConnection) -> (i64, i64) {
        let pass: Pass =
            diesel::sql_query("PRAGMA wal_checkpoint(PASSIVE)").get_result(conn).expect("checkpoint");
        (pass.log, pass.checkpointed)
    }

    fn append(conn: &mut SqliteConnection, idx: i64) {
        conn.batch_execute(&format!("INSERT INTO nodes VALUES ({idx}, zeroblob(32));")).expect("write");
    }

    #[test]
    fn a_held_pin_lets_checkpoints_copy_every_frame_and_a_released_one_lets_the_wal_start_over() {
        let dir = tempfile::tempdir().expect("dir");
        let path = dir.path().join("t.sqlite");
        let mut writer = super::super::open_writer(&path).expect("writer");
        let mut checkpointer = super::super::open_reader(&path).expect("checkpointer");
        for idx in 0..20 {
            append(&mut writer, idx);
        }
        let mut pin = Pin::open(&path);
        pin.hold();
        // A reader at the latest commit holds nothing back.
        let (log, copied) = passive_checkpoint(&mut checkpointer);
        assert!(log >= 20 && copied == log, "{copied} of {log} frames copied");
        // Held across a write, the pin keeps the WAL from starting over: it only grows.
        append(&mut writer, 20);
        let (grown, _) = passive_checkpoint(&mut checkpointer);
        assert!(grown > log, "the WAL started over under a held pin ({grown} frames)");
        // Released before a write, as the writer does before each group: it starts over.
        pin.hold();
        passive_checkpoint(&mut checkpointer);
        pin.release();
        append(&mut writer, 21);
        let (restarted, _) = passive_checkpoint(&mut checkpointer);
        assert!(restarted < log, "the WAL did not start over ({restarted} frames)");
    }
}
