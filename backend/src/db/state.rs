//! The current state tables: parties, devices, assets and identity keys, each row holding the
//! core's type as JSON (an asset's row also its history). They are derived data: replaying the
//! entries rebuilds them.

use diesel::prelude::*;
use diesel::sqlite::SqliteConnection;
use terroir_shared::asset::{Asset, AssetId};
use terroir_shared::crypto::PublicKey;
use terroir_shared::party::{Device, Party, PartyId};

use super::DbError;
use super::schema::{assets, devices, identities, parties};

#[derive(Debug, Insertable)]
#[diesel(table_name = parties)]
struct PartyRow<'a> {
    id: &'a [u8],
    body: String,
}

#[derive(Debug, Insertable)]
#[diesel(table_name = devices)]
struct DeviceRow<'a> {
    key: &'a [u8],
    party: &'a [u8],
    body: String,
}

#[derive(Debug, Insertable)]
#[diesel(table_name = assets)]
struct AssetRow<'a> {
    place: i64,
    id: &'a [u8],
    body: String,
    history: String,
}

/// An asset's new state and the entries that touched it since it was last written.
pub struct AssetChange<'a> {
    pub asset: &'a Asset,
    /// Entry indexes, ascending, all above those already stored.
    pub touched_by: &'a [u64],
}

/// Bits of an asset's place below the index of the entry that created it.
const PLACE_BITS: u32 = 20;

/// Where a new asset goes in the table: after everything the log made before it, by the index
/// of the entry that created it and its output position.
pub fn place(created_at: u64, position: u32) -> i64 {
    ((created_at << PLACE_BITS) | u64::from(position)) as i64
}

/// The index of the entry that created the asset at `place`.
pub fn made_by(place: i64) -> u64 {
    place as u64 >> PLACE_BITS
}

#[derive(Debug, Insertable)]
#[diesel(table_name = identities)]
pub struct IdentityRow<'a> {
    pub key: &'a str,
    /// The holder's place (see [`place`]).
    pub place: i64,
}

fn to_json<T: serde::Serialize>(v: &T) -> Result<String, DbError> {
    serde_json::to_string(v).map_err(|e| DbError::Corrupt(e.to_string()))
}

fn from_json<T: serde::de::DeserializeOwned>(s: &str) -> Result<T, DbError> {
    serde_json::from_str(s).map_err(|e| DbError::Corrupt(e.to_string()))
}

pub fn put_parties(conn: &mut SqliteConnection, items: &[&Party]) -> Result<(), DbError> {
    let rows = items
        .iter()
        .map(|p| Ok(PartyRow { id: p.id.0.as_bytes(), body: to_json(p)? }))
        .collect::<Result<Vec<_>, DbError>>()?;
    for chunk in rows.chunks(4_000) {
        diesel::replace_into(parties::table).values(chunk).execute(conn)?;
    }
    Ok(())
}

pub fn put_devices(conn: &mut SqliteConnection, items: &[&Device]) -> Result<(), DbError> {
    let rows = items
        .iter()
        .map(|d| Ok(DeviceRow { key: d.key.as_bytes(), party: d.party.0.as_bytes(), body: to_json(d)? }))
        .collect::<Result<Vec<_>, DbError>>()?;
    for chunk in rows.chunks(4_000) {
        diesel::replace_into(devices::table).values(chunk).execute(conn)?;
    }
    Ok(())
}

