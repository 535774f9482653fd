//! The crash campaign: the server is killed with SIGKILL again and again, each time at a random
//! point, under mixed load: single submits, batches (commissions and transfers of the lots they
//! make), reads of entries with their inclusion proofs, and label checks. Clients do what a
//! station does: a submission that got no answer is sent again once the server is back.
//! Afterwards every acknowledged record is in the log exactly once, where its receipt says; every
//! checkpoint any client saw is the root of a prefix of the final log; `audit` passes.
//!
//! Rounds: `TERROIR_CRASH_ROUNDS` (docs/faults.md runs 100), the seed of the kill points:
//! `TERROIR_CRASH_SEED` (printed, so a run can be repeated).

use std::collections::{BTreeMap, HashSet};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use terroir_backend::db;
use terroir_shared::Hash;
use terroir_shared::api::{BatchItem, BatchResult};
use terroir_shared::asset::{AssetId, AssetRef};
use terroir_shared::crypto::Keypair;
use terroir_shared::log::{Frontier, InclusionProof, Receipt, ReceiptVerifier, verify_checkpoint};
use terroir_shared::party::{PartyId, Role};
use terroir_shared::record::{Act, Commission, Record, Signed, Transfer};

use crate::crash::{
    KillOnDrop, Rng, free_port, get_json, init_ledger, now_ms, register, run_bin, sign, start,
};
use crate::support::tea_lot;

/// Kills in the test suite; the documented campaign sets `TERROIR_CRASH_ROUNDS=100`.
const SUITE_ROUNDS: u64 = 6;
/// Records in a batch; every other one transfers the lot the one before it made.
const BATCH: u64 = 40;
/// How long a client keeps sending a submission again while the server is down.
const GIVE_UP: Duration = Duration::from_secs(120);
/// Records read back after each restart: the last acknowledged, and as many at random.
const PER_ROUND_CHECKS: usize = 50;
/// Each client's pause between two requests: a steady load of a few hundred records a second,
/// not a flood (the benchmark measures speed; this counts losses).
pub(crate) const PAUSE: Duration = Duration::from_millis(5);

fn env_u64(name: &str) -> Option<u64> {
    std::env::var(name).ok().map(|v| v.parse().unwrap_or_else(|_| panic!("{name}={v} is not a number")))
}

/// An acknowledged record: its id, its receipt, and the lot it made if it was a commission.
#[derive(Clone)]
struct Acked {
    id: Hash,
    receipt: Receipt,
    lot: Option<AssetId>,
}

/// What the clients saw, shared between them and the test.
pub(crate) struct Campaign {
    base: String,
    vkey: String,
    stop: AtomicBool,
    acked: Mutex<Vec<Acked>>,
    /// Every verified checkpoint any client was given: size → root.
    seen: Mutex<BTreeMap<u64, Hash>>,
    faults: Mutex<Vec<String>>,
    /// Submissions sent again because the server went down before answering them…
    resent: AtomicU64,
    /// …and of those, the ones the log already held (committed just before the kill).
    already_in: AtomicU64,
    reads: AtomicU64,
    label_checks: AtomicU64,
    /// Each client's pause between two requests, in µs.
    pause_us: AtomicU64,
}

enum Answer {
    Status(u16, String),
    /// No answer: refused, reset, cut off by the kill, or 503 (nothing done: ask again later).
    Down,
}

impl Campaign {
    fn fault(&self, what: String) {
        eprintln!("fault: {what}");
        self.faults.lock().expect("lock").push(what);
    }

    /// Records a checkpoint a client was given; two different roots for one size are a fork.
    fn saw(&self, note: &str) -> Option<(u64, Hash)> {
        match verify_checkpoint(note, &self.vkey) {
            Ok(c) => {
                let mut seen = self.seen.lock().expect("lock");
                match seen.get(&c.size) {
                    Some(root) if *root != c.root => {
                        drop(seen);
                        self.fault(format!("two checkpoints of size {} with different roots", c.size));
                    }
                    Some(_) => {}
                    None => {
                        seen.insert(c.size, c.root);
                    }
                }
                Some((c.size, c.root))
            }
            Err(e) => {
                self.fault(format!("a checkpoint that does not verify: {e}"));
                None
            }
        }
    }

    fn acknowledge(&self, acked: Acked) {
        self.saw(&acked.receipt.checkpoint);
        self.acked.lock().expect("lock").push(acked);
    }

