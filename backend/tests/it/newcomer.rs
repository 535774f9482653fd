//! What a newcomer meets first: the command line's refusals leave nothing behind, the files are
//! private, the root URL leads to the docs, the log and labels, and each immutable answer has
//! one URL.

use std::os::unix::fs::PermissionsExt;
use std::process::Command;

use serde_json::Value;
use terroir_shared::gs1::DigitalLink;
use terroir_shared::party::Role;
use terroir_shared::record::{Act, Commission};

use crate::crash::BIN;
use crate::support::*;

fn init(dir: &std::path::Path, origin: &str) -> (bool, String) {
    crate::crash::run_bin(dir, &["init", "--origin", origin])
}

#[test]
fn a_bad_origin_writes_nothing_and_a_good_one_makes_private_files() {
    let dir = tempfile::tempdir().expect("dir");
    let data = dir.path().join("ledger");
    let (ok, said) = init(&data, "ex.org/a+b");
    assert!(!ok && said.contains("cannot name a log"), "{said}");
    let left: Vec<_> =
        std::fs::read_dir(&data).map(|d| d.flatten().map(|e| e.file_name()).collect()).unwrap_or_default();
    assert!(left.is_empty(), "nothing written: {left:?}");
    let (ok, said) = init(&data, "ex.org/a");
    assert!(ok, "a later init with a good origin works: {said}");
    for file in ["ledger.sqlite", "log.key", "operator.key"] {
        let mode = std::fs::metadata(data.join(file)).expect("exists").permissions().mode();
        assert_eq!(mode & 0o777, 0o600, "{file}");
    }
}

/// The default origin would be shared by every deployment that kept it: a new log outside demo
/// mode must be named, or take its name from the base URL labels point to.
#[test]
fn a_new_log_is_named_by_its_operator_or_its_base_url_never_by_default() {
    let dir = tempfile::tempdir().expect("dir");
    let data = dir.path().join("ledger");
    let (ok, said) = crate::crash::run_bin(&data, &["init"]);
    assert!(!ok && said.contains("--origin") && said.contains("--base-url"), "{said}");
    assert!(!data.join("ledger.sqlite").exists() && !data.join("origin").exists(), "nothing made");
    let (ok, said) = crate::crash::run_bin(&data, &["serve", "--bind", "127.0.0.1:1"]);
    assert!(!ok && said.contains("serve --demo"), "{said}");

    let port = crate::crash::free_port();
    let mut server = crate::crash::serve(&data, port, &["--base-url", "https://Ledger.Example.org/tea/"]);
    let log: Value = ureq::get(&format!("http://127.0.0.1:{port}/api/log"))
        .call()
        .expect("log")
        .into_json()
        .expect("json");
    let _ = server.kill();
    let _ = server.wait();
    assert_eq!(log["origin"], "ledger.example.org/tea", "{log}");
    // From then on the log keeps it, whatever the base URL.
    let (ok, said) = crate::crash::run_bin(&data, &["init"]);
    assert!(ok && said.contains("ledger.example.org/tea"), "{said}");
}

#[test]
fn enrol_names_why_a_key_is_refused() {
    let dir = tempfile::tempdir().expect("dir");
    let mut small_order = [0u8; 32];
    small_order[0] = 1;
    let out = Command::new(BIN)
        .args(["enrol", "--origin", "ex.org/a", "--name", "X", "--roles", "farm", "--key"])
        .arg(hex::encode(small_order))
        .arg("--data-dir")
        .arg(dir.path())
        .output()
        .expect("runs");
    let said = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success() && said.contains("small order"), "{said}");
}

#[actix_web::test]
async fn the_root_leads_to_the_docs_the_log_and_labels() {
    let mut h = Harness::new();
    let app = app(h.state.clone()).await;
    let coop = key(1);
    post(&app, "/api/records", &h.register(&coop, "Bulang Co-op", &[Role::Cooperative])).await;
    let mut lot = tea_lot("Laobanzhang", 10);
    lot.gs1 = Some(DigitalLink::parse("/01/09506000134352/10/BL-1").expect("link"));
    post(&app, "/api/records", &h.own(&coop, Act::Commission(Commission::new(vec![lot])))).await;
    let (status, home) = get(&app, "/").await;
    assert_eq!(status, 200);
    let links: Vec<&str> =
        home["links"].as_array().expect("links").iter().filter_map(|l| l["href"].as_str()).collect();
    for path in ["/api/docs", "/api/openapi.json", "/api/log", "/checkpoint", "/.well-known/terroir-log-key"]
    {
        assert!(links.iter().any(|l| l.ends_with(path)), "{path} in {links:?}");
    }
    assert_eq!(home["labels"], serde_json::json!(["http://labels.test/01/09506000134352/10/BL-1"]));
    assert_eq!(home["rules"], 2);
    let (status, page) = get_bytes(&app, "/", "text/html").await;
    let page = String::from_utf8(page).expect("utf-8");
    assert!(status == 200 && page.contains("href=\"/01/09506000134352/10/BL-1\""), "{page}");
}

#[actix_web::test]
async fn an_entry_has_one_url() {
    let h = Harness::new();
    let app = app(h.state.clone()).await;
    assert_eq!(get(&app, "/api/entries/0").await.0, 200);
    for other in ["+0", "00", "-0", "0x0", "%200", "0.0", "%2B1"] {
        let (status, problem): (u16, Value) = get(&app, &format!("/api/entries/{other}")).await;
        assert_eq!((status, problem["code"].as_str()), (400, Some("bad_request")), "{other}");
    }
}
