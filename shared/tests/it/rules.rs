//! The ledger rules, act by act: what is accepted, what is refused and why.

use terroir_shared::asset::{
    Asset, AssetId, AssetRef, BeefCut, Carcass, Generic, Product, Quantity, Status, TeaCake, Unit,
};
use terroir_shared::calendar::{Date, Timestamp};
use terroir_shared::gs1::DigitalLink;
use terroir_shared::party::{PartyId, Role};
use terroir_shared::record::*;
use terroir_shared::rules::{MAX_CLOCK_SKEW_MS, RuleViolation, ViolationClass};

use crate::support::*;

fn code(r: Result<terroir_shared::Hash, RuleViolation>) -> &'static str {
    match r {
        Ok(_) => "accepted",
        Err(v) => v.code(),
    }
}

struct Cast {
    w: World,
    coop: terroir_shared::crypto::Keypair,
    trader: terroir_shared::crypto::Keypair,
    warehouse: terroir_shared::crypto::Keypair,
    bank: terroir_shared::crypto::Keypair,
    vet: terroir_shared::crypto::Keypair,
}

fn cast() -> Cast {
    let mut w = World::new();
    let (coop, trader, warehouse, bank, vet) = (key(1), key(2), key(3), key(4), key(5));
    w.register(&coop, "Bulang Tea Co-op", &[Role::Cooperative]);
    w.register(&trader, "Menghai Trading", &[Role::Trader]);
    w.register(&warehouse, "Kunming Bonded Store", &[Role::Warehouse]);
    w.register(&bank, "Rural Credit Union", &[Role::Financier]);
    w.register(&vet, "County Veterinary Station", &[Role::Veterinarian]);
    Cast { w, coop, trader, warehouse, bank, vet }
}

#[test]
fn only_the_operator_registers_parties_once() {
    let mut c = cast();
    let act = |id: PartyId| {
        Act::RegisterParty(RegisterParty { id, name: "X".into(), roles: [Role::Farm].into(), contact: None })
    };
    assert_eq!(code(c.w.submit(&c.coop, act(party(&key(9))))), "not_operator");
    let op = terroir_shared::crypto::Keypair::from_seed(c.w.operator.seed());
    assert_eq!(code(c.w.submit(&op, act(party(&c.trader)))), "party_exists");
    let empty = Act::RegisterParty(RegisterParty {
        id: party(&key(9)),
        name: " ".into(),
        roles: [Role::Farm].into(),
        contact: None,
    });
    assert_eq!(code(c.w.submit(&op, empty)), "empty_field");
}

#[test]
fn devices_sign_for_their_party_until_revoked() {
    let mut c = cast();
    let station = key(20);
    let coop = party(&c.coop);
    let authorise = Act::AuthoriseDevice(AuthoriseDevice::new(&station, &coop, ORIGIN, "village station"));
    assert_eq!(code(c.w.submit(&c.coop, authorise.clone())), "accepted");
    assert_eq!(code(c.w.submit(&c.coop, authorise)), "device_exists");
    // The device commissions for the co-op; the co-op owns the result.
    let commission = Act::Commission(Commission::new(vec![lot_of("Laobanzhang", 100)]));
    let id = c.w.submit_as(&station, coop, commission).expect("device signs for its party");
    assert_eq!(c.w.asset(AssetId::derive(&id, 0)).owner, coop);
    // A device cannot sign for another party, nor manage devices.
    let other = Act::Commission(Commission::new(vec![lot_of("Hekai", 1)]));
    assert_eq!(code(c.w.submit_as(&station, party(&c.trader), other.clone())), "signer_not_authorised");
    let more = Act::AuthoriseDevice(AuthoriseDevice::new(&key(21), &coop, ORIGIN, "x"));
    assert_eq!(code(c.w.submit_as(&station, coop, more)), "device_cannot_manage_devices");
    // Revoked: nothing more, whatever date the record claims.
    let revoke = Act::RevokeDevice(RevokeDevice { device: station.public() });
    assert_eq!(code(c.w.submit(&c.coop, revoke.clone())), "accepted");
    assert_eq!(code(c.w.submit(&c.coop, revoke)), "device_already_revoked");
    assert_eq!(code(c.w.submit_as(&station, coop, other)), "device_revoked");
    let unknown = Act::RevokeDevice(RevokeDevice { device: key(22).public() });
    assert_eq!(code(c.w.submit(&c.coop, unknown)), "unknown_device");
}