    fn random_acked(&self, rng: &mut Rng) -> Option<Acked> {
        let acked = self.acked.lock().expect("lock");
        if acked.is_empty() { None } else { Some(acked[rng.below(acked.len() as u64) as usize].clone()) }
    }

    /// Each client's pause between two requests now.
    pub(crate) fn pause(&self) -> Duration {
        Duration::from_micros(self.pause_us.load(Ordering::Relaxed))
    }

    pub(crate) fn set_pause(&self, pause: Duration) {
        self.pause_us.store(pause.as_micros() as u64, Ordering::Relaxed);
    }

    /// Requests answered so far: records acknowledged, entries read, label reads and checks.
    pub(crate) fn done(&self) -> u64 {
        self.acked.lock().expect("lock").len() as u64
            + self.reads.load(Ordering::Relaxed)
            + self.label_checks.load(Ordering::Relaxed)
    }

    fn stopping(&self) -> bool {
        self.stop.load(Ordering::Relaxed)
    }

    /// Sends a submission until the server answers it; `None` after [`GIVE_UP`] (a fault).
    fn submit(&self, agent: &ureq::Agent, path: &str, body: &str) -> Option<(u16, String, bool)> {
        let started = Instant::now();
        let mut resent = false;
        loop {
            let request = agent.post(&format!("{}{path}", self.base)).set("content-type", "application/json");
            match answer(request.send_string(body)) {
                Answer::Status(status, text) => {
                    if resent {
                        self.resent.fetch_add(1, Ordering::Relaxed);
                    }
                    return Some((status, text, resent));
                }
                Answer::Down if started.elapsed() < GIVE_UP => {
                    resent = true;
                    std::thread::sleep(Duration::from_millis(20));
                }
                Answer::Down => {
                    self.fault(format!("POST {path} got no answer in {} s", GIVE_UP.as_secs()));
                    return None;
                }
            }
        }
    }
}

fn agent() -> ureq::Agent {
    ureq::AgentBuilder::new().timeout_connect(Duration::from_secs(1)).timeout(Duration::from_secs(30)).build()
}

/// What came back. A `503` (busy, shutting down, disk full: nothing was done) is taken as no
/// answer, as a station takes it: the request is sent again later.
fn answer(result: Result<ureq::Response, ureq::Error>) -> Answer {
    match result {
        Err(ureq::Error::Status(503, _)) => Answer::Down,
        Ok(r) => {
            let status = r.status();
            r.into_string().map_or(Answer::Down, |text| Answer::Status(status, text))
        }
        Err(ureq::Error::Status(status, r)) => Answer::Status(status, r.into_string().unwrap_or_default()),
        Err(ureq::Error::Transport(_)) => Answer::Down,
    }
}

fn commission(coop: &Keypair, pieces: u64) -> Signed<Record> {
    sign(
        coop,
        PartyId(coop.public()),
        now_ms(),
        Act::Commission(Commission::new(vec![tea_lot("Campaign", pieces)])),
    )
}

/// One client submitting commissions one at a time.
fn singles(c: &Campaign, coop: &Keypair, first: u64) {
    let agent = agent();
    let mut n = first;
    while !c.stopping() {
        std::thread::sleep(c.pause());
        n += 1;
        let record = commission(coop, n);
        let body = serde_json::to_string(&record).expect("json");
        let Some((status, text, resent)) = c.submit(&agent, "/api/records", &body) else { return };
        match (status, serde_json::from_str::<Receipt>(&text)) {
            (201 | 200, Ok(receipt)) => {
                if status == 200 && resent {
                    c.already_in.fetch_add(1, Ordering::Relaxed);
                } else if status == 200 {
                    c.fault(format!("a new record was answered as already in the log: {text}"));
                }
                c.acknowledge(Acked {
                    id: record.id(),
                    receipt,
                    lot: Some(AssetId::derive(&record.id(), 0)),
                });
            }
            _ => c.fault(format!("a submission was answered {status}: {text}")),
        }
    }
}

