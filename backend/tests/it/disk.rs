//! A full disk: the ledger's data directory on a small filesystem (a tmpfs the test mounts; the
//! test suite runs as root). While no space is left, submissions are refused with a 503 problem
//! that says why and when to try again, the server stays up and keeps serving reads, nothing
//! acknowledged is lost; when space returns, the same submissions are taken without a restart.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use terroir_shared::api::{BatchItem, BatchResult, Problem};
use terroir_shared::asset::AssetId;
use terroir_shared::crypto::Keypair;
use terroir_shared::log::Receipt;
use terroir_shared::party::{PartyId, Role};
use terroir_shared::record::{Act, Commission};

use crate::crash::{
    KillOnDrop, ORIGIN, free_port, get_json, init_ledger_in, now_ms, register, run_bin, sign, start,
};
use crate::support::tea_lot;

/// A tmpfs mounted on a directory; unmounted when dropped.
struct Tmpfs(PathBuf);

impl Tmpfs {
    fn mount(dir: &Path, megabytes: u64) -> Result<Self, String> {
        std::fs::create_dir_all(dir).map_err(|e| e.to_string())?;
        let out = Command::new("mount")
            .args(["-t", "tmpfs", "-o", &format!("size={megabytes}m"), "tmpfs"])
            .arg(dir)
            .output()
            .map_err(|e| e.to_string())?;
        if !out.status.success() {
            return Err(String::from_utf8_lossy(&out.stderr).into_owned());
        }
        Ok(Tmpfs(dir.to_path_buf()))
    }

    fn resize(&self, megabytes: u64) {
        let out = Command::new("mount")
            .args(["-o", &format!("remount,size={megabytes}m")])
            .arg(&self.0)
            .output()
            .expect("mount runs");
        assert!(out.status.success(), "remount: {}", String::from_utf8_lossy(&out.stderr));
    }
}

impl Drop for Tmpfs {
    fn drop(&mut self) {
        let _ = Command::new("umount").arg("-l").arg(&self.0).status();
    }
}

/// A batch of `n` commissions by `coop`, numbered from `first`.
fn batch(coop: &Keypair, first: u64, n: u64) -> (Vec<terroir_shared::Hash>, String) {
    let records: Vec<_> = (first..first + n)
        .map(|i| {
            let act =
                Act::Commission(Commission::new(vec![tea_lot(&format!("Garden {i:06} on a full disk"), i)]));
            sign(coop, PartyId(coop.public()), now_ms(), act)
        })
        .collect();
    (records.iter().map(|r| r.id()).collect(), serde_json::to_string(&records).expect("json"))
}

/// POSTs a batch: the status, its headers' Retry-After, and the body.
fn submit(base: &str, body: &str) -> (u16, Option<String>, String, String) {
    let answer = ureq::post(&format!("{base}/api/records/batch"))
        .set("content-type", "application/json")
        .timeout(Duration::from_secs(60))
        .send_string(body);
    let r = match answer {
        Ok(r) => r,
        Err(ureq::Error::Status(_, r)) => r,
        Err(e) => panic!("the server did not answer: {e}"),
    };
    let (status, retry, kind) =
        (r.status(), r.header("retry-after").map(str::to_owned), r.content_type().to_owned());
    (status, retry, kind, r.into_string().expect("body"))
}

fn receipts(text: &str) -> Vec<Receipt> {
    let result: BatchResult = serde_json::from_str(text).expect("a batch result");
    result
        .results
        .into_iter()
        .map(|item| match item {
            BatchItem::Accepted { receipt } | BatchItem::Duplicate { receipt } => receipt,
            BatchItem::Refused { problem } => panic!("refused: {problem:?}"),
        })
        .collect()
}

fn status_of(base: &str, path: &str) -> u16 {
    match ureq::get(&format!("{base}{path}")).call() {
        Ok(r) => r.status(),
        Err(ureq::Error::Status(s, _)) => s,
        Err(e) => panic!("GET {path}: {e}"),
    }
}

