//! The ledger's history as GS1 EPCIS 2.0 events (JSON-LD), for the repositories a supply chain
//! already runs. One entry gives the events its record means:
//!
//! | record | EPCIS |
//! | --- | --- |
//! | `commission` | ObjectEvent ADD, `commissioning`, `active`; an AggregationEvent ADD (`packing`) per output others are packed in |
//! | `transform` | TransformationEvent (`creating_class_instance`), inputs to outputs; packing as for `commission` |
//! | `split`, `merge` | TransformationEvent, the asset into its parts, the assets into one |
//! | `transfer` | ObjectEvent OBSERVE, `sourceList`/`destinationList` of type `owning_party` |
//! | `custody` | ObjectEvent OBSERVE, `sourceList`/`destinationList` of type `possessing_party` |
//! | `observe` | ObjectEvent OBSERVE: weighing and picking with a `Mass` sensor report, storage `storing`, movement `transporting`, a lab certificate `inspecting` with `certificationInfo` |
//! | `unpack` | AggregationEvent DELETE, `unpacking` |
//! | `retire` | ObjectEvent DELETE, `decommissioning`, `inactive` |
//! | `pledge`, `release` | ObjectEvent OBSERVE, `terroir:pledging` / `terroir:releasing`, the financier named |
//! | `open_ledger`, `register_party`, `authorise_device`, `revoke_device` | none: no object is touched |
//!
//! An asset's EPC is its GS1 Digital Link URI under the ledger's base URL: an instance (with a
//! serial) in an EPC list, a lot (without one) as a class in a quantity list with its amount
//! (`GRM` grams, `H87` pieces and head); an asset without a GS1 key is named by its API URL,
//! as an object when it is one piece or animal, else as a class with its amount.
//! Every event carries `terroir:recordId` and `terroir:entryIndex`, the record and the log entry
//! it can be checked against, and is identified by that entry's URL.

use serde_json::{Map, Value, json};

mod import;
pub use import::{Expressed, Found, Imported, act_of, event_list};

use crate::Hash;
use crate::asset::{Asset, AssetId, AssetRef, Quantity, Unit};
use crate::gs1::DigitalLink;
use crate::party::PartyId;
use crate::record::{Act, Event, NewAsset, Record};

/// The EPCIS 2.0 JSON-LD context.
pub const EPCIS_CONTEXT: &str = "https://ref.gs1.org/standards/epcis/2.0.0/epcis-context.jsonld";

/// The prefix of Terroir's own event fields, and the IRI it stands for.
pub const PREFIX: &str = "terroir";
pub const NAMESPACE: &str = "urn:terroir:epcis:";

/// The `@context` of a document or of an event on its own.
pub fn context() -> Value {
    json!([EPCIS_CONTEXT, { PREFIX: NAMESPACE }])
}

/// A business step by the name this mapping compares it by: a CBV step bare
/// (`urn:epcglobal:cbv:bizstep:shipping` and `https://ref.gs1.org/cbv/BizStep-shipping` are
/// `shipping`), Terroir's own compact however written (`urn:terroir:epcis:splitting` is
/// `terroir:splitting`).
pub fn bare_step(value: &str) -> String {
    if let Some(name) = value.strip_prefix(NAMESPACE) {
        return format!("{PREFIX}:{name}");
    }
    ["urn:epcglobal:cbv:bizstep:", "https://ref.gs1.org/cbv/BizStep-", "https://gs1.org/voc/Bizstep-"]
        .iter()
        .find_map(|p| value.strip_prefix(p))
        .unwrap_or(value)
        .to_owned()
}

/// What the mapping needs from outside the record: the ledger's base URL and the assets it
/// names (as they are now: an asset's GS1 key and quantity never change).
pub struct Lookup<'a> {
    pub base_url: &'a str,
    pub asset: &'a dyn Fn(&AssetId) -> Option<Asset>,
}

/// How an asset appears in an event.
#[derive(Clone, Debug, PartialEq)]
enum Epc {
    /// One object: an EPC list's entry.
    Instance(String),
    /// A class (a lot): a quantity list's entry, with its amount where the event makes it.
    Class { class: String, amount: Option<Quantity> },
}

fn uom(unit: Unit) -> &'static str {
    match unit {
        Unit::Gram => "GRM",
        Unit::Piece | Unit::Head => "H87",
    }
}

