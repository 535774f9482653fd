//! The ledger's history as GS1 EPCIS 2.0: every event of the sample ledger validates against
//! the official JSON Schema (GS1's, in ../shared/conformance/epcis; the tests that need it have
//! `conformance_epcis` in their names and are skipped, by name, without it), each names the
//! record and entry it can be checked against, and the REST binding's query parameters filter
//! and page as the standard says.

use std::collections::{BTreeMap, BTreeSet};
use std::path::PathBuf;

use serde_json::{Value, json};

use crate::support::*;

const BASE: &str = "http://labels.test";

/// The official material, beside the checkout.
fn conformance() -> PathBuf {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../shared/conformance/epcis");
    assert!(
        dir.is_dir(),
        "{} is missing: these tests need GS1's EPCIS material (scripts/test skips them without it)",
        dir.display()
    );
    dir
}

/// GS1's EPCIS 2.0 JSON Schema (draft 7), formats checked too.
fn schema() -> jsonschema::Validator {
    let text = std::fs::read_to_string(conformance().join("EPCIS-JSON-Schema.json")).expect("the schema");
    let schema: Value = serde_json::from_str(&text).expect("json");
    jsonschema::draft7::options().should_validate_formats(true).build(&schema).expect("the schema compiles")
}

fn assert_valid(validator: &jsonschema::Validator, instance: &Value, what: &str) {
    let errors: Vec<String> =
        validator.iter_errors(instance).map(|e| format!("{e} at {}", e.instance_path())).collect();
    assert!(errors.is_empty(), "{what} is not valid EPCIS 2.0:\n{}\n{instance:#}", errors.join("\n"));
}

/// Every event `path` (with its query) answers, page after page; and the pages' documents.
async fn all_events<S>(app: &S, path: &str) -> (Vec<Value>, Vec<Value>)
where
    S: actix_web::dev::Service<
            actix_http::Request,
            Response = actix_web::dev::ServiceResponse,
            Error = actix_web::Error,
        >,
{
    let (mut events, mut documents) = (Vec::new(), Vec::new());
    let mut next = Some(path.to_owned());
    while let Some(path) = next.take() {
        let req = actix_web::test::TestRequest::get().uri(&path).to_request();
        let resp = actix_web::test::call_service(app, req).await;
        assert_eq!(resp.status().as_u16(), 200, "{path}");
        let header = |name: &str| resp.headers().get(name).and_then(|v| v.to_str().ok()).map(str::to_owned);
        assert_eq!(header("content-type").as_deref(), Some("application/ld+json"));
        assert_eq!(header("gs1-epcis-version").as_deref(), Some("2.0.0"));
        next = header("link").map(|l| {
            let url = l.split_once('<').and_then(|(_, r)| r.split_once('>')).expect("a link").0.to_owned();
            assert!(l.ends_with("rel=\"next\""), "{l}");
            url.strip_prefix(BASE).expect("under the base URL").to_owned()
        });
        let document: Value =
            serde_json::from_slice(&actix_web::test::read_body(resp).await).expect("a JSON document");
        assert_eq!(document["type"], "EPCISQueryDocument");
        events.extend(
            document["epcisBody"]["queryResults"]["resultsBody"]["eventList"]
                .as_array()
                .expect("events")
                .clone(),
        );
        documents.push(document);
    }
    (events, documents)
}

