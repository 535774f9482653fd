//! The ledger's rules as a pure function: state + record + time → effects, or the reason the
//! record is refused. The server and the station only load state, call [`apply`], and store the
//! [`Effects`]; an auditor replays the same function.

mod events;
mod issuance;
mod lots;
mod memory;
mod needs;
mod outputs;
mod ownership;
mod parties;
mod roles;
mod snapshot;
mod transform;
mod units;
mod version;
mod violation;

use crate::asset::{Asset, AssetId, AssetRef, Status};
use crate::calendar::Timestamp;
use crate::crypto::PublicKey;
use crate::party::{Device, Party, PartyId};
use crate::record::{Act, Record, Signed};

pub use issuance::{NewTea, new_tea};
pub use memory::MemoryLedger;
pub use needs::{Needs, needs};
pub use outputs::expand as expand_outputs;
pub use roles::may_commission;
pub use snapshot::{StateSource, snapshot};
pub use units::unit_needs;
pub use version::{Rules, UnknownRules};
pub use violation::{RuleViolation, ViolationClass};

/// How far ahead of the ledger's clock a station's clock may run, and (rules version 2 on) how
/// far a record may be dated before the latest record of an asset it names: two stations'
/// clocks never agree exactly.
pub const MAX_CLOCK_SKEW_MS: u64 = 5 * 60 * 1000;

/// The state the rules read. Implementations load it from memory or from a database snapshot
/// taken inside the transaction that will store the effects.
pub trait LedgerView {
    fn party(&self, id: &PartyId) -> Option<Party>;
    fn device(&self, key: &PublicKey) -> Option<Device>;
    fn asset(&self, id: &AssetId) -> Option<Asset>;
    /// The asset holding a unique identity key (a GS1 key, an ear tag), if any.
    fn holder_of(&self, identity_key: &str) -> Option<AssetId>;
}

/// What the rules need besides state: which log this is, who operates it, which rules it
/// runs, and the time.
#[derive(Clone, Copy, Debug)]
pub struct Context<'a> {
    pub origin: &'a str,
    pub operator: PartyId,
    pub rules: Rules,
    pub now: Timestamp,
}

/// What an accepted record changes: the new full state of every party, device and asset it
/// creates or touches, and the identity keys its new assets claim. Applying effects needs no
/// further checks.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Effects {
    pub parties: Vec<Party>,
    pub devices: Vec<Device>,
    pub assets: Vec<Asset>,
    pub identities: Vec<(String, AssetId)>,
}

/// The rules a ledger runs, told by its first record: an `open_ledger` names them; a ledger
/// whose first record opens nothing was started under [`Rules::V1`].
pub fn rules_of(first: &Record) -> Rules {
    match &first.act {
        Act::OpenLedger(open) => open.rules,
        _ => Rules::V1,
    }
}

/// Judges the first entry of a new ledger: the operator's `open_ledger`, naming the rules the
/// ledger will run for good. Returns them.
pub fn open_ledger(record: &Signed<Record>, ctx: &Context<'_>) -> Result<Rules, RuleViolation> {
    let body = record.body();
    if body.origin != ctx.origin {
        return Err(RuleViolation::WrongLog { expected: ctx.origin.into(), found: body.origin.clone() });
    }
    let Act::OpenLedger(open) = &body.act else { return Err(RuleViolation::OpenLedgerMisplaced) };
    if body.party != ctx.operator || body.signer != ctx.operator.0 {
        return Err(RuleViolation::NotOperator);
    }
    Ok(open.rules)
}

/// Limits on list sizes, so a single record's cost stays bounded (invariant 9).
pub const MAX_OUTPUTS: usize = 10_000;
pub const MAX_REFS: usize = 1_000;

/// Decides whether `record` may be appended to a ledger in state `view`, and what it changes.
pub fn apply(
    view: &impl LedgerView,
    record: &Signed<Record>,
    ctx: &Context<'_>,
) -> Result<Effects, RuleViolation> {
    let body = record.body();
    if body.origin != ctx.origin {
        return Err(RuleViolation::WrongLog { expected: ctx.origin.into(), found: body.origin.clone() });
    }
    if body.at.millis() > ctx.now.millis().saturating_add(MAX_CLOCK_SKEW_MS) {
        return Err(RuleViolation::FromTheFuture { at: body.at, now: ctx.now });
    }
    let id = record.id();
    let act = Step { id, rules: ctx.rules };
    let signer = match &body.act {
        Act::OpenLedger(_) => return Err(RuleViolation::OpenLedgerMisplaced),
        Act::RegisterParty(a) => return parties::register(view, body, a, ctx, id),
        _ => authorise_signer(view, body)?,
    };
    if ctx.rules.v2() {
        not_back_dated(view, body)?;
    }
    let mut effects = match &body.act {
        Act::OpenLedger(_) => return Err(RuleViolation::OpenLedgerMisplaced),
        Act::RegisterParty(a) => parties::register(view, body, a, ctx, id),
        Act::AuthoriseDevice(a) => parties::authorise_device(view, body, signer, a, id),
        Act::RevokeDevice(a) => parties::revoke_device(view, body, signer, a, id),
        Act::Commission(a) => outputs::commission(view, body, a, act),
        Act::Observe(a) => events::observe(view, body, a, act),
        Act::Transfer(a) => ownership::transfer(view, body, a, act),
        Act::Custody(a) => ownership::custody(view, body, a, act),
        Act::Split(a) => lots::split(view, body, a, act),
        Act::Merge(a) => lots::merge(view, body, a, act),
        Act::Transform(a) => transform::transform(view, body, a, act),
        Act::Pledge(a) => ownership::pledge(view, body, a, id),
        Act::Release(a) => ownership::release(view, body, a, id),
        Act::Retire(a) => ownership::retire(view, body, a, act),
        Act::Unpack(a) => units::unpack(view, body, a, act),
    }?;
    if ctx.rules.v2() {
        for a in effects.assets.iter_mut().filter(|a| a.head == id) {
            a.head_at = Some(body.at);
        }
    }
    Ok(effects)
}

