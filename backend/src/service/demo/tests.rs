//! Unit tests of the demo ledger: it replays, keeps its promises and stays the same for a seed.

use std::collections::HashMap;

use terroir_shared::Hash;
use terroir_shared::asset::{Asset, AssetId, Product, Status};
use terroir_shared::calendar::{Date, Timestamp};
use terroir_shared::crypto::Keypair;
use terroir_shared::gs1::{DigitalLink, Gtin};
use terroir_shared::party::PartyId;
use terroir_shared::record::{Act, Event, Observe, Record, Signed};
use terroir_shared::rules::{Context, MemoryLedger, Rules};

use super::cattle::{CUTS, CUTS_SOLD_TO_TRADER};
use super::tea::TRADER_SPLIT;
use super::*;

const ORIGIN: &str = "demo.terroir.example/log";
/// 2026-03-01T00:00:00Z.
const START: u64 = 1_772_323_200_000;
const SEED: [u8; 32] = [42; 32];

fn operator() -> Keypair {
    Keypair::from_seed(&[7; 32])
}

fn records(seed: [u8; 32]) -> Vec<Signed<Record>> {
    demo_records(ORIGIN, &operator(), seed, Timestamp(START)).expect("the demo builds")
}

/// Submits every record as the server would, with `now` at the last record's time.
fn replay(records: &[Signed<Record>]) -> MemoryLedger {
    let now = demo_end(records).expect("records");
    let ctx = Context { origin: ORIGIN, operator: PartyId(operator().public()), rules: Rules::CURRENT, now };
    let mut ledger = MemoryLedger::new();
    for (i, r) in records.iter().enumerate() {
        if let Err(v) = ledger.submit(r, &ctx) {
            panic!("record {i} ({}) refused: {} ({v})", r.body().act.name(), v.code());
        }
    }
    ledger
}

fn count(ledger: &MemoryLedger, f: impl Fn(&Asset) -> bool) -> usize {
    ledger.assets().filter(|a| f(a)).count()
}

#[test]
fn every_record_is_accepted_in_order_and_in_time() {
    let records = records(SEED);
    replay(&records);
    let times: Vec<u64> = records.iter().map(|r| r.body().at.millis()).collect();
    assert_eq!(times.first(), Some(&START));
    assert!(times.windows(2).all(|w| w[0] < w[1]), "strictly increasing");
    let last = times.last().copied().unwrap_or_default();
    assert!(last < START + DEMO_SPAN_DAYS * DAY_MS);
    assert!(last > START + 20 * DAY_MS, "spread over weeks");
    // Each step of the story happens on the day it is written for: none is pushed later by
    // a step that ran long or was written out of order.
    let mut days: Vec<u64> = times.iter().map(|t| (t - START) / DAY_MS).collect();
    days.dedup();
    assert_eq!(
        days,
        [0, 1, 2, 3, 4, 6, 8, 11, 13, 20, 24, 26, 27, 28, 29],
        "days on which something happens"
    );
    // Each record is accepted at its own time too, as a live station would submit it.
    let mut ledger = MemoryLedger::new();
    for r in &records {
        let ctx = Context {
            origin: ORIGIN,
            operator: PartyId(operator().public()),
            rules: Rules::CURRENT,
            now: r.body().at,
        };
        ledger.submit(r, &ctx).expect("accepted at its own time");
    }
}

