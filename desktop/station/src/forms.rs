//! The station's forms as the window sends them, and their translation into the ledger's acts.
//! Every value is checked here with the clerk's field name; what the rules decide (heads,
//! ownership, conservation) is checked by the rules themselves before anything is stored.

use serde::Deserialize;
use terroir_shared::Hash;
use terroir_shared::asset::{
    Asset, AssetId, AssetRef, BeefCut, Carcass, Cattle, Packing, Product, Quantity, Sex, TeaCake, TeaGarden,
    TeaLot, TeaOrigin, Unit,
};
use terroir_shared::calendar::Date;
use terroir_shared::crypto::PublicKey;
use terroir_shared::ear_tag::{EarTag, EarTagScheme};
use terroir_shared::gs1::{DigitalLink, Gtin};
use terroir_shared::party::PartyId;
use terroir_shared::record::{
    Act, Attachment, Custody, Event, Merge, NewAsset, Observe, Part, Pledge, Release, Retire, Split,
    Transfer, Transform, UnitTokens, Unpack,
};

use crate::error::{Result, StationError};
use crate::words::{Said, said};

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

/// What a form needs to know about the ledger: assets as the station sees them, and the
/// co-op's GS1 company settings.
pub struct Lookup<'a> {
    pub asset: &'a dyn Fn(&AssetId) -> Option<Asset>,
    pub tea_gtin: Option<Gtin>,
    pub cattle_gtin: Option<Gtin>,
}

fn text(field: &str, value: &str) -> Result<String> {
    let v = value.trim();
    if v.is_empty() {
        return Err(StationError::input(field, said("must not be empty", "不能为空")));
    }
    if v.chars().count() > 200 {
        return Err(StationError::input(field, said("at most 200 characters", "最多 200 个字")));
    }
    Ok(v.to_owned())
}

pub fn date(field: &str, value: &str) -> Result<Date> {
    value.trim().parse().map_err(|_| {
        StationError::input(
            field,
            said("a date as YYYY-MM-DD, e.g. 2026-04-15", "日期格式为 年-月-日，例如 2026-04-15"),
        )
    })
}

pub fn gtin(field: &str, value: &str) -> Result<Gtin> {
    Gtin::parse(value.trim())
        .map_err(|e| StationError::input(field, said("not a valid GTIN", "GTIN 无效").with_detail(e)))
}

pub fn party(field: &str, value: &str) -> Result<PartyId> {
    value.trim().parse::<PublicKey>().map(PartyId).map_err(|_| {
        StationError::input(
            field,
            said("an organisation's key: 64 lowercase hex digits", "组织密钥：64 位小写十六进制数字"),
        )
    })
}

fn asset_id(field: &str, value: &str) -> Result<AssetId> {
    value.trim().parse().map_err(|_| {
        StationError::input(
            field,
            said("an asset id: 64 lowercase hex digits", "货品编号：64 位小写十六进制数字"),
        )
    })
}

fn grams(field: &str, value: u64) -> Result<Quantity> {
    Quantity::new(value, Unit::Gram)
        .map_err(|e| StationError::input(field, said("a weight in grams", "以克为单位的重量").with_detail(e)))
}

/// The asset named `value`, at the head the station knows.
fn current(lookup: &Lookup<'_>, field: &str, value: &str) -> Result<Asset> {
    let id = asset_id(field, value)?;
    (lookup.asset)(&id).ok_or_else(|| {
        StationError::input(
            field,
            said("this station does not know that asset: sync first", "本站还不知道这件货品：请先同步"),
        )
    })
}

fn refs(lookup: &Lookup<'_>, field: &str, values: &[String]) -> Result<Vec<AssetRef>> {
    if values.is_empty() {
        return Err(StationError::input(field, said("choose at least one asset", "请至少选择一件货品")));
    }
    values.iter().map(|v| current(lookup, field, v).map(|a| a.reference())).collect()
}

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
    .map_err(|e| StationError::input("earTag", said("not a valid ear tag", "耳标号无效").with_detail(e)))?;
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

/// The event, checked.
pub fn event(form: &EventForm) -> Result<Event> {
    Ok(match form {
        EventForm::Vaccination { vaccine, withdrawal_until } => Event::Vaccination {
            vaccine: text("vaccine", vaccine)?,
            withdrawal_until: date("withdrawalUntil", withdrawal_until)?,
        },
        EventForm::Weighing { mass_g } => Event::Weighing { mass_g: grams("massG", *mass_g)?.amount() },
        EventForm::Movement { from, to } => {
            Event::Movement { from: text("from", from)?, to: text("to", to)? }
        }
        EventForm::Picking { garden, mass_g } => {
            Event::Picking { garden: text("garden", garden)?, mass_g: grams("massG", *mass_g)?.amount() }
        }
        EventForm::Pressing { press } => Event::Pressing { press: text("press", press)? },
        EventForm::Storage { location } => Event::Storage { location: text("location", location)? },
        EventForm::LabCertificate { laboratory, certificate, result } => Event::LabCertificate {
            laboratory: text("laboratory", laboratory)?,
            certificate: text("certificate", certificate)?,
            result: text("result", result)?,
        },
        EventForm::Note { text: t } => Event::Note { text: text("text", t)? },
    })
}

