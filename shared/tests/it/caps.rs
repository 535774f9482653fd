//! Garden caps, scenario by scenario: tea of a capped garden and season is registered within
//! area × yield, counted once, and only against its own co-op's cap.

use terroir_shared::asset::{Asset, AssetRef, Product, Status, Unit, garden_cap_key};
use terroir_shared::crypto::Keypair;
use terroir_shared::party::Role;
use terroir_shared::record::*;
use terroir_shared::rules::{RuleViolation, Rules, new_tea};

use crate::support::*;

fn code(r: Result<terroir_shared::Hash, RuleViolation>) -> &'static str {
    match r {
        Ok(_) => "accepted",
        Err(v) => v.code(),
    }
}

/// A co-op with a cap of `area × yield` grams on Laobanzhang for the season.
fn coop_with_cap(area: u64, yield_g: u64) -> (World, Keypair, Asset) {
    let mut w = World::new();
    let coop = key(1);
    w.register(&coop, "Bulang Tea Co-op", &[Role::Cooperative]);
    let cap = w.commission(&coop, vec![garden_cap("Laobanzhang", area, yield_g)]).remove(0);
    (w, coop, cap)
}

fn commission(assets: Vec<NewAsset>, allowances: Vec<AssetRef>) -> Act {
    Act::Commission(Commission { assets, allowances })
}

fn issued(w: &World, cap: &Asset) -> u64 {
    match w.asset(cap.id).product {
        Product::TeaGarden(g) => g.issued_g,
        other => panic!("not a cap: {other:?}"),
    }
}

fn leaf(garden: &str, grams: u64) -> NewAsset {
    new_asset(maocha(garden), grams, Unit::Gram)
}

#[test]
fn tea_is_registered_within_its_gardens_cap_and_not_beyond() {
    let (mut w, coop, cap) = coop_with_cap(100, 50);
    assert_eq!(cap.quantity.amount(), 5_000);
    assert_eq!(
        cap.identity_keys(),
        [garden_cap_key(&party(&coop), "Laobanzhang", "2026 spring", Rules::CURRENT)]
    );
    let id = w.submit(&coop, commission(vec![leaf("Laobanzhang", 3_000)], vec![cap.reference()]));
    let id = id.expect("within the cap");
    let after = w.asset(cap.id);
    assert_eq!((issued(&w, &cap), after.head), (3_000, id), "the cap counts it and names the record");
    // Over the cap: refused with the numbers a clerk needs, and nothing changes.
    let over = w.submit(&coop, commission(vec![leaf("Laobanzhang", 2_001)], vec![after.reference()]));
    assert_eq!(
        over,
        Err(RuleViolation::IssuanceCapExceeded {
            garden: "Laobanzhang".into(),
            season: "2026 spring".into(),
            cap: 5_000,
            issued: 3_000,
            requested: 2_001,
        })
    );
    assert_eq!(over.map_err(|v| v.class()), Err(terroir_shared::rules::ViolationClass::Unprocessable));
    assert_eq!(w.asset(cap.id), after);
    // Without the cap, or at an old head of it: refused.
    let missing = w.submit(&coop, commission(vec![leaf("Laobanzhang", 10)], vec![]));
    assert_eq!(
        missing,
        Err(RuleViolation::AllowanceMissing {
            garden: "Laobanzhang".into(),
            season: "2026 spring".into(),
            cap: cap.id,
        })
    );
    let stale = w.submit(&coop, commission(vec![leaf("Laobanzhang", 10)], vec![cap.reference()]));
    assert!(matches!(stale, Err(RuleViolation::HeadConflict { current, .. }) if current == id));
    // Up to the last gram, then not one more; a cake counts its weight.
    let full = commission(vec![leaf("Laobanzhang", 2_000)], vec![after.reference()]);
    assert_eq!(code(w.submit(&coop, full)), "accepted");
    assert_eq!(issued(&w, &cap), 5_000);
    let one_cake = commission(vec![lot_of("Laobanzhang", 1)], vec![w.asset(cap.id).reference()]);
    assert_eq!(code(w.submit(&coop, one_cake)), "issuance_cap_exceeded");
}

