//! A realistic sample ledger, built as a pure function of a seed: Pu'er tea from Bulang mountain
//! and Yunling cattle from Menghai county, traded, stored, pledged, slaughtered and sold.
//!
//! Nothing here touches a clock, a file or a random source: the same origin, operator, seed and
//! start time always give the same signed records, in an order the rules accept one after
//! another. Keys are `SHA-256(seed ‖ label)` used as Ed25519 seeds, so a demo station can be
//! handed the key of any party or device in the story.
//!
//! Every record is dated between `start` and `start + DEMO_SPAN_DAYS` days, strictly
//! increasing. The rules refuse records from the future, so whoever submits them must pass a
//! `now` that is at least the last record's time ([`demo_end`]); seeding with `start` about a
//! month in the past makes the whole story history.

use std::collections::{BTreeMap, HashMap};
use std::fmt::Write as _;

use terroir_shared::Hash;
use terroir_shared::asset::{
    AssetId, AssetRef, BeefCut, Carcass, Cattle, Generic, Packing, Product, Quantity, QuantityError, Sex,
    TeaLot, TeaMaocha, TeaOrigin, Unit,
};
use terroir_shared::calendar::{Date, Timestamp};
use terroir_shared::commitment::{Commitment, PersonalData};
use terroir_shared::crypto::Keypair;
use terroir_shared::ear_tag::{EarTag, EarTagError};
use terroir_shared::gs1::{DigitalLink, DigitalLinkError, Gtin, GtinError};
use terroir_shared::party::{PartyId, Role};
use terroir_shared::record::{
    Act, Attachment, AuthoriseDevice, Commission, Custody, Event, NewAsset, Observe, Part, Pledge, Record,
    RegisterParty, Release, Retire, SignError, Signed, Split, Transfer, Transform, UnitTokens, Unsigned,
};

/// The most days after `start` that any demo record is dated.
pub const DEMO_SPAN_DAYS: u64 = 30;

const MINUTE_MS: u64 = 60 * 1000;
const DAY_MS: u64 = 24 * 60 * MINUTE_MS;

/// Prefix of every key label, so demo keys can never coincide with keys derived for another use
/// of the same seed.
const KEY_LABEL_PREFIX: &str = "terroir-demo-v1/";

/// The made-up GS1 company prefix of the Bulang co-op and the Menghai processor.
const GS1_COMPANY_PREFIX: &str = "6958823";

/// Cakes pressed in the demo batch.
pub const DEMO_CAKES: u64 = 300;
/// Weight of one cake, the classic Pu'er bing.
pub const CAKE_WEIGHT_G: u32 = 357;
/// Animals in the commissioned herd: China ear tags first, then ISO 11784 tags.
pub const DEMO_HERD_CHINA: u32 = 28;
pub const DEMO_HERD_ISO: u32 = 4;
/// Animals sold to the slaughterhouse, of which the first `DEMO_CARCASSES_CUT` are cut.
pub const DEMO_SLAUGHTERED: usize = 3;
pub const DEMO_CARCASSES_CUT: usize = 2;
/// Retail cuts made from each carcass that is cut.
const CUTS: [(&str, u64); 8] = [
    ("tenderloin", 4_800),
    ("striploin", 9_600),
    ("ribeye", 8_200),
    ("topside", 14_500),
    ("silverside", 12_800),
    ("brisket", 11_600),
    ("chuck", 24_000),
    ("shin", 7_400),
];
/// Cuts the processor sells to the trader.
const CUTS_SOLD_TO_TRADER: usize = 10;