/// The act a form asks for, with the heads the station knows. `attachment` is the hash and
/// size of the attached file, already stored by the caller.
pub fn act(form: &ActForm, lookup: &Lookup<'_>, attachment: Option<Attachment>) -> Result<Act> {
    Ok(match form {
        ActForm::Event { assets, event: e, .. } => Act::Observe(Observe {
            assets: refs(lookup, "assets", assets)?,
            event: event(e)?,
            attachments: attachment.into_iter().collect(),
        }),
        ActForm::Split { asset, parts } => {
            let parent = current(lookup, "asset", asset)?;
            if parts.len() < 2 {
                return Err(StationError::input(
                    "parts",
                    said("a split needs at least two parts", "拆分至少要两份"),
                ));
            }
            let link = |i: usize| -> Option<DigitalLink> {
                let g = parent.gs1.as_ref()?;
                let lot = format!("{}-{}", g.lot()?, i + 1);
                DigitalLink::new(*g.gtin(), g.cpv(), Some(&lot), None).ok()
            };
            Act::Split(Split {
                asset: parent.reference(),
                parts: parts
                    .iter()
                    .enumerate()
                    .map(|(i, &amount)| Part { amount, gs1: link(i), units: vec![] })
                    .collect(),
            })
        }
        ActForm::Merge { assets } => Act::Merge(Merge { assets: refs(lookup, "assets", assets)?, gs1: None }),
        ActForm::Slaughter { asset, carcass_g, grade } => {
            let grade = grade.trim();
            transform(
                "slaughter",
                vec![current(lookup, "asset", asset)?.reference()],
                vec![new_goods(
                    Product::Carcass(Carcass { grade: (!grade.is_empty()).then(|| grade.to_owned()) }),
                    grams("carcassG", *carcass_g)?,
                )],
            )
        }
        ActForm::Cut { asset, cuts } => {
            if cuts.is_empty() {
                return Err(StationError::input("cuts", said("list at least one cut", "请至少列出一个部位")));
            }
            let outputs = cuts
                .iter()
                .map(|c| {
                    Ok(new_goods(
                        Product::BeefCut(BeefCut { cut: text("cut", &c.cut)? }),
                        grams("grams", c.grams)?,
                    ))
                })
                .collect::<Result<Vec<_>>>()?;
            transform("cutting", vec![current(lookup, "asset", asset)?.reference()], outputs)
        }
        ActForm::Press { assets, batch } => {
            transform("pressing", refs(lookup, "assets", assets)?, vec![tea_batch(batch, lookup)?])
        }
        ActForm::Transfer { assets, to } => {
            Act::Transfer(Transfer { assets: refs(lookup, "assets", assets)?, to: party("to", to)? })
        }
        ActForm::Custody { assets, to } => {
            Act::Custody(Custody { assets: refs(lookup, "assets", assets)?, to: party("to", to)? })
        }
        ActForm::Pledge { asset, financier } => Act::Pledge(Pledge {
            asset: current(lookup, "asset", asset)?.reference(),
            financier: party("financier", financier)?,
        }),
        ActForm::Release { asset } => {
            Act::Release(Release { asset: current(lookup, "asset", asset)?.reference() })
        }
        ActForm::Retire { asset, reason } => Act::Retire(Retire {
            asset: current(lookup, "asset", asset)?.reference(),
            reason: text("reason", reason)?,
        }),
        ActForm::TakeOut { asset } => {
            let unit = current(lookup, "asset", asset)?;
            let terroir_shared::asset::Status::Contained { holder } = unit.status else {
                return Err(StationError::input(
                    "asset",
                    said("it is not packed in a lot", "它不在任何批次中"),
                ));
            };
            let holder = current(lookup, "asset", &holder.to_string())?;
            Act::Unpack(Unpack { holder: holder.reference(), units: vec![unit.reference()] })
        }
    })
}

fn new_goods(product: Product, quantity: Quantity) -> NewAsset {
    NewAsset { product, quantity, gs1: None, part_of: None, units: None }
}

fn transform(process: &str, inputs: Vec<AssetRef>, outputs: Vec<NewAsset>) -> Act {
    Act::Transform(Transform::new(process, inputs, outputs))
}

/// A cake token as a tea batch's generated outputs will hold it (for previews and tests).
pub fn cake_of(lot: &TeaLot) -> TeaCake {
    TeaCake { origin: lot.origin.clone(), pressed_on: lot.pressed_on, weight_g: lot.cake_weight_g }
}

/// The attachment entry for `bytes`.
pub fn attachment(file: &FileInput, bytes: &[u8]) -> Result<Attachment> {
    Ok(Attachment {
        name: text("attachment", &file.name)?,
        media_type: text("attachment", &file.media_type)?,
        sha256: Hash::sha256(bytes),
        size: bytes.len() as u64,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn no_assets(_: &AssetId) -> Option<Asset> {
        None
    }

    fn lookup() -> Lookup<'static> {
        Lookup {
            asset: &no_assets,
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
