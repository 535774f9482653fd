//! New goods: an animal, a herd from a CSV file, a pressing of tea with a token per cake, a
//! garden's cap for a season.

use terroir_shared::asset::{
    Cattle, Packing, Product, Quantity, Sex, TeaCake, TeaGarden, TeaLot, TeaOrigin, Unit,
};
use terroir_shared::ear_tag::{EarTag, EarTagScheme};
use terroir_shared::gs1::DigitalLink;
use terroir_shared::record::{NewAsset, UnitTokens};

use super::fields::{date, text};
use super::{CattleForm, DEFAULT_CAKE_WEIGHT_G, GardenForm, Lookup, MAX_YIELD_G_PER_M2, TeaBatchForm};
use crate::describe::ear_tag_problem;
use crate::error::{Result, StationError};
use crate::words::{Said, said};

/// One animal as a new asset, with a GS1 key (the co-op's cattle GTIN, serial = ear tag) when
/// the co-op has one.
pub fn cattle(form: &CattleForm, lookup: &Lookup<'_>) -> Result<NewAsset> {
    let code = form.ear_tag.trim();
    let ear_tag = match form.scheme.as_str() {
        "iso11784" => EarTag::parse(EarTagScheme::Iso11784, code),
        "china" => EarTag::parse(EarTagScheme::ChinaNational, code),
        "" | "auto" => EarTag::detect(code),
        other => {
            return Err(StationError::input(
                "scheme",
                said("unknown ear tag scheme", "未知的耳标制式").with_detail(other),
            ));
        }
    }
    .map_err(|e| StationError::input("earTag", ear_tag_problem(&e)))?;
    let sex = match form.sex.trim() {
        "female" => Sex::Female,
        "male" => Sex::Male,
        "castrated" => Sex::Castrated,
        _ => return Err(StationError::input("sex", said("female, male or castrated", "母、公或阉"))),
    };
    let gs1 = lookup
        .cattle_gtin
        .map(|g| DigitalLink::new(g, None, None, Some(ear_tag.code())))
        .transpose()
        .map_err(|e| {
        StationError::input("earTag", said("cannot be a GS1 serial", "不能用作 GS1 序列号").with_detail(e))
    })?;
    Ok(NewAsset {
        product: Product::LiveCattle(Cattle {
            ear_tag,
            breed: text("breed", &form.breed)?,
            sex,
            birth_date: date("birthDate", &form.birth_date)?,
            holding: text("holding", &form.holding)?,
        }),
        quantity: one(Unit::Head),
        gs1,
        part_of: None,
        units: None,
    })
}

fn one(unit: Unit) -> Quantity {
    // 1 is always a valid quantity.
    Quantity::new(1, unit).unwrap_or_else(|_| unreachable!("1 is a valid quantity"))
}

/// Reads cattle from CSV text with the header
/// `ear_tag,breed,sex,birth_date,holding` (an optional `scheme` column). Every line is checked;
/// the errors name the line.
pub fn cattle_csv(csv_text: &str) -> std::result::Result<Vec<CattleForm>, Vec<(usize, Said)>> {
    let mut reader =
        csv::ReaderBuilder::new().trim(csv::Trim::All).flexible(false).from_reader(csv_text.as_bytes());
    let headers = match reader.headers() {
        Ok(h) => h.clone(),
        Err(e) => {
            return Err(vec![(1, said("cannot read the header", "无法读取表头").with_detail(e))]);
        }
    };
    let col = |name: &str| headers.iter().position(|h| h.eq_ignore_ascii_case(name));
    let (Some(tag), Some(breed), Some(sex), Some(born), Some(holding)) =
        (col("ear_tag"), col("breed"), col("sex"), col("birth_date"), col("holding"))
    else {
        return Err(vec![(
            1,
            said(
                "the header must name ear_tag, breed, sex, birth_date and holding",
                "表头必须包含 ear_tag、breed、sex、birth_date 和 holding",
            ),
        )]);
    };
    let scheme = col("scheme");
    let mut forms = vec![];
    let mut errors = vec![];
    for (i, row) in reader.records().enumerate() {
        let line = i + 2;
        match row {
            Ok(r) => {
                let get = |c: usize| r.get(c).unwrap_or_default().to_owned();
                forms.push(CattleForm {
                    ear_tag: get(tag),
                    scheme: scheme.map(get).unwrap_or_default(),
                    breed: get(breed),
                    sex: get(sex).to_lowercase(),
                    birth_date: get(born),
                    holding: get(holding),
                    photo: None,
                });
            }
            Err(e) => errors.push((line, said("this line cannot be read", "此行无法读取").with_detail(e))),
        }
    }
    if forms.is_empty() && errors.is_empty() {
        errors.push((2, said("the file has a header but no animals", "文件只有表头，没有牲畜")));
    }
    if errors.is_empty() { Ok(forms) } else { Err(errors) }
}

