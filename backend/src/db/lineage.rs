//! `asset_parents` (lineage edges), and which entries touched an asset (its history, kept in
//! its own row).

use diesel::prelude::*;
use diesel::sqlite::SqliteConnection;
use terroir_shared::asset::AssetId;

use super::schema::asset_parents;
use super::{DbError, hash_from};

#[derive(Debug, Insertable)]
#[diesel(table_name = asset_parents)]
pub struct Edge<'a> {
    pub parent: &'a [u8],
    pub child: &'a [u8],
}

pub fn insert(conn: &mut SqliteConnection, edges: &[Edge<'_>]) -> Result<(), DbError> {
    for chunk in edges.chunks(8_000) {
        diesel::insert_or_ignore_into(asset_parents::table).values(chunk).execute(conn)?;
    }
    Ok(())
}

/// Indexes of the entries that touched `asset`, oldest first (none for an unknown asset).
pub fn entries_of(conn: &mut SqliteConnection, asset: &AssetId) -> Result<Vec<i64>, DbError> {
    let history = super::state::history_of(conn, asset)?.unwrap_or_default();
    Ok(history.into_iter().map(|i| i as i64).collect())
}

/// The assets made from `parent` (split parts, merge results, transformation outputs).
pub fn children_of(conn: &mut SqliteConnection, parent: &AssetId) -> Result<Vec<AssetId>, DbError> {
    let rows: Vec<Vec<u8>> = asset_parents::table
        .filter(asset_parents::parent.eq(parent.0.as_bytes().as_slice()))
        .select(asset_parents::child)
        .load(conn)?;
    rows.iter().map(|r| hash_from(r).map(AssetId)).collect()
}