#[test]
fn wrong_log_future_dates_and_unknown_parties_are_refused() {
    let mut c = cast();
    let commission = Act::Commission(Commission::new(vec![lot_of("Hekai", 10)]));
    let mut r = c.w.sign(&c.coop, party(&c.coop), commission.clone()).into_body();
    r.origin = "another.log/x".into();
    let signed = Unsigned::new(r.clone()).sign(&c.coop).expect("sign");
    let ctx = c.w.ctx();
    assert_eq!(c.w.ledger.submit(&signed, &ctx).map_err(|e| e.code()), Err("wrong_log"));
    r.origin = ORIGIN.into();
    r.at = Timestamp(NOW + 10 * 60 * 1000);
    let signed = Unsigned::new(r).sign(&c.coop).expect("sign");
    assert_eq!(c.w.ledger.submit(&signed, &ctx).map_err(|e| e.code()), Err("from_the_future"));
    assert_eq!(code(c.w.submit(&key(30), commission)), "unknown_party");
}

/// Found under rules version 1: a transfer dated 1970 for goods registered today was accepted.
#[test]
fn no_record_is_dated_before_what_it_changes() {
    let mut c = cast();
    let lot = c.w.commission(&c.coop, vec![lot_of("Hekai", 10)]).remove(0);
    let made = lot.head_at.expect("rules version 2 stamps the time of an asset's head");
    let sell = Act::Transfer(Transfer { assets: vec![lot.reference()], to: party(&c.trader) });
    let mut r = c.w.sign(&c.coop, party(&c.coop), sell).into_body();
    r.at = Timestamp(0);
    let ctx = c.w.ctx();
    let signed = Unsigned::new(r.clone()).sign(&c.coop).expect("sign");
    assert_eq!(c.w.ledger.submit(&signed, &ctx).map_err(|e| e.code()), Err("back_dated"));
    // Within the clock-skew tolerance of the last record is fine: two stations' clocks differ.
    r.at = Timestamp(made.millis() - MAX_CLOCK_SKEW_MS);
    let signed = Unsigned::new(r).sign(&c.coop).expect("sign");
    let id = c.w.ledger.submit(&signed, &ctx).expect("a little earlier is tolerated");
    assert_eq!(c.w.asset(lot.id).head_at, Some(signed.body().at));
    assert_eq!(c.w.asset(lot.id).head, id);
}

#[test]
fn a_tea_batch_is_one_lot_holding_one_token_per_cake() {
    let mut c = cast();
    let gtin = "09506000134352";
    let lot_link = DigitalLink::parse(&format!("/01/{gtin}/10/BL2026-01")).expect("link");
    let cake = |n: u32| NewAsset {
        product: Product::TeaCake(TeaCake {
            origin: origin("Laobanzhang"),
            pressed_on: Date::from_ymd(2026, 4, 20).expect("d"),
            weight_g: 357,
        }),
        quantity: Quantity::new(1, Unit::Piece).expect("q"),
        gs1: Some(DigitalLink::parse(&format!("/01/{gtin}/10/BL2026-01/21/{n}")).expect("link")),
        part_of: Some(0),
        units: None,
    };
    let mut lot = lot_of("Laobanzhang", 50);
    lot.gs1 = Some(lot_link);
    let mut outputs = vec![lot.clone()];
    outputs.extend((1..=50).map(cake));
    let assets = c.w.commission(&c.coop, outputs.clone());
    assert_eq!(assets.len(), 51);
    assert!(assets[1..].iter().all(|a| a.parents == vec![assets[0].id]));
    // The same GS1 keys cannot be commissioned again.
    let again = Act::Commission(Commission::new(outputs.clone()));
    assert_eq!(code(c.w.submit(&c.coop, again)), "identity_taken");
    // A lot must hold exactly its cakes.
    let mut short = vec![lot_of("Hekai", 3)];
    short.extend((0..2).map(|_| NewAsset { gs1: None, ..cake(0) }));
    assert_eq!(code(c.w.submit(&c.coop, Act::Commission(Commission::new(short)))), "quantity_not_conserved");
    let forward = vec![NewAsset { part_of: Some(1), ..lot_of("Hekai", 1) }, lot_of("Hekai", 1)];
    assert_eq!(code(c.w.submit(&c.coop, Act::Commission(Commission::new(forward)))), "bad_part_of");
    // Units and single units.
    let grams = new_asset(tea_lot("Hekai"), 5, Unit::Gram);
    assert_eq!(code(c.w.submit(&c.coop, Act::Commission(Commission::new(vec![grams])))), "unit_mismatch");
    let two_cakes =
        NewAsset { quantity: Quantity::new(2, Unit::Piece).expect("q"), gs1: None, part_of: None, ..cake(0) };
    assert_eq!(code(c.w.submit(&c.coop, Act::Commission(Commission::new(vec![two_cakes])))), "single_unit");
    assert_eq!(code(c.w.submit(&c.coop, Act::Commission(Commission::new(vec![])))), "too_few");
}

