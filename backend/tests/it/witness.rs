//! Three witnesses, each its own `terroir-backend witness` process, and a log that posts its
//! checkpoints to them as C2SP tlog-witness says: they cosign a growing log (two of three make
//! the policy's quorum), every one refuses the log rolled back or forked, and a witness that
//! restarts still does.

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};

use ed25519_dalek::SigningKey;
use terroir_shared::log::witness::AddCheckpoint;
use terroir_shared::log::{LogSigner, MemoryNodeStore, Policy, prove_consistency, root};

use crate::crash::{BIN, free_port};

/// A witness process, killed when dropped.
struct WitnessProcess {
    child: Child,
    url: String,
    vkey: String,
}

impl Drop for WitnessProcess {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn start(name: &str, dir: &std::path::Path, log_vkey: &str, port: u16) -> WitnessProcess {
    let mut child = Command::new(BIN)
        .args(["witness", "--name", name, "--log", log_vkey, "--bind", &format!("127.0.0.1:{port}")])
        .arg("--data-dir")
        .arg(dir)
        .env("TERROIR_LOG", "warn")
        .stdout(Stdio::piped())
        .spawn()
        .expect("start a witness");
    let mut lines = BufReader::new(child.stdout.take().expect("stdout")).lines();
    let vkey = lines
        .next()
        .and_then(Result::ok)
        .and_then(|l| l.strip_prefix("witness key: ").map(str::to_owned))
        .expect("the witness prints its key");
    let url = lines
        .next()
        .and_then(Result::ok)
        .and_then(|l| l.strip_prefix("listening on ").map(str::to_owned))
        .expect("the witness prints its address");
    WitnessProcess { child, url, vkey }
}

/// A log of `size` entries named by `history`, and its signed checkpoint note.
fn tree(history: &str, size: u64) -> MemoryNodeStore {
    let mut t = MemoryNodeStore::new();
    for i in 0..size {
        t.append_entry(format!("{history} {i}").as_bytes());
    }
    t
}

fn post(w: &WitnessProcess, log: &LogSigner, old: u64, size: u64, leaves: &MemoryNodeStore) -> (u16, String) {
    let proof = if old == 0 || old == size {
        vec![]
    } else {
        prove_consistency(old, size, leaves).expect("proof").path
    };
    let note = log.sign(size, &root(size, leaves).expect("root")).to_text();
    let body = AddCheckpoint { old, proof, note }.to_body();
    match ureq::post(&format!("{}/add-checkpoint", w.url)).send_string(&body) {
        Ok(r) => (r.status(), r.into_string().unwrap_or_default()),
        Err(ureq::Error::Status(code, r)) => (code, r.into_string().unwrap_or_default()),
        Err(e) => panic!("the witness did not answer: {e}"),
    }
}

#[test]
fn witnesses_cosign_a_growing_log_and_every_one_refuses_it_rolled_back_or_forked() {
    let log = LogSigner::new("log.example/terroir", SigningKey::from_bytes(&[1; 32])).expect("log");
    let dirs: Vec<tempfile::TempDir> = (0..3).map(|_| tempfile::tempdir().expect("dir")).collect();
    let mut ports: Vec<u16> = Vec::new();
    while ports.len() < 3 {
        let port = free_port();
        if !ports.contains(&port) {
            ports.push(port);
        }
    }
    let mut witnesses: Vec<WitnessProcess> = (0..3)
        .map(|i| start(&format!("witness{i}.example/w"), dirs[i].path(), &log.vkey(), ports[i]))
        .collect();
    let leaves = tree("entry", 30);

    // Each witness cosigns the log at 10, then at 20 (consistent with 10).
    for w in &witnesses {
        assert_eq!(post(w, &log, 0, 10, &leaves).0, 200);
    }
    let mut note = log.sign(20, &root(20, &leaves).expect("root")).to_text();
    for w in &witnesses {
        let (status, line) = post(w, &log, 10, 20, &leaves);
        assert_eq!(status, 200, "{line}");
        note.push_str(&line);
    }
    // The cosigned checkpoint meets a two-of-three policy, each witness's line in the spec's
    // format.
    let mut policy = format!("log {}\n", log.vkey());
    for (i, w) in witnesses.iter().enumerate() {
        policy.push_str(&format!("witness w{i} {}\n", w.vkey));
    }
    policy.push_str("group two 2 w0 w1 w2\nquorum two\n");
    let policy = Policy::parse(&policy).expect("policy");
    let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_secs());
    let verdict = policy.judge(&note, now, 600).expect("the log signed it");
    assert!(verdict.quorum_met && verdict.vouched.len() == 3, "{verdict:?}");

    // Rolled back to 15: every witness says which size it cosigned last.
    for w in &witnesses {
        assert_eq!(post(w, &log, 10, 15, &leaves), (409, "20\n".to_owned()));
    }
    // Forked: another history grown from 20 to 25, or another tree of size 20.
    let other = tree("another entry", 25);
    for w in &witnesses {
        assert_eq!(post(w, &log, 20, 25, &other).0, 422);
        assert_eq!(post(w, &log, 20, 20, &other).0, 409);
    }
    // A witness that restarts remembers: still no rollback, and the log goes on growing.
    drop(witnesses.remove(0));
    witnesses.insert(0, start("witness0.example/w", dirs[0].path(), &log.vkey(), ports[0]));
    assert_eq!(post(&witnesses[0], &log, 0, 5, &leaves), (409, "20\n".to_owned()));
    assert_eq!(post(&witnesses[0], &log, 20, 30, &leaves).0, 200);
    // A log it does not follow: 404.
    let stranger = LogSigner::new("other.example/log", SigningKey::from_bytes(&[3; 32])).expect("log");
    assert_eq!(post(&witnesses[1], &stranger, 0, 5, &leaves).0, 404);
}
