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

mod cattle;
mod keys;
mod parties;
mod tea;
#[cfg(test)]
mod tests;

use std::collections::{BTreeMap, HashMap};
use std::fmt::Write as _;

use terroir_shared::Hash;
use terroir_shared::asset::{AssetId, AssetRef, Quantity, QuantityError, Unit, UnitRange};
use terroir_shared::calendar::{Date, Timestamp};
use terroir_shared::crypto::Keypair;
use terroir_shared::ear_tag::EarTagError;
use terroir_shared::gs1::{DigitalLink, DigitalLinkError, Gtin, GtinError};
use terroir_shared::party::PartyId;
use terroir_shared::record::{Act, Event, NewAsset, Observe, Record, SignError, Signed, Unsigned};

pub use keys::{DemoKeys, Member};

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
    parties::register(&mut story, &keys, &seed)?;
    let maocha = tea::harvest(&mut story, &keys)?;
    let herd = cattle::herd(&mut story, &keys)?;
    let lot = tea::pressing(&mut story, &keys, maocha)?;
    cattle::care(&mut story, &keys, &herd)?;
    let (tea_house_lot, cake) = tea::trade(&mut story, &keys, lot)?;
    cattle::beef(&mut story, &keys, &herd)?;
    tea::shop(&mut story, &keys, tea_house_lot, cake)?;
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
    let mut created = 0u64;
    for r in records {
        let act = &r.body().act;
        by_act.entry(act_order(act)).or_insert((act.name(), 0)).1 += 1;
        created += match act {
            Act::Commission(c) => new_assets(&c.assets),
            Act::Split(s) => s.parts.len() as u64,
            Act::Merge(_) => 1,
            Act::Transform(t) => new_assets(&t.outputs),
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

/// The assets `outputs` create: each listed one, and for a lot with unit tokens one token per
/// unit, which the rules generate without listing them.
fn new_assets(outputs: &[NewAsset]) -> u64 {
    outputs.iter().map(|o| 1 + o.units.map_or(0, |_| o.quantity.amount())).sum()
}

/// The position of an act in the life of goods, to list counts in a readable order.
fn act_order(act: &Act) -> usize {
    match act {
        Act::OpenLedger(_) => 0,
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
        Act::Unpack(_) => 13,
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
    made: HashMap<AssetId, Hash>,
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
            made: HashMap::new(),
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
                self.made.insert(asset, id);
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

    /// The units packed in a holder moved with it by record `id`: their heads are `id` now.
    fn units_moved(&mut self, units: &[UnitRange], id: Hash) {
        for unit in units.iter().flat_map(UnitRange::ids) {
            self.heads.insert(unit, id);
        }
    }

    /// The record that made `asset`.
    fn made_by(&self, asset: AssetId) -> Result<Hash, DemoError> {
        self.made.get(&asset).copied().ok_or(DemoError::UnknownAsset(asset))
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

/// A lot number such as `BL26-P01`: a prefix, the year of `start` and a suffix.
fn lot_number(story: &Story<'_>, prefix: &str, suffix: &str) -> String {
    let year = Date::of(Timestamp(story.start)).to_string();
    format!("{prefix}{}-{suffix}", year.get(2..4).unwrap_or("26"))
}
