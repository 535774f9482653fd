//! `terroir-backend monitor` following a ledger server, each its own process: it verifies and
//! replays the log, and when the server is then made to serve a fork (the log cut back and
//! grown with another record) or a rollback, it says so within one poll and exits with status 2.

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use terroir_shared::crypto::Keypair;

use crate::crash::{BIN, free_port, init_ledger, run_bin, start};

/// Registers a new farm with the operator's key (the server must be stopped).
fn enrol(dir: &Path, seed: u8) {
    let key = Keypair::from_seed(&[seed; 32]).public().to_string();
    let (ok, out) =
        run_bin(dir, &["enrol", "--key", &key, "--name", &format!("Farm {seed}"), "--roles", "farm"]);
    assert!(ok, "{out}");
}

fn copy_dir(from: &Path, to: &Path) {
    let _ = std::fs::remove_dir_all(to);
    std::fs::create_dir_all(to).expect("dir");
    for f in std::fs::read_dir(from).expect("read dir") {
        let f = f.expect("entry");
        if f.file_type().expect("type").is_file() {
            std::fs::copy(f.path(), to.join(f.file_name())).expect("copy");
        }
    }
}

/// A monitor process and what it prints, line by line, on both streams.
struct MonitorProcess {
    child: Child,
    lines: mpsc::Receiver<String>,
}

impl MonitorProcess {
    fn start(port: u16, vkey: &str, dir: &Path) -> Self {
        let mut child = Command::new(BIN)
            .args(["monitor", &format!("http://127.0.0.1:{port}"), "--log-key", vkey, "--interval", "1"])
            .arg("--data-dir")
            .arg(dir)
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("start the monitor");
        let (tx, lines) = mpsc::channel();
        for stream in [
            Box::new(child.stdout.take().expect("stdout")) as Box<dyn std::io::Read + Send>,
            Box::new(child.stderr.take().expect("stderr")),
        ] {
            let tx = tx.clone();
            std::thread::spawn(move || {
                for line in BufReader::new(stream).lines().map_while(Result::ok) {
                    let _ = tx.send(line);
                }
            });
        }
        Self { child, lines }
    }

    /// Waits for a line containing `text`; every line seen up to it.
    fn wait_for(&self, text: &str, within: Duration) -> Vec<String> {
        let deadline = Instant::now() + within;
        let mut seen = Vec::new();
        while let Ok(line) = self.lines.recv_timeout(deadline.saturating_duration_since(Instant::now())) {
            let found = line.contains(text);
            seen.push(line);
            if found {
                return seen;
            }
        }
        panic!("no line with {text:?} within {within:?}: {seen:?}");
    }

    fn exit_status(&mut self, within: Duration) -> Option<i32> {
        let deadline = Instant::now() + within;
        while Instant::now() < deadline {
            if let Some(status) = self.child.try_wait().expect("wait") {
                return status.code();
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        None
    }
}

impl Drop for MonitorProcess {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn stop(mut server: Child) {
    let _ = server.kill();
    let _ = server.wait();
}

#[test]
fn a_monitor_reports_a_fork_and_a_rollback_within_one_poll() {
    let (dir, _) = init_ledger();
    let (ok, out) = run_bin(dir.path(), &["init"]);
    assert!(ok, "{out}");
    let vkey = out.lines().find_map(|l| l.strip_prefix("verifier key:")).expect("the key").trim().to_owned();
    enrol(dir.path(), 1);
    let snapshot = tempfile::tempdir().expect("dir");
    copy_dir(dir.path(), snapshot.path());
    enrol(dir.path(), 2);
    let port = free_port();
    let server = start(dir.path(), port);
    let watch = tempfile::tempdir().expect("dir");
    let mut monitor = MonitorProcess::start(port, &vkey, watch.path());
    monitor.wait_for("checkpoint 3 verified: 3 new entries replayed", Duration::from_secs(30));

    // The same log cut back to its second entry and grown with another record: a fork.
    stop(server);
    copy_dir(snapshot.path(), dir.path());
    enrol(dir.path(), 3);
    let server = start(dir.path(), port);
    let said = monitor.wait_for("INCONSISTENT", Duration::from_secs(10));
    assert!(said.last().is_some_and(|l| l.contains("the log forked: the checkpoint of size 3")), "{said:?}");
    assert_eq!(monitor.exit_status(Duration::from_secs(5)), Some(2));

    // A monitor that has seen the fork's third entry, then the log rolled back to two.
    let watch = tempfile::tempdir().expect("dir");
    let mut monitor = MonitorProcess::start(port, &vkey, watch.path());
    monitor.wait_for("checkpoint 3 verified", Duration::from_secs(30));
    stop(server);
    copy_dir(snapshot.path(), dir.path());
    let server = start(dir.path(), port);
    let said = monitor.wait_for("INCONSISTENT", Duration::from_secs(10));
    assert!(said.last().is_some_and(|l| l.contains("rolled back: it now has 2 entries")), "{said:?}");
    assert_eq!(monitor.exit_status(Duration::from_secs(5)), Some(2));

    // A monitor started afresh after a restart of its own still knows what it verified.
    let (ok, out) = {
        let o = Command::new(BIN)
            .args(["monitor", &format!("http://127.0.0.1:{port}"), "--log-key", &vkey, "--once"])
            .arg("--data-dir")
            .arg(watch.path())
            .output()
            .expect("runs");
        (
            o.status.code() == Some(2),
            format!("{}{}", String::from_utf8_lossy(&o.stdout), String::from_utf8_lossy(&o.stderr)),
        )
    };
    assert!(ok && out.contains("rolled back"), "{out}");
    stop(server);
}
