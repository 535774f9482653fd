//! Registering goods and acting on them. An act is read, built, judged by the ledger's rules,
//! signed and stored in one transaction over the station's store; each asset it names is read
//! once, whichever step asks for it.

use std::cell::RefCell;

use base64::Engine;
use diesel::Connection;
use terroir_shared::asset::{Asset, AssetId, garden_cap_key};
use terroir_shared::gs1::Gtin;
use terroir_shared::party::PartyId;
use terroir_shared::record::{Act, Attachment, Commission, Record, Transform, Unsigned};
use terroir_shared::rules::{self, Context, Rules, needs};

use super::{Done, Station};
use crate::describe::{asset_label, event_name, explain, kilograms, short};
use crate::error::{Result, StationError};
use crate::forms::{self, ActForm, CattleForm, GardenForm, Lookup, TeaBatchForm};
use crate::store;
use crate::words::{Said, said};

impl Station {
    /// Registers one animal (and its photo, as an attachment on a note).
    pub fn register_cattle(&self, form: CattleForm) -> Result<Done> {
        let tag = form.ear_tag.trim().to_owned();
        let summary = said(format!("Register cattle {tag}"), format!("登记肉牛 {tag}"));
        let done = self.perform(Signer::Station, None, |reads| {
            Ok((Act::Commission(Commission::new(vec![forms::cattle(&form, &reads.lookup())?])), summary))
        })?;
        if let Some(photo) = &form.photo {
            let id = done.created.first().cloned().unwrap_or_default();
            let event = forms::EventForm::Note { text: "registration photo".into() };
            self.act(ActForm::Event { assets: vec![id], event, attachment: Some(photo.clone()) })?;
        }
        Ok(done)
    }

    /// Registers every animal of a CSV file in one record, or none if any line is wrong.
    pub fn import_cattle_csv(&self, csv_text: &str) -> Result<Done> {
        let rows = forms::cattle_csv(csv_text).map_err(|errors| {
            let lines: Vec<Said> = errors.iter().map(|(l, m)| line(*l).with(m)).collect();
            StationError::input("csv", Said::join(&lines))
        })?;
        let n = rows.len();
        if n > rules::MAX_OUTPUTS {
            let most = rules::MAX_OUTPUTS;
            return Err(StationError::input(
                "csv",
                said(format!("at most {most} animals per file"), format!("每个文件最多 {most} 头")),
            ));
        }
        self.perform(Signer::Station, None, |reads| {
            let lookup = reads.lookup();
            let mut errors = vec![];
            let mut assets = vec![];
            for (i, row) in rows.iter().enumerate() {
                match forms::cattle(row, &lookup) {
                    Ok(a) => assets.push(a),
                    Err(e) => errors.push(line(i + 2).with(&e.said())),
                }
            }
            if !errors.is_empty() {
                return Err(StationError::input("csv", Said::join(&errors)));
            }
            let summary = said(format!("Register {n} cattle from a file"), format!("从文件登记 {n} 头肉牛"));
            Ok((Act::Commission(Commission::new(assets)), summary))
        })
    }

    /// Registers a pressing of tea: the lot and one token per cake.
    pub fn register_tea(&self, form: TeaBatchForm) -> Result<Done> {
        let (count, lot_number) = (form.count, form.lot_number.trim());
        let summary = said(
            format!("Register {count} tea cakes, lot {lot_number}"),
            format!("登记 {count} 饼茶，批号 {lot_number}"),
        );
        self.perform(Signer::Station, None, |reads| {
            Ok((Act::Commission(Commission::new(vec![forms::tea_batch(&form, &reads.lookup())?])), summary))
        })
    }

    /// Registers a garden's cap for a season: from then on this co-op registers no more tea of
    /// that garden and season than its area × yield.
    pub fn register_garden(&self, form: GardenForm) -> Result<Done> {
        let cap = forms::garden_cap(&form)?;
        let (garden, season, grams) =
            (form.garden.trim(), form.season.trim(), kilograms(cap.quantity.amount()));
        let summary = said(
            format!("Register the cap of {garden} for {season}: {}", grams.en),
            format!("登记 {garden} {season} 的额度：{}", grams.zh),
        );
        self.perform(Signer::Station, None, |_| Ok((Act::Commission(Commission::new(vec![cap])), summary)))
    }

    /// Any act on existing assets.
    pub fn act(&self, form: ActForm) -> Result<Done> {
        // The file is kept with the record, once the rules accept the act: a refused act keeps
        // nothing.
        let file = match &form {
            ActForm::Event { attachment: Some(file), .. } => {
                let bytes =
                    base64::engine::general_purpose::STANDARD.decode(file.base64.trim()).map_err(|_| {
                        StationError::input("attachment", said("the file could not be read", "文件无法读取"))
                    })?;
                Some((forms::attachment(file, &bytes)?, bytes))
            }
            _ => None,
        };
        self.perform(Signer::Station, file.as_ref(), |reads| {
            let act = forms::act(&form, &reads.lookup(), file.as_ref().map(|(a, _)| a.clone()))?;
            let summary = summary(&act, reads)?;
            Ok((act, summary))
        })
    }
}

