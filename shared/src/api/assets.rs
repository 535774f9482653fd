//! Assets with their history and lineage, and parties.

use serde::{Deserialize, Serialize};

use crate::Hash;
use crate::asset::{Asset, AssetId};
use crate::entry::LedgerEntry;
use crate::log::Receipt;
use crate::party::{Device, Party};

/// An entry of an asset's history with the receipt that proves it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ProvenEntry {
    pub index: u64,
    pub leaf_hash: Hash,
    pub record_id: Hash,
    pub entry: LedgerEntry,
    pub receipt: Receipt,
}

/// An asset, every entry that touched it (each with a receipt), the latest checkpoint and the
/// key to check them with.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct AssetHistory {
    pub asset: Asset,
    pub entries: Vec<ProvenEntry>,
    /// The latest checkpoint note; null if the log is empty.
    #[cfg_attr(feature = "openapi", schema(required = true))]
    pub checkpoint: Option<String>,
    /// The log's C2SP signed-note verifier key (`<origin>+<key hash>+<base64 key>`).
    pub verifier_key: String,
}

/// Which way a lineage walks.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub enum Direction {
    Up,
    Down,
}

/// The assets an asset came from (`up`) or went into (`down`), breadth first.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Lineage {
    pub asset: AssetId,
    pub direction: Direction,
    pub assets: Vec<Asset>,
}

/// Every registered party.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct PartyList {
    pub parties: Vec<Party>,
}

/// A party and its devices.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct PartyView {
    pub party: Party,
    pub devices: Vec<Device>,
}
