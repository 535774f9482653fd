//! EPCIS 2.0 in: one event from a partner's system, as the acts the ledger's rules can express,
//! or why it cannot be. The inverse of the export ([`super::events`]): what the export writes
//! comes back as the same acts, and a partner's own events are read as far as they go.
//!
//! | EPCIS | act |
//! | --- | --- |
//! | ObjectEvent ADD | `commission`: each object or class a new asset, its product from the event's `terroir:products` master data when it has them, else generic goods named by their GS1 key |
//! | ObjectEvent OBSERVE with an `owning_party` / `possessing_party` destination | `transfer` / `custody` to that party |
//! | ObjectEvent OBSERVE | `observe`: a `Mass` sensor report a weighing, `storing` a storage, `transporting` a movement, a certificate a lab certificate, Terroir's own steps (harvesting, pressing, vaccinating, pledging, releasing) as themselves, any other step a note naming it |
//! | ObjectEvent DELETE | `retire`, one per object |
//! | TransformationEvent | `split` or `merge` (Terroir's own steps), else `transform` |
//! | AggregationEvent DELETE | `unpack` |
//! | AggregationEvent ADD | nothing when the children are already packed in the parent (the ledger packs goods as it registers them); otherwise not expressible |
//! | TransactionEvent, AssociationEvent | not expressible: the ledger has no business transactions or associations |
//!
//! Objects are named by GS1 Digital Link URIs (any domain: the path is the identity); an
//! object named only by another ledger's asset URL has no identity here.

use std::collections::HashMap;

use serde_json::Value;

use crate::asset::{Asset, AssetRef, Product, Quantity, Status, Unit};
use crate::gs1::DigitalLink;
use crate::party::PartyId;
use crate::record::{
    Act, Attachment, Commission, Custody, Event, Merge, NewAsset, Observe, Part, Pledge, Release, Retire,
    Split, Transfer, Transform, UnitTokens, Unpack,
};

use super::PREFIX;

/// What the importing ledger knows.
pub struct Found<'a> {
    /// The asset an EPC names there, as it is now: a GS1 Digital Link (any domain) by its
    /// identity, or an object the importer made from an earlier event of the same document.
    pub asset: &'a dyn Fn(&str) -> Option<Asset>,
    /// Whether a party is registered there.
    pub party: &'a dyn Fn(&PartyId) -> bool,
}

/// One act an event comes to, and the EPCs of the assets it makes, in output order (so that
/// later events naming them find them).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Imported {
    pub act: Act,
    pub made: Vec<String>,
}

/// What an event comes to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Expressed {
    /// The acts to sign, in order.
    Acts(Vec<Imported>),
    /// Nothing to record: the ledger already says it (why).
    Already(String),
}

type Why = String;

fn own<'a>(event: &'a Value, name: &str) -> Option<&'a str> {
    event.get(format!("{PREFIX}:{name}")).and_then(Value::as_str)
}

fn strings(event: &Value, name: &str) -> Vec<String> {
    event[name].as_array().into_iter().flatten().filter_map(Value::as_str).map(str::to_owned).collect()
}

/// A class and its amount from a quantity list.
fn classes(event: &Value, name: &str) -> Result<Vec<(String, Option<Quantity>)>, Why> {
    event[name]
        .as_array()
        .into_iter()
        .flatten()
        .map(|q| {
            let class = q["epcClass"].as_str().ok_or("a quantity without its epcClass")?.to_owned();
            let amount = match q.get("quantity") {
                None => None,
                Some(n) => Some(quantity(n, q["uom"].as_str()).map_err(|e| format!("{class}: {e}"))?),
            };
            Ok((class, amount))
        })
        .collect()
}

/// An EPCIS quantity in the ledger's integer units: grams (GRM, KGM) or pieces (H87, EA, none).
fn quantity(n: &Value, uom: Option<&str>) -> Result<Quantity, Why> {
    let value = n.as_f64().ok_or("a quantity that is not a number")?;
    let (scale, unit) = match uom {
        Some("GRM") => (1.0, Unit::Gram),
        Some("KGM") => (1000.0, Unit::Gram),
        Some("H87") | Some("EA") | None => (1.0, Unit::Piece),
        Some(other) => {
            return Err(format!("the unit `{other}` is not one the ledger counts in (GRM, KGM, H87, EA)"));
        }
    };
    let amount = value * scale;
    if amount.fract() != 0.0 || !(1.0..=9_007_199_254_740_991.0).contains(&amount) {
        return Err(format!("{value} {} is not a whole number of {unit} from 1 on", uom.unwrap_or("pieces")));
    }
    Quantity::new(amount as u64, unit).map_err(|e| e.to_string())
}

