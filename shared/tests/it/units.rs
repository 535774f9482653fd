//! Units follow their lot (rules version 2): the cakes of a lot change owner and holder with it,
//! are re-homed by a split that names them, merged, retired, and taken out one by one by the
//! lot's owner; no cake is ever left in a used-up lot or with an owner who cannot move it.

use proptest::prelude::*;
use terroir_shared::asset::{Asset, AssetId, AssetRef, Status, UnitRange, take_by_count};
use terroir_shared::crypto::Keypair;
use terroir_shared::gs1::DigitalLink;
use terroir_shared::party::Role;
use terroir_shared::record::*;
use terroir_shared::rules::RuleViolation;

use crate::support::*;

fn code(r: Result<terroir_shared::Hash, RuleViolation>) -> &'static str {
    match r {
        Ok(_) => "accepted",
        Err(v) => v.code(),
    }
}

struct Trade {
    w: World,
    coop: Keypair,
    trader: Keypair,
    shop: Keypair,
    store: Keypair,
    bank: Keypair,
}

fn trade() -> Trade {
    let mut w = World::new();
    let (coop, trader, shop, store, bank) = (key(1), key(2), key(3), key(4), key(5));
    w.register(&coop, "Bulang Tea Co-op", &[Role::Cooperative]);
    w.register(&trader, "Menghai Trading", &[Role::Trader]);
    w.register(&shop, "Fangcun Tea House", &[Role::Trader]);
    w.register(&store, "Menghai Warehouse", &[Role::Warehouse]);
    w.register(&bank, "Credit Union", &[Role::Financier]);
    Trade { w, coop, trader, shop, store, bank }
}

/// A lot of `n` cakes with a token each, registered by the co-op: the lot and its cakes.
fn lot_with_cakes(t: &mut Trade, lot_no: &str, n: u64) -> (Asset, Vec<AssetId>) {
    let mut lot = lot_of("Hekai", n);
    lot.gs1 = Some(DigitalLink::parse(&format!("/01/09506000134352/10/{lot_no}")).expect("link"));
    lot.units = Some(UnitTokens { serial_digits: 3 });
    let created = t.w.commission(&t.coop, vec![lot]);
    let lot = created[0].clone();
    assert_eq!(lot.contents, vec![UnitRange { record: lot.created_by, first: 1, count: n as u32 }]);
    let cakes: Vec<AssetId> = lot.contents.iter().flat_map(UnitRange::ids).collect();
    assert_eq!(cakes.len() as u64, n);
    (lot, cakes)
}

fn all(w: &World, ids: &[AssetId]) -> Vec<Asset> {
    ids.iter().map(|id| w.asset(*id)).collect()
}

#[test]
fn cakes_change_hands_with_their_lot_and_stay_with_it_through_a_split() {
    let mut t = trade();
    let (lot, cakes) = lot_with_cakes(&mut t, "BL-1", 10);
    let sale = Act::Transfer(Transfer { assets: vec![lot.reference()], to: party(&t.trader) });
    let sold = t.w.submit(&t.coop, sale).expect("sold");
    for cake in all(&t.w, &cakes) {
        assert_eq!((cake.owner, cake.custodian, cake.head), (party(&t.trader), party(&t.trader), sold));
        assert_eq!(cake.status, Status::Contained { holder: lot.id });
    }
    // Held by a warehouse: the cakes too.
    let lot = t.w.asset(lot.id);
    t.w.submit(&t.trader, Act::Custody(Custody { assets: vec![lot.reference()], to: party(&t.store) }))
        .expect("stored");
    assert!(all(&t.w, &cakes).iter().all(|c| c.custodian == party(&t.store)));
    // A split must say which cakes go to which part: by count here, as a station does.
    let lot = t.w.asset(lot.id);
    let unnamed = Act::Split(Split {
        asset: lot.reference(),
        parts: vec![
            Part { amount: 6, gs1: None, units: vec![] },
            Part { amount: 4, gs1: None, units: vec![] },
        ],
    });
    assert_eq!(code(t.w.submit(&t.trader, unnamed)), "bad_units");
    let runs = take_by_count(&lot.contents, &[6, 4]).expect("by count");
    let wrong = Act::Split(Split {
        asset: lot.reference(),
        parts: vec![
            Part { amount: 6, gs1: None, units: runs[1].clone() },
            Part { amount: 4, gs1: None, units: runs[0].clone() },
        ],
    });
    assert_eq!(code(t.w.submit(&t.trader, wrong)), "bad_units", "the units do not add up to the amounts");
    let split = Act::Split(Split {
        asset: lot.reference(),
        parts: vec![
            Part { amount: 6, gs1: None, units: runs[0].clone() },
            Part { amount: 4, gs1: None, units: runs[1].clone() },
        ],
    });
    let id = t.w.submit(&t.trader, split).expect("split");
    let (a, b) = (AssetId::derive(&id, 0), AssetId::derive(&id, 1));
    let cakes_now = all(&t.w, &cakes);
    assert!(cakes_now[..6].iter().all(|c| c.status == Status::Contained { holder: a }));
    assert!(cakes_now[6..].iter().all(|c| c.status == Status::Contained { holder: b }));
    assert_eq!(t.w.asset(b).contents, runs[1]);
    // The trader sells part b on: its four cakes go with it; a's stay.
    let part_b = t.w.asset(b);
    t.w.submit(&t.trader, Act::Transfer(Transfer { assets: vec![part_b.reference()], to: party(&t.shop) }))
        .expect("sold on");
    let cakes_now = all(&t.w, &cakes);
    assert!(cakes_now[6..].iter().all(|c| c.owner == party(&t.shop)));
    assert!(cakes_now[..6].iter().all(|c| c.owner == party(&t.trader)));
}

