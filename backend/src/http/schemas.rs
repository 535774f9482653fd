//! The JSON bodies the API answers with, as OpenAPI schemas: the server's own answers (pages,
//! proofs, receipts, problems). What records, entries, assets and parties look like is the
//! wire contract, and `terroir-shared` gives those schemas; these refer to them by name. They
//! are never built; they only describe.

#![allow(dead_code)]

use std::borrow::Cow;

pub use terroir_shared::asset::Asset;
pub use terroir_shared::schema::EnvelopeSchema as Envelope;

use terroir_shared::Hash;
use terroir_shared::asset::AssetId;
use terroir_shared::entry::LedgerEntry;
use terroir_shared::party::{Device, Party, PartyId};
use terroir_shared::record::Record;
use utoipa::openapi::schema::{AdditionalProperties, ObjectBuilder, OneOfBuilder, Schema, Type};
use utoipa::openapi::{RefOr, schema::SchemaType};
use utoipa::{PartialSchema, ToSchema};

/// The answer for one item of a batch.
pub struct BatchItem;

impl ToSchema for BatchItem {
    fn name() -> Cow<'static, str> {
        Cow::Borrowed("BatchItem")
    }
}

impl PartialSchema for BatchItem {
    fn schema() -> RefOr<Schema> {
        OneOfBuilder::new()
        .description(Some(
            "The answer for one item of a batch, in the order submitted.",
        ))
        .item(
            ObjectBuilder::new()
                .schema_type(SchemaType::Type(Type::Object))
                .title(Some("Accepted or duplicate"))
                .property(
                    "outcome",
                    ObjectBuilder::new()
                        .schema_type(SchemaType::Type(Type::String))
                        .enum_values(Some(["accepted", "duplicate"]))
                        .description(Some(
                            "`accepted`: appended now; `duplicate`: already in the log, the receipt is for the existing entry."
                        )),
                )
                .property("receipt", Receipt::schema_ref())
                .required("outcome")
                .required("receipt")
                .additional_properties(Some(AdditionalProperties::FreeForm(false))),
        )
        .item(
            ObjectBuilder::new()
                .schema_type(SchemaType::Type(Type::Object))
                .title(Some("Refused"))
                .property(
                    "outcome",
                    ObjectBuilder::new()
                        .schema_type(SchemaType::Type(Type::String))
                        .enum_values(Some(["refused"])),
                )
                .property("problem", Problem::schema_ref())
                .required("outcome")
                .required("problem")
                .additional_properties(Some(AdditionalProperties::FreeForm(false))),
        )
        .into()
    }
}

/// `RefOr::Ref` to a named schema.
trait SchemaRef {
    fn schema_ref() -> RefOr<Schema>;
}

impl<T: ToSchema> SchemaRef for T {
    fn schema_ref() -> RefOr<Schema> {
        RefOr::Ref(utoipa::openapi::Ref::from_schema_name(T::name()))
    }
}

/// A Merkle inclusion proof (RFC 9162 §2.1.3): `path` runs from the leaf's sibling up to the
/// root's child.
#[derive(ToSchema)]
#[serde(deny_unknown_fields)]
pub struct InclusionProof {
    index: u64,
    size: u64,
    path: Vec<Hash>,
}

/// A Merkle consistency proof (RFC 9162 §2.1.4) that the tree of `oldSize` leaves is a prefix
/// of the tree of `newSize` leaves.
#[derive(ToSchema)]
#[serde(rename_all = "camelCase")]
#[serde(deny_unknown_fields)]
pub struct ConsistencyProof {
    old_size: u64,
    new_size: u64,
    path: Vec<Hash>,
}

/// Evidence that a leaf sits at `index`: a signed checkpoint note and the inclusion proof of
/// the leaf in that checkpoint's tree. Verifiable offline with the log's verifier key.
#[derive(ToSchema)]
#[serde(rename_all = "camelCase")]
#[serde(deny_unknown_fields)]
pub struct Receipt {
    index: u64,
    leaf_hash: Hash,
    /// The leaf hash of the entry before (all zeros for the first): with the record it rebuilds
    /// the entry whose hash is `leafHash`.
    prev: Hash,
    /// A C2SP tlog-checkpoint note, signed per C2SP signed-note (Ed25519).
    checkpoint: String,
    inclusion: InclusionProof,
}

