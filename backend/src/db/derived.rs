//! The derived tables read whole, row by row as stored, for the audit to hold them to a replay
//! of the log: parties, devices, assets (in place order, a chunk at a time), identity keys,
//! lineage edges and the record index.

use diesel::prelude::*;
use diesel::sqlite::SqliteConnection;

use super::DbError;
use super::schema::{asset_parents, assets, devices, identities, parties, record_index};

/// A stored device row: its key, its party and its body.
pub type DeviceRow = (Vec<u8>, Vec<u8>, String);

/// A lineage edge as stored: parent, child.
pub type EdgeRow = (Vec<u8>, Vec<u8>);

/// A stored asset row: its place, id, body (the asset's JSON as served) and history.
pub struct AssetRow {
    pub place: i64,
    pub id: Vec<u8>,
    pub body: String,
    pub history: String,
}

/// Every party row: id and body.
pub fn parties(conn: &mut SqliteConnection) -> Result<Vec<(Vec<u8>, String)>, DbError> {
    Ok(parties::table.select((parties::id, parties::body)).order(parties::id).load(conn)?)
}

/// Every device row: key, party and body.
pub fn devices(conn: &mut SqliteConnection) -> Result<Vec<DeviceRow>, DbError> {
    Ok(devices::table.select((devices::key, devices::party, devices::body)).order(devices::key).load(conn)?)
}

/// Up to `limit` asset rows with a place above `after`, in place order.
pub fn assets_after(conn: &mut SqliteConnection, after: i64, limit: i64) -> Result<Vec<AssetRow>, DbError> {
    let rows: Vec<(i64, Vec<u8>, String, String)> = assets::table
        .filter(assets::place.gt(after))
        .order(assets::place)
        .select((assets::place, assets::id, assets::body, assets::history))
        .limit(limit)
        .load(conn)?;
    Ok(rows.into_iter().map(|(place, id, body, history)| AssetRow { place, id, body, history }).collect())
}

/// The highest place an asset row holds (see [`super::state::made_by`]).
pub fn highest_place(conn: &mut SqliteConnection) -> Result<Option<i64>, DbError> {
    Ok(assets::table.select(diesel::dsl::max(assets::place)).get_result(conn)?)
}

/// The highest entry index the record index names.
pub fn highest_indexed(conn: &mut SqliteConnection) -> Result<Option<i64>, DbError> {
    Ok(record_index::table.select(diesel::dsl::max(record_index::idx)).get_result(conn)?)
}

/// Every identity key and the place of its holder.
pub fn identities(conn: &mut SqliteConnection) -> Result<Vec<(String, i64)>, DbError> {
    Ok(identities::table.select((identities::key, identities::place)).load(conn)?)
}

/// Every lineage edge: parent, child.
pub fn edges(conn: &mut SqliteConnection) -> Result<Vec<EdgeRow>, DbError> {
    Ok(asset_parents::table.select((asset_parents::parent, asset_parents::child)).load(conn)?)
}

/// Every record in the record index, with its entry index.
pub fn indexed_records(conn: &mut SqliteConnection) -> Result<Vec<(Vec<u8>, i64)>, DbError> {
    Ok(record_index::table.select((record_index::record, record_index::idx)).load(conn)?)
}