/// The identity an EPC names: a GS1 Digital Link's path (whatever its domain), or the URI.
fn key(uri: &str) -> String {
    DigitalLink::parse(uri).map(|l| l.to_path()).unwrap_or_else(|_| uri.to_owned())
}

fn known(found: &Found, uri: &str) -> Result<Asset, Why> {
    (found.asset)(uri).ok_or_else(|| match DigitalLink::parse(uri) {
        Ok(l) => format!("this ledger holds no {}", l.to_path()),
        Err(_) => format!(
            "`{uri}` names an object only by another system's URL, and no earlier event of this document made it"
        ),
    })
}

fn reference(found: &Found, uri: &str) -> Result<AssetRef, Why> {
    known(found, uri).map(|a| AssetRef { id: a.id, head: a.head })
}

/// Every object and class an event's lists name, as references to the assets here.
fn references(found: &Found, event: &Value, list: &str, quantities: &str) -> Result<Vec<AssetRef>, Why> {
    let mut refs = Vec::new();
    for uri in strings(event, list).iter().chain(classes(event, quantities)?.iter().map(|(c, _)| c)) {
        let r = reference(found, uri)?;
        if !refs.contains(&r) {
            refs.push(r);
        }
    }
    Ok(refs)
}

fn party(found: &Found, uri: &str) -> Result<PartyId, Why> {
    let key = uri.rsplit('/').next().unwrap_or_default();
    let id = key.parse().map(PartyId).map_err(|_| format!("`{uri}` does not name a party by its key"))?;
    if (found.party)(&id) { Ok(id) } else { Err(format!("the party {id} is not registered in this ledger")) }
}

/// The new assets an event's output lists name, with their EPCs in output order: as its
/// `terroir:products` master data describe them (a lot with its cake tokens, goods packed in
/// another output), else each object one piece and each class its amount, as generic goods
/// named by their GS1 key (or, without one, by the EPC).
fn new_assets(event: &Value, list: &str, quantities: &str) -> Result<(Vec<NewAsset>, Vec<String>), Why> {
    let objects = strings(event, list);
    let amounts = classes(event, quantities)?;
    let described = event["ilmd"][format!("{PREFIX}:products")].as_array().cloned().unwrap_or_default();
    let piece = || Quantity::new(1, Unit::Piece).map_err(|e| e.to_string());
    if described.is_empty() {
        let mut out = Vec::new();
        for uri in &objects {
            out.push(generic(uri, piece()?));
        }
        for (class, amount) in &amounts {
            out.push(generic(class, amount.ok_or_else(|| format!("{class}: a class without its quantity"))?));
        }
        let made = objects.iter().chain(amounts.iter().map(|(c, _)| c)).cloned().collect();
        return Ok((out, made));
    }
    let amount_of: HashMap<String, Option<Quantity>> = amounts.iter().map(|(c, q)| (key(c), *q)).collect();
    let (mut out, mut made, mut holders) = (Vec::new(), Vec::new(), Vec::new());
    for d in &described {
        let epc = d["epc"].as_str().ok_or("a product without its EPC")?;
        let product: Product =
            serde_json::from_value(d["product"].clone()).map_err(|e| format!("the product of {epc}: {e}"))?;
        let units: Option<UnitTokens> = match d.get("units") {
            Some(u) => {
                Some(serde_json::from_value(u.clone()).map_err(|e| format!("the units of {epc}: {e}"))?)
            }
            None => None,
        };
        let quantity = match amount_of.get(&key(epc)) {
            Some(Some(q)) => *q,
            Some(None) => return Err(format!("{epc}: a class without its quantity")),
            None => piece()?,
        };
        holders.push(d["partOf"].as_str().map(key));
        made.push(epc.to_owned());
        out.push(NewAsset { product, quantity, gs1: DigitalLink::parse(epc).ok(), part_of: None, units });
    }
    let keys: Vec<String> = made.iter().map(|m| key(m)).collect();
    for (n, holder) in holders.iter().enumerate() {
        if let Some(h) = holder {
            let index = keys
                .iter()
                .position(|k| k == h)
                .ok_or_else(|| format!("{h} holds goods but is not made here"))?;
            out[n].part_of = u32::try_from(index).ok();
        }
    }
    // Every object and class the event names must be described, or made as a lot's cake token.
    let expanded = crate::rules::expand_outputs(&out).map_err(|e| e.to_string())?;
    let generated: Vec<String> =
        expanded[out.len()..].iter().filter_map(|o| o.gs1.as_ref().map(DigitalLink::to_path)).collect();
    for uri in objects.iter().chain(amounts.iter().map(|(c, _)| c)) {
        if !keys.contains(&key(uri)) && !generated.contains(&key(uri)) {
            return Err(format!("{uri} is named but its master data do not describe it"));
        }
    }
    Ok((out, made))
}

