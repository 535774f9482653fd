//! EPCIS 2.0 in: the events one ledger exports, imported through a station into another
//! ledger, keep their meaning there (the second ledger exports the same events, but for who
//! signed them, when, and where they sit in its log); what the rules cannot express is said,
//! event by event; GS1's own examples are read without a failure.

use serde_json::Value;
use terroir_shared::party::Role;
use terroir_station::Station;
use terroir_station::forms::{ActForm, EventForm};
use terroir_station::store::AssetFilter;
use terroir_tests::ledger::TestLedger;

use crate::support::*;

const TRADER: &str = "Menghai Trading";

/// A ledger with a co-op station enrolled and synced, and a trader registered by its key.
fn ledger_with_station(trader_key: &str) -> (TestLedger, tempfile::TempDir, std::sync::Arc<Station>) {
    let mut ledger = TestLedger::new().expect("ledger");
    ledger.start().expect("start");
    let dir = tempfile::tempdir().expect("dir");
    let s = station(dir.path(), &ledger, &ledger.url.clone());
    enrol(&ledger, &s);
    ledger.enrol(trader_key, TRADER, &[Role::Trader]).expect("enrol the trader");
    sync_once(&s).expect("authorised");
    s.refresh_parties().expect("parties");
    (ledger, dir, s)
}

fn events(ledger: &TestLedger) -> Value {
    let document = ledger.get("/events?perPage=1000").expect("events");
    assert_eq!(document["type"], "EPCISQueryDocument");
    document
}

/// The events as their meaning: without who signed them, when, and where they sit in the log
/// (ids, times, entry indexes, the signing co-op, asset ids derived from record ids), and with
/// each ledger's address and co-op written the same.
fn meaning(document: &Value, base: &str, coop: &str) -> Vec<Value> {
    let list = document["epcisBody"]["queryResults"]["resultsBody"]["eventList"].as_array().expect("events");
    list.iter()
        .map(|e| {
            let mut e = e.clone();
            let o = e.as_object_mut().expect("an event");
            for k in [
                "eventID",
                "eventTime",
                "terroir:recordId",
                "terroir:entryIndex",
                "terroir:party",
                "certificationInfo",
            ] {
                o.remove(k);
            }
            if let Some(products) = o.get_mut("ilmd").and_then(|i| i["terroir:products"].as_array_mut()) {
                for p in products {
                    p.as_object_mut().expect("a product").remove("asset");
                }
            }
            let text = serde_json::to_string(&e).expect("json").replace(base, "BASE").replace(coop, "COOP");
            serde_json::from_str(&text).expect("json")
        })
        .collect()
}

fn coop_key(s: &Station) -> String {
    s.status().expect("status").party_key.expect("party key")
}

#[test]
fn events_exported_by_one_ledger_keep_their_meaning_imported_through_a_station_into_another() {
    let trader_key = terroir_shared::crypto::Keypair::from_seed(&[77; 32]).public().to_string();
    let (a, _a_dir, coop) = ledger_with_station(&trader_key);
    // A season's work at the first co-op.
    let done = coop.register_tea(tea(5, "RT26")).expect("registered");
    let lot = done.created[0].clone();
    let cakes: Vec<String> = done.created[1..].to_vec();
    let event = |assets: Vec<String>, event| ActForm::Event { assets, event, attachment: None };
    coop.act(event(vec![lot.clone()], EventForm::Weighing { mass_g: 1_790 })).expect("weighed");
    coop.act(event(
        vec![lot.clone()],
        EventForm::LabCertificate {
            laboratory: "Kunming Lab".into(),
            certificate: "KM-2026-118".into(),
            result: "pass".into(),
        },
    ))
    .expect("certified");
    coop.act(event(vec![lot.clone()], EventForm::Storage { location: "Bulang warehouse 2".into() }))
        .expect("stored");
    coop.act(ActForm::TakeOut { asset: cakes[0].clone() }).expect("taken out");
    coop.act(ActForm::Transfer { assets: vec![cakes[0].clone()], to: trader_key.clone() }).expect("sold");
    coop.act(ActForm::TakeOut { asset: cakes[1].clone() }).expect("taken out");
    coop.act(ActForm::Retire { asset: cakes[1].clone(), reason: "sold at the gate".into() })
        .expect("retired");
    assert_eq!(sync_once(&coop).expect("sync").remaining, 0);
    let exported = events(&a);
    let told = meaning(&exported, &a.url, &coop_key(&coop));
    assert_eq!(
        told.len(),
        9,
        "commissioning and packing, three observations, two unpackings, a sale, a retirement"
    );
    // An event says what happened then: the lot is named without the amount it holds now.
    assert!(told[2]["quantityList"][0].get("quantity").is_none(), "{}", told[2]);

    // Imported through another co-op's station into another ledger.
    let (b, _b_dir, importer) = ledger_with_station(&trader_key);
    let text = serde_json::to_string(&exported).expect("json");
    let lines = importer.import_epcis(&text).expect("imported");
    for line in &lines {
        assert!(line.refused.is_none(), "event {} ({}) was refused: {:?}", line.n, line.kind, line.refused);
        assert!(!line.records.is_empty() || line.already.is_some(), "event {} came to nothing", line.n);
    }
    // The packing of the cakes into their lot came with their registration.
    assert!(lines.iter().any(|l| l.kind == "AggregationEvent" && l.already.is_some()));
    assert_eq!(sync_once(&importer).expect("sync").remaining, 0);
    let again = events(&b);
    assert_eq!(meaning(&again, &b.url, &coop_key(&importer)), told, "the second ledger tells the same story");
    // The cake sold at the first ledger is the trader's at the second; the retired one is out.
    let owned =
        importer.assets(&AssetFilter { search: "(21) 001".into(), ..AssetFilter::default() }).expect("find");
    assert_eq!(owned.len(), 1);
    let cake = b.get(&format!("/api/assets/{}", owned[0].id)).expect("cake");
    assert_eq!(cake["owner"], Value::String(trader_key));

    // The same goods cannot be registered twice: importing the document again says so.
    let twice = importer.import_epcis(&text).expect("read");
    assert!(twice[0].refused.as_ref().is_some_and(|r| r.en.contains("already")), "{:?}", twice[0]);
}

