//! The JSON bodies of the API as OpenAPI schemas. The domain types live in `terroir-shared`,
//! which knows nothing of OpenAPI, so these mirror their serialisation by hand: camelCase keys,
//! hashes, keys and signatures as lowercase hex, quantities as integers. They are never built;
//! they only describe.

#![allow(dead_code)]

use std::borrow::Cow;

use utoipa::openapi::schema::{AdditionalProperties, ObjectBuilder, OneOfBuilder, Schema, Type};
use utoipa::openapi::{RefOr, schema::SchemaType};
use utoipa::{PartialSchema, ToSchema};

/// The act names a record may carry, in the order the record module lists them.
pub const ACTS: [&str; 13] = [
    "register_party",
    "authorise_device",
    "revoke_device",
    "commission",
    "observe",
    "transfer",
    "custody",
    "split",
    "merge",
    "transform",
    "pledge",
    "release",
    "retire",
];

/// The product kinds an asset may be.
pub const PRODUCT_KINDS: [&str; 8] =
    ["live_cattle", "carcass", "beef_cut", "tea_maocha", "tea_cake", "tea_lot", "tea_garden", "generic"];

fn hex_string(digits: usize, description: &str) -> RefOr<Schema> {
    ObjectBuilder::new()
        .schema_type(SchemaType::Type(Type::String))
        .pattern(Some(format!("^[0-9a-f]{{{digits}}}$")))
        .description(Some(description))
        .into()
}

/// A named schema written by hand.
macro_rules! manual_schema {
    ($ty:ident, $build:expr) => {
        pub struct $ty;

        impl PartialSchema for $ty {
            fn schema() -> RefOr<Schema> {
                $build
            }
        }

        impl ToSchema for $ty {
            fn name() -> Cow<'static, str> {
                Cow::Borrowed(stringify!($ty))
            }
        }
    };
}

manual_schema!(
    Hash,
    hex_string(
        64,
        "A SHA-256 digest (record id, asset id, asset head, leaf or node hash) as 64 lowercase hex digits."
    )
);

manual_schema!(
    PublicKey,
    hex_string(
        64,
        "An Ed25519 public key (a party's identity or a device key) as 64 lowercase hex digits; it must decode to a valid curve point."
    )
);

manual_schema!(Signature, hex_string(128, "An Ed25519 signature as 128 lowercase hex digits."));

manual_schema!(
    Act,
    ObjectBuilder::new()
        .schema_type(SchemaType::Type(Type::Object))
        .description(Some(
            "What the record does: an object with exactly one member, named after the act, whose \
             value holds the act's fields (camelCase). The names are listed in `propertyNames`.",
        ))
        .min_properties(Some(1))
        .max_properties(Some(1))
        .property_names(Some(
            ObjectBuilder::new().schema_type(SchemaType::Type(Type::String)).enum_values(Some(ACTS)),
        ))
        .additional_properties(Some(AdditionalProperties::RefOr(
            ObjectBuilder::new().schema_type(SchemaType::Type(Type::Object)).into()
        )))
        .examples([serde_json::json!({
            "transfer": {
                "assets": [{
                    "id": "5f0e3a1c9b7d2e4f6a8c0b1d3e5f7a9c2b4d6e8f0a1c3e5f7b9d2a4c6e8f0b1d",
                    "head": "8c2e4a6b0d1f3e5a7c9b2d4f6e8a0c1b3d5f7e9a2c4b6d8f0e1a3c5b7d9f2e4a"
                }],
                "to": "3d4017c3e843895a92b70aa74d1b7ebc9c982ccf2ec4968cc0cd55f12af4660c"
            }
        })])
        .into()
);

manual_schema!(
    Product,
    ObjectBuilder::new()
        .schema_type(SchemaType::Type(Type::Object))
        .description(Some(
            "What an asset is: an object tagged by `kind`, with the kind's own fields (camelCase) \
             beside it.",
        ))
        .property(
            "kind",
            ObjectBuilder::new().schema_type(SchemaType::Type(Type::String)).enum_values(Some(PRODUCT_KINDS)),
        )
        .required("kind")
        .additional_properties(Some(AdditionalProperties::FreeForm(true)))
        .into()
);

manual_schema!(
    BatchItem,
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
);

/// `RefOr::Ref` to a named schema.
trait SchemaRef {
    fn schema_ref() -> RefOr<Schema>;
}

impl<T: ToSchema> SchemaRef for T {
    fn schema_ref() -> RefOr<Schema> {
        RefOr::Ref(utoipa::openapi::Ref::from_schema_name(T::name()))
    }
}