/// One client submitting batches: each commission followed by the transfer of its lot.
fn batches(c: &Campaign, coop: &Keypair, trader: PartyId, first: u64) {
    let agent = agent();
    let mut n = first;
    while !c.stopping() {
        std::thread::sleep(c.pause() * 20);
        let mut records = Vec::new();
        for _ in 0..BATCH / 2 {
            n += 1;
            let made = commission(coop, n);
            let lot = AssetRef { id: AssetId::derive(&made.id(), 0), head: made.id() };
            let moved = sign(
                coop,
                PartyId(coop.public()),
                now_ms(),
                Act::Transfer(Transfer { assets: vec![lot], to: trader }),
            );
            records.extend([made, moved]);
        }
        let body = serde_json::to_string(&records).expect("json");
        let Some((status, text, resent)) = c.submit(&agent, "/api/records/batch", &body) else { return };
        let results = match (status, serde_json::from_str::<BatchResult>(&text)) {
            (200, Ok(r)) if r.results.len() == records.len() => r.results,
            _ => {
                c.fault(format!("a batch was answered {status}: {text:.300}"));
                continue;
            }
        };
        for (record, item) in records.iter().zip(results) {
            let lot =
                matches!(record.body().act, Act::Commission(_)).then(|| AssetId::derive(&record.id(), 0));
            match item {
                BatchItem::Accepted { receipt } => c.acknowledge(Acked { id: record.id(), receipt, lot }),
                BatchItem::Duplicate { receipt } if resent => {
                    c.already_in.fetch_add(1, Ordering::Relaxed);
                    c.acknowledge(Acked { id: record.id(), receipt, lot });
                }
                other => c.fault(format!("a batch item was answered {other:?}")),
            }
        }
    }
}

/// A reader: the checkpoint, then a random acknowledged entry and its proof against it.
fn reader(c: &Campaign, seed: u64) {
    let agent = agent();
    let mut rng = Rng(seed | 1);
    let get = |path: &str| answer(agent.get(&format!("{}{path}", c.base)).call());
    while !c.stopping() {
        std::thread::sleep(c.pause());
        let (Answer::Status(200, note), Some(acked)) = (get("/checkpoint"), c.random_acked(&mut rng)) else {
            std::thread::sleep(Duration::from_millis(20));
            continue;
        };
        let Some((size, root)) = c.saw(&note) else { continue };
        let index = acked.receipt.index;
        if index >= size {
            continue;
        }
        c.reads.fetch_add(1, Ordering::Relaxed);
        match get(&format!("/api/entries/{index}")) {
            Answer::Status(200, text) => {
                let entry: serde_json::Value = serde_json::from_str(&text).expect("json");
                if entry["recordId"] != serde_json::json!(acked.id) {
                    c.fault(format!("entry {index} holds {} rather than {}", entry["recordId"], acked.id));
                }
            }
            Answer::Status(status, text) => c.fault(format!("entry {index}: {status} {text}")),
            Answer::Down => continue,
        }
        match get(&format!("/api/proofs/inclusion?index={index}&size={size}")) {
            Answer::Status(200, text) => {
                let proof: InclusionProof = serde_json::from_str(&text).expect("proof");
                if let Err(e) = proof.verify(&acked.receipt.leaf_hash, &root) {
                    c.fault(format!("entry {index}'s proof at size {size} fails: {e}"));
                }
            }
            Answer::Status(status, text) => c.fault(format!("proof of {index} at {size}: {status} {text}")),
            Answer::Down => {}
        }
    }
}

/// A buyer's phone: a lot's evidence, then its counted check.
fn label_checks(c: &Campaign, seed: u64) {
    let agent = agent();
    let mut rng = Rng(seed | 1);
    while !c.stopping() {
        std::thread::sleep(c.pause());
        let Some(lot) = c.random_acked(&mut rng).and_then(|a| a.lot) else {
            std::thread::sleep(Duration::from_millis(20));
            continue;
        };
        let evidence = answer(agent.get(&format!("{}/api/assets/{lot}/evidence", c.base)).call());
        let check = answer(
            agent
                .post(&format!("{}/api/assets/{lot}/scans", c.base))
                .set("content-type", "application/json")
                .send_string("{}"),
        );
        for (what, a) in [("evidence", evidence), ("check", check)] {
            match a {
                Answer::Status(200, _) => {
                    c.label_checks.fetch_add(1, Ordering::Relaxed);
                }
                Answer::Status(status, text) => {
                    c.fault(format!("label {what} of {lot}: {status} {text:.300}"))
                }
                Answer::Down => {}
            }
        }
    }
}