/// Why the demo ledger could not be built. With sane inputs this does not happen: the only
/// input that can cause it is a `start` so far in the future that timestamps no longer fit
/// the 2^53 − 1 a record can carry.
#[derive(Debug, thiserror::Error)]
pub enum DemoError {
    #[error("signing a demo record: {0}")]
    Sign(#[from] SignError),
    #[error("a demo quantity: {0}")]
    Quantity(#[from] QuantityError),
    #[error("a demo ear tag: {0}")]
    EarTag(#[from] EarTagError),
    #[error("a demo GTIN: {0}")]
    Gtin(#[from] GtinError),
    #[error("a demo GS1 Digital Link: {0}")]
    DigitalLink(#[from] DigitalLinkError),
    #[error("demo asset {0} was used before it was created")]
    UnknownAsset(AssetId),
}

/// A party of the story: its own key and the one station device it authorises.
#[derive(Debug)]
pub struct Member {
    pub key: Keypair,
    pub station: Keypair,
}

impl Member {
    pub fn id(&self) -> PartyId {
        PartyId(self.key.public())
    }
}

/// Every key in the story.
#[derive(Debug)]
pub struct DemoKeys {
    pub operator: Keypair,
    /// Bulang mountain tea farmers' co-op.
    pub tea_coop: Member,
    /// Menghai cattle co-op.
    pub cattle_coop: Member,
    /// Kunming trader in tea and beef.
    pub trader: Member,
    /// Guangzhou tea house, the trader's customer.
    pub tea_house: Member,
    /// Slaughterhouse and meat processor.
    pub processor: Member,
    /// Tea warehouse storing for owners.
    pub warehouse: Member,
    /// Rural credit union lending against tea.
    pub financier: Member,
    /// County veterinary station.
    pub vet: Member,
}

impl DemoKeys {
    /// The keys for `seed`: each `SHA-256(seed ‖ "terroir-demo-v1/" ‖ label)` as an Ed25519
    /// seed. The operator's key is the caller's.
    pub fn derive(operator: &Keypair, seed: [u8; 32]) -> Self {
        let member = |label: &str| Member {
            key: derive_key(&seed, label),
            station: derive_key(&seed, &format!("{label}/station")),
        };
        Self {
            operator: Keypair::from_seed(operator.seed()),
            tea_coop: member("tea-coop"),
            cattle_coop: member("cattle-coop"),
            trader: member("trader"),
            tea_house: member("tea-house"),
            processor: member("processor"),
            warehouse: member("warehouse"),
            financier: member("financier"),
            vet: member("vet"),
        }
    }
}

fn derive_key(seed: &[u8; 32], label: &str) -> Keypair {
    let prefixed = format!("{KEY_LABEL_PREFIX}{label}");
    Keypair::from_seed(Hash::sha256_parts(&[seed, prefixed.as_bytes()]).as_bytes())
}

/// The signed records of the demo story, in the order the rules accept them, for the log
/// `origin` operated by `operator`. Record times start at `start` and strictly increase; submit
/// them with a `now` of at least [`demo_end`] of the result.
pub fn demo_records(
    origin: &str,
    operator: &Keypair,
    seed: [u8; 32],
    start: Timestamp,
) -> Result<Vec<Signed<Record>>, DemoError> {
    let keys = DemoKeys::derive(operator, seed);
    let mut story = Story::new(origin, start);
    register_parties(&mut story, &keys, &seed)?;
    let tea = tea_harvest(&mut story, &keys)?;
    let herd = cattle_herd(&mut story, &keys)?;
    let lot = tea_pressing(&mut story, &keys, tea)?;
    cattle_care(&mut story, &keys, &herd)?;
    tea_trade(&mut story, &keys, lot)?;
    beef(&mut story, &keys, &herd)?;
    Ok(story.records)
}

/// The time of the last record: the least `now` with which all of them are accepted.
pub fn demo_end(records: &[Signed<Record>]) -> Option<Timestamp> {
    records.last().map(|r| r.body().at)
}

/// A short report for people: how many records of each act, how many assets they create, and
/// the time they span.
pub fn describe(records: &[Signed<Record>]) -> String {
    let mut by_act: BTreeMap<usize, (&'static str, usize)> = BTreeMap::new();
    let mut created = 0usize;
    for r in records {
        let act = &r.body().act;
        by_act.entry(act_order(act)).or_insert((act.name(), 0)).1 += 1;
        created += match act {
            Act::Commission(c) => c.assets.len(),
            Act::Split(s) => s.parts.len(),
            Act::Merge(_) => 1,
            Act::Transform(t) => t.outputs.len(),
            _ => 0,
        };
    }
    let mut out = format!("{} records, {created} assets created", records.len());
    if let (Some(first), Some(last)) = (records.first(), records.last()) {
        let _ = write!(out, ", from {} to {}", first.body().at.to_rfc3339(), last.body().at.to_rfc3339());
    }
    out.push('\n');
    for (name, count) in by_act.values() {
        let _ = writeln!(out, "  {name:<17} {count:>4}");
    }
    out
}

/// The position of an act in the life of goods, to list counts in a readable order.
fn act_order(act: &Act) -> usize {
    match act {
        Act::RegisterParty(_) => 0,
        Act::AuthoriseDevice(_) => 1,
        Act::RevokeDevice(_) => 2,
        Act::Commission(_) => 3,
        Act::Observe(_) => 4,
        Act::Transform(_) => 5,
        Act::Split(_) => 6,
        Act::Merge(_) => 7,
        Act::Transfer(_) => 8,
        Act::Custody(_) => 9,
        Act::Pledge(_) => 10,
        Act::Release(_) => 11,
        Act::Retire(_) => 12,
    }
}

/// The records written so far, a clock that only moves forward, and the current head of every
/// asset created so far.
struct Story<'a> {
    origin: &'a str,
    start: u64,
    clock: u64,
    step: u64,
    records: Vec<Signed<Record>>,
    heads: HashMap<AssetId, Hash>,
}

impl<'a> Story<'a> {
    fn new(origin: &'a str, start: Timestamp) -> Self {
        Self {
            origin,
            start: start.millis(),
            clock: start.millis(),
            step: 0,
            records: Vec::new(),
            heads: HashMap::new(),
        }
    }

    /// Moves the clock to `start + day` days, unless it is already later, and returns the date
    /// the clock then shows.
    fn day(&mut self, day: u64) -> Date {
        let target = self.start.saturating_add(day.saturating_mul(DAY_MS));
        self.clock = self.clock.max(target);
        Date::of(Timestamp(self.clock))
    }

    /// The date `days` after the current clock.
    fn date_after(&self, days: u64) -> Date {
        Date::of(Timestamp(self.clock.saturating_add(days.saturating_mul(DAY_MS))))
    }

    /// The date `days` before `start`.
    fn date_before_start(&self, days: u64) -> Date {
        Date::of(Timestamp(self.start.saturating_sub(days.saturating_mul(DAY_MS))))
    }

    /// Signs `act` for `party` with `signer` a few minutes after the previous record, and moves
    /// the head of every asset it touches to the new record.
    fn push(&mut self, signer: &Keypair, party: PartyId, act: Act) -> Result<Hash, DemoError> {
        // The first record is dated `start` itself; then each follows by 2 to 7 minutes.
        if !self.records.is_empty() {
            self.clock =
                self.clock.saturating_add((2 + self.step % 5) * MINUTE_MS + (self.step * 7919) % 60_000);
        }
        self.step += 1;
        let touched = act.touches();
        let record = Record {
            origin: self.origin.to_owned(),
            party,
            signer: signer.public(),
            at: Timestamp(self.clock),
            act,
        };
        let signed = Unsigned::new(record).sign(signer)?;
        let id = signed.id();
        for r in touched {
            self.heads.insert(r.id, id);
        }
        self.records.push(signed);
        Ok(id)
    }

    /// Signed by the party's own key.
    fn by_party(&mut self, m: &Member, act: Act) -> Result<Hash, DemoError> {
        self.push(&m.key, m.id(), act)
    }

    /// Signed by the party's station device.
    fn by_station(&mut self, m: &Member, act: Act) -> Result<Hash, DemoError> {
        self.push(&m.station, m.id(), act)
    }

    /// The `n` outputs of record `id`, now at head `id`.
    fn outputs(&mut self, id: Hash, n: usize) -> Vec<AssetId> {
        (0..n)
            .map(|i| {
                let asset = AssetId::derive(&id, u32::try_from(i).unwrap_or(u32::MAX));
                self.heads.insert(asset, id);
                asset
            })
            .collect()
    }

    /// `asset` at its current head.
    fn at(&self, asset: AssetId) -> Result<AssetRef, DemoError> {
        self.heads
            .get(&asset)
            .map(|head| AssetRef { id: asset, head: *head })
            .ok_or(DemoError::UnknownAsset(asset))
    }

    fn all_at(&self, assets: &[AssetId]) -> Result<Vec<AssetRef>, DemoError> {
        assets.iter().map(|a| self.at(*a)).collect()
    }
}

fn qty(amount: u64, unit: Unit) -> Result<Quantity, DemoError> {
    Ok(Quantity::new(amount, unit)?)
}

fn gtin(item: &str) -> Result<Gtin, DemoError> {
    Ok(Gtin::from_prefix_and_item(&format!("0{GS1_COMPANY_PREFIX}{item}"))?)
}

fn link(gtin: &Gtin, lot: &str, serial: Option<&str>) -> Result<DigitalLink, DemoError> {
    Ok(DigitalLink::new(*gtin, None, Some(lot), serial)?)
}

fn observe(assets: Vec<AssetRef>, event: Event) -> Act {
    Act::Observe(Observe { assets, event, attachments: vec![] })
}

/// A party as the operator enrols it: its keys, name, roles, contact commitment and the label
/// of its station.
type Enrolment<'k> = (&'k Member, &'static str, &'static [Role], Option<Commitment>, &'static str);

/// Day 0: the operator enrols every party; each party authorises its station.
fn register_parties(story: &mut Story<'_>, k: &DemoKeys, seed: &[u8; 32]) -> Result<(), DemoError> {
    story.day(0);
    let contact = |label: &str, name: &str, phone: &str| {
        let salt = Hash::sha256_parts(&[seed, format!("{KEY_LABEL_PREFIX}salt/{label}").as_bytes()]);
        let data = PersonalData { name: name.into(), phone: Some(phone.into()) };
        Commitment::commit(&data, salt.as_bytes())
    };
    let parties: [Enrolment<'_>; 8] = [
        (
            &k.tea_coop,
            "Bulang Mountain Ancient Tea Farmers' Cooperative (Menghai, Yunnan)",
            &[Role::Cooperative, Role::Farm],
            Some(contact("tea-coop", "Yan Zhaoming", "+86 139 0691 2245")),
            "Laobanzhang village station",
        ),
        (
            &k.cattle_coop,
            "Menghai Yunling Cattle Breeders' Cooperative",
            &[Role::Cooperative, Role::Farm],
            Some(contact("cattle-coop", "Ai Kan", "+86 138 8791 4420")),
            "Mengzhe township station",
        ),
        (
            &k.trader,
            "Kunming Caiyun Tea & Fine Foods Trading Co., Ltd.",
            &[Role::Trader],
            None,
            "Kunming office",
        ),
        (
            &k.tea_house,
            "Fangcun Tea Market, Qingyuan Tea House (Guangzhou)",
            &[Role::Trader],
            None,
            "shop counter",
        ),
        (
            &k.processor,
            "Xishuangbanna Jinghong Meat Processing Co., Ltd.",
            &[Role::Processor],
            None,
            "abattoir floor station",
        ),
        (
            &k.warehouse,
            "Menghai Dry Storage Tea Warehouse",
            &[Role::Warehouse],
            None,
            "warehouse gate station",
        ),
        (
            &k.financier,
            "Menghai County Rural Credit Cooperative Union",
            &[Role::Financier],
            None,
            "loan office",
        ),
        (
            &k.vet,
            "Menghai County Animal Husbandry and Veterinary Station",
            &[Role::Veterinarian],
            None,
            "field kit",
        ),
    ];
    let operator = PartyId(k.operator.public());
    for (member, name, roles, contact, _) in &parties {
        let act = Act::RegisterParty(RegisterParty {
            id: member.id(),
            name: (*name).into(),
            roles: roles.iter().copied().collect(),
            contact: *contact,
        });
        story.push(&k.operator, operator, act)?;
    }
    for (member, _, _, _, label) in &parties {
        let act =
            Act::AuthoriseDevice(AuthoriseDevice::new(&member.station, &member.id(), story.origin, label));
        story.by_party(member, act)?;
    }
    Ok(())
}

fn tea_origin(garden: &str, story: &Story<'_>) -> TeaOrigin {
    let year = Date::of(Timestamp(story.start)).to_string();
    TeaOrigin {
        garden: garden.into(),
        mountain: Some("Bulang".into()),
        harvest_season: format!("{} spring", year.get(..4).unwrap_or("2026")),
    }
}

const GARDENS: [(&str, u64); 2] = [("Laobanzhang", 62_400), ("Laoman'e", 51_800)];
const BLEND: &str = "Laobanzhang and Laoman'e";

/// Day 1: the co-op's station commissions sun-dried maocha from two gardens and records the
/// picking of each.
fn tea_harvest(story: &mut Story<'_>, k: &DemoKeys) -> Result<Vec<AssetId>, DemoError> {
    story.day(1);
    let assets = GARDENS
        .iter()
        .map(|(garden, grams)| {
            Ok(NewAsset {
                product: Product::TeaMaocha(TeaMaocha { origin: tea_origin(garden, story) }),
                quantity: qty(*grams, Unit::Gram)?,
                gs1: None,
                part_of: None,
                units: None,
            })
        })
        .collect::<Result<Vec<_>, DemoError>>()?;
    let id = story.by_station(&k.tea_coop, Act::Commission(Commission { assets }))?;
    let maocha = story.outputs(id, GARDENS.len());
    for ((garden, grams), lot) in GARDENS.iter().zip(&maocha) {
        // Fresh leaf loses about three quarters of its weight when it is withered and dried.
        let event = Event::Picking { garden: (*garden).into(), mass_g: grams * 4 };
        story.by_station(&k.tea_coop, observe(vec![story.at(*lot)?], event))?;
    }
    Ok(maocha)
}

fn tea_lot_product(story: &Story<'_>, pressed_on: Date) -> Product {
    Product::TeaLot(TeaLot {
        origin: tea_origin(BLEND, story),
        pressed_on,
        cake_weight_g: CAKE_WEIGHT_G,
        packing: Packing::Lot,
    })
}

/// A lot number such as `BL26-P01`: a prefix, the year of `start` and a suffix.
fn lot_number(story: &Story<'_>, prefix: &str, suffix: &str) -> String {
    let year = Date::of(Timestamp(story.start)).to_string();
    format!("{prefix}{}-{suffix}", year.get(2..4).unwrap_or("26"))
}

/// Day 3 and 4: the maocha is pressed into one lot of 357 g cakes, one token per cake packed in
/// the lot, and a laboratory certifies the lot.
fn tea_pressing(story: &mut Story<'_>, k: &DemoKeys, maocha: Vec<AssetId>) -> Result<AssetId, DemoError> {
    let pressed_on = story.day(3);
    let cake_gtin = gtin("00357")?;
    let lot_no = lot_number(story, "BL", "P01");
    // One lot, and one cake token per cake generated by the rules (serials 0001–0300).
    let outputs = vec![NewAsset {
        product: tea_lot_product(story, pressed_on),
        quantity: qty(DEMO_CAKES, Unit::Piece)?,
        gs1: Some(link(&cake_gtin, &lot_no, None)?),
        part_of: None,
        units: Some(UnitTokens { serial_digits: 4 }),
    }];
    let n_outputs = 1 + DEMO_CAKES as usize;
    let act = Act::Transform(Transform {
        process: "stone pressing of sun-dried maocha into 357 g bing cakes".into(),
        inputs: story.all_at(&maocha)?,
        outputs,
    });
    let id = story.by_station(&k.tea_coop, act)?;
    let lot = story.outputs(id, n_outputs)[0];
    let event = Event::Pressing { press: "stone press No. 2, Bulang co-op workshop".into() };
    story.by_station(&k.tea_coop, observe(vec![story.at(lot)?], event))?;

    story.day(4);
    let report = format!(
        "Test report for tea lot {lot_no}: pesticide residues below GB 2763 limits; \
         moisture 9.1 %; heavy metals not detected above limits."
    );
    let act = Act::Observe(Observe {
        assets: vec![story.at(lot)?],
        event: Event::LabCertificate {
            laboratory: "Yunnan Tea Quality Supervision and Testing Centre".into(),
            certificate: format!("YNTQ-{lot_no}-0412"),
            result: "compliant".into(),
        },
        attachments: vec![Attachment {
            name: format!("lab-report-{lot_no}.pdf"),
            media_type: "application/pdf".into(),
            sha256: Hash::sha256(report.as_bytes()),
            size: report.len() as u64,
        }],
    });
    story.by_party(&k.tea_coop, act)?;
    Ok(lot)
}

/// Sub-lots of the pressed lot: one sold to the trader, one stored at the warehouse, one
/// pledged to the credit union, one kept (pledged for a short loan, then released).
const TEA_SPLIT: [u64; 4] = [100, 84, 60, 56];
/// What the trader does with its 100 cakes: 50 kept, 30 to the tea house, 20 kept for samples.
const TRADER_SPLIT: [u64; 3] = [50, 30, 20];

/// Day 11 to 20: the lot is split, traded, stored and pledged.
fn tea_trade(story: &mut Story<'_>, k: &DemoKeys, lot: AssetId) -> Result<(), DemoError> {
    story.day(11);
    let cake_gtin = gtin("00357")?;
    let parts = TEA_SPLIT
        .iter()
        .enumerate()
        .map(|(i, amount)| {
            Ok(Part {
                amount: *amount,
                gs1: Some(link(&cake_gtin, &lot_number(story, "BL", &format!("P01-S{}", i + 1)), None)?),
            })
        })
        .collect::<Result<Vec<_>, DemoError>>()?;
    let act = Act::Split(Split { asset: story.at(lot)?, parts });
    let id = story.by_station(&k.tea_coop, act)?;
    let subs = story.outputs(id, TEA_SPLIT.len());
    let [sold, stored, pledged, kept] = [subs[0], subs[1], subs[2], subs[3]];

    let act = Act::Transfer(Transfer { assets: vec![story.at(sold)?], to: k.trader.id() });
    story.by_party(&k.tea_coop, act)?;
    let act = Act::Custody(Custody { assets: vec![story.at(stored)?], to: k.warehouse.id() });
    story.by_station(&k.tea_coop, act)?;
    let event = Event::Storage { location: "Menghai dry store, hall B, rack 14, shelf 3".into() };
    story.by_station(&k.warehouse, observe(vec![story.at(stored)?], event))?;
    for lot in [pledged, kept] {
        let act = Act::Pledge(Pledge { asset: story.at(lot)?, financier: k.financier.id() });
        story.by_party(&k.tea_coop, act)?;
    }

    story.day(13);
    let parts = TRADER_SPLIT
        .iter()
        .enumerate()
        .map(|(i, amount)| {
            Ok(Part {
                amount: *amount,
                gs1: Some(link(&cake_gtin, &lot_number(story, "BL", &format!("P01-S1-T{}", i + 1)), None)?),
            })
        })
        .collect::<Result<Vec<_>, DemoError>>()?;
    let act = Act::Split(Split { asset: story.at(sold)?, parts });
    let id = story.by_station(&k.trader, act)?;
    let trader_lots = story.outputs(id, TRADER_SPLIT.len());
    let act = Act::Transfer(Transfer { assets: vec![story.at(trader_lots[1])?], to: k.tea_house.id() });
    story.by_station(&k.trader, act)?;
    let event = Event::Movement {
        from: "Kunming Caiyun bonded store".into(),
        to: "Fangcun Tea Market, Guangzhou".into(),
    };
    story.by_station(&k.tea_house, observe(vec![story.at(trader_lots[1])?], event))?;

    // The short loan on the kept lot is repaid: the credit union releases it. The other pledge
    // stands.
    story.day(20);
    let act = Act::Release(Release { asset: story.at(kept)? });
    story.by_station(&k.financier, act)?;
    Ok(())
}

const BREEDS: [&str; 5] =
    ["Yunling", "Yunling", "Dehong humped cattle", "Simmental x Yunling", "Wenshan cattle"];
const HOLDINGS: [&str; 3] = ["532822-MZ-017", "532822-MZ-023", "532822-MH-008"];

/// The ear tag of animal `i`: China's national tags from Menghai county (532822), then a few
/// imported animals with ISO 11784 tags (country 156).
fn ear_tag(i: u32) -> Result<EarTag, DemoError> {
    let tag = if i < DEMO_HERD_CHINA {
        EarTag::china(&format!("2532822{:08}", 1_201 + i))?
    } else {
        EarTag::iso11784(&format!("156{:012}", 5_328_220_001 + u64::from(i - DEMO_HERD_CHINA)))?
    };
    Ok(tag)
}

/// The weight of animal `i` at the weighing, in grams.
fn live_weight_g(i: usize) -> u64 {
    let i = i as u64;
    420_000 + ((i * 37) % 19) * 7_000 + (i % 3) * 1_500
}

/// Day 2: the cattle co-op commissions its herd.
fn cattle_herd(story: &mut Story<'_>, k: &DemoKeys) -> Result<Vec<AssetId>, DemoError> {
    story.day(2);
    let n = DEMO_HERD_CHINA + DEMO_HERD_ISO;
    let assets = (0..n)
        .map(|i| {
            let idx = i as usize;
            let sex = match i % 3 {
                0 => Sex::Castrated,
                1 => Sex::Female,
                _ => Sex::Male,
            };
            Ok(NewAsset {
                product: Product::LiveCattle(Cattle {
                    ear_tag: ear_tag(i)?,
                    breed: BREEDS[idx % BREEDS.len()].into(),
                    sex,
                    // The oldest animals (first in the list) are about two and a half years old.
                    birth_date: story.date_before_start(900 - u64::from(i) * 19),
                    holding: HOLDINGS[idx % HOLDINGS.len()].into(),
                }),
                quantity: qty(1, Unit::Head)?,
                gs1: None,
                part_of: None,
                units: None,
            })
        })
        .collect::<Result<Vec<_>, DemoError>>()?;
    let id = story.by_station(&k.cattle_coop, Act::Commission(Commission { assets }))?;
    Ok(story.outputs(id, n as usize))
}

/// Day 4 to 8: vaccinations by the county vet, and weighing.
fn cattle_care(story: &mut Story<'_>, k: &DemoKeys, herd: &[AssetId]) -> Result<(), DemoError> {
    story.day(4);
    let event = Event::Vaccination {
        vaccine: "foot-and-mouth disease bivalent inactivated vaccine (type O and A)".into(),
        withdrawal_until: story.date_after(21),
    };
    story.by_station(&k.vet, observe(story.all_at(herd)?, event))?;

    story.day(6);
    // The youngest ten get a second vaccine; none of them is sold for slaughter.
    let young = &herd[herd.len().saturating_sub(10)..];
    let event = Event::Vaccination {
        vaccine: "bovine pasteurellosis inactivated vaccine".into(),
        withdrawal_until: story.date_after(21),
    };
    story.by_party(&k.vet, observe(story.all_at(young)?, event))?;

    story.day(8);
    for (i, animal) in herd.iter().enumerate() {
        let event = Event::Weighing { mass_g: live_weight_g(i) };
        story.by_station(&k.cattle_coop, observe(vec![story.at(*animal)?], event))?;
    }

    Ok(())
}

/// Day 24 to 29: the sale of the oldest animals to the slaughterhouse, slaughter once the
/// withdrawal period is over, cutting the next day, the sale of cuts to the trader and of one
/// cut to a consumer.
fn beef(story: &mut Story<'_>, k: &DemoKeys, herd: &[AssetId]) -> Result<(), DemoError> {
    story.day(24);
    let sold = &herd[..DEMO_SLAUGHTERED];
    let act = Act::Transfer(Transfer { assets: story.all_at(sold)?, to: k.processor.id() });
    story.by_party(&k.cattle_coop, act)?;
    let event = Event::Movement {
        from: "holding 532822-MZ-017, Mengzhe".into(),
        to: "Jinghong abattoir lairage".into(),
    };
    story.by_station(&k.processor, observe(story.all_at(sold)?, event))?;

    story.day(26);
    let mut carcasses = Vec::new();
    for (i, animal) in herd.iter().take(DEMO_SLAUGHTERED).enumerate() {
        // About 55 % of live weight, to the nearest 100 g.
        let carcass_g = live_weight_g(i) * 55 / 100 / 100 * 100;
        let act = Act::Transform(Transform {
            process: "slaughter".into(),
            inputs: vec![story.at(*animal)?],
            outputs: vec![
                NewAsset {
                    product: Product::Carcass(Carcass {
                        grade: Some(if i == 0 { "A1" } else { "A2" }.into()),
                    }),
                    quantity: qty(carcass_g, Unit::Gram)?,
                    gs1: None,
                    part_of: None,
                    units: None,
                },
                NewAsset {
                    product: Product::Generic(Generic { name: "hide".into() }),
                    quantity: qty(1, Unit::Piece)?,
                    gs1: None,
                    part_of: None,
                    units: None,
                },
            ],
        });
        let id = story.by_station(&k.processor, act)?;
        carcasses.push(story.outputs(id, 2)[0]);
    }

    story.day(27);
    let mut cuts = Vec::new();
    for (c, carcass) in carcasses.iter().take(DEMO_CARCASSES_CUT).enumerate() {
        let lot = lot_number(story, "MH", &format!("C{:02}", c + 1));
        let outputs = CUTS
            .iter()
            .enumerate()
            .map(|(j, (cut, grams))| {
                let cut_gtin = gtin(&format!("2{:04}", j + 1))?;
                Ok(NewAsset {
                    product: Product::BeefCut(BeefCut { cut: (*cut).into() }),
                    // The second carcass is a little lighter.
                    quantity: qty(grams - (c as u64) * 300, Unit::Gram)?,
                    gs1: Some(link(&cut_gtin, &lot, Some(&format!("{:02}{:02}", c + 1, j + 1)))?),
                    part_of: None,
                    units: None,
                })
            })
            .collect::<Result<Vec<_>, DemoError>>()?;
        let act = Act::Transform(Transform {
            process: "cutting and vacuum packing".into(),
            inputs: vec![story.at(*carcass)?],
            outputs,
        });
        let id = story.by_station(&k.processor, act)?;
        cuts.extend(story.outputs(id, CUTS.len()));
    }

    story.day(28);
    let cuts_sold = &cuts[..CUTS_SOLD_TO_TRADER];
    let act = Act::Transfer(Transfer { assets: story.all_at(cuts_sold)?, to: k.trader.id() });
    story.by_party(&k.processor, act)?;

    story.day(29);
    let act = Act::Retire(Retire {
        asset: story.at(cuts_sold[0])?,
        reason: "sold to a consumer at the Kunming shop".into(),
    });
    story.by_station(&k.trader, act)?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use terroir_shared::asset::{Asset, Status};
    use terroir_shared::rules::{Context, MemoryLedger};

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
        let ctx = Context { origin: ORIGIN, operator: PartyId(operator().public()), now };
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
            let ctx = Context { origin: ORIGIN, operator: PartyId(operator().public()), now: r.body().at };
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
        let stored_for_others =
            count(&ledger, |a| a.custodian == keys.warehouse.id() && a.owner != keys.warehouse.id());
        assert_eq!(stored_for_others, 1);
        let retired = count(&ledger, |a| {
            matches!(a.status, Status::Retired { .. })
                && matches!(a.product, Product::BeefCut(_))
                && a.owner == keys.trader.id()
        });
        assert_eq!(retired, 1);
        let tea_house_lots =
            count(&ledger, |a| a.owner == keys.tea_house.id() && a.quantity.amount() == TRADER_SPLIT[1]);
        assert_eq!(tea_house_lots, 1);
        let trader_cuts =
            count(&ledger, |a| a.owner == keys.trader.id() && matches!(a.product, Product::BeefCut(_)));
        assert_eq!(trader_cuts, CUTS_SOLD_TO_TRADER);
    }

    #[test]
    fn no_animal_is_slaughtered_before_its_withdrawal_date() {
        let mut withdrawal: HashMap<AssetId, Date> = HashMap::new();
        let mut slaughtered = 0;
        for r in records(SEED) {
            let (at, act) = (r.body().at, &r.body().act);
            match act {
                Act::Observe(Observe {
                    assets, event: Event::Vaccination { withdrawal_until, .. }, ..
                }) => {
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
            let back =
                Envelope::<Record>::from_json(&json).expect("parses strictly").verify().expect("verifies");
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
        assert_eq!(ids.len(), 76);
        assert_eq!(
            ids.first().map(String::as_str),
            Some("1ba92f81a61485d0380874d99abe67a74d4b0d0879facf5432ac31f8476e0851")
        );
        assert_eq!(
            ids.last().map(String::as_str),
            Some("274bd6d54cda97857195f4c8f1d09d2d25dc32847f7366589e3dd4a9b9501f08")
        );
    }

    #[test]
    fn describe_counts_records_by_act() {
        let records = records(SEED);
        let text = describe(&records);
        assert!(text.starts_with(&format!("{} records", records.len())), "{text}");
        assert!(text.contains("register_party       8"), "{text}");
        assert!(text.contains("retire               1"), "{text}");
        assert!(text.contains("pledge               2"), "{text}");
        assert!(text.contains("release              1"), "{text}");
        assert_eq!(describe(&[]), "0 records, 0 assets created\n");
    }

    #[test]
    fn a_start_beyond_what_records_can_carry_is_an_error_not_a_panic() {
        let far = Timestamp(1 << 60);
        assert!(demo_records(ORIGIN, &operator(), SEED, far).is_err());
    }
}
