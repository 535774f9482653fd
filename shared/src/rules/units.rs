//! Units in a holder follow it (rules version 2): cakes packed in their lot change owner and
//! holder with it, are retired or consumed with it, move to the parts a split names for them
//! or to the lot a merge makes, and only the owner of the holder takes one out (`unpack`).
//! While packed, a unit cannot move on its own, and its holder's pledge binds it.

use std::collections::HashSet;

use super::{
    Effects, LedgerView, MAX_OUTPUTS, MAX_REFS, RuleViolation, Step, at_least, load_current, not_permitted,
    require_active,
};
use crate::asset::{Asset, AssetId, Quantity, Status, UnitRange, unit_ranges};
use crate::record::{Act, Record, Unpack};

/// The units packed in `holder`, as stored: each must name it as its holder.
pub(super) fn units_of(view: &impl LedgerView, holder: &Asset) -> Result<Vec<Asset>, RuleViolation> {
    let count: u64 = holder.contents.iter().map(|r| u64::from(r.count)).sum();
    if count > MAX_OUTPUTS as u64 {
        return Err(RuleViolation::TooMany {
            what: "units moved by one record",
            limit: MAX_OUTPUTS,
            found: count as usize,
        });
    }
    let mut units = Vec::with_capacity(count as usize);
    for id in holder.contents.iter().flat_map(UnitRange::ids) {
        let unit = view.asset(&id).ok_or(RuleViolation::UnknownAsset(id))?;
        if unit.status != (Status::Contained { holder: holder.id }) {
            return Err(RuleViolation::BadUnits {
                holder: holder.id,
                why: "a unit it lists is not packed in it",
            });
        }
        units.push(unit);
    }
    Ok(units)
}

/// The units of every holder in `holders`, changed by `change` and moved to head `step.id`.
pub(super) fn follow(
    view: &impl LedgerView,
    holders: &[Asset],
    step: Step,
    change: impl Fn(&Asset, &mut Asset),
) -> Result<Vec<Asset>, RuleViolation> {
    if !step.rules.v2() {
        return Ok(Vec::new());
    }
    let mut out = Vec::new();
    for holder in holders.iter().filter(|h| !h.contents.is_empty()) {
        for mut unit in units_of(view, holder)? {
            change(holder, &mut unit);
            unit.head = step.id;
            out.push(unit);
        }
        if out.len() > MAX_OUTPUTS {
            return Err(RuleViolation::TooMany {
                what: "units moved by one record",
                limit: MAX_OUTPUTS,
                found: out.len(),
            });
        }
    }
    Ok(out)
}

/// What the rules read beyond [`super::needs`]: the units packed in the holders a record
/// moves, which only the holders' state names. A store loads `needs`, then these.
pub fn unit_needs(record: &Record, view: &impl LedgerView) -> Vec<AssetId> {
    let holders: Vec<AssetId> = match &record.act {
        Act::Transfer(_)
        | Act::Custody(_)
        | Act::Retire(_)
        | Act::Merge(_)
        | Act::Transform(_)
        | Act::Split(_)
        | Act::Unpack(_) => record.act.touches().iter().map(|r| r.id).collect(),
        _ => Vec::new(),
    };
    let mut ids = Vec::new();
    for holder in holders.iter().filter_map(|h| view.asset(h)) {
        let count: u64 = holder.contents.iter().map(|r| u64::from(r.count)).sum();
        if ids.len() as u64 + count > MAX_OUTPUTS as u64 {
            break;
        }
        ids.extend(holder.contents.iter().flat_map(UnitRange::ids));
    }
    ids
}

/// The owner of a holder takes units out of it.
pub(super) fn unpack(
    view: &impl LedgerView,
    body: &Record,
    act: &Unpack,
    step: Step,
) -> Result<Effects, RuleViolation> {
    if !step.rules.v2() {
        return Err(RuleViolation::NotUnderRules { act: "unpack", rules: step.rules });
    }
    at_least(act.units.len(), 1, "unpack", "unit")?;
    if act.units.len() > MAX_REFS {
        return Err(RuleViolation::TooMany { what: "units", limit: MAX_REFS, found: act.units.len() });
    }
    let mut holder = load_current(view, &[act.holder])?.remove(0);
    if holder.owner != body.party {
        return Err(not_permitted(body.party, "unpack", &holder, "only its owner may take units out of it"));
    }
    require_active(&holder)?;
    let mut units = load_current(view, &act.units)?;
    let packed: HashSet<AssetId> = holder.contents.iter().flat_map(UnitRange::ids).collect();
    let mut taken: u64 = 0;
    for unit in &mut units {
        if !packed.contains(&unit.id) || unit.status != (Status::Contained { holder: holder.id }) {
            return Err(RuleViolation::BadUnits { holder: holder.id, why: "it does not hold that unit" });
        }
        taken = taken.saturating_add(unit.quantity.amount());
        unit.status = Status::Active;
        unit.owner = holder.owner;
        unit.custodian = holder.custodian;
        unit.head = step.id;
    }
    let out: HashSet<AssetId> = units.iter().map(|u| u.id).collect();
    let left: Vec<(crate::Hash, u32)> = holder
        .contents
        .iter()
        .flat_map(|r| (r.first..r.first + r.count).map(move |n| (r.record, n)))
        .filter(|(record, n)| !out.contains(&AssetId::derive(record, *n)))
        .collect();
    holder.contents = unit_ranges(left);
    match holder.quantity.amount().checked_sub(taken) {
        Some(0) => holder.status = Status::Consumed,
        Some(rest) => holder.quantity = Quantity::new(rest, holder.quantity.unit())?,
        None => {
            return Err(RuleViolation::QuantityNotConserved {
                asset: holder.id,
                expected: holder.quantity.amount(),
                found: taken,
            });
        }
    }
    holder.head = step.id;
    units.push(holder);
    Ok(Effects { assets: units, ..Effects::default() })
}
