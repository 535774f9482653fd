//! The OpenAPI document as a client reads it, with a standard JSON Schema 2020-12 validator:
//! every entry of the sample ledger validates against its record schemas, every act has a
//! schema of its own that the sample ledger exercises, what the server answers validates
//! against the responses it documents, and what the ledger refuses as malformed the schemas
//! refuse too; and every answer read into its type in `terroir_shared::api` writes back the
//! very bytes the server sent, so clients reading with those types read the wire as it is.

use std::collections::BTreeSet;

use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::{Value, json};
use terroir_shared::api;

use crate::support::*;

/// A validator for `schema`, a schema of the document `doc` whose references
/// (`#/components/schemas/…`) it resolves.
fn validator(doc: &Value, schema: &Value) -> jsonschema::Validator {
    let mut root = schema.as_object().cloned().unwrap_or_default();
    root.insert("$schema".into(), json!("https://json-schema.org/draft/2020-12/schema"));
    root.insert("components".into(), doc["components"].clone());
    jsonschema::draft202012::new(&Value::Object(root)).expect("the schema compiles")
}

/// A validator for the named component schema.
fn component(doc: &Value, name: &str) -> jsonschema::Validator {
    assert!(doc["components"]["schemas"].get(name).is_some(), "no schema {name}");
    validator(doc, &json!({"$ref": format!("#/components/schemas/{name}")}))
}

/// A validator for what `method path` answers with `status`, as JSON.
fn response(doc: &Value, method: &str, path: &str, status: &str) -> jsonschema::Validator {
    let schema = &doc["paths"][path][method]["responses"][status]["content"]["application/json"]["schema"];
    assert!(!schema.is_null(), "{method} {path} documents no JSON answer for {status}");
    validator(doc, schema)
}

/// Panics with every error `validator` finds in `instance`.
fn assert_valid(validator: &jsonschema::Validator, instance: &Value, what: &str) {
    let errors: Vec<String> =
        validator.iter_errors(instance).map(|e| format!("{} at {}", e, e.instance_path())).collect();
    assert!(errors.is_empty(), "{what} does not match its schema:\n{}", errors.join("\n"));
}

/// Reads the answer at `path` into `T` and checks that it writes back exactly what was sent.
async fn assert_typed<T, S>(app: &S, path: &str) -> T
where
    T: DeserializeOwned + Serialize,
    S: actix_web::dev::Service<
            actix_http::Request,
            Response = actix_web::dev::ServiceResponse,
            Error = actix_web::Error,
        >,
{
    let (_, bytes) = get_bytes(app, path, "application/json").await;
    let typed: T = api::read(&bytes).unwrap_or_else(|e| panic!("{path} does not read as its type: {e}"));
    let again = serde_json::to_vec(&typed).expect("json");
    assert!(again == bytes, "{path}: its type writes\n{}\nthe server sent\n{}", show(&again), show(&bytes));
    typed
}

fn show(bytes: &[u8]) -> &str {
    std::str::from_utf8(bytes).unwrap_or("(not UTF-8)")
}

/// A harness holding the sample ledger, and its OpenAPI document.
async fn sample_ledger() -> (Harness, Value) {
    let h = crate::support::sample_ledger().await;
    let app = app(h.state.clone()).await;
    let (status, doc) = get(&app, "/api/openapi.json").await;
    assert_eq!(status, 200);
    (h, doc)
}

/// The act names the document's `Act` schema admits: one member of its `oneOf` per act.
fn documented_acts(doc: &Value) -> BTreeSet<String> {
    let members = doc["components"]["schemas"]["Act"]["oneOf"].as_array().expect("Act is a oneOf");
    members
        .iter()
        .map(|m| {
            let props = m["properties"].as_object().expect("an act member has properties");
            assert_eq!(props.len(), 1, "an act member names one act: {m}");
            assert_eq!(m["additionalProperties"], false, "an act member admits nothing else: {m}");
            props.keys().next().expect("one").clone()
        })
        .collect()
}