impl Lookup<'_> {
    fn base(&self) -> &str {
        self.base_url.trim_end_matches('/')
    }

    /// An asset's EPC. `amount` is given for an asset the event makes (its quantity is in the
    /// record); an asset it only names appears without one, so that the event says the same
    /// whatever happens to the asset later (a lot's cakes taken out).
    fn epc(&self, id: &AssetId, gs1: Option<&DigitalLink>, unit: Unit, amount: Option<Quantity>) -> Epc {
        match gs1 {
            Some(link) if link.serial().is_some() => Epc::Instance(link.to_uri(self.base())),
            Some(link) => Epc::Class { class: link.to_uri(self.base()), amount },
            // Without a GS1 key: an animal is an object; goods counted in pieces or grams (a
            // part of a split lot, grams of leaf) are that asset taken as a class.
            None if unit == Unit::Head => Epc::Instance(self.asset_uri(id)),
            None => Epc::Class { class: self.asset_uri(id), amount },
        }
    }

    /// The EPC of an asset the event makes.
    fn made(&self, id: &AssetId, gs1: Option<&DigitalLink>, quantity: Quantity) -> Epc {
        self.epc(id, gs1, quantity.unit(), Some(quantity))
    }

    /// The EPC of an asset already in the ledger; one it does not know, by its API URL.
    fn known(&self, id: &AssetId) -> Epc {
        match (self.asset)(id) {
            Some(a) => self.epc(id, a.gs1.as_ref(), a.quantity.unit(), None),
            None => Epc::Instance(self.asset_uri(id)),
        }
    }

    /// An EPC as a URI: an object's, or a class's.
    fn uri(epc: Epc) -> String {
        match epc {
            Epc::Instance(uri) | Epc::Class { class: uri, .. } => uri,
        }
    }

    fn asset_uri(&self, id: &AssetId) -> String {
        format!("{}/api/assets/{id}", self.base())
    }

    fn party_uri(&self, party: &PartyId) -> String {
        format!("{}/api/parties/{party}", self.base())
    }

    fn entry_uri(&self, index: u64) -> String {
        format!("{}/api/entries/{index}", self.base())
    }
}

/// Instances into `epcs`, classes into `quantities`.
fn sort(epcs: impl IntoIterator<Item = Epc>) -> (Vec<Value>, Vec<Value>) {
    let (mut instances, mut classes) = (Vec::new(), Vec::new());
    for epc in epcs {
        match epc {
            Epc::Instance(uri) => {
                if !instances.contains(&Value::String(uri.clone())) {
                    instances.push(Value::String(uri));
                }
            }
            Epc::Class { class, amount: Some(q) } => {
                classes.push(json!({ "epcClass": class, "quantity": q.amount(), "uom": uom(q.unit()) }));
            }
            Epc::Class { class, amount: None } => classes.push(json!({ "epcClass": class })),
        }
    }
    (instances, classes)
}

/// One event under construction: its type and fields.
struct Draft {
    fields: Map<String, Value>,
}

impl Draft {
    fn new(kind: &str) -> Self {
        let mut fields = Map::new();
        fields.insert("type".into(), json!(kind));
        Self { fields }
    }

    fn set(mut self, key: &str, value: Value) -> Self {
        self.fields.insert(key.into(), value);
        self
    }

    /// `epcs` as `epcList` and `quantityList` (or the names given), each only if not empty; an
    /// ObjectEvent needs at least its EPC list.
    fn objects(mut self, epcs: Vec<Epc>, (list, quantities): (&str, &str), always: bool) -> Self {
        let (instances, classes) = sort(epcs);
        if !instances.is_empty() || (always && classes.is_empty()) {
            self.fields.insert(list.into(), Value::Array(instances));
        }
        if !classes.is_empty() {
            self.fields.insert(quantities.into(), Value::Array(classes));
        }
        self
    }

    fn own(self, name: &str, value: Value) -> Self {
        self.set(&format!("{PREFIX}:{name}"), value)
    }
}

