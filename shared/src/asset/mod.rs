//! Assets as tokens: one animal, one cake, one lot, one carcass, one cut, each with an owner, a
//! custodian, a status, its parents and the head of its history.

mod product;
mod quantity;

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

pub use product::{
    BeefCut, Carcass, Cattle, Generic, Packing, Product, Sex, TeaCake, TeaLot, TeaMaocha, TeaOrigin,
};
pub use quantity::{Quantity, QuantityError, Unit};

use crate::Hash;
use crate::gs1::DigitalLink;
use crate::party::PartyId;

const ASSET_ID_DOMAIN: &[u8] = b"terroir-asset-v1\n";

/// A token's identity, derived from the record that created it and the output's position in
/// it, so no one can choose or squat an id and a station can know it before the server does.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct AssetId(pub Hash);

/// A reference to an asset at the head the signer saw: the double-spend rule compares it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct AssetRef {
    pub id: AssetId,
    pub head: Hash,
}

/// Where a token stands.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "state", rename_all = "snake_case", deny_unknown_fields)]
pub enum Status {
    Active,
    /// Collateral: nothing moves until the financier releases it.
    Pledged {
        financier: PartyId,
    },
    /// Packed inside another token (a cake in its lot): it travels with its holder and cannot
    /// move, split or be pledged on its own.
    Contained {
        holder: AssetId,
    },
    /// Split, merged or transformed into other tokens.
    Consumed,
    /// Out of the chain (sold to the end consumer, eaten, dead, destroyed).
    Retired {
        reason: String,
    },
}

/// A token as the ledger knows it after the last record that touched it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct Asset {
    pub id: AssetId,
    pub product: Product,
    pub quantity: Quantity,
    /// The GS1 key its label carries, if it has one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub gs1: Option<DigitalLink>,
    pub owner: PartyId,
    pub custodian: PartyId,
    pub status: Status,
    pub parents: Vec<AssetId>,
    /// The record that created it.
    pub created_by: Hash,
    /// The last record that touched it: the next record must name this.
    pub head: Hash,
}

impl AssetId {
    /// The id of output `n` of record `record_id`.
    pub fn derive(record_id: &Hash, n: u32) -> Self {
        Self(Hash::sha256_parts(&[ASSET_ID_DOMAIN, record_id.as_bytes(), &n.to_be_bytes()]))
    }
}

impl Asset {
    pub fn reference(&self) -> AssetRef {
        AssetRef { id: self.id, head: self.head }
    }

    /// Keys that must name at most one asset in the whole ledger: its GS1 key and, for a live
    /// animal, its ear tag.
    pub fn identity_keys(&self) -> Vec<String> {
        identity_keys(&self.product, self.gs1.as_ref())
    }
}

/// The unique keys an asset with this product and GS1 key would claim.
pub fn identity_keys(product: &Product, gs1: Option<&DigitalLink>) -> Vec<String> {
    let mut keys = Vec::new();
    if let Some(link) = gs1 {
        keys.push(gs1_identity_key(link));
    }
    if let Product::LiveCattle(c) = product {
        keys.push(format!("ear-tag:{}", c.ear_tag.code()));
    }
    keys
}

/// The identity key a GS1 key claims.
pub fn gs1_identity_key(link: &DigitalLink) -> String {
    format!("gs1:{}", link.to_path())
}

impl fmt::Display for AssetId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

impl FromStr for AssetId {
    type Err = crate::hash::HashParseError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        s.parse().map(Self)
    }
}

impl fmt::Display for Status {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Status::Active => f.write_str("active"),
            Status::Pledged { .. } => f.write_str("pledged"),
            Status::Contained { .. } => f.write_str("contained"),
            Status::Consumed => f.write_str("consumed"),
            Status::Retired { .. } => f.write_str("retired"),
        }
    }
}