#[actix_web::test]
async fn every_entry_of_the_sample_ledger_matches_the_record_schemas() {
    let (h, doc) = sample_ledger().await;
    let app = app(h.state.clone()).await;
    let entry = component(&doc, "LedgerEntry");
    let page = response(&doc, "get", "/api/entries", "200");
    let (_, log) = get(&app, "/api/log").await;
    let size = log["size"].as_u64().expect("size");
    let mut acts = BTreeSet::new();
    let mut start = 0;
    while start < size {
        let (status, answer) = get(&app, &format!("/api/entries?start={start}")).await;
        assert_eq!(status, 200);
        assert_valid(&page, &answer, &format!("the page of entries from {start}"));
        for view in answer["entries"].as_array().expect("entries") {
            let index = view["index"].as_u64().expect("index");
            assert_valid(&entry, &view["entry"], &format!("entry {index}"));
            let act = view["entry"]["record"]["record"]["act"].as_object().expect("act");
            acts.extend(act.keys().cloned());
            start = index + 1;
        }
    }
    assert!(size > 50, "the sample ledger has {size} entries");
    // The Act schema is derived from the act type itself; the sample ledger uses every act.
    assert_eq!(acts, documented_acts(&doc), "acts in the sample ledger vs. acts documented");
}

#[actix_web::test]
async fn every_act_schema_lists_every_field_its_act_may_carry() {
    let (h, doc) = sample_ledger().await;
    let app = app(h.state.clone()).await;
    let schemas = &doc["components"]["schemas"];
    let (_, answer) = get(&app, "/api/entries?start=0").await;
    // Resolves a reference to its component, or gives the inline schema.
    let resolve = |s: &Value| -> Value {
        match s["$ref"].as_str().and_then(|r| r.strip_prefix("#/components/schemas/")) {
            Some(name) => schemas[name].clone(),
            None => s.clone(),
        }
    };
    let mut checked = 0;
    for view in answer["entries"].as_array().expect("entries") {
        let (name, body) = view["entry"]["record"]["record"]["act"]
            .as_object()
            .and_then(|a| a.iter().next())
            .expect("an act");
        let member = schemas["Act"]["oneOf"]
            .as_array()
            .and_then(|ms| ms.iter().find(|m| m["properties"].get(name).is_some()))
            .unwrap_or_else(|| panic!("no schema for {name}"));
        let schema = resolve(&member["properties"][name]);
        assert_eq!(schema["additionalProperties"], false, "{name} admits unknown fields");
        let props = schema["properties"].as_object().expect("properties");
        for field in body.as_object().expect("fields").keys() {
            assert!(props.contains_key(field), "{name}.{field} is not documented");
            assert!(
                props[field]["description"].is_string()
                    || props[field]["$ref"].is_string()
                    || props[field]["type"].is_string(),
                "{name}.{field} has no type"
            );
        }
        checked += 1;
    }
    assert!(checked > 50, "{checked} acts");
}

#[actix_web::test]
async fn what_the_server_answers_matches_the_responses_it_documents() {
    let (h, doc) = sample_ledger().await;
    let app = app(h.state.clone()).await;
    let asset = response(&doc, "get", "/api/assets/{id}", "200");
    let history = response(&doc, "get", "/api/assets/{id}/history", "200");
    let evidence = response(&doc, "get", "/api/assets/{id}/evidence", "200");
    let lineage = response(&doc, "get", "/api/assets/{id}/lineage", "200");
    let label = response(&doc, "get", "/01/{rest}", "200");
    let parties = response(&doc, "get", "/api/parties", "200");
    let party = response(&doc, "get", "/api/parties/{id}", "200");
    let log = response(&doc, "get", "/api/log", "200");

    let (_, answer) = get(&app, "/api/log").await;
    assert_valid(&log, &answer, "the log");
    assert_typed::<api::LogInfo, _>(&app, "/api/log").await;
    let (_, answer) = get(&app, "/api/parties").await;
    assert_valid(&parties, &answer, "the parties");
    assert_typed::<api::PartyList, _>(&app, "/api/parties").await;
    for p in answer["parties"].as_array().expect("parties") {
        let path = format!("/api/parties/{}", p["id"].as_str().expect("id"));
        let (_, one) = get(&app, &path).await;
        assert_valid(&party, &one, "a party");
        assert_typed::<api::PartyView, _>(&app, &path).await;
    }

    let mut conn = terroir_backend::db::open_reader(h.state.reads.reader().database()).expect("reader");
    let ids: Vec<Vec<u8>> = {
        use diesel::prelude::*;
        use terroir_backend::db::schema::assets;
        assets::table.select(assets::id).load(&mut conn).expect("ids")
    };
    let mut labels = 0;
    for raw in &ids {
        let id = hex::encode(raw);
        let (status, one) = get(&app, &format!("/api/assets/{id}")).await;
        assert_eq!(status, 200);
        assert_valid(&asset, &one, &format!("asset {id}"));
        assert_typed::<terroir_shared::asset::Asset, _>(&app, &format!("/api/assets/{id}")).await;
        for (path, validator) in [("history", &history), ("evidence", &evidence), ("lineage", &lineage)] {
            let (status, answer) = get(&app, &format!("/api/assets/{id}/{path}")).await;
            assert_eq!(status, 200, "{path} of {id}");
            assert_valid(validator, &answer, &format!("the {path} of asset {id}"));
        }
        assert_typed::<api::AssetHistory, _>(&app, &format!("/api/assets/{id}/history")).await;
        assert_typed::<api::Evidence, _>(&app, &format!("/api/assets/{id}/evidence")).await;
        assert_typed::<api::Lineage, _>(&app, &format!("/api/assets/{id}/lineage")).await;
        if let Some(gs1) = one["gs1"].as_str() {
            let (status, answer) = get(&app, gs1).await;
            assert_eq!(status, 200, "{gs1}");
            assert_valid(&label, &answer, &format!("the label {gs1}"));
            assert_typed::<api::LabelAnswer, _>(&app, gs1).await;
            labels += 1;
        }
    }
    assert!(ids.len() > 300 && labels > 300, "{} assets, {labels} labels", ids.len());
}