#[test]
fn the_owner_takes_one_cake_out_to_sell_it_alone_but_not_from_a_pledged_lot() {
    let mut t = trade();
    let (lot, cakes) = lot_with_cakes(&mut t, "BL-2", 3);
    let first = t.w.asset(cakes[0]);
    // Nobody moves a packed cake on its own, not even the owner.
    let alone = Act::Transfer(Transfer { assets: vec![first.reference()], to: party(&t.shop) });
    assert_eq!(code(t.w.submit(&t.coop, alone.clone())), "asset_contained");
    let unpack = |lot: &Asset, cake: &Asset| {
        Act::Unpack(Unpack { holder: lot.reference(), units: vec![cake.reference()] })
    };
    assert_eq!(code(t.w.submit(&t.trader, unpack(&lot, &first))), "not_permitted", "not the owner");
    t.w.submit(&t.coop, Act::Pledge(Pledge { asset: lot.reference(), financier: party(&t.bank) }))
        .expect("pledged");
    let lot = t.w.asset(lot.id);
    assert_eq!(code(t.w.submit(&t.coop, unpack(&lot, &first))), "asset_pledged");
    t.w.submit(&t.bank, Act::Release(Release { asset: lot.reference() })).expect("released");
    let lot = t.w.asset(lot.id);
    t.w.submit(&t.coop, unpack(&lot, &first)).expect("taken out");
    let (lot, first) = (t.w.asset(lot.id), t.w.asset(first.id));
    assert_eq!((lot.quantity.amount(), first.status.clone()), (2, Status::Active));
    assert_eq!(lot.contents.iter().map(|r| r.count).sum::<u32>(), 2);
    t.w.submit(&t.coop, Act::Transfer(Transfer { assets: vec![first.reference()], to: party(&t.shop) }))
        .expect("one cake sold alone");
    // Taking out the last two uses the lot up; no cake is left in it.
    let rest: Vec<AssetRef> = all(&t.w, &cakes[1..]).iter().map(Asset::reference).collect();
    t.w.submit(&t.coop, Act::Unpack(Unpack { holder: lot.reference(), units: rest })).expect("emptied");
    assert_eq!(t.w.asset(lot.id).status, Status::Consumed);
    assert!(all(&t.w, &cakes[1..]).iter().all(|c| c.status == Status::Active));
}

#[test]
fn retiring_or_merging_a_lot_takes_its_cakes_along() {
    let mut t = trade();
    let (a, a_cakes) = lot_with_cakes(&mut t, "BL-3", 4);
    let (b, b_cakes) = lot_with_cakes(&mut t, "BL-4", 5);
    let merge = Act::Merge(Merge { assets: vec![a.reference(), b.reference()], gs1: None });
    let id = t.w.submit(&t.coop, merge).expect("merged");
    let merged = t.w.asset(AssetId::derive(&id, 0));
    assert_eq!(merged.contents.iter().map(|r| r.count).sum::<u32>(), 9);
    let cakes: Vec<AssetId> = a_cakes.iter().chain(&b_cakes).copied().collect();
    assert!(all(&t.w, &cakes).iter().all(|c| c.status == Status::Contained { holder: merged.id }));
    let retire = Act::Retire(Retire { asset: merged.reference(), reason: "sold at the co-op's shop".into() });
    t.w.submit(&t.coop, retire).expect("retired");
    assert!(all(&t.w, &cakes).iter().all(|c| matches!(c.status, Status::Retired { .. })));
}

#[derive(Clone, Debug)]
enum Move {
    Sell { lot: usize, to: usize },
    SplitByCount { lot: usize, first: u8 },
    Merge { a: usize, b: usize },
    Unpack { lot: usize, cake: usize },
    Pledge { lot: usize },
    Release { lot: usize },
}

