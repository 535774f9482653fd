//! The buyer's label: the evidence a phone checks (verified here with the core's own
//! verifiers), the page in both languages, its script, the JSON answer for apps, and check
//! counts with the signs of a copied label.

use serde_json::{Value, json};
use terroir_shared::api::{StateKind, StateProof};
use terroir_shared::asset::{AssetId, AssetRef, Generic, Product};
use terroir_shared::entry::LedgerEntry;
use terroir_shared::gs1::DigitalLink;
use terroir_shared::log::{InclusionProof, verify_checkpoint};
use terroir_shared::party::Role;
use terroir_shared::record::*;
use terroir_shared::state::{AssetHead, DeviceState};

use crate::support::*;

const LOT: &str = "/01/09506000134352/10/BL-1";
const CAKE: &str = "/01/09506000134352/10/BL-1/21/007";

/// A co-op commissions a lot of 10 cakes (one token per cake) through its station, then sells
/// the lot to a trader. Returns the cake's and the lot's ids.
pub(crate) async fn cakes<S>(h: &mut Harness, app: &S) -> (AssetId, AssetId)
where
    S: actix_web::dev::Service<
            actix_http::Request,
            Response = actix_web::dev::ServiceResponse,
            Error = actix_web::Error,
        >,
{
    let (coop, station, trader) = (key(1), key(11), key(2));
    let auth = Act::AuthoriseDevice(AuthoriseDevice::new(&station, &party(&coop), ORIGIN, "village station"));
    let records = vec![
        h.register(&coop, "Bulang Co-op", &[Role::Cooperative]),
        h.register(&trader, "Trader", &[Role::Trader]),
        h.own(&coop, auth),
    ];
    for r in records {
        assert_eq!(post(app, "/api/records", &r).await.0, 201);
    }
    let mut lot = tea_lot("Laobanzhang", 10);
    lot.gs1 = Some(DigitalLink::parse(LOT).expect("link"));
    lot.units = Some(UnitTokens { serial_digits: 3 });
    let commission = h.sign(&station, party(&coop), Act::Commission(Commission::new(vec![lot])));
    assert_eq!(post(app, "/api/records", &commission).await.0, 201);
    let lot = AssetRef { id: AssetId::derive(&commission.id(), 0), head: commission.id() };
    let sale = h.own(&coop, Act::Transfer(Transfer { assets: vec![lot], to: party(&trader) }));
    assert_eq!(post(app, "/api/records", &sale).await.0, 201);
    (AssetId::derive(&commission.id(), 7), lot.id)
}

