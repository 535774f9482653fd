//! Durability: the server is killed with SIGKILL while clients submit; after a restart every
//! record that got a receipt is in the log with a valid proof, the new checkpoint is consistent
//! with the last one signed before the kill, and `audit` passes.

use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use serde_json::Value;
use terroir_shared::Hash;
use terroir_shared::calendar::Timestamp;
use terroir_shared::crypto::Keypair;
use terroir_shared::log::{ConsistencyProof, InclusionProof, Receipt, verify_checkpoint};
use terroir_shared::party::{PartyId, Role};
use terroir_shared::record::{Act, Commission, Record, RegisterParty, Signed, Unsigned};

use crate::support::tea_lot;

pub(crate) const ORIGIN: &str = "crash.test/terroir";
pub(crate) const BIN: &str = env!("CARGO_BIN_EXE_terroir-backend");
/// The server the tests start: `TERROIR_TEST_BIN` if set (docs/faults.md runs the campaigns
/// against a release build so), else the build cargo made for the tests.
pub(crate) fn server_bin() -> String {
    std::env::var("TERROIR_TEST_BIN").unwrap_or_else(|_| BIN.into())
}

pub(crate) fn now_ms() -> u64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.as_millis() as u64).unwrap_or(0)
}

/// A port for a server a test starts, drawn below the kernel's ephemeral range (32768–60999),
/// so that no outgoing connection or socket bound to port 0 takes it before the server does,
/// or while the server is stopped for a restart.
pub(crate) fn free_port() -> u16 {
    use std::hash::{BuildHasher as _, RandomState};
    let random = RandomState::new();
    (0u32..1000)
        .map(|attempt| 20_000 + (random.hash_one((attempt, std::process::id())) % 12_768) as u16)
        .find(|&port| std::net::TcpListener::bind(("127.0.0.1", port)).is_ok())
        .expect("a free port between 20000 and 32767")
}

/// `terroir-backend ARGS --data-dir DIR`, run to its end: whether it succeeded, and all it said.
pub(crate) fn run_bin(dir: &Path, args: &[&str]) -> (bool, String) {
    let out = Command::new(BIN)
        .args(args)
        .arg("--data-dir")
        .arg(dir)
        .env("TERROIR_LOG", "warn")
        .output()
        .expect("runs");
    let text = format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    (out.status.success(), text)
}

/// A server process killed when dropped, so that a failed test leaves none behind.
pub(crate) struct KillOnDrop(pub Child);

impl std::ops::Deref for KillOnDrop {
    type Target = Child;
    fn deref(&self) -> &Child {
        &self.0
    }
}

impl std::ops::DerefMut for KillOnDrop {
    fn deref_mut(&mut self) -> &mut Child {
        &mut self.0
    }
}