#[test]
fn split_conserves_quantity_and_a_head_is_spent_once() {
    let mut c = cast();
    let lot = c.w.commission(&c.coop, vec![lot_of("Laobanzhang", 1000)]).remove(0);
    let split = |amounts: &[u64]| {
        Act::Split(Split {
            asset: lot.reference(),
            parts: amounts.iter().map(|&amount| Part { amount, gs1: None, units: vec![] }).collect(),
        })
    };
    assert_eq!(code(c.w.submit(&c.coop, split(&[600, 399]))), "quantity_not_conserved");
    assert_eq!(code(c.w.submit(&c.coop, split(&[1000]))), "too_few");
    assert_eq!(code(c.w.submit(&c.coop, split(&[1000, 0]))), "bad_quantity");
    assert_eq!(code(c.w.submit(&c.trader, split(&[500, 500]))), "not_permitted");
    let winner = c.w.submit(&c.coop, split(&[100; 10])).expect("a 10-way split");
    let children: Vec<_> = (0..10).map(|i| c.w.asset(AssetId::derive(&winner, i))).collect();
    assert!(children.iter().all(|a| a.quantity.amount() == 100 && a.parents == vec![lot.id]));
    assert_eq!(c.w.asset(lot.id).status, Status::Consumed);
    // The same head again: refused, naming the record that won.
    let loser = c.w.submit(&c.coop, split(&[500, 500]));
    match loser {
        Err(v @ RuleViolation::HeadConflict { .. }) => {
            assert_eq!(v.class(), ViolationClass::Conflict);
            let RuleViolation::HeadConflict { current, named, .. } = v else { unreachable!() };
            assert_eq!((current, named), (winner, lot.head));
        }
        other => panic!("expected a head conflict, got {other:?}"),
    }
    // At its new head the consumed lot is still immovable.
    let consumed = c.w.asset(lot.id).reference();
    let transfer = Act::Transfer(Transfer { assets: vec![consumed], to: party(&c.trader) });
    assert_eq!(code(c.w.submit(&c.coop, transfer)), "asset_not_active");
}

#[test]
fn merge_takes_only_compatible_lots_and_sums_them() {
    let mut c = cast();
    let a = c
        .w
        .commission(&c.coop, vec![lot_of("Laobanzhang", 30), lot_of("Laobanzhang", 12), lot_of("Hekai", 5)]);
    let merge = |refs: Vec<_>| Act::Merge(Merge { assets: refs, gs1: None });
    assert_eq!(
        code(c.w.submit(&c.coop, merge(vec![a[0].reference(), a[2].reference()]))),
        "incompatible_merge"
    );
    assert_eq!(code(c.w.submit(&c.coop, merge(vec![a[0].reference()]))), "too_few");
    assert_eq!(
        code(c.w.submit(&c.coop, merge(vec![a[0].reference(), a[0].reference()]))),
        "asset_named_twice"
    );
    let id = c.w.submit(&c.coop, merge(vec![a[0].reference(), a[1].reference()])).expect("merge");
    let merged = c.w.asset(AssetId::derive(&id, 0));
    assert_eq!(merged.quantity.amount(), 42);
    assert_eq!(merged.parents, vec![a[0].id, a[1].id]);
}