/// The events entry `index`, holding record `id`, means: none for a record that touches no
/// object.
pub fn events(index: u64, id: &Hash, record: &Record, lookup: &Lookup) -> Vec<Value> {
    let drafts = drafts(id, record, lookup);
    let many = drafts.len() > 1;
    drafts
        .into_iter()
        .enumerate()
        .map(|(n, d)| {
            let event_id = match many {
                true => format!("{}#event-{}", lookup.entry_uri(index), n + 1),
                false => lookup.entry_uri(index),
            };
            let mut event = Map::new();
            event.insert("type".into(), d.fields.get("type").cloned().unwrap_or_default());
            event.insert("eventID".into(), json!(event_id));
            event.insert("eventTime".into(), json!(record.at.to_rfc3339()));
            event.insert("eventTimeZoneOffset".into(), json!("+00:00"));
            for (k, v) in d.fields.into_iter().filter(|(k, _)| k != "type") {
                event.insert(k, v);
            }
            // A lab certificate is certification information; the record holding it is where
            // it can be read and checked.
            if let Act::Observe(o) = &record.act
                && matches!(o.event, Event::LabCertificate { .. })
            {
                event.insert("certificationInfo".into(), json!(lookup.entry_uri(index)));
            }
            event.insert(format!("{PREFIX}:recordId"), json!(id.to_string()));
            event.insert(format!("{PREFIX}:entryIndex"), json!(index));
            event.insert(format!("{PREFIX}:act"), json!(record.act.name()));
            event.insert(format!("{PREFIX}:party"), json!(lookup.party_uri(&record.party)));
            Value::Object(event)
        })
        .collect()
}

/// The refs' EPCs.
fn known(lookup: &Lookup, refs: &[AssetRef]) -> Vec<Epc> {
    refs.iter().map(|r| lookup.known(&r.id)).collect()
}

fn drafts(id: &Hash, record: &Record, lookup: &Lookup) -> Vec<Draft> {
    let created = |n: usize| AssetId::derive(id, u32::try_from(n).unwrap_or(u32::MAX));
    match &record.act {
        Act::OpenLedger(_) | Act::RegisterParty(_) | Act::AuthoriseDevice(_) | Act::RevokeDevice(_) => {
            Vec::new()
        }
        Act::Commission(c) => {
            let outputs = outputs(&c.assets);
            let epcs =
                outputs.iter().enumerate().map(|(n, o)| lookup.made(&created(n), o.gs1.as_ref(), o.quantity));
            let commissioning = Draft::new("ObjectEvent")
                .set("action", json!("ADD"))
                .objects(epcs.collect(), ("epcList", "quantityList"), true)
                .set("bizStep", json!("commissioning"))
                .set("disposition", json!("active"))
                .set("ilmd", products(&outputs[..c.assets.len()], lookup, &created));
            std::iter::once(commissioning).chain(packing(&outputs, lookup, &created)).collect()
        }
        Act::Transform(t) => {
            let outputs = outputs(&t.outputs);
            let made =
                outputs.iter().enumerate().map(|(n, o)| lookup.made(&created(n), o.gs1.as_ref(), o.quantity));
            let transform = Draft::new("TransformationEvent")
                .objects(known(lookup, &t.inputs), ("inputEPCList", "inputQuantityList"), false)
                .objects(made.collect(), ("outputEPCList", "outputQuantityList"), false)
                .set("bizStep", json!("creating_class_instance"))
                .set("disposition", json!("active"))
                .set("ilmd", products(&outputs[..t.outputs.len()], lookup, &created))
                .own("process", json!(t.process));
            std::iter::once(transform).chain(packing(&outputs, lookup, &created)).collect()
        }
        Act::Split(s) => {
            let whole = (lookup.asset)(&s.asset.id);
            let unit = whole.as_ref().map_or(Unit::Piece, |a| a.quantity.unit());
            let parts = s.parts.iter().enumerate().map(|(n, p)| match Quantity::new(p.amount, unit) {
                Ok(q) => lookup.made(&created(n), p.gs1.as_ref(), q),
                Err(_) => Epc::Instance(lookup.asset_uri(&created(n))),
            });
            vec![
                Draft::new("TransformationEvent")
                    .objects(vec![lookup.known(&s.asset.id)], ("inputEPCList", "inputQuantityList"), false)
                    .objects(parts.collect(), ("outputEPCList", "outputQuantityList"), false)
                    .set("bizStep", json!(format!("{PREFIX}:splitting"))),
            ]
        }
        Act::Merge(m) => {
            let inputs: Vec<Option<Asset>> = m.assets.iter().map(|r| (lookup.asset)(&r.id)).collect();
            let total: Option<Quantity> = inputs
                .iter()
                .try_fold(None::<Quantity>, |sum, a| {
                    let q = a.as_ref()?.quantity;
                    match sum {
                        None => Some(Some(q)),
                        Some(s) if s.unit() == q.unit() => {
                            Quantity::new(s.amount() + q.amount(), q.unit()).ok().map(Some)
                        }
                        Some(_) => None,
                    }
                })
                .flatten();
            let output = match total {
                Some(q) => lookup.made(&created(0), m.gs1.as_ref(), q),
                None => Epc::Instance(lookup.asset_uri(&created(0))),
            };
            vec![
                Draft::new("TransformationEvent")
                    .objects(known(lookup, &m.assets), ("inputEPCList", "inputQuantityList"), false)
                    .objects(vec![output], ("outputEPCList", "outputQuantityList"), false)
                    .set("bizStep", json!(format!("{PREFIX}:merging"))),
            ]
        }
        Act::Transfer(t) => vec![handing_on(lookup, &t.assets, record.party, t.to, "owning_party")],
        Act::Custody(c) => vec![handing_on(lookup, &c.assets, record.party, c.to, "possessing_party")],
        Act::Observe(o) => vec![observation(lookup, &o.assets, &o.event, o)],
        Act::Unpack(u) => {
            let parent = Lookup::uri(lookup.known(&u.holder.id));
            vec![
                Draft::new("AggregationEvent")
                    .set("action", json!("DELETE"))
                    .set("parentID", json!(parent))
                    .objects(known(lookup, &u.units), ("childEPCs", "childQuantityList"), false)
                    .set("bizStep", json!("unpacking")),
            ]
        }
        Act::Retire(r) => vec![
            Draft::new("ObjectEvent")
                .set("action", json!("DELETE"))
                .objects(vec![lookup.known(&r.asset.id)], ("epcList", "quantityList"), true)
                .set("bizStep", json!("decommissioning"))
                .set("disposition", json!("inactive"))
                .own("reason", json!(r.reason)),
        ],
        Act::Pledge(p) => vec![
            Draft::new("ObjectEvent")
                .set("action", json!("OBSERVE"))
                .objects(vec![lookup.known(&p.asset.id)], ("epcList", "quantityList"), true)
                .set("bizStep", json!(format!("{PREFIX}:pledging")))
                .own("financier", json!(lookup.party_uri(&p.financier))),
        ],
        Act::Release(r) => vec![
            Draft::new("ObjectEvent")
                .set("action", json!("OBSERVE"))
                .objects(vec![lookup.known(&r.asset.id)], ("epcList", "quantityList"), true)
                .set("bizStep", json!(format!("{PREFIX}:releasing"))),
        ],
    }
}

