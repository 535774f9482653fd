//! One process keeps a ledger: commands that would append beside a running server are refused
//! naming it, except `enrol`, which sends its operator-signed record to that server; `audit`,
//! which only reads, runs beside it and writes nothing.

use std::process::{Child, Command, Output};

use crate::crash::{BIN, ORIGIN, free_port, init_ledger, start};

fn run(dir: &std::path::Path, args: &[&str]) -> Output {
    Command::new(BIN)
        .args(args)
        .args(["--origin", ORIGIN])
        .arg("--data-dir")
        .arg(dir)
        .env("TERROIR_LOG", "warn")
        .output()
        .expect("runs")
}

fn text(out: &Output) -> String {
    format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr))
}

/// The public key of a test party, as `enrol --key` takes it.
fn key_hex(seed: u8) -> String {
    terroir_shared::crypto::Keypair::from_seed(&[seed; 32]).public().to_string()
}

fn enrol(dir: &std::path::Path, key: &str, name: &str) -> Output {
    let args = ["enrol", "--key", key, "--name", name, "--roles", "cooperative"];
    let contact = [
        "--contact-name",
        "Li Wei",
        "--contact-phone",
        "+86 691 555 0101",
        "--consent-purpose",
        "to be called about the co-op's lots",
        "--consent-collected-by",
        "the operator's enrolment desk",
    ];
    run(dir, &[&args[..], &contact[..]].concat())
}

/// The server, killed when the test ends however it ends.
struct Running(Child);

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

#[test]
fn beside_a_running_server_enrol_goes_through_it_and_other_writers_are_refused() {
    let (dir, _operator) = init_ledger();
    let port = free_port();
    let base = format!("http://127.0.0.1:{port}");
    let mut server = Running(start(dir.path(), port));

    let enrolled = enrol(dir.path(), &key_hex(0x11), "Menghai Tea Co-op");
    let said = text(&enrolled);
    assert!(enrolled.status.success(), "{said}");
    assert!(said.contains(&format!("at entry 1 (through the server at {base}")), "{said}");
    // The server saw it: its own checkpoint counts it, and it names the party.
    let checkpoint = ureq::get(&format!("{base}/checkpoint")).call().expect("checkpoint");
    let note = checkpoint.into_string().expect("note");
    assert_eq!(note.lines().nth(1), Some("2"), "{note}");
    let party: serde_json::Value = ureq::get(&format!("{base}/api/parties/{}", key_hex(0x11)))
        .call()
        .expect("party")
        .into_json()
        .expect("json");
    assert_eq!(party["party"]["name"], "Menghai Tea Co-op", "{party}");
    // A second enrolment through it is appended after the first, not over it.
    let second = enrol(dir.path(), &key_hex(0x22), "Bulang Tea Co-op");
    assert!(text(&second).contains("at entry 2 (through"), "{}", text(&second));

    // Audit only reads: it runs beside the server.
    let audit = run(dir.path(), &["audit"]);
    assert!(audit.status.success() && text(&audit).contains("audit passed: 3 entries"), "{}", text(&audit));

    for args in [&["demo"][..], &["init"][..]] {
        let refused = run(dir.path(), args);
        let said = text(&refused);
        assert!(!refused.status.success(), "{args:?} ran beside the server: {said}");
        assert!(
            said.contains(&format!("is kept by the server at {base} (process {})", server.0.id())),
            "{said}"
        );
    }

    server.0.kill().expect("stop");
    server.0.wait().expect("reaped");
    // The killed server's lock went with it: the ledger opens, holding both enrolments, and
    // the contact data kept beside it.
    let third = enrol(dir.path(), &key_hex(0x33), "Yiwu Tea Co-op");
    assert!(text(&third).contains("at entry 3\n"), "{}", text(&third));
    let audit = run(dir.path(), &["audit"]);
    assert!(audit.status.success() && text(&audit).contains("audit passed: 4 entries"), "{}", text(&audit));
    for seed in [0x11, 0x22, 0x33] {
        let shown = run(dir.path(), &["contact", "--party", &key_hex(seed)]);
        assert!(shown.status.success() && text(&shown).contains("\"name\": \"Li Wei\""), "{}", text(&shown));
    }
}

#[test]
fn audit_of_a_directory_without_a_ledger_fails_and_writes_nothing() {
    let dir = tempfile::tempdir().expect("dir");
    let audit = run(dir.path(), &["audit"]);
    assert!(!audit.status.success(), "{}", text(&audit));
    assert!(text(&audit).contains("there is no ledger in"), "{}", text(&audit));
    let left: Vec<_> = std::fs::read_dir(dir.path()).expect("dir").collect();
    assert!(left.is_empty(), "audit wrote {left:?}");
}
