//! The SQLite store: connections with the pragmas durability needs, embedded migrations, and
//! one module per table group. Nothing outside `db/` touches `schema::`.

pub mod checkpoints;
pub mod derived;
pub mod entries;
pub mod lineage;
pub mod map;
pub mod nodes;
pub mod personal;
pub mod pin;
pub mod scans;
#[rustfmt::skip]
pub mod schema;
pub mod state;
pub mod wal;

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
/// The writer leaves checkpointing the WAL into the database file to [`wal::Wal`], so a
/// commit never waits for it.
const PRAGMAS: &str = "PRAGMA busy_timeout = 10000; PRAGMA journal_mode = WAL; \
    PRAGMA synchronous = FULL; PRAGMA foreign_keys = OFF; PRAGMA cache_size = -1048576; \
    PRAGMA temp_store = MEMORY; PRAGMA wal_autocheckpoint = 0; PRAGMA journal_size_limit = 1073741824;";

/// Opens the writer's connection and brings the schema up to date. A ledger that still keeps
/// contact data in its own database has it moved to the personal store first; the table is
/// then dropped and the database vacuumed once, so that no byte of it stays in its free pages
/// or its WAL.
pub fn open_writer(path: &Path) -> Result<SqliteConnection, DbError> {
    let mut conn = SqliteConnection::establish(&path.to_string_lossy())?;
    conn.batch_execute(PRAGMAS)?;
    let legacy = personal::has_legacy_table(&mut conn)?;
    if legacy {
        let moved = personal::move_out_of(&mut conn, path)?;
        tracing::info!(moved, "contact data moved to {}; vacuuming the ledger once", personal::FILE);
    }
    conn.run_pending_migrations(MIGRATIONS).map_err(|e| DbError::Migration(e.to_string()))?;
    if legacy {
        conn.batch_execute("VACUUM; PRAGMA wal_checkpoint(TRUNCATE);")?;
    }
    Ok(conn)
}

#[derive(Debug)]
struct ReadPragmas;

impl CustomizeConnection<SqliteConnection, diesel::r2d2::Error> for ReadPragmas {
    fn on_acquire(&self, conn: &mut SqliteConnection) -> Result<(), diesel::r2d2::Error> {
        conn.batch_execute(READ_PRAGMAS).map_err(diesel::r2d2::Error::QueryError)
    }
}

/// Readers map the database (up to 64 GiB, the ceiling SQLite is built with in
/// `.cargo/config.toml`): a page already in the OS cache is then read in place instead of
/// copied by a system call.
const READ_PRAGMAS: &str = "PRAGMA busy_timeout = 10000; PRAGMA cache_size = -65536; PRAGMA mmap_size = 68719476736; PRAGMA query_only = ON;";

/// A connection without the writer's pragmas or migrations, for copying a database beside the
/// process that keeps it.
pub fn open_for_copy(path: &Path) -> Result<SqliteConnection, DbError> {
    let mut conn = SqliteConnection::establish(&path.to_string_lossy())?;
    conn.batch_execute("PRAGMA busy_timeout = 10000;")?;
    Ok(conn)
}

/// `VACUUM INTO`: a consistent copy of the database holding its live rows only, written to
/// `dest`, a new file. Freed pages, and whatever they held, stay behind.
pub fn copy_into(conn: &mut SqliteConnection, dest: &Path) -> Result<(), DbError> {
    use diesel::RunQueryDsl as _;
    diesel::sql_query("VACUUM INTO ?")
        .bind::<diesel::sql_types::Text, _>(dest.to_string_lossy())
        .execute(conn)?;
    Ok(())
}