#[test]
fn slaughter_turns_an_animal_into_a_carcass_and_cuts() {
    let mut c = cast();
    let cow = c.w.commission(&c.coop, vec![cattle("253282200000017")]).remove(0);
    let dup = Act::Commission(Commission::new(vec![cattle("253282200000017")]));
    assert_eq!(code(c.w.submit(&c.coop, dup)), "identity_taken");
    // The county vet vaccinates an animal it does not own.
    let vaccinate = Act::Observe(Observe {
        assets: vec![cow.reference()],
        event: Event::Vaccination {
            vaccine: "FMD type O".into(),
            withdrawal_until: Date::from_ymd(2026, 6, 1).expect("d"),
        },
        attachments: vec![],
    });
    let vax = c.w.submit(&c.vet, vaccinate).expect("vet records a vaccination");
    let cow = c.w.asset(cow.id);
    assert_eq!(cow.head, vax);
    // Its weight, which the slaughter draws on (rules version 2).
    weigh(&mut c, &cow, 620_000);
    let cow = c.w.asset(cow.id);
    let grams = |g| Quantity::new(g, Unit::Gram).expect("q");
    let slaughter = Act::Transform(Transform {
        process: "slaughter".into(),
        inputs: vec![cow.reference()],
        allowances: vec![],
        outputs: vec![NewAsset {
            product: Product::Carcass(Carcass { grade: Some("A2".into()) }),
            quantity: grams(310_000),
            gs1: None,
            part_of: None,
            units: None,
        }],
    });
    let id = c.w.submit(&c.coop, slaughter.clone()).expect("slaughter");
    let carcass = c.w.asset(AssetId::derive(&id, 0));
    assert_eq!(carcass.parents, vec![cow.id]);
    assert_eq!(code(c.w.submit(&c.coop, slaughter)), "head_conflict");
    let cut = |name: &str, g| NewAsset {
        product: Product::BeefCut(BeefCut { cut: name.into() }),
        quantity: grams(g),
        gs1: None,
        part_of: None,
        units: None,
    };
    let cutting = Act::Transform(Transform {
        process: "cutting".into(),
        inputs: vec![carcass.reference()],
        allowances: vec![],
        outputs: vec![cut("ribeye", 9_000), cut("brisket", 14_000)],
    });
    let id = c.w.submit(&c.coop, cutting).expect("cutting");
    assert_eq!(c.w.asset(AssetId::derive(&id, 1)).parents, vec![carcass.id]);
    // Beef does not become tea; a vaccination is for live cattle.
    let tea = c.w.commission(&c.coop, vec![new_asset(maocha("Hekai"), 50_000, Unit::Gram)]).remove(0);
    let wrong = Act::Transform(Transform {
        process: "magic".into(),
        inputs: vec![c.w.asset(AssetId::derive(&id, 0)).reference()],
        allowances: vec![],
        outputs: vec![lot_of("Hekai", 1)],
    });
    assert_eq!(code(c.w.submit(&c.coop, wrong)), "transform_not_allowed");
    let vax_tea = Act::Observe(Observe {
        assets: vec![tea.reference()],
        event: Event::Vaccination {
            vaccine: "x".into(),
            withdrawal_until: Date::from_ymd(2026, 1, 1).expect("d"),
        },
        attachments: vec![],
    });
    assert_eq!(code(c.w.submit(&c.coop, vax_tea)), "wrong_kind_for_event");
}

#[test]
fn stored_centrally_traded_separately() {
    let mut c = cast();
    let lot = c.w.commission(&c.coop, vec![lot_of("Laobanzhang", 100)]).remove(0);
    let to_store = Act::Custody(Custody { assets: vec![lot.reference()], to: party(&c.warehouse) });
    c.w.submit(&c.coop, to_store).expect("owner hands goods to the warehouse");
    let lot = c.w.asset(lot.id);
    assert_eq!((lot.owner, lot.custodian), (party(&c.coop), party(&c.warehouse)));
    // The warehouse records storage but cannot sell what it does not own.
    let store = Act::Observe(Observe {
        assets: vec![lot.reference()],
        event: Event::Storage { location: "Hall 3".into() },
        attachments: vec![],
    });
    c.w.submit(&c.warehouse, store).expect("custodian records storage");
    let lot = c.w.asset(lot.id);
    let sell = |to| Act::Transfer(Transfer { assets: vec![lot.reference()], to });
    assert_eq!(code(c.w.submit(&c.warehouse, sell(party(&c.trader)))), "not_permitted");
    assert_eq!(code(c.w.submit(&c.coop, sell(party(&c.coop)))), "no_change");
    assert_eq!(code(c.w.submit(&c.coop, sell(party(&key(40))))), "unknown_party");
    c.w.submit(&c.coop, sell(party(&c.trader))).expect("owner sells while stored");
    let lot = c.w.asset(lot.id);
    assert_eq!((lot.owner, lot.custodian), (party(&c.trader), party(&c.warehouse)));
}

