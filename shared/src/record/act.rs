//! The acts a record can state, one struct per act.

use std::collections::BTreeSet;

use serde::{Deserialize, Serialize};

use crate::Hash;
use crate::asset::{AssetRef, Product, Quantity, UnitRange};
use crate::calendar::Date;
use crate::commitment::Commitment;
use crate::crypto::{Keypair, PublicKey, Signature};
use crate::gs1::DigitalLink;
use crate::party::{PartyId, Role};

/// What a record does: an object with exactly one member, named after the act
/// (`{"split": {…}}`), whose value holds the act's fields. (Tagged from outside, so that a
/// parse error names the exact field inside the act.)
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub enum Act {
    OpenLedger(OpenLedger),
    RegisterParty(RegisterParty),
    AuthoriseDevice(AuthoriseDevice),
    RevokeDevice(RevokeDevice),
    Commission(Commission),
    Observe(Observe),
    Transfer(Transfer),
    Custody(Custody),
    Split(Split),
    Merge(Merge),
    Transform(Transform),
    Pledge(Pledge),
    Release(Release),
    Retire(Retire),
    Unpack(Unpack),
}

/// The operator opens a new ledger under a version of the rules: entry 0 of every ledger
/// opened since rules version 2, and nowhere else.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct OpenLedger {
    pub rules: crate::rules::Rules,
}

/// The operator enrols an organisation.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct RegisterParty {
    pub id: PartyId,
    pub name: String,
    pub roles: BTreeSet<Role>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub contact: Option<Commitment>,
}

/// A party lets a station's key sign for it. The device key signs the authorisation too
/// (`proof`), so no party can claim a key it does not hold.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct AuthoriseDevice {
    pub device: PublicKey,
    pub label: String,
    pub proof: Signature,
}

impl AuthoriseDevice {
    const POSSESSION_DOMAIN: &'static [u8] = b"terroir-device-v1\n";

    /// The bytes the device key signs: the log, the party and the device.
    pub fn possession_message(origin: &str, party: &PartyId, device: &PublicKey) -> Vec<u8> {
        let mut m = Self::POSSESSION_DOMAIN.to_vec();
        m.extend_from_slice(format!("{origin}\n{party}\n{device}\n").as_bytes());
        m
    }

    /// An authorisation of `device` for `party` on the log `origin`, with its proof.
    pub fn new(device: &Keypair, party: &PartyId, origin: &str, label: &str) -> Self {
        let key = device.public();
        let proof = device.sign(&Self::possession_message(origin, party, &key));
        Self { device: key, label: label.into(), proof }
    }
}

/// A party withdraws a station's key (lost, stolen, retired).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct RevokeDevice {
    pub device: PublicKey,
}

/// A new token, created by commissioning or by a transformation.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct NewAsset {
    pub product: Product,
    pub quantity: Quantity,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub gs1: Option<DigitalLink>,
    /// Index of another output of the same record that holds this one (a cake in its lot).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub part_of: Option<u32>,
    /// For a lot of cakes: also one token per cake, generated rather than listed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub units: Option<UnitTokens>,
}

/// One contained cake token per piece of a lot, with serial numbers 1 to the lot's amount
/// written with `serialDigits` digits on the lot's GTIN and lot number: a batch of 300 cakes
/// costs a few bytes in the record, and every cake still has its own label and history.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct UnitTokens {
    #[cfg_attr(feature = "openapi", schema(maximum = 255))]
    pub serial_digits: u8,
}

/// Creates tokens from nothing: the only act that may.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Commission {
    pub assets: Vec<NewAsset>,
    /// The garden caps the new tea draws on, at their current heads (see `rules::new_tea`).
    /// Absent when empty, so records without tea keep their bytes.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    #[cfg_attr(feature = "openapi", schema(min_items = 1))]
    pub allowances: Vec<AssetRef>,
}

impl Commission {
    /// Commissions `assets`, drawing on no garden cap.
    pub fn new(assets: Vec<NewAsset>) -> Self {
        Self { assets, allowances: Vec::new() }
    }
}

/// An event about assets, with attachments referenced by hash.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Observe {
    pub assets: Vec<AssetRef>,
    pub event: Event,
    pub attachments: Vec<Attachment>,
}

/// What was observed.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "event", rename_all = "snake_case", deny_unknown_fields)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub enum Event {
    #[serde(rename_all = "camelCase")]
    Vaccination {
        vaccine: String,
        /// No slaughter for food before this date.
        withdrawal_until: Date,
    },
    #[serde(rename_all = "camelCase")]
    Weighing { mass_g: u64 },
    #[serde(rename_all = "camelCase")]
    Movement { from: String, to: String },
    #[serde(rename_all = "camelCase")]
    Picking { garden: String, mass_g: u64 },
    #[serde(rename_all = "camelCase")]
    Pressing { press: String },
    #[serde(rename_all = "camelCase")]
    Storage { location: String },
    #[serde(rename_all = "camelCase")]
    LabCertificate { laboratory: String, certificate: String, result: String },
    #[serde(rename_all = "camelCase")]
    Note { text: String },
}

