//! The read API against a small live ledger: checkpoints, proofs between sizes, C2SP tiles and
//! entry bundles, asset history with receipts, lineage, GS1 resolution, parties, docs, metrics.

use terroir_shared::Hash;
use terroir_shared::asset::{AssetId, AssetRef};
use terroir_shared::entry::LedgerEntry;
use terroir_shared::gs1::DigitalLink;
use terroir_shared::log::{ConsistencyProof, InclusionProof, Receipt, leaf_hash, verify_checkpoint};
use terroir_shared::party::Role;
use terroir_shared::record::*;

use crate::support::*;

#[actix_web::test]
async fn what_the_server_serves_verifies_with_the_core() {
    let mut h = Harness::new();
    let app = app(h.state.clone()).await;
    let (coop, trader) = (key(1), key(2));
    for r in [
        h.register(&coop, "Bulang Co-op", &[Role::Cooperative]),
        h.register(&trader, "Trader", &[Role::Trader]),
    ] {
        assert_eq!(post(&app, "/api/records", &r).await.0, 201);
    }
    let vkey = h.vkey();
    let (_, text) = get_bytes(&app, "/checkpoint", "text/plain").await;
    let first =
        verify_checkpoint(&String::from_utf8(text).expect("utf-8"), &vkey).expect("checkpoint verifies");
    assert_eq!((first.origin.as_str(), first.size), (ORIGIN, 3));

    let mut lot = tea_lot("Laobanzhang", 100);
    lot.gs1 = Some(DigitalLink::parse("/01/09506000134352/10/BL-1").expect("link"));
    let commission = h.own(&coop, Act::Commission(Commission::new(vec![lot])));
    let lot = AssetRef { id: AssetId::derive(&commission.id(), 0), head: commission.id() };
    let split = h.own(
        &coop,
        Act::Split(Split {
            asset: lot,
            parts: vec![
                Part { amount: 60, gs1: None, units: vec![] },
                Part { amount: 40, gs1: None, units: vec![] },
            ],
        }),
    );
    let child = AssetRef { id: AssetId::derive(&split.id(), 1), head: split.id() };
    let transfer = h.own(&coop, Act::Transfer(Transfer { assets: vec![child], to: party(&trader) }));
    let batch = serde_json::json!([commission, split, transfer]);
    assert_eq!(post(&app, "/api/records/batch", &batch).await.0, 200);

    // The log grew consistently.
    let (_, text) = get_bytes(&app, "/checkpoint", "text/plain").await;
    let second = verify_checkpoint(&String::from_utf8(text).expect("utf-8"), &vkey).expect("verifies");
    assert_eq!(second.size, 6);
    let (_, proof) = get(&app, "/api/proofs/consistency?from=3&to=6").await;
    let proof: ConsistencyProof = serde_json::from_value(proof).expect("proof");
    proof.verify(&first.root, &second.root).expect("consistent");
    let (_, proof) = get(&app, "/api/proofs/inclusion?index=3&size=6").await;
    let proof: InclusionProof = serde_json::from_value(proof).expect("proof");
    let (_, entry) = get(&app, "/api/entries/3").await;
    let leaf: Hash = serde_json::from_value(entry["leafHash"].clone()).expect("hash");
    proof.verify(&leaf, &second.root).expect("included");

    // C2SP tiles: level-0 tile hashes are the leaf hashes; the entry bundle holds the leaves.
    let (status, tile) = get_bytes(&app, "/tile/0/000.p/6", "*/*").await;
    assert_eq!((status, tile.len()), (200, 6 * 32));
    let (_, bundle) = get_bytes(&app, "/tile/entries/000.p/6", "*/*").await;
    let mut at = 0;
    for i in 0..6 {
        let len = usize::from(u16::from_be_bytes([bundle[at], bundle[at + 1]]));
        let bytes = &bundle[at + 2..at + 2 + len];
        assert_eq!(&tile[i * 32..(i + 1) * 32], leaf_hash(bytes).as_bytes());
        let entry = LedgerEntry::from_leaf_bytes(bytes).expect("canonical entry");
        assert_eq!(entry.index, i as u64);
        at += 2 + len;
    }
    assert_eq!(at, bundle.len());
    assert_eq!(get_bytes(&app, "/tile/0/000.p/7", "*/*").await.0, 404, "not beyond the checkpoint");
    assert_eq!(get_bytes(&app, "/tile/0/000", "*/*").await.0, 404, "no full tile yet");
    // One URL per tile, as C2SP tlog-tiles and Go's ParseTilePath have it: other spellings of
    // the same tile are not tile paths; a level the tree cannot reach yet is valid, not found.
    for other in [
        "/tile/0/000.p/06",
        "/tile/00/000.p/6",
        "/tile/0/x000/000.p/6",
        "/tile/entries/x000/000.p/6",
        "/tile/0/000.p/+6",
        "/tile/64/000",
        "/tile/-1/000",
    ] {
        assert_eq!(get_bytes(&app, other, "*/*").await.0, 400, "{other}");
    }
    for level in [8, 9, 63] {
        assert_eq!(get_bytes(&app, &format!("/tile/{level}/000.p/1"), "*/*").await.0, 404, "level {level}");
    }
    // Entry bundles are compressed for a client that takes gzip, and come back the same.
    let req = actix_web::test::TestRequest::get()
        .uri("/tile/entries/000.p/6")
        .insert_header(("accept-encoding", "gzip"))
        .to_request();
    let resp = actix_web::test::call_service(&app, req).await;
    let header = |name: &str| resp.headers().get(name).and_then(|v| v.to_str().ok()).map(str::to_owned);
    assert_eq!(header("content-encoding").as_deref(), Some("gzip"));
    assert!(header("vary").is_some_and(|v| v.to_ascii_lowercase().contains("accept-encoding")));
    let gzipped = actix_web::test::read_body(resp).await;
    let mut unzipped = Vec::new();
    std::io::Read::read_to_end(&mut flate2::read::GzDecoder::new(&gzipped[..]), &mut unzipped).expect("gzip");
    assert_eq!(unzipped, bundle);
    assert!(gzipped.len() < bundle.len(), "{} of {} bytes", gzipped.len(), bundle.len());

    // History with receipts, lineage both ways.
    let (_, history) = get(&app, &format!("/api/assets/{}/history", child.id)).await;
    let entries = history["entries"].as_array().expect("entries");
    assert_eq!(entries.len(), 2, "the split that made it and the transfer");
    for e in entries {
        let receipt: Receipt = serde_json::from_value(e["receipt"].clone()).expect("receipt");
        let entry: LedgerEntry = serde_json::from_value(e["entry"].clone()).expect("entry");
        entry.verify_receipt(&receipt, &vkey).expect("history entry proven");
    }
    let (_, up) = get(&app, &format!("/api/assets/{}/lineage", child.id)).await;
    assert_eq!(up["assets"][0]["id"], serde_json::json!(lot.id));
    let (_, down) = get(&app, &format!("/api/assets/{}/lineage?direction=down", lot.id)).await;
    assert_eq!(down["assets"].as_array().map(Vec::len), Some(2));

    // The label's Digital Link resolves: JSON for apps, HTML for browsers.
    let (status, json) = get(&app, "/01/09506000134352/10/BL-1").await;
    assert_eq!((status, json["id"].clone()), (200, serde_json::json!(lot.id)));
    let (status, html) =
        get_bytes(&app, "/01/09506000134352/10/BL-1", "text/html,application/xhtml+xml").await;
    assert_eq!(status, 200);
    let html = String::from_utf8_lossy(&html);
    assert!(html.contains(">Lot of Pu'er cakes, Laobanzhang</h1>"), "{html}");
    assert!(html.contains("Bulang Co-op") && html.contains("split"), "names and history: {html}");
    assert_eq!(get(&app, "/01/09506000134353/10/BL-1").await.0, 400, "bad check digit");
    assert_eq!(get(&app, "/01/09506000134352/10/NOPE").await.0, 404);
    assert_eq!(get(&app, "/01").await.0, 400, "no GTIN");
    assert_eq!(
        post(&app, "/01/09506000134352/10/BL-1", &serde_json::json!({})).await.0,
        405,
        "a label is read"
    );
    let (status, page) = get_bytes(&app, "/01/09506000134352/10/NOPE", "text/html").await;
    assert_eq!(status, 404);
    let page = String::from_utf8_lossy(&page);
    assert!(page.contains("knows no item under it") && page.contains("ask the seller"), "{page}");
    assert!(page.contains("<code id=\"uri\">/01/09506000134352/10/NOPE</code>"), "the code scanned: {page}");
    let (status, page) = get_bytes(&app, "/01/09506000134353/10/BL-1", "text/html").await;
    assert_eq!(status, 400);
    assert!(String::from_utf8_lossy(&page).contains("Not a valid product code"), "a bad check digit");
    let (status, problem) = get(&app, "/api/entries?start=x").await;
    assert_eq!((status, problem["code"].as_str()), (400, Some("bad_request")), "query errors are problems");
    let (status, page) = get(&app, "/api/entries?start=100").await;
    assert_eq!((status, page["entries"].as_array().map(Vec::len)), (200, Some(0)), "past the end: empty");

    let (_, parties) = get(&app, "/api/parties").await;
    assert_eq!(parties["parties"].as_array().map(Vec::len), Some(2));
    let (_, doc) = get(&app, "/api/openapi.json").await;
    assert_eq!(doc["openapi"], "3.1.0");
    let (_, metrics) = get_bytes(&app, "/metrics", "*/*").await;
    assert!(String::from_utf8_lossy(&metrics).contains("terroir_records_accepted_total 5"));
}

