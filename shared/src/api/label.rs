//! The buyer's scan: a label's answer for apps, the evidence a phone checks it with, and the
//! label's check counts.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::Hash;
use crate::asset::{Asset, AssetId};
use crate::entry::LedgerEntry;
use crate::party::Party;
use crate::record::Record;

/// What a phone checks a label with, all against one checkpoint.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Evidence {
    /// The latest checkpoint, a C2SP signed note.
    pub checkpoint: String,
    /// The asset first, then where it came from, breadth first: its parents and, for a unit
    /// packed in a lot, that lot, then theirs.
    pub assets: Vec<ShownAsset>,
    /// The journey's entries, the parties' registrations and the station keys' authorisations,
    /// oldest first.
    pub entries: Vec<ProvenLeaf>,
    /// What the state map holds, proven against the root the checkpoint commits to: the head
    /// of the asset and of each asset it came from, the standing of each station key that
    /// signed an entry, and the asset the label's code names. Empty when the checkpoint commits
    /// to no state (a ledger from before the map, until its next commit).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    #[cfg_attr(feature = "openapi", schema(required = false))]
    pub state: Vec<StateProof>,
}

/// One key of the state map, what it holds, and the proof (`docs/records.md`, "State map").
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct StateProof {
    pub kind: StateKind,
    /// The key as its kind spells it: an asset id or a device key in hex, an identity as the
    /// rules spell it (`gs1:/01/…`).
    pub key: String,
    /// What the key holds, in hex (an asset: entry index u64 big-endian ‖ leaf hash ‖ status;
    /// a device: party ‖ revoked 0/1 ‖ entry index; an identity: the asset id); absent when it
    /// holds nothing.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "openapi", schema(required = false))]
    pub value: Option<String>,
    /// The compact proof, base64.
    #[cfg_attr(feature = "openapi", schema(value_type = String, format = Byte))]
    pub proof: crate::state::MapProof,
}

impl StateProof {
    /// What the key holds, checked against the state map root `root` (a checkpoint's): the
    /// value (none: proven absent), or why the proof fails.
    pub fn verify(&self, root: &crate::Hash) -> Result<Option<Vec<u8>>, crate::state::MapProofError> {
        use crate::state::MapProofError;
        let key = self.kind.map_key(&self.key).ok_or(MapProofError::Malformed)?;
        let value = match &self.value {
            Some(v) => Some(hex::decode(v).map_err(|_| MapProofError::Malformed)?),
            None => None,
        };
        self.proof.verify(root, &key, value.as_deref())?;
        Ok(value)
    }
}

/// One key of the state map proven against the latest checkpoint: what a phone that scanned a
/// code this ledger does not know checks its absence with, and what a partner asks of any key.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct StateAnswer {
    /// The latest checkpoint, a C2SP signed note with the cosignatures gathered so far; its
    /// `terroir-state/v1` line is the root the proof is checked against.
    pub checkpoint: String,
    pub proof: StateProof,
}

impl Evidence {
    /// The proof for `key` of this kind, if the evidence carries one.
    pub fn state_of(&self, kind: StateKind, key: &str) -> Option<&StateProof> {
        self.state.iter().find(|p| p.kind == kind && p.key == key)
    }
}

/// What a state map key names.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub enum StateKind {
    Asset,
    Identity,
    Device,
    Party,
}

impl StateKind {
    /// The kind as the API spells it (`asset`, `identity`, `device`, `party`).
    pub fn as_str(self) -> &'static str {
        match self {
            StateKind::Asset => "asset",
            StateKind::Identity => "identity",
            StateKind::Device => "device",
            StateKind::Party => "party",
        }
    }

    /// The map key of `key` as this kind spells it in a [`StateProof`]; `None` if it is not
    /// spelled so (an asset id or device key that is not 64 lowercase hex digits).
    pub fn map_key(self, key: &str) -> Option<crate::Hash> {
        use crate::state::Kind;
        let (kind, bytes) = match self {
            StateKind::Identity => return Some(crate::state::key(Kind::Identity, key.as_bytes())),
            StateKind::Asset => (Kind::Asset, key),
            StateKind::Device => (Kind::Device, key),
            StateKind::Party => (Kind::Party, key),
        };
        let hash: crate::Hash = bytes.parse().ok()?;
        Some(crate::state::key(kind, hash.as_bytes()))
    }
}

