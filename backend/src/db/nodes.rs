//! The `nodes` table: the tree's stored hashes, read through the core's `NodeStore`.

use std::cell::RefCell;

use diesel::prelude::*;
use diesel::sqlite::SqliteConnection;
use terroir_shared::Hash;
use terroir_shared::log::{NodeStore, StoreError};

use super::schema::nodes;
use super::{DbError, hash_from};

#[derive(Debug, Insertable)]
#[diesel(table_name = nodes)]
pub struct NewNode<'a> {
    pub idx: i64,
    pub hash: &'a [u8],
}

pub fn insert(conn: &mut SqliteConnection, rows: &[NewNode<'_>]) -> Result<(), DbError> {
    super::insert_rows!(conn, nodes::table, rows)
}

/// Stored hashes read from a connection: one query per proof (O(log n) rows).
pub struct DbNodes<'a>(RefCell<&'a mut SqliteConnection>);

impl<'a> DbNodes<'a> {
    pub fn new(conn: &'a mut SqliteConnection) -> Self {
        Self(RefCell::new(conn))
    }
}

impl NodeStore for DbNodes<'_> {
    fn read_nodes(&self, indexes: &[u64]) -> Result<Vec<Hash>, StoreError> {
        let wanted: Vec<i64> = indexes.iter().map(|&i| i as i64).collect();
        let mut conn = self.0.borrow_mut();
        let rows: Vec<(i64, Vec<u8>)> = nodes::table
            .filter(nodes::idx.eq_any(&wanted))
            .select((nodes::idx, nodes::hash))
            .load(&mut **conn)
            .map_err(|e| StoreError::Backend(e.to_string()))?;
        let found: std::collections::HashMap<i64, Vec<u8>> = rows.into_iter().collect();
        wanted
            .iter()
            .map(|i| {
                let bytes = found.get(i).ok_or(StoreError::Missing { index: *i as u64 })?;
                hash_from(bytes).map_err(|e: DbError| StoreError::Backend(e.to_string()))
            })
            .collect()
    }
}

/// Stored hashes with `start <= idx < end`, in order (for the audit).
pub fn range(conn: &mut SqliteConnection, start: i64, end: i64) -> Result<Vec<(i64, Vec<u8>)>, DbError> {
    Ok(nodes::table
        .filter(nodes::idx.ge(start).and(nodes::idx.lt(end)))
        .order(nodes::idx)
        .select((nodes::idx, nodes::hash))
        .load(conn)?)
}

/// How many stored hashes there are, and the smallest and largest index.
pub fn extent(conn: &mut SqliteConnection) -> Result<(i64, Option<i64>, Option<i64>), DbError> {
    use diesel::dsl::{count_star, max, min};
    Ok(nodes::table.select((count_star(), min(nodes::idx), max(nodes::idx))).get_result(conn)?)
}

/// The stored hashes at `indexes`, in as few queries as SQLite's parameter limit allows.
pub fn read_many(
    conn: &mut SqliteConnection,
    indexes: &[u64],
) -> Result<std::collections::HashMap<u64, Hash>, DbError> {
    let mut out = std::collections::HashMap::with_capacity(indexes.len());
    let wanted: Vec<i64> = indexes.iter().map(|&i| i as i64).collect();
    for chunk in wanted.chunks(16_000) {
        let rows: Vec<(i64, Vec<u8>)> =
            nodes::table.filter(nodes::idx.eq_any(chunk)).select((nodes::idx, nodes::hash)).load(conn)?;
        for (i, h) in rows {
            out.insert(i as u64, hash_from(&h)?);
        }
    }
    Ok(out)
}