/// A valid record and what a client might get wrong in it, each refused by the ledger as
/// `malformed` and by the schema alike.
#[actix_web::test]
async fn what_the_ledger_refuses_as_malformed_the_schemas_refuse() {
    let mut h = Harness::new();
    let app = app(h.state.clone()).await;
    let (_, doc) = get(&app, "/api/openapi.json").await;
    let envelope = component(&doc, "Envelope");
    let coop = key(1);
    let registered = h.register(&coop, "Bulang co-op", &[terroir_shared::party::Role::Cooperative]);
    let (status, _) = post(&app, "/api/records", &registered).await;
    assert_eq!(status, 201);
    let cap = h.own(
        &coop,
        terroir_shared::record::Act::Commission(terroir_shared::record::Commission::new(vec![garden_cap(
            "Banzhang", 10_000, 400,
        )])),
    );
    let valid = serde_json::to_value(&cap).expect("json");
    assert_valid(&envelope, &valid, "a garden cap's commission");

    let asset = "/record/act/commission/assets/0";
    let party = valid["record"]["party"].as_str().expect("party").to_uppercase();
    let zeros = "0".repeat(64);
    let retire = json!({"asset": {"id": zeros, "head": zeros}, "reason": "x"});
    // What is wrong, where (a JSON pointer), and the value put there (none: the key removed).
    let mutations: Vec<(&str, String, Option<Value>)> = vec![
        ("an unknown field in the envelope", "/extra".into(), Some(json!(1))),
        ("an unknown field in the record", "/record/extra".into(), Some(json!(1))),
        ("an unknown act", "/record/act".into(), Some(json!({"steal": {}}))),
        ("two acts in one", "/record/act/retire".into(), Some(retire)),
        ("an unknown field in an act", "/record/act/commission/extra".into(), Some(json!(1))),
        ("an unknown field in a product", format!("{asset}/product/extra"), Some(json!(1))),
        ("an unknown product kind", format!("{asset}/product/kind"), Some(json!("gold"))),
        ("a product missing a field", format!("{asset}/product/areaM2"), None),
        ("a null for an absent field", format!("{asset}/gs1"), Some(Value::Null)),
        ("a quantity of nothing", format!("{asset}/quantity/amount"), Some(json!(0))),
        (
            "a quantity beyond 2^53 − 1",
            format!("{asset}/quantity/amount"),
            Some(json!(9_007_199_254_740_992_u64)),
        ),
        ("a fraction", format!("{asset}/quantity/amount"), Some(json!(1.5))),
        ("an unknown unit", format!("{asset}/quantity/unit"), Some(json!("kg"))),
        ("a key in uppercase hex", "/record/party".into(), Some(json!(party))),
        ("a short signature", "/signature".into(), Some(json!("ab".repeat(32)))),
        ("a time as text", "/record/at".into(), Some(json!("1790000000000"))),
        ("a negative time", "/record/at".into(), Some(json!(-1))),
        ("a GS1 key that is no path", format!("{asset}/gs1"), Some(json!("09506000134352"))),
        ("an empty list not left out", "/record/act/commission/allowances".into(), Some(json!([]))),
    ];
    for (what, pointer, value) in &mutations {
        let mut wrong = valid.clone();
        let (parent, key) = pointer.rsplit_once('/').expect("a pointer");
        let object = wrong.pointer_mut(parent).and_then(Value::as_object_mut).expect("an object");
        match value {
            Some(v) => object.insert(key.to_owned(), v.clone()),
            None => object.remove(key),
        };
        assert!(!envelope.is_valid(&wrong), "the schema admits {what}");
        let (status, problem) = post(&app, "/api/records", &wrong).await;
        assert_eq!((status, problem["code"].as_str()), (400, Some("malformed")), "{what}: {problem}");
    }
    let (status, _) = post(&app, "/api/records", &valid).await;
    assert_eq!(status, 201, "the record itself is accepted");
}