#[test]
fn a_pledged_lot_cannot_move_until_its_financier_releases_it() {
    let mut c = cast();
    let lot = c.w.commission(&c.coop, vec![lot_of("Laobanzhang", 100)]).remove(0);
    let pledge = |to| Act::Pledge(Pledge { asset: lot.reference(), financier: to });
    assert_eq!(code(c.w.submit(&c.coop, pledge(party(&c.trader)))), "missing_role");
    c.w.submit(&c.coop, pledge(party(&c.bank))).expect("pledge");
    let lot = c.w.asset(lot.id);
    assert_eq!(lot.status, Status::Pledged { financier: party(&c.bank) });
    let moves = [
        Act::Transfer(Transfer { assets: vec![lot.reference()], to: party(&c.trader) }),
        Act::Split(Split {
            asset: lot.reference(),
            parts: vec![
                Part { amount: 50, gs1: None, units: vec![] },
                Part { amount: 50, gs1: None, units: vec![] },
            ],
        }),
        Act::Pledge(Pledge { asset: lot.reference(), financier: party(&c.bank) }),
        Act::Retire(Retire { asset: lot.reference(), reason: "sold".into() }),
    ];
    for act in moves {
        assert_eq!(code(c.w.submit(&c.coop, act)), "asset_pledged");
    }
    let release = Act::Release(Release { asset: lot.reference() });
    assert_eq!(code(c.w.submit(&c.coop, release.clone())), "not_permitted");
    c.w.submit(&c.bank, release.clone()).expect("financier releases");
    let lot = c.w.asset(lot.id);
    assert_eq!(lot.status, Status::Active);
    let release = Act::Release(Release { asset: lot.reference() });
    assert_eq!(code(c.w.submit(&c.bank, release)), "asset_not_pledged");
    let retire = Act::Retire(Retire { asset: lot.reference(), reason: "sold to consumers".into() });
    c.w.submit(&c.coop, retire).expect("retire");
    let lot = c.w.asset(lot.id);
    let transfer = Act::Transfer(Transfer { assets: vec![lot.reference()], to: party(&c.trader) });
    assert_eq!(code(c.w.submit(&c.coop, transfer)), "asset_not_active");
}

#[test]
fn replaying_an_accepted_record_is_refused_by_the_rules() {
    let mut c = cast();
    let commission =
        c.w.sign(&c.coop, party(&c.coop), Act::Commission(Commission::new(vec![lot_of("Hekai", 10)])));
    let ctx = c.w.ctx();
    let id = c.w.ledger.submit(&commission, &ctx).expect("first time");
    let lot = c.w.asset(AssetId::derive(&id, 0));
    let split = c.w.sign(
        &c.coop,
        party(&c.coop),
        Act::Split(Split {
            asset: lot.reference(),
            parts: vec![
                Part { amount: 4, gs1: None, units: vec![] },
                Part { amount: 6, gs1: None, units: vec![] },
            ],
        }),
    );
    c.w.ledger.submit(&split, &ctx).expect("split");
    // The commission again would bring the consumed lot back to life: refused.
    assert_eq!(c.w.ledger.submit(&commission, &ctx).map_err(|e| e.code()), Err("output_exists"));
    assert_eq!(c.w.ledger.submit(&split, &ctx).map_err(|e| e.code()), Err("head_conflict"));
    assert_eq!(c.w.asset(lot.id).status, Status::Consumed);
}

#[test]
fn transformations_never_create_goods() {
    let mut c = cast();
    let grams = |g| Quantity::new(g, Unit::Gram).expect("q");
    let lot = c.w.commission(&c.coop, vec![lot_of("Hekai", 100)]).remove(0);
    let bigger = Act::Transform(Transform {
        process: "repack".into(),
        inputs: vec![lot.reference()],
        allowances: vec![],
        outputs: vec![lot_of("Hekai", 1_000_000)],
    });
    assert_eq!(code(c.w.submit(&c.coop, bigger)), "transform_creates_quantity");
    let repack = Act::Transform(Transform {
        process: "repack".into(),
        inputs: vec![lot.reference()],
        allowances: vec![],
        outputs: vec![lot_of("Hekai", 60), lot_of("Hekai", 40)],
    });
    assert_eq!(code(c.w.submit(&c.coop, repack)), "accepted");
    let leaf = c.w.commission(&c.coop, vec![new_asset(maocha("Hekai"), 1_000, Unit::Gram)]).remove(0);
    let cake = |n: u64| NewAsset {
        product: Product::TeaCake(TeaCake {
            origin: origin("Hekai"),
            pressed_on: Date::from_ymd(2026, 4, 20).expect("d"),
            weight_g: 357,
        }),
        quantity: Quantity::new(n, Unit::Piece).expect("q"),
        gs1: None,
        part_of: None,
        units: None,
    };
    let press = |cakes: u64| {
        Act::Transform(Transform {
            process: "pressing".into(),
            inputs: vec![leaf.reference()],
            allowances: vec![],
            outputs: (0..cakes).map(|_| cake(1)).collect(),
        })
    };
    assert_eq!(code(c.w.submit(&c.coop, press(3))), "transform_creates_quantity", "3 × 357 g > 1,000 g");
    // A lot with its cakes packed inside counts once.
    let mut packed = vec![NewAsset { part_of: None, ..lot_of("Hekai", 2) }];
    packed.extend((0..2).map(|_| NewAsset { part_of: Some(0), ..cake(1) }));
    let press_packed = Act::Transform(Transform {
        process: "pressing".into(),
        inputs: vec![leaf.reference()],
        allowances: vec![],
        outputs: packed,
    });
    assert_eq!(code(c.w.submit(&c.coop, press_packed)), "accepted");
    // Generic goods cannot be laundered into tea; a carcass cannot outweigh its animal.
    let hide =
        c.w.commission(
            &c.coop,
            vec![new_asset(
                Product::Generic(terroir_shared::asset::Generic { name: "hide".into() }),
                1,
                Unit::Piece,
            )],
        )
        .remove(0);
    let launder = Act::Transform(Transform {
        process: "relabel".into(),
        inputs: vec![hide.reference()],
        allowances: vec![],
        outputs: vec![lot_of("Laobanzhang", 1)],
    });
    assert_eq!(code(c.w.submit(&c.coop, launder)), "transform_not_allowed");
    let cow = c.w.commission(&c.coop, vec![cattle("253282200000099")]).remove(0);
    let unweighed = Act::Transform(Transform {
        process: "slaughter".into(),
        inputs: vec![cow.reference()],
        allowances: vec![],
        outputs: vec![NewAsset {
            product: Product::Carcass(Carcass { grade: None }),
            quantity: grams(300_000),
            gs1: None,
            part_of: None,
            units: None,
        }],
    });
    assert_eq!(code(c.w.submit(&c.coop, unweighed)), "mass_unknown");
    weigh(&mut c, &cow, 600_000);
    let cow = c.w.asset(cow.id);
    let huge = Act::Transform(Transform {
        process: "slaughter".into(),
        inputs: vec![cow.reference()],
        allowances: vec![],
        outputs: vec![NewAsset {
            product: Product::Carcass(Carcass { grade: None }),
            quantity: grams(2_000_000),
            gs1: None,
            part_of: None,
            units: None,
        }],
    });
    assert_eq!(code(c.w.submit(&c.coop, huge)), "transform_creates_quantity");
}