#[actix_web::test]
async fn the_evidence_proves_every_entry_against_one_signed_checkpoint() {
    let mut h = Harness::new();
    let app = app(h.state.clone()).await;
    let (cake, lot) = cakes(&mut h, &app).await;
    let (status, evidence) = get(&app, &format!("/api/assets/{cake}/evidence")).await;
    assert_eq!(status, 200);
    let checkpoint =
        verify_checkpoint(evidence["checkpoint"].as_str().expect("note"), &h.vkey()).expect("signed");
    let assets = evidence["assets"].as_array().expect("assets");
    assert_eq!(assets.len(), 2, "the cake and the lot it is packed in");
    for (a, id) in assets.iter().zip([cake, lot]) {
        assert_eq!(a["id"], json!(id));
        let created_by = serde_json::from_value(a["createdBy"].clone()).expect("hash");
        let output = a["output"].as_u64().expect("output") as u32;
        assert_eq!(AssetId::derive(&created_by, output), id, "the position derives the id");
    }
    let mut kinds = vec![];
    for item in evidence["entries"].as_array().expect("entries") {
        let entry: LedgerEntry = serde_json::from_value(item["entry"].clone()).expect("entry");
        let path = serde_json::from_value(item["proof"].clone()).expect("path");
        let proof = InclusionProof { index: entry.index, size: checkpoint.size, path };
        proof.verify(&entry.leaf_hash().expect("leaf"), &checkpoint.root).expect("included");
        kinds.push(entry.record.clone().verify().expect("signed").body().act.name());
    }
    // The commission and the sale of the lot, who the parties are, and that the station was
    // authorised: the lot's sale is on the cake's page because the cake travels in it.
    // The log's opening first: it names the rules the phone replays by.
    assert_eq!(
        kinds,
        ["open_ledger", "register_party", "register_party", "authorise_device", "commission", "transfer"]
    );
    // The state map's word, proven against the root the checkpoint commits to: each asset's
    // head is its last entry shown, the station key stands, the cake's code names the cake.
    let state_root = checkpoint.state.expect("the checkpoint commits to the state map");
    let proofs: Vec<StateProof> = serde_json::from_value(evidence["state"].clone()).expect("state proofs");
    let entries: Vec<LedgerEntry> = evidence["entries"]
        .as_array()
        .expect("entries")
        .iter()
        .map(|i| serde_json::from_value(i["entry"].clone()).expect("entry"))
        .collect();
    let mut kinds: Vec<StateKind> = proofs.iter().map(|p| p.kind).collect();
    kinds.sort_by_key(|k| *k as u8);
    assert_eq!(kinds, [StateKind::Asset, StateKind::Asset, StateKind::Identity, StateKind::Device]);
    for p in &proofs {
        let value = p.value.as_ref().map(|v| hex::decode(v).expect("hex"));
        let key = p.kind.map_key(&p.key).expect("key");
        p.proof.verify(&state_root, &key, value.as_deref()).expect("the proof holds");
        let value = value.expect("every key shown holds a value");
        match p.kind {
            StateKind::Asset => {
                let head = AssetHead::from_bytes(&value).expect("an asset's head");
                let asset = assets.iter().find(|a| a["id"] == json!(p.key)).expect("shown");
                let entry = entries.iter().find(|e| e.index == head.index).expect("its head entry is shown");
                assert_eq!(entry.leaf_hash().expect("leaf"), head.leaf);
                assert_eq!(json!(entry.record.clone().verify().expect("signed").id()), asset["head"]);
            }
            StateKind::Device => assert!(!DeviceState::from_bytes(&value).expect("a device").revoked),
            StateKind::Identity => assert_eq!(hex::encode(&value), cake.to_string()),
            StateKind::Party => unreachable!("no party key is shown"),
        }
    }
    assert_eq!(get(&app, &format!("/api/assets/{}/evidence", "0".repeat(64))).await.0, 404);
}

#[actix_web::test]
async fn the_page_speaks_the_buyers_language_and_pins_the_log_key() {
    let mut h = Harness::new();
    let app = app(h.state.clone()).await;
    let (cake, _) = cakes(&mut h, &app).await;
    let page = |lang: &'static str| {
        let req = actix_web::test::TestRequest::get()
            .uri(CAKE)
            .insert_header(("accept", "text/html"))
            .insert_header(("accept-language", lang))
            .to_request();
        actix_web::test::call_service(&app, req)
    };
    let en = String::from_utf8(actix_web::test::read_body(page("en-GB,en;q=0.9").await).await.to_vec())
        .expect("utf-8");
    assert!(en.contains(">Pu'er tea cake, 357 g, Laobanzhang</h1>"), "{en}");
    assert!(
        en.contains(&format!("data-asset=\"{cake}\"")) && en.contains(&format!("data-key=\"{}\"", h.vkey()))
    );
    assert!(
        en.contains("sold to <span data-p=")
            && en.contains(">Trader</span>")
            && en.contains(">Bulang Co-op</span>"),
        "the lot's sale and the co-op: {en}"
    );
    let zh = String::from_utf8(actix_web::test::read_body(page("zh-CN,zh;q=0.9").await).await.to_vec())
        .expect("utf-8");
    assert!(
        zh.contains("<html lang=\"zh-CN\">")
            && zh.contains("普洱茶饼")
            && zh.contains("转让给 <span data-p="),
        "{zh}"
    );

    // The page carries its script; the Ed25519 module it may load is served for good, no other
    // name is.
    assert!(en.contains("<script type=\"module\">") && en.contains("crypto.subtle.verify"), "{en}");
    let module = en.split("data-ed=\"").nth(1).and_then(|s| s.split('"').next()).expect("module");
    let (status, js) = get_bytes(&app, module, "*/*").await;
    assert_eq!(status, 200);
    assert!(String::from_utf8_lossy(&js).contains("verifyStrict"));
    assert_eq!(get_bytes(&app, "/static/ed25519.0000000000000000.js", "*/*").await.0, 404);
    // Well under 100 KB on first load, uncompressed: the page, its style and its script.
    assert!(en.len() < 70_000, "page {} bytes", en.len());

    let (status, key) = get_bytes(&app, "/.well-known/terroir-log-key", "*/*").await;
    assert_eq!((status, String::from_utf8(key).expect("utf-8")), (200, format!("{}\n", h.vkey())));
}