/// The answers of a small ledger, receipts, batches, problems and proofs included, match the
/// schemas the document gives them.
#[actix_web::test]
async fn a_small_ledgers_answers_match_their_schemas() {
    let mut h = Harness::new();
    let app = app(h.state.clone()).await;
    let (_, doc) = get(&app, "/api/openapi.json").await;
    let coop = key(1);
    let register = h.register(&coop, "Bulang Co-op", &[terroir_shared::party::Role::Cooperative]);
    let envelope = serde_json::to_value(&register).expect("json");
    assert_valid(&component(&doc, "Envelope"), &envelope, "an envelope");
    assert!(!component(&doc, "Receipt").is_valid(&envelope));

    let (status, receipt) = post(&app, "/api/records", &register).await;
    assert_eq!(status, 201);
    assert_valid(&component(&doc, "Receipt"), &receipt, "a receipt");
    let (status, batch) = post(&app, "/api/records/batch", &vec![register.clone()]).await;
    assert_eq!(status, 200);
    assert_valid(&component(&doc, "BatchResult"), &batch, "a batch's results");
    let read: api::BatchResult = serde_json::from_value(batch).expect("a batch's results read typed");
    assert!(matches!(read.results.as_slice(), [api::BatchItem::Duplicate { receipt: r }] if r.index == 1));
    let (status, refused) = post(&app, "/api/records", &serde_json::json!({"record": 1})).await;
    assert_eq!(status, 400);
    assert_valid(&component(&doc, "Problem"), &refused, "a problem");
    let read: api::Problem = serde_json::from_value(refused).expect("a problem reads typed");
    assert_eq!((read.code.as_str(), read.path.as_deref()), ("malformed", Some("record")));

    let commission = h.own(
        &coop,
        terroir_shared::record::Act::Commission(terroir_shared::record::Commission::new(vec![tea_lot(
            "Laobanzhang",
            10,
        )])),
    );
    assert_eq!(post(&app, "/api/records", &commission).await.0, 201);
    let asset = terroir_shared::asset::AssetId::derive(&commission.id(), 0);
    let party = party(&coop);

    for (path, schema) in [
        ("/api/log".to_owned(), "LogInfo"),
        ("/api/entries".to_owned(), "EntryPage"),
        ("/api/entries/1".to_owned(), "EntryView"),
        ("/api/proofs/inclusion?index=0".to_owned(), "InclusionProof"),
        ("/api/proofs/consistency?from=1".to_owned(), "ConsistencyProof"),
        (format!("/api/assets/{asset}"), "Asset"),
        (format!("/api/assets/{asset}/history"), "AssetHistory"),
        (format!("/api/assets/{asset}/lineage?direction=down"), "Lineage"),
        ("/api/parties".to_owned(), "PartyList"),
        (format!("/api/parties/{party}"), "PartyView"),
        (format!("/api/assets/{}", "0".repeat(64)), "Problem"),
    ] {
        let (_, answer) = get(&app, &path).await;
        assert_valid(&component(&doc, schema), &answer, &path);
    }
    assert_typed::<api::LogInfo, _>(&app, "/api/log").await;
    assert_typed::<api::EntryPage, _>(&app, "/api/entries").await;
    assert_typed::<api::EntryView, _>(&app, "/api/entries/1").await;
    assert_typed::<terroir_shared::log::InclusionProof, _>(&app, "/api/proofs/inclusion?index=0").await;
    assert_typed::<terroir_shared::log::ConsistencyProof, _>(&app, "/api/proofs/consistency?from=1").await;
    assert_typed::<api::Lineage, _>(&app, &format!("/api/assets/{asset}/lineage?direction=down")).await;
    let problem: api::Problem = assert_typed(&app, &format!("/api/assets/{}", "0".repeat(64))).await;
    assert_eq!((problem.status, problem.code.as_str()), (404, "not_found"));
}
