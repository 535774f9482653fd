//! Property test of the rules version 2's mass rule: over random commissions, weighings,
//! transformations (maocha into maocha, cakes or lots; generic goods into generic goods),
//! splits and merges, the grams that live goods stand for never exceed the grams their
//! commissioned origins brought in.

use std::collections::HashMap;

use proptest::prelude::*;
use terroir_shared::asset::{Asset, AssetId, Generic, Packing, Product, Status, TeaCake, TeaLot, Unit};
use terroir_shared::calendar::Date;
use terroir_shared::party::Role;
use terroir_shared::record::*;

use crate::support::*;

#[derive(Clone, Debug)]
enum Step {
    Maocha { grams: u64 },
    Boxes { count: u64 },
    Weigh { asset: usize, grams: u64 },
    Press { asset: usize, cakes: u64, weight: u32, as_lot: bool },
    Regrade { asset: usize, grams: u64 },
    Split { asset: usize, first: u64 },
    Merge { a: usize, b: usize },
}

fn step() -> impl Strategy<Value = Step> {
    prop_oneof![
        (1..20_000u64).prop_map(|grams| Step::Maocha { grams }),
        (1..50u64).prop_map(|count| Step::Boxes { count }),
        (any::<usize>(), 1..20_000u64).prop_map(|(asset, grams)| Step::Weigh { asset, grams }),
        (any::<usize>(), 1..60u64, 100..400u32, any::<bool>())
            .prop_map(|(asset, cakes, weight, as_lot)| Step::Press { asset, cakes, weight, as_lot }),
        (any::<usize>(), 1..30_000u64).prop_map(|(asset, grams)| Step::Regrade { asset, grams }),
        (any::<usize>(), any::<u64>()).prop_map(|(asset, first)| Step::Split { asset, first }),
        (any::<usize>(), any::<usize>()).prop_map(|(a, b)| Step::Merge { a, b }),
    ]
}