/// An RFC 9457 problem document. `code` is stable; `type` links its entry in `/api/problems`.
#[derive(ToSchema)]
pub struct Problem {
    /// `/api/problems#<code>`.
    #[schema(example = "/api/problems#head_conflict")]
    r#type: String,
    title: String,
    /// The HTTP status code.
    status: u16,
    detail: String,
    /// The stable, machine-readable code; see `/api/problems`.
    #[schema(example = "head_conflict")]
    code: String,
    /// `malformed` only: the JSON path of the offending value, e.g. `record.act.assets[0].head`.
    #[schema(required = false)]
    path: String,
    /// `head_conflict` only: the asset whose head moved on.
    #[schema(required = false)]
    asset: AssetId,
    /// `head_conflict` only: the head the record named.
    #[schema(required = false)]
    #[serde(rename = "namedHead")]
    named_head: Hash,
    /// `head_conflict` only: the asset's current head (the record that won).
    #[schema(required = false)]
    winner: Hash,
}

/// One result per submitted item, in order.
#[derive(ToSchema)]
#[serde(deny_unknown_fields)]
pub struct BatchResult {
    results: Vec<BatchItem>,
}

/// An entry as the API shows it, with its leaf hash and record id.
#[derive(ToSchema)]
#[serde(rename_all = "camelCase")]
#[serde(deny_unknown_fields)]
pub struct EntryView {
    index: u64,
    leaf_hash: Hash,
    record_id: Hash,
    entry: LedgerEntry,
}

/// Entries `start ≤ index < end` (at most 1,000) of a log of `size` entries.
#[derive(ToSchema)]
#[serde(deny_unknown_fields)]
pub struct EntryPage {
    start: u64,
    end: u64,
    size: u64,
    entries: Vec<EntryView>,
}

/// An entry of an asset's history with the receipt that proves it.
#[derive(ToSchema)]
#[serde(rename_all = "camelCase")]
#[serde(deny_unknown_fields)]
pub struct ProvenEntry {
    index: u64,
    leaf_hash: Hash,
    record_id: Hash,
    entry: LedgerEntry,
    receipt: Receipt,
}

/// An asset, every entry that touched it (each with a receipt), the latest checkpoint and the
/// key to check them with.
#[derive(ToSchema)]
#[serde(rename_all = "camelCase")]
#[serde(deny_unknown_fields)]
pub struct AssetHistory {
    asset: Asset,
    entries: Vec<ProvenEntry>,
    /// The latest checkpoint note; null if the log is empty.
    #[schema(required = true)]
    checkpoint: Option<String>,
    /// The log's C2SP signed-note verifier key (`<origin>+<key hash>+<base64 key>`).
    verifier_key: String,
}

/// Which way a lineage walks.
#[derive(ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum Direction {
    Up,
    Down,
}

/// The assets an asset came from (`up`) or went into (`down`), breadth first.
#[derive(ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Lineage {
    asset: Hash,
    direction: Direction,
    assets: Vec<Asset>,
}

/// Every registered party.
#[derive(ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PartyList {
    parties: Vec<Party>,
}

/// A party and its devices.
#[derive(ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PartyView {
    party: Party,
    devices: Vec<Device>,
}

