//! The station's view of assets: its own acts applied on top of what it last read.

use diesel::prelude::*;
use diesel::sqlite::SqliteConnection;
use serde::{Deserialize, Serialize};
use terroir_shared::asset::{Asset, AssetId, Status};

use super::schema::{assets, identities, lineage};
use super::{StoreError, corrupt};

/// What the asset list shows for one asset.
#[derive(Clone, Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct AssetRow {
    pub id: String,
    pub kind: String,
    pub label: String,
    pub state: String,
    pub asset: Asset,
}

/// The asset list's search and filters.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct AssetFilter {
    /// Words in the label (ear tag, GS1 key, garden, breed...) or the start of the id.
    pub search: String,
    pub kind: Option<String>,
    pub state: Option<AssetState>,
    /// Hide cakes packed in a lot (they travel with it).
    pub hide_contained: bool,
    pub limit: Option<i64>,
}

/// Stores the current state of `asset` as of the record numbered `seq`.
pub fn put_asset(
    conn: &mut SqliteConnection,
    asset: &Asset,
    label: &str,
    seq: i64,
) -> Result<(), StoreError> {
    let json = serde_json::to_string(asset).map_err(|e| corrupt("asset", e))?;
    let id = asset.id.to_string();
    let state = AssetState::from(&asset.status).as_str();
    diesel::insert_into(assets::table)
        .values((
            assets::id.eq(&id),
            assets::json.eq(&json),
            assets::kind.eq(asset.product.kind()),
            assets::label.eq(label),
            assets::state.eq(state),
            assets::created_seq.eq(seq),
            assets::updated_seq.eq(seq),
        ))
        .on_conflict(assets::id)
        .do_update()
        .set((
            assets::json.eq(&json),
            assets::label.eq(label),
            assets::state.eq(state),
            assets::updated_seq.eq(seq),
        ))
        .execute(conn)?;
    let keys: Vec<_> = asset
        .identity_keys()
        .into_iter()
        .map(|k| (identities::key.eq(k), identities::asset.eq(id.clone())))
        .collect();
    for chunk in keys.chunks(400) {
        diesel::insert_or_ignore_into(identities::table).values(chunk).execute(conn)?;
    }
    let parents: Vec<_> = asset
        .parents
        .iter()
        .map(|p| (lineage::parent.eq(p.to_string()), lineage::child.eq(id.clone())))
        .collect();
    for chunk in parents.chunks(400) {
        diesel::insert_or_ignore_into(lineage::table).values(chunk).execute(conn)?;
    }
    Ok(())
}

/// The assets made from `id` (split, merged, transformed or packed from it) as this station knows them.
pub fn children(conn: &mut SqliteConnection, id: &AssetId) -> Result<Vec<AssetRow>, StoreError> {
    let ids: Vec<String> =
        lineage::table.filter(lineage::parent.eq(id.to_string())).select(lineage::child).load(conn)?;
    rows_of(conn, &ids)
}

/// The rows of `ids` that this station knows, in the given order.
pub fn rows_of(conn: &mut SqliteConnection, ids: &[String]) -> Result<Vec<AssetRow>, StoreError> {
    let mut out = Vec::with_capacity(ids.len());
    for chunk in ids.chunks(400) {
        let rows: Vec<(String, String, String, String, String)> = assets::table
            .filter(assets::id.eq_any(chunk))
            .select((assets::id, assets::kind, assets::label, assets::state, assets::json))
            .load(conn)?;
        out.extend(rows.into_iter().map(row).collect::<Result<Vec<_>, _>>()?);
    }
    Ok(out)
}

fn row(
    (id, kind, label, state, json): (String, String, String, String, String),
) -> Result<AssetRow, StoreError> {
    let asset = serde_json::from_str(&json).map_err(|e| corrupt("asset", e))?;
    Ok(AssetRow { id, kind, label, state, asset })
}

/// Forgets an asset the ledger never created (its record was refused).
pub fn remove_asset(conn: &mut SqliteConnection, id: &AssetId) -> Result<(), StoreError> {
    let id = id.to_string();
    diesel::delete(identities::table.filter(identities::asset.eq(&id))).execute(conn)?;
    diesel::delete(lineage::table.filter(lineage::child.eq(&id))).execute(conn)?;
    diesel::delete(assets::table.filter(assets::id.eq(&id))).execute(conn)?;
    Ok(())
}

pub fn asset(conn: &mut SqliteConnection, id: &AssetId) -> Result<Option<Asset>, StoreError> {
    let json: Option<String> =
        assets::table.filter(assets::id.eq(id.to_string())).select(assets::json).first(conn).optional()?;
    json.map(|j| serde_json::from_str(&j).map_err(|e| corrupt("asset", e))).transpose()
}

/// The asset holding a unique identity key, as this station knows it.
pub fn holder_of(conn: &mut SqliteConnection, key: &str) -> Result<Option<AssetId>, StoreError> {
    let id: Option<String> =
        identities::table.filter(identities::key.eq(key)).select(identities::asset).first(conn).optional()?;
    id.map(|i| i.parse().map_err(|e| corrupt("identity", e))).transpose()
}

/// The assets matching `filter`, newest first.
pub fn assets_of(conn: &mut SqliteConnection, filter: &AssetFilter) -> Result<Vec<AssetRow>, StoreError> {
    let mut q = assets::table
        .order((assets::created_seq.desc(), assets::id.asc()))
        .limit(filter.limit.unwrap_or(500).clamp(1, 10_000))
        .select((assets::id, assets::kind, assets::label, assets::state, assets::json))
        .into_boxed();
    if let Some(kind) = filter.kind.as_deref().filter(|k| !k.is_empty()) {
        q = q.filter(assets::kind.eq(kind.to_owned()));
    }
    if let Some(state) = filter.state {
        q = q.filter(assets::state.eq(state.as_str()));
    }
    if filter.hide_contained {
        q = q.filter(assets::state.ne(AssetState::Contained.as_str()));
    }
    for word in filter.search.split_whitespace() {
        let pattern = format!("%{}%", word.replace(['%', '_'], ""));
        q = q.filter(assets::label.like(pattern.clone()).or(assets::id.like(format!("{}%", word))));
    }
    let rows: Vec<(String, String, String, String, String)> = q.load(conn)?;
    rows.into_iter().map(row).collect()
}

/// Where an asset stands, as the list's filter and badges name it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AssetState {
    Active,
    Pledged,
    /// Packed in a lot, which it travels with.
    Contained,
    Consumed,
    Retired,
}

impl From<&Status> for AssetState {
    fn from(status: &Status) -> Self {
        match status {
            Status::Active => AssetState::Active,
            Status::Pledged { .. } => AssetState::Pledged,
            Status::Contained { .. } => AssetState::Contained,
            Status::Consumed => AssetState::Consumed,
            Status::Retired { .. } => AssetState::Retired,
        }
    }
}

impl AssetState {
    /// As the store's `state` column and the window's filter spell it.
    pub fn as_str(self) -> &'static str {
        match self {
            AssetState::Active => "active",
            AssetState::Pledged => "pledged",
            AssetState::Contained => "contained",
            AssetState::Consumed => "consumed",
            AssetState::Retired => "retired",
        }
    }
}

impl std::fmt::Display for AssetState {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}