/// Generic goods named by their GS1 key, or by the EPC without one.
fn generic(uri: &str, quantity: Quantity) -> NewAsset {
    let gs1 = DigitalLink::parse(uri).ok();
    let name = match &gs1 {
        Some(l) => {
            let mut name = format!("GTIN {}", l.gtin());
            for (what, value) in [("lot", l.lot()), ("serial", l.serial())] {
                if let Some(v) = value {
                    name.push_str(&format!(" {what} {v}"));
                }
            }
            name
        }
        None => uri.to_owned(),
    };
    NewAsset {
        product: Product::Generic(crate::asset::Generic { name }),
        quantity,
        gs1,
        part_of: None,
        units: None,
    }
}

fn made(act: Act) -> Imported {
    Imported { act, made: Vec::new() }
}

/// The events of an EPCIS 2.0 document: its `epcisBody.eventList`, or a query document's
/// `epcisBody.queryResults.resultsBody.eventList`.
pub fn event_list(document: &Value) -> Result<&Vec<Value>, Why> {
    let body = &document["epcisBody"];
    body["eventList"]
        .as_array()
        .or_else(|| body["queryResults"]["resultsBody"]["eventList"].as_array())
        .ok_or_else(|| "not an EPCIS 2.0 document: it has no epcisBody event list".to_owned())
}

/// The acts `event` means to this ledger, or why it cannot express it.
pub fn act_of(event: &Value, found: &Found) -> Result<Expressed, Why> {
    let kind = event["type"].as_str().ok_or("an event without its type")?;
    let step = event["bizStep"].as_str().map(super::bare_step).unwrap_or_default();
    let step = step.as_str();
    let acts = match kind {
        "ObjectEvent" => match event["action"].as_str() {
            Some("ADD") => {
                let (assets, made) = new_assets(event, "epcList", "quantityList")?;
                vec![Imported { act: Act::Commission(Commission::new(assets)), made }]
            }
            Some("OBSERVE") => vec![made(observed(event, step, found)?)],
            Some("DELETE") => {
                let reason = own(event, "reason")
                    .map(str::to_owned)
                    .unwrap_or_else(|| format!("EPCIS {}", if step.is_empty() { "decommissioning" } else { step }));
                references(found, event, "epcList", "quantityList")?
                    .into_iter()
                    .map(|asset| made(Act::Retire(Retire { asset, reason: reason.clone() })))
                    .collect()
            }
            other => return Err(format!("an ObjectEvent whose action is {other:?}")),
        },
        "TransformationEvent" => {
            let inputs = references(found, event, "inputEPCList", "inputQuantityList")?;
            match step {
                "terroir:splitting" => {
                    let [asset] = inputs.as_slice() else { return Err("a split of more than one asset".into()) };
                    let (outputs, made) = new_assets(event, "outputEPCList", "outputQuantityList")?;
                    let parts = outputs
                        .into_iter()
                        .map(|o| Part { amount: o.quantity.amount(), gs1: o.gs1, units: Vec::new() })
                        .collect();
                    vec![Imported { act: Act::Split(Split { asset: *asset, parts }), made }]
                }
                "terroir:merging" => {
                    let (outputs, made) = new_assets(event, "outputEPCList", "outputQuantityList")?;
                    let [output] = outputs.as_slice() else { return Err("a merge into more than one asset".into()) };
                    vec![Imported { act: Act::Merge(Merge { assets: inputs, gs1: output.gs1.clone() }), made }]
                }
                _ => {
                    let process = own(event, "process")
                        .map(str::to_owned)
                        .unwrap_or_else(|| if step.is_empty() { "transformation".into() } else { step.to_owned() });
                    let (outputs, made) = new_assets(event, "outputEPCList", "outputQuantityList")?;
                    vec![Imported { act: Act::Transform(Transform::new(&process, inputs, outputs)), made }]
                }
            }
        }
        "AggregationEvent" => {
            let parent = event["parentID"].as_str().ok_or("an aggregation without its parent")?;
            match event["action"].as_str() {
                Some("DELETE") => vec![made(Act::Unpack(Unpack {
                    holder: reference(found, parent)?,
                    units: references(found, event, "childEPCs", "childQuantityList")?,
                }))],
                Some("ADD") => {
                    let holder = known(found, parent)?.id;
                    let children = strings(event, "childEPCs");
                    let packed = children.iter().all(|c| {
                        known(found, c).is_ok_and(|a| a.status == Status::Contained { holder })
                    });
                    return match packed && !children.is_empty() {
                        true => Ok(Expressed::Already(format!("its {} children are packed in it already", children.len()))),
                        false => Err("the ledger packs goods only as it registers them, not later".into()),
                    };
                }
                other => return Err(format!("an AggregationEvent whose action is {other:?}")),
            }
        }
        "TransactionEvent" => return Err("the ledger has no business transactions: a transfer is an ObjectEvent with an owning party as its destination".into()),
        "AssociationEvent" => return Err("the ledger has no associations of objects".into()),
        other => return Err(format!("`{other}` is not an EPCIS 2.0 event type")),
    };
    Ok(Expressed::Acts(acts))
}

