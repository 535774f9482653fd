//! The station's forms as the window sends them, and their translation into the ledger's acts.
//! Every value is checked here with the clerk's field name; what the rules decide (heads,
//! ownership, conservation) is checked by the rules themselves before anything is stored.
//!
//! - `fields`: one value each (a name, a date, a GTIN, a key, an asset at its known head)
//! - `goods`: new goods (an animal, a herd from CSV, a tea pressing, a garden's cap)
//! - `acts`: events and acts on goods the station knows

use serde::Deserialize;
use terroir_shared::asset::{Asset, AssetId};
use terroir_shared::gs1::Gtin;

mod acts;
mod fields;
mod goods;

pub use acts::{act, attachment, event};
pub use fields::{date, gtin, party};
pub use goods::{cake_of, cattle, cattle_csv, garden_cap, tea_batch};

/// The usual weight of a Pu'er bing cake.
pub const DEFAULT_CAKE_WEIGHT_G: u32 = 357;

/// A file the clerk attached (a photo, a lab certificate), sent by the window as base64.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct FileInput {
    pub name: String,
    pub media_type: String,
    pub base64: String,
}

/// One animal.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct CattleForm {
    pub ear_tag: String,
    /// `iso11784`, `china`, or empty to recognise it.
    #[serde(default)]
    pub scheme: String,
    pub breed: String,
    pub sex: String,
    pub birth_date: String,
    pub holding: String,
    #[serde(default)]
    pub photo: Option<FileInput>,
}

/// A pressing of tea cakes: one token per cake, and the lot that holds them.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct TeaBatchForm {
    pub garden: String,
    #[serde(default)]
    pub mountain: String,
    pub harvest_season: String,
    pub pressed_on: String,
    /// Grams; 357 when absent.
    #[serde(default)]
    pub cake_weight_g: Option<u32>,
    pub count: u64,
    pub lot_number: String,
    /// `lot` (loose cakes, the default), `tong` or `jian`.
    #[serde(default)]
    pub packing: String,
}

/// A garden's cap for a season: its area and what a square metre yields, in grams of maocha.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct GardenForm {
    pub garden: String,
    pub season: String,
    pub area_m2: u64,
    pub yield_g_per_m2: u64,
}

/// The most a square metre of tea garden is taken to yield: far above any real harvest, low
/// enough to catch kilograms typed as grams.
pub const MAX_YIELD_G_PER_M2: u64 = 10_000;

/// An event about one or more assets.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase", tag = "event")]
pub enum EventForm {
    Vaccination { vaccine: String, withdrawal_until: String },
    Weighing { mass_g: u64 },
    Movement { from: String, to: String },
    Picking { garden: String, mass_g: u64 },
    Pressing { press: String },
    Storage { location: String },
    LabCertificate { laboratory: String, certificate: String, result: String },
    Note { text: String },
}

/// One output of a cutting: the cut's name and its weight.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct CutForm {
    pub cut: String,
    pub grams: u64,
}

/// Every act on existing assets. Assets are named by id; the station adds the head it knows.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase", tag = "act")]
pub enum ActForm {
    #[serde(rename_all = "camelCase")]
    Event {
        assets: Vec<String>,
        event: EventForm,
        #[serde(default)]
        attachment: Option<FileInput>,
    },
    #[serde(rename_all = "camelCase")]
    Split { asset: String, parts: Vec<u64> },
    #[serde(rename_all = "camelCase")]
    Merge { assets: Vec<String> },
    /// Live animal → carcass.
    #[serde(rename_all = "camelCase")]
    Slaughter {
        asset: String,
        carcass_g: u64,
        #[serde(default)]
        grade: String,
    },
    /// Carcass (or a larger cut) → cuts.
    #[serde(rename_all = "camelCase")]
    Cut { asset: String, cuts: Vec<CutForm> },
    /// Maocha → a lot of pressed cakes, one token per cake.
    #[serde(rename_all = "camelCase")]
    Press { assets: Vec<String>, batch: TeaBatchForm },
    #[serde(rename_all = "camelCase")]
    Transfer { assets: Vec<String>, to: String },
    #[serde(rename_all = "camelCase")]
    Custody { assets: Vec<String>, to: String },
    #[serde(rename_all = "camelCase")]
    Pledge { asset: String, financier: String },
    #[serde(rename_all = "camelCase")]
    Release { asset: String },
    #[serde(rename_all = "camelCase")]
    Retire { asset: String, reason: String },
    /// A cake (a unit packed in a lot) taken out of its lot, to be sold alone.
    #[serde(rename_all = "camelCase")]
    TakeOut { asset: String },
}

/// An asset as the station sees it now, by id.
pub type AssetLookup<'a> = Box<dyn Fn(&AssetId) -> Option<Asset> + 'a>;

/// What a form needs to know about the ledger: assets as the station sees them, and the
/// co-op's GS1 company settings.
pub struct Lookup<'a> {
    pub asset: AssetLookup<'a>,
    pub tea_gtin: Option<Gtin>,
    pub cattle_gtin: Option<Gtin>,
}

#[cfg(test)]
mod tests {
    use terroir_shared::asset::{Product, Quantity, Unit};
    use terroir_shared::record::UnitTokens;

    use super::*;
    use crate::error::StationError;

    fn no_assets(_: &AssetId) -> Option<Asset> {
        None
    }

