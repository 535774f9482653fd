//! Where a read runs. A point read (a label, an asset, a holder: a few indexed lookups) runs
//! right where it is asked for, on the calling thread's own connection: handing it to another
//! thread costs more than the read. Anything longer (a history, a page of entries, a proof, a
//! tile) goes to a pool of connections on the blocking threads, so that it never holds up the
//! thread answering other requests.

use std::cell::RefCell;
use std::path::PathBuf;

use diesel::sqlite::SqliteConnection;

use super::ServiceError;
use crate::db::{self, DbError, ReadPool};

thread_local! {
    /// Each thread's own read connection, and the database it reads.
    static OWN: RefCell<Option<(PathBuf, SqliteConnection)>> = const { RefCell::new(None) };
}

/// Read connections to one database.
#[derive(Clone)]
pub struct Reader {
    pool: ReadPool,
    database: PathBuf,
}

impl Reader {
    /// Reads of the database at `database`, with `connections` pooled for long reads.
    pub fn open(database: PathBuf, connections: u32) -> Result<Self, ServiceError> {
        Ok(Self { pool: db::read_pool(&database, connections)?, database })
    }

    /// The database read.
    pub fn database(&self) -> &std::path::Path {
        &self.database
    }

    /// Runs a point read here, on this thread's own connection (opened on first use).
    pub fn now<T>(
        &self,
        read: impl FnOnce(&mut SqliteConnection) -> Result<T, ServiceError>,
    ) -> Result<T, ServiceError> {
        OWN.with(|cell| {
            let mut slot = cell.borrow_mut();
            let stale = slot.as_ref().is_none_or(|(path, _)| *path != self.database);
            if stale {
                *slot = Some((self.database.clone(), db::open_reader(&self.database)?));
            }
            match slot.as_mut() {
                Some((_, conn)) => read(conn),
                None => Err(ServiceError::Interrupted),
            }
        })
    }

    /// Runs a longer read on a pooled connection, on a blocking thread.
    pub async fn pooled<T, F>(&self, read: F) -> Result<T, ServiceError>
    where
        T: Send + 'static,
        F: FnOnce(&mut SqliteConnection) -> Result<T, ServiceError> + Send + 'static,
    {
        let pool = self.pool.clone();
        tokio::task::spawn_blocking(move || {
            let mut conn = pool.get().map_err(DbError::from)?;
            read(&mut conn)
        })
        .await
        .map_err(|_| ServiceError::Interrupted)?
    }
}