fn packing(value: &str) -> Result<Packing> {
    match value.trim() {
        "" | "lot" => Ok(Packing::Lot),
        "tong" => Ok(Packing::Tong),
        "jian" => Ok(Packing::Jian),
        _ => Err(StationError::input("packing", said("lot, tong or jian", "散饼、筒或件"))),
    }
}

/// The lot of a tea pressing with one generated cake token per piece, each with its own GS1
/// serial on the co-op's GTIN and the lot number.
pub fn tea_batch(form: &TeaBatchForm, lookup: &Lookup<'_>) -> Result<NewAsset> {
    let gtin = lookup.tea_gtin.ok_or_else(|| {
        StationError::NotReady(said(
            "Set the co-op's tea GTIN in Settings first.",
            "请先在设置中填写合作社的茶叶 GTIN。",
        ))
    })?;
    if form.count == 0 || form.count > terroir_shared::rules::MAX_OUTPUTS as u64 - 1 {
        return Err(StationError::input("count", {
            let most = terroir_shared::rules::MAX_OUTPUTS - 1;
            said(format!("between 1 and {most} cakes per batch"), format!("每批 1 到 {most} 饼"))
        }));
    }
    let weight = form.cake_weight_g.unwrap_or(DEFAULT_CAKE_WEIGHT_G);
    if !(1..=100_000).contains(&weight) {
        return Err(StationError::input(
            "cakeWeightG",
            said("a cake weighs between 1 g and 100 kg", "每饼重 1 克到 100 千克"),
        ));
    }
    let lot_number = form.lot_number.trim();
    let link = DigitalLink::new(gtin, None, Some(lot_number), None).map_err(|e| {
        StationError::input(
            "lotNumber",
            said("cannot be a GS1 lot number", "不能用作 GS1 批号").with_detail(e),
        )
    })?;
    let digits = form.count.to_string().len().max(3) as u8;
    if lot_number.len() + usize::from(digits) > 40 {
        return Err(StationError::input(
            "lotNumber",
            said("too long for a GS1 lot and serial", "太长，放不下 GS1 批号和序列号"),
        ));
    }
    let mountain = form.mountain.trim();
    let origin = TeaOrigin {
        garden: text("garden", &form.garden)?,
        mountain: (!mountain.is_empty()).then(|| mountain.to_owned()),
        harvest_season: text("harvestSeason", &form.harvest_season)?,
    };
    Ok(NewAsset {
        product: Product::TeaLot(TeaLot {
            origin,
            pressed_on: date("pressedOn", &form.pressed_on)?,
            cake_weight_g: weight,
            packing: packing(&form.packing)?,
        }),
        quantity: Quantity::new(form.count, Unit::Piece).map_err(|e| {
            StationError::input("count", said("not a number of cakes", "饼数无效").with_detail(e))
        })?,
        gs1: Some(link),
        part_of: None,
        units: Some(UnitTokens { serial_digits: digits }),
    })
}

/// A garden's cap: no tea of that garden and season beyond area × yield from this co-op.
pub fn garden_cap(form: &GardenForm) -> Result<NewAsset> {
    if form.area_m2 == 0 {
        return Err(StationError::input(
            "areaM2",
            said("the garden's area in square metres, at least 1", "茶园面积（平方米），至少 1"),
        ));
    }
    if !(1..=MAX_YIELD_G_PER_M2).contains(&form.yield_g_per_m2) {
        return Err(StationError::input(
            "yieldGPerM2",
            said(
                format!("grams of maocha a square metre yields in the season, 1 to {MAX_YIELD_G_PER_M2}"),
                format!("每平方米一季产毛茶的克数，1 到 {MAX_YIELD_G_PER_M2}"),
            ),
        ));
    }
    let cap = form
        .area_m2
        .checked_mul(form.yield_g_per_m2)
        .and_then(|g| Quantity::new(g, Unit::Gram).ok())
        .ok_or_else(|| {
        StationError::input("areaM2", said("area × yield is too large", "面积 × 产量太大"))
    })?;
    let product = Product::TeaGarden(TeaGarden {
        garden: text("garden", &form.garden)?,
        season: text("season", &form.season)?,
        area_m2: form.area_m2,
        yield_g_per_m2: form.yield_g_per_m2,
        issued_g: 0,
    });
    Ok(new_goods(product, cap))
}

/// A cake token as a tea batch's generated outputs will hold it (for previews and tests).
pub fn cake_of(lot: &TeaLot) -> TeaCake {
    TeaCake { origin: lot.origin.clone(), pressed_on: lot.pressed_on, weight_g: lot.cake_weight_g }
}

/// New goods with no GS1 key, packing or units of their own.
pub(super) fn new_goods(product: Product, quantity: Quantity) -> NewAsset {
    NewAsset { product, quantity, gs1: None, part_of: None, units: None }
}
