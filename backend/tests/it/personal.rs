//! Personal data as a person may ask of it: taken only with a recorded consent, shown to them
//! on request with what proves it, and, once erased, gone from every byte of every file in the
//! data directory (with the server running, and after), from the backups `backup` wrote, and
//! from any restored copy that brings it back.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};

use serde_json::Value;
use terroir_shared::commitment::{Commitment, ContactProof};

use crate::crash::{BIN, ORIGIN, free_port, init_ledger, run_bin, wait_up};

const NAME: &str = "Wang Fang 王芳";
const PHONE: &str = "+86 871 6543 2109";
const OTHER_NAME: &str = "Yan Zhaoming";

/// Every file under `dir` whose raw bytes hold `needle`.
fn files_holding(dir: &Path, needle: &str) -> Vec<PathBuf> {
    let mut found = Vec::new();
    let mut todo = vec![dir.to_path_buf()];
    while let Some(dir) = todo.pop() {
        for entry in std::fs::read_dir(&dir).expect("read dir") {
            let path = entry.expect("entry").path();
            if path.is_dir() {
                todo.push(path);
            } else if let Ok(bytes) = std::fs::read(&path)
                && bytes.windows(needle.len()).any(|w| w == needle.as_bytes())
            {
                found.push(path);
            }
        }
    }
    found.sort();
    found
}

/// No byte of the erased person's name (either script) or phone anywhere under `dir`.
fn assert_gone(dir: &Path, when: &str) {
    for needle in [NAME, "王芳", "Wang Fang", PHONE, "6543 2109"] {
        let left = files_holding(dir, needle);
        assert!(left.is_empty(), "{when}: `{needle}` is still in {left:?}");
    }
}

fn bin(dir: &Path, args: &[&str]) -> String {
    let (ok, text) = run_bin(dir, args);
    assert!(ok, "{args:?}: {text}");
    text
}

fn key_hex(seed: u8) -> String {
    terroir_shared::crypto::Keypair::from_seed(&[seed; 32]).public().to_string()
}

fn enrol(dir: &Path, seed: u8, name: &str, phone: &str) -> String {
    bin(
        dir,
        &[
            "enrol",
            "--key",
            &key_hex(seed),
            "--name",
            "Pu'er Smallholders' Co-op",
            "--roles",
            "cooperative",
            "--contact-name",
            name,
            "--contact-phone",
            phone,
            "--consent-purpose",
            "to be called by the operator about the co-op's lots",
            "--consent-collected-by",
            "the operator's enrolment desk",
            "--consent-given-on",
            "2026-11-30",
            "--consent-record",
            "paper form 2026-031, co-op office",
        ],
    )
}

/// What the ledger shows of a party's registration: its contact commitment.
fn commitment_of(dir: &Path, seed: u8) -> Commitment {
    let held: Value = serde_json::from_str(&bin(dir, &["contact", "--party", &key_hex(seed)])).expect("json");
    Commitment(held[0]["commitment"].as_str().expect("commitment").parse().expect("hash"))
}

/// The server, its log lines going to a file; killed when the test ends however it ends.
struct Server {
    child: Child,
    log: PathBuf,
}

impl Server {
    fn start(dir: &Path, port: u16, log: PathBuf) -> Self {
        let child = Command::new(BIN)
            .args(["serve", "--origin", ORIGIN, "--bind", &format!("127.0.0.1:{port}")])
            .arg("--data-dir")
            .arg(dir)
            .env("TERROIR_LOG", "warn")
            .stdout(Stdio::from(std::fs::File::create(&log).expect("log")))
            .spawn()
            .expect("server starts");
        wait_up(port);
        Self { child, log }
    }

    fn said(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }

    fn stop(mut self) -> String {
        let _ = self.child.kill();
        let _ = self.child.wait();
        self.said()
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

#[test]
fn contact_data_needs_a_recorded_consent() {
    let (dir, _) = init_ledger();
    let key = key_hex(1);
    let enrol =
        ["enrol", "--key", &key, "--name", "Co-op", "--roles", "cooperative", "--contact-name", "Li Wei"];
    let (ok, said) = run_bin(dir.path(), &enrol);
    assert!(!ok && said.contains("--consent-purpose") && said.contains("--consent-collected-by"), "{said}");
    let blank = ["--consent-purpose", " ", "--consent-collected-by", "desk"];
    let (ok, said) = run_bin(dir.path(), &[&enrol[..], &blank[..]].concat());
    assert!(!ok && said.contains("--consent-purpose must not be empty"), "{said}");
    assert!(files_holding(dir.path(), "Li Wei").is_empty(), "a refused enrolment kept nothing");
}

#[test]
fn erased_contact_data_leaves_no_byte_in_any_file_while_the_server_runs_and_after() {
    let (dir, _) = init_ledger();
    let port = free_port();
    let base = format!("http://127.0.0.1:{port}");
    let logs = tempfile::tempdir().expect("logs");
    let server = Server::start(dir.path(), port, logs.path().join("server.log"));
    assert!(enrol(dir.path(), 0x31, NAME, PHONE).contains("(through the server"));
    assert!(enrol(dir.path(), 0x32, OTHER_NAME, "+86 139 0691 2245").contains("(through the server"));
    let commitment = commitment_of(dir.path(), 0x31);
    // The registration the ledger serves carries the commitment, and nothing of the person.
    let party = ureq::get(&format!("{base}/api/parties/{}", key_hex(0x31))).call().expect("party");
    let party = party.into_string().expect("text");
    assert!(party.contains(&commitment.0.to_string()) && !party.contains("Wang"), "{party}");
    // The search below finds what is there: before erasure, the name is in the personal store.
    let holding = files_holding(dir.path(), NAME);
    assert_eq!(holding, vec![dir.path().join("personal.sqlite")], "kept there and only there");

    let erased = bin(dir.path(), &["erase-contact", "--commitment", &commitment.0.to_string()]);
    assert!(erased.contains(&format!("erased the contact data behind {}", commitment.0)), "{erased}");
    assert_gone(dir.path(), "with the server running");
    assert_eq!(files_holding(dir.path(), OTHER_NAME).len(), 1, "the other person's data is kept");
    // The server kept serving, and still takes records.
    assert!(ureq::get(&format!("{base}/checkpoint")).call().is_ok());
    assert!(
        enrol(dir.path(), 0x33, "Ai Kan", "+86 138 8791 4420").contains("at entry 3 (through the server")
    );
    assert_gone(dir.path(), "after the next enrolment");
    let said = server.stop();
    assert!(!said.contains("ERROR"), "{said}");
    assert_gone(dir.path(), "after the server stopped");

    // What the person may ask to see: erased, when, and the consent, still provable.
    let shown: Value =
        serde_json::from_str(&bin(dir.path(), &["contact", "--commitment", &commitment.0.to_string()]))
            .expect("json");
    let held = &shown[0];
    assert_eq!((held["status"].as_str(), held.get("data")), (Some("erased"), None), "{held}");
    assert!(held["erasedAt"].is_string() && held["collectedAt"].is_string(), "{held}");
    assert_eq!(held["consent"]["purpose"], "to be called by the operator about the co-op's lots");
    let proof: ContactProof = serde_json::from_value(held["proof"].clone()).expect("proof");
    proof.check(&commitment).expect("the consent opens the commitment in the log");
    let audit = bin(dir.path(), &["audit", "--origin", ORIGIN]);
    assert!(audit.contains("audit passed: 4 entries"), "{audit}");
    assert_gone(dir.path(), "after audit");
}

#[test]
fn erasure_reaches_backups_and_a_restored_copy_is_erased_again() {
    let (dir, _) = init_ledger();
    let backups = tempfile::tempdir().expect("backups");
    let elsewhere = tempfile::tempdir().expect("a copy made by other means");
    enrol(dir.path(), 0x41, NAME, PHONE);
    enrol(dir.path(), 0x42, OTHER_NAME, "+86 139 0691 2245");
    let commitment = commitment_of(dir.path(), 0x41);
    let dest = backups.path().join("nightly");
    let wrote = bin(dir.path(), &["backup", dest.to_str().expect("utf-8")]);
    assert!(wrote.starts_with("wrote "), "{wrote}");
    let snapshot = std::fs::read_dir(&dest)
        .expect("dest")
        .map(|e| e.expect("entry").path())
        .find(|p| p.is_dir())
        .expect("a snapshot");
    assert_eq!(files_holding(&snapshot, NAME), vec![snapshot.join("personal.sqlite")], "the backup holds it");
    // A copy of the snapshot that erasure cannot know of (an offline disk, say).
    let copy = elsewhere.path().join(snapshot.file_name().expect("name"));
    std::fs::create_dir(&copy).expect("copy dir");
    for entry in std::fs::read_dir(&snapshot).expect("snapshot") {
        let path = entry.expect("entry").path();
        std::fs::copy(&path, copy.join(path.file_name().expect("name"))).expect("copy");
    }

    let erased = bin(dir.path(), &["erase-contact", "--commitment", &commitment.0.to_string()]);
    assert!(
        erased.contains(&format!("backups in {}: erased from 1 snapshot(s)", dest.display())),
        "{erased}"
    );
    assert_gone(dir.path(), "the data directory");
    assert_gone(&dest, "the backups erasure reached");
    assert_eq!(files_holding(&snapshot, OTHER_NAME).len(), 1, "the backup keeps the rest");
    assert_eq!(files_holding(&copy, NAME).len(), 1, "the unknown copy still holds it");

    // Restored by hand, the copy brings the data back; the next start erases it again.
    std::fs::remove_file(dir.path().join("personal.sqlite")).expect("rm");
    std::fs::copy(copy.join("personal.sqlite"), dir.path().join("personal.sqlite")).expect("restore by hand");
    assert_eq!(files_holding(dir.path(), NAME).len(), 1);
    let port = free_port();
    let logs = tempfile::tempdir().expect("logs");
    let server = Server::start(dir.path(), port, logs.path().join("server.log"));
    assert_gone(dir.path(), "once the server started");
    let said = server.stop();
    assert!(said.contains("erased again") && said.contains(&commitment.0.to_string()), "{said}");

    // Restored with `restore` onto a new machine: the backups' register goes with it.
    let fresh = tempfile::tempdir().expect("a new machine");
    let new_dir = fresh.path().join("terroir-data");
    let copy_in_dest = dest.join("restored-from-offline-disk");
    std::fs::create_dir(&copy_in_dest).expect("dir");
    for entry in std::fs::read_dir(&copy).expect("copy") {
        let path = entry.expect("entry").path();
        std::fs::copy(&path, copy_in_dest.join(path.file_name().expect("name"))).expect("copy");
    }
    let restored = bin(&new_dir, &["restore", copy_in_dest.to_str().expect("utf-8")]);
    assert!(restored.contains(&format!("erased again: {}", commitment.0)), "{restored}");
    assert_gone(&new_dir, "the restored directory");
    assert_eq!(files_holding(&new_dir, OTHER_NAME).len(), 1, "the rest came back");
    let audit = bin(&new_dir, &["audit"]);
    assert!(audit.contains("audit passed: 3 entries"), "{audit}");
    // A restore over a ledger sets that one aside rather than losing it.
    let (ok, said) = run_bin(&new_dir, &["restore", snapshot.to_str().expect("utf-8")]);
    assert!(!ok && said.contains("--replace"), "{said}");
    let again = bin(&new_dir, &["restore", "--replace", snapshot.to_str().expect("utf-8")]);
    assert!(again.contains("the ledger that was here is in"), "{again}");
    assert_gone(&new_dir, "after a second restore");
}
