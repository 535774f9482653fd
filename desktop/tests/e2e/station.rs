//! The clerk's day, twice: online, and with the server down until halfway. Register 50 cakes,
//! print their sheet, sync, split the lot and sell part of it; the ledger must end up holding
//! each record exactly once.

use std::sync::Mutex;

use serde_json::json;
use terroir_shared::party::Role;
use terroir_tests::ledger::{ORIGIN, TestLedger};
use terroir_tests::scan::qr_codes_in_pdf;

use crate::harness::{self, Display, Driver, screenshots};
use crate::webdriver::Session;

/// One display and one app at a time.
static SERIAL: Mutex<()> = Mutex::new(());

const TEA_GTIN: &str = "06901234567892";

fn set_up(app: &Session, server_url: &str, pinned: Option<(&str, &str)>, shots: &std::path::Path) {
    app.type_in("#setup-form input[name=coopName]", "Bulang Tea Co-op");
    app.type_in("#setup-form input[name=stationLabel]", "Laobanzhang village");
    app.type_in("#setup-form input[name=serverUrl]", server_url);
    app.type_in("#setup-form input[name=teaGtin]", TEA_GTIN);
    if let Some((origin, vkey)) = pinned {
        app.type_in("#setup-form input[name=origin]", origin);
        app.type_in("#setup-form input[name=verifierKey]", vkey);
    }
    app.screenshot(&shots.join("1-setup.png"));
    app.click("#setup-submit");
    app.element("#tabs");
}

fn party_key(app: &Session) -> String {
    app.click("#tabs button[data-tab=station]");
    // Both keys are shown as text and as QR codes to scan.
    app.wait("the key QR codes", || {
        let shown = app.run(
            "return ['#party-qr', '#device-qr'].every(s => { const i = document.querySelector(s); \
             return i.complete && i.naturalWidth > 0; });",
            json!([]),
        );
        (shown == json!(true)).then_some(())
    });
    app.wait_text("#party-key", |t| t.len() == 64)
}

fn register_tea(app: &Session, count: u32, lot: &str) {
    app.click("#tabs button[data-tab=register]");
    app.type_in("#tea-form input[name=garden]", "Laobanzhang");
    app.type_in("#tea-form input[name=mountain]", "Bulang");
    app.type_in("#tea-form input[name=harvestSeason]", "2026 spring");
    app.choose("#tea-form input[name=pressedOn]", "2026-05-02");
    app.type_in("#tea-form input[name=count]", &count.to_string());
    app.type_in("#tea-form input[name=lotNumber]", lot);
    app.click("#tea-submit");
    app.wait_text("#detail-quantity", |t| t == format!("{count} cakes"));
}

/// Registers a cap of 20 kg on Laobanzhang for the season and returns its id.
fn register_garden(app: &Session) -> String {
    app.click("#tabs button[data-tab=register]");
    app.type_in("#garden-form input[name=garden]", "Laobanzhang");
    app.type_in("#garden-form input[name=season]", "2026 spring");
    app.type_in("#garden-form input[name=areaM2]", "100");
    app.type_in("#garden-form input[name=yieldGPerM2]", "200");
    app.click("#garden-submit");
    app.wait_text("#detail-quantity", |t| t == "20 kg");
    open_id(app)
}

/// Prints the open lot's sheet and checks that every QR on it reads back as a label URI.
/// The sheet is handed to the system's PDF viewer (a stub here, see `harness::opened_sheets`).
fn print_and_scan(app: &Session, station_dir: &std::path::Path, server_url: &str, lot: &str, count: usize) {
    app.click("#print-labels");
    let text = app.wait_text("#sheet-path", |t| t.contains("opened in the PDF viewer"));
    let path = text.split("labels written to ").nth(1).and_then(|t| t.split(" — ").next()).expect("a path");
    let path = path.trim().to_owned();
    app.wait("the viewer to be asked", || harness::opened_sheets(station_dir).contains(&path).then_some(()));
    let mut codes = qr_codes_in_pdf(std::path::Path::new(&path), 150).expect("scan the sheet");
    codes.sort();
    let mut expected: Vec<String> =
        (1..=count).map(|i| format!("{server_url}/01/{TEA_GTIN}/10/{lot}/21/{i:03}")).collect();
    expected.push(format!("{server_url}/01/{TEA_GTIN}/10/{lot}"));
    expected.sort();
    assert_eq!(codes, expected, "every label on the sheet, each exactly once");
}