#[test]
fn the_story_holds_what_it_promises() {
    let records = records(SEED);
    let ledger = replay(&records);
    let keys = DemoKeys::derive(&operator(), SEED);
    assert_eq!(ledger.parties().count(), 8);
    // Some records are signed by station devices, some by the parties' own keys.
    let by_device = records.iter().filter(|r| r.body().signer != r.body().party.0).count();
    assert!(by_device >= 10, "{by_device} records signed by devices");

    let cakes = count(&ledger, |a| matches!(a.product, Product::TeaCake(_)));
    assert_eq!(cakes as u64, DEMO_CAKES);
    assert!(cakes >= 200);
    let cattle = count(&ledger, |a| matches!(a.product, Product::LiveCattle(_)));
    assert_eq!(cattle as u32, DEMO_HERD_CHINA + DEMO_HERD_ISO);
    assert!(cattle >= 30);
    let iso = count(&ledger, |a| match &a.product {
        Product::LiveCattle(c) => c.ear_tag.code().starts_with("156"),
        _ => false,
    });
    assert_eq!(iso as u32, DEMO_HERD_ISO);
    let carcasses = count(&ledger, |a| matches!(a.product, Product::Carcass(_)));
    assert_eq!(carcasses, DEMO_SLAUGHTERED);
    let cuts = count(&ledger, |a| matches!(a.product, Product::BeefCut(_)));
    assert_eq!(cuts, DEMO_CARCASSES_CUT * CUTS.len());

    let pledged = count(&ledger, |a| {
        a.status == Status::Pledged { financier: keys.financier.id() }
            && matches!(a.product, Product::TeaLot(_))
            && a.owner == keys.tea_coop.id()
    });
    assert_eq!(pledged, 1);
    let stored_for_others = count(&ledger, |a| {
        a.custodian == keys.warehouse.id()
            && a.owner != keys.warehouse.id()
            && !matches!(a.status, Status::Contained { .. })
    });
    assert_eq!(stored_for_others, 1);
    // Every cake is owned and held as the lot it is packed in is, wherever its lot went.
    let mut packed = 0;
    for cake in ledger.assets().filter(|a| matches!(a.product, Product::TeaCake(_))) {
        if let Status::Contained { holder } = cake.status {
            let lot = ledger.assets().find(|a| a.id == holder).expect("its lot");
            assert!(lot.contents.iter().flat_map(|r| r.ids()).any(|id| id == cake.id), "listed by its lot");
            assert_eq!((cake.owner, cake.custodian), (lot.owner, lot.custodian), "cake {}", cake.id);
            assert!(!matches!(lot.status, Status::Consumed), "no cake is left in a used-up lot");
            packed += 1;
        }
    }
    assert_eq!(packed, 299, "every cake is in a lot but the one sold alone");
    let retired = count(&ledger, |a| {
        matches!(a.status, Status::Retired { .. })
            && matches!(a.product, Product::BeefCut(_))
            && a.owner == keys.trader.id()
    });
    assert_eq!(retired, 1);
    let tea_house_lots =
        count(&ledger, |a| a.owner == keys.tea_house.id() && a.quantity.amount() == TRADER_SPLIT[1] - 1);
    assert_eq!(tea_house_lots, 1);
    // One cake taken out of the tea house's lot and sold on its own.
    let sold_alone = count(&ledger, |a| {
        matches!(a.product, Product::TeaCake(_))
            && matches!(a.status, Status::Retired { .. })
            && a.owner == keys.tea_house.id()
    });
    assert_eq!(sold_alone, 1);
    // The three hides, baled into one.
    let bales: Vec<&Asset> = ledger
        .assets()
        .filter(|a| {
            matches!(&a.product, Product::Generic(g) if g.name == "hide") && a.status == Status::Active
        })
        .collect();
    assert_eq!(bales.len(), 1);
    assert_eq!(bales[0].parents.len(), DEMO_SLAUGHTERED);
    let trader_cuts =
        count(&ledger, |a| a.owner == keys.trader.id() && matches!(a.product, Product::BeefCut(_)));
    assert_eq!(trader_cuts, CUTS_SOLD_TO_TRADER);
    // Laobanzhang's cap counts its maocha, and only that: pressing the blend added nothing.
    let caps: Vec<_> = ledger
        .assets()
        .filter_map(|a| match &a.product {
            Product::TeaGarden(g) => Some((g.garden.as_str(), g.issued_g, a.quantity.amount())),
            _ => None,
        })
        .collect();
    assert_eq!(caps, [("Laobanzhang", 62_400, 96_000)]);
}

