//! Signs that a label was copied: a copied label is checked where, when and as often as the
//! genuine one could not be. Pure: the asset as the ledger knows it and its check counts in,
//! the signs out.
//!
//! The thresholds are deliberately loose, so that a genuine label does not warn:
//! - after the asset was retired (sold to the consumer, eaten), its buyer's household checks it
//!   in the first days ([`LATE_GRACE_MS`]), and a friend who gets it as a gift may later; more
//!   than [`LATE_CHECKS_ALLOWED`] checks after those first days are copies still on sale. A lot
//!   that was split or processed is not "after the end": its label still hangs on cartons of
//!   its parts, and its page shows where they went;
//! - one unit travels from where it was made, through a market, to where it is eaten:
//!   [`AREAS_PER_UNIT`] areas, each the regions within [`AREA_KM`] of one another. Checks from
//!   more areas than that per unit are copies in several places at once;
//! - a unit is checked by a few traders, the shop, the buyer and their guests:
//!   [`CHECKS_PER_UNIT`] checks per unit at most.

pub use terroir_shared::api::CloneSign;
use terroir_shared::asset::{Asset, Status, Unit};

use super::scans::{Region, Tally};

pub const LATE_CHECKS_ALLOWED: u64 = 3;
/// After a sale, the days in which checks are the buyer's own, not late.
pub const LATE_GRACE_MS: u64 = 14 * 24 * 60 * 60 * 1000;
pub const AREAS_PER_UNIT: u64 = 3;
/// Regions closer than this belong to one area (a province, a metropolitan region).
pub const AREA_KM: f64 = 500.0;
pub const CHECKS_PER_UNIT: u64 = 20;

/// The units a label stands for: the pieces or head it counts; a weighed item is one package.
pub fn units(asset: &Asset) -> u64 {
    match asset.quantity.unit() {
        Unit::Piece | Unit::Head => asset.quantity.amount().max(1),
        Unit::Gram => 1,
    }
}

/// Whether a check at `now` (ms since the epoch) comes after the asset left the chain for
/// good: retired more than [`LATE_GRACE_MS`] before (when the ledger does not say when, as on
/// a version 1 ledger, any check after retirement is).
pub fn is_late(asset: &Asset, now: u64) -> bool {
    matches!(asset.status, Status::Retired { .. })
        && asset.head_at.is_none_or(|at| now.saturating_sub(at.0) > LATE_GRACE_MS)
}

pub fn signs(asset: &Asset, tally: &Tally) -> Vec<CloneSign> {
    let units = units(asset);
    let mut out = Vec::new();
    if tally.late > LATE_CHECKS_ALLOWED {
        out.push(CloneSign::AfterEnd { late: tally.late, allowed: LATE_CHECKS_ALLOWED });
    }
    let allowed = AREAS_PER_UNIT.saturating_mul(units);
    let areas = areas(tally.regions.keys().copied());
    if areas > allowed {
        out.push(CloneSign::Regions { areas, allowed });
    }
    let allowed = CHECKS_PER_UNIT.saturating_mul(units);
    if tally.count > allowed {
        out.push(CloneSign::TooOften { count: tally.count, allowed });
    }
    out
}

