//! Syncing against a real ledger server: through a network that drops connections, with the
//! server down, before enrolment, and when another record won the race for a lot.

use terroir_shared::entry::LedgerEntry;
use terroir_shared::log::Receipt;
use terroir_shared::record::{Envelope, Record};
use terroir_station::forms::ActForm;
use terroir_station::store::{AssetFilter, AssetState, RecordState};
use terroir_station::sync::SyncError;
use terroir_tests::ledger::TestLedger;

use crate::support::*;

/// Runs passes until nothing is pending; transient failures are retried like the worker does.
/// Returns how many passes failed.
fn sync_until_done(s: &std::sync::Arc<terroir_station::Station>) -> usize {
    let mut failures = 0;
    for _ in 0..500 {
        match sync_once(s) {
            Ok(r) => {
                if r.remaining == 0 {
                    return failures;
                }
            }
            Err(SyncError::Server(e)) if e.is_transient() => failures += 1,
            Err(e) => panic!("sync failed: {e}"),
        }
    }
    panic!("still pending after 500 passes")
}

fn log_size(ledger: &TestLedger) -> u64 {
    ledger.get("/api/log").expect("log")["size"].as_u64().expect("size")
}

#[test]
fn everything_lands_once_through_a_network_that_drops_connections() {
    let mut ledger = TestLedger::new().expect("ledger");
    ledger.start().expect("start");
    let proxy = FlakyProxy::start(ledger.port, vec![Fate::DropRequest, Fate::DropAnswer, Fate::Forward]);
    let dir = tempfile::tempdir().expect("dir");
    let s = station(dir.path(), &ledger, &proxy.url);
    enrol(&ledger, &s);
    for i in 0..1_200 {
        s.register_tea(tea(2, &format!("L{i:05}"))).expect("registered");
    }
    let queued = s.status().expect("status").counts.pending as u64;
    assert_eq!(queued, 1_201);
    let failures = sync_until_done(&s);
    let counts = s.status().expect("status").counts;
    assert_eq!((counts.landed as u64, counts.pending, counts.refused), (queued, 0, 0), "every record landed");
    assert!(failures >= 2, "the proxy dropped connections ({failures} failures)");
    assert!(proxy.answers_lost.load(std::sync::atomic::Ordering::SeqCst) >= 1);
    // The server holds each record once: its opening, the enrolment and the station's records.
    assert_eq!(log_size(&ledger), queued + 2);
    // Every stored receipt proves its own record under the pinned key; indexes are distinct.
    // The stored rows, receipts and all (the window sees only what they say).
    let mut conn = terroir_station::store::open(&dir.path().join(terroir_station::station::DATABASE_FILE))
        .expect("the station's database");
    let rows = terroir_station::store::records(&mut conn, Some(RecordState::Landed), 10_000).expect("rows");
    let mut indexes: Vec<i64> = rows.iter().map(|r| r.log_index.expect("index")).collect();
    indexes.sort_unstable();
    indexes.dedup();
    assert_eq!(indexes.len(), rows.len());
    for row in rows.iter().step_by(97) {
        let receipt: Receipt =
            serde_json::from_str(row.receipt.as_deref().expect("receipt")).expect("parses");
        let envelope = Envelope::<Record>::from_json(row.envelope.as_bytes()).expect("envelope");
        LedgerEntry::verify_record_receipt(&envelope, &receipt, &ledger.verifier_key)
            .expect("receipt proves");
    }
    // Confirming the co-op's registration is a read that may also be dropped: retry it.
    for _ in 0..10 {
        if s.status().expect("status").enrolled {
            break;
        }
        let _ = sync_once(&s);
    }
    assert!(s.status().expect("status").enrolled);
}