/// A campaign on a new ledger with its server started: the co-op and trader registered, the
/// clients not yet.
pub(crate) fn begin() -> (tempfile::TempDir, KillOnDrop, u16, Arc<Campaign>, Keypair, PartyId) {
    let (dir, operator) = init_ledger();
    let port = free_port();
    let base = format!("http://127.0.0.1:{port}");
    let server = KillOnDrop(start(dir.path(), port));
    let (coop, trader) = (Keypair::from_seed(&[21; 32]), Keypair::from_seed(&[22; 32]));
    register(&base, &operator, &coop, "Co-op", Role::Cooperative);
    register(&base, &operator, &trader, "Trader", Role::Trader);
    let vkey = get_json(&base, "/api/log")["verifierKey"].as_str().expect("vkey").to_owned();
    let c = Arc::new(Campaign {
        base,
        vkey,
        stop: AtomicBool::new(false),
        acked: Mutex::default(),
        seen: Mutex::default(),
        faults: Mutex::default(),
        resent: AtomicU64::new(0),
        already_in: AtomicU64::new(0),
        reads: AtomicU64::new(0),
        label_checks: AtomicU64::new(0),
        pause_us: AtomicU64::new(PAUSE.as_micros() as u64),
    });
    (dir, server, port, c, coop, PartyId(trader.public()))
}

/// The mixed load: three clients submitting one record at a time, one submitting batches, two
/// reading entries with their proofs, one phone reading labels' evidence and counting checks.
pub(crate) fn load(
    c: &Arc<Campaign>,
    coop: &Keypair,
    trader: PartyId,
    seed: u64,
) -> Vec<std::thread::JoinHandle<()>> {
    let mut clients = Vec::new();
    for t in 0..3u64 {
        let (c, coop) = (c.clone(), Keypair::from_seed(coop.seed()));
        clients.push(std::thread::spawn(move || singles(&c, &coop, (t + 1) * 1_000_000_000)));
    }
    {
        let (c, coop) = (c.clone(), Keypair::from_seed(coop.seed()));
        clients.push(std::thread::spawn(move || batches(&c, &coop, trader, 9_000_000_000)));
    }
    for t in 0..2u64 {
        let c = c.clone();
        clients.push(std::thread::spawn(move || reader(&c, seed ^ (t + 1))));
    }
    {
        let c = c.clone();
        clients.push(std::thread::spawn(move || label_checks(&c, seed ^ 7)));
    }
    clients
}

/// What the end of a campaign found.
pub(crate) struct Ended {
    pub acked: usize,
    pub size: u64,
    pub seen: usize,
}

/// Stops the clients and the server (SIGTERM), then reads the stored log back entry by entry:
/// each leaf hashes to its stored hash, no record is there twice, every checkpoint a client saw
/// is the root of the prefix of its size, every acknowledged record is where its receipt says
/// and its receipt verifies; `audit` passes; no client met a fault.
pub(crate) fn end(
    c: &Campaign,
    clients: Vec<std::thread::JoinHandle<()>>,
    mut server: KillOnDrop,
    dir: &std::path::Path,
) -> Ended {
    std::thread::sleep(Duration::from_millis(500));
    c.stop.store(true, Ordering::Relaxed);
    for client in clients {
        client.join().expect("client");
    }
    let log = get_json(&c.base, "/api/log");
    let (size, root) = c.saw(log["checkpoint"].as_str().expect("checkpoint")).expect("the last checkpoint");
    let term = std::process::Command::new("kill").args(["-TERM", &server.id().to_string()]).status();
    assert!(term.expect("kill").success());
    assert!(server.wait().expect("stops").success());

    let faults = c.faults.lock().expect("lock").clone();
    assert!(faults.is_empty(), "{} faults, the first: {}", faults.len(), faults[0]);

    let mut conn = db::open_reader(&dir.join("ledger.sqlite")).expect("database");
    assert_eq!(
        db::entries::count(&mut conn).expect("count"),
        size as i64,
        "the stored log is the served one"
    );
    let seen = c.seen.lock().expect("lock").clone();
    let mut frontier = Frontier::new();
    let mut entries: Vec<(Hash, Hash)> = Vec::with_capacity(size as usize);
    let mut ids = HashSet::new();
    for start in (0..size as i64).step_by(10_000) {
        for row in db::entries::range(&mut conn, start, (start + 10_000).min(size as i64)).expect("entries") {
            assert_eq!(row.idx as usize, entries.len(), "entries in order, none missing");
            let leaf = terroir_shared::log::tree::leaf_hash(&row.leaf);
            assert_eq!(leaf.as_bytes().as_slice(), row.leaf_hash.as_slice(), "entry {}'s leaf hash", row.idx);
            let id = Hash(row.record_id.as_slice().try_into().expect("a record id of 32 bytes"));
            assert!(ids.insert(id), "record {id} is in the log twice");
            frontier.append(leaf);
            entries.push((id, leaf));
            if let Some(root) = seen.get(&frontier.size()) {
                assert_eq!(frontier.root(), *root, "the checkpoint of size {} a client saw", frontier.size());
            }
        }
    }
    assert_eq!(frontier.root(), root, "the last checkpoint is the stored log's root");

    let acked = c.acked.lock().expect("lock").clone();
    let mut verifier = ReceiptVerifier::new(&c.vkey);
    for a in &acked {
        verifier.verify(&a.receipt).expect("the receipt verifies");
        assert_eq!(
            entries[a.receipt.index as usize],
            (a.id, a.receipt.leaf_hash),
            "entry {}",
            a.receipt.index
        );
    }
    let (ok, out) = run_bin(dir, &["audit", "--origin", crate::crash::ORIGIN]);
    assert!(ok && out.contains("audit passed"), "audit: {out}");
    Ended { acked: acked.len(), size, seen: seen.len() }
}