/// The grams an asset stands for, as rules version 2 reads them from signed records.
fn grams(a: &Asset) -> u64 {
    match (&a.product, a.quantity.unit()) {
        (_, Unit::Gram) => a.quantity.amount(),
        (Product::TeaCake(c), _) => a.quantity.amount() * u64::from(c.weight_g),
        (Product::TeaLot(l), _) => a.quantity.amount() * u64::from(l.cake_weight_g),
        _ => a.weighed_g.unwrap_or(0),
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 64, ..ProptestConfig::default() })]

    #[test]
    fn mass_per_commissioned_origin_never_grows(steps in prop::collection::vec(step(), 1..60)) {
        let mut w = World::new();
        let coop = key(1);
        w.register(&coop, "Bulang Tea Co-op", &[Role::Cooperative]);
        let mut live: Vec<AssetId> = Vec::new();
        // Each asset's origin family, and what each family brought in.
        let mut family: HashMap<AssetId, usize> = HashMap::new();
        let mut brought: Vec<u64> = Vec::new();
        let mut accepted = 0;
        // Goods of both kinds first, so that every sequence has something to act on.
        let start = [Step::Maocha { grams: 10_000 }, Step::Boxes { count: 10 }];
        for s in start.into_iter().chain(steps) {
            let pick = |i: usize, live: &[AssetId]| (!live.is_empty()).then(|| live[i % live.len()]);
            let (act, inputs): (Act, Vec<AssetId>) = match s {
                Step::Maocha { grams } => (Act::Commission(Commission::new(vec![new_asset(maocha("Hekai"), grams, Unit::Gram)])), vec![]),
                Step::Boxes { count } => (Act::Commission(Commission::new(vec![new_asset(Product::Generic(Generic { name: "box".into() }), count, Unit::Piece)])), vec![]),
                Step::Weigh { asset, grams } => {
                    let Some(id) = pick(asset, &live) else { continue };
                    let a = w.asset(id);
                    if a.quantity.unit() == Unit::Gram || matches!(a.product, Product::TeaCake(_) | Product::TeaLot(_)) { continue; }
                    // A weighing states what the goods weigh: it brings that mass in, once.
                    let family_of = family[&id];
                    let act = Act::Observe(Observe { assets: vec![a.reference()], event: Event::Weighing { mass_g: grams }, attachments: vec![] });
                    if w.submit(&coop, act).is_ok() {
                        brought[family_of] += grams.saturating_sub(a.weighed_g.unwrap_or(0));
                    }
                    continue;
                }
                Step::Press { asset, cakes, weight, as_lot } => {
                    let Some(id) = pick(asset, &live) else { continue };
                    let a = w.asset(id);
                    let origin = match a.product.tea_origin() { Some(o) => o.clone(), None => continue };
                    let pressed_on = Date::from_ymd(2026, 4, 20).expect("date");
                    let out = if as_lot {
                        new_asset(Product::TeaLot(TeaLot { origin, pressed_on, cake_weight_g: weight, packing: Packing::Lot }), cakes, Unit::Piece)
                    } else {
                        new_asset(Product::TeaCake(TeaCake { origin, pressed_on, weight_g: weight }), 1, Unit::Piece)
                    };
                    (Act::Transform(Transform::new("pressing", vec![a.reference()], vec![out])), vec![id])
                }
                Step::Regrade { asset, grams } => {
                    let Some(id) = pick(asset, &live) else { continue };
                    let a = w.asset(id);
                    let out = match &a.product {
                        Product::TeaMaocha(_) => new_asset(a.product.clone(), grams, Unit::Gram),
                        Product::Generic(_) => new_asset(Product::Generic(Generic { name: "pulp".into() }), grams, Unit::Gram),
                        _ => continue,
                    };
                    (Act::Transform(Transform::new("regrading", vec![a.reference()], vec![out])), vec![id])
                }
                Step::Split { asset, first } => {
                    let Some(id) = pick(asset, &live) else { continue };
                    let a = w.asset(id);
                    let n = a.quantity.amount();
                    if n < 2 || a.product.is_single_unit() { continue; }
                    let k = 1 + first % (n - 1);
                    let parts = vec![Part { amount: k, gs1: None, units: vec![] }, Part { amount: n - k, gs1: None, units: vec![] }];
                    (Act::Split(Split { asset: a.reference(), parts }), vec![id])
                }
                Step::Merge { a, b } => {
                    let (Some(x), Some(y)) = (pick(a, &live), pick(b, &live)) else { continue };
                    if x == y { continue; }
                    (Act::Merge(Merge { assets: vec![w.asset(x).reference(), w.asset(y).reference()], gs1: None }), vec![x, y])
                }
            };
            let Ok(id) = w.submit(&coop, act) else { continue };
            accepted += 1;
            // The family of what came out: a new one for a commission, else the inputs' joined.
            let fam = match inputs.first() {
                None => { brought.push(0); brought.len() - 1 }
                Some(first) => {
                    let f = family[first];
                    for other in &inputs[1..] {
                        let g = family[other];
                        if g != f {
                            brought[f] += brought[g];
                            brought[g] = 0;
                            for v in family.values_mut() { if *v == g { *v = f; } }
                        }
                    }
                    f
                }
            };
            let mut n = 0u32;
            while let Some(out) = Some(AssetId::derive(&id, n)).filter(|a| w.ledger.asset_by_id(a).is_some()) {
                family.insert(out, fam);
                if inputs.is_empty() { brought[fam] += grams(&w.asset(out)); }
                live.push(out);
                n += 1;
            }
            live.retain(|a| matches!(w.asset(*a).status, Status::Active));
            // The invariant: per family, what live goods stand for ≤ what was brought in.
            let mut held: HashMap<usize, u64> = HashMap::new();
            for a in &live {
                *held.entry(family[a]).or_default() += grams(&w.asset(*a));
            }
            for (f, g) in held {
                prop_assert!(g <= brought[f], "family {f} holds {g} g, brought in {} g", brought[f]);
            }
        }
        prop_assert!(accepted >= 2);
    }
}
