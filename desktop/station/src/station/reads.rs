//! What the window and the command line read: the asset list, an asset's detail with its
//! timeline and lineage, the record queue, organisations, and assets read from the ledger.

use diesel::Connection;
use serde::Serialize;
use terroir_shared::asset::{Asset, AssetId};
use terroir_shared::party::Role;

use super::Station;
use crate::client::Client;
use crate::describe::asset_label;
use crate::error::{Result, StationError};
use crate::store::{self, AssetFilter, RecordState};
use crate::view::{self, AssetView, RecordView};
use crate::words::said;

/// An asset with its timeline and lineage as the station knows them.
#[derive(Clone, Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct AssetDetail {
    pub row: AssetView,
    pub records: Vec<RecordView>,
    pub parents: Vec<AssetView>,
    pub children: Vec<AssetView>,
    pub uri: Option<String>,
}

/// A known organisation.
#[derive(Clone, Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct PartyRow {
    pub id: String,
    pub name: String,
    pub roles: Vec<Role>,
    /// Read from the ledger rather than assumed by this station.
    pub confirmed: bool,
}

impl Station {
    /// The asset list.
    pub fn assets(&self, filter: &AssetFilter) -> Result<Vec<AssetView>> {
        Ok(view::assets(store::assets_of(&mut self.db(), filter)?))
    }

    /// One asset with its timeline (this station's records about it) and lineage.
    pub fn asset(&self, id: &str) -> Result<AssetDetail> {
        let asset_id: AssetId =
            id.parse().map_err(|_| StationError::input("id", said("an asset id", "货品编号")))?;
        let base = self.settings()?.server_url;
        let mut conn = self.db();
        let asset = store::asset(&mut conn, &asset_id)?.ok_or_else(|| {
            StationError::input("id", said("this station does not know that asset", "本站不知道这件货品"))
        })?;
        let parents: Vec<String> = asset.parents.iter().map(AssetId::to_string).collect();
        let row = store::rows_of(&mut conn, &[id.to_owned()])?.pop().ok_or_else(|| {
            StationError::input("id", said("this station does not know that asset", "本站不知道这件货品"))
        })?;
        Ok(AssetDetail {
            records: view::records(&store::records_of_asset(&mut conn, id)?),
            parents: view::assets(store::rows_of(&mut conn, &parents)?),
            children: view::assets(store::children(&mut conn, &asset_id)?),
            uri: asset.gs1.as_ref().map(|g| g.to_uri(&base)),
            row: row.into(),
        })
    }

    pub fn records(&self, state: Option<RecordState>, limit: i64) -> Result<Vec<RecordView>> {
        Ok(view::records(&store::records(&mut self.db(), state, limit)?))
    }

    pub fn parties(&self) -> Result<Vec<PartyRow>> {
        let rows = store::parties(&mut self.db())?;
        let mut out: Vec<PartyRow> = rows
            .into_iter()
            .map(|(p, confirmed)| PartyRow {
                id: p.id.to_string(),
                name: p.name,
                roles: p.roles.into_iter().collect(),
                confirmed,
            })
            .collect();
        out.sort_by(|a, b| a.name.cmp(&b.name));
        Ok(out)
    }

    /// Reads every party from the ledger (for transfers, custody and pledges) and confirms
    /// the co-op's own registration.
    pub fn refresh_parties(&self) -> Result<usize> {
        let client = Client::new(&self.settings()?.server_url);
        let parties = client.parties().map_err(StationError::server)?.parties;
        let mut conn = self.db();
        conn.transaction(|conn| -> Result<()> {
            for p in &parties {
                store::put_party(conn, p, true)?;
            }
            Ok(())
        })?;
        Ok(parties.len())
    }

    /// Reads an asset from the ledger into this station's view: by id, or by the GS1 Digital
    /// Link on its label (URI or path). A trader's, warehouse's or financier's station works on
    /// assets other stations created. Refused while this station has acts on it waiting to be
    /// sent, which the ledger's state does not show yet.
    pub fn fetch_asset(&self, query: &str) -> Result<AssetView> {
        let q = query.trim();
        let client = Client::new(&self.settings()?.server_url);
        let asset: Asset = if let Ok(id) = q.parse::<AssetId>() {
            crate::client::asset(&client, &id)?
        } else {
            let link = terroir_shared::gs1::DigitalLink::parse(q).map_err(|e| {
                StationError::input(
                    "query",
                    said("an asset id or a label's address", "货品编号或标签地址").with_detail(e),
                )
            })?;
            crate::client::resolve(&client, &link)?
        };
        let id = asset.id.to_string();
        let mut conn = self.db();
        let waiting = store::records_of_asset(&mut conn, &id)?.iter().any(|r| r.state == "pending");
        if waiting {
            return Err(StationError::input(
                "query",
                said(
                    "this asset has acts waiting to be sent: sync first",
                    "这件货品还有待发送的操作：请先同步",
                ),
            ));
        }
        // The units packed in it follow it (rules version 2): the station needs them to judge a
        // split or a sale of the lot, as the ledger will.
        let units = asset
            .contents
            .iter()
            .flat_map(terroir_shared::asset::UnitRange::ids)
            .map(|u| crate::client::asset(&client, &u))
            .collect::<Result<Vec<Asset>>>()?;
        store::put_asset(&mut conn, &asset, &asset_label(&asset).both(), 0)?;
        for unit in &units {
            store::put_asset(&mut conn, unit, &asset_label(unit).both(), 0)?;
        }
        store::rows_of(&mut conn, &[id])?
            .pop()
            .map(AssetView::from)
            .ok_or_else(|| StationError::Server(said("The asset could not be stored", "货品无法保存")))
    }
}