#[test]
fn what_the_rules_cannot_express_is_said_event_by_event() {
    let trader_key = terroir_shared::crypto::Keypair::from_seed(&[78; 32]).public().to_string();
    let (_ledger, _dir, s) = ledger_with_station(&trader_key);
    let document = terroir_shared::epcis::document(serde_json::json!([
            { "type": "TransactionEvent", "action": "ADD", "eventTime": "2026-12-01T08:00:00Z", "eventTimeZoneOffset": "+00:00",
              "bizTransactionList": [{ "type": "po", "bizTransaction": "urn:epcglobal:cbv:bt:0614141000005:PO-1" }], "epcList": [] },
            { "type": "ObjectEvent", "action": "OBSERVE", "eventTime": "2026-12-01T08:00:00Z", "eventTimeZoneOffset": "+00:00",
              "epcList": ["https://id.gs1.org/01/06901234567892/21/nobody"], "bizStep": "inspecting" },
            { "type": "ObjectEvent", "action": "ADD", "eventTime": "2026-12-01T08:00:00Z", "eventTimeZoneOffset": "+00:00",
              "quantityList": [{ "epcClass": "https://id.gs1.org/01/06901234567892/10/PARTNER1", "quantity": 2.5, "uom": "KGM" }],
              "bizStep": "commissioning" },
            { "type": "ObjectEvent", "action": "ADD", "eventTime": "2026-12-01T08:00:00Z", "eventTimeZoneOffset": "+00:00",
              "quantityList": [{ "epcClass": "https://id.gs1.org/01/06901234567892/10/PARTNER2", "quantity": 3, "uom": "LTR" }] },
            { "type": "AssociationEvent", "action": "ADD", "eventTime": "2026-12-01T08:00:00Z", "eventTimeZoneOffset": "+00:00",
              "parentID": "urn:epc:id:grai:4012345.55555.987", "childEPCs": [] }
        ])
        .as_array()
        .cloned()
        .unwrap_or_default(),
        "2026-12-01T08:00:00Z",
    );
    let lines = s.import_epcis(&document.to_string()).expect("read");
    let refused = |n: usize| lines[n].refused.as_ref().map(|r| r.en.clone()).unwrap_or_default();
    assert!(refused(0).contains("no business transactions"), "{}", refused(0));
    assert!(refused(1).contains("holds no /01/06901234567892/21/nobody"), "{}", refused(1));
    // A partner's lot, 2.5 kg, is registered as generic goods of 2,500 g under its GS1 key.
    assert!(lines[2].refused.is_none() && lines[2].records.len() == 1, "{:?}", lines[2]);
    let found = s.assets(&AssetFilter { search: "PARTNER1".into(), ..AssetFilter::default() }).expect("find");
    assert_eq!(found.len(), 1, "{found:?}");
    assert!(refused(3).contains("`LTR` is not one the ledger counts in"), "{}", refused(3));
    assert!(refused(4).contains("no associations"), "{}", refused(4));
    assert!(s.import_epcis("{\"type\": \"EPCISDocument\"}").is_err(), "not a document");
    assert!(s.import_epcis("not json").is_err());
}

#[test]
fn conformance_epcis_gs1s_examples_are_read_event_by_event() {
    let dir = std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../../shared/conformance/epcis/examples");
    assert!(dir.is_dir(), "{} is missing (scripts/test skips this test without it)", dir.display());
    let trader_key = terroir_shared::crypto::Keypair::from_seed(&[79; 32]).public().to_string();
    let (_ledger, _station_dir, s) = ledger_with_station(&trader_key);
    let mut events = 0;
    for entry in std::fs::read_dir(&dir).expect("examples") {
        let path = entry.expect("entry").path();
        let text = std::fs::read_to_string(&path).expect("read");
        let lines = s.import_epcis(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        for line in &lines {
            // Every event comes to records, to "already", or to a reason; none to nothing.
            let said = !line.records.is_empty()
                || line.already.is_some()
                || line.refused.as_ref().is_some_and(|r| !r.en.is_empty());
            assert!(said, "{} event {}: {line:?}", path.display(), line.n);
        }
        events += lines.len();
    }
    assert!(events >= 5, "{events} events");
}
