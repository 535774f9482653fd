//! The headless `terroir-station` command, run as a co-op's script would: set up, register a
//! pressing, print its sheet, sync, verify a photographed label, back up and restore the keys.

use std::path::Path;
use std::process::{Command, Output};

use serde_json::Value;
use terroir_shared::party::Role;
use terroir_tests::ledger::{ORIGIN, TestLedger};

use crate::support::TEA_GTIN;

fn station(dir: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_terroir-station"))
        .arg("--dir")
        .arg(dir)
        .args(args)
        .output()
        .expect("terroir-station runs")
}

/// Runs a command that must succeed; its standard output.
fn ok(dir: &Path, args: &[&str]) -> String {
    let out = station(dir, args);
    let (stdout, stderr) = (String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    assert!(out.status.success(), "{args:?}: {stdout}\n{stderr}");
    stdout.into_owned()
}

/// Runs a command that must fail with a clear message: its exit code and standard error.
fn refused(dir: &Path, args: &[&str]) -> (i32, String) {
    let out = station(dir, args);
    assert!(!out.status.success(), "{args:?} should fail");
    (out.status.code().unwrap_or(-1), String::from_utf8_lossy(&out.stderr).into_owned())
}

/// `setup` for the Chinese co-op on `ledger`, its key and witness policy given by hand.
fn setup_args(ledger: &TestLedger) -> Vec<String> {
    let co_op =
        ["setup", "--coop", "勐海老班章茶叶合作社", "--roles", "cooperative,farm", "--tea-gtin", TEA_GTIN];
    let policy = ledger.data_dir().join("policy").to_string_lossy().into_owned();
    let server = [
        "--server",
        ledger.url.as_str(),
        "--origin",
        ORIGIN,
        "--verifier-key",
        ledger.verifier_key.as_str(),
        "--policy",
        &policy,
    ];
    co_op.into_iter().chain(server).map(str::to_owned).collect()
}

fn json(text: &str) -> Value {
    serde_json::from_str(text).unwrap_or_else(|e| panic!("JSON ({e}): {text}"))
}

#[test]
fn a_script_sets_up_registers_prints_syncs_verifies_and_restores() {
    let mut ledger = TestLedger::new().expect("ledger");
    ledger.start().expect("start");
    let dir = tempfile::tempdir().expect("dir");
    let d = dir.path();

    let status = json(&ok(d, &["--json", "status"]));
    assert_eq!(status["setUp"], false);
    let args = setup_args(&ledger);
    let setup = ok(d, &args.iter().map(String::as_str).collect::<Vec<_>>());
    assert!(setup.contains("co-op key"), "{setup}");
    let (code, err) = refused(d, &["setup", "--coop", "again", "--server", &ledger.url]);
    assert_eq!(code, 2);
    assert!(err.contains("already set up"), "{err}");

    // Bad input is named and nothing is stored.
    let (code, err) = refused(
        d,
        &[
            "register-tea",
            "--garden",
            "老班章",
            "--season",
            "2026 春",
            "--pressed",
            "2026-13-40",
            "--cakes",
            "3",
            "--lot",
            "CLI1",
        ],
    );
    assert_eq!(code, 2);
    assert!(err.contains("pressedOn"), "{err}");
    let done = json(&ok(
        d,
        &[
            "--json",
            "register-tea",
            "--garden",
            "老班章",
            "--mountain",
            "布朗山",
            "--season",
            "2026 春",
            "--pressed",
            "2026-04-02",
            "--cakes",
            "3",
            "--lot",
            "CLI1",
        ],
    ));
    assert_eq!(done["created"].as_array().map(Vec::len), Some(4), "{done}");

    // The sheet, on the roll: one label a page, text in Chinese.
    let (code, err) = refused(d, &["print", "NO-SUCH-LOT"]);
    assert_eq!(code, 2);
    assert!(err.contains("no asset matches"), "{err}");
    let sheet = d.join("cli1.pdf");
    let (code, err) = refused(d, &["print", "CLI1", "--offset", "30,0"]);
    assert_eq!(code, 2);
    assert!(err.contains("at most 10 mm"), "{err}");
    let a4 = ok(d, &["print", "CLI1", "--stock", "a4-3x8-70x37", "--offset", "0.5,-0.3"]);
    assert!(a4.starts_with("4 labels on A4, 24 labels 70 × 37 mm"), "{a4}");
    let printed = ok(d, &["print", "CLI1", "--out", sheet.to_str().expect("path"), "--stock", "roll-50x30"]);
    assert!(printed.starts_with("4 labels on Roll of 50 × 30 mm"), "{printed}");
    // The choice is kept for the next print.
    let again = ok(d, &["print", "CLI1", "--out", d.join("again.pdf").to_str().expect("path")]);
    assert!(again.starts_with("4 labels on Roll of 50 × 30 mm"), "{again}");
    let text =
        Command::new("pdftotext").args(["-enc", "UTF-8"]).arg(&sheet).arg("-").output().expect("pdftotext");
    let text = String::from_utf8_lossy(&text.stdout);
    assert_eq!(text.matches("老班章 · 布朗山").count(), 4, "{text}");
    assert!(text.contains("勐海老班章茶叶合作社"), "{text}");

    // Sync waits for enrolment, then lands everything.
    let waiting = ok(d, &["sync"]);
    assert!(waiting.contains("waiting for the operator"), "{waiting}");
    let key = json(&ok(d, &["--json", "status"]))["partyKey"].as_str().expect("a key").to_owned();
    ledger.enrol(&key, "勐海老班章茶叶合作社", &[Role::Cooperative, Role::Farm]).expect("enrol");
    let synced = json(&ok(d, &["--json", "sync"]));
    assert_eq!((synced["landed"].as_u64(), synced["remaining"].as_u64()), (Some(2), Some(0)), "{synced}");

    // A photo of the sheet's first page (the lot's label) checks out against the ledger.
    let page = d.join("page");
    let rendered = Command::new("pdftoppm")
        .args(["-r", "200", "-png", "-f", "1", "-l", "1", "-singlefile"])
        .arg(&sheet)
        .arg(&page)
        .status();
    assert!(rendered.expect("pdftoppm").success());
    ledger.wait_witnessed().expect("the witnesses cosign what was synced");
    let verified = ok(d, &["verify", d.join("page.png").to_str().expect("path")]);
    assert!(verified.contains("— verified") && !verified.contains('✗'), "{verified}");

    // The keys move to a new station through a backup.
    let backup = d.join("keys.json");
    ok(d, &["backup", backup.to_str().expect("path")]);
    let other = tempfile::tempdir().expect("dir");
    ok(other.path(), &["restore", backup.to_str().expect("path")]);
    let args = setup_args(&ledger);
    ok(other.path(), &args.iter().map(String::as_str).collect::<Vec<_>>());
    assert_eq!(json(&ok(other.path(), &["--json", "status"]))["partyKey"], key.as_str());
}

#[test]
fn import_epcis_says_what_became_of_each_event() {
    let ledger = TestLedger::new().expect("ledger");
    let dir = tempfile::tempdir().expect("dir");
    let d = dir.path();
    let args = setup_args(&ledger);
    ok(d, &args.iter().map(String::as_str).collect::<Vec<_>>());
    let file = d.join("partner.jsonld");
    let document = terroir_shared::epcis::document(serde_json::json!([
            { "type": "ObjectEvent", "action": "ADD", "bizStep": "commissioning", "eventID": "urn:uuid:1",
              "eventTime": "2026-12-01T08:00:00Z", "eventTimeZoneOffset": "+00:00",
              "quantityList": [{ "epcClass": format!("https://id.gs1.org/01/{TEA_GTIN}/10/MAOCHA7"), "quantity": 2.5, "uom": "KGM" }] },
            { "type": "TransactionEvent", "action": "ADD", "eventTime": "2026-12-01T08:00:00Z", "eventTimeZoneOffset": "+00:00",
              "bizTransactionList": [{ "bizTransaction": "urn:epcglobal:cbv:bt:0614141000005:PO-1" }], "epcList": [] }
        ])
        .as_array()
        .cloned()
        .unwrap_or_default(),
        "2026-12-01T08:00:00Z",
    );
    std::fs::write(&file, document.to_string()).expect("write");
    let text = ok(d, &["import-epcis", file.to_str().expect("path")]);
    let lines: Vec<&str> = text.lines().collect();
    assert!(lines[0].starts_with("event 1 (ObjectEvent, urn:uuid:1): recorded "), "{text}");
    assert!(
        lines[1]
            .starts_with("event 2 (TransactionEvent): not recorded: the ledger has no business transactions"),
        "{text}"
    );
    assert_eq!(
        lines[2], "2 events: 1 recorded, 0 already in the ledger, 1 not (or not wholly) recorded",
        "{text}"
    );
    let found = ok(d, &["assets", "--search", "MAOCHA7"]);
    assert_eq!(found.lines().count(), 1, "{found}");
    assert!(found.contains("MAOCHA7"), "{found}");
    let (_, err) = refused(d, &["import-epcis", d.join("nothing.jsonld").to_str().expect("path")]);
    assert!(err.contains("nothing.jsonld"), "{err}");
    std::fs::write(&file, "{\"type\": \"EPCISDocument\"}").expect("write");
    let (code, err) = refused(d, &["import-epcis", file.to_str().expect("path")]);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("no epcisBody event list"), "{err}");
}
