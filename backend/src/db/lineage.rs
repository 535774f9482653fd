//! `asset_entries` (which entries touched an asset) and `asset_parents` (lineage edges).

use diesel::prelude::*;
use diesel::sqlite::SqliteConnection;
use terroir_shared::asset::AssetId;

use super::schema::{asset_entries, asset_parents};
use super::{DbError, hash_from};

#[derive(Debug, Insertable)]
#[diesel(table_name = asset_entries)]
pub struct AssetEntry<'a> {
    pub asset: &'a [u8],
    pub idx: i64,
}

#[derive(Debug, Insertable)]
#[diesel(table_name = asset_parents)]
pub struct Edge<'a> {
    pub parent: &'a [u8],
    pub child: &'a [u8],
}

pub fn insert(
    conn: &mut SqliteConnection,
    touched: &[AssetEntry<'_>],
    edges: &[Edge<'_>],
) -> Result<(), DbError> {
    for chunk in touched.chunks(8_000) {
        diesel::insert_or_ignore_into(asset_entries::table).values(chunk).execute(conn)?;
    }
    for chunk in edges.chunks(8_000) {
        diesel::insert_or_ignore_into(asset_parents::table).values(chunk).execute(conn)?;
    }
    Ok(())
}

/// Indexes of the entries that touched `asset`, oldest first.
pub fn entries_of(conn: &mut SqliteConnection, asset: &AssetId) -> Result<Vec<i64>, DbError> {
    Ok(asset_entries::table
        .filter(asset_entries::asset.eq(asset.0.as_bytes().as_slice()))
        .order(asset_entries::idx)
        .select(asset_entries::idx)
        .load(conn)?)
}

/// The assets made from `parent` (split parts, merge results, transformation outputs).
pub fn children_of(conn: &mut SqliteConnection, parent: &AssetId) -> Result<Vec<AssetId>, DbError> {
    let rows: Vec<Vec<u8>> = asset_parents::table
        .filter(asset_parents::parent.eq(parent.0.as_bytes().as_slice()))
        .select(asset_parents::child)
        .load(conn)?;
    rows.iter().map(|r| hash_from(r).map(AssetId)).collect()
}
