//! The station's two speed targets, each beside a baseline measured in the same run:
//! registering a 300-cake batch and writing its label sheet (target: under 3 s), and syncing
//! 10,000 queued records to a local ledger (target: under 5 s) against the same records posted
//! by a bare client. Run with `cargo bench -p terroir-station`.

use std::time::{Duration, Instant};

use terroir_shared::party::Role;
use terroir_station::forms::TeaBatchForm;
use terroir_station::store::{AssetFilter, RecordState};
use terroir_station::{SetupForm, Station};
use terroir_tests::ledger::{ORIGIN, TestLedger};

fn tea(count: u64, lot: &str) -> TeaBatchForm {
    TeaBatchForm {
        // Chinese, as a Yunnan co-op writes it: the sheet embeds the glyphs it uses.
        garden: "老班章 Laobanzhang".into(),
        mountain: "布朗山".into(),
        harvest_season: "2026 春茶 spring".into(),
        pressed_on: "2026-05-02".into(),
        cake_weight_g: None,
        count,
        lot_number: lot.into(),
        packing: String::new(),
    }
}

fn station(dir: &std::path::Path, ledger: &TestLedger) -> Station {
    let s = Station::open(dir).expect("open");
    s.setup(SetupForm {
        coop_name: "勐海县老班章茶叶农民专业合作社".into(),
        roles: vec![Role::Cooperative],
        station_label: "bench".into(),
        server_url: ledger.url.clone(),
        origin: ORIGIN.into(),
        verifier_key: ledger.verifier_key.clone(),
        tea_gtin: "06901234567892".into(),
        ..SetupForm::default()
    })
    .expect("setup");
    s
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1e3
}

fn batch_and_sheet() {
    let ledger = TestLedger::new().expect("ledger");
    let mut rounds = vec![];
    for round in 0..5 {
        let dir = tempfile::tempdir().expect("dir");
        let s = station(dir.path(), &ledger);
        let sheet = dir.path().join("sheet.pdf");
        let started = Instant::now();
        let done = s.register_tea(tea(300, &format!("BENCH{round}"))).expect("register");
        let registered = started.elapsed();
        let written = s.print_labels(&done.created[0], Some(&sheet)).expect("sheet");
        let total = started.elapsed();
        assert_eq!(written.labels, 301);
        rounds.push((registered, total - registered, total, written.bytes));
    }
    rounds.sort_by_key(|r| r.2);
    let (register, sheet, total, bytes) = rounds[rounds.len() / 2];
    println!("300-cake batch + A4 label sheet in Chinese and English (median of 5):");
    println!("  register (rules, signing, 301 tokens stored): {:8.1} ms", ms(register));
    println!("  label sheet (301 QR labels, {bytes} bytes):   {:8.1} ms", ms(sheet));
    println!(
        "  total {:8.1} ms = {:.2} × the 3 s target ({})",
        ms(total),
        total.as_secs_f64() / 3.0,
        if total < Duration::from_secs(3) { "met" } else { "NOT met" }
    );
}

fn sync_10k() {
    const RECORDS: usize = 10_000;
    // Queue 10,000 records (the station's authorisation + 9,999 one-cake batches) offline.
    let mut ledger = TestLedger::new().expect("ledger");
    let dir = tempfile::tempdir().expect("dir");
    let s = station(dir.path(), &ledger);
    for i in 1..RECORDS {
        s.register_tea(tea(1, &format!("Q{i:05}"))).expect("queued");
    }
    let mut conn = terroir_station::store::open(&dir.path().join(terroir_station::station::DATABASE_FILE))
        .expect("the station's database");
    let queued = terroir_station::store::records(&mut conn, Some(RecordState::Pending), RECORDS as i64 + 1)
        .expect("queue");
    assert_eq!(queued.len(), RECORDS);
    let mut envelopes: Vec<String> = queued.iter().map(|r| r.envelope.clone()).collect();
    envelopes.reverse(); // signing order

    // Baseline: the same records posted by a bare client to a fresh ledger, 1,000 per request.
    let mut raw = TestLedger::new().expect("ledger");
    raw.start().expect("start");
    let party = s.status().expect("status").party_key.expect("key");
    raw.enrol(&party, "Bench Co-op", &[Role::Cooperative]).expect("enrol");
    let agent = ureq::AgentBuilder::new().timeout(Duration::from_secs(120)).build();
    let started = Instant::now();
    for chunk in envelopes.chunks(1_000) {
        let body = format!("[{}]", chunk.join(","));
        let answer: serde_json::Value = agent
            .post(&format!("{}/api/records/batch", raw.url))
            .set("content-type", "application/json")
            .send_string(&body)
            .expect("batch")
            .into_json()
            .expect("json");
        let accepted = answer["results"]
            .as_array()
            .map_or(0, |r| r.iter().filter(|o| o["outcome"] == "accepted").count());
        assert_eq!(accepted, chunk.len());
    }
    let baseline = started.elapsed();
    raw.stop().expect("stop");

    // The station: the same queue, through its sync (receipts checked and stored).
    ledger.start().expect("start");
    ledger.enrol(&party, "Bench Co-op", &[Role::Cooperative]).expect("enrol");
    let started = Instant::now();
    let sync = terroir_station::sync::LedgerSync::new(std::sync::Arc::new(s));
    let report = sync.once().expect("sync");
    let s = sync.station();
    let synced = started.elapsed();
    assert_eq!((report.landed as usize, report.remaining), (RECORDS, 0));
    let tokens = s.assets(&AssetFilter { limit: Some(10), ..AssetFilter::default() }).expect("assets").len();
    assert!(tokens > 0);
    println!("Sync of {RECORDS} queued records to a local ledger (release server, durable commits):");
    println!("  bare client, same records, 1,000 per request: {:8.1} ms", ms(baseline));
    println!(
        "  station sync (batches, every receipt checked and stored): {:8.1} ms = {:.2} × the bare client; \
         {:.2} × the 5 s target ({})",
        ms(synced),
        synced.as_secs_f64() / baseline.as_secs_f64(),
        synced.as_secs_f64() / 5.0,
        if synced < Duration::from_secs(5) { "met" } else { "NOT met" }
    );
}

fn main() {
    // `cargo test --benches` runs this with `--bench` absent; keep that cheap.
    if !std::env::args().any(|a| a == "--bench") {
        println!("station benchmark: run with `cargo bench -p terroir-station`");
        return;
    }
    batch_and_sheet();
    sync_10k();
}