#[test]
fn no_animal_is_slaughtered_before_its_withdrawal_date() {
    let mut withdrawal: HashMap<AssetId, Date> = HashMap::new();
    let mut slaughtered = 0;
    for r in records(SEED) {
        let (at, act) = (r.body().at, &r.body().act);
        match act {
            Act::Observe(Observe { assets, event: Event::Vaccination { withdrawal_until, .. }, .. }) => {
                for a in assets {
                    let until = withdrawal.entry(a.id).or_insert(*withdrawal_until);
                    *until = (*until).max(*withdrawal_until);
                }
            }
            Act::Transform(t) if t.process == "slaughter" => {
                for a in &t.inputs {
                    let until = withdrawal.get(&a.id).expect("vaccinated");
                    assert!(Date::of(at) >= *until, "slaughtered before {until}");
                    slaughtered += 1;
                }
            }
            _ => {}
        }
    }
    assert_eq!(slaughtered, DEMO_SLAUGHTERED);
}

#[test]
fn records_survive_the_wire_form() {
    use terroir_shared::record::Envelope;
    for r in records(SEED) {
        let json = serde_json::to_vec(&r).expect("serialises");
        let back = Envelope::<Record>::from_json(&json).expect("parses strictly").verify().expect("verifies");
        assert_eq!(back.id(), r.id());
    }
}

#[test]
fn gs1_keys_carry_valid_check_digits_and_parse_back() {
    let ledger = replay(&records(SEED));
    let links: Vec<&DigitalLink> = ledger.assets().filter_map(|a| a.gs1.as_ref()).collect();
    assert!(links.len() as u64 > DEMO_CAKES);
    for l in links {
        assert!(Gtin::parse_gtin14(l.gtin().as_str()).is_ok(), "{l}");
        assert!(l.gtin().as_str().starts_with("06958823"));
        assert_eq!(DigitalLink::parse(&l.to_path()).as_ref(), Ok(l));
    }
}

#[test]
fn the_same_seed_gives_the_same_ledger_and_another_seed_another() {
    let ids = |seed| -> Vec<Hash> { records(seed).iter().map(Signed::id).collect() };
    let a = ids(SEED);
    assert_eq!(a, ids(SEED));
    let b = ids([43; 32]);
    assert_eq!(a.len(), b.len());
    assert!(a.iter().zip(&b).all(|(x, y)| x != y));
}

/// Pins the story for one seed and start: any change to what the demo signs, or in what
/// order, shows up here.
#[test]
fn the_ledger_for_a_fixed_seed_and_start_is_pinned() {
    let ids: Vec<String> = records(SEED).iter().map(|r| r.id().to_hex()).collect();
    assert_eq!(ids.len(), 82);
    assert_eq!(
        ids.first().map(String::as_str),
        Some("10945d4e7a3311721c87db76ee2cdb1cfc6664d681f3966a0c089e2375772911")
    );
    assert_eq!(
        ids.last().map(String::as_str),
        Some("4e982cf5e27b6c73eb4804186cb495dfed59021f5861bc3d7f60e789748328db")
    );
}

#[test]
fn describe_counts_records_by_act() {
    let records = records(SEED);
    let text = describe(&records);
    // Every asset the ledger holds, the generated cake tokens included.
    let assets = replay(&records).assets().count();
    assert!(assets as u64 > DEMO_CAKES);
    assert!(text.starts_with(&format!("{} records, {assets} assets created", records.len())), "{text}");
    assert!(text.contains("register_party       8"), "{text}");
    assert!(text.contains("retire               2"), "{text}");
    assert!(text.contains("pledge               2"), "{text}");
    assert!(text.contains("release              1"), "{text}");
    assert_eq!(describe(&[]), "0 records, 0 assets created\n");
}

#[test]
fn a_start_beyond_what_records_can_carry_is_an_error_not_a_panic() {
    let far = Timestamp(1 << 60);
    assert!(demo_records(ORIGIN, &operator(), SEED, far).is_err());
}
