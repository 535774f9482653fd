//! Splitting a lot into parts and merging compatible lots: quantity is conserved exactly.

use super::outputs::create_outputs;
use super::{
    Effects, LedgerView, MAX_OUTPUTS, RuleViolation, Step, at_least, at_most, consume, owned_and_active,
};
use crate::asset::{AssetId, Quantity, QuantityError, Status};
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
    let expected = parent.quantity.amount();
    if total != expected {
        return Err(RuleViolation::QuantityNotConserved { asset: parent.id, expected, found: total });
    }
    let mut effects = create_outputs(view, &outputs, &[parent.id], parent.owner, parent.custodian, step)?;
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
    consume(&mut inputs, step.id);
    effects.assets.extend(inputs);
    Ok(effects)
}