#[test]
fn records_wait_for_the_server_and_for_enrolment_without_loss() {
    let mut ledger = TestLedger::new().expect("ledger");
    let dir = tempfile::tempdir().expect("dir");
    let s = station(dir.path(), &ledger, &ledger.url.clone());
    s.register_tea(tea(30, "DOWN1")).expect("registered while the server is down");
    // Down: a transient failure, nothing settled.
    let ledger_sync = terroir_station::sync::LedgerSync::new(s.clone());
    match ledger_sync.once() {
        Err(SyncError::Server(e)) => assert!(e.is_transient(), "{e}"),
        other => panic!("expected the server to be unreachable, got {other:?}"),
    }
    assert_eq!(ledger_sync.status().state, terroir_station::sync::SyncState::Offline);
    assert_eq!(s.status().expect("status").counts.pending, 2);
    // Up, but the co-op is not enrolled yet: everything stays queued.
    ledger.start().expect("start");
    let r = sync_once(&s).expect("pass");
    assert!(r.awaiting_enrolment);
    assert_eq!((r.landed, r.refused, r.remaining), (0, 0, 2));
    // Enrolled: everything lands.
    enrol(&ledger, &s);
    let r = sync_once(&s).expect("pass");
    assert_eq!((r.landed, r.refused, r.remaining, r.awaiting_enrolment), (2, 0, 0, false));
    // The server is stopped and started again: a new act syncs after the restart.
    ledger.stop().expect("stop");
    let lot = s.assets(&AssetFilter { kind: Some("tea_lot".into()), ..AssetFilter::default() }).expect("lot")
        [0]
    .id
    .clone();
    s.act(ActForm::Split { asset: lot, parts: vec![10, 20] }).expect("split offline");
    assert!(sync_once(&s).is_err());
    ledger.start().expect("restart");
    assert_eq!(sync_once(&s).expect("pass").landed, 1);
    assert_eq!(log_size(&ledger), 5, "the opening, the enrolment and three records");
}

#[test]
fn a_lot_split_elsewhere_while_offline_is_refused_with_the_reason_and_the_view_is_corrected() {
    let mut ledger = TestLedger::new().expect("ledger");
    ledger.start().expect("start");
    let dir = tempfile::tempdir().expect("dir");
    let s = station(dir.path(), &ledger, &ledger.url.clone());
    enrol(&ledger, &s);
    s.register_tea(tea(100, "RACE1")).expect("registered");
    sync_until_done(&s);
    let lot = s.assets(&AssetFilter { kind: Some("tea_lot".into()), ..AssetFilter::default() }).expect("lot")
        [0]
    .id
    .clone();
    // Another station of the co-op (here: a copy of this one's keys and state) splits the lot
    // first and syncs.
    let other_dir = tempfile::tempdir().expect("dir");
    copy_station(dir.path(), other_dir.path());
    let other = std::sync::Arc::new(terroir_station::Station::open(other_dir.path()).expect("other"));
    other.act(ActForm::Split { asset: lot.clone(), parts: vec![50, 50] }).expect("split there");
    sync_until_done(&other);
    // This station, unaware, splits it differently.
    let mine = s.act(ActForm::Split { asset: lot.clone(), parts: vec![70, 30] }).expect("split here");
    let r = sync_once(&s).expect("pass");
    assert_eq!((r.landed, r.refused), (0, 1));
    let refused = s.records(Some(RecordState::Refused), 10).expect("refused");
    assert_eq!(refused[0].problem_code.as_deref(), Some("head_conflict"));
    assert!(
        refused[0]
            .problem
            .as_ref()
            .is_some_and(|p| p.en.contains("changed this asset first") && p.zh.contains("先改动"))
    );
    // The view now shows the ledger's truth: the lot consumed by the other split, and the
    // parts this station had assumed are gone.
    assert_eq!(s.asset(&lot).expect("lot").row.state, AssetState::Consumed);
    assert!(s.asset(&mine.created[0]).is_err());
}

