//! The `checkpoints` table: every checkpoint the log has signed.

use diesel::prelude::*;
use diesel::sqlite::SqliteConnection;

use super::DbError;
use super::schema::checkpoints;

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = checkpoints)]
pub struct CheckpointRow {
    pub size: i64,
    pub root: Vec<u8>,
    pub note: String,
    pub signed_at: i64,
}

pub fn insert(conn: &mut SqliteConnection, row: &CheckpointRow) -> Result<(), DbError> {
    diesel::insert_into(checkpoints::table).values(row).execute(conn)?;
    Ok(())
}

pub fn latest(conn: &mut SqliteConnection) -> Result<Option<CheckpointRow>, DbError> {
    Ok(checkpoints::table
        .order(checkpoints::size.desc())
        .select(CheckpointRow::as_select())
        .first(conn)
        .optional()?)
}

/// All checkpoints, smallest first (for the audit).
pub fn all(conn: &mut SqliteConnection) -> Result<Vec<CheckpointRow>, DbError> {
    Ok(checkpoints::table.order(checkpoints::size).select(CheckpointRow::as_select()).load(conn)?)
}

/// The first checkpoint whose tree includes entry `idx`.
pub fn first_covering(conn: &mut SqliteConnection, idx: i64) -> Result<Option<CheckpointRow>, DbError> {
    Ok(checkpoints::table
        .filter(checkpoints::size.gt(idx))
        .order(checkpoints::size)
        .select(CheckpointRow::as_select())
        .first(conn)
        .optional()?)
}

/// Checkpoints with `after < size <= upto`, smallest first (for the audit, chunk by chunk).
pub fn range(conn: &mut SqliteConnection, after: i64, upto: i64) -> Result<Vec<CheckpointRow>, DbError> {
    Ok(checkpoints::table
        .filter(checkpoints::size.gt(after).and(checkpoints::size.le(upto)))
        .order(checkpoints::size)
        .select(CheckpointRow::as_select())
        .load(conn)?)
}

/// Checkpoints whose size is outside `1..=entries`, smallest first.
pub fn outside(conn: &mut SqliteConnection, entries: i64) -> Result<Vec<CheckpointRow>, DbError> {
    Ok(checkpoints::table
        .filter(checkpoints::size.lt(1).or(checkpoints::size.gt(entries)))
        .order(checkpoints::size)
        .select(CheckpointRow::as_select())
        .load(conn)?)
}

pub fn count(conn: &mut SqliteConnection) -> Result<i64, DbError> {
    Ok(checkpoints::table.count().get_result(conn)?)
}
