//! Transformations: inputs consumed by a process that makes new outputs (slaughter, cutting,
//! pressing, packing). A process may turn one kind into another but never makes goods from
//! nothing: repacking cakes keeps their count, and weighed outputs never outweigh the inputs.

use super::issuance::{charge, new_tea};
use super::outputs::create_outputs;
use super::{
    Effects, LedgerView, RuleViolation, Step, at_least, consume, owned_and_active, require_text, roles,
};
use crate::asset::{Asset, AssetId, Product, Quantity, Unit};
use crate::record::{NewAsset, Record, Transform};

/// The most a live animal can yield, in grams: an upper bound that no carcass may exceed.
pub const MAX_LIVE_WEIGHT_G: u64 = 1_500_000;

pub(super) fn transform(
    view: &impl LedgerView,
    body: &Record,
    act: &Transform,
    step: Step,
) -> Result<Effects, RuleViolation> {
    require_text(&act.process, "process")?;
    if step.rules.v2() {
        let party = view.party(&body.party).ok_or(RuleViolation::UnknownParty(body.party))?;
        roles::transform(&party)?;
    }
    at_least(act.inputs.len(), 1, "transformation", "input")?;
    at_least(act.outputs.len(), 1, "transformation", "output")?;
    let mut inputs = owned_and_active(view, body, &act.inputs, "transform")?;
    for input in &inputs {
        for output in &act.outputs {
            if !input.product.may_become(&output.product) {
                let (from, to) = (input.product.kind(), output.product.kind());
                return Err(RuleViolation::TransformNotAllowed { from, to });
            }
        }
    }
    let ins: Vec<(&Product, Quantity)> = inputs.iter().map(|a| (&a.product, a.quantity)).collect();
    // Cakes packed in a lot of the same record are counted once, through the lot.
    let outs: Vec<(&Product, Quantity)> =
        act.outputs.iter().filter(|o| o.part_of.is_none()).map(|o| (&o.product, o.quantity)).collect();
    if step.rules.v2() {
        check_mass_conserved(&inputs, &act.outputs)?;
        same_cakes(&ins, &outs)?;
    } else {
        check_nothing_created(&ins, &outs)?;
    }
    let custodian = inputs[0].custodian;
    let custodian = if inputs.iter().all(|a| a.custodian == custodian) { custodian } else { body.party };
    let parents: Vec<AssetId> = inputs.iter().map(|a| a.id).collect();
    let mut effects = create_outputs(view, &act.outputs, &parents, body.party, custodian, step)?;
    let teas = new_tea(&act.outputs, &inputs, step.rules);
    effects.assets.extend(charge(view, body.party, &act.allowances, &teas, step)?);
    let units = super::units::follow(view, &inputs, step, |_, u| u.status = crate::asset::Status::Consumed)?;
    consume(&mut inputs, step.id);
    effects.assets.extend(inputs);
    effects.assets.extend(units);
    Ok(effects)
}

/// The grams an asset stands for under rules version 2, only from what signed records state:
/// its quantity in grams, its cakes by their stated weight, or its last weighing for goods
/// counted in head or pieces.
pub(super) fn stated_grams(asset: &Asset) -> Option<u64> {
    match (&asset.product, asset.quantity.unit()) {
        (_, Unit::Gram) => Some(asset.quantity.amount()),
        (Product::TeaCake(_) | Product::TeaLot(_), _) => grams(&asset.product, asset.quantity),
        (Product::LiveCattle(_), _) => asset.weighed_g.map(|g| g.min(MAX_LIVE_WEIGHT_G)),
        _ => asset.weighed_g,
    }
}

/// Rules version 2: the outputs weigh no more than the inputs, every weight coming from the
/// signed records. What has no stated mass is refused.
fn check_mass_conserved(inputs: &[Asset], outputs: &[NewAsset]) -> Result<(), RuleViolation> {
    let mut input: u64 = 0;
    for a in inputs {
        let g = stated_grams(a).ok_or_else(|| RuleViolation::MassUnknown {
            what: format!("input {} ({}, {})", a.id, a.product.kind(), a.quantity),
        })?;
        input = input.saturating_add(g);
    }
    let mut output: u64 = 0;
    // Cakes packed in a lot of the same record weigh in through the lot.
    for (n, o) in outputs.iter().enumerate().filter(|(_, o)| o.part_of.is_none()) {
        let stated = match (&o.product, o.quantity.unit()) {
            (_, Unit::Gram) | (Product::TeaCake(_) | Product::TeaLot(_), _) => grams(&o.product, o.quantity),
            _ => None,
        };
        let g = stated.ok_or_else(|| RuleViolation::MassUnknown {
            what: format!("output {n} ({}, {})", o.product.kind(), o.quantity),
        })?;
        output = output.saturating_add(g);
    }
    if output > input {
        return Err(RuleViolation::TransformCreates { what: "weight (grams)", input, output });
    }
    Ok(())
}

/// The sum of `f` over `items`; `None` if `f` gives nothing for one of them.
fn total(items: &[(&Product, Quantity)], f: fn(&Product, Quantity) -> Option<u64>) -> Option<u64> {
    items.iter().map(|(p, q)| f(p, *q)).try_fold(0u64, |t, v| v.map(|v| t.saturating_add(v)))
}

/// Repacking cakes (cakes ↔ lots) keeps their count. Whether every item was cakes, so that this
/// check is the one that applies.
fn same_cakes(ins: &[(&Product, Quantity)], outs: &[(&Product, Quantity)]) -> Result<bool, RuleViolation> {
    match (total(ins, pieces), total(outs, pieces)) {
        (Some(input), Some(output)) if input != output => {
            Err(RuleViolation::TransformCreates { what: "cakes", input, output })
        }
        (Some(_), Some(_)) => Ok(true),
        _ => Ok(false),
    }
}

/// Cakes and lots of cakes, counted in pieces.
fn pieces(product: &Product, q: Quantity) -> Option<u64> {
    matches!(product, Product::TeaCake(_) | Product::TeaLot(_)).then_some(q.amount())
}

/// The grams a quantity stands for, where its kind says: weighed goods, cakes by their weight,
/// live animals by the upper bound. `None` for counted generic goods.
pub(super) fn grams(product: &Product, q: Quantity) -> Option<u64> {
    let per_unit = match (product, q.unit()) {
        (_, Unit::Gram) => 1,
        (Product::TeaCake(c), _) => u64::from(c.weight_g),
        (Product::TeaLot(l), _) => u64::from(l.cake_weight_g),
        (Product::LiveCattle(_), _) => MAX_LIVE_WEIGHT_G,
        _ => return None,
    };
    Some(q.amount().saturating_mul(per_unit))
}

fn check_nothing_created(
    ins: &[(&Product, Quantity)],
    outs: &[(&Product, Quantity)],
) -> Result<(), RuleViolation> {
    if same_cakes(ins, outs)? {
        return Ok(());
    }
    // Otherwise weight: what comes out never outweighs what went in. Counted generic outputs
    // (a hide, a set of horns) carry no weight and are not counted.
    let input = total(ins, grams);
    let output: u64 = outs.iter().filter_map(|(p, q)| grams(p, *q)).fold(0, u64::saturating_add);
    match input {
        Some(input) if output > input => {
            Err(RuleViolation::TransformCreates { what: "weight (grams)", input, output })
        }
        _ => Ok(()),
    }
}
