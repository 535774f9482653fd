//! The current state tables: parties, devices, assets and identity keys, each row holding the
//! core's type as JSON. They are derived data: replaying the entries rebuilds them.

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
    id: &'a [u8],
    owner: &'a [u8],
    body: String,
}

#[derive(Debug, Insertable)]
#[diesel(table_name = identities)]
pub struct IdentityRow<'a> {
    pub key: &'a str,
    pub asset: &'a [u8],
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

pub fn put_assets(conn: &mut SqliteConnection, items: &[&Asset]) -> Result<(), DbError> {
    let rows = items
        .iter()
        .map(|a| Ok(AssetRow { id: a.id.0.as_bytes(), owner: a.owner.0.as_bytes(), body: to_json(a)? }))
        .collect::<Result<Vec<_>, DbError>>()?;
    for chunk in rows.chunks(4_000) {
        diesel::replace_into(assets::table).values(chunk).execute(conn)?;
    }
    Ok(())
}

pub fn put_identities(conn: &mut SqliteConnection, rows: &[IdentityRow<'_>]) -> Result<(), DbError> {
    for chunk in rows.chunks(8_000) {
        diesel::insert_or_ignore_into(identities::table).values(chunk).execute(conn)?;
    }
    Ok(())
}

pub fn party(conn: &mut SqliteConnection, id: &PartyId) -> Result<Option<Party>, DbError> {
    let body: Option<String> =
        parties::table.find(id.0.as_bytes().as_slice()).select(parties::body).first(conn).optional()?;
    body.as_deref().map(from_json).transpose()
}

pub fn all_parties(conn: &mut SqliteConnection) -> Result<Vec<Party>, DbError> {
    let bodies: Vec<String> = parties::table.select(parties::body).load(conn)?;
    bodies.iter().map(|b| from_json(b)).collect()
}

pub fn device(conn: &mut SqliteConnection, key: &PublicKey) -> Result<Option<Device>, DbError> {
    let body: Option<String> =
        devices::table.find(key.as_bytes().as_slice()).select(devices::body).first(conn).optional()?;
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
    let body: Option<String> =
        assets::table.find(id.0.as_bytes().as_slice()).select(assets::body).first(conn).optional()?;
    body.as_deref().map(from_json).transpose()
}

pub fn assets_many(conn: &mut SqliteConnection, ids: &[AssetId]) -> Result<Vec<Asset>, DbError> {
    let keys: Vec<&[u8]> = ids.iter().map(|i| i.0.as_bytes().as_slice()).collect();
    let bodies: Vec<String> =
        assets::table.filter(assets::id.eq_any(keys)).select(assets::body).load(conn)?;
    bodies.iter().map(|b| from_json(b)).collect()
}

pub fn holder_of(conn: &mut SqliteConnection, key: &str) -> Result<Option<AssetId>, DbError> {
    let asset: Option<Vec<u8>> =
        identities::table.find(key).select(identities::asset).first(conn).optional()?;
    asset.map(|a| super::hash_from(&a).map(AssetId)).transpose()
}
