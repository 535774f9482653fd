//! Rules for acts on assets: commissioning, events, ownership and custody, split, merge,
//! transform, pledge, release and retirement.

use std::collections::BTreeSet;

use super::{Effects, LedgerView, RuleViolation, load_current, require_active, require_text};
use crate::Hash;
use crate::asset::{Asset, AssetId, Product, Quantity, Status, identity_keys};
use crate::canonical::MAX_SAFE_INTEGER;
use crate::party::{PartyId, Role};
use crate::record::{
    Commission, Custody, Event, Merge, NewAsset, Observe, Pledge, Record, Release, Retire, Split,
    Transfer, Transform,
};

pub(super) fn commission(
    view: &impl LedgerView,
    body: &Record,
    act: &Commission,
    id: Hash,
) -> Result<Effects, RuleViolation> {
    let assets = create_outputs(view, &act.assets, &[], body.party, body.party, id)?;
    Ok(Effects {
        assets,
        ..Effects::default()
    })
}

pub(super) fn observe(
    view: &impl LedgerView,
    body: &Record,
    act: &Observe,
    id: Hash,
) -> Result<Effects, RuleViolation> {
    at_least(act.assets.len(), 1, "observe", "asset")?;
    let party = view
        .party(&body.party)
        .ok_or(RuleViolation::UnknownParty(body.party))?;
    let attests = [Role::Veterinarian, Role::Inspector, Role::Regulator]
        .iter()
        .any(|r| party.has_role(*r));
    check_event(&act.event)?;
    let mut assets = load_current(view, &act.assets)?;
    for a in &assets {
        if let Status::Consumed | Status::Retired { .. } = a.status {
            return Err(RuleViolation::NotActive {
                asset: a.id,
                status: a.status.to_string(),
            });
        }
        if a.owner != body.party && a.custodian != body.party && !attests {
            return Err(not_permitted(
                body.party,
                "record events about",
                a,
                "it is neither its owner nor its custodian",
            ));
        }
        if let Event::Vaccination { .. } = act.event
            && !matches!(a.product, Product::LiveCattle(_))
        {
            return Err(RuleViolation::WrongKindForEvent {
                event: "vaccination",
                kind: a.product.kind(),
            });
        }
    }
    for a in &mut assets {
        a.head = id;
    }
    Ok(Effects {
        assets,
        ..Effects::default()
    })
}

pub(super) fn transfer(
    view: &impl LedgerView,
    body: &Record,
    act: &Transfer,
    id: Hash,
) -> Result<Effects, RuleViolation> {
    at_least(act.assets.len(), 1, "transfer", "asset")?;
    view.party(&act.to)
        .ok_or(RuleViolation::UnknownParty(act.to))?;
    let mut assets = owned_and_active(view, body, &act.assets, "transfer")?;
    for a in &mut assets {
        if a.owner == act.to {
            return Err(RuleViolation::NoChange(
                "the asset already belongs to that party",
            ));
        }
        // Goods the seller held itself pass into the buyer's hands; goods in a warehouse stay
        // there ("stored centrally, traded separately").
        if a.custodian == a.owner {
            a.custodian = act.to;
        }
        a.owner = act.to;
        a.head = id;
    }
    Ok(Effects {
        assets,
        ..Effects::default()
    })
}

pub(super) fn custody(
    view: &impl LedgerView,
    body: &Record,
    act: &Custody,
    id: Hash,
) -> Result<Effects, RuleViolation> {
    at_least(act.assets.len(), 1, "custody change", "asset")?;
    view.party(&act.to)
        .ok_or(RuleViolation::UnknownParty(act.to))?;
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
        require_active(a)?;
        if a.custodian == act.to {
            return Err(RuleViolation::NoChange(
                "that party already holds the asset",
            ));
        }
        a.custodian = act.to;
        a.head = id;
    }
    Ok(Effects {
        assets,
        ..Effects::default()
    })
}

pub(super) fn split(
    view: &impl LedgerView,
    body: &Record,
    act: &Split,
    id: Hash,
) -> Result<Effects, RuleViolation> {
    let mut parent = owned_and_active(view, body, &[act.asset], "split")?.remove(0);
    if parent.product.is_single_unit() {
        return Err(RuleViolation::SingleUnit {
            kind: parent.product.kind(),
        });
    }
    at_least(act.parts.len(), 2, "split", "parts")?;
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
        });
    }
    let expected = parent.quantity.amount();
    if total != expected {
        return Err(RuleViolation::QuantityNotConserved {
            asset: parent.id,
            expected,
            found: total,
        });
    }
    let mut assets = create_outputs(
        view,
        &outputs,
        &[parent.id],
        parent.owner,
        parent.custodian,
        id,
    )?;
    parent.status = Status::Consumed;
    parent.head = id;
    assets.push(parent);
    Ok(Effects {
        assets,
        ..Effects::default()
    })
}

