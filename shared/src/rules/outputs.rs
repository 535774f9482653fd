//! New tokens: commissioning, and the outputs every creating act shares (ids, units, unique
//! identity keys, tokens packed inside others).

use std::borrow::Cow;
use std::collections::{BTreeMap, BTreeSet, HashMap};

use super::issuance::{charge, check_new_cap, new_tea};
use super::{
    Effects, LedgerView, MAX_OUTPUTS, RuleViolation, Step, at_least, at_most, require_name, require_text,
    roles,
};
use crate::Hash;
use crate::asset::{Asset, AssetId, Product, Quantity, Status, TeaCake, Unit, identity_keys, unit_ranges};
use crate::gs1::DigitalLink;
use crate::party::PartyId;
use crate::record::{Commission, NewAsset, Record};

pub(super) fn commission(
    view: &impl LedgerView,
    body: &Record,
    act: &Commission,
    step: Step,
) -> Result<Effects, RuleViolation> {
    // A cap registered with tea of its own garden would not count that tea: caps come alone.
    if act.assets.iter().any(|a| a.product.stays_put()) && !act.assets.iter().all(|a| a.product.stays_put()) {
        return Err(RuleViolation::BadGardenCap("a record registering caps registers nothing else"));
    }
    if step.rules.v2() {
        let party = view.party(&body.party).ok_or(RuleViolation::UnknownParty(body.party))?;
        for a in &act.assets {
            roles::commission(&party, &a.product)?;
        }
    }
    let mut effects = create_outputs(view, &act.assets, &[], body.party, body.party, step)?;
    let teas = new_tea(&act.assets, &[], step.rules);
    effects.assets.extend(charge(view, body.party, &act.allowances, &teas, step)?);
    Ok(effects)
}

/// The ids output `n` of record `id` gets.
pub(super) fn output_ids(id: &Hash, count: usize) -> Vec<AssetId> {
    (0..count).map(|n| AssetId::derive(id, u32::try_from(n).unwrap_or(u32::MAX))).collect()
}

/// Builds the new tokens of a record, output `n` getting id `derive(record, n)`, and the
/// identity keys they claim.
pub(super) fn create_outputs(
    view: &impl LedgerView,
    outputs: &[NewAsset],
    parents: &[AssetId],
    owner: PartyId,
    custodian: PartyId,
    step: Step,
) -> Result<Effects, RuleViolation> {
    let id = step.id;
    at_least(outputs.len(), 1, "record creating assets", "asset")?;
    let expanded = expand(outputs)?;
    let outputs: &[NewAsset] = &expanded;
    at_most(outputs.len(), MAX_OUTPUTS, "new assets")?;
    let ids = output_ids(&id, outputs.len());
    // Ids derive from the record, so an existing one means this record was applied before.
    if let Some(existing) = ids.iter().find(|a| view.asset(a).is_some()) {
        return Err(RuleViolation::OutputExists(*existing));
    }
    let mut claimed = BTreeSet::new();
    let mut effects = Effects { assets: Vec::with_capacity(outputs.len()), ..Effects::default() };
    for (n, out) in outputs.iter().enumerate() {
        check_new_asset(out)?;
        if step.rules.v2() {
            check_names(&out.product)?;
        }
        for key in identity_keys(&out.product, out.gs1.as_ref(), &owner, step.rules) {
            if view.holder_of(&key).is_some() || !claimed.insert(key.clone()) {
                return Err(RuleViolation::IdentityTaken { key });
            }
            effects.identities.push((key, ids[n]));
        }
        let (parents, status) = match out.part_of {
            Some(holder) => {
                let holder = ids[check_part_of(outputs, n, holder)?];
                (vec![holder], Status::Contained { holder })
            }
            None => (parents.to_vec(), Status::Active),
        };
        effects.assets.push(Asset {
            id: ids[n],
            product: out.product.clone(),
            quantity: out.quantity,
            gs1: out.gs1.clone(),
            owner,
            custodian,
            status,
            parents,
            created_by: id,
            head: id,
            head_at: None,
            weighed_g: None,
            contents: Vec::new(),
        });
    }
    check_holders_add_up(outputs, &ids)?;
    if step.rules.v2() {
        // Each holder lists its units, which follow it from then on (positions in order).
        let mut held: BTreeMap<usize, Vec<(Hash, u32)>> = BTreeMap::new();
        for (n, out) in outputs.iter().enumerate() {
            if let (Some(h), Ok(n)) = (out.part_of.and_then(|p| usize::try_from(p).ok()), u32::try_from(n)) {
                held.entry(h).or_default().push((id, n));
            }
        }
        for (h, units) in held {
            effects.assets[h].contents = unit_ranges(units);
        }
    }
    Ok(effects)
}

/// Rules version 2: the names an origin or a cap depends on are names a reader cannot be
/// fooled by (see [`crate::names`]).
fn check_names(product: &Product) -> Result<(), RuleViolation> {
    if let Some(origin) = product.tea_origin() {
        require_name(&origin.garden, "garden")?;
        require_name(&origin.harvest_season, "harvestSeason")?;
        if let Some(mountain) = &origin.mountain {
            require_name(mountain, "mountain")?;
        }
    }
    if let Product::TeaGarden(g) = product {
        require_name(&g.garden, "garden")?;
        require_name(&g.season, "season")?;
    }
    Ok(())
}