/// The owner weighs an asset.
fn weigh(c: &mut Cast, asset: &Asset, mass_g: u64) {
    let act = Act::Observe(Observe {
        assets: vec![c.w.asset(asset.id).reference()],
        event: Event::Weighing { mass_g },
        attachments: vec![],
    });
    let owner = if asset.owner == party(&c.coop) { &c.coop } else { &c.trader };
    c.w.submit(owner, act).expect("weighing");
}

/// The cases found accepted under rules version 1: goods counted in pieces made into more
/// pieces or into grams, with no weight any record states.
#[test]
fn transformations_convert_counts_only_through_stated_weights() {
    let mut c = cast();
    let generic =
        |name: &str, amount, unit| new_asset(Product::Generic(Generic { name: name.into() }), amount, unit);
    let transform = |inputs: Vec<AssetRef>, outputs: Vec<NewAsset>| {
        Act::Transform(Transform { process: "repack".into(), inputs, outputs, allowances: vec![] })
    };
    let boxes = c.w.commission(&c.coop, vec![generic("box", 100, Unit::Piece)]).remove(0);
    let more = transform(vec![boxes.reference()], vec![generic("box", 1_000_000, Unit::Piece)]);
    assert_eq!(code(c.w.submit(&c.coop, more)), "mass_unknown");
    let one = c.w.commission(&c.coop, vec![generic("crate", 1, Unit::Piece)]).remove(0);
    let heavy = transform(vec![one.reference()], vec![generic("grain", 9_000_000_000_000_000, Unit::Gram)]);
    assert_eq!(code(c.w.submit(&c.coop, heavy)), "mass_unknown");
    let flour = c.w.commission(&c.coop, vec![generic("flour", 1_000, Unit::Gram)]).remove(0);
    let both = transform(
        vec![flour.reference()],
        vec![generic("bun", 1_000, Unit::Piece), generic("flour", 1_000, Unit::Gram)],
    );
    assert_eq!(code(c.w.submit(&c.coop, both)), "mass_unknown");
    let five = transform(vec![flour.reference()], vec![generic("dough", 5_000, Unit::Gram)]);
    assert_eq!(code(c.w.submit(&c.coop, five)), "transform_creates_quantity");
    // Weighed, the boxes may become what they weigh and no more.
    weigh(&mut c, &boxes, 5_000);
    let boxes = c.w.asset(boxes.id);
    assert_eq!(boxes.weighed_g, Some(5_000));
    let over = transform(vec![boxes.reference()], vec![generic("pulp", 5_001, Unit::Gram)]);
    assert_eq!(code(c.w.submit(&c.coop, over)), "transform_creates_quantity");
    let exact = transform(vec![boxes.reference()], vec![generic("pulp", 5_000, Unit::Gram)]);
    c.w.submit(&c.coop, exact).expect("as much as was weighed");
}