/// A record's new assets in output order, the cake tokens of a lot after the listed outputs
/// (as the rules create them).
fn outputs(listed: &[NewAsset]) -> Vec<NewAsset> {
    crate::rules::expand_outputs(listed).map(|o| o.into_owned()).unwrap_or_else(|_| listed.to_vec())
}

/// What each listed output is, as instance/lot master data: by EPC (or class), its product.
/// (Generated cake tokens come after the listed outputs; their lot's product says what they
/// are.)
fn products(listed: &[NewAsset], lookup: &Lookup, created: &dyn Fn(usize) -> AssetId) -> Value {
    let described: Vec<Value> = listed
        .iter()
        .enumerate()
        .map(|(n, o)| {
            let epc = match lookup.made(&created(n), o.gs1.as_ref(), o.quantity) {
                Epc::Instance(uri) | Epc::Class { class: uri, .. } => uri,
            };
            let mut entry = json!({ "epc": epc, "asset": created(n).to_string(), "product": o.product });
            if let Some(units) = o.units {
                entry["units"] = json!(units);
            }
            if let Some(holder) = o.part_of.and_then(|h| listed.get(h as usize).map(|l| (h, l))) {
                entry["partOf"] = json!(Lookup::uri(lookup.made(
                    &created(holder.0 as usize),
                    holder.1.gs1.as_ref(),
                    holder.1.quantity
                )));
            }
            entry
        })
        .collect();
    json!({ format!("{PREFIX}:products"): described })
}

/// One AggregationEvent ADD (`packing`) per output that others were packed in.
fn packing(outputs: &[NewAsset], lookup: &Lookup, created: &dyn Fn(usize) -> AssetId) -> Vec<Draft> {
    let mut holders: Vec<u32> = outputs.iter().filter_map(|o| o.part_of).collect();
    holders.sort_unstable();
    holders.dedup();
    holders
        .into_iter()
        .filter_map(|h| {
            let holder = outputs.get(h as usize)?;
            let parent = Lookup::uri(lookup.made(&created(h as usize), holder.gs1.as_ref(), holder.quantity));
            let children = outputs
                .iter()
                .enumerate()
                .filter(|(_, o)| o.part_of == Some(h))
                .map(|(n, o)| lookup.made(&created(n), o.gs1.as_ref(), o.quantity));
            Some(
                Draft::new("AggregationEvent")
                    .set("action", json!("ADD"))
                    .set("parentID", json!(parent))
                    .objects(children.collect(), ("childEPCs", "childQuantityList"), false)
                    .set("bizStep", json!("packing")),
            )
        })
        .collect()
}