/// The outputs with every lot's generated cake tokens appended after the listed outputs, in
/// order: lot by lot, serial 1 first.
pub fn expand(outputs: &[NewAsset]) -> Result<Cow<'_, [NewAsset]>, RuleViolation> {
    if outputs.iter().all(|o| o.units.is_none()) {
        return Ok(Cow::Borrowed(outputs));
    }
    let mut all = outputs.to_vec();
    for (index, lot) in outputs.iter().enumerate() {
        let Some(units) = lot.units else { continue };
        let bad = |why| RuleViolation::BadUnitTokens { index, why };
        let Product::TeaLot(spec) = &lot.product else {
            return Err(bad("only a lot of tea cakes has cake tokens"));
        };
        let link = lot.gs1.as_ref().ok_or(bad("the lot needs a GS1 key with a lot number"))?;
        let lot_number = link
            .lot()
            .filter(|_| link.serial().is_none())
            .ok_or(bad("the lot's GS1 key needs a lot number and no serial"))?;
        if lot.part_of.is_some() {
            return Err(bad("a lot with cake tokens cannot itself be packed in another output"));
        }
        let digits = usize::from(units.serial_digits);
        let count = lot.quantity.amount();
        if !(1..=20).contains(&digits) || (digits < 20 && count >= 10u64.saturating_pow(digits as u32)) {
            return Err(bad("the serial numbers do not fit in that many digits (1 to 20)"));
        }
        if all.len() as u64 + count > MAX_OUTPUTS as u64 {
            return Err(RuleViolation::TooMany {
                what: "new assets",
                limit: MAX_OUTPUTS,
                found: all.len() + count as usize,
            });
        }
        let cake = Product::TeaCake(TeaCake {
            origin: spec.origin.clone(),
            pressed_on: spec.pressed_on,
            weight_g: spec.cake_weight_g,
        });
        let one = Quantity::new(1, Unit::Piece)?;
        for serial in 1..=count {
            let serial = format!("{serial:0digits$}");
            let gs1 = DigitalLink::new(*link.gtin(), link.cpv(), Some(lot_number), Some(&serial))
                .map_err(|_| bad("the generated serial numbers are not valid GS1 serials"))?;
            let part_of = u32::try_from(index).ok();
            all.push(NewAsset { product: cake.clone(), quantity: one, gs1: Some(gs1), part_of, units: None });
        }
    }
    Ok(Cow::Owned(all))
}

fn check_new_asset(out: &NewAsset) -> Result<(), RuleViolation> {
    let kind = out.product.kind();
    if let Some(expected) = out.product.unit()
        && expected != out.quantity.unit()
    {
        return Err(RuleViolation::UnitMismatch { kind, expected, found: out.quantity.unit() });
    }
    if out.product.is_single_unit() && out.quantity.amount() != 1 {
        return Err(RuleViolation::SingleUnit { kind });
    }
    match &out.product {
        Product::LiveCattle(c) => {
            require_text(&c.breed, "breed")?;
            require_text(&c.holding, "holding")
        }
        Product::BeefCut(c) => require_text(&c.cut, "cut"),
        Product::TeaMaocha(t) => require_text(&t.origin.garden, "garden"),
        Product::TeaCake(t) => {
            require_text(&t.origin.garden, "garden")?;
            if t.weight_g == 0 {
                return Err(RuleViolation::Empty("weightG"));
            }
            Ok(())
        }
        Product::TeaLot(t) => {
            require_text(&t.origin.garden, "garden")?;
            if t.cake_weight_g == 0 {
                return Err(RuleViolation::Empty("cakeWeightG"));
            }
            Ok(())
        }
        Product::TeaGarden(_) => check_new_cap(out),
        Product::Generic(g) => require_text(&g.name, "name"),
        Product::Carcass(_) => Ok(()),
    }
}

/// An output that is part of another (a cake in its lot) points at an earlier output of the
/// same record that counts in the same unit and is not itself packed; returns its position.
fn check_part_of(outputs: &[NewAsset], n: usize, holder: u32) -> Result<usize, RuleViolation> {
    let h = usize::try_from(holder).unwrap_or(usize::MAX);
    let why = match outputs.get(h) {
        _ if h >= n => Some("is not an earlier output of this record"),
        Some(o) if o.part_of.is_some() => Some("is itself part of another output"),
        Some(o) if o.quantity.unit() != outputs[n].quantity.unit() => Some("counts in another unit"),
        Some(_) => None,
        None => Some("does not exist"),
    };
    match why {
        Some(why) => Err(RuleViolation::BadPartOf { index: n, holder, why }),
        None => Ok(h),
    }
}

/// A holder's quantity is exactly the sum of its parts: a lot of 50 cakes holds 50 cake tokens.
fn check_holders_add_up(outputs: &[NewAsset], ids: &[AssetId]) -> Result<(), RuleViolation> {
    let mut held: HashMap<usize, u64> = HashMap::new();
    for out in outputs {
        if let Some(h) = out.part_of.and_then(|p| usize::try_from(p).ok()) {
            let total = held.entry(h).or_default();
            *total = total.saturating_add(out.quantity.amount());
        }
    }
    for (h, found) in held {
        let expected = outputs[h].quantity.amount();
        if found != expected {
            return Err(RuleViolation::QuantityNotConserved { asset: ids[h], expected, found });
        }
    }
    Ok(())
}
