//! Observations: events recorded about assets, each by the party entitled to state it.

use super::transform::MAX_LIVE_WEIGHT_G;
use super::{Effects, LedgerView, RuleViolation, Step, at_least, load_current, require_text};
use crate::asset::{Asset, Product, Status, Unit};
use crate::party::{Party, Role};
use crate::record::{Event, Observe, Record};

pub(super) fn observe(
    view: &impl LedgerView,
    body: &Record,
    act: &Observe,
    step: Step,
) -> Result<Effects, RuleViolation> {
    at_least(act.assets.len(), 1, "observe", "asset")?;
    let party = view.party(&body.party).ok_or(RuleViolation::UnknownParty(body.party))?;
    check_event(&act.event)?;
    let mut assets = load_current(view, &act.assets)?;
    for a in &assets {
        if let Status::Consumed | Status::Retired { .. } = a.status {
            return Err(RuleViolation::NotActive { asset: a.id, status: a.status.to_string() });
        }
        may_state(&party, a, &act.event)?;
        if let Event::Vaccination { .. } = act.event
            && !matches!(a.product, Product::LiveCattle(_))
        {
            return Err(RuleViolation::WrongKindForEvent { event: "vaccination", kind: a.product.kind() });
        }
    }
    for a in &mut assets {
        a.head = step.id;
        // Rules version 2: a weighing states the mass of goods counted in head or pieces, which
        // is what a transformation may make of them.
        if let Event::Weighing { mass_g } = act.event
            && step.rules.v2()
            && a.quantity.unit() != Unit::Gram
        {
            if matches!(a.product, Product::LiveCattle(_)) && mass_g > MAX_LIVE_WEIGHT_G {
                return Err(RuleViolation::TransformCreates {
                    what: "weight (grams): no animal weighs that much",
                    input: MAX_LIVE_WEIGHT_G,
                    output: mass_g,
                });
            }
            a.weighed_g = Some(mass_g);
        }
    }
    Ok(Effects { assets, ..Effects::default() })
}

/// Custody events are the custodian's; attestations (vaccinations, lab certificates) may also
/// come from a veterinarian, an inspector or a regulator; the rest from owner or custodian.
fn may_state(party: &Party, asset: &Asset, event: &Event) -> Result<(), RuleViolation> {
    let (is_owner, is_custodian) = (asset.owner == party.id, asset.custodian == party.id);
    let attests = [Role::Veterinarian, Role::Inspector, Role::Regulator].iter().any(|r| party.has_role(*r));
    let (allowed, event, who) = match event {
        Event::Storage { .. } => (is_custodian, "storage event", "the custodian"),
        Event::Movement { .. } => (is_custodian, "movement", "the custodian"),
        Event::Vaccination { .. } => {
            (is_owner || is_custodian || attests, "vaccination", "the owner, the custodian or a veterinarian")
        }
        Event::LabCertificate { .. } => (
            is_owner || is_custodian || attests,
            "lab certificate",
            "the owner, the custodian or an inspector",
        ),
        Event::Weighing { .. } => (is_owner || is_custodian, "weighing", "the owner or the custodian"),
        Event::Picking { .. } => (is_owner || is_custodian, "picking", "the owner or the custodian"),
        Event::Pressing { .. } => (is_owner || is_custodian, "pressing", "the owner or the custodian"),
        Event::Note { .. } => (is_owner || is_custodian, "note", "the owner or the custodian"),
    };
    if allowed { Ok(()) } else { Err(RuleViolation::EventNotYours { event, who }) }
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
        Event::LabCertificate { laboratory, certificate, result } => {
            require_text(laboratory, "laboratory")?;
            require_text(certificate, "certificate")?;
            require_text(result, "result")
        }
        Event::Note { text } => require_text(text, "text"),
    }
}