#[test]
fn the_server_killed_again_and_again_under_mixed_load_loses_nothing() {
    let _alone = crate::crash::alone();
    let rounds = env_u64("TERROIR_CRASH_ROUNDS").unwrap_or(SUITE_ROUNDS);
    let seed = env_u64("TERROIR_CRASH_SEED").unwrap_or_else(now_ms);
    println!("crash campaign: {rounds} kills, seed {seed} (TERROIR_CRASH_SEED)");
    let mut rng = Rng(seed | 1);
    let (dir, mut server, port, c, coop, trader) = begin();
    let base = c.base.clone();
    let clients = load(&c, &coop, trader, seed);

    let mut restarts = Vec::new();
    let mut checked = 0;
    for round in 1..=rounds {
        std::thread::sleep(Duration::from_millis(150 + rng.below(1_350)));
        server.kill().expect("SIGKILL");
        server.wait().expect("reaped");
        let acked: Vec<Acked> = c.acked.lock().expect("lock").clone();
        let started = Instant::now();
        server = KillOnDrop(start(dir.path(), port));
        restarts.push(started.elapsed());
        // What was acknowledged last before the kill, and some of the rest since the last
        // kill, is there after the restart, where its receipt says (the end reads it all).
        let since = &acked[checked..];
        let last = since.iter().rev().take(PER_ROUND_CHECKS);
        let some = (0..PER_ROUND_CHECKS).filter_map(|_| since.get(rng.below(since.len() as u64) as usize));
        for a in last.chain(some).collect::<Vec<_>>() {
            let entry = get_json(&base, &format!("/api/entries/{}", a.receipt.index));
            assert_eq!(
                entry["recordId"],
                serde_json::json!(a.id),
                "round {round}: entry {}",
                a.receipt.index
            );
        }
        checked = acked.len();
        if round % 10 == 0 || round == rounds {
            println!("  {round} kills, {checked} records acknowledged");
        }
    }
    let ended = end(&c, clients, server, dir.path());

    let mut restarts: Vec<f64> = restarts.iter().map(|d| d.as_secs_f64() * 1e3).collect();
    restarts.sort_by(f64::total_cmp);
    println!(
        "crash campaign: {rounds} kills; {} records acknowledged, {} in the log, each once; \
         {} submissions sent again after a kill, {} of them already in the log; {} checkpoints seen, \
         each a prefix of the last; {} entry reads with proofs; {} label reads and checks; \
         restart to /healthz: median {:.0} ms, slowest {:.0} ms; audit passed",
        ended.acked,
        ended.size,
        c.resent.load(Ordering::Relaxed),
        c.already_in.load(Ordering::Relaxed),
        ended.seen,
        c.reads.load(Ordering::Relaxed),
        c.label_checks.load(Ordering::Relaxed),
        restarts[restarts.len() / 2],
        restarts.last().copied().unwrap_or(0.0),
    );
    assert!(ended.acked as u64 > rounds * 10, "the load was too light to prove anything");
}
