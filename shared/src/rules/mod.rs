//! The ledger's rules as a pure function: state + record + time → effects, or the reason the
//! record is refused. The server and the station only load state, call [`apply`], and store the
//! [`Effects`]; an auditor replays the same function.

mod memory;
mod movement;
mod needs;
mod parties;
mod violation;

use crate::asset::{Asset, AssetId, AssetRef, Status};
use crate::calendar::Timestamp;
use crate::crypto::PublicKey;
use crate::party::{Device, Party, PartyId};
use crate::record::{Act, Record, Signed};

pub use memory::MemoryLedger;
pub use needs::{Needs, needs};
pub use violation::{RuleViolation, ViolationClass};

/// How far ahead of the ledger's clock a station's clock may run.
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

/// What the rules need besides state: which log this is, who operates it, and the time.
#[derive(Clone, Copy, Debug)]
pub struct Context<'a> {
    pub origin: &'a str,
    pub operator: PartyId,
    pub now: Timestamp,
}

/// What an accepted record changes: the new full state of every party, device and asset it
/// creates or touches. Applying effects needs no further checks.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Effects {
    pub parties: Vec<Party>,
    pub devices: Vec<Device>,
    pub assets: Vec<Asset>,
}

/// Decides whether `record` may be appended to a ledger in state `view`, and what it changes.
pub fn apply(
    view: &impl LedgerView,
    record: &Signed<Record>,
    ctx: &Context<'_>,
) -> Result<Effects, RuleViolation> {
    let body = record.body();
    if body.origin != ctx.origin {
        return Err(RuleViolation::WrongLog {
            expected: ctx.origin.into(),
            found: body.origin.clone(),
        });
    }
    if body.at.millis() > ctx.now.millis().saturating_add(MAX_CLOCK_SKEW_MS) {
        return Err(RuleViolation::FromTheFuture {
            at: body.at,
            now: ctx.now,
        });
    }
    let id = record.id();
    if let Act::RegisterParty(act) = &body.act {
        return parties::register(view, body, act, ctx, id);
    }
    let signer = authorise_signer(view, body)?;
    match &body.act {
        Act::RegisterParty(_) => Err(RuleViolation::NotOperator),
        Act::AuthoriseDevice(act) => parties::authorise_device(view, body, signer, act, id),
        Act::RevokeDevice(act) => parties::revoke_device(view, body, signer, act, id),
        Act::Commission(act) => movement::commission(view, body, act, id),
        Act::Observe(act) => movement::observe(view, body, act, id),
        Act::Transfer(act) => movement::transfer(view, body, act, id),
        Act::Custody(act) => movement::custody(view, body, act, id),
        Act::Split(act) => movement::split(view, body, act, id),
        Act::Merge(act) => movement::merge(view, body, act, id),
        Act::Transform(act) => movement::transform(view, body, act, id),
        Act::Pledge(act) => movement::pledge(view, body, act, id),
        Act::Release(act) => movement::release(view, body, act, id),
        Act::Retire(act) => movement::retire(view, body, act, id),
    }
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
        Some(d) if d.party != body.party => Err(RuleViolation::SignerNotAuthorised {
            signer: body.signer,
            party: body.party,
        }),
        Some(d) if d.revoked_by.is_some() => Err(RuleViolation::DeviceRevoked(body.signer)),
        Some(_) => Ok(Signer::Device),
        None => Err(RuleViolation::SignerNotAuthorised {
            signer: body.signer,
            party: body.party,
        }),
    }
}

/// Invariant 2: every named asset exists, is named once, and is named at its current head.
fn load_current(view: &impl LedgerView, refs: &[AssetRef]) -> Result<Vec<Asset>, RuleViolation> {
    let mut assets: Vec<Asset> = Vec::with_capacity(refs.len());
    for r in refs {
        if assets.iter().any(|a| a.id == r.id) {
            return Err(RuleViolation::AssetNamedTwice(r.id));
        }
        let asset = view.asset(&r.id).ok_or(RuleViolation::UnknownAsset(r.id))?;
        if asset.head != r.head {
            return Err(RuleViolation::HeadConflict {
                asset: r.id,
                named: r.head,
                current: asset.head,
            });
        }
        assets.push(asset);
    }
    Ok(assets)
}

/// Invariant 4: only an active asset moves, splits, merges, transforms or is pledged.
fn require_active(asset: &Asset) -> Result<(), RuleViolation> {
    match &asset.status {
        Status::Active => Ok(()),
        Status::Pledged { financier } => Err(RuleViolation::Pledged {
            asset: asset.id,
            financier: *financier,
        }),
        other => Err(RuleViolation::NotActive {
            asset: asset.id,
            status: other.to_string(),
        }),
    }
}

fn require_text(value: &str, field: &'static str) -> Result<(), RuleViolation> {
    if value.trim().is_empty() {
        return Err(RuleViolation::Empty(field));
    }
    Ok(())
}
