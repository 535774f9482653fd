//! Why the rules refuse a record: one variant per broken rule, each with a stable code and a
//! sentence a co-op clerk can act on.

use crate::Hash;
use crate::asset::{AssetId, QuantityError, Unit};
use crate::calendar::Timestamp;
use crate::crypto::PublicKey;
use crate::party::{PartyId, Role};

/// A refused record and exactly what is wrong with it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RuleViolation {
    #[error("this record was signed for the log `{found}`, not for this log (`{expected}`)")]
    WrongLog { expected: String, found: String },
    #[error("this record is dated {at}, ahead of the ledger's clock ({now}); check the station's clock")]
    FromTheFuture { at: Timestamp, now: Timestamp },
    #[error("party {0} is not registered")]
    UnknownParty(PartyId),
    #[error("only the log operator may register parties")]
    NotOperator,
    #[error(
        "key {signer} may not sign for party {party}: it is neither the party's key nor one of its authorised devices"
    )]
    SignerNotAuthorised { signer: PublicKey, party: PartyId },
    #[error("device {0} has been revoked and can sign nothing more")]
    DeviceRevoked(PublicKey),
    #[error("only the party's own key, not a device, may authorise or revoke devices")]
    DeviceCannotManageDevices,
    #[error("party {0} is already registered")]
    PartyExists(PartyId),
    #[error("key {0} is already registered as a device or a party")]
    DeviceExists(PublicKey),
    #[error("device {0} is not one of this party's devices")]
    UnknownDevice(PublicKey),
    #[error("device {0} is already revoked")]
    DeviceAlreadyRevoked(PublicKey),
    #[error("asset {0} does not exist")]
    UnknownAsset(AssetId),
    #[error(
        "asset {asset} has changed since this record was made: it names head {named}, but the current head is {current}"
    )]
    HeadConflict { asset: AssetId, named: Hash, current: Hash },
    #[error("asset {0} is named twice in one record")]
    AssetNamedTwice(AssetId),
    #[error("asset {asset} is {status} and cannot be used any more")]
    NotActive { asset: AssetId, status: String },
    #[error("asset {asset} is pledged to {financier}; it cannot move until the financier releases it")]
    Pledged { asset: AssetId, financier: PartyId },
    #[error("asset {asset} is packed in {holder}; it travels with it and cannot move on its own")]
    Contained { asset: AssetId, holder: AssetId },
    #[error("asset {0} already exists: this record was already applied")]
    OutputExists(AssetId),
    #[error("a transformation cannot create {what}: the inputs hold {input}, the outputs {output}")]
    TransformCreates { what: &'static str, input: u64, output: u64 },
    #[error("at most {limit} {what} in one record, not {found}")]
    TooMany { what: &'static str, limit: usize, found: usize },
    #[error(
        "the device's proof of possession does not verify: the device key must sign its own authorisation"
    )]
    NoProofOfPossession,
    #[error("a {event} is recorded by {who}")]
    EventNotYours { event: &'static str, who: &'static str },
    #[error("asset {0} is not pledged")]
    NotPledged(AssetId),
    #[error("party {party} may not {act} asset {asset}: {why}")]
    NotPermitted { party: PartyId, act: &'static str, asset: AssetId, why: &'static str },
    #[error("party {party} needs the {role} role for this")]
    MissingRole { party: PartyId, role: Role },
    #[error(
        "the parts add up to {found}, but asset {asset} holds {expected}: nothing may be created or lost"
    )]
    QuantityNotConserved { asset: AssetId, expected: u64, found: u64 },
    #[error("bad quantity: {0}")]
    BadQuantity(#[from] QuantityError),
    #[error("a {kind} is counted in {expected}, not in {found}")]
    UnitMismatch { kind: &'static str, expected: Unit, found: Unit },
    #[error("a {kind} is a single unit (quantity 1); it cannot be split, merged or counted otherwise")]
    SingleUnit { kind: &'static str },
    #[error("a {act} needs at least {needed} {what}")]
    TooFew { act: &'static str, needed: usize, what: &'static str },
    #[error("assets {first} and {other} cannot be merged: {why}")]
    Incompatible { first: AssetId, other: AssetId, why: &'static str },
    #[error("a {from} cannot be turned into a {to}")]
    TransformNotAllowed { from: &'static str, to: &'static str },
    #[error("`{key}` already identifies another asset")]
    IdentityTaken { key: String },
    #[error("output {index} says it is part of output {holder}, which {why}")]
    BadPartOf { index: usize, holder: u32, why: &'static str },
    #[error("output {index} asks for cake tokens, but {why}")]
    BadUnitTokens { index: usize, why: &'static str },
    #[error("nothing would change: {0}")]
    NoChange(&'static str),
    #[error("`{0}` must not be empty")]
    Empty(&'static str),
    #[error("a {event} is recorded for live cattle, not for a {kind}")]
    WrongKindForEvent { event: &'static str, kind: &'static str },
    #[error(
        "garden {garden}, {season}: its registered cap is {cap} g and {issued} g are already issued; {requested} g more would exceed it"
    )]
    IssuanceCapExceeded { garden: String, season: String, cap: u64, issued: u64, requested: u64 },
    #[error(
        "tea from garden {garden}, {season} draws on the garden's registered cap, asset {cap}: the record must name it at its current head"
    )]
    AllowanceMissing { garden: String, season: String, cap: AssetId },
    #[error("asset {asset} cannot be named as an allowance: {why}")]
    BadAllowance { asset: AssetId, why: &'static str },
    #[error("this garden cap cannot be registered: {0}")]
    BadGardenCap(&'static str),
    #[error("only the first entry of a log opens it (`open_ledger`), signed by its operator")]
    OpenLedgerMisplaced,
    #[error("party {party} may not {act} {what}: only a {} may", role_list(roles))]
    RoleNotPermitted { party: PartyId, act: &'static str, what: &'static str, roles: &'static [Role] },
    #[error(
        "this record is dated {at}, before the latest record of asset {asset} ({head_at}): a record is never dated before what it changes"
    )]
    BackDated { asset: AssetId, at: Timestamp, head_at: Timestamp },
    #[error(
        "the mass of {what} is not known: goods counted in head or pieces are weighed (a weighing event) before a transformation, and its outputs are stated in grams or as cakes of a stated weight"
    )]
    MassUnknown { what: String },
    #[error("`{field}` cannot be used: {error}")]
    BadName { field: &'static str, error: crate::names::NameError },
    #[error(
        "only the owner may hand goods to another holder; the holder {party} may only hand them back to their owner"
    )]
    CustodyNotOwner { party: PartyId },
    #[error("the units of asset {holder} cannot be used so: {why}")]
    BadUnits { holder: AssetId, why: &'static str },
    #[error("`{act}` is not an act of rules version {rules}, which this ledger runs")]
    NotUnderRules { act: &'static str, rules: super::Rules },
}

/// "cooperative or farm", "processor".
fn role_list(roles: &[Role]) -> String {
    let names: Vec<String> = roles.iter().map(Role::to_string).collect();
    match names.split_last() {
        Some((last, [])) => last.clone(),
        Some((last, rest)) => format!("{} or {last}", rest.join(", ")),
        None => "nobody".into(),
    }
}

/// How a refusal should be answered: the HTTP layer maps these to 403, 409 and 422.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ViolationClass {
    /// The signer may not do this act.
    Forbidden,
    /// The record was built on a head that is no longer current: someone else won.
    Conflict,
    /// The act itself breaks a rule.
    Unprocessable,
}

impl RuleViolation {
    /// A stable, machine-readable code.
    pub fn code(&self) -> &'static str {
        match self {
            RuleViolation::WrongLog { .. } => "wrong_log",
            RuleViolation::FromTheFuture { .. } => "from_the_future",
            RuleViolation::UnknownParty(_) => "unknown_party",
            RuleViolation::NotOperator => "not_operator",
            RuleViolation::SignerNotAuthorised { .. } => "signer_not_authorised",
            RuleViolation::DeviceRevoked(_) => "device_revoked",
            RuleViolation::DeviceCannotManageDevices => "device_cannot_manage_devices",
            RuleViolation::PartyExists(_) => "party_exists",
            RuleViolation::DeviceExists(_) => "device_exists",
            RuleViolation::UnknownDevice(_) => "unknown_device",
            RuleViolation::DeviceAlreadyRevoked(_) => "device_already_revoked",
            RuleViolation::UnknownAsset(_) => "unknown_asset",
            RuleViolation::HeadConflict { .. } => "head_conflict",
            RuleViolation::AssetNamedTwice(_) => "asset_named_twice",
            RuleViolation::NotActive { .. } => "asset_not_active",
            RuleViolation::Pledged { .. } => "asset_pledged",
            RuleViolation::NotPledged(_) => "asset_not_pledged",
            RuleViolation::Contained { .. } => "asset_contained",
            RuleViolation::OutputExists(_) => "output_exists",
            RuleViolation::TransformCreates { .. } => "transform_creates_quantity",
            RuleViolation::TooMany { .. } => "too_many",
            RuleViolation::NoProofOfPossession => "no_proof_of_possession",
            RuleViolation::EventNotYours { .. } => "event_not_yours",
            RuleViolation::NotPermitted { .. } => "not_permitted",
            RuleViolation::MissingRole { .. } => "missing_role",
            RuleViolation::QuantityNotConserved { .. } => "quantity_not_conserved",
            RuleViolation::BadQuantity(_) => "bad_quantity",
            RuleViolation::UnitMismatch { .. } => "unit_mismatch",
            RuleViolation::SingleUnit { .. } => "single_unit",
            RuleViolation::TooFew { .. } => "too_few",
            RuleViolation::Incompatible { .. } => "incompatible_merge",
            RuleViolation::TransformNotAllowed { .. } => "transform_not_allowed",
            RuleViolation::IdentityTaken { .. } => "identity_taken",
            RuleViolation::BadPartOf { .. } => "bad_part_of",
            RuleViolation::BadUnitTokens { .. } => "bad_unit_tokens",
            RuleViolation::NoChange(_) => "no_change",
            RuleViolation::Empty(_) => "empty_field",
            RuleViolation::WrongKindForEvent { .. } => "wrong_kind_for_event",
            RuleViolation::IssuanceCapExceeded { .. } => "issuance_cap_exceeded",
            RuleViolation::AllowanceMissing { .. } => "allowance_missing",
            RuleViolation::BadAllowance { .. } => "bad_allowance",
            RuleViolation::BadGardenCap(_) => "bad_garden_cap",
            RuleViolation::OpenLedgerMisplaced => "open_ledger_misplaced",
            RuleViolation::RoleNotPermitted { .. } => "role_not_permitted",
            RuleViolation::BackDated { .. } => "back_dated",
            RuleViolation::MassUnknown { .. } => "mass_unknown",
            RuleViolation::BadName { .. } => "bad_name",
            RuleViolation::CustodyNotOwner { .. } => "custody_not_owner",
            RuleViolation::BadUnits { .. } => "bad_units",
            RuleViolation::NotUnderRules { .. } => "not_under_these_rules",
        }
    }

    pub fn class(&self) -> ViolationClass {
        match self {
            RuleViolation::NotOperator
            | RuleViolation::SignerNotAuthorised { .. }
            | RuleViolation::DeviceRevoked(_)
            | RuleViolation::DeviceCannotManageDevices
            | RuleViolation::NotPermitted { .. }
            | RuleViolation::MissingRole { .. }
            | RuleViolation::NoProofOfPossession
            | RuleViolation::EventNotYours { .. }
            | RuleViolation::OpenLedgerMisplaced
            | RuleViolation::RoleNotPermitted { .. }
            | RuleViolation::CustodyNotOwner { .. } => ViolationClass::Forbidden,
            RuleViolation::HeadConflict { .. } => ViolationClass::Conflict,
            RuleViolation::WrongLog { .. }
            | RuleViolation::FromTheFuture { .. }
            | RuleViolation::UnknownParty(_)
            | RuleViolation::PartyExists(_)
            | RuleViolation::DeviceExists(_)
            | RuleViolation::UnknownDevice(_)
            | RuleViolation::DeviceAlreadyRevoked(_)
            | RuleViolation::UnknownAsset(_)
            | RuleViolation::AssetNamedTwice(_)
            | RuleViolation::NotActive { .. }
            | RuleViolation::Pledged { .. }
            | RuleViolation::NotPledged(_)
            | RuleViolation::Contained { .. }
            | RuleViolation::OutputExists(_)
            | RuleViolation::TransformCreates { .. }
            | RuleViolation::TooMany { .. }
            | RuleViolation::QuantityNotConserved { .. }
            | RuleViolation::BadQuantity(_)
            | RuleViolation::UnitMismatch { .. }
            | RuleViolation::SingleUnit { .. }
            | RuleViolation::TooFew { .. }
            | RuleViolation::Incompatible { .. }
            | RuleViolation::TransformNotAllowed { .. }
            | RuleViolation::IdentityTaken { .. }
            | RuleViolation::BadPartOf { .. }
            | RuleViolation::BadUnitTokens { .. }
            | RuleViolation::NoChange(_)
            | RuleViolation::Empty(_)
            | RuleViolation::WrongKindForEvent { .. }
            | RuleViolation::IssuanceCapExceeded { .. }
            | RuleViolation::AllowanceMissing { .. }
            | RuleViolation::BadAllowance { .. }
            | RuleViolation::BadGardenCap(_)
            | RuleViolation::BackDated { .. }
            | RuleViolation::MassUnknown { .. }
            | RuleViolation::BadName { .. }
            | RuleViolation::BadUnits { .. }
            | RuleViolation::NotUnderRules { .. } => ViolationClass::Unprocessable,
        }
    }
}