fn counts(app: &Session) -> (u64, u64, u64) {
    let n = |id: &str| app.text(id).trim().parse::<u64>().unwrap_or(u64::MAX);
    (n("#count-pending"), n("#count-landed"), n("#count-refused"))
}

fn sync_until_landed(app: &Session, landed: u64) {
    app.click("#sync-now");
    app.wait(&format!("{landed} records to land"), || (counts(app) == (0, landed, 0)).then_some(()));
}

/// The open asset's whole id (the detail shows it short, the whole id in `data-id`).
fn open_id(app: &Session) -> String {
    app.wait("the open asset's id", || {
        let id = app.run(
            "const e = document.querySelector('#detail-id'); return e ? e.dataset.id : null;",
            json!([]),
        );
        id.as_str().filter(|id| id.len() == 64).map(str::to_owned)
    })
}

fn split(app: &Session, parts: &str) -> String {
    let lot = open_id(app);
    app.choose("#act-kind", "split");
    app.type_in("#act-form input[name=parts]", parts);
    app.click("#act-submit");
    app.wait("the first part to open", || {
        let id = open_id(app);
        (id != lot).then_some(id)
    })
}

fn transfer(app: &Session, to: &str) {
    app.click("#tabs button[data-tab=station]");
    app.click("#refresh-parties");
    app.wait_text("#party-list", |t| t.contains("Menghai Trading"));
    app.click("#tabs button[data-tab=assets]");
    app.choose("#asset-filter select[name=kind]", "tea_lot");
    app.choose("#asset-filter select[name=state]", "active");
    // The 30-cake part.
    app.wait("the part in the list", || {
        let n = app.run("return document.querySelectorAll('#asset-table tbody tr').length;", json!([]));
        (n.as_u64() == Some(2)).then_some(())
    });
    app.run(
        "const rows = [...document.querySelectorAll('#asset-table tbody tr')]; \
         rows.find(r => r.textContent.includes('Tea lot of 30 cakes')).click();",
        json!([]),
    );
    app.wait_text("#detail-quantity", |t| t == "30 cakes");
    app.choose("#act-kind", "transfer");
    app.choose("#act-form select[name=to]", to);
    app.click("#act-submit");
    app.wait_text("#toast", |t| t.contains("Transfer to Menghai Trading"));
}

/// What the ledger says about the part that was sold.
fn check_ledger(ledger: &TestLedger, part: &str, trader: &str, expected_size: u64) {
    let log = ledger.get("/api/log").expect("log");
    assert_eq!(log["size"], json!(expected_size), "each record exactly once");
    let asset = ledger.get(&format!("/api/assets/{part}")).expect("part");
    assert_eq!(asset["owner"], json!(trader));
    assert_eq!(asset["quantity"]["amount"], json!(30));
}

fn trader_key() -> String {
    terroir_shared::crypto::Keypair::from_seed(&[77; 32]).public().to_string()
}

