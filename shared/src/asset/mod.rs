//! Assets as tokens: one animal, one cake, one lot, one carcass, one cut, each with an owner, a
//! custodian, a status, its parents and the head of its history.

mod chain;
mod product;
mod quantity;

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

pub use chain::{ChainError, check_chain};
pub use product::{
    BeefCut, Carcass, Cattle, Generic, Packing, Product, Sex, TeaCake, TeaGarden, TeaLot, TeaMaocha,
    TeaOrigin,
};
pub use quantity::{Quantity, QuantityError, Unit};

use crate::Hash;
use crate::calendar::Timestamp;
use crate::gs1::DigitalLink;
use crate::party::PartyId;
use crate::rules::Rules;

const ASSET_ID_DOMAIN: &[u8] = b"terroir-asset-v1\n";

/// A token's identity, derived from the record that created it and the output's position in
/// it, so no one can choose or squat an id and a station can know it before the server does.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct AssetId(pub Hash);

/// A reference to an asset at the head the signer saw: the double-spend rule compares it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct AssetRef {
    pub id: AssetId,
    pub head: Hash,
}

/// Units packed in a holder (cakes in a lot), named as a run of outputs of the record that
/// made them: assets `derive(record, first)` … `derive(record, first + count − 1)`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct UnitRange {
    pub record: Hash,
    pub first: u32,
    pub count: u32,
}

impl UnitRange {
    /// The units' ids, in output order.
    pub fn ids(&self) -> impl Iterator<Item = AssetId> + '_ {
        (self.first..self.first.saturating_add(self.count)).map(|n| AssetId::derive(&self.record, n))
    }
}

/// Units given as `(record, output position)` in order, as ranges of consecutive positions.
pub fn unit_ranges(units: impl IntoIterator<Item = (Hash, u32)>) -> Vec<UnitRange> {
    let mut out: Vec<UnitRange> = Vec::new();
    for (record, p) in units {
        match out.last_mut() {
            Some(r) if r.record == record && r.first.checked_add(r.count) == Some(p) => r.count += 1,
            _ => out.push(UnitRange { record, first: p, count: 1 }),
        }
    }
    out
}

/// A split by count: `contents` cut, in order, into runs of `counts[i]` units (cakes, one piece
/// each) for part `i`. `None` unless the counts add up to exactly the units held.
pub fn take_by_count(contents: &[UnitRange], counts: &[u64]) -> Option<Vec<Vec<UnitRange>>> {
    let held: u64 = contents.iter().map(|r| u64::from(r.count)).sum();
    if counts.iter().try_fold(0u64, |t, c| t.checked_add(*c))? != held {
        return None;
    }
    let mut runs = contents.iter().copied();
    let mut current = runs.next();
    let mut parts = Vec::with_capacity(counts.len());
    for &want in counts {
        let mut part = Vec::new();
        let mut left = want;
        while left > 0 {
            let r = current?;
            let take = u32::try_from(left.min(u64::from(r.count))).ok()?;
            part.push(UnitRange { record: r.record, first: r.first, count: take });
            left -= u64::from(take);
            current = match r.count - take {
                0 => runs.next(),
                rest => Some(UnitRange { record: r.record, first: r.first + take, count: rest }),
            };
        }
        parts.push(part);
    }
    Some(parts)
}

/// Where a token stands.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "state", rename_all = "snake_case", deny_unknown_fields)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
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
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
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
    /// When that record says it was signed (rules version 2 on): no later record may be dated
    /// before it, beyond the clock-skew tolerance.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub head_at: Option<Timestamp>,
    /// Its mass as last weighed, in grams, for goods counted in head or pieces (rules version 2
    /// on): what a transformation may make of it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub weighed_g: Option<u64>,
    /// The units packed in it, for a holder (rules version 2 on): what it hands on, pledges,
    /// splits and retires with itself.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    #[cfg_attr(feature = "openapi", schema(min_items = 1))]
    pub contents: Vec<UnitRange>,
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

    /// Keys that must name at most one asset in the whole ledger, under the current rules:
    /// its GS1 key; for a live animal, its ear tag; for a garden's cap, its owner, garden and
    /// season.
    pub fn identity_keys(&self) -> Vec<String> {
        identity_keys(&self.product, self.gs1.as_ref(), &self.owner, Rules::CURRENT)
    }
}

/// The unique keys an asset with this product and GS1 key, owned by `owner` when it is
/// created, would claim under `rules`.
pub fn identity_keys(
    product: &Product,
    gs1: Option<&DigitalLink>,
    owner: &PartyId,
    rules: Rules,
) -> Vec<String> {
    let mut keys = Vec::new();
    if let Some(link) = gs1 {
        keys.push(gs1_identity_key(link));
    }
    match product {
        Product::LiveCattle(c) => keys.push(format!("ear-tag:{}", c.ear_tag.code())),
        Product::TeaGarden(g) => keys.push(garden_cap_key(owner, &g.garden, &g.season, rules)),
        _ => {}
    }
    keys
}

/// The identity key of `party`'s cap on a garden and season. Names are compared as a clerk
/// reads them, so a respelling cannot slip past a cap: under rules version 2 as
/// [`crate::names::fold`] folds them (look-alike letters, width, accents, punctuation); before,
/// without case or extra spaces. Each co-op's caps are its own, so two co-ops that name their
/// gardens alike never meet.
pub fn garden_cap_key(party: &PartyId, garden: &str, season: &str, rules: Rules) -> String {
    format!("garden:{party}:{}", garden_season(garden, season, rules))
}

/// A garden and season as a cap's key compares them.
pub(crate) fn garden_season(garden: &str, season: &str, rules: Rules) -> String {
    format!("{}:{}", fold_name(garden, rules), fold_name(season, rules))
}

/// A name folded for comparison, with `%` and `:` escaped so the key's parts stay apart.
fn fold_name(name: &str, rules: Rules) -> String {
    let folded = if rules.v2() {
        crate::names::fold(name)
    } else {
        let words: Vec<&str> = name.split_whitespace().collect();
        words.join(" ").to_lowercase()
    };
    folded.replace('%', "%25").replace(':', "%3A")
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