/// How many areas the regions fall in: each region joins the first area whose first region is
/// within [`AREA_KM`], or starts a new one.
fn areas(regions: impl Iterator<Item = Region>) -> u64 {
    let mut centres: Vec<Region> = Vec::new();
    for r in regions {
        if !centres.iter().any(|c| c.distance_km(&r) <= AREA_KM) {
            centres.push(r);
        }
    }
    centres.len() as u64
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use terroir_shared::Hash;
    use terroir_shared::asset::{AssetId, Generic, Product, Quantity, TeaCake, TeaOrigin};
    use terroir_shared::calendar::Date;
    use terroir_shared::crypto::Keypair;
    use terroir_shared::party::PartyId;

    use super::*;

    fn cake(status: Status) -> Asset {
        let party = PartyId(Keypair::from_seed(&[1; 32]).public());
        Asset {
            id: AssetId(Hash::sha256(b"cake")),
            product: Product::TeaCake(TeaCake {
                origin: TeaOrigin {
                    garden: "G".into(),
                    mountain: None,
                    harvest_season: "2026 spring".into(),
                },
                pressed_on: Date::from_ymd(2026, 4, 1).expect("date"),
                weight_g: 357,
            }),
            quantity: Quantity::new(1, Unit::Piece).expect("q"),
            gs1: None,
            owner: party,
            custodian: party,
            status,
            parents: vec![],
            created_by: Hash::default(),
            head: Hash::default(),
            head_at: None,
            weighed_g: None,
            contents: Vec::new(),
        }
    }

    fn tally(count: u64, late: u64, regions: &[(i16, i16)]) -> Tally {
        Tally {
            count,
            late,
            first_at: Some(1),
            last_at: Some(2),
            regions: regions
                .iter()
                .map(|(lat, lon)| (Region { lat: *lat, lon: *lon }, 1))
                .collect::<BTreeMap<_, _>>(),
            reports: 0,
        }
    }

    #[test]
    fn a_genuine_cakes_life_gives_no_sign() {
        // Made in Menghai, traded in Kunming, sold in Guangzhou, drunk in Beijing? No: three areas.
        let t = tally(12, 2, &[(21, 100), (22, 100), (25, 102), (23, 113)]);
        assert_eq!(signs(&cake(Status::Active), &t), vec![]);
    }

    #[test]
    fn each_pattern_a_genuine_label_cannot_make_is_a_sign() {
        let far = [(21, 100), (23, 113), (31, 121), (40, 116)];
        assert_eq!(
            signs(&cake(Status::Active), &tally(5, 0, &far)),
            vec![CloneSign::Regions { areas: 4, allowed: 3 }]
        );
        let retired = cake(Status::Retired { reason: "sold".into() });
        assert_eq!(signs(&retired, &tally(9, 4, &[])), vec![CloneSign::AfterEnd { late: 4, allowed: 3 }]);
        assert_eq!(
            signs(&cake(Status::Active), &tally(21, 0, &[])),
            vec![CloneSign::TooOften { count: 21, allowed: 20 }]
        );
    }

    #[test]
    fn a_label_for_many_units_allows_as_many_more_checks() {
        let mut lot = cake(Status::Active);
        lot.product = Product::Generic(Generic { name: "box".into() });
        lot.quantity = Quantity::new(10, Unit::Piece).expect("q");
        assert_eq!(signs(&lot, &tally(200, 0, &[])), vec![]);
        assert_eq!(signs(&lot, &tally(201, 0, &[])), vec![CloneSign::TooOften { count: 201, allowed: 200 }]);
    }

    #[test]
    fn checks_are_late_only_after_the_first_days_of_a_retirement() {
        use terroir_shared::calendar::Timestamp;
        const DAY: u64 = 24 * 60 * 60 * 1000;
        let sold_at = 1_790_000_000_000;
        let mut sold = cake(Status::Retired { reason: "sold".into() });
        sold.head_at = Some(Timestamp(sold_at));
        assert!(!is_late(&sold, sold_at + DAY), "the buyer's household, the day after");
        assert!(!is_late(&sold, sold_at + 14 * DAY));
        assert!(is_late(&sold, sold_at + 15 * DAY), "a copy on a shelf weeks later");
        // A version 1 ledger does not say when: any check after retirement is late.
        sold.head_at = None;
        assert!(is_late(&sold, sold_at));
        // A lot split into parts, or a cake in its lot, has not left the chain for good.
        assert!(!is_late(&cake(Status::Consumed), sold_at + 100 * DAY));
        assert!(!is_late(&cake(Status::Contained { holder: AssetId(Hash::default()) }), sold_at + 100 * DAY));
    }
}