#[test]
fn a_tea_batch_is_registered_printed_synced_split_and_sold() {
    let _one = SERIAL.lock().unwrap_or_else(|p| p.into_inner());
    let shots = screenshots("online");
    let mut ledger = TestLedger::new().expect("ledger");
    ledger.start().expect("start ledger");
    let display = Display::start();
    let station_dir = tempfile::tempdir().expect("dir");
    let driver = Driver::start(&display, station_dir.path());
    let app = driver.open_app();

    set_up(&app, &ledger.url, None, &shots);
    let key = party_key(&app);
    app.screenshot(&shots.join("2-station-keys.png"));
    ledger.enrol(&key, "Bulang Tea Co-op", &[Role::Cooperative, Role::Farm]).expect("enrol co-op");
    ledger.enrol(&trader_key(), "Menghai Trading", &[Role::Trader]).expect("enrol trader");

    let cap = register_garden(&app);
    app.screenshot(&shots.join("3-garden-cap.png"));
    register_tea(&app, 50, "LBZ26SP01");
    app.wait("the label preview", || {
        (app.run("const i = document.querySelector('#label-preview'); return !!i && i.complete && i.naturalWidth > 0;", json!([]))
            == json!(true))
        .then_some(())
    });
    app.screenshot(&shots.join("3-lot-with-label.png"));
    print_and_scan(&app, station_dir.path(), &ledger.url, "LBZ26SP01", 50);
    sync_until_landed(&app, 3);
    // The batch drew 50 × 357 g on the garden's cap, on the ledger too.
    let shown = ledger.get(&format!("/api/assets/{cap}")).expect("the cap");
    assert_eq!(shown["product"]["issuedG"], json!(17_850));

    let part = split(&app, "30, 20");
    sync_until_landed(&app, 4);
    transfer(&app, &trader_key());
    sync_until_landed(&app, 5);
    app.screenshot(&shots.join("4-after-transfer.png"));
    // The clerk checks the sold part's label against the ledger.
    let uri = app.text("#detail-uri");
    app.click("#tabs button[data-tab=verify]");
    app.type_in("#verify-uri", &uri);
    app.click("#verify-form button[type=submit]");
    let verdict = app.wait_text("#verdicts", |t| t.contains("erified"));
    assert!(verdict.starts_with("Verified"), "{verdict}");
    app.screenshot(&shots.join("6-verified-label.png"));
    app.click("#tabs button[data-tab=queue]");
    app.wait_text("#record-table tbody", |t| t.contains("Transfer to Menghai Trading"));
    app.screenshot(&shots.join("5-sync-queue.png"));

    // Two enrolments and the station's five records.
    // The log's opening, the enrolments and the station's records.
    check_ledger(&ledger, &part, &trader_key(), 8);
    app.close();
    eprintln!("screenshots in {}", shots.display());
}

#[test]
fn with_the_server_down_until_halfway_nothing_is_lost_or_doubled() {
    let _one = SERIAL.lock().unwrap_or_else(|p| p.into_inner());
    let shots = screenshots("offline");
    let mut ledger = TestLedger::new().expect("ledger");
    let display = Display::start();
    let station_dir = tempfile::tempdir().expect("dir");
    let driver = Driver::start(&display, station_dir.path());
    let app = driver.open_app();

    // Set up offline, with the ledger's identity as the operator published it.
    set_up(&app, &ledger.url, Some((ORIGIN, &ledger.verifier_key.clone())), &shots);
    let key = party_key(&app);
    register_tea(&app, 50, "LBZ26SP02");
    print_and_scan(&app, station_dir.path(), &ledger.url, "LBZ26SP02", 50);
    let part = split(&app, "30, 20");
    app.click("#sync-now");
    app.wait_text("#sync-state", |t| t == "offline");
    assert_eq!(counts(&app), (3, 0, 0));
    app.screenshot(&shots.join("1-offline-queue.png"));

    // The clerk closes the station; the queue is still there when it opens again.
    app.close();
    let app = driver.open_app();
    app.wait("the queue to be read", || (counts(&app) == (3, 0, 0)).then_some(()));

    // Halfway: the server comes up and the operator enrols the co-op and the trader.
    ledger.start().expect("start ledger");
    ledger.enrol(&key, "Bulang Tea Co-op", &[Role::Cooperative, Role::Farm]).expect("enrol co-op");
    ledger.enrol(&trader_key(), "Menghai Trading", &[Role::Trader]).expect("enrol trader");
    sync_until_landed(&app, 3);
    transfer(&app, &trader_key());
    sync_until_landed(&app, 4);
    app.screenshot(&shots.join("2-synced.png"));

    check_ledger(&ledger, &part, &trader_key(), 7);
    app.close();
}