/// What every rule that creates or changes assets is told about the record being judged.
#[derive(Clone, Copy, Debug)]
struct Step {
    /// The record's id: the new head of everything it touches.
    id: crate::Hash,
    rules: Rules,
}

/// Rules version 2: a record is not dated before the latest record of any asset it names (by
/// more than the clock-skew tolerance), so a history never runs backwards in time.
fn not_back_dated(view: &impl LedgerView, body: &Record) -> Result<(), RuleViolation> {
    for r in body.act.touches() {
        let Some(asset) = view.asset(&r.id) else { continue };
        if let Some(head_at) = asset.head_at
            && asset.head == r.head
            && body.at.millis().saturating_add(MAX_CLOCK_SKEW_MS) < head_at.millis()
        {
            return Err(RuleViolation::BackDated { asset: r.id, at: body.at, head_at });
        }
    }
    Ok(())
}

/// Who signed: the party itself, or one of its devices.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Signer {
    Party,
    Device,
}

/// Invariant 1: the signer is the party's key or a device it authorised and has not revoked.
fn authorise_signer(view: &impl LedgerView, body: &Record) -> Result<Signer, RuleViolation> {
    if view.party(&body.party).is_none() {
        return Err(RuleViolation::UnknownParty(body.party));
    }
    if body.signer == body.party.0 {
        return Ok(Signer::Party);
    }
    match view.device(&body.signer) {
        Some(d) if d.party != body.party => {
            Err(RuleViolation::SignerNotAuthorised { signer: body.signer, party: body.party })
        }
        Some(d) if d.revoked_by.is_some() => Err(RuleViolation::DeviceRevoked(body.signer)),
        Some(_) => Ok(Signer::Device),
        None => Err(RuleViolation::SignerNotAuthorised { signer: body.signer, party: body.party }),
    }
}

/// Invariant 2: every named asset exists, is named once, and is named at its current head.
fn load_current(view: &impl LedgerView, refs: &[AssetRef]) -> Result<Vec<Asset>, RuleViolation> {
    at_most(refs.len(), MAX_REFS, "assets")?;
    let mut seen = std::collections::HashSet::with_capacity(refs.len());
    let mut assets: Vec<Asset> = Vec::with_capacity(refs.len());
    for r in refs {
        if !seen.insert(r.id) {
            return Err(RuleViolation::AssetNamedTwice(r.id));
        }
        let asset = view.asset(&r.id).ok_or(RuleViolation::UnknownAsset(r.id))?;
        if asset.head != r.head {
            return Err(RuleViolation::HeadConflict { asset: r.id, named: r.head, current: asset.head });
        }
        assets.push(asset);
    }
    Ok(assets)
}

/// Loads the named assets at their current heads and checks that `body.party` owns each and
/// that each is active.
fn owned_and_active(
    view: &impl LedgerView,
    body: &Record,
    refs: &[AssetRef],
    act: &'static str,
) -> Result<Vec<Asset>, RuleViolation> {
    let assets = load_current(view, refs)?;
    for a in &assets {
        if a.owner != body.party {
            return Err(not_permitted(body.party, act, a, "only its owner may"));
        }
        if act != "retire" {
            require_movable(body.party, act, a)?;
        }
        require_active(a)?;
    }
    Ok(assets)
}

/// A garden's cap stays with the co-op that registered it: it is never goods to move or make.
fn require_movable(party: PartyId, act: &'static str, asset: &Asset) -> Result<(), RuleViolation> {
    if asset.product.stays_put() {
        return Err(not_permitted(
            party,
            act,
            asset,
            "a garden's cap stays with the co-op that registered it",
        ));
    }
    Ok(())
}

fn not_permitted(party: PartyId, act: &'static str, asset: &Asset, why: &'static str) -> RuleViolation {
    RuleViolation::NotPermitted { party, act, asset: asset.id, why }
}

fn at_least(found: usize, needed: usize, act: &'static str, what: &'static str) -> Result<(), RuleViolation> {
    if found < needed {
        return Err(RuleViolation::TooFew { act, needed, what });
    }
    Ok(())
}

fn at_most(found: usize, limit: usize, what: &'static str) -> Result<(), RuleViolation> {
    if found > limit {
        return Err(RuleViolation::TooMany { what, limit, found });
    }
    Ok(())
}

fn consume(inputs: &mut [Asset], id: crate::Hash) {
    for a in inputs {
        a.status = Status::Consumed;
        a.head = id;
    }
}

/// Invariant 4: only an active asset moves, splits, merges, transforms or is pledged.
fn require_active(asset: &Asset) -> Result<(), RuleViolation> {
    match &asset.status {
        Status::Active => Ok(()),
        Status::Pledged { financier } => {
            Err(RuleViolation::Pledged { asset: asset.id, financier: *financier })
        }
        Status::Contained { holder } => Err(RuleViolation::Contained { asset: asset.id, holder: *holder }),
        other => Err(RuleViolation::NotActive { asset: asset.id, status: other.to_string() }),
    }
}

/// A name that carries rights: not empty, and one a reader cannot be fooled by.
fn require_name(value: &str, field: &'static str) -> Result<(), RuleViolation> {
    require_text(value, field)?;
    crate::names::check(value).map_err(|error| RuleViolation::BadName { field, error })
}

fn require_text(value: &str, field: &'static str) -> Result<(), RuleViolation> {
    if value.trim().is_empty() {
        return Err(RuleViolation::Empty(field));
    }
    Ok(())
}
