//! A ledger started before ledgers named their rules (the sample ledger as the server wrote it
//! at commit 92b34c0, kept in `backend/tests/data/ledger-v1`) still audits, serves, and judges
//! new records by the rules it was started under: version 1.

use std::path::Path;
use std::process::{Child, Command};
use std::time::{SystemTime, UNIX_EPOCH};

use serde_json::Value;
use terroir_shared::calendar::Timestamp;
use terroir_shared::crypto::Keypair;
use terroir_shared::party::{PartyId, Role};
use terroir_shared::record::{Act, Commission, Record, RegisterParty, Unsigned};

use crate::crash::free_port;
use crate::support::tea_lot;

const FIXTURE: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/data/ledger-v1");
const ORIGIN: &str = "fixture.test/terroir-v1";

/// A copy of the old ledger's data directory, its database unpacked.
fn old_ledger() -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("dir");
    for file in ["log.key", "operator.key", "origin"] {
        std::fs::copy(Path::new(FIXTURE).join(file), dir.path().join(file)).expect("copy");
    }
    // A checkout does not keep file modes; the server refuses keys others can read.
    for key in ["log.key", "operator.key"] {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(dir.path().join(key), std::fs::Permissions::from_mode(0o600))
            .expect("chmod");
    }
    let db = Command::new("gzip")
        .arg("-dc")
        .arg(Path::new(FIXTURE).join("ledger.sqlite.gz"))
        .output()
        .expect("gzip");
    assert!(db.status.success());
    std::fs::write(dir.path().join("ledger.sqlite"), db.stdout).expect("write");
    dir
}

fn run(dir: &Path, args: &[&str]) -> String {
    let (ok, text) = crate::crash::run_bin(dir, args);
    assert!(ok, "{args:?}: {text}");
    text
}

struct Server(Child);

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn serve(dir: &Path, port: u16) -> Server {
    Server(crate::crash::serve(dir, port, &[]))
}

fn get(base: &str, path: &str, accept: &str) -> (u16, String) {
    match ureq::get(&format!("{base}{path}")).set("accept", accept).call() {
        Ok(r) => (r.status(), r.into_string().expect("body")),
        Err(ureq::Error::Status(code, r)) => (code, r.into_string().unwrap_or_default()),
        Err(e) => panic!("GET {path}: {e}"),
    }
}

fn post(base: &str, body: String) -> (u16, Value) {
    match ureq::post(&format!("{base}/api/records"))
        .set("content-type", "application/json")
        .send_string(&body)
    {
        Ok(r) => (r.status(), r.into_json().expect("json")),
        Err(ureq::Error::Status(code, r)) => (code, r.into_json().unwrap_or(Value::Null)),
        Err(e) => panic!("POST: {e}"),
    }
}

#[test]
fn a_ledger_started_under_rules_version_1_audits_serves_and_keeps_its_rules() {
    let dir = old_ledger();
    // Written before this version's last migration: `audit` only reads, so it asks for one start.
    let (ok, said) = crate::crash::run_bin(dir.path(), &["audit"]);
    assert!(!ok && said.contains("start the server on it once"), "{said}");

    let port = free_port();
    let base = format!("http://127.0.0.1:{port}");
    let server = serve(dir.path(), port);
    let log: Value = serde_json::from_str(&get(&base, "/api/log", "application/json").1).expect("json");
    assert_eq!((log["origin"].as_str(), log["rules"].as_u64()), (Some(ORIGIN), Some(1)));
    let size = log["size"].as_u64().expect("size");
    assert!(size > 50, "the sample ledger: {log}");
    // The root page names labels of the ledger; each opens the buyer's page.
    let home: Value = serde_json::from_str(&get(&base, "/", "application/json").1).expect("json");
    let labels = home["labels"].as_array().expect("labels");
    assert!(!labels.is_empty(), "{home}");
    for label in labels {
        let url = label.as_str().expect("url");
        let path = &url[url.find("/01/").expect("a GS1 Digital Link")..];
        let (status, page) = get(&base, path, "text/html");
        assert_eq!(status, 200, "{path}: {page}");
    }

    // A trader may commission tea under rules version 1 (version 2 would refuse it): the
    // ledger judges new records by the rules it was started under.
    let seed_hex = std::fs::read_to_string(dir.path().join("operator.key")).expect("operator key");
    let mut seed = [0u8; 32];
    hex::decode_to_slice(seed_hex.trim(), &mut seed).expect("hex");
    let operator = Keypair::from_seed(&seed);
    let now = SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.as_millis() as u64).expect("clock");
    let sign = |key: &Keypair, party: PartyId, act: Act| {
        let record = Record { origin: ORIGIN.into(), party, signer: key.public(), at: Timestamp(now), act };
        serde_json::to_string(&Unsigned::new(record).sign(key).expect("sign")).expect("json")
    };
    let trader = Keypair::from_seed(&[61; 32]);
    let register = Act::RegisterParty(RegisterParty {
        id: PartyId(trader.public()),
        name: "Guangzhou Fangcun Tea Trading".into(),
        roles: [Role::Trader].into(),
        contact: None,
    });
    assert_eq!(post(&base, sign(&operator, PartyId(operator.public()), register)).0, 201);
    let tea = Act::Commission(Commission::new(vec![tea_lot("Laobanzhang", 10)]));
    let (status, answer) = post(&base, sign(&trader, PartyId(trader.public()), tea));
    assert_eq!(status, 201, "{answer}");
    drop(server);
    let said = run(dir.path(), &["audit"]);
    assert!(said.contains(&format!("audit passed: {} entries", size + 2)), "{said}");
    assert!(said.contains("rules version 1"), "{said}");
}