/// A second station holding the same keys and store (like a restored backup).
fn copy_station(from: &std::path::Path, to: &std::path::Path) {
    use std::os::unix::fs::PermissionsExt;
    for name in ["party.key", "device.key", "station.sqlite"] {
        std::fs::copy(from.join(name), to.join(name)).expect("copy");
        if name.ends_with(".key") {
            std::fs::set_permissions(to.join(name), std::fs::Permissions::from_mode(0o600)).expect("chmod");
        }
    }
    for ext in ["-wal", "-shm"] {
        let f = from.join(format!("station.sqlite{ext}"));
        if f.exists() {
            std::fs::copy(&f, to.join(format!("station.sqlite{ext}"))).expect("copy");
        }
    }
}

#[test]
fn a_trader_station_brings_a_bought_lot_from_the_ledger_and_splits_it() {
    let mut ledger = TestLedger::new().expect("ledger");
    ledger.start().expect("start");
    let coop_dir = tempfile::tempdir().expect("dir");
    let coop = station(coop_dir.path(), &ledger, &ledger.url.clone());
    enrol(&ledger, &coop);
    let trader_dir = tempfile::tempdir().expect("dir");
    let trader = std::sync::Arc::new(terroir_station::Station::open(trader_dir.path()).expect("open"));
    let mut form = setup_form(&ledger.url, &ledger);
    form.coop_name = "Menghai Trading".into();
    form.roles = vec![terroir_shared::party::Role::Trader];
    trader.setup(form).expect("setup");
    let trader_key = trader.status().expect("status").party_key.expect("key");
    ledger.enrol(&trader_key, "Menghai Trading", &[terroir_shared::party::Role::Trader]).expect("enrol");
    assert_eq!(sync_once(&trader).expect("authorised").landed, 1);

    coop.register_tea(tea(40, "SOLD1")).expect("registered");
    coop.refresh_parties().expect("parties");
    let lot =
        coop.assets(&AssetFilter { kind: Some("tea_lot".into()), ..AssetFilter::default() }).expect("lot")[0]
            .id
            .clone();
    coop.act(ActForm::Transfer { assets: vec![lot.clone()], to: trader_key }).expect("sold");
    assert_eq!(sync_once(&coop).expect("sync").remaining, 0);

    // The trader scans the lot's label and brings it into its station.
    let uri = coop.asset(&lot).expect("lot").uri.expect("uri");
    let row = trader.fetch_asset(&uri).expect("fetched");
    assert_eq!(row.id, lot);
    assert!(trader.fetch_asset("not a label").is_err());
    let split = trader.act(ActForm::Split { asset: lot.clone(), parts: vec![25, 15] }).expect("split");
    let r = sync_once(&trader).expect("sync");
    assert_eq!((r.landed, r.refused), (1, 0));
    let part = ledger.get(&format!("/api/assets/{}", split.created[0])).expect("part");
    assert_eq!(part["quantity"]["amount"], 25);
    // The co-op's view follows when it asks the ledger.
    assert_eq!(coop.fetch_asset(&lot).expect("refreshed").state, AssetState::Consumed);
}

#[test]
fn batches_drawing_on_a_gardens_cap_land_and_the_ledger_counts_them() {
    let mut ledger = TestLedger::new().expect("ledger");
    ledger.start().expect("start");
    let dir = tempfile::tempdir().expect("dir");
    let s = station(dir.path(), &ledger, &ledger.url.clone());
    enrol(&ledger, &s);
    let garden = terroir_station::forms::GardenForm {
        garden: "Laobanzhang".into(),
        season: "2026 spring".into(),
        area_m2: 10,
        yield_g_per_m2: 250,
    };
    let cap = s.register_garden(garden).expect("cap").created[0].clone();
    s.register_tea(tea(5, "LBZ-1")).expect("batch");
    s.register_tea(tea(2, "LBZ-2")).expect("batch");
    sync_until_done(&s);
    let counts = s.status().expect("status").counts;
    assert_eq!((counts.pending, counts.refused), (0, 0), "every record landed");
    let shown = ledger.get(&format!("/api/assets/{cap}")).expect("the cap on the ledger");
    assert_eq!(shown["product"]["issuedG"].as_u64(), Some(2_499));
}