#[test]
fn two_records_on_one_cap_head_cannot_both_land() {
    let (mut w, coop, cap) = coop_with_cap(100, 50);
    let a = w.sign(&coop, party(&coop), commission(vec![leaf("Laobanzhang", 100)], vec![cap.reference()]));
    let b = w.sign(&coop, party(&coop), commission(vec![leaf("Laobanzhang", 200)], vec![cap.reference()]));
    let ctx = w.ctx();
    w.ledger.submit(&a, &ctx).expect("the first lands");
    let second = w.ledger.submit(&b, &ctx);
    assert!(matches!(second, Err(RuleViolation::HeadConflict { current, .. }) if current == a.id()));
    // Replaying the winner is refused too, and counts nothing twice.
    assert!(w.ledger.submit(&a, &ctx).is_err());
    assert_eq!(issued(&w, &cap), 100);
}

#[test]
fn a_lot_counts_its_cakes_once_and_pressing_counts_nothing_again() {
    let (mut w, coop, cap) = coop_with_cap(200, 50);
    // 20 cakes of 357 g with their own tokens: 7,140 g, counted through the lot.
    let mut lot = lot_of("Laobanzhang", 20);
    lot.gs1 = Some(terroir_shared::gs1::DigitalLink::parse("/01/09506000134352/10/LBZ-1").expect("link"));
    lot.units = Some(UnitTokens { serial_digits: 3 });
    w.submit(&coop, commission(vec![lot], vec![cap.reference()])).expect("a batch of cakes");
    let cap = w.asset(cap.id);
    assert_eq!(issued(&w, &cap), 7_140);
    let id = w.submit(&coop, commission(vec![leaf("Laobanzhang", 2_000)], vec![cap.reference()]));
    let maocha = w.asset(terroir_shared::asset::AssetId::derive(&id.expect("maocha"), 0));
    let cap = w.asset(cap.id);
    // Pressing that maocha into Laobanzhang cakes brings no new leaf: no cap named, none counted.
    let press = |allowances| {
        Act::Transform(Transform {
            process: "pressing".into(),
            inputs: vec![maocha.reference()],
            outputs: vec![lot_of("Laobanzhang", 5)],
            allowances,
        })
    };
    assert_eq!(code(w.submit(&coop, press(vec![cap.reference()]))), "bad_allowance");
    assert_eq!(code(w.submit(&coop, press(vec![]))), "accepted");
    assert_eq!(w.asset(cap.id), cap, "the cap is untouched by pressing");
    // Leaf from another garden pressed into cakes sold as Laobanzhang is new Laobanzhang tea.
    let hekai = w.commission(&coop, vec![leaf("Hekai", 3_000)]).remove(0);
    let relabel = |cakes, allowances| {
        Act::Transform(Transform {
            process: "pressing".into(),
            inputs: vec![hekai.reference()],
            outputs: vec![lot_of("Laobanzhang", cakes)],
            allowances,
        })
    };
    assert_eq!(code(w.submit(&coop, relabel(3, vec![]))), "allowance_missing");
    assert_eq!(code(w.submit(&coop, relabel(3, vec![cap.reference()]))), "issuance_cap_exceeded");
    assert_eq!(code(w.submit(&coop, relabel(2, vec![cap.reference()]))), "accepted");
    assert_eq!(issued(&w, &cap), 9_140 + 714);
}

#[test]
fn new_tea_is_what_outputs_add_over_inputs_of_the_same_origin() {
    let mut w = World::new();
    let coop = key(1);
    w.register(&coop, "Bulang Tea Co-op", &[Role::Cooperative]);
    let inputs = w.commission(&coop, vec![leaf("Laobanzhang", 1_000), leaf("Hekai", 400)]);
    let blend = vec![lot_of("Laobanzhang", 3), lot_of("HEKAI ", 1), lot_of("Bingdao", 1)];
    let teas: Vec<(String, u64)> =
        new_tea(&blend, &inputs, Rules::CURRENT).into_iter().map(|t| (t.garden, t.grams)).collect();
    // 1,071 g of Laobanzhang from 1,000 g; Hekai spelled otherwise is Hekai; Bingdao is all new.
    assert_eq!(teas, [("Bingdao".into(), 357), ("Laobanzhang".into(), 71)]);
}