fn handing_on(lookup: &Lookup, assets: &[AssetRef], from: PartyId, to: PartyId, kind: &str) -> Draft {
    Draft::new("ObjectEvent")
        .set("action", json!("OBSERVE"))
        .objects(known(lookup, assets), ("epcList", "quantityList"), true)
        .set("sourceList", json!([{ "type": kind, "source": lookup.party_uri(&from) }]))
        .set("destinationList", json!([{ "type": kind, "destination": lookup.party_uri(&to) }]))
}

fn observation(lookup: &Lookup, assets: &[AssetRef], event: &Event, o: &crate::record::Observe) -> Draft {
    let draft = Draft::new("ObjectEvent").set("action", json!("OBSERVE")).objects(
        known(lookup, assets),
        ("epcList", "quantityList"),
        true,
    );
    let mass = |grams: u64| json!([{ "sensorReport": [{ "type": "Mass", "value": grams, "uom": "GRM" }] }]);
    let draft = match event {
        Event::Weighing { mass_g } => {
            draft.set("bizStep", json!("inspecting")).set("sensorElementList", mass(*mass_g))
        }
        Event::Picking { garden, mass_g } => draft
            .set("bizStep", json!(format!("{PREFIX}:harvesting")))
            .set("sensorElementList", mass(*mass_g))
            .own("garden", json!(garden)),
        Event::Vaccination { vaccine, withdrawal_until } => draft
            .set("bizStep", json!(format!("{PREFIX}:vaccinating")))
            .own("vaccine", json!(vaccine))
            .own("withdrawalUntil", json!(withdrawal_until.to_string())),
        Event::Movement { from, to } => {
            draft.set("bizStep", json!("transporting")).own("from", json!(from)).own("to", json!(to))
        }
        Event::Pressing { press } => {
            draft.set("bizStep", json!(format!("{PREFIX}:pressing"))).own("press", json!(press))
        }
        Event::Storage { location } => {
            draft.set("bizStep", json!("storing")).own("location", json!(location))
        }
        Event::LabCertificate { laboratory, certificate, result } => draft
            .set("bizStep", json!("inspecting"))
            .own("laboratory", json!(laboratory))
            .own("certificate", json!(certificate))
            .own("result", json!(result)),
        Event::Note { text } => draft.set("bizStep", json!("other")).own("note", json!(text)),
    };
    if o.attachments.is_empty() {
        return draft;
    }
    let attachments: Vec<Value> = o
        .attachments
        .iter()
        .map(|a| json!({ "name": a.name, "mediaType": a.media_type, "sha256": a.sha256.to_string(), "size": a.size }))
        .collect();
    draft.own("attachments", Value::Array(attachments))
}

/// An EPCIS document holding `events`.
pub fn document(events: Vec<Value>, created: &str) -> Value {
    json!({
        "@context": context(),
        "type": "EPCISDocument",
        "schemaVersion": "2.0",
        "creationDate": created,
        "epcisBody": { "eventList": events },
    })
}

/// The answer to a query (`SimpleEventQuery`) holding `events`.
pub fn query_document(events: Vec<Value>, created: &str) -> Value {
    json!({
        "@context": context(),
        "type": "EPCISQueryDocument",
        "schemaVersion": "2.0",
        "creationDate": created,
        "epcisBody": { "queryResults": { "queryName": "SimpleEventQuery", "resultsBody": { "eventList": events } } },
    })
}

/// Every EPC, class and parent an event names (what `MATCH_anyEPC` and `MATCH_anyEPCClass`
/// look at).
pub fn named(event: &Value) -> Vec<&str> {
    let mut out = Vec::new();
    for list in ["epcList", "inputEPCList", "outputEPCList", "childEPCs"] {
        out.extend(event[list].as_array().into_iter().flatten().filter_map(Value::as_str));
    }
    for list in ["quantityList", "inputQuantityList", "outputQuantityList", "childQuantityList"] {
        out.extend(event[list].as_array().into_iter().flatten().filter_map(|q| q["epcClass"].as_str()));
    }
    out.extend(event["parentID"].as_str());
    out
}
