//! Garden caps: tea of a garden and season whose co-op registered a cap (area × yield) comes into
//! the ledger only within it. The cap counts tea once, where it enters: commissioned, or made by
//! a transformation from tea of another origin. Pressing a garden's maocha into its cakes adds
//! nothing; gardens without a cap are not counted at all.

use std::collections::BTreeMap;

use super::transform::grams;
use super::{LedgerView, RuleViolation, Rules, Step, load_current, require_active};
use crate::asset::{Asset, AssetRef, Product, garden_cap_key, garden_season};
use crate::canonical::MAX_SAFE_INTEGER;
use crate::party::PartyId;
use crate::record::NewAsset;

/// Tea a record brings into the ledger from one garden and season, beyond what its inputs of
/// that origin already held.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NewTea {
    /// As the first output of that origin writes it.
    pub garden: String,
    pub season: String,
    pub grams: u64,
}

/// The tea that `outputs` add per garden and season over `inputs` (a transformation's consumed
/// assets; none for a commission). Cakes packed in a lot of the same record count through the
/// lot. Sums saturate: a saturated amount exceeds every cap.
pub fn new_tea(outputs: &[NewAsset], inputs: &[Asset], rules: Rules) -> Vec<NewTea> {
    let mut by_origin: BTreeMap<String, (NewTea, u64)> = BTreeMap::new();
    let outs = outputs.iter().filter(|o| o.part_of.is_none()).map(|o| (&o.product, o.quantity));
    for (product, quantity) in outs {
        let (Some(origin), Some(g)) = (product.tea_origin(), grams(product, quantity)) else { continue };
        let key = garden_season(&origin.garden, &origin.harvest_season, rules);
        let (tea, _) = by_origin.entry(key).or_insert_with(|| {
            let (garden, season) = (origin.garden.clone(), origin.harvest_season.clone());
            (NewTea { garden, season, grams: 0 }, 0)
        });
        tea.grams = tea.grams.saturating_add(g);
    }
    for input in inputs {
        let (Some(origin), Some(g)) = (input.product.tea_origin(), grams(&input.product, input.quantity))
        else {
            continue;
        };
        let key = garden_season(&origin.garden, &origin.harvest_season, rules);
        if let Some((_, held)) = by_origin.get_mut(&key) {
            *held = held.saturating_add(g);
        }
    }
    by_origin
        .into_values()
        .filter_map(|(tea, held)| {
            let grams = tea.grams.saturating_sub(held);
            (grams > 0).then_some(NewTea { grams, ..tea })
        })
        .collect()
}

/// Charges the new tea of a record signed for `party` to that party's caps, which the record
/// must name in `allowances` at their current heads; returns the caps with what they issued
/// and their head moved to record `id`. Every allowance named must be drawn on.
pub(super) fn charge(
    view: &impl LedgerView,
    party: PartyId,
    allowances: &[AssetRef],
    teas: &[NewTea],
    step: Step,
) -> Result<Vec<Asset>, RuleViolation> {
    let mut caps = load_current(view, allowances)?;
    let mut drawn = vec![false; caps.len()];
    for tea in teas {
        let Some(holder) = view.holder_of(&garden_cap_key(&party, &tea.garden, &tea.season, step.rules))
        else {
            continue;
        };
        let (garden, season) = (tea.garden.clone(), tea.season.clone());
        let Some(i) = caps.iter().position(|c| c.id == holder) else {
            return Err(RuleViolation::AllowanceMissing { garden, season, cap: holder });
        };
        let cap = &mut caps[i];
        require_active(cap)?;
        let limit = cap.quantity.amount();
        let Product::TeaGarden(g) = &mut cap.product else {
            return Err(RuleViolation::BadAllowance { asset: cap.id, why: "it is not a garden's cap" });
        };
        let issued = g.issued_g;
        g.issued_g = issued.checked_add(tea.grams).filter(|t| *t <= limit).ok_or(
            RuleViolation::IssuanceCapExceeded { garden, season, cap: limit, issued, requested: tea.grams },
        )?;
        cap.head = step.id;
        drawn[i] = true;
    }
    if let Some(i) = drawn.iter().position(|d| !d) {
        let why = "no tea in this record draws on it (a cap is named only by new tea of its garden, season and co-op)";
        return Err(RuleViolation::BadAllowance { asset: caps[i].id, why });
    }
    Ok(caps)
}

/// A new cap: named, with an area and a yield whose product, in grams, is its quantity, and
/// nothing issued yet.
pub(super) fn check_new_cap(out: &NewAsset) -> Result<(), RuleViolation> {
    let Product::TeaGarden(g) = &out.product else { return Ok(()) };
    super::require_text(&g.garden, "garden")?;
    super::require_text(&g.season, "season")?;
    let bad = |why| Err(RuleViolation::BadGardenCap(why));
    if g.area_m2 == 0 || g.yield_g_per_m2 == 0 {
        return bad("its area and its yield must both be at least 1");
    }
    match g.area_m2.checked_mul(g.yield_g_per_m2) {
        Some(cap) if cap > MAX_SAFE_INTEGER => return bad("area × yield is more than a record can carry"),
        None => return bad("area × yield is more than a record can carry"),
        Some(cap) if cap != out.quantity.amount() => {
            return bad("its quantity must be exactly its area × yield, in grams");
        }
        Some(_) => {}
    }
    if g.issued_g != 0 {
        return bad("a new cap has issued nothing yet");
    }
    if out.part_of.is_some() || out.units.is_some() {
        return bad("a cap stands on its own: it is not packed in anything and has no unit tokens");
    }
    Ok(())
}