fn a_move() -> impl Strategy<Value = Move> {
    prop_oneof![
        (any::<usize>(), 0..3usize).prop_map(|(lot, to)| Move::Sell { lot, to }),
        (any::<usize>(), any::<u8>()).prop_map(|(lot, first)| Move::SplitByCount { lot, first }),
        (any::<usize>(), any::<usize>()).prop_map(|(a, b)| Move::Merge { a, b }),
        (any::<usize>(), any::<usize>()).prop_map(|(lot, cake)| Move::Unpack { lot, cake }),
        any::<usize>().prop_map(|lot| Move::Pledge { lot }),
        any::<usize>().prop_map(|lot| Move::Release { lot }),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 48, ..ProptestConfig::default() })]

    /// Every live cake always has an owner who can move it: on its own, or by moving the live
    /// lot it is packed in, whose owner and holder it shares.
    #[test]
    fn every_live_unit_has_an_owner_who_can_move_it(moves in prop::collection::vec(a_move(), 1..40)) {
        let mut t = trade();
        let owners = [t.coop.seed(), t.trader.seed(), t.shop.seed()].map(Keypair::from_seed);
        let (first, mut cakes) = lot_with_cakes(&mut t, "P-1", 12);
        let (second, more) = lot_with_cakes(&mut t, "P-2", 7);
        cakes.extend(more);
        let mut lots = vec![first.id, second.id];
        for m in moves {
            let live: Vec<Asset> = lots.iter().map(|l| t.w.asset(*l)).filter(|l| l.status == Status::Active || matches!(l.status, Status::Pledged { .. })).collect();
            if live.is_empty() { break; }
            let owner_of = |a: &Asset| owners.iter().find(|k| party(k) == a.owner).expect("an owner");
            match m {
                Move::Sell { lot, to } => {
                    let l = &live[lot % live.len()];
                    let act = Act::Transfer(Transfer { assets: vec![l.reference()], to: party(&owners[to]) });
                    let _ = t.w.submit(owner_of(l), act);
                }
                Move::SplitByCount { lot, first } => {
                    let l = &live[lot % live.len()];
                    let n = l.quantity.amount();
                    if n < 2 { continue; }
                    let k = 1 + u64::from(first) % (n - 1);
                    let Some(runs) = take_by_count(&l.contents, &[k, n - k]) else { continue };
                    let parts = runs.into_iter().zip([k, n - k]).map(|(units, amount)| Part { amount, gs1: None, units }).collect();
                    if let Ok(id) = t.w.submit(owner_of(l), Act::Split(Split { asset: l.reference(), parts })) {
                        lots.extend([AssetId::derive(&id, 0), AssetId::derive(&id, 1)]);
                    }
                }
                Move::Merge { a, b } => {
                    let (x, y) = (&live[a % live.len()], &live[b % live.len()]);
                    if x.id == y.id { continue; }
                    let act = Act::Merge(Merge { assets: vec![x.reference(), y.reference()], gs1: None });
                    if let Ok(id) = t.w.submit(owner_of(x), act) {
                        lots.push(AssetId::derive(&id, 0));
                    }
                }
                Move::Unpack { lot, cake } => {
                    let l = &live[lot % live.len()];
                    let packed: Vec<AssetId> = l.contents.iter().flat_map(|r| r.ids().collect::<Vec<_>>()).collect();
                    if packed.is_empty() { continue; }
                    let c = t.w.asset(packed[cake % packed.len()]);
                    let _ = t.w.submit(owner_of(l), Act::Unpack(Unpack { holder: l.reference(), units: vec![c.reference()] }));
                }
                Move::Pledge { lot } => {
                    let l = &live[lot % live.len()];
                    let _ = t.w.submit(owner_of(l), Act::Pledge(Pledge { asset: l.reference(), financier: party(&t.bank) }));
                }
                Move::Release { lot } => {
                    let l = &live[lot % live.len()];
                    let _ = t.w.submit(&t.bank, Act::Release(Release { asset: l.reference() }));
                }
            }
            for cake in all(&t.w, &cakes) {
                match cake.status {
                    Status::Active | Status::Pledged { .. } => {}
                    Status::Contained { holder } => {
                        let lot = t.w.asset(holder);
                        prop_assert!(matches!(lot.status, Status::Active | Status::Pledged { .. }), "cake {} left in a {} lot", cake.id, lot.status);
                        prop_assert_eq!((cake.owner, cake.custodian), (lot.owner, lot.custodian));
                        prop_assert!(lot.contents.iter().any(|r| r.ids().any(|id| id == cake.id)));
                    }
                    ref other => prop_assert!(false, "cake {} is {other}", cake.id),
                }
            }
        }
    }
}