pub(super) fn merge(
    view: &impl LedgerView,
    body: &Record,
    act: &Merge,
    id: Hash,
) -> Result<Effects, RuleViolation> {
    at_least(act.assets.len(), 2, "merge", "lots")?;
    let mut inputs = owned_and_active(view, body, &act.assets, "merge")?;
    let first = &inputs[0];
    if first.product.is_single_unit() {
        return Err(RuleViolation::SingleUnit {
            kind: first.product.kind(),
        });
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
            return Err(RuleViolation::Incompatible {
                first: first.id,
                other: other.id,
                why,
            });
        }
        total = total.saturating_add(other.quantity.amount());
    }
    if total > MAX_SAFE_INTEGER {
        return Err(crate::asset::QuantityError::TooLarge(total).into());
    }
    let output = NewAsset {
        product: first.product.clone(),
        quantity: Quantity::new(total, first.quantity.unit())?,
        gs1: act.gs1.clone(),
        part_of: None,
    };
    let parents: Vec<AssetId> = inputs.iter().map(|a| a.id).collect();
    let (owner, custodian) = (first.owner, first.custodian);
    let mut assets = create_outputs(view, &[output], &parents, owner, custodian, id)?;
    consume(&mut inputs, id);
    assets.extend(inputs);
    Ok(Effects {
        assets,
        ..Effects::default()
    })
}

pub(super) fn transform(
    view: &impl LedgerView,
    body: &Record,
    act: &Transform,
    id: Hash,
) -> Result<Effects, RuleViolation> {
    require_text(&act.process, "process")?;
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
    let custodian = inputs[0].custodian;
    let custodian = if inputs.iter().all(|a| a.custodian == custodian) {
        custodian
    } else {
        body.party
    };
    let parents: Vec<AssetId> = inputs.iter().map(|a| a.id).collect();
    let mut assets = create_outputs(view, &act.outputs, &parents, body.party, custodian, id)?;
    consume(&mut inputs, id);
    assets.extend(inputs);
    Ok(Effects {
        assets,
        ..Effects::default()
    })
}

pub(super) fn pledge(
    view: &impl LedgerView,
    body: &Record,
    act: &Pledge,
    id: Hash,
) -> Result<Effects, RuleViolation> {
    let mut asset = owned_and_active(view, body, &[act.asset], "pledge")?.remove(0);
    let financier = view
        .party(&act.financier)
        .ok_or(RuleViolation::UnknownParty(act.financier))?;
    if !financier.has_role(Role::Financier) {
        return Err(RuleViolation::MissingRole {
            party: act.financier,
            role: Role::Financier,
        });
    }
    if act.financier == asset.owner {
        return Err(RuleViolation::NoChange(
            "an owner cannot take its own asset as collateral",
        ));
    }
    asset.status = Status::Pledged {
        financier: act.financier,
    };
    asset.head = id;
    Ok(Effects {
        assets: vec![asset],
        ..Effects::default()
    })
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
        _ => return Err(RuleViolation::NotPledged(asset.id)),
    }
    asset.status = Status::Active;
    asset.head = id;
    Ok(Effects {
        assets: vec![asset],
        ..Effects::default()
    })
}

pub(super) fn retire(
    view: &impl LedgerView,
    body: &Record,
    act: &Retire,
    id: Hash,
) -> Result<Effects, RuleViolation> {
    require_text(&act.reason, "reason")?;
    let mut asset = owned_and_active(view, body, &[act.asset], "retire")?.remove(0);
    asset.status = Status::Retired {
        reason: act.reason.clone(),
    };
    asset.head = id;
    Ok(Effects {
        assets: vec![asset],
        ..Effects::default()
    })
}

/// Loads the named assets at their current heads and checks that `body.party` owns each and
/// that each is active.
fn owned_and_active(
    view: &impl LedgerView,
    body: &Record,
    refs: &[crate::asset::AssetRef],
    act: &'static str,
) -> Result<Vec<Asset>, RuleViolation> {
    let assets = load_current(view, refs)?;
    for a in &assets {
        if a.owner != body.party {
            return Err(not_permitted(body.party, act, a, "only its owner may"));
        }
        require_active(a)?;
    }
    Ok(assets)
}