#[test]
fn each_coop_has_its_own_caps_and_uncapped_gardens_are_not_counted() {
    let (mut w, coop, cap) = coop_with_cap(10, 10);
    // A trader registers no tea at all (rules version 2): it buys tea from those who grow it.
    let trader = key(3);
    w.register(&trader, "Menghai Trading", &[Role::Trader]);
    let claimed = commission(vec![leaf("Laobanzhang", 500)], vec![]);
    assert_eq!(code(w.submit(&trader, claimed)), "role_not_permitted");
    let other = key(2);
    w.register(&other, "Menghai Tea Cooperative", &[Role::Cooperative]);
    // Another co-op's Laobanzhang is not this co-op's: no cap of its own, nothing counted.
    let big = commission(vec![leaf("Laobanzhang", 1_000_000)], vec![]);
    assert_eq!(code(w.submit(&other, big)), "accepted");
    let borrowed = commission(vec![leaf("Laobanzhang", 10)], vec![cap.reference()]);
    assert_eq!(code(w.submit(&other, borrowed)), "bad_allowance");
    let own = w.commission(&other, vec![garden_cap("Laobanzhang", 1, 1)]).remove(0);
    assert_ne!(own.id, cap.id);
    // A garden without a cap is as before; a respelled capped garden is still capped.
    assert_eq!(code(w.submit(&coop, commission(vec![leaf("Hekai", 1_000_000)], vec![]))), "accepted");
    let mut respelled = leaf(" laoBANZHANG ", 10);
    if let Product::TeaMaocha(t) = &mut respelled.product {
        t.origin.harvest_season = "2026  Spring".into();
    }
    assert_eq!(code(w.submit(&coop, commission(vec![respelled], vec![]))), "allowance_missing");
    // One cap per co-op, garden and season.
    let again = commission(vec![garden_cap("LAOBANZHANG", 1, 1)], vec![]);
    assert_eq!(code(w.submit(&coop, again)), "identity_taken");
    assert_eq!(issued(&w, &cap), 0);
}

#[test]
fn a_cap_stays_with_its_coop_until_it_is_retired() {
    let (mut w, coop, cap) = coop_with_cap(10, 10);
    let trader = key(2);
    w.register(&trader, "Menghai Trading", &[Role::Trader]);
    let bank = key(3);
    w.register(&bank, "Rural Credit Union", &[Role::Financier]);
    let r = cap.reference();
    let moves = [
        Act::Transfer(Transfer { assets: vec![r], to: party(&trader) }),
        Act::Custody(Custody { assets: vec![r], to: party(&trader) }),
        Act::Split(Split { asset: r, parts: vec![Part { amount: 50, gs1: None, units: vec![] }; 2] }),
        Act::Pledge(Pledge { asset: r, financier: party(&bank) }),
        Act::Transform(Transform::new("relabel", vec![r], vec![leaf("Laobanzhang", 10)])),
    ];
    for act in moves {
        let name = act.name();
        assert_eq!(code(w.submit(&coop, act)), "not_permitted", "{name}");
    }
    // Retiring it closes the season: nothing more is registered from that garden.
    w.submit(&coop, Act::Retire(Retire { asset: r, reason: "season closed".into() })).expect("retire");
    let closed = w.asset(cap.id);
    assert!(matches!(closed.status, Status::Retired { .. }));
    let late = commission(vec![leaf("Laobanzhang", 1)], vec![closed.reference()]);
    assert_eq!(code(w.submit(&coop, late)), "asset_not_active");
}