impl Drop for KillOnDrop {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

pub(crate) fn start(dir: &Path, port: u16) -> Child {
    serve(dir, port, &["--origin", ORIGIN])
}

/// The server on `dir`, listening on `port` once this returns.
pub(crate) fn serve(dir: &Path, port: u16, args: &[&str]) -> Child {
    let child = Command::new(server_bin())
        .args(["serve", "--bind", &format!("127.0.0.1:{port}")])
        .args(args)
        .arg("--data-dir")
        .arg(dir)
        .env("TERROIR_LOG", "warn")
        .stdout(Stdio::null())
        .spawn()
        .expect("server starts");
    wait_up(port);
    child
}

/// Returns once a server answers on `port`, within 30 s.
pub(crate) fn wait_up(port: u16) {
    let deadline = Instant::now() + Duration::from_secs(30);
    while ureq::get(&format!("http://127.0.0.1:{port}/healthz")).call().is_err() {
        assert!(Instant::now() < deadline, "the server did not come up");
        std::thread::sleep(Duration::from_millis(50));
    }
}

pub(crate) fn sign(key: &Keypair, party: PartyId, at: u64, act: Act) -> Signed<Record> {
    let record = Record { origin: ORIGIN.into(), party, signer: key.public(), at: Timestamp(at), act };
    Unsigned::new(record).sign(key).expect("sign")
}

pub(crate) fn post(base: &str, record: &Signed<Record>) -> Result<(u16, Value), String> {
    let body = serde_json::to_string(record).map_err(|e| e.to_string())?;
    match ureq::post(&format!("{base}/api/records"))
        .set("content-type", "application/json")
        .send_string(&body)
    {
        Ok(r) => Ok((r.status(), r.into_json().map_err(|e| e.to_string())?)),
        Err(ureq::Error::Status(code, r)) => Ok((code, r.into_json().unwrap_or(Value::Null))),
        Err(e) => Err(e.to_string()),
    }
}

/// The operator registers `party` as `name` with `role`; the ledger must accept it.
pub(crate) fn register(base: &str, operator: &Keypair, party: &Keypair, name: &str, role: Role) {
    let act = Act::RegisterParty(RegisterParty {
        id: PartyId(party.public()),
        name: name.into(),
        roles: [role].into(),
        contact: None,
    });
    let answer = post(base, &sign(operator, PartyId(operator.public()), now_ms(), act));
    assert_eq!(answer.map(|r| r.0), Ok(201), "{name} registered");
}

pub(crate) fn get_json(base: &str, path: &str) -> Value {
    ureq::get(&format!("{base}{path}")).call().expect("GET").into_json().expect("json")
}

/// A fresh data directory made by `init`, and the operator key it created.
pub(crate) fn init_ledger() -> (tempfile::TempDir, Keypair) {
    let dir = tempfile::tempdir().expect("dir");
    let operator = init_ledger_in(dir.path());
    (dir, operator)
}

/// `init` in `dir`: the operator key it created.
pub(crate) fn init_ledger_in(dir: &Path) -> Keypair {
    let (ok, out) = run_bin(dir, &["init", "--origin", ORIGIN]);
    assert!(ok, "{out}");
    let seed_hex = std::fs::read_to_string(dir.join("operator.key")).expect("operator key");
    let mut seed = [0u8; 32];
    hex::decode_to_slice(seed_hex.trim(), &mut seed).expect("hex");
    Keypair::from_seed(&seed)
}

#[test]
fn sigkill_loses_no_acknowledged_record() {
    let (dir, operator) = init_ledger();

    let port = free_port();
    let base = format!("http://127.0.0.1:{port}");
    let mut server = start(dir.path(), port);
    let coop = Keypair::from_seed(&[7; 32]);
    register(&base, &operator, &coop, "Co-op", Role::Cooperative);

    let receipts: Arc<Mutex<Vec<(Hash, Receipt)>>> = Arc::default();
    let last_checkpoint: Arc<Mutex<Option<String>>> = Arc::default();
    let stop = Arc::new(AtomicBool::new(false));
    let mut clients = Vec::new();
    for t in 0..4u64 {
        let (base, receipts, stop) = (base.clone(), receipts.clone(), stop.clone());
        let coop = Keypair::from_seed(coop.seed());
        clients.push(std::thread::spawn(move || {
            let mut n = 0u64;
            while !stop.load(Ordering::Relaxed) {
                n += 1;
                let act = Act::Commission(Commission::new(vec![tea_lot("Hekai", 1 + t * 1_000_000 + n)]));
                let record = sign(&coop, PartyId(coop.public()), now_ms(), act);
                match post(&base, &record) {
                    Ok((201, body)) => {
                        let receipt: Receipt = serde_json::from_value(body).expect("receipt");
                        receipts.lock().expect("lock").push((record.id(), receipt));
                    }
                    Ok((status, body)) => panic!("unexpected {status}: {body}"),
                    Err(_) => break,
                }
            }
        }));
    }
    {
        let (base, last, stop) = (base.clone(), last_checkpoint.clone(), stop.clone());
        clients.push(std::thread::spawn(move || {
            while !stop.load(Ordering::Relaxed) {
                match ureq::get(&format!("{base}/checkpoint")).call() {
                    Ok(r) => *last.lock().expect("lock") = r.into_string().ok(),
                    Err(_) => break,
                }
                std::thread::sleep(Duration::from_millis(20));
            }
        }));
    }
    std::thread::sleep(Duration::from_millis(1_500));
    server.kill().expect("SIGKILL");
    server.wait().expect("reaped");
    stop.store(true, Ordering::Relaxed);
    for c in clients {
        c.join().expect("client");
    }
    let receipts = receipts.lock().expect("lock").clone();
    let before = last_checkpoint.lock().expect("lock").clone().expect("a checkpoint was seen");
    assert!(receipts.len() > 20, "clients got only {} receipts before the kill", receipts.len());
    println!("killed with SIGKILL after {} acknowledged records", receipts.len());
    // The state map's latest versions were only logged (written back in bulk, later): the
    // restart replays them.
    let mut db = terroir_backend::db::open_reader(&dir.path().join("ledger.sqlite")).expect("database");
    let logged = terroir_backend::db::map::pending(&mut db).expect("logged versions");
    assert!(!logged.is_empty(), "the killed server had logged versions of the state map");
    drop(db);

    let mut server = start(dir.path(), port);
    let log = get_json(&base, "/api/log");
    let vkey = log["verifierKey"].as_str().expect("vkey").to_owned();
    let after = verify_checkpoint(log["checkpoint"].as_str().expect("checkpoint"), &vkey)
        .expect("new checkpoint verifies");
    let before = verify_checkpoint(&before, &vkey).expect("old checkpoint verifies");
    assert!(after.size > receipts.len() as u64, "the registration and every acknowledged record");
    for (id, receipt) in &receipts {
        receipt.verify(&vkey).expect("the receipt still verifies");
        let entry = get_json(&base, &format!("/api/entries/{}", receipt.index));
        assert_eq!(
            entry["recordId"],
            serde_json::json!(id),
            "entry {} holds the acknowledged record",
            receipt.index
        );
        let leaf: Hash = serde_json::from_value(entry["leafHash"].clone()).expect("hash");
        assert_eq!(leaf, receipt.leaf_hash);
        let proof: InclusionProof = serde_json::from_value(get_json(
            &base,
            &format!("/api/proofs/inclusion?index={}&size={}", receipt.index, after.size),
        ))
        .expect("proof");
        proof.verify(&leaf, &after.root).expect("included in the new checkpoint");
    }
    if before.size < after.size {
        let proof: ConsistencyProof = serde_json::from_value(get_json(
            &base,
            &format!("/api/proofs/consistency?from={}&to={}", before.size, after.size),
        ))
        .expect("proof");
        proof.verify(&before.root, &after.root).expect("the new checkpoint extends the old one");
    } else {
        assert_eq!((before.size, before.root), (after.size, after.root));
    }
    // The state map, its versions not written back replayed from their logged changes, proves
    // the lot each acknowledged commission made against the new checkpoint.
    assert!(after.state.is_some(), "the checkpoint commits to the state map");
    for (id, _) in receipts.iter().rev().take(20) {
        let lot = terroir_shared::asset::AssetId::derive(id, 0);
        let answer = get_json(&base, &format!("/api/state/asset?key={lot}"));
        let proof: terroir_shared::api::StateProof =
            serde_json::from_value(answer["proof"].clone()).expect("a state proof");
        let held = verify_checkpoint(answer["checkpoint"].as_str().expect("note"), &vkey).expect("signed");
        assert!(held.size >= after.size, "a checkpoint as new as the one read before");
        let value = proof.verify(&held.state.expect("a state line")).expect("the proof holds");
        assert!(value.is_some(), "lot {lot} is in the map");
    }
    server.kill().expect("stop");
    server.wait().expect("reaped");

    let audit = Command::new(BIN)
        .args(["audit", "--origin", ORIGIN])
        .arg("--data-dir")
        .arg(dir.path())
        .output()
        .expect("audit");
    let out = String::from_utf8_lossy(&audit.stdout);
    assert!(audit.status.success(), "audit failed: {out}{}", String::from_utf8_lossy(&audit.stderr));
    assert!(out.contains("audit passed"), "{out}");
}

#[test]
fn sigterm_stops_gracefully_after_the_group_in_flight() {
    let (dir, operator) = init_ledger();
    let port = free_port();
    let base = format!("http://127.0.0.1:{port}");
    let mut server = start(dir.path(), port);
    register(&base, &operator, &Keypair::from_seed(&[8; 32]), "Co-op", Role::Cooperative);
    let term = Command::new("kill").args(["-TERM", &server.id().to_string()]).status().expect("kill");
    assert!(term.success());
    let status = server.wait().expect("exits");
    assert!(status.success(), "a graceful stop exits cleanly, not by the signal: {status}");
    let mut server = start(dir.path(), port);
    assert_eq!(get_json(&base, "/api/log")["size"], 2, "the acknowledged record is there after the stop");
    server.kill().expect("stop");
    server.wait().expect("reaped");
}

/// xorshift64*: kill points, reads and scans, repeatable from a printed seed.
pub(crate) struct Rng(pub u64);

impl Rng {
    pub(crate) fn below(&mut self, n: u64) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d) % n.max(1)
    }
}

/// Held by the tests that load the machine (campaigns, overload), so that they run one at a
/// time and each measures what it caused.
pub(crate) fn alone() -> std::sync::MutexGuard<'static, ()> {
    static HEAVY: std::sync::Mutex<()> = std::sync::Mutex::new(());
    HEAVY.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}

/// A process's resident memory, in MiB.
pub(crate) fn rss_mib(pid: u32) -> f64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).expect("status");
    let kib: f64 = status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .expect("VmRSS");
    kib / 1024.0
}
