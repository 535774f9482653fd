//! The SQLite store: connections with the pragmas durability needs, embedded migrations, and
//! one module per table group. Nothing outside `db/` touches `schema::`.

pub mod checkpoints;
pub mod contacts;
pub mod entries;
pub mod lineage;
pub mod nodes;
pub mod scans;
#[rustfmt::skip]
pub mod schema;
pub mod state;

use std::path::Path;
use std::time::Duration;

use diesel::Connection;
use diesel::connection::SimpleConnection;
use diesel::r2d2::{ConnectionManager, CustomizeConnection, Pool};
use diesel::sqlite::SqliteConnection;
use diesel_migrations::{EmbeddedMigrations, MigrationHarness, embed_migrations};

pub const MIGRATIONS: EmbeddedMigrations = embed_migrations!("migrations");

/// A pool of read connections.
pub type ReadPool = Pool<ConnectionManager<SqliteConnection>>;

/// Why the store failed.
#[derive(Debug, thiserror::Error)]
pub enum DbError {
    #[error("database: {0}")]
    Query(#[from] diesel::result::Error),
    #[error("cannot open the database: {0}")]
    Connect(#[from] diesel::ConnectionError),
    #[error("connection pool: {0}")]
    Pool(#[from] diesel::r2d2::PoolError),
    #[error("pool setup: {0}")]
    PoolSetup(String),
    #[error("migrations: {0}")]
    Migration(String),
    #[error("stored data is corrupt: {0}")]
    Corrupt(String),
}

/// WAL lets readers run beside the one writer; `synchronous=FULL` makes every commit durable
/// (fsync) before a receipt is given.
/// The busy timeout comes first, so that even switching the journal mode waits for a reader
/// that is still opening rather than failing at once.
/// The writer leaves checkpointing the WAL into the database file to [`checkpointer`], so a
/// commit never waits for it.
const PRAGMAS: &str = "PRAGMA busy_timeout = 10000; PRAGMA journal_mode = WAL; \
    PRAGMA synchronous = FULL; PRAGMA foreign_keys = OFF; PRAGMA cache_size = -1048576; \
    PRAGMA temp_store = MEMORY; PRAGMA wal_autocheckpoint = 0; PRAGMA journal_size_limit = 67108864;";

/// Opens the writer's connection and brings the schema up to date.
pub fn open_writer(path: &Path) -> Result<SqliteConnection, DbError> {
    let mut conn = SqliteConnection::establish(&path.to_string_lossy())?;
    conn.batch_execute(PRAGMAS)?;
    conn.run_pending_migrations(MIGRATIONS).map_err(|e| DbError::Migration(e.to_string()))?;
    Ok(conn)
}

#[derive(Debug)]
struct ReadPragmas;

impl CustomizeConnection<SqliteConnection, diesel::r2d2::Error> for ReadPragmas {
    fn on_acquire(&self, conn: &mut SqliteConnection) -> Result<(), diesel::r2d2::Error> {
        conn.batch_execute(READ_PRAGMAS).map_err(diesel::r2d2::Error::QueryError)
    }
}

const READ_PRAGMAS: &str = "PRAGMA busy_timeout = 10000; PRAGMA cache_size = -65536; PRAGMA mmap_size = 1073741824; PRAGMA query_only = ON;";

/// One read-only connection, for a thread that keeps its own.
pub fn open_reader(path: &Path) -> Result<SqliteConnection, DbError> {
    let mut conn = SqliteConnection::establish(&path.to_string_lossy())?;
    conn.batch_execute(READ_PRAGMAS)?;
    Ok(conn)
}

/// Copies committed WAL frames into the database file every quarter second, beside the writer
/// (a passive checkpoint never blocks it), until `stop` is dropped; then once more.
pub fn checkpointer(path: &Path, stop: std::sync::mpsc::Receiver<()>) -> Result<(), DbError> {
    let mut conn = SqliteConnection::establish(&path.to_string_lossy())?;
    conn.batch_execute("PRAGMA busy_timeout = 10000;")?;
    loop {
        let last = matches!(
            stop.recv_timeout(Duration::from_millis(250)),
            Err(std::sync::mpsc::RecvTimeoutError::Disconnected) | Ok(())
        );
        if let Err(e) = conn.batch_execute("PRAGMA wal_checkpoint(PASSIVE);") {
            tracing::warn!(error = %e, "WAL checkpoint failed; will retry");
        }
        if last {
            return Ok(());
        }
    }
}

/// A pool of read-only connections for the HTTP handlers.
pub fn read_pool(path: &Path, size: u32) -> Result<ReadPool, DbError> {
    let manager = ConnectionManager::<SqliteConnection>::new(path.to_string_lossy());
    Pool::builder()
        .max_size(size)
        .connection_timeout(Duration::from_secs(10))
        .connection_customizer(Box::new(ReadPragmas))
        .build(manager)
        .map_err(|e| DbError::PoolSetup(e.to_string()))
}

/// Reverts every migration: used by the test that proves each one reverts cleanly.
pub fn revert_all(conn: &mut SqliteConnection) -> Result<(), DbError> {
    conn.revert_all_migrations(MIGRATIONS).map_err(|e| DbError::Migration(e.to_string()))?;
    Ok(())
}

pub(crate) fn hash_from(bytes: &[u8]) -> Result<terroir_shared::Hash, DbError> {
    <[u8; 32]>::try_from(bytes)
        .map(terroir_shared::Hash)
        .map_err(|_| DbError::Corrupt(format!("a stored hash has {} bytes", bytes.len())))
}

#[cfg(test)]
mod tests {
    use diesel::prelude::*;
    use diesel::sql_types::Text;

    use super::*;

    #[derive(QueryableByName)]
    struct Name {
        #[diesel(sql_type = Text)]
        name: String,
    }

    fn tables(conn: &mut SqliteConnection) -> Vec<String> {
        diesel::sql_query("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE '\\_\\_%' ESCAPE '\\' AND name NOT LIKE 'sqlite_%' ORDER BY name")
            .load::<Name>(conn)
            .expect("tables")
            .into_iter()
            .map(|n| n.name)
            .collect()
    }

    #[test]
    fn every_migration_reverts_and_reapplies() {
        let dir = tempfile::tempdir().expect("dir");
        let mut conn = open_writer(&dir.path().join("t.sqlite")).expect("open and migrate");
        let created = tables(&mut conn);
        assert!(
            created.contains(&"entries".to_owned()) && created.contains(&"nodes".to_owned()),
            "{created:?}"
        );
        revert_all(&mut conn).expect("revert");
        assert_eq!(tables(&mut conn), Vec::<String>::new());
        conn.run_pending_migrations(MIGRATIONS).expect("reapply");
        assert_eq!(tables(&mut conn), created);
    }
}