/// Who may create goods (rules version 2): growers commission cattle and tea, processors beef,
/// nobody else anything; only growers and processors transform.
#[test]
fn only_growers_and_processors_create_goods() {
    let mut c = cast();
    let herd = Act::Commission(Commission::new(vec![cattle("253282200000123")]));
    assert_eq!(code(c.w.submit(&c.bank, herd.clone())), "role_not_permitted");
    assert_eq!(code(c.w.submit(&c.trader, herd)), "role_not_permitted");
    let tea = Act::Commission(Commission::new(vec![lot_of("Laobanzhang", 500)]));
    assert_eq!(code(c.w.submit(&c.trader, tea.clone())), "role_not_permitted");
    assert_eq!(code(c.w.submit(&c.warehouse, tea)), "role_not_permitted");
    let lot = c.w.commission(&c.coop, vec![lot_of("Hekai", 10)]).remove(0);
    c.w.submit(&c.coop, Act::Transfer(Transfer { assets: vec![lot.reference()], to: party(&c.trader) }))
        .expect("sold");
    let lot = c.w.asset(lot.id);
    let repack = Act::Transform(Transform::new("repack", vec![lot.reference()], vec![lot_of("Hekai", 10)]));
    assert_eq!(code(c.w.submit(&c.trader, repack)), "role_not_permitted");
}

#[test]
fn packed_cakes_travel_with_their_lot() {
    let mut c = cast();
    let cake = NewAsset {
        product: Product::TeaCake(TeaCake {
            origin: origin("Hekai"),
            pressed_on: Date::from_ymd(2026, 4, 20).expect("d"),
            weight_g: 357,
        }),
        quantity: Quantity::new(1, Unit::Piece).expect("q"),
        gs1: None,
        part_of: Some(0),
        units: None,
    };
    let assets = c.w.commission(&c.coop, vec![lot_of("Hekai", 2), cake.clone(), cake]);
    assert_eq!(assets[1].status, Status::Contained { holder: assets[0].id });
    c.w.submit(&c.coop, Act::Pledge(Pledge { asset: assets[0].reference(), financier: party(&c.bank) }))
        .expect("pledge the lot");
    for act in [
        Act::Transfer(Transfer { assets: vec![assets[1].reference()], to: party(&c.trader) }),
        Act::Retire(Retire { asset: assets[2].reference(), reason: "sold".into() }),
        Act::Pledge(Pledge { asset: assets[1].reference(), financier: party(&c.bank) }),
    ] {
        assert_eq!(code(c.w.submit(&c.coop, act)), "asset_contained");
    }
}

#[test]
fn events_come_from_who_may_state_them() {
    let mut c = cast();
    let lot = c.w.commission(&c.coop, vec![lot_of("Hekai", 10)]).remove(0);
    c.w.submit(&c.coop, Act::Custody(Custody { assets: vec![lot.reference()], to: party(&c.warehouse) }))
        .expect("to the warehouse");
    let lot = c.w.asset(lot.id);
    let event = |event| Act::Observe(Observe { assets: vec![lot.reference()], event, attachments: vec![] });
    let storage = || event(Event::Storage { location: "Hall 1".into() });
    assert_eq!(code(c.w.submit(&c.coop, storage())), "event_not_yours", "the owner is not the custodian");
    assert_eq!(code(c.w.submit(&c.vet, storage())), "event_not_yours");
    assert_eq!(code(c.w.submit(&c.trader, event(Event::Note { text: "nice".into() }))), "event_not_yours");
    let cert = event(Event::LabCertificate {
        laboratory: "Pu'er QC Lab".into(),
        certificate: "QC-1".into(),
        result: "pass".into(),
    });
    assert_eq!(code(c.w.submit(&c.vet, cert)), "accepted");
}

#[test]
fn keys_are_claimed_once_and_only_by_their_holder() {
    let mut c = cast();
    let coop = party(&c.coop);
    // A proof made for another party does not authorise the device here.
    let stolen = AuthoriseDevice::new(&key(30), &party(&c.trader), ORIGIN, "not mine");
    assert_eq!(code(c.w.submit(&c.coop, Act::AuthoriseDevice(stolen))), "no_proof_of_possession");
    let mut forged = AuthoriseDevice::new(&key(30), &coop, ORIGIN, "forged");
    forged.device = key(31).public();
    assert_eq!(code(c.w.submit(&c.coop, Act::AuthoriseDevice(forged))), "no_proof_of_possession");
    // A party's key cannot become a device, and a device's key cannot become a party.
    assert_eq!(
        code(c.w.submit(&c.coop, Act::AuthoriseDevice(AuthoriseDevice::new(&c.trader, &coop, ORIGIN, "x")))),
        "device_exists"
    );
    c.w.submit(&c.coop, Act::AuthoriseDevice(AuthoriseDevice::new(&key(32), &coop, ORIGIN, "station")))
        .expect("authorise");
    let op = terroir_shared::crypto::Keypair::from_seed(c.w.operator.seed());
    let register = Act::RegisterParty(RegisterParty {
        id: party(&key(32)),
        name: "X".into(),
        roles: [Role::Farm].into(),
        contact: None,
    });
    assert_eq!(code(c.w.submit(&op, register)), "device_exists");
}