#[actix_web::test]
async fn conformance_epcis_every_event_of_the_sample_ledger_validates_and_names_its_entry() {
    let validator = schema();
    let h = sample_ledger().await;
    let app = app(h.state.clone()).await;
    let (events, documents) = all_events(&app, "/events?perPage=1000").await;
    for document in &documents {
        assert_valid(&validator, document, "a page of events");
    }
    let mut kinds: BTreeMap<String, usize> = BTreeMap::new();
    let mut steps = BTreeSet::new();
    for event in &events {
        // Each event on its own, with the context a lone event needs.
        let mut alone = event.clone();
        alone["@context"] = terroir_shared::epcis::context();
        assert_valid(&validator, &alone, &format!("event {}", event["eventID"]));
        *kinds.entry(event["type"].as_str().expect("type").to_owned()).or_default() += 1;
        steps.extend(event["bizStep"].as_str().map(str::to_owned));
        // The entry it names holds the record it names.
        let index = event["terroir:entryIndex"].as_u64().expect("an entry index");
        assert!(
            event["eventID"]
                .as_str()
                .is_some_and(|id| id.starts_with(&format!("{BASE}/api/entries/{index}")))
        );
        let (status, entry) = get(&app, &format!("/api/entries/{index}")).await;
        assert_eq!(status, 200);
        assert_eq!(entry["recordId"], event["terroir:recordId"], "{event}");
        assert_eq!(
            entry["entry"]["record"]["record"]["act"]
                .as_object()
                .and_then(|a| a.keys().next().cloned())
                .as_deref(),
            event["terroir:act"].as_str()
        );
    }
    // The validator would see a wrong one.
    let mut wrong = events[0].clone();
    wrong["@context"] = terroir_shared::epcis::context();
    wrong["action"] = json!("MOVE");
    assert!(!validator.is_valid(&wrong), "an unknown action is refused");
    // The sample ledger's story, told in every kind of event the mapping makes.
    for kind in ["ObjectEvent", "TransformationEvent", "AggregationEvent"] {
        assert!(kinds.get(kind).is_some_and(|n| *n > 0), "no {kind}: {kinds:?}");
    }
    for step in ["commissioning", "packing", "inspecting", "decommissioning"] {
        assert!(steps.contains(step), "no {step}: {steps:?}");
    }
    assert!(events.iter().any(|e| e["sourceList"][0]["type"] == "owning_party"), "a transfer");
    assert!(events.iter().any(|e| e["sourceList"][0]["type"] == "possessing_party"), "a custody change");
    assert!(
        events.iter().any(|e| e["sensorElementList"][0]["sensorReport"][0]["type"] == "Mass"),
        "a weighing"
    );
    assert!(events.iter().any(|e| e["certificationInfo"].is_string()), "a lab certificate");
    // Every entry but those that touch no object (the opening, registrations, devices).
    let (_, log) = get(&app, "/api/log").await;
    let entries: BTreeSet<u64> = events.iter().filter_map(|e| e["terroir:entryIndex"].as_u64()).collect();
    let (_, page) = get(&app, "/api/entries?start=0&end=1000").await;
    let touching: BTreeSet<u64> = page["entries"]
        .as_array()
        .expect("entries")
        .iter()
        .filter(|e| {
            let act =
                e["entry"]["record"]["record"]["act"].as_object().and_then(|a| a.keys().next().cloned());
            !matches!(
                act.as_deref(),
                Some("open_ledger" | "register_party" | "authorise_device" | "revoke_device")
            )
        })
        .filter_map(|e| e["index"].as_u64())
        .collect();
    assert_eq!(entries, touching, "a log of {} entries", log["size"]);
}

#[test]
fn conformance_epcis_the_official_examples_validate_against_the_official_schema() {
    // The validator used above accepts GS1's own examples, and refuses one made wrong.
    let validator = schema();
    let mut seen = 0;
    for entry in std::fs::read_dir(conformance().join("examples")).expect("examples") {
        let path = entry.expect("entry").path();
        let example: Value =
            serde_json::from_str(&std::fs::read_to_string(&path).expect("read")).expect("json");
        assert_valid(&validator, &example, &path.display().to_string());
        let mut broken = example.clone();
        broken["epcisBody"]["eventList"][0]["eventTimeZoneOffset"] = json!("+25:00");
        assert!(!validator.is_valid(&broken), "{} with a bad offset", path.display());
        seen += 1;
    }
    assert!(seen >= 5, "{seen} examples");
}