#[actix_web::test]
async fn the_page_carries_the_asset_as_the_api_serves_it_and_no_text_closes_its_script() {
    let mut h = Harness::new();
    let app = app(h.state.clone()).await;
    let coop = key(1);
    assert_eq!(
        post(&app, "/api/records", &h.register(&coop, "Bulang Co-op", &[Role::Cooperative])).await.0,
        201
    );
    // Origin names refuse such text (rules version 2); a generic good's name carries it.
    let name = "</script><img src=x onerror=alert(1)> & \"Lao\"";
    let mut lot = tea_lot("Laobanzhang", 10);
    lot.product = Product::Generic(Generic { name: name.into() });
    lot.gs1 = Some(DigitalLink::parse(LOT).expect("link"));
    let commission = h.own(&coop, Act::Commission(Commission::new(vec![lot])));
    assert_eq!(post(&app, "/api/records", &commission).await.0, 201);
    let id = AssetId::derive(&commission.id(), 0);

    let (status, page) = get_bytes(&app, LOT, "text/html").await;
    let page = String::from_utf8(page).expect("utf-8");
    assert_eq!(status, 200);
    assert!(!page.contains("<img"), "{page}");
    let shown = page
        .split("<script type=\"application/json\" id=\"shown\">")
        .nth(1)
        .and_then(|s| s.split("</script>").next())
        .expect("the shown element");
    let shown: Value = serde_json::from_str(shown).expect("JSON");
    assert_eq!(shown["product"]["name"], name);
    assert_eq!(shown, get(&app, &format!("/api/assets/{id}")).await.1);
}

/// POSTs a check of a label from the client at `ip`.
async fn check_from<S>(app: &S, path: &str, ip: [u8; 4], body: Value) -> (u16, Value)
where
    S: actix_web::dev::Service<
            actix_http::Request,
            Response = actix_web::dev::ServiceResponse,
            Error = actix_web::Error,
        >,
{
    let req = actix_web::test::TestRequest::post()
        .uri(path)
        .peer_addr((ip, 40_000).into())
        .set_json(body)
        .to_request();
    let resp = actix_web::test::call_service(app, req).await;
    let status = resp.status().as_u16();
    (status, serde_json::from_slice(&actix_web::test::read_body(resp).await).unwrap_or(Value::Null))
}

#[actix_web::test]
async fn checks_are_counted_and_a_copied_labels_pattern_is_named() {
    let mut h = Harness::new();
    let app = app(h.state.clone()).await;
    let (cake, _) = cakes(&mut h, &app).await;
    let path = format!("/api/assets/{cake}/scans");
    let (status, first) = check_from(&app, &path, [10, 0, 0, 1], json!({})).await;
    assert_eq!(
        (status, first["count"].as_u64(), first["units"].as_u64()),
        (200, Some(1), Some(1)),
        "{first}"
    );
    assert_eq!(first["firstAt"], json!(NOW));
    // The region of that same check, with its token: not counted again.
    let token = first["token"].as_str().expect("a counted check's token");
    let (_, again) =
        check_from(&app, &path, [10, 0, 0, 1], json!({ "region": "22,100", "token": token })).await;
    assert_eq!((again["count"].as_u64(), again["regions"]["22,100"].as_u64()), (Some(1), Some(1)), "{again}");
    // Three more buyers far apart, each with a check of their own.
    for (n, region) in [(2, "23,113"), (3, "31,121"), (4, "39,116")] {
        let (_, c) = check_from(&app, &path, [10, 0, 0, n], json!({})).await;
        let body = json!({ "region": region, "token": c["token"] });
        assert_eq!(check_from(&app, &path, [10, 0, 0, n], body).await.0, 200);
    }
    let (_, answer) = get(&app, CAKE).await;
    assert_eq!(answer["id"], json!(cake), "the label's JSON keeps the asset's fields");
    assert_eq!(answer["checks"]["count"], 4);
    assert_eq!(answer["checks"]["signs"], json!([{ "sign": "regions", "areas": 4, "allowed": 3 }]));
    assert_eq!(answer["lineage"].as_array().map(Vec::len), Some(1), "the lot");
    assert_eq!(answer["journey"].as_array().map(Vec::len), Some(2), "commission and sale");
    assert_eq!(answer["verifierKey"], json!(h.vkey()));

    for bad in [json!({ "region": "95,100" }), json!({ "region": "Kunming" }), json!({ "ip": "10.0.0.1" })] {
        let (status, problem) = post(&app, &path, &bad).await;
        assert_eq!((status, problem["code"].as_str()), (400, Some("bad_request")), "{bad}");
    }
    assert_eq!(post(&app, &format!("/api/assets/{}/scans", "0".repeat(64)), &json!({})).await.0, 404);
}