/// Builds the new tokens of a record, output `n` getting id `derive(record, n)`.
fn create_outputs(
    view: &impl LedgerView,
    outputs: &[NewAsset],
    parents: &[AssetId],
    owner: PartyId,
    custodian: PartyId,
    id: Hash,
) -> Result<Vec<Asset>, RuleViolation> {
    at_least(outputs.len(), 1, "record creating assets", "asset")?;
    let ids: Vec<AssetId> = (0..outputs.len())
        .map(|n| AssetId::derive(&id, u32::try_from(n).unwrap_or(u32::MAX)))
        .collect();
    let mut claimed = BTreeSet::new();
    let mut assets = Vec::with_capacity(outputs.len());
    for (n, out) in outputs.iter().enumerate() {
        check_new_asset(out)?;
        for key in identity_keys(&out.product, out.gs1.as_ref()) {
            if view.holder_of(&key).is_some() || !claimed.insert(key.clone()) {
                return Err(RuleViolation::IdentityTaken { key });
            }
        }
        let parents = match out.part_of {
            Some(holder) => vec![ids[check_part_of(outputs, n, holder)?]],
            None => parents.to_vec(),
        };
        assets.push(Asset {
            id: ids[n],
            product: out.product.clone(),
            quantity: out.quantity,
            gs1: out.gs1.clone(),
            owner,
            custodian,
            status: Status::Active,
            parents,
            created_by: id,
            head: id,
        });
    }
    check_holders_add_up(outputs, &ids)?;
    Ok(assets)
}

fn check_new_asset(out: &NewAsset) -> Result<(), RuleViolation> {
    let kind = out.product.kind();
    if let Some(expected) = out.product.unit()
        && expected != out.quantity.unit()
    {
        return Err(RuleViolation::UnitMismatch {
            kind,
            expected,
            found: out.quantity.unit(),
        });
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
        Product::TeaLot(t) => require_text(&t.origin.garden, "garden"),
        Product::Generic(g) => require_text(&g.name, "name"),
        Product::Carcass(_) => Ok(()),
    }
}

/// An output that is part of another (a cake in its lot) points at an earlier output of the
/// same record that counts in the same unit; returns the holder's position.
fn check_part_of(outputs: &[NewAsset], n: usize, holder: u32) -> Result<usize, RuleViolation> {
    let h = usize::try_from(holder).unwrap_or(usize::MAX);
    let why = match outputs.get(h) {
        _ if h >= n => Some("is not an earlier output of this record"),
        Some(o) if o.part_of.is_some() => Some("is itself part of another output"),
        Some(o) if o.quantity.unit() != outputs[n].quantity.unit() => {
            Some("counts in another unit")
        }
        Some(_) => None,
        None => Some("does not exist"),
    };
    match why {
        Some(why) => Err(RuleViolation::BadPartOf {
            index: n,
            holder,
            why,
        }),
        None => Ok(h),
    }
}

/// A holder's quantity is exactly the sum of its parts: a lot of 50 cakes holds 50 cake tokens.
fn check_holders_add_up(outputs: &[NewAsset], ids: &[AssetId]) -> Result<(), RuleViolation> {
    for (h, holder) in outputs.iter().enumerate() {
        let parts: Vec<&NewAsset> = outputs
            .iter()
            .filter(|o| o.part_of.and_then(|p| usize::try_from(p).ok()) == Some(h))
            .collect();
        if parts.is_empty() {
            continue;
        }
        let found = parts
            .iter()
            .fold(0u64, |t, p| t.saturating_add(p.quantity.amount()));
        let expected = holder.quantity.amount();
        if found != expected {
            return Err(RuleViolation::QuantityNotConserved {
                asset: ids[h],
                expected,
                found,
            });
        }
    }
    Ok(())
}

fn check_event(event: &Event) -> Result<(), RuleViolation> {
    match event {
        Event::Vaccination { vaccine, .. } => require_text(vaccine, "vaccine"),
        Event::Weighing { mass_g } | Event::Picking { mass_g, .. } if *mass_g == 0 => {
            Err(RuleViolation::Empty("massG"))
        }
        Event::Weighing { .. } => Ok(()),
        Event::Picking { garden, .. } => require_text(garden, "garden"),
        Event::Movement { from, to } => {
            require_text(from, "from")?;
            require_text(to, "to")
        }
        Event::Pressing { press } => require_text(press, "press"),
        Event::Storage { location } => require_text(location, "location"),
        Event::LabCertificate {
            laboratory,
            certificate,
            result,
        } => {
            require_text(laboratory, "laboratory")?;
            require_text(certificate, "certificate")?;
            require_text(result, "result")
        }
        Event::Note { text } => require_text(text, "text"),
    }
}

fn consume(inputs: &mut [Asset], id: Hash) {
    for a in inputs {
        a.status = Status::Consumed;
        a.head = id;
    }
}

fn at_least(
    found: usize,
    needed: usize,
    act: &'static str,
    what: &'static str,
) -> Result<(), RuleViolation> {
    if found < needed {
        return Err(RuleViolation::TooFew { act, needed, what });
    }
    Ok(())
}

fn not_permitted(
    party: PartyId,
    act: &'static str,
    asset: &Asset,
    why: &'static str,
) -> RuleViolation {
    RuleViolation::NotPermitted {
        party,
        act,
        asset: asset.id,
        why,
    }
}