#[actix_web::test]
async fn the_query_parameters_filter_and_page_as_the_standard_says() {
    let h = sample_ledger().await;
    let app = app(h.state.clone()).await;
    let (all, _) = all_events(&app, "/events?perPage=1000").await;
    // Paging: small pages give the same events, in the same order.
    let (paged, pages) = all_events(&app, "/events?perPage=7").await;
    assert_eq!(paged, all);
    let sizes: Vec<usize> = pages
        .iter()
        .map(|p| p["epcisBody"]["queryResults"]["resultsBody"]["eventList"].as_array().map_or(0, Vec::len))
        .collect();
    assert_eq!(sizes.len(), all.len().div_ceil(7), "{sizes:?}");
    assert!(sizes.iter().all(|n| *n == 7 || *n == all.len() % 7), "full pages but the last: {sizes:?}");

    let (objects, _) = all_events(&app, "/events?perPage=1000&eventType=TransformationEvent").await;
    assert_eq!(
        objects,
        all.iter().filter(|e| e["type"] == "TransformationEvent").cloned().collect::<Vec<_>>()
    );
    let (steps, _) =
        all_events(&app, "/events?perPage=1000&EQ_bizStep=commissioning,urn:epcglobal:cbv:bizstep:packing")
            .await;
    assert_eq!(
        steps,
        all.iter()
            .filter(|e| e["bizStep"] == "commissioning" || e["bizStep"] == "packing")
            .cloned()
            .collect::<Vec<_>>()
    );
    assert!(!steps.is_empty());

    // Time: events at or after one event's time, and before it, split the whole.
    let middle = all[all.len() / 2]["eventTime"].as_str().expect("time").to_owned();
    let encoded = middle.replace('+', "%2B");
    let (later, _) = all_events(&app, &format!("/events?perPage=1000&GE_eventTime={encoded}")).await;
    let (earlier, _) = all_events(&app, &format!("/events?perPage=1000&LT_eventTime={encoded}")).await;
    assert_eq!(later.len() + earlier.len(), all.len());
    assert!(!later.is_empty() && !earlier.is_empty());
    assert!(later.iter().all(|e| e["eventTime"].as_str() >= Some(middle.as_str())));

    // By EPC: an item's events, whichever domain its link is written with, and per object.
    let cake = all
        .iter()
        .flat_map(|e| e["epcList"].as_array().cloned().unwrap_or_default())
        .filter_map(|v| v.as_str().map(str::to_owned))
        .find(|epc| epc.contains("/21/"))
        .expect("an item with a serial");
    let naming = |e: &&Value| terroir_shared::epcis::named(e).contains(&cake.as_str());
    let expected: Vec<Value> = all.iter().filter(naming).cloned().collect();
    assert!(expected.len() >= 2, "{cake}: {expected:?}");
    let elsewhere = cake.replace(BASE, "https://id.gs1.org");
    for path in [
        format!("/events?MATCH_epc={}", percent(&cake)),
        format!("/events?MATCH_anyEPC={}", percent(&elsewhere)),
        format!("/epcs/{}/events", percent(&cake)),
    ] {
        assert_eq!(all_events(&app, &path).await.0, expected, "{path}");
    }
    let none = format!("/events?MATCH_epc={}", percent("https://id.gs1.org/01/09506000134352/21/nothing"));
    assert!(all_events(&app, &none).await.0.is_empty());

    // Parameters the server does not support, and bad values, are refused, not ignored.
    for bad in [
        "/events?EQ_disposition=active",
        "/events?perPage=0",
        "/events?eventType=Nothing",
        "/events?GE_eventTime=yesterday",
        "/events?nextPageToken=x",
    ] {
        let (status, problem) = get(&app, bad).await;
        assert_eq!((status, problem["code"].as_str()), (400, Some("bad_request")), "{bad}");
    }
}

/// `s` as a URL's query value or path segment.
fn percent(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' => (b as char).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}