    fn lookup() -> Lookup<'static> {
        Lookup {
            asset: Box::new(no_assets),
            tea_gtin: Some(Gtin::parse("06901234567892").expect("gtin")),
            cattle_gtin: None,
        }
    }

    fn field_of(e: StationError) -> String {
        match e {
            StationError::Input { field, .. } => field,
            other => panic!("not an input error: {other}"),
        }
    }

    #[test]
    fn a_cattle_form_checks_every_field_by_name() {
        let good = CattleForm {
            ear_tag: "253282200000017".into(),
            breed: "Yunling".into(),
            sex: "male".into(),
            birth_date: "2024-05-01".into(),
            holding: "532822-001".into(),
            ..CattleForm::default()
        };
        let asset = cattle(&good, &lookup()).expect("valid");
        assert!(matches!(asset.product, Product::LiveCattle(_)));
        let bad_tag = CattleForm { ear_tag: "12345".into(), ..good.clone() };
        assert_eq!(field_of(cattle(&bad_tag, &lookup()).expect_err("short tag")), "earTag");
        let bad_date = CattleForm { birth_date: "01/05/2024".into(), ..good.clone() };
        assert_eq!(field_of(cattle(&bad_date, &lookup()).expect_err("date")), "birthDate");
        let bad_sex = CattleForm { sex: "bull".into(), ..good.clone() };
        assert_eq!(field_of(cattle(&bad_sex, &lookup()).expect_err("sex")), "sex");
        let no_breed = CattleForm { breed: "  ".into(), ..good };
        assert_eq!(field_of(cattle(&no_breed, &lookup()).expect_err("breed")), "breed");
    }

    #[test]
    fn a_csv_is_read_whole_and_its_bad_lines_are_named() {
        let csv = "ear_tag,breed,sex,birth_date,holding\n253282200000017,Yunling,Male,2024-05-01,H1\n\
                   156000000000123,Simmental,female,2023-03-02,H1\n";
        let forms = cattle_csv(csv).expect("two animals");
        assert_eq!(forms.len(), 2);
        assert_eq!(forms[0].sex, "male");
        assert!(cattle_csv("tag,breed\n1,2\n").is_err());
        let ragged = "ear_tag,breed,sex,birth_date,holding\n253282200000017,Yunling\n";
        assert_eq!(cattle_csv(ragged).expect_err("ragged")[0].0, 2);
        assert!(cattle_csv("ear_tag,breed,sex,birth_date,holding\n").is_err());
    }

    #[test]
    fn a_tea_batch_is_one_lot_with_a_token_per_cake() {
        let form = TeaBatchForm {
            garden: "Laobanzhang".into(),
            harvest_season: "2026 spring".into(),
            pressed_on: "2026-05-02".into(),
            count: 300,
            lot_number: "LBZ26SP".into(),
            ..TeaBatchForm::default()
        };
        let lot = tea_batch(&form, &lookup()).expect("valid");
        assert_eq!(lot.quantity.amount(), 300);
        assert_eq!(lot.units, Some(UnitTokens { serial_digits: 3 }));
        let Product::TeaLot(l) = &lot.product else { panic!("a lot") };
        assert_eq!(l.cake_weight_g, DEFAULT_CAKE_WEIGHT_G);
        assert_eq!(lot.gs1.as_ref().and_then(|g| g.lot()), Some("LBZ26SP"));
        let zero = TeaBatchForm { count: 0, ..form.clone() };
        assert_eq!(field_of(tea_batch(&zero, &lookup()).expect_err("zero")), "count");
        let bad_lot = TeaBatchForm { lot_number: "lot with spaces".into(), ..form.clone() };
        assert_eq!(field_of(tea_batch(&bad_lot, &lookup()).expect_err("lot")), "lotNumber");
        let no_gtin = Lookup { tea_gtin: None, ..lookup() };
        assert!(matches!(tea_batch(&form, &no_gtin), Err(StationError::NotReady(_))));
    }

    #[test]
    fn a_garden_cap_is_area_times_yield_checked_field_by_field() {
        let form = GardenForm {
            garden: " Laobanzhang ".into(),
            season: "2026 spring".into(),
            area_m2: 1_200,
            yield_g_per_m2: 80,
        };
        let cap = garden_cap(&form).expect("valid");
        assert_eq!(cap.quantity, Quantity::new(96_000, Unit::Gram).expect("q"));
        assert!(
            matches!(&cap.product, Product::TeaGarden(g) if g.garden == "Laobanzhang" && g.issued_g == 0)
        );
        let field = |f: GardenForm| field_of(garden_cap(&f).expect_err("refused"));
        assert_eq!(field(GardenForm { area_m2: 0, ..form.clone() }), "areaM2");
        assert_eq!(field(GardenForm { yield_g_per_m2: 80_000, ..form.clone() }), "yieldGPerM2");
        assert_eq!(field(GardenForm { area_m2: u64::MAX, ..form.clone() }), "areaM2");
        assert_eq!(field(GardenForm { season: " ".into(), ..form }), "season");
    }

    #[test]
    fn acts_on_unknown_assets_are_refused_before_signing() {
        let unknown = "ab".repeat(32);
        let form = ActForm::Split { asset: unknown, parts: vec![1, 2] };
        assert_eq!(field_of(act(&form, &lookup(), None).expect_err("unknown")), "asset");
        let form = ActForm::Transfer { assets: vec![], to: "00".repeat(32) };
        assert_eq!(field_of(act(&form, &lookup(), None).expect_err("empty")), "assets");
    }
}