/// Inserts new assets at their places, each with the entries that touched it so far.
pub fn insert_assets(conn: &mut SqliteConnection, new: &[(i64, AssetChange<'_>)]) -> Result<(), DbError> {
    let rows = new
        .iter()
        .map(|(place, c)| {
            Ok(AssetRow {
                place: *place,
                id: c.asset.id.0.as_bytes(),
                body: to_json(c.asset)?,
                history: history(c.touched_by),
            })
        })
        .collect::<Result<Vec<_>, DbError>>()?;
    super::insert_rows!(conn, assets::table, rows)
}

/// Rewrites known assets in place: the new state, and the entries that touched them appended
/// to their history.
pub fn update_assets(conn: &mut SqliteConnection, changed: &[AssetChange<'_>]) -> Result<(), DbError> {
    for c in changed {
        let updated = diesel::update(assets::table.filter(assets::id.eq(c.asset.id.0.as_bytes().as_slice())))
            .set((
                assets::body.eq(to_json(c.asset)?),
                assets::history.eq(assets::history.concat(history(c.touched_by))),
            ))
            .execute(conn)?;
        if updated != 1 {
            return Err(DbError::Corrupt(format!("asset {} is not stored", c.asset.id)));
        }
    }
    Ok(())
}

/// The stored spelling of a history: each index after a space, so that appending is
/// concatenating.
pub fn history(indexes: &[u64]) -> String {
    use std::fmt::Write as _;
    let mut out = String::with_capacity(indexes.len() * 8);
    for i in indexes {
        let _ = write!(out, " {i}");
    }
    out
}

/// The indexes of the entries that touched asset `id`, oldest first; `None` if there is no such
/// asset.
pub fn history_of(conn: &mut SqliteConnection, id: &AssetId) -> Result<Option<Vec<u64>>, DbError> {
    stored_history(conn, id)?.as_deref().map(parse_history).transpose()
}

/// The index of the entry that created asset `id`, if it exists: read from the index by id
/// alone.
pub fn created_at(conn: &mut SqliteConnection, id: &AssetId) -> Result<Option<u64>, DbError> {
    let place: Option<i64> = assets::table
        .filter(assets::id.eq(id.0.as_bytes().as_slice()))
        .select(assets::place)
        .get_result(conn)
        .optional()?;
    Ok(place.map(made_by))
}

fn stored_history(conn: &mut SqliteConnection, id: &AssetId) -> Result<Option<String>, DbError> {
    Ok(assets::table
        .filter(assets::id.eq(id.0.as_bytes().as_slice()))
        .select(assets::history)
        .get_result(conn)
        .optional()?)
}

fn parse_history(stored: &str) -> Result<Vec<u64>, DbError> {
    stored.split_ascii_whitespace().map(parse_index).collect()
}

fn parse_index(s: &str) -> Result<u64, DbError> {
    s.parse().map_err(|_| DbError::Corrupt(format!("an asset history holds `{s}`")))
}

pub fn put_identities(conn: &mut SqliteConnection, rows: &[IdentityRow<'_>]) -> Result<(), DbError> {
    for chunk in rows.chunks(8_000) {
        diesel::insert_or_ignore_into(identities::table).values(chunk).execute(conn)?;
    }
    Ok(())
}

pub fn party(conn: &mut SqliteConnection, id: &PartyId) -> Result<Option<Party>, DbError> {
    let body: Option<String> =
        parties::table.find(id.0.as_bytes().as_slice()).select(parties::body).get_result(conn).optional()?;
    body.as_deref().map(from_json).transpose()
}

pub fn all_parties(conn: &mut SqliteConnection) -> Result<Vec<Party>, DbError> {
    let bodies: Vec<String> = parties::table.select(parties::body).load(conn)?;
    bodies.iter().map(|b| from_json(b)).collect()
}

pub fn device(conn: &mut SqliteConnection, key: &PublicKey) -> Result<Option<Device>, DbError> {
    let body: Option<String> =
        devices::table.find(key.as_bytes().as_slice()).select(devices::body).get_result(conn).optional()?;
    body.as_deref().map(from_json).transpose()
}

pub fn devices_of(conn: &mut SqliteConnection, party: &PartyId) -> Result<Vec<Device>, DbError> {
    let bodies: Vec<String> = devices::table
        .filter(devices::party.eq(party.0.as_bytes().as_slice()))
        .select(devices::body)
        .load(conn)?;
    bodies.iter().map(|b| from_json(b)).collect()
}

pub fn asset(conn: &mut SqliteConnection, id: &AssetId) -> Result<Option<Asset>, DbError> {
    asset_json(conn, id)?.as_deref().map(from_json).transpose()
}

/// An asset, its JSON as stored and its history (see [`history_of`]), in one read.
pub fn asset_with_history(
    conn: &mut SqliteConnection,
    id: &AssetId,
) -> Result<Option<(Asset, String, Vec<u64>)>, DbError> {
    let row: Option<(String, String)> = assets::table
        .filter(assets::id.eq(id.0.as_bytes().as_slice()))
        .select((assets::body, assets::history))
        .get_result(conn)
        .optional()?;
    row.map(|(body, history)| Ok((from_json(&body)?, body, parse_history(&history)?))).transpose()
}

/// An asset's JSON exactly as stored, which is exactly as the API serves it.
pub fn asset_json(conn: &mut SqliteConnection, id: &AssetId) -> Result<Option<String>, DbError> {
    Ok(assets::table
        .filter(assets::id.eq(id.0.as_bytes().as_slice()))
        .select(assets::body)
        .get_result(conn)
        .optional()?)
}

pub fn assets_many(conn: &mut SqliteConnection, ids: &[AssetId]) -> Result<Vec<Asset>, DbError> {
    if ids.is_empty() {
        return Ok(vec![]);
    }
    let keys: Vec<&[u8]> = ids.iter().map(|i| i.0.as_bytes().as_slice()).collect();
    let bodies: Vec<String> =
        assets::table.filter(assets::id.eq_any(keys)).select(assets::body).load(conn)?;
    bodies.iter().map(|b| from_json(b)).collect()
}

/// An asset as stored, its history, and the entry that created it: what most labels show,
/// read by one statement.
pub struct AssetHead {
    pub asset: Asset,
    /// The asset's JSON as stored: exactly what the API serves.
    pub json: String,
    pub history: Vec<u64>,
    pub created: super::entries::EntryRow,
}

/// The entry that created an asset: the one its place was taken from.
fn created_entry() -> diesel::dsl::Div<assets::place, diesel::dsl::AsExprOf<i64, diesel::sql_types::BigInt>> {
    assets::place / (1i64 << PLACE_BITS).into_sql::<diesel::sql_types::BigInt>()
}

/// [`AssetHead`] of asset `id`, in one statement.
pub fn head(conn: &mut SqliteConnection, id: &AssetId) -> Result<Option<AssetHead>, DbError> {
    use super::schema::entries;
    let row: Option<(String, String, super::entries::EntryRow)> = assets::table
        .inner_join(entries::table.on(entries::idx.eq(created_entry())))
        .filter(assets::id.eq(id.0.as_bytes().as_slice()))
        .select((assets::body, assets::history, super::entries::EntryRow::as_select()))
        .get_result(conn)
        .optional()?;
    row.map(to_head).transpose()
}

fn to_head(
    (body, history, created): (String, String, super::entries::EntryRow),
) -> Result<AssetHead, DbError> {
    Ok(AssetHead { asset: from_json(&body)?, json: body, history: parse_history(&history)?, created })
}

pub fn holder_of(conn: &mut SqliteConnection, key: &str) -> Result<Option<AssetId>, DbError> {
    let asset: Option<Vec<u8>> = identities::table
        .inner_join(assets::table.on(assets::place.eq(identities::place)))
        .filter(identities::key.eq(key))
        .select(assets::id)
        .get_result(conn)
        .optional()?;
    asset.map(|a| super::hash_from(&a).map(AssetId)).transpose()
}

/// The GS1 identities under `gtin_prefix` (`gs1:/01/<gtin>/`) that end in `serial_suffix`
/// (`/21/<serial>`, as the canonical path writes it), whatever their CPV and lot, with their
/// assets: at most `limit`. A GTIN and a serial name one item whichever lot it is in.
pub fn holders_ending(
    conn: &mut SqliteConnection,
    gtin_prefix: &str,
    serial_suffix: &str,
    limit: i64,
) -> Result<Vec<(String, AssetId)>, DbError> {
    // The keys of one GTIN are one range of the primary key: from its prefix to the prefix with
    // its last character (`/`) one higher.
    let end = format!("{}0", gtin_prefix.trim_end_matches('/'));
    let rows: Vec<(String, Vec<u8>)> = identities::table
        .inner_join(assets::table.on(assets::place.eq(identities::place)))
        .filter(identities::key.ge(gtin_prefix))
        .filter(identities::key.lt(&end))
        .filter(
            diesel::dsl::sql::<diesel::sql_types::Bool>("substr(identities.key, -")
                .bind::<diesel::sql_types::BigInt, _>(serial_suffix.len() as i64)
                .sql(") = ")
                .bind::<diesel::sql_types::Text, _>(serial_suffix),
        )
        .select((identities::key, assets::id))
        .limit(limit)
        .load(conn)?;
    rows.into_iter().map(|(k, a)| Ok((k, AssetId(super::hash_from(&a)?)))).collect()
}

/// Up to `n` GS1 paths that labels of this ledger carry, oldest first: one of a single item
/// (with a serial) and one of a lot, when there are such, then others.
pub fn sample_labels(conn: &mut SqliteConnection, n: usize) -> Result<Vec<String>, DbError> {
    let keys: Vec<String> = identities::table
        .filter(identities::key.like("gs1:%"))
        .order(identities::place.asc())
        .select(identities::key)
        .limit(200)
        .load(conn)?;
    let paths: Vec<&str> = keys.iter().filter_map(|k| k.strip_prefix("gs1:")).collect();
    let mut chosen: Vec<String> = Vec::new();
    let item = paths.iter().find(|p| p.contains("/21/"));
    let lot = paths.iter().find(|p| !p.contains("/21/"));
    for p in item.into_iter().chain(lot).chain(paths.iter().rev()) {
        if chosen.len() < n && !chosen.iter().any(|c| c == p) {
            chosen.push((*p).to_owned());
        }
    }
    Ok(chosen)
}