/// A file kept off-ledger and named by its SHA-256.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Attachment {
    pub name: String,
    pub media_type: String,
    pub sha256: Hash,
    pub size: u64,
}

/// The owner hands ownership to another party.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Transfer {
    pub assets: Vec<AssetRef>,
    pub to: PartyId,
}

/// Goods change hands physically (to a warehouse) without changing owner.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Custody {
    pub assets: Vec<AssetRef>,
    pub to: PartyId,
}

/// One lot becomes several whose quantities add up exactly to it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Split {
    pub asset: AssetRef,
    pub parts: Vec<Part>,
}

/// One part of a split: an amount in the lot's unit and, optionally, its own GS1 key. When the
/// lot holds units (cakes with their own labels), each part names the units it takes; together
/// the parts take every unit of the lot.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Part {
    pub amount: u64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub gs1: Option<DigitalLink>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    #[cfg_attr(feature = "openapi", schema(min_items = 1))]
    pub units: Vec<UnitRange>,
}

/// Several compatible lots become one holding exactly their sum.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Merge {
    pub assets: Vec<AssetRef>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub gs1: Option<DigitalLink>,
}

/// Inputs are consumed by a process that makes new outputs (slaughter, cutting, pressing).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Transform {
    pub process: String,
    pub inputs: Vec<AssetRef>,
    pub outputs: Vec<NewAsset>,
    /// The garden caps drawn on by tea whose origin the inputs do not already carry; absent
    /// when none.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    #[cfg_attr(feature = "openapi", schema(min_items = 1))]
    pub allowances: Vec<AssetRef>,
}

impl Transform {
    /// A process turning `inputs` into `outputs`, drawing on no garden cap.
    pub fn new(process: &str, inputs: Vec<AssetRef>, outputs: Vec<NewAsset>) -> Self {
        Self { process: process.into(), inputs, outputs, allowances: Vec::new() }
    }
}

/// The owner pledges an asset to a financier as collateral.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Pledge {
    pub asset: AssetRef,
    pub financier: PartyId,
}

/// The financier releases a pledged asset.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Release {
    pub asset: AssetRef,
}

/// The owner of a holder takes units out of it (one cake out of its lot, to sell it alone):
/// they stand on their own from then on, and the holder counts that many fewer.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Unpack {
    pub holder: AssetRef,
    pub units: Vec<AssetRef>,
}

/// The asset leaves the chain: sold to a consumer, eaten, dead, destroyed.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Retire {
    pub asset: AssetRef,
    pub reason: String,
}

impl Act {
    /// The act's name as it appears in JSON.
    pub fn name(&self) -> &'static str {
        match self {
            Act::OpenLedger(_) => "open_ledger",
            Act::RegisterParty(_) => "register_party",
            Act::AuthoriseDevice(_) => "authorise_device",
            Act::RevokeDevice(_) => "revoke_device",
            Act::Commission(_) => "commission",
            Act::Observe(_) => "observe",
            Act::Transfer(_) => "transfer",
            Act::Custody(_) => "custody",
            Act::Split(_) => "split",
            Act::Merge(_) => "merge",
            Act::Transform(_) => "transform",
            Act::Pledge(_) => "pledge",
            Act::Release(_) => "release",
            Act::Retire(_) => "retire",
            Act::Unpack(_) => "unpack",
        }
    }

    /// The garden caps this act draws on: those a commission or a transform that makes tea names.
    pub fn allowances(&self) -> &[AssetRef] {
        match self {
            Act::Commission(a) => &a.allowances,
            Act::Transform(a) => &a.allowances,
            _ => &[],
        }
    }

    /// Every asset this act consumes or changes, at the head its signer saw.
    pub fn touches(&self) -> Vec<AssetRef> {
        match self {
            Act::OpenLedger(_) | Act::RegisterParty(_) | Act::AuthoriseDevice(_) | Act::RevokeDevice(_) => {
                vec![]
            }
            Act::Commission(_) => self.allowances().to_vec(),
            Act::Observe(a) => a.assets.clone(),
            Act::Transfer(a) => a.assets.clone(),
            Act::Custody(a) => a.assets.clone(),
            Act::Split(a) => vec![a.asset],
            Act::Merge(a) => a.assets.clone(),
            Act::Transform(a) => a.inputs.iter().chain(self.allowances()).copied().collect(),
            Act::Pledge(a) => vec![a.asset],
            Act::Release(a) => vec![a.asset],
            Act::Retire(a) => vec![a.asset],
            Act::Unpack(a) => std::iter::once(a.holder).chain(a.units.iter().copied()).collect(),
        }
    }
}
