//! Who owns and who holds: transfer, custody, pledge, release and retirement.

use super::units::follow;
use super::{
    Effects, LedgerView, RuleViolation, Step, at_least, load_current, not_permitted, owned_and_active,
    require_active, require_movable, require_text,
};
use crate::Hash;
use crate::asset::Status;
use crate::party::Role;
use crate::record::{Custody, Pledge, Record, Release, Retire, Transfer};

pub(super) fn transfer(
    view: &impl LedgerView,
    body: &Record,
    act: &Transfer,
    step: Step,
) -> Result<Effects, RuleViolation> {
    let id = step.id;
    at_least(act.assets.len(), 1, "transfer", "asset")?;
    view.party(&act.to).ok_or(RuleViolation::UnknownParty(act.to))?;
    let mut assets = owned_and_active(view, body, &act.assets, "transfer")?;
    for a in &mut assets {
        if a.owner == act.to {
            return Err(RuleViolation::NoChange("the asset already belongs to that party"));
        }
        // Goods the seller held itself pass into the buyer's hands; goods in a warehouse stay
        // there ("stored centrally, traded separately").
        if a.custodian == a.owner {
            a.custodian = act.to;
        }
        a.owner = act.to;
        a.head = id;
    }
    let units = follow(view, &assets, step, |h, u| {
        u.owner = h.owner;
        u.custodian = h.custodian;
    })?;
    assets.extend(units);
    Ok(Effects { assets, ..Effects::default() })
}

pub(super) fn custody(
    view: &impl LedgerView,
    body: &Record,
    act: &Custody,
    step: Step,
) -> Result<Effects, RuleViolation> {
    let id = step.id;
    at_least(act.assets.len(), 1, "custody change", "asset")?;
    view.party(&act.to).ok_or(RuleViolation::UnknownParty(act.to))?;
    let mut assets = load_current(view, &act.assets)?;
    for a in &mut assets {
        if a.owner != body.party && a.custodian != body.party {
            return Err(not_permitted(
                body.party,
                "hand over",
                a,
                "it is neither its owner nor its custodian",
            ));
        }
        // Rules version 2: the owner decides where goods go; the holder only gives them back.
        if step.rules.v2() && a.owner != body.party && act.to != a.owner {
            return Err(RuleViolation::CustodyNotOwner { party: body.party });
        }
        require_movable(body.party, "hand over", a)?;
        require_active(a)?;
        if a.custodian == act.to {
            return Err(RuleViolation::NoChange("that party already holds the asset"));
        }
        a.custodian = act.to;
        a.head = id;
    }
    let units = follow(view, &assets, step, |h, u| u.custodian = h.custodian)?;
    assets.extend(units);
    Ok(Effects { assets, ..Effects::default() })
}

pub(super) fn pledge(
    view: &impl LedgerView,
    body: &Record,
    act: &Pledge,
    id: Hash,
) -> Result<Effects, RuleViolation> {
    let mut asset = owned_and_active(view, body, &[act.asset], "pledge")?.remove(0);
    let financier = view.party(&act.financier).ok_or(RuleViolation::UnknownParty(act.financier))?;
    if !financier.has_role(Role::Financier) {
        return Err(RuleViolation::MissingRole { party: act.financier, role: Role::Financier });
    }
    if act.financier == asset.owner {
        return Err(RuleViolation::NoChange("an owner cannot take its own asset as collateral"));
    }
    asset.status = Status::Pledged { financier: act.financier };
    asset.head = id;
    Ok(Effects { assets: vec![asset], ..Effects::default() })
}

pub(super) fn release(
    view: &impl LedgerView,
    body: &Record,
    act: &Release,
    id: Hash,
) -> Result<Effects, RuleViolation> {
    let mut asset = load_current(view, &[act.asset])?.remove(0);
    match asset.status {
        Status::Pledged { financier } if financier == body.party => {}
        Status::Pledged { .. } => {
            return Err(not_permitted(
                body.party,
                "release",
                &asset,
                "only the financier holding the pledge may release it",
            ));
        }
        Status::Active => return Err(RuleViolation::NotPledged(asset.id)),
        _ => {
            return Err(RuleViolation::NotActive { asset: asset.id, status: asset.status.to_string() });
        }
    }
    asset.status = Status::Active;
    asset.head = id;
    Ok(Effects { assets: vec![asset], ..Effects::default() })
}

pub(super) fn retire(
    view: &impl LedgerView,
    body: &Record,
    act: &Retire,
    step: Step,
) -> Result<Effects, RuleViolation> {
    let id = step.id;
    require_text(&act.reason, "reason")?;
    let mut asset = owned_and_active(view, body, &[act.asset], "retire")?.remove(0);
    asset.status = Status::Retired { reason: act.reason.clone() };
    asset.head = id;
    let mut assets = follow(view, std::slice::from_ref(&asset), step, |_, u| {
        u.status = Status::Retired { reason: act.reason.clone() }
    })?;
    assets.insert(0, asset);
    Ok(Effects { assets, ..Effects::default() })
}