#[test]
fn a_custodian_cannot_move_pledged_goods_and_lists_are_bounded() {
    let mut c = cast();
    let lot = c.w.commission(&c.coop, vec![lot_of("Hekai", 20_000)]).remove(0);
    c.w.submit(&c.coop, Act::Custody(Custody { assets: vec![lot.reference()], to: party(&c.warehouse) }))
        .expect("store");
    let lot = c.w.asset(lot.id);
    c.w.submit(&c.coop, Act::Pledge(Pledge { asset: lot.reference(), financier: party(&c.bank) }))
        .expect("pledge");
    let lot = c.w.asset(lot.id);
    let back = Act::Custody(Custody { assets: vec![lot.reference()], to: party(&c.coop) });
    assert_eq!(code(c.w.submit(&c.warehouse, back)), "asset_pledged");
    // A holder hands goods back to their owner, never on to someone else (rules version 2).
    let elsewhere = Act::Custody(Custody { assets: vec![lot.reference()], to: party(&c.trader) });
    assert_eq!(code(c.w.submit(&c.warehouse, elsewhere)), "custody_not_owner");
    c.w.submit(&c.bank, Act::Release(Release { asset: lot.reference() })).expect("release");
    let lot = c.w.asset(lot.id);
    let parts = (0..10_001).map(|_| Part { amount: 2, gs1: None, units: vec![] }).collect();
    assert_eq!(code(c.w.submit(&c.coop, Act::Split(Split { asset: lot.reference(), parts }))), "too_many");
}

#[test]
fn a_lot_can_generate_one_token_per_cake() {
    use terroir_shared::rules::{self, LedgerView};
    let mut c = cast();
    let link = DigitalLink::parse("/01/09506000134352/10/BL-7").expect("link");
    let mut lot = lot_of("Hekai", 120);
    lot.gs1 = Some(link.clone());
    lot.units = Some(UnitTokens { serial_digits: 3 });
    let record = c.w.sign(&c.coop, party(&c.coop), Act::Commission(Commission::new(vec![lot.clone()])));
    // The exact-state snapshot of needs() judges it like the full ledger, generated keys included.
    let needs = rules::needs(&record, terroir_shared::rules::Rules::CURRENT);
    assert_eq!(needs.identity_keys.len(), 122, "the lot's key, 120 cake keys and a garden cap's");
    let ctx = c.w.ctx();
    let id = c.w.ledger.submit(&record, &ctx).expect("accepted");
    let holder = AssetId::derive(&id, 0);
    for n in 1..=120u32 {
        let cake = c.w.asset(AssetId::derive(&id, n));
        assert_eq!(cake.status, Status::Contained { holder });
        assert_eq!(cake.gs1.as_ref().and_then(|l| l.serial()), Some(format!("{n:03}").as_str()));
        assert!(matches!(&cake.product, Product::TeaCake(t) if t.weight_g == 357));
    }
    assert!(c.w.ledger.holder_of("gs1:/01/09506000134352/10/BL-7/21/120").is_some());
    // The same lot number again is taken, cake keys included; refusals say why.
    let again = Act::Commission(Commission::new(vec![lot.clone()]));
    assert_eq!(code(c.w.submit(&c.coop, again)), "identity_taken");
    let mut narrow = lot.clone();
    narrow.gs1 = Some(DigitalLink::parse("/01/09506000134352/10/BL-8").expect("link"));
    narrow.units = Some(UnitTokens { serial_digits: 2 });
    assert_eq!(code(c.w.submit(&c.coop, Act::Commission(Commission::new(vec![narrow])))), "bad_unit_tokens");
    let mut unkeyed = lot.clone();
    unkeyed.gs1 = None;
    assert_eq!(code(c.w.submit(&c.coop, Act::Commission(Commission::new(vec![unkeyed])))), "bad_unit_tokens");
    let mut leaf = new_asset(maocha("Hekai"), 500, Unit::Gram);
    leaf.units = Some(UnitTokens { serial_digits: 3 });
    assert_eq!(code(c.w.submit(&c.coop, Act::Commission(Commission::new(vec![leaf])))), "bad_unit_tokens");
}