/// A signed record as submitted and as stored in a ledger entry. The signature covers
/// `"terroir-record-v1\n"` followed by the RFC 8785 canonical JSON of `record`.
#[derive(ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Envelope {
    record: Record,
    signature: Signature,
}

/// A statement by `party`, signed by `signer` (the party's key or one of its devices'), for
/// the log named `origin`.
#[derive(ToSchema)]
#[serde(rename_all = "camelCase")]
#[serde(deny_unknown_fields)]
pub struct Record {
    /// The log this record is for (its checkpoint origin).
    origin: String,
    /// The party the record speaks for.
    party: PublicKey,
    /// The key that signed it.
    signer: PublicKey,
    /// When the signer signed it, in milliseconds since the Unix epoch (UTC).
    at: u64,
    act: Act,
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
    asset: Hash,
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

/// The unit of a quantity.
#[derive(ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Unit {
    Head,
    Piece,
    Gram,
}

/// An amount of base units: an integer from 1 to 2^53 − 1, never a fraction.
#[derive(ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Quantity {
    #[schema(minimum = 1, maximum = 9_007_199_254_740_991_u64)]
    amount: u64,
    unit: Unit,
}

/// Where an asset stands, tagged by `state`.
#[derive(ToSchema)]
#[serde(tag = "state", rename_all = "snake_case")]
pub enum Status {
    Active,
    Pledged { financier: PublicKey },
    Contained { holder: Hash },
    Consumed,
    Retired { reason: String },
}

/// An asset's current state. Its `head` is the id of the last record that changed it.
#[derive(ToSchema)]
#[serde(rename_all = "camelCase")]
#[serde(deny_unknown_fields)]
pub struct Asset {
    id: Hash,
    product: Product,
    quantity: Quantity,
    /// The GS1 Digital Link path that identifies it, e.g. `/01/09506000134352/10/ABC`.
    #[schema(required = false)]
    gs1: String,
    owner: PublicKey,
    custodian: PublicKey,
    status: Status,
    /// The assets it was split, merged or made from.
    parents: Vec<Hash>,
    /// The record that created it.
    created_by: Hash,
    head: Hash,
    /// When the head record says it was signed, in ms since the epoch (rules version 2 on).
    #[schema(required = false)]
    head_at: u64,
    /// Its mass in grams as last weighed, for goods counted in head or pieces (rules version 2
    /// on).
    #[schema(required = false, minimum = 1)]
    weighed_g: u64,
}

/// Entry *n* of the log: its leaf bytes are its RFC 8785 canonical JSON.
#[derive(ToSchema)]
#[serde(deny_unknown_fields)]
pub struct LedgerEntry {
    index: u64,
    /// The leaf hash of the previous entry; 64 zeros for the first.
    prev: Hash,
    record: Envelope,
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

/// What an organisation is.
#[derive(ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    Cooperative,
    Farm,
    Processor,
    Warehouse,
    Trader,
    Financier,
    Veterinarian,
    Inspector,
    Regulator,
}

/// A registered organisation, identified by its Ed25519 key.
#[derive(ToSchema)]
#[serde(rename_all = "camelCase")]
#[serde(deny_unknown_fields)]
pub struct Party {
    id: PublicKey,
    name: String,
    /// Sorted, without repeats.
    roles: Vec<Role>,
    /// A commitment (SHA-256) to the contact person's details, which stay off the ledger.
    #[schema(required = false)]
    contact: Hash,
    /// The record that registered it.
    registered_by: Hash,
}

/// A station's key, authorised by a party to sign on its behalf.
#[derive(ToSchema)]
#[serde(rename_all = "camelCase")]
#[serde(deny_unknown_fields)]
pub struct Device {
    key: PublicKey,
    party: PublicKey,
    label: String,
    authorised_by: Hash,
    /// The record that revoked it; absent while it is valid.
    #[schema(required = false)]
    revoked_by: Hash,
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
    operator: PublicKey,
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
    /// The asset first, then its ancestors, breadth first.
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
    lineage: Vec<Asset>,
    journey: Vec<JourneyItem>,
    parties: Vec<Party>,
    /// The garden caps (`tea_garden`) the tea's leaves were registered against, as they stand
    /// now; absent for goods without one. Not part of the evidence a phone checks.
    garden_caps: Vec<Asset>,
    checks: Checks,
    /// The log's verifier key.
    verifier_key: String,
    /// Where the evidence to check all this is.
    evidence: String,
}