/// An asset with its position among the outputs of the record that created it: its id is
/// SHA-256 of `"terroir-asset-v1\n"`, that record's id and the position as a 32-bit big-endian
/// integer.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ShownAsset {
    #[serde(flatten)]
    pub asset: Asset,
    pub output: u32,
}

/// A ledger entry with the path proving it in the evidence's checkpoint.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ProvenLeaf {
    pub entry: LedgerEntry,
    /// RFC 9162 inclusion path of leaf `entry.index` in the checkpoint's tree.
    pub proof: Vec<Hash>,
}

/// A label's answer for apps: the asset's own fields, then what the buyer's page shows.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct LabelAnswer {
    #[serde(flatten)]
    pub asset: Asset,
    /// Where it came from, breadth first: its parents and, for a unit packed in a lot, that
    /// lot, then theirs.
    pub lineage: Vec<Asset>,
    /// Every entry that touched it or where it came from, oldest first.
    pub journey: Vec<JourneyItem>,
    pub parties: Vec<Party>,
    /// The garden caps (`tea_garden`) the tea's leaves were registered against, as they stand
    /// now; absent for goods without one. Not part of the evidence a phone checks.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    #[cfg_attr(feature = "openapi", schema(required = false))]
    pub garden_caps: Vec<Asset>,
    pub checks: Checks,
    /// The log's verifier key, which the page's checks are made against.
    pub verifier_key: String,
    /// Where the evidence to check all this is.
    pub evidence: String,
}

/// A record of an asset's journey.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct JourneyItem {
    pub index: u64,
    pub record_id: Hash,
    pub record: Record,
}

/// How often a label was checked, when first and last, from which regions, and the signs of a
/// copy that shows.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Checks {
    pub count: u64,
    /// Checks after the asset left the chain.
    pub late: u64,
    /// Milliseconds since the Unix epoch; absent before the first check.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "openapi", schema(nullable = false))]
    pub first_at: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "openapi", schema(nullable = false))]
    pub last_at: Option<u64>,
    /// Checks per region (`"lat,lon"`, whole degrees), for the buyers who sent one.
    pub regions: BTreeMap<String, u64>,
    /// Buyers who reported the label when its page warned.
    pub reports: u64,
    /// The units the label stands for.
    pub units: u64,
    pub signs: Vec<CloneSign>,
    /// For a counted check: the token that lets this buyer add a region to it, once, within an
    /// hour.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "openapi", schema(nullable = false))]
    pub token: Option<String>,
}

/// A sign that a label was copied, tagged by `sign`, with the figures that make it one.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "sign", rename_all = "snake_case")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub enum CloneSign {
    /// Checked more than `allowed` times after the asset left the chain.
    AfterEnd { late: u64, allowed: u64 },
    /// Checked in more areas, each a group of regions within 500 km, than its units could reach.
    Regions { areas: u64, allowed: u64 },
    /// Checked more often than its units could be.
    TooOften { count: u64, allowed: u64 },
}

/// A check the buyer's page reports.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct CheckRequest {
    /// The buyer's coarse region, `"lat,lon"` in whole degrees, worked out on the phone; only if
    /// the buyer chose to send it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(
        feature = "openapi",
        schema(
            example = "25,102",
            pattern = "^-?([0-9]|[1-8][0-9]|90),-?([0-9]|[1-9][0-9]|1[0-7][0-9]|180)$"
        )
    )]
    pub region: Option<String>,
    /// True when this browser checked the label before: answered, not counted.
    #[serde(default)]
    pub again: bool,
    /// True to report the label to the ledger's operator (its page warned the buyer); with
    /// `token`.
    #[serde(default)]
    pub report: bool,
    /// With `region` or `report`: the token the counted check was answered with. Each counts
    /// only with the check it belongs to, once.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(
        feature = "openapi",
        schema(example = "5f0e3a1c9b7d2e4f6a8c0b1d3e5f7a9c", pattern = "^[0-9a-f]{32}$")
    )]
    pub token: Option<String>,
}

/// The labels buyers reported.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ReportList {
    pub labels: Vec<Reported>,
}

/// A label buyers reported.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Reported {
    pub asset: AssetId,
    /// Buyers who reported it when its page warned.
    pub reports: u64,
    /// When its label was last checked, in ms since the Unix epoch.
    pub last_at: u64,
}