#[actix_web::test]
async fn a_cached_asset_is_never_older_than_the_ledger() {
    let mut h = Harness::new();
    let app = app(h.state.clone()).await;
    let (coop, trader) = (key(1), key(2));
    for r in
        [h.register(&coop, "Co-op", &[Role::Cooperative]), h.register(&trader, "Trader", &[Role::Trader])]
    {
        assert_eq!(post(&app, "/api/records", &r).await.0, 201);
    }
    let mut lot = tea_lot("Hekai", 10);
    lot.gs1 = Some(DigitalLink::parse("/01/09506000134352/10/C-1").expect("link"));
    let commission = h.own(&coop, Act::Commission(Commission::new(vec![lot])));
    assert_eq!(post(&app, "/api/records", &commission).await.0, 201);
    let lot = AssetRef { id: AssetId::derive(&commission.id(), 0), head: commission.id() };
    let path = format!("/api/assets/{}", lot.id);
    for _ in 0..3 {
        assert_eq!(get(&app, &path).await.1["owner"], serde_json::json!(party(&coop)), "cached read");
        assert_eq!(get(&app, "/01/09506000134352/10/C-1").await.1["owner"], serde_json::json!(party(&coop)));
    }
    let transfer = h.own(&coop, Act::Transfer(Transfer { assets: vec![lot], to: party(&trader) }));
    assert_eq!(post(&app, "/api/records", &transfer).await.0, 201);
    assert_eq!(
        get(&app, &path).await.1["owner"],
        serde_json::json!(party(&trader)),
        "the commit invalidated it"
    );
    let (_, by_label) = get(&app, "/01/09506000134352/10/C-1").await;
    assert_eq!(by_label["head"], serde_json::json!(transfer.id()));
}
