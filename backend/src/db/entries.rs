//! The `entries` table: ledger entries, i.e. the Merkle leaves, by index; and `record_index`,
//! the entries of the records that create no asset, by record id.

use diesel::prelude::*;
use diesel::sqlite::SqliteConnection;

use super::DbError;
use super::schema::{entries, record_index};

/// A stored entry.
#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = entries)]
pub struct EntryRow {
    pub idx: i64,
    pub record_id: Vec<u8>,
    pub leaf_hash: Vec<u8>,
    pub leaf: Vec<u8>,
    pub received_at: i64,
}

/// An entry to insert.
#[derive(Debug, Insertable)]
#[diesel(table_name = entries)]
pub struct NewEntry<'a> {
    pub idx: i64,
    pub record_id: &'a [u8],
    pub leaf_hash: &'a [u8],
    pub leaf: &'a [u8],
    pub received_at: i64,
}

pub fn insert(conn: &mut SqliteConnection, rows: &[NewEntry<'_>]) -> Result<(), DbError> {
    super::insert_rows!(conn, entries::table, rows)
}

/// A record found by its id: one that creates no asset. (One that does is found through its
/// first output, see `state::created_at`.)
#[derive(Debug, Insertable)]
#[diesel(table_name = record_index)]
pub struct IndexedRecord<'a> {
    pub record: &'a [u8],
    pub idx: i64,
}

pub fn index_records(conn: &mut SqliteConnection, rows: &[IndexedRecord<'_>]) -> Result<(), DbError> {
    super::insert_rows!(conn, record_index::table, rows)
}

/// The index of the entry holding record `record_id`, if it was accepted and creates no asset
/// (or was accepted before records that create assets were found through them).
pub fn indexed(conn: &mut SqliteConnection, record_id: &[u8]) -> Result<Option<i64>, DbError> {
    Ok(record_index::table.find(record_id).select(record_index::idx).get_result(conn).optional()?)
}

pub fn get(conn: &mut SqliteConnection, idx: i64) -> Result<Option<EntryRow>, DbError> {
    Ok(entries::table.find(idx).select(EntryRow::as_select()).get_result(conn).optional()?)
}

/// Entries with `start <= idx < end`, in order.
pub fn range(conn: &mut SqliteConnection, start: i64, end: i64) -> Result<Vec<EntryRow>, DbError> {
    Ok(entries::table
        .filter(entries::idx.ge(start).and(entries::idx.lt(end)))
        .order(entries::idx)
        .select(EntryRow::as_select())
        .load(conn)?)
}

/// The leaf bytes of entries `start <= idx < end`, in order (for entry bundles).
pub fn leaves(conn: &mut SqliteConnection, start: i64, end: i64) -> Result<Vec<Vec<u8>>, DbError> {
    Ok(entries::table
        .filter(entries::idx.ge(start).and(entries::idx.lt(end)))
        .order(entries::idx)
        .select(entries::leaf)
        .load(conn)?)
}

/// The entries with the given indexes, in index order.
pub fn many(conn: &mut SqliteConnection, idxs: &[i64]) -> Result<Vec<EntryRow>, DbError> {
    Ok(entries::table
        .filter(entries::idx.eq_any(idxs))
        .order(entries::idx)
        .select(EntryRow::as_select())
        .load(conn)?)
}

/// Like [`many`] (in index order), for the few entries of one asset's journey: a handful of
/// point reads by a statement prepared once beat one `IN (…)` list, which SQLite prepares anew
/// for each length.
pub fn some(conn: &mut SqliteConnection, idxs: &[i64]) -> Result<Vec<EntryRow>, DbError> {
    if idxs.len() > 8 {
        return many(conn, idxs);
    }
    let mut rows = Vec::with_capacity(idxs.len());
    for idx in idxs {
        rows.extend(entries::table.find(idx).select(EntryRow::as_select()).get_result(conn).optional()?);
    }
    rows.sort_by_key(|r| r.idx);
    Ok(rows)
}

pub fn count(conn: &mut SqliteConnection) -> Result<i64, DbError> {
    Ok(entries::table.count().get_result(conn)?)
}

/// `(idx, leaf_hash)` of the given entries.
pub fn leaf_hashes(conn: &mut SqliteConnection, idxs: &[i64]) -> Result<Vec<(i64, Vec<u8>)>, DbError> {
    let mut out = Vec::with_capacity(idxs.len());
    for chunk in idxs.chunks(8_000) {
        out.extend(
            entries::table
                .filter(entries::idx.eq_any(chunk))
                .select((entries::idx, entries::leaf_hash))
                .load::<(i64, Vec<u8>)>(conn)?,
        );
    }
    Ok(out)
}

/// The number of entries: one more than the highest index (an O(log n) read).
pub fn size(conn: &mut SqliteConnection) -> Result<u64, DbError> {
    let max: Option<i64> = entries::table.select(diesel::dsl::max(entries::idx)).get_result(conn)?;
    Ok(max.map_or(0, |m| m as u64 + 1))
}