/// Who signs an act: the station's own key, or the co-op's (only to authorise the station).
#[derive(Clone, Copy)]
pub(super) enum Signer {
    Station,
    Coop,
}

/// What building an act reads: the store through the act's transaction, each asset once, and
/// the co-op's GS1 numbers from the settings read for the act.
pub(super) struct ActReads<'c> {
    store: RefCell<store::Reads<'c>>,
    tea_gtin: Option<Gtin>,
    cattle_gtin: Option<Gtin>,
}

impl ActReads<'_> {
    /// What the forms look assets up in.
    fn lookup(&self) -> Lookup<'_> {
        Lookup {
            asset: Box::new(|id| self.store.borrow_mut().asset(id).ok().flatten()),
            tea_gtin: self.tea_gtin,
            cattle_gtin: self.cattle_gtin,
        }
    }

    fn asset(&self, id: &AssetId) -> Result<Option<Asset>> {
        Ok(self.store.borrow_mut().asset(id)?)
    }

    fn party_name(&self, id: &PartyId) -> String {
        let known = self.store.borrow_mut().party(id).ok().flatten();
        known.map(|(p, _)| p.name).unwrap_or_else(|| short(id))
    }
}

impl Station {
    /// One act, whole: `build` makes it (and its summary) from the station's view, the garden
    /// caps it draws on and the units it hands on are named, it is signed, judged by the
    /// ledger's rules on exactly what they read, and stored with its effects (and `file`, an
    /// attachment it names) — in one transaction, with the settings and keys read once and
    /// each asset once. A refusal stores nothing.
    pub(super) fn perform(
        &self,
        signer: Signer,
        file: Option<&(Attachment, Vec<u8>)>,
        build: impl FnOnce(&ActReads<'_>) -> Result<(Act, Said)>,
    ) -> Result<Done> {
        let settings = self.settings()?;
        let keys = self.keys()?;
        let me = PartyId(keys.party.public());
        let signer = match signer {
            Signer::Station => &keys.device,
            Signer::Coop => &keys.party,
        };
        let (tea_gtin, cattle_gtin) = settings.gtins();
        let operator =
            settings.operator.as_deref().and_then(|o| forms::party("operator", o).ok()).unwrap_or(me);
        let mut conn = self.db();
        conn.transaction(|conn| -> Result<Done> {
            let reads = ActReads { store: RefCell::new(store::Reads::new(conn)), tea_gtin, cattle_gtin };
            let (act, summary) = build(&reads)?;
            let act = with_units(with_caps(act, &me, &reads)?, &reads)?;
            let now = self.now();
            let record =
                Record { origin: settings.origin.clone(), party: me, signer: signer.public(), at: now, act };
            let signed = Unsigned::new(record).sign(signer).map_err(|e| {
                StationError::input(
                    "record",
                    said("cannot sign this record", "无法签署这条记录").with_detail(e),
                )
            })?;
            // The station judges by the current rules; a ledger opened under older ones
            // refuses less, never more.
            let ctx = Context { origin: &settings.origin, operator, rules: Rules::CURRENT, now };
            let mut store = reads.store.into_inner();
            let wanted = needs(&signed, Rules::CURRENT);
            let view = store.snapshot(&signed, &wanted)?;
            let effects = rules::apply(&view, &signed, &ctx).map_err(|v| StationError::Refused {
                code: v.code(),
                message: explain(&v, |id| describe_from(&view, id)),
            })?;
            let conn = store.into_conn();
            let id = signed.id().to_string();
            let envelope =
                serde_json::to_string(&signed.envelope()).map_err(|e| store::corrupt("record", e))?;
            let words = serde_json::to_string(&summary).map_err(|e| store::corrupt("summary", e))?;
            let touched: Vec<String> = effects.assets.iter().map(|a| a.id.to_string()).collect();
            let at = now.millis() as i64;
            let seq =
                store::insert_record(conn, &id, signed.body().act.name(), &words, &envelope, at, &touched)?;
            for p in &effects.parties {
                store::put_party(conn, p, false)?;
            }
            for d in &effects.devices {
                store::put_device(conn, d)?;
            }
            for a in &effects.assets {
                store::put_asset(conn, a, &asset_label(a).both(), seq)?;
            }
            if let Some((a, bytes)) = file {
                store::put_attachment(conn, &a.sha256.to_string(), &a.name, &a.media_type, bytes)?;
            }
            let created = wanted.creates.iter().map(|a| a.to_string()).collect();
            Ok(Done { record: id, summary, created })
        })
    }
}

/// What an act does, in the clerk's words: "Split into 30 + 20: Tea lot of 50 cakes …".
pub(super) fn summary(act: &Act, reads: &ActReads<'_>) -> Result<Said> {
    let mut names = Vec::new();
    for r in act.touches() {
        names.push(reads.asset(&r.id)?.map(|a| asset_label(&a)).unwrap_or_else(|| Said::same(short(&r.id))));
    }
    let what = match act {
        Act::Observe(o) => {
            let e = event_name(&o.event);
            said(format!("Record {}", e.en), format!("记录{}", e.zh))
        }
        Act::Split(s) => {
            let parts = s.parts.iter().map(|p| p.amount.to_string()).collect::<Vec<_>>().join(" + ");
            said(format!("Split into {parts}"), format!("拆分为 {parts}"))
        }
        Act::Merge(_) => said("Merge", "合并"),
        Act::Transform(t) => said(format!("Transform ({})", t.process), format!("加工（{}）", t.process)),
        Act::Transfer(t) => {
            let to = reads.party_name(&t.to);
            said(format!("Transfer to {to}"), format!("转让给 {to}"))
        }
        Act::Custody(c) => {
            let to = reads.party_name(&c.to);
            said(format!("Hand to {to}"), format!("交给 {to} 保管"))
        }
        Act::Pledge(p) => {
            let to = reads.party_name(&p.financier);
            said(format!("Pledge to {to}"), format!("质押给 {to}"))
        }
        Act::Release(_) => said("Release pledge", "解除质押"),
        Act::Retire(r) => said(format!("Retire ({})", r.reason), format!("注销（{}）", r.reason)),
        Act::Unpack(_) => said("Take out of its lot", "从批次中取出"),
        Act::Commission(c) => match c.assets.len() {
            1 => said("Register new goods", "登记新货品"),
            n => said(format!("Register {n} new goods"), format!("登记 {n} 件新货品")),
        },
        Act::AuthoriseDevice(d) => {
            said(format!("Authorise station key {}", d.label), format!("授权工作站密钥 {}", d.label))
        }
        Act::RevokeDevice(_) => said("Revoke a station key", "吊销工作站密钥"),
        other => Said::same(other.name()),
    };
    let Some(first) = names.first() else { return Ok(what) };
    Ok(match names.len() {
        1 => what.with(first),
        n => {
            let more = n - 1;
            what.with(&said(format!("{} and {more} more", first.en), format!("{} 等 {n} 件", first.zh)))
        }
    })
}

/// A split of a lot that holds units (cakes with their own labels) hands them to the parts by
/// count, in serial order, as the clerk gives the parts' amounts.
fn with_units(mut act: Act, reads: &ActReads<'_>) -> Result<Act> {
    let Act::Split(split) = &mut act else { return Ok(act) };
    if split.parts.iter().any(|p| !p.units.is_empty()) {
        return Ok(act);
    }
    let Some(lot) = reads.asset(&split.asset.id)? else { return Ok(act) };
    if lot.contents.is_empty() {
        return Ok(act);
    }
    let counts: Vec<u64> = split.parts.iter().map(|p| p.amount).collect();
    // Counts that do not add up are left for the rules to explain.
    if let Some(units) = terroir_shared::asset::take_by_count(&lot.contents, &counts) {
        for (part, units) in split.parts.iter_mut().zip(units) {
            part.units = units;
        }
    }
    Ok(act)
}

/// Names the co-op's garden caps that the new tea of `act` draws on, at the heads this station
/// knows; the rules then count the tea against them.
fn with_caps(mut act: Act, me: &PartyId, reads: &ActReads<'_>) -> Result<Act> {
    let (outputs, inputs, allowances) = match &mut act {
        Act::Commission(Commission { assets, allowances }) => (&*assets, Vec::new(), allowances),
        Act::Transform(Transform { inputs, outputs, allowances, .. }) => {
            let mut known = Vec::with_capacity(inputs.len());
            for r in inputs.iter() {
                known.extend(reads.asset(&r.id)?);
            }
            (&*outputs, known, allowances)
        }
        _ => return Ok(act),
    };
    for tea in rules::new_tea(outputs, &inputs, Rules::CURRENT) {
        let key = garden_cap_key(me, &tea.garden, &tea.season, Rules::CURRENT);
        let holder = reads.store.borrow_mut().holder_of(&key)?;
        if let Some(cap) = holder.map(|id| reads.asset(&id)).transpose()?.flatten()
            && !allowances.iter().any(|a| a.id == cap.id)
        {
            allowances.push(cap.reference());
        }
    }
    Ok(act)
}

fn describe_from(view: &impl rules::LedgerView, id: &AssetId) -> Said {
    view.asset(id).map(|a| asset_label(&a)).unwrap_or_else(|| Said::same(short(id)))
}

/// "line 3", as a CSV file's errors name it.
fn line(n: usize) -> Said {
    said(format!("line {n}"), format!("第 {n} 行"))
}