/// The log's identity and its latest checkpoint.
#[derive(ToSchema)]
#[serde(rename_all = "camelCase")]
#[serde(deny_unknown_fields)]
pub struct LogInfo {
    /// The log's origin: the key name in its checkpoints and the `origin` every record names.
    origin: String,
    /// The C2SP signed-note verifier key (`<origin>+<key hash>+<base64 key>`).
    verifier_key: String,
    /// The operator party, the only one who may register parties.
    operator: PartyId,
    /// The version of the ledger's rules, which its entry 0 (`open_ledger`) names; 1 for a
    /// ledger started before ledgers named them.
    #[schema(minimum = 1)]
    rules: u32,
    size: u64,
    /// The root of the tree of `size` leaves; null while the log is empty.
    #[schema(required = true)]
    root: Option<Hash>,
    /// The latest checkpoint note; null while the log is empty.
    #[schema(required = true)]
    checkpoint: Option<String>,
}

/// An asset with its position among the outputs of the record that created it: its id is
/// SHA-256 of `"terroir-asset-v1\n"`, that record's id and the position as a 32-bit big-endian
/// integer.
#[derive(ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ShownAsset {
    #[serde(flatten)]
    asset: Asset,
    output: u32,
}

/// A ledger entry with the path proving it in the evidence's checkpoint.
#[derive(ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ProvenLeaf {
    entry: LedgerEntry,
    /// RFC 9162 inclusion path of leaf `entry.index` in the checkpoint's tree.
    proof: Vec<Hash>,
}

/// What a phone checks a label with, all against one checkpoint.
#[derive(ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Evidence {
    /// The latest checkpoint, a C2SP signed note.
    checkpoint: String,
    /// The asset first, then where it came from, breadth first: its parents and, for a unit
    /// packed in a lot, that lot, then theirs.
    assets: Vec<ShownAsset>,
    /// The journey's entries, the parties' registrations and the station keys' authorisations,
    /// oldest first.
    entries: Vec<ProvenLeaf>,
}

/// A sign that a label was copied, tagged by `sign`.
#[derive(ToSchema)]
#[serde(tag = "sign", rename_all = "snake_case")]
pub enum CloneSign {
    /// Checked more than `allowed` times after the asset left the chain.
    AfterEnd { late: u64, allowed: u64 },
    /// Checked in more areas, each a group of regions within 500 km, than its units could reach.
    Regions { areas: u64, allowed: u64 },
    /// Checked more often than its units could be.
    TooOften { count: u64, allowed: u64 },
}

/// How often a label was checked, when first and last, from which regions, and the signs of a
/// copy that shows.
#[derive(ToSchema)]
#[serde(rename_all = "camelCase")]
#[serde(deny_unknown_fields)]
pub struct Checks {
    count: u64,
    /// Checks after the asset left the chain.
    late: u64,
    /// Milliseconds since the Unix epoch; absent before the first check.
    #[schema(required = false)]
    first_at: u64,
    #[schema(required = false)]
    last_at: u64,
    /// Checks per region (`"lat,lon"`, whole degrees), for the buyers who sent one.
    regions: std::collections::BTreeMap<String, u64>,
    /// The units the label stands for.
    units: u64,
    signs: Vec<CloneSign>,
    /// For a counted check: the token that lets this buyer add a region to it, once, within an
    /// hour.
    #[schema(required = false)]
    token: String,
    /// Buyers who reported the label when its page warned.
    reports: u64,
}

/// A record of an asset's journey.
#[derive(ToSchema)]
#[serde(rename_all = "camelCase")]
#[serde(deny_unknown_fields)]
pub struct JourneyItem {
    index: u64,
    record_id: Hash,
    record: Record,
}

/// A label's answer for apps: the asset's own fields, then what the buyer's page shows.
#[derive(ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct LabelAnswer {
    #[serde(flatten)]
    asset: Asset,
    /// Where it came from, breadth first: its parents and, for a unit packed in a lot, that
    /// lot, then theirs.
    lineage: Vec<Asset>,
    journey: Vec<JourneyItem>,
    parties: Vec<Party>,
    /// The garden caps (`tea_garden`) the tea's leaves were registered against, as they stand
    /// now; absent for goods without one. Not part of the evidence a phone checks.
    #[schema(required = false)]
    garden_caps: Vec<Asset>,
    checks: Checks,
    /// The log's verifier key.
    verifier_key: String,
    /// Where the evidence to check all this is.
    evidence: String,
}