/// An ObjectEvent OBSERVE as a change of hands or an observation.
fn observed(event: &Value, step: &str, found: &Found) -> Result<Act, Why> {
    let assets = references(found, event, "epcList", "quantityList")?;
    let destination = |kind: &str| {
        event["destinationList"]
            .as_array()
            .into_iter()
            .flatten()
            .find(|d| d["type"].as_str().map(bare_type) == Some(kind))
            .and_then(|d| d["destination"].as_str())
    };
    if let Some(to) = destination("owning_party") {
        return Ok(Act::Transfer(Transfer { assets, to: party(found, to)? }));
    }
    if let Some(to) = destination("possessing_party") {
        return Ok(Act::Custody(Custody { assets, to: party(found, to)? }));
    }
    let single = || match assets.as_slice() {
        [one] => Ok(*one),
        _ => Err(format!("a {step} of more than one asset")),
    };
    match step {
        "terroir:pledging" => {
            let financier = own(event, "financier").ok_or("a pledge without its financier")?;
            return Ok(Act::Pledge(Pledge { asset: single()?, financier: party(found, financier)? }));
        }
        "terroir:releasing" => return Ok(Act::Release(Release { asset: single()? })),
        _ => {}
    }
    let mass = event["sensorElementList"]
        .as_array()
        .into_iter()
        .flatten()
        .flat_map(|e| e["sensorReport"].as_array().into_iter().flatten())
        .find(|r| {
            r["type"].as_str().is_some_and(|t| t == "Mass" || t.ends_with("/Mass") || t.ends_with(":Mass"))
        })
        .map(|r| quantity(&r["value"], r["uom"].as_str()))
        .transpose()?
        .map(|q| q.amount());
    let text = |name: &str| own(event, name).map(str::to_owned);
    let place = |list: &str, member: &str| {
        event[list]
            .as_array()
            .into_iter()
            .flatten()
            .find(|d| d["type"] == "location")
            .and_then(|d| d[member].as_str())
            .map(str::to_owned)
    };
    let need = |v: Option<String>, what: &str| v.ok_or_else(|| format!("a {step} event without its {what}"));
    let observation = match step {
        "terroir:harvesting" => Event::Picking {
            garden: need(text("garden"), "garden")?,
            mass_g: mass.ok_or("a harvest without its mass")?,
        },
        "terroir:pressing" => Event::Pressing { press: need(text("press"), "press")? },
        "terroir:vaccinating" => Event::Vaccination {
            vaccine: need(text("vaccine"), "vaccine")?,
            withdrawal_until: need(text("withdrawalUntil"), "withdrawal date")?
                .parse()
                .map_err(|e| format!("{e}"))?,
        },
        "storing" => Event::Storage {
            location: need(
                text("location").or_else(|| event["bizLocation"]["id"].as_str().map(str::to_owned)),
                "location",
            )?,
        },
        "transporting" => Event::Movement {
            from: need(text("from").or_else(|| place("sourceList", "source")), "origin")?,
            to: need(text("to").or_else(|| place("destinationList", "destination")), "destination")?,
        },
        _ if text("certificate").is_some() => Event::LabCertificate {
            laboratory: need(text("laboratory"), "laboratory")?,
            certificate: need(text("certificate"), "certificate")?,
            result: need(text("result"), "result")?,
        },
        _ if mass.is_some() => Event::Weighing { mass_g: mass.unwrap_or_default() },
        _ => Event::Note {
            text: text("note").unwrap_or_else(|| {
                let mut words = format!("EPCIS {}", event["type"].as_str().unwrap_or("event"));
                for (name, value) in [
                    ("step", Some(step)),
                    ("disposition", event["disposition"].as_str()),
                    ("event", event["eventID"].as_str()),
                ] {
                    if let Some(v) = value.filter(|v| !v.is_empty()) {
                        words.push_str(&format!(", {name} {v}"));
                    }
                }
                words
            }),
        },
    };
    let attachments: Vec<Attachment> = match event.get(format!("{PREFIX}:attachments")) {
        Some(list) => serde_json::from_value(list.clone()).map_err(|e| format!("the attachments: {e}"))?,
        None => Vec::new(),
    };
    Ok(Act::Observe(Observe { assets, event: observation, attachments }))
}

fn bare_type(value: &str) -> &str {
    value
        .strip_prefix("urn:epcglobal:cbv:sdt:")
        .or_else(|| value.strip_prefix("https://ref.gs1.org/cbv/SDT-"))
        .unwrap_or(value)
}