/// One read-only connection, for a thread that keeps its own.
pub fn open_reader(path: &Path) -> Result<SqliteConnection, DbError> {
    let mut conn = SqliteConnection::establish(&path.to_string_lossy())?;
    conn.batch_execute(READ_PRAGMAS)?;
    Ok(conn)
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

/// How many migrations this version would still make to the database.
pub fn pending_migrations(conn: &mut SqliteConnection) -> Result<usize, DbError> {
    Ok(conn.pending_migrations(MIGRATIONS).map_err(|e| DbError::Migration(e.to_string()))?.len())
}

/// Reverts every migration: used by the test that proves each one reverts cleanly.
pub fn revert_all(conn: &mut SqliteConnection) -> Result<(), DbError> {
    conn.revert_all_migrations(MIGRATIONS).map_err(|e| DbError::Migration(e.to_string()))?;
    Ok(())
}

/// Rows per multi-row INSERT. A fixed count lets each table's statement be prepared once per
/// connection and reused; SQL for any other number of rows is parsed and planned anew.
pub(crate) const ROWS_PER_INSERT: usize = 64;

/// Inserts a slice of rows into a table in statements of [`ROWS_PER_INSERT`] rows (arrays, so
/// that diesel caches the statement), the rest one by one. A macro: diesel's bounds for this do
/// not resolve through a generic function.
macro_rules! insert_rows {
    ($conn:expr, $table:expr, $rows:expr) => {{
        let mut batches = $rows.chunks_exact($crate::db::ROWS_PER_INSERT);
        for batch in &mut batches {
            let batch: &[_; $crate::db::ROWS_PER_INSERT] = batch
                .try_into()
                .map_err(|_| $crate::db::DbError::Corrupt("a batch of rows changed length".into()))?;
            diesel::insert_into($table).values(batch).execute($conn)?;
        }
        for row in batches.remainder() {
            diesel::insert_into($table).values(row).execute($conn)?;
        }
        Ok::<(), $crate::db::DbError>(())
    }};
}
pub(crate) use insert_rows;

// Reads by a unique key use `get_result`, never `first`: `first` adds `LIMIT ?`, and SQLite
// re-prepares a statement whose LIMIT is a bound parameter every time that parameter is bound
// again, so each such read would parse and plan its SQL anew.

/// Whether an error names a failure of the disk under the database rather than of the data:
/// SQLite's words for `SQLITE_FULL`, `SQLITE_IOERR` and `SQLITE_CANTOPEN` (diesel passes on
/// only the message). A write that fails so stored nothing (its transaction rolled back) and
/// can succeed once space or the disk returns.
pub fn storage_failure(message: &str) -> Option<&'static str> {
    [
        ("database or disk is full", "its disk is full"),
        ("disk I/O error", "its disk failed to read or write"),
        ("unable to open database file", "it cannot open its database files"),
    ]
    .into_iter()
    .find(|(said, _)| message.contains(said))
    .map(|(_, why)| why)
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

    #[derive(QueryableByName, Debug, PartialEq, Clone)]
    struct LogRow {
        #[diesel(sql_type = diesel::sql_types::BigInt)]
        idx: i64,
        #[diesel(sql_type = diesel::sql_types::Binary)]
        bytes: Vec<u8>,
    }

    /// Every row of the log's three tables, and whether each is a rowid table.
    fn log_tables(conn: &mut SqliteConnection) -> (Vec<LogRow>, Vec<bool>) {
        let rows = diesel::sql_query(
            "SELECT idx, record_id || leaf_hash || leaf || received_at AS bytes FROM entries \
             UNION ALL SELECT idx, hash FROM nodes \
             UNION ALL SELECT size, root || note || signed_at FROM checkpoints",
        )
        .load(conn)
        .expect("rows");
        let rowid = ["entries", "nodes", "checkpoints"]
            .map(|t| {
                let sql: Vec<Name> = diesel::sql_query(format!(
                    "SELECT sql AS name FROM sqlite_master WHERE type = 'table' AND name = '{t}'"
                ))
                .load(conn)
                .expect("schema");
                !sql[0].name.contains("WITHOUT ROWID")
            })
            .to_vec();
        (rows, rowid)
    }

    #[test]
    fn the_log_rowid_migration_keeps_every_row_both_ways() {
        let dir = tempfile::tempdir().expect("dir");
        let mut conn =
            SqliteConnection::establish(&dir.path().join("t.sqlite").to_string_lossy()).expect("open");
        for step in ["ledger", "scans", "compact state"] {
            conn.run_next_migration(MIGRATIONS).expect(step);
        }
        conn.batch_execute(
            "INSERT INTO entries VALUES (1, x'a1', x'b1', x'7b7d', 7), (0, x'a0', x'b0', x'7b2261223a317d', 5);
             INSERT INTO nodes VALUES (3, x'c3'), (0, x'c0'), (1, x'c1');
             INSERT INTO checkpoints VALUES (2, x'd2', 'note two', 9), (1, x'd1', 'note one', 8);",
        )
        .expect("old rows");
        let (before, rowid) = log_tables(&mut conn);
        assert_eq!((before.len(), rowid), (7, vec![false; 3]));
        conn.run_next_migration(MIGRATIONS).expect("log rowid");
        assert_eq!(log_tables(&mut conn), (before.clone(), vec![true; 3]));
        conn.revert_last_migration(MIGRATIONS).expect("revert");
        assert_eq!(log_tables(&mut conn), (before, vec![false; 3]));
    }

    #[test]
    fn the_identity_place_migration_keeps_every_holder_both_ways() {
        let dir = tempfile::tempdir().expect("dir");
        let mut conn =
            SqliteConnection::establish(&dir.path().join("t.sqlite").to_string_lossy()).expect("open");
        for step in ["ledger", "scans", "compact state", "log rowid"] {
            conn.run_next_migration(MIGRATIONS).expect(step);
        }
        // Asset ids of 32 bytes: all ones at place 5, all twos at place 2^20.
        let (one, two) = ("01".repeat(32), "02".repeat(32));
        conn.batch_execute(&format!(
            "INSERT INTO assets VALUES (5, x'{one}', '{{}}', ' 0'), (1048576, x'{two}', '{{}}', ' 1');
             INSERT INTO identities VALUES ('gs1:/01/1/10/A', x'{two}'), ('tag:9', x'{one}'), \
             ('gs1:/01/1/10/B', x'{two}');"
        ))
        .expect("old rows");
        conn.run_next_migration(MIGRATIONS).expect("identity place");
        let places: Vec<(String, i64)> = schema::identities::table
            .select((schema::identities::key, schema::identities::place))
            .load(&mut conn)
            .expect("identities");
        let expected = [("gs1:/01/1/10/A", 1 << 20), ("gs1:/01/1/10/B", 1 << 20), ("tag:9", 5)];
        assert_eq!(places, expected.map(|(k, p)| (k.to_owned(), p)));
        let holders = ["gs1:/01/1/10/A", "tag:9", "tag:8"]
            .map(|k| state::holder_of(&mut conn, k).expect("read").map(|a| a.0.as_bytes()[0]));
        assert_eq!(holders, [Some(2), Some(1), None]);
        conn.revert_last_migration(MIGRATIONS).expect("revert");
        let back: Vec<Touch> = diesel::sql_query(
            "SELECT substr(asset, 1, 1) AS asset, length(asset) AS idx FROM identities ORDER BY key",
        )
        .load(&mut conn)
        .expect("identities");
        assert_eq!(back, [2, 2, 1].map(|a| Touch { asset: vec![a], idx: 32 }));
    }

    #[test]
    fn an_older_ledgers_contacts_move_out_and_no_byte_of_them_stays_behind() {
        let dir = tempfile::tempdir().expect("dir");
        let path = dir.path().join("ledger.sqlite");
        let mut conn = SqliteConnection::establish(&path.to_string_lossy()).expect("open");
        conn.batch_execute(PRAGMAS).expect("pragmas");
        // Every migration before the one that drops the table, as an older server left them.
        let drops_it = |conn: &mut SqliteConnection| {
            let pending = conn.pending_migrations(MIGRATIONS).expect("pending");
            pending
                .first()
                .expect("the migration that drops it")
                .name()
                .to_string()
                .ends_with("_contacts_out")
        };
        while !drops_it(&mut conn) {
            conn.run_next_migration(MIGRATIONS).expect("migrate");
        }
        let (kept, erased) = ("ab".repeat(32), "cd".repeat(32));
        let party = "11".repeat(32);
        conn.batch_execute(&format!(
            "INSERT INTO parties VALUES (x'{party}', '{{\"contact\":\"{kept}\",\"name\":\"Co-op\"}}');
             INSERT INTO contacts VALUES (x'{kept}', 'Kept Person', '+86 100', x'{party}'),
                                         (x'{erased}', 'Erased Person', '+86 200', x'{party}');
             DELETE FROM contacts WHERE commitment = x'{erased}';
             PRAGMA wal_checkpoint(PASSIVE);"
        ))
        .expect("old rows");
        drop(conn);
        let holding = |needle: &str| {
            std::fs::read_dir(dir.path())
                .expect("dir")
                .map(|e| e.expect("entry").path())
                .filter(|p| {
                    std::fs::read(p).is_ok_and(|b| b.windows(needle.len()).any(|w| w == needle.as_bytes()))
                })
                .map(|p| p.file_name().expect("name").to_string_lossy().into_owned())
                .collect::<Vec<_>>()
        };
        assert!(!holding("Erased Person").is_empty(), "SQLite left the deleted row's bytes behind");

        let conn = open_writer(&path).expect("open and migrate");
        drop(conn);
        assert_eq!(holding("Kept Person"), vec![personal::FILE.to_owned()]);
        assert!(holding("Erased Person").is_empty(), "{:?}", holding("Erased Person"));
        let mut store = personal::open(&personal::beside(&path)).expect("store");
        let (subject, contact) =
            personal::get(&mut store, &hex::decode(&kept).expect("hex")).expect("read").expect("moved");
        assert_eq!((subject.version, subject.party), (1, Some(hex::decode(&party).expect("hex"))));
        assert_eq!(contact.map(|c| (c.name, c.phone)), Some(("Kept Person".into(), Some("+86 100".into()))));
        assert_eq!(personal::held(&mut store).expect("held").len(), 1);
    }

    #[derive(QueryableByName)]
    struct MmapSize {
        #[diesel(sql_type = diesel::sql_types::BigInt)]
        mmap_size: i64,
    }

    #[test]
    fn readers_map_ledgers_past_two_gib() {
        let dir = tempfile::tempdir().expect("dir");
        let path = dir.path().join("t.sqlite");
        open_writer(&path).expect("create");
        let mut conn = open_reader(&path).expect("reader");
        let granted =
            diesel::sql_query("PRAGMA mmap_size").get_result::<MmapSize>(&mut conn).expect("pragma");
        // SQLite grants at most the ceiling it was built with: 2 GiB unless raised.
        assert_eq!(granted.mmap_size, 64 << 30);
    }

    #[derive(QueryableByName, Debug, PartialEq)]
    struct Touch {
        #[diesel(sql_type = diesel::sql_types::Binary)]
        asset: Vec<u8>,
        #[diesel(sql_type = diesel::sql_types::BigInt)]
        idx: i64,
    }

    #[test]
    fn the_compact_state_migration_keeps_histories_and_record_ids_both_ways() {
        let dir = tempfile::tempdir().expect("dir");
        let mut conn =
            SqliteConnection::establish(&dir.path().join("t.sqlite").to_string_lossy()).expect("open");
        conn.run_next_migration(MIGRATIONS).expect("ledger");
        conn.run_next_migration(MIGRATIONS).expect("scans");
        // Two assets, one touched by three entries out of order of insertion.
        conn.batch_execute(
            "INSERT INTO entries VALUES (0, x'a0', x'b0', x'7b7d', 1), (1, x'a1', x'b1', x'7b7d', 1), \
             (2, x'a2', x'b2', x'7b7d', 1);
             INSERT INTO assets VALUES (x'01', x'0f', '{\"owner\":\"0f\"}'), (x'02', x'0e', '{\"owner\":\"0e\"}');
             INSERT INTO asset_entries VALUES (x'01', 2), (x'01', 0), (x'02', 1), (x'01', 1);",
        )
        .expect("old rows");
        conn.run_next_migration(MIGRATIONS).expect("compact state");
        let first = terroir_shared::asset::AssetId(terroir_shared::Hash([0; 32]));
        assert_eq!(state::history_of(&mut conn, &first).expect("read"), None);
        let histories: Vec<(i64, Vec<u8>, String)> = schema::assets::table
            .select((schema::assets::place, schema::assets::id, schema::assets::history))
            .load(&mut conn)
            .expect("assets");
        assert_eq!(histories, [(0, vec![1], " 0 1 2".to_owned()), (1 << 20, vec![2], " 1".to_owned())]);
        for (record, idx) in [(&[0xa0u8][..], 0), (&[0xa2], 2)] {
            assert_eq!(entries::indexed(&mut conn, record).expect("read"), Some(idx));
        }
        conn.revert_last_migration(MIGRATIONS).expect("revert");
        let touches: Vec<Touch> =
            diesel::sql_query("SELECT asset, idx FROM asset_entries ORDER BY asset, idx")
                .load(&mut conn)
                .expect("asset_entries");
        let expected = [(1, 0), (1, 1), (1, 2), (2, 1)].map(|(a, idx)| Touch { asset: vec![a], idx });
        assert_eq!(touches, expected);
        let owners: Vec<Touch> =
            diesel::sql_query("SELECT owner AS asset, length(body) AS idx FROM assets ORDER BY id")
                .load(&mut conn)
                .expect("owners");
        assert_eq!(owners, [Touch { asset: vec![0x0f], idx: 14 }, Touch { asset: vec![0x0e], idx: 14 }]);
    }
}