#[test]
fn a_cap_is_registered_whole_and_alone() {
    let mut w = World::new();
    let coop = key(1);
    w.register(&coop, "Bulang Tea Co-op", &[Role::Cooperative]);
    let with = |f: fn(&mut terroir_shared::asset::TeaGarden), amount: u64| {
        let mut cap = garden_cap("Laobanzhang", 10, 10);
        if let Product::TeaGarden(g) = &mut cap.product {
            f(g);
        }
        cap.quantity = terroir_shared::asset::Quantity::new(amount, Unit::Gram).expect("q");
        commission(vec![cap], vec![])
    };
    assert_eq!(code(w.submit(&coop, with(|_| {}, 99))), "bad_garden_cap", "quantity ≠ area × yield");
    assert_eq!(code(w.submit(&coop, with(|g| g.area_m2 = 0, 100))), "bad_garden_cap");
    assert_eq!(code(w.submit(&coop, with(|g| g.issued_g = 1, 100))), "bad_garden_cap");
    let overflow =
        |g: &mut terroir_shared::asset::TeaGarden| (g.area_m2, g.yield_g_per_m2) = (1 << 40, 1 << 24);
    assert_eq!(code(w.submit(&coop, with(overflow, 100))), "bad_garden_cap");
    assert_eq!(code(w.submit(&coop, with(|g| g.season = " ".into(), 100))), "empty_field");
    // A cap registered with tea of its own garden would not count that tea.
    let mixed = commission(vec![garden_cap("Laobanzhang", 10, 10), leaf("Laobanzhang", 1)], vec![]);
    assert_eq!(code(w.submit(&coop, mixed)), "bad_garden_cap");
    let two = commission(vec![garden_cap("Laobanzhang", 10, 10), garden_cap("Hekai", 5, 5)], vec![]);
    assert_eq!(code(w.submit(&coop, two)), "accepted");
}

#[test]
fn records_without_allowances_keep_their_bytes_and_there_is_one_spelling() {
    let mut w = World::new();
    let k = key(1);
    let plain = w.sign(&k, party(&k), commission(vec![leaf("Hekai", 10)], vec![]));
    let json = serde_json::to_string(&plain).expect("json");
    assert!(!json.contains("allowances"), "an empty list is not written");
    let empty = json.replace(r#"{"assets":"#, r#"{"allowances":[],"assets":"#);
    let refused = Envelope::<Record>::from_json(empty.as_bytes()).expect_err("one spelling");
    assert_eq!(
        refused.to_string(),
        "at `record.act.commission.allowances`: this field is not part of a record"
    );
    let unknown = json.replace(r#"{"assets":"#, r#"{"caps":[],"assets":"#);
    assert!(Envelope::<Record>::from_json(unknown.as_bytes()).is_err());
    let (mut w, coop, cap) = coop_with_cap(10, 10);
    let named = w.sign(&coop, party(&coop), commission(vec![leaf("Laobanzhang", 1)], vec![cap.reference()]));
    let json = serde_json::to_vec(&named).expect("json");
    let back = Envelope::<Record>::from_json(&json).expect("parses");
    assert_eq!(back.record.act.touches(), vec![cap.reference()], "a named cap is touched");
}

/// The spellings found to slip past a cap under rules version 1: each is now either refused as
/// a name or read as the capped garden, whose cap it must then name and may not exceed.
#[test]
fn look_alike_garden_names_do_not_slip_past_a_cap() {
    let mut w = World::new();
    let coop = key(1);
    w.register(&coop, "Bulang Tea Co-op", &[Role::Cooperative]);
    let cap = w.commission(&coop, vec![garden_cap("Adv Cap Garden", 1, 1_000)]).remove(0);
    let refused_names = [
        "Adv Cap Gard\u{200B}en",
        "Ａｄｖ Ｃａｐ Ｇａｒｄｅｎ",
        "\u{0410}dv Cap Garden",
        "Adv Cap Garden\u{FE0F}",
    ];
    for garden in refused_names {
        let act = commission(vec![leaf(garden, 5_000)], vec![]);
        assert_eq!(code(w.submit(&coop, act)), "bad_name", "{garden:?}");
    }
    let same_garden = ["Adv Cap Gar\u{0301}den", "Adv Cap Garden.", "adv  cap-garden", "Ádv Cap Gardén"];
    for garden in same_garden {
        let act = commission(vec![leaf(garden, 5_000)], vec![]);
        assert_eq!(code(w.submit(&coop, act)), "allowance_missing", "{garden:?}");
        let cap = w.asset(cap.id);
        let act = commission(vec![leaf(garden, 5_000)], vec![cap.reference()]);
        assert_eq!(code(w.submit(&coop, act)), "issuance_cap_exceeded", "{garden:?}");
    }
    assert_eq!(issued(&w, &cap), 0, "nothing was issued against the cap");
}
