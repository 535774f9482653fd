//! Splitting a lot into parts and merging compatible lots: quantity is conserved exactly.

use std::collections::{HashMap, HashSet};

use super::outputs::create_outputs;
use super::units::{follow, units_of};
use super::{
    Effects, LedgerView, MAX_OUTPUTS, RuleViolation, Step, at_least, at_most, consume, owned_and_active,
};
use crate::asset::{Asset, AssetId, Quantity, QuantityError, Status, UnitRange};
use crate::canonical::MAX_SAFE_INTEGER;
use crate::record::{Merge, NewAsset, Record, Split};

pub(super) fn split(
    view: &impl LedgerView,
    body: &Record,
    act: &Split,
    step: Step,
) -> Result<Effects, RuleViolation> {
    let mut parent = owned_and_active(view, body, &[act.asset], "split")?.remove(0);
    if parent.product.is_single_unit() {
        return Err(RuleViolation::SingleUnit { kind: parent.product.kind() });
    }
    at_least(act.parts.len(), 2, "split", "parts")?;
    at_most(act.parts.len(), MAX_OUTPUTS, "parts")?;
    let unit = parent.quantity.unit();
    let mut total: u64 = 0;
    let mut outputs = Vec::with_capacity(act.parts.len());
    for part in &act.parts {
        total = total.saturating_add(part.amount);
        outputs.push(NewAsset {
            product: parent.product.clone(),
            quantity: Quantity::new(part.amount, unit)?,
            gs1: part.gs1.clone(),
            part_of: None,
            units: None,
        });
    }
    if !step.rules.v2() && act.parts.iter().any(|p| !p.units.is_empty()) {
        return Err(RuleViolation::NotUnderRules { act: "split naming units", rules: step.rules });
    }
    let expected = parent.quantity.amount();
    if total != expected {
        return Err(RuleViolation::QuantityNotConserved { asset: parent.id, expected, found: total });
    }
    let mut effects = create_outputs(view, &outputs, &[parent.id], parent.owner, parent.custodian, step)?;
    if step.rules.v2() {
        let units = split_units(view, &parent, act, &mut effects.assets[..act.parts.len()], step)?;
        effects.assets.extend(units);
    }
    parent.status = Status::Consumed;
    parent.head = step.id;
    effects.assets.push(parent);
    Ok(effects)
}

pub(super) fn merge(
    view: &impl LedgerView,
    body: &Record,
    act: &Merge,
    step: Step,
) -> Result<Effects, RuleViolation> {
    at_least(act.assets.len(), 2, "merge", "lots")?;
    let mut inputs = owned_and_active(view, body, &act.assets, "merge")?;
    let first = &inputs[0];
    if first.product.is_single_unit() {
        return Err(RuleViolation::SingleUnit { kind: first.product.kind() });
    }
    let mut total: u64 = 0;
    for other in &inputs {
        let why = if other.product != first.product {
            Some("they are different products (kind, origin or specification)")
        } else if other.quantity.unit() != first.quantity.unit() {
            Some("they are counted in different units")
        } else if other.custodian != first.custodian {
            Some("they are held by different custodians")
        } else {
            None
        };
        if let Some(why) = why {
            return Err(RuleViolation::Incompatible { first: first.id, other: other.id, why });
        }
        total = total.saturating_add(other.quantity.amount());
    }
    if total > MAX_SAFE_INTEGER {
        return Err(QuantityError::TooLarge(total).into());
    }
    let output = NewAsset {
        product: first.product.clone(),
        quantity: Quantity::new(total, first.quantity.unit())?,
        gs1: act.gs1.clone(),
        part_of: None,
        units: None,
    };
    let parents: Vec<AssetId> = inputs.iter().map(|a| a.id).collect();
    let (owner, custodian) = (first.owner, first.custodian);
    let mut effects = create_outputs(view, &[output], &parents, owner, custodian, step)?;
    if step.rules.v2() {
        // The merged lot holds every unit its inputs held.
        let merged = effects.assets[0].id;
        effects.assets[0].contents = inputs.iter().flat_map(|i| i.contents.iter().copied()).collect();
        let units = follow(view, &inputs, step, |_, u| u.status = Status::Contained { holder: merged })?;
        effects.assets.extend(units);
    }
    consume(&mut inputs, step.id);
    effects.assets.extend(inputs);
    Ok(effects)
}

/// The units of a lot that is split go to the parts that name them: every unit to exactly one
/// part, each part naming units that add up to its amount. A lot without units takes no names.
fn split_units(
    view: &impl LedgerView,
    parent: &Asset,
    act: &Split,
    parts: &mut [Asset],
    step: Step,
) -> Result<Vec<Asset>, RuleViolation> {
    let named = act.parts.iter().any(|p| !p.units.is_empty());
    if parent.contents.is_empty() {
        return match named {
            true => Err(RuleViolation::BadUnits {
                holder: parent.id,
                why: "it holds no units to hand to its parts",
            }),
            false => Ok(Vec::new()),
        };
    }
    let units = units_of(view, parent)?;
    let quantity: HashMap<AssetId, u64> = units.iter().map(|u| (u.id, u.quantity.amount())).collect();
    let mut holder_of: HashMap<AssetId, AssetId> = HashMap::new();
    let mut assigned: HashSet<AssetId> = HashSet::new();
    for (part, asset) in act.parts.iter().zip(parts.iter_mut()) {
        let mut total: u64 = 0;
        for id in part.units.iter().flat_map(UnitRange::ids) {
            let q = quantity.get(&id).ok_or(RuleViolation::BadUnits {
                holder: parent.id,
                why: "a part names a unit the lot does not hold",
            })?;
            if !assigned.insert(id) {
                return Err(RuleViolation::BadUnits {
                    holder: parent.id,
                    why: "a unit is named by two parts",
                });
            }
            holder_of.insert(id, asset.id);
            total = total.saturating_add(*q);
        }
        if total != part.amount {
            return Err(RuleViolation::BadUnits {
                holder: parent.id,
                why: "the units a part names do not add up to its amount",
            });
        }
        asset.contents = part.units.clone();
    }
    if assigned.len() != units.len() {
        return Err(RuleViolation::BadUnits {
            holder: parent.id,
            why: "every unit of the lot must go to one of its parts (name them by serial or by count)",
        });
    }
    follow(view, std::slice::from_ref(parent), step, |_, u| {
        if let Some(h) = holder_of.get(&u.id) {
            u.status = Status::Contained { holder: *h };
        }
    })
}