#[test]
fn a_full_disk_refuses_records_with_a_503_keeps_serving_reads_and_resumes_when_space_returns() {
    let root = tempfile::tempdir().expect("dir");
    let disk = Tmpfs::mount(&root.path().join("disk"), 12)
        .unwrap_or_else(|e| panic!("this test mounts a tmpfs and needs root, as the test suite runs: {e}"));
    let data = disk.0.join("ledger");
    let operator = init_ledger_in(&data);
    let port = free_port();
    let base = format!("http://127.0.0.1:{port}");
    let mut server = KillOnDrop(start(&data, port));
    let coop = Keypair::from_seed(&[31; 32]);
    register(&base, &operator, &coop, "Co-op", Role::Cooperative);

    // Fill the disk.
    let mut acked: Vec<(terroir_shared::Hash, Receipt)> = Vec::new();
    let mut next = 1;
    let (refused_ids, refused_body, problem, retry) = loop {
        let (ids, body) = batch(&coop, next, 200);
        next += 200;
        let (status, retry, kind, text) = submit(&base, &body);
        match status {
            200 => acked.extend(ids.into_iter().zip(receipts(&text))),
            503 => {
                assert_eq!(kind, "application/problem+json");
                break (ids, body, serde_json::from_str::<Problem>(&text).expect("a problem"), retry);
            }
            other => panic!("a batch on a filling disk was answered {other}: {text}"),
        }
        assert!(next < 1_000_000, "the disk never filled");
    };
    assert!(acked.len() >= 200, "the disk filled before a batch landed ({} records)", acked.len());
    assert_eq!(problem.code, "cannot_store", "{problem:?}");
    assert!(problem.detail.contains("disk is full"), "{problem:?}");
    assert!(problem.detail.contains("nothing of this request was stored"), "{problem:?}");
    assert_eq!(retry.as_deref(), Some("30"));
    println!("the disk filled after {} records", acked.len());

    // Full: the server is up and serves what it holds; records are still refused.
    let (last_id, last) = acked.last().cloned().expect("a record");
    let lot = AssetId::derive(&last_id, 0);
    for path in [
        "/healthz".to_owned(),
        "/checkpoint".to_owned(),
        "/api/log".to_owned(),
        format!("/api/entries/{}", last.index),
        format!("/api/assets/{lot}/evidence"),
        format!("/api/proofs/inclusion?index={}&size={}", last.index, last.index + 1),
    ] {
        assert_eq!(status_of(&base, &path), 200, "GET {path} on a full disk");
    }
    let check = ureq::post(&format!("{base}/api/assets/{lot}/scans")).set("content-type", "application/json");
    assert_eq!(check.send_string("{}").expect("a label check").status(), 200);
    // Until refused three times in a row: the server may find room again (the WAL copied into
    // the database and cut short), and then takes what fits, as it should.
    let (mut refused_ids, mut refused_body, mut refusals) = (refused_ids, refused_body, 1);
    for _ in 0..50 {
        if refusals == 3 {
            break;
        }
        let (status, _, _, text) = submit(&base, &refused_body);
        match status {
            503 => refusals += 1,
            200 => {
                acked.extend(refused_ids.iter().copied().zip(receipts(&text)));
                (refused_ids, refused_body) = batch(&coop, next, 200);
                next += 200;
                refusals = 0;
            }
            other => panic!("a batch on a full disk was answered {other}: {text}"),
        }
    }
    assert_eq!(refusals, 3, "the disk never stayed full");
    assert!(server.try_wait().expect("wait").is_none(), "the server is still running");
    let size = get_json(&base, "/api/log")["size"].as_u64().expect("size");
    assert_eq!(size, acked.len() as u64 + 2, "the refused batches stored nothing");

    // Space returns: the refused batch is taken as it was sent, without a restart.
    disk.resize(256);
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let (status, _, _, text) = submit(&base, &refused_body);
        if status == 200 {
            acked.extend(refused_ids.iter().copied().zip(receipts(&text)));
            break;
        }
        assert_eq!(status, 503, "{text}");
        assert!(Instant::now() < deadline, "records still refused a minute after space returned");
        std::thread::sleep(Duration::from_millis(200));
    }
    let (ids, body) = batch(&coop, next, 200);
    let (status, _, _, text) = submit(&base, &body);
    assert_eq!(status, 200, "{text}");
    acked.extend(ids.into_iter().zip(receipts(&text)));

    // Nothing acknowledged was lost, across a restart too; the audit passes.
    let term = Command::new("kill").args(["-TERM", &server.id().to_string()]).status().expect("kill");
    assert!(term.success());
    assert!(server.wait().expect("stops").success());
    let mut server = KillOnDrop(start(&data, port));
    let vkey = get_json(&base, "/api/log")["verifierKey"].as_str().expect("vkey").to_owned();
    for (id, receipt) in &acked {
        receipt.verify(&vkey).expect("the receipt verifies");
        let entry = get_json(&base, &format!("/api/entries/{}", receipt.index));
        assert_eq!(entry["recordId"], serde_json::json!(id), "entry {}", receipt.index);
    }
    assert_eq!(get_json(&base, "/api/log")["size"].as_u64(), Some(acked.len() as u64 + 2));
    server.kill().expect("stop");
    server.wait().expect("reaped");
    let (ok, out) = run_bin(&data, &["audit", "--origin", ORIGIN]);
    assert!(ok && out.contains("audit passed"), "audit: {out}");
}