/// Four anonymous POSTs of distant regions made a genuine cake warn on its first check: a
/// region now counts only with the token of a counted check, once, for that label.
#[actix_web::test]
async fn a_region_counts_only_with_the_check_it_belongs_to() {
    let mut h = Harness::new();
    let app = app(h.state.clone()).await;
    let (cake, lot) = cakes(&mut h, &app).await;
    let path = format!("/api/assets/{cake}/scans");
    for region in ["21,100", "23,113", "31,121", "39,116"] {
        let (status, problem) = post(&app, &path, &json!({ "region": region, "again": true })).await;
        assert_eq!((status, problem["code"].as_str()), (400, Some("bad_request")), "{problem}");
    }
    let (_, lot_check) = post(&app, &format!("/api/assets/{lot}/scans"), &json!({})).await;
    let (_, first) = post(&app, &path, &json!({})).await;
    assert_eq!((first["count"].as_u64(), first["signs"].clone()), (Some(1), json!([])), "{first}");
    let token = first["token"].clone();
    let other = lot_check["token"].clone();
    let wrong = [json!({ "region": "31,121", "token": other }), json!({ "region": "31,121", "token": "00" })];
    for body in wrong {
        assert_eq!(post(&app, &path, &body).await.0, 400, "{body}");
    }
    assert_eq!(post(&app, &path, &json!({ "region": "21,100", "token": token })).await.0, 200);
    let (status, _) = post(&app, &path, &json!({ "region": "39,116", "token": token })).await;
    assert_eq!(status, 400, "a token adds one region");
    let (_, answer) = get(&app, CAKE).await;
    assert_eq!(
        (answer["checks"]["count"].clone(), answer["checks"]["regions"].clone()),
        (json!(1), json!({"21,100": 1}))
    );

    // A report comes the same way: with the token of a counted check, once.
    assert_eq!(post(&app, &path, &json!({ "report": true })).await.0, 400, "a report without a check");
    let (status, answer) = post(&app, &path, &json!({ "report": true, "token": token })).await;
    assert_eq!((status, answer["reports"].as_u64()), (200, Some(1)), "{answer}");
    assert_eq!(post(&app, &path, &json!({ "report": true, "token": token })).await.0, 400, "once");
    // The operator's list names the label once the counts are written (twice a second).
    let mut listed = Value::Null;
    for _ in 0..40 {
        listed = get(&app, "/api/reports").await.1;
        if listed["labels"].as_array().is_some_and(|l| !l.is_empty()) {
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
    assert_eq!(listed["labels"][0]["asset"], json!(cake), "{listed}");
    assert_eq!(listed["labels"][0]["reports"], 1);
}

/// 21 POSTs from one client made a genuine label warn: a client's checks of one label count
/// five times an hour at most.
#[actix_web::test]
async fn one_client_posting_checks_counts_a_few_times_an_hour() {
    use terroir_backend::service::scans::CHECKS_PER_CLIENT_HOUR;
    let mut h = Harness::new();
    let app = app(h.state.clone()).await;
    let (cake, _) = cakes(&mut h, &app).await;
    let path = format!("/api/assets/{cake}/scans");
    let mut last = Value::Null;
    for _ in 0..21 {
        last = check_from(&app, &path, [10, 0, 0, 9], json!({})).await.1;
    }
    assert_eq!(last["count"].as_u64(), Some(u64::from(CHECKS_PER_CLIENT_HOUR)), "{last}");
    assert_eq!(last["signs"], json!([]));
    assert!(last.get("token").is_none(), "an uncounted check gets no token");
    let (_, other) = check_from(&app, &path, [10, 0, 0, 10], json!({})).await;
    assert_eq!(other["count"].as_u64(), Some(u64::from(CHECKS_PER_CLIENT_HOUR) + 1), "another client counts");
    // The operator sees the same in the metrics.
    let metrics = String::from_utf8(get_bytes(&app, "/metrics", "text/plain").await.1).expect("text");
    let counted = CHECKS_PER_CLIENT_HOUR + 1;
    for line in [
        format!("terroir_label_checks_total{{result=\"counted\"}} {counted}"),
        format!("terroir_label_checks_total{{result=\"not_counted\"}} {}", 21 - CHECKS_PER_CLIENT_HOUR),
    ] {
        assert!(metrics.lines().any(|l| l == line), "{line} in\n{metrics}");
    }

    // Behind the trusted proxy (127.0.0.1 here), clients are told apart by the address it
    // forwards; a header from anyone else changes nothing.
    let behind = |peer: [u8; 4], client: &'static str| {
        actix_web::test::TestRequest::post()
            .uri(&path)
            .peer_addr((peer, 40_000).into())
            .insert_header(("x-forwarded-for", client))
            .set_json(json!({}))
            .to_request()
    };
    let count = |resp: actix_web::dev::ServiceResponse| async move {
        let body: Value = actix_web::test::read_body_json(resp).await;
        body["count"].as_u64().unwrap_or_default()
    };
    let before = u64::from(CHECKS_PER_CLIENT_HOUR) + 1;
    for (n, client) in ["198.51.100.1", "198.51.100.2", "198.51.100.3"].into_iter().enumerate() {
        for _ in 0..CHECKS_PER_CLIENT_HOUR + 2 {
            actix_web::test::call_service(&app, behind([127, 0, 0, 1], client)).await;
        }
        let at = actix_web::test::call_service(&app, behind([127, 0, 0, 1], client)).await;
        let expected = before + (n as u64 + 1) * u64::from(CHECKS_PER_CLIENT_HOUR);
        assert_eq!(count(at).await, expected, "each client behind the proxy counts on its own");
    }
    let spoofed = actix_web::test::call_service(&app, behind([10, 0, 0, 9], "198.51.100.77")).await;
    assert_eq!(count(spoofed).await, before + 3 * u64::from(CHECKS_PER_CLIENT_HOUR), "spoofed header");
}

/// A family of four checking the steak it just bought is not a copy: checks in the first days
/// after a sale are the buyer's own. (`clones` tests the checks after those days.)
#[actix_web::test]
async fn the_buyers_own_checks_after_a_sale_are_not_late() {
    let mut h = Harness::new();
    let app = app(h.state.clone()).await;
    let (_, lot) = cakes(&mut h, &app).await;
    let trader = key(2);
    let (_, current) = get(&app, &format!("/api/assets/{lot}")).await;
    let head = serde_json::from_value(current["head"].clone()).expect("head");
    let retire =
        h.own(&trader, Act::Retire(Retire { asset: AssetRef { id: lot, head }, reason: "sold".into() }));
    assert_eq!(post(&app, "/api/records", &retire).await.0, 201);
    let path = format!("/api/assets/{lot}/scans");
    let mut last = Value::Null;
    for n in 1..=4 {
        last = check_from(&app, &path, [192, 168, 1, n], json!({})).await.1;
    }
    assert_eq!((last["count"].as_u64(), last["late"].as_u64()), (Some(4), Some(0)), "{last}");
    assert_eq!(last["signs"], json!([]));
}

#[test]
fn counts_are_written_beside_the_ledger_and_read_back_after_a_restart() {
    use std::sync::Arc;
    use terroir_backend::service::scans::{Addition, Check, Region, ScanCounter};
    use terroir_shared::Hash;
    use terroir_shared::calendar::Timestamp;

    let h = Harness::new();
    let db = h.state.reads.reader().database().to_path_buf();
    let asset = AssetId(Hash::sha256(b"a label"));
    let clock = Arc::new(|| Timestamp(NOW));
    let (counter, thread) = ScanCounter::start(&db, clock.clone(), Default::default()).expect("start");
    let region = Region::parse("25,102").expect("region");
    let client = counter.client(None);
    let check = |late| Check { counted: true, late };
    counter.add(&asset, check(false), client);
    let (_, token) = counter.add(&asset, check(true), client);
    let token = token.expect("a token");
    counter.add_to_check(&asset, &token, Addition::Region(region)).expect("the region of that check");
    counter.add_to_check(&asset, &token, Addition::Report).expect("a report of that check");
    drop(counter);
    thread.join().expect("the last counts are written when the counter stops");

    let (counter, _) = ScanCounter::start(&db, clock, Default::default()).expect("restart");
    let mut conn = terroir_backend::db::open_reader(&db).expect("reader");
    counter.load(&mut conn, &asset).expect("load");
    let tally = counter.tally(&asset).expect("known");
    assert_eq!((tally.count, tally.late, tally.first_at, tally.reports), (2, 1, Some(NOW), 1));
    assert_eq!(tally.regions.get(&Region::parse("25,102").expect("region")), Some(&1));
}

#[actix_web::test]
async fn a_cakes_page_shows_the_cap_its_garden_was_registered_within() {
    let mut h = Harness::new();
    let app = app(h.state.clone()).await;
    let coop = key(1);
    let reg = h.register(&coop, "Bulang Co-op", &[Role::Cooperative]);
    assert_eq!(post(&app, "/api/records", &reg).await.0, 201);
    let cap = garden_cap("Laobanzhang", 100, 50);
    let register = h.own(&coop, Act::Commission(Commission::new(vec![cap])));
    assert_eq!(post(&app, "/api/records", &register).await.0, 201);
    let cap = AssetRef { id: AssetId::derive(&register.id(), 0), head: register.id() };
    let mut lot = tea_lot("Laobanzhang", 10);
    lot.gs1 = Some(DigitalLink::parse(LOT).expect("link"));
    lot.units = Some(UnitTokens { serial_digits: 3 });
    let batch = h.own(&coop, Act::Commission(Commission { assets: vec![lot], allowances: vec![cap] }));
    assert_eq!(post(&app, "/api/records", &batch).await.0, 201);
    let page = || async {
        let (status, body) = get_bytes(&app, CAKE, "text/html").await;
        assert_eq!(status, 200);
        String::from_utf8(body).expect("utf-8")
    };
    let line = "Laobanzhang: from a garden with a registered cap of 5 kg for 2026 spring, 3.6 kg issued";
    assert!(page().await.contains(line), "the cap as the batch left it");
    // More tea against the cap: the cake's page shows the cap as it stands.
    let cap = AssetRef { id: cap.id, head: batch.id() };
    let more = h.own(
        &coop,
        Act::Commission(Commission { assets: vec![tea_lot("Laobanzhang", 2)], allowances: vec![cap] }),
    );
    assert_eq!(post(&app, "/api/records", &more).await.0, 201);
    assert!(page().await.contains("registered cap of 5 kg for 2026 spring, 4.3 kg issued"));
    let (status, answer) = get(&app, CAKE).await;
    assert_eq!((status, answer["gardenCaps"][0]["product"]["issuedG"].as_u64()), (200, Some(4_284)));
}

/// Every asset of the demo ledger (lots, cakes, animals, cuts, garden caps; split, merged,
/// transferred, pledged): the label read the short way, by id and by GS1 identity, is the label
/// read whole in one transaction.
#[actix_web::test]
async fn a_label_read_the_short_way_is_the_label_read_whole() {
    use diesel::prelude::*;
    use terroir_backend::db::schema::{assets, identities};
    use terroir_backend::service::{label, reads};

    let h = sample_ledger().await;
    let mut conn = terroir_backend::db::open_reader(h.state.reads.reader().database()).expect("reader");
    let cache = h.state.ledger.cache();
    let ids: Vec<Vec<u8>> = assets::table.select(assets::id).load(&mut conn).expect("ids");
    let mut with_parents = 0;
    for raw in &ids {
        let id = AssetId(terroir_shared::Hash(raw.as_slice().try_into().expect("32 bytes")));
        let short = label::read(&mut conn, &id, cache).expect("read").expect("found");
        let whole = label::read_whole(&mut conn, &id, cache).expect("read").expect("found");
        assert_eq!(format!("{short:?}"), format!("{whole:?}"), "asset {id}");
        with_parents += usize::from(!whole.ancestors.is_empty());
    }
    assert!(ids.len() > 300 && with_parents > 100, "{} assets, {with_parents} with lineage", ids.len());
    let keys: Vec<(String, Vec<u8>)> = identities::table
        .inner_join(assets::table.on(assets::place.eq(identities::place)))
        .select((identities::key, assets::id))
        .load(&mut conn)
        .expect("keys");
    for (key, raw) in keys.iter().filter(|(k, _)| k.starts_with("gs1:")) {
        let id = AssetId(terroir_shared::Hash(raw.as_slice().try_into().expect("32 bytes")));
        // As a scan reads it: the code's holder, then its label.
        let holder = reads::holder_of(&mut conn, key).expect("read").expect("found");
        assert_eq!(holder, id, "identity {key}");
        let by_key = label::read(&mut conn, &holder, cache).expect("read").expect("found");
        let whole = label::read_whole(&mut conn, &id, cache).expect("read").expect("found");
        assert_eq!(format!("{by_key:?}"), format!("{whole:?}"), "identity {key}");
    }
    assert!(reads::holder_of(&mut conn, "gs1:no-such-item").expect("read").is_none());
}

/// A phone on a slow network gets the page, its scripts and its evidence compressed, and the
/// page carries its security headers; a code the ledger never issued says so in the buyer's
/// language.
#[actix_web::test]
async fn the_page_is_compressed_and_guarded_and_an_unknown_code_says_what_it_means() {
    let mut h = Harness::new();
    let app = app(h.state.clone()).await;
    let (cake, _) = cakes(&mut h, &app).await;
    let fetch = |path: String, accept: &'static str, lang: &'static str| {
        let req = actix_web::test::TestRequest::get()
            .uri(&path)
            .insert_header(("accept", accept))
            .insert_header(("accept-encoding", "gzip"))
            .insert_header(("accept-language", lang))
            .to_request();
        actix_web::test::call_service(&app, req)
    };
    let page = fetch(CAKE.into(), "text/html", "en").await;
    let headers = page.headers().clone();
    let body = actix_web::test::read_body(page).await;
    assert_eq!(headers.get("content-encoding").map(|v| v.as_bytes()), Some(&b"gzip"[..]));
    let csp = headers.get("content-security-policy").and_then(|v| v.to_str().ok()).unwrap_or_default();
    assert!(csp.contains("default-src 'none'") && csp.contains("script-src 'self' 'sha256-"), "{csp}");
    assert_eq!(headers.get("x-content-type-options").map(|v| v.as_bytes()), Some(&b"nosniff"[..]));
    assert_eq!(headers.get("referrer-policy").map(|v| v.as_bytes()), Some(&b"no-referrer"[..]));
    let mut html = String::new();
    std::io::Read::read_to_string(&mut flate2::read::GzDecoder::new(&body[..]), &mut html).expect("gzip");
    assert!(html.contains("<main>") && html.contains("<meta name=\"description\""), "{html}");
    assert!(html.contains(&format!("rel=\"preload\" href=\"/api/assets/{cake}/evidence\"")), "{html}");
    // Scanned again, the page is kept, and from then on kept gzipped: the same page, encoded
    // once (not again by the middleware), and as it is for a browser that refuses gzip.
    for scan in 2..=4 {
        let again = fetch(CAKE.into(), "text/html", "en").await;
        assert_eq!(again.headers().get_all("content-encoding").count(), 1, "{:?}", again.headers());
        let vary =
            again.headers().get("vary").and_then(|v| v.to_str().ok()).unwrap_or_default().to_lowercase();
        assert!(vary.contains("accept-encoding"), "{vary}");
        let body = actix_web::test::read_body(again).await;
        let mut same = String::new();
        std::io::Read::read_to_string(&mut flate2::read::GzDecoder::new(&body[..]), &mut same).expect("gzip");
        assert_eq!(same, html, "the kept page is the page");
        // Kept from the second scan, served as kept (compressed once, at the best level) from
        // the third.
        let kept = terroir_backend::service::cache::gzip(html.as_bytes());
        assert_eq!(body == kept, scan >= 3, "scan {scan}");
    }
    let plain = actix_web::test::TestRequest::get()
        .uri(CAKE)
        .insert_header(("accept", "text/html"))
        .insert_header(("accept-encoding", "gzip;q=0, identity"))
        .insert_header(("accept-language", "en"))
        .to_request();
    let plain = actix_web::test::call_service(&app, plain).await;
    assert!(plain.headers().get("content-encoding").is_none(), "{:?}", plain.headers());
    assert_eq!(actix_web::test::read_body(plain).await, html.as_bytes(), "gzip refused: the page as it is");
    // The policy names the page's own script by its hash, and no other inline script runs.
    let inline = html.split("<script type=\"module\">").nth(1).and_then(|s| s.split("</script>").next());
    use sha2::Digest as _;
    let digest = sha2::Sha256::digest(inline.expect("the page's script").as_bytes());
    use base64::Engine as _;
    let hash = base64::engine::general_purpose::STANDARD.encode(digest);
    assert!(csp.contains(&format!("'sha256-{hash}'")), "{csp}");
    let module = html.split("data-ed=\"").nth(1).and_then(|s| s.split('"').next()).expect("a module");
    let script = fetch(module.to_owned(), "*/*", "en").await;
    assert_eq!(script.status(), 200, "{module}");
    assert_eq!(script.headers().get("content-encoding").map(|v| v.as_bytes()), Some(&b"gzip"[..]));
    let evidence = fetch(format!("/api/assets/{cake}/evidence"), "application/json", "en").await;
    assert_eq!(evidence.headers().get("content-encoding").map(|v| v.as_bytes()), Some(&b"gzip"[..]));

    let unknown = fetch("/01/09506000134352/10/NOPE".into(), "text/html", "zh-CN,zh;q=0.9").await;
    assert_eq!(unknown.status(), 404);
    let body = actix_web::test::read_body(unknown).await;
    let mut html = String::new();
    std::io::Read::read_to_string(&mut flate2::read::GzDecoder::new(&body[..]), &mut html).expect("gzip");
    assert!(html.contains("本账本服务器查无此货品") && html.contains("请向卖家询问来源"), "{html}");
    assert!(!html.contains("not found"), "no English detail on the Chinese page: {html}");
}

/// What the state map holds under any key, proven against the latest checkpoint: the page for a
/// code this ledger never issued proves that with it on the phone.
#[actix_web::test]
async fn the_state_map_proves_a_code_never_issued_absent_and_an_issued_one_present() {
    let mut h = Harness::new();
    let app = app(h.state.clone()).await;
    let (cake, lot) = cakes(&mut h, &app).await;
    let vkey = h.vkey();
    let prove = |kind: &'static str, key: String| {
        let (app, vkey) = (&app, &vkey);
        async move {
            let (status, answer) = get(app, &format!("/api/state/{kind}?key={key}")).await;
            assert_eq!(status, 200, "{answer}");
            let checkpoint =
                verify_checkpoint(answer["checkpoint"].as_str().expect("note"), vkey).expect("signed");
            let proof: StateProof = serde_json::from_value(answer["proof"].clone()).expect("a proof");
            assert_eq!((proof.kind.as_str(), proof.key.as_str()), (kind, key.as_str()));
            proof.verify(&checkpoint.state.expect("a state root")).expect("the proof holds")
        }
    };
    assert_eq!(prove("identity", "gs1:/01/09506000134352/10/BL-1/21/999".into()).await, None);
    assert_eq!(prove("identity", format!("gs1:{CAKE}")).await, Some(cake.0.as_bytes().to_vec()));
    let head = prove("asset", lot.to_string()).await.expect("the lot's head");
    assert_eq!(
        AssetHead::from_bytes(&head).expect("a head").status,
        terroir_shared::state::StatusCode::Active
    );
    assert_eq!(prove("asset", "0".repeat(64)).await, None);
    for bad in ["/api/state/thing?key=x", "/api/state/identity"] {
        let (status, problem) = get(&app, bad).await;
        assert_eq!((status, problem["code"].as_str()), (400, Some("bad_request")), "{bad}: {problem}");
    }
    // A key not spelled as its kind asks names nothing the map could hold.
    let (status, problem) = get(&app, "/api/state/asset?key=BL-1").await;
    assert_eq!((status, problem["code"].as_str()), (404, Some("not_found")), "{problem}");
    // The page for an unknown code carries the log key and the script that asks for the proof.
    let req = actix_web::test::TestRequest::get()
        .uri("/01/09506000134352/10/BL-1/21/999")
        .insert_header(("accept", "text/html"))
        .to_request();
    let page = actix_web::test::call_service(&app, req).await;
    assert_eq!(page.status(), 404);
    let html = String::from_utf8(actix_web::test::read_body(page).await.to_vec()).expect("utf-8");
    assert!(html.contains(&format!("data-absent data-key=\"{}\"", h.vkey())), "{html}");
    assert!(html.contains("<script type=\"module\">") && html.contains("/api/state/identity?key="), "{html}");
}
