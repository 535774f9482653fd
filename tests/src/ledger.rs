//! A real ledger server for end-to-end tests: `terroir-backend` as a child process on its own
//! data directory and port, which a test can stop and start again, and an operator who enrols
//! organisations over HTTP (records signed with the operator key from the data directory).

use std::path::{Path, PathBuf};
use std::process::Command;

use terroir_shared::calendar::Timestamp;
use terroir_shared::crypto::{Keypair, PublicKey};
use terroir_shared::party::{PartyId, Role};
use terroir_shared::record::{Act, Record, RegisterParty, Unsigned};

use crate::bench::client::{Server, free_port, hold_port};

pub const ORIGIN: &str = "station.test/terroir";

/// One test's ledger: a data directory, a fixed port, and two witnesses of their own
/// processes that a two-of-two policy names.
pub struct TestLedger {
    pub dir: tempfile::TempDir,
    pub port: u16,
    /// While the server is down, its port is held by a bound socket that does not listen:
    /// a client is refused, as by a stopped server, and no other test's process can take the
    /// port and answer in its place.
    hold: Option<socket2::Socket>,
    pub url: String,
    pub verifier_key: String,
    /// The witness policy the server asks its witnesses by and publishes.
    pub policy: String,
    bin: PathBuf,
    server: Option<Server>,
    _witnesses: Witnesses,
}

/// Witness processes (`terroir-backend witness`), stopped when dropped.
pub struct Witnesses(Vec<std::process::Child>);

impl Drop for Witnesses {
    fn drop(&mut self) {
        for w in &mut self.0 {
            let _ = w.kill();
            let _ = w.wait();
        }
    }
}

/// How many witnesses [`start_witnesses`] runs; a checkpoint is witnessed when all cosigned.
pub const WITNESSES: usize = 2;

/// Starts two witnesses of the log `log_vkey`, named `witness.test/w1` and `…/w2`, their data
/// under `dir`; the processes, and the C2SP tlog-policy that names the log and both (two of
/// two), written to `dir/policy` too.
pub fn start_witnesses(bin: &Path, dir: &Path, log_vkey: &str) -> anyhow::Result<(Witnesses, String)> {
    let mut witnesses = Witnesses(Vec::new());
    let mut policy = format!("log {log_vkey}\n");
    for name in ["w1", "w2"] {
        let (child, vkey, url) =
            start_witness(bin, &dir.join(name), &format!("witness.test/{name}"), log_vkey)?;
        witnesses.0.push(child);
        policy.push_str(&format!("witness {name} {vkey} {url}\n"));
    }
    policy.push_str("group both all w1 w2\nquorum both\n");
    std::fs::write(dir.join("policy"), &policy)?;
    Ok((witnesses, policy))
}

/// Waits (up to 30 s) until the checkpoint the server at `base` serves carries the
/// cosignatures of all the witnesses [`start_witnesses`] ran.
pub fn wait_witnessed(base: &str) -> anyhow::Result<()> {
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
    loop {
        let note = ureq::get(&format!("{base}/checkpoint")).call().ok().and_then(|r| r.into_string().ok());
        if note.is_some_and(|n| {
            n.lines().filter(|l| l.starts_with("\u{2014} witness.test/")).count() == WITNESSES
        }) {
            return Ok(());
        }
        anyhow::ensure!(std::time::Instant::now() < deadline, "the witnesses did not cosign within 30 s");
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
}

/// Starts `terroir-backend witness` for the log `log_vkey`: the process, its key and URL.
fn start_witness(
    bin: &Path,
    dir: &Path,
    name: &str,
    log_vkey: &str,
) -> anyhow::Result<(std::process::Child, String, String)> {
    use std::io::BufRead as _;
    let port = free_port()?;
    let mut child = Command::new(bin)
        .args(["witness", "--name", name, "--log", log_vkey, "--bind", &format!("127.0.0.1:{port}")])
        .arg("--data-dir")
        .arg(dir)
        .env("TERROIR_LOG", "warn")
        .stdout(std::process::Stdio::piped())
        .spawn()?;
    let stdout = child.stdout.take().ok_or_else(|| anyhow::anyhow!("no stdout"))?;
    let mut lines = std::io::BufReader::new(stdout).lines();
    let vkey = lines
        .next()
        .and_then(Result::ok)
        .and_then(|l| l.strip_prefix("witness key: ").map(str::to_owned))
        .ok_or_else(|| anyhow::anyhow!("the witness printed no key"))?;
    let url = lines
        .next()
        .and_then(Result::ok)
        .and_then(|l| l.strip_prefix("listening on ").map(str::to_owned))
        .ok_or_else(|| anyhow::anyhow!("the witness printed no address"))?;
    Ok((child, vkey, url))
}

/// `terroir-backend` from the target directory the running test was built in; built first if
/// this test runs alone.
pub fn backend_binary() -> anyhow::Result<PathBuf> {
    let exe = std::env::current_exe()?;
    let mut dir = exe.parent();
    while let Some(d) = dir {
        let candidate = d.join("terroir-backend");
        if candidate.is_file() && !older_than_sources(&candidate) {
            return Ok(candidate);
        }
        if d.file_name().is_some_and(|n| n == "debug" || n == "release") {
            let profile = if d.ends_with("release") { vec!["--release"] } else { vec![] };
            let status = Command::new(env!("CARGO"))
                .args(["build", "-q", "-p", "terroir-backend"])
                .args(profile)
                .env("CARGO_TARGET_DIR", d.parent().unwrap_or(d))
                .status()?;
            anyhow::ensure!(status.success() && candidate.is_file(), "cannot build terroir-backend");
            return Ok(candidate);
        }
        dir = d.parent();
    }
    anyhow::bail!("cannot find the target directory of {}", exe.display())
}

/// Whether `binary` predates a source file of the server or the core (a test run for one
/// package does not rebuild another package's binary).
fn older_than_sources(binary: &Path) -> bool {
    let Ok(built) = std::fs::metadata(binary).and_then(|m| m.modified()) else { return true };
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let mut stack: Vec<PathBuf> =
        ["backend/src", "backend/migrations", "shared/src"].iter().map(|d| root.join(d)).collect();
    while let Some(dir) = stack.pop() {
        let Ok(entries) = std::fs::read_dir(&dir) else { continue };
        for e in entries.flatten() {
            let path = e.path();
            if path.is_dir() {
                stack.push(path);
            } else if e.metadata().and_then(|m| m.modified()).is_ok_and(|m| m > built) {
                return true;
            }
        }
    }
    false
}

/// Holds `port` while the server is down. A stopped server leaves its port in `TIME_WAIT`,
/// which only a socket with `SO_REUSEADDR` may bind beside; such a hold still keeps out
/// [`free_port`]'s draws, which bind without it.
fn hold_after_stop(port: u16) -> anyhow::Result<socket2::Socket> {
    if let Ok((socket, _)) = hold_port(port) {
        return Ok(socket);
    }
    let socket = socket2::Socket::new(socket2::Domain::IPV4, socket2::Type::STREAM, None)?;
    socket.set_reuse_address(true)?;
    socket
        .bind(&std::net::SocketAddr::from(([127, 0, 0, 1], port)).into())
        .map_err(|e| anyhow::anyhow!("cannot hold port {port} after the server stopped: {e}"))?;
    Ok(socket)
}

impl TestLedger {
    /// A fresh, initialised ledger that is not running yet.
    pub fn new() -> anyhow::Result<Self> {
        let bin = backend_binary()?;
        let dir = tempfile::tempdir()?;
        let out = Command::new(&bin)
            .args(["init", "--origin", ORIGIN])
            .arg("--data-dir")
            .arg(dir.path())
            .env("TERROIR_LOG", "warn")
            .output()?;
        anyhow::ensure!(out.status.success(), "init failed: {}", String::from_utf8_lossy(&out.stderr));
        let stdout = String::from_utf8_lossy(&out.stdout);
        let verifier_key = stdout
            .lines()
            .find_map(|l| l.strip_prefix("verifier key:"))
            .map(|v| v.trim().to_owned())
            .ok_or_else(|| anyhow::anyhow!("init printed no verifier key: {stdout}"))?;
        let port = free_port()?;
        let (hold, _) = hold_port(port)?;
        let (witnesses, policy) = start_witnesses(&bin, dir.path(), &verifier_key)?;
        Ok(Self {
            dir,
            port,
            hold: Some(hold),
            url: format!("http://127.0.0.1:{port}"),
            verifier_key,
            policy,
            bin,
            server: None,
            _witnesses: witnesses,
        })
    }

    /// Starts the server, and waits until its witnesses have cosigned its latest checkpoint.
    pub fn start(&mut self) -> anyhow::Result<()> {
        if self.server.is_none() {
            let policy = self.dir.path().join("policy");
            let args = ["--policy", policy.to_str().unwrap_or_default()];
            self.hold = None;
            self.server = Some(Server::start_with(&self.bin, self.dir.path(), ORIGIN, self.port, &args)?.0);
            self.wait_witnessed()?;
        }
        Ok(())
    }

    /// Waits (up to 30 s) until the latest checkpoint carries both witnesses' cosignatures.
    pub fn wait_witnessed(&self) -> anyhow::Result<()> {
        wait_witnessed(&self.url)
    }

    /// Orderly stop (SIGTERM); the data stays for the next start.
    pub fn stop(&mut self) -> anyhow::Result<()> {
        if let Some(s) = self.server.take() {
            s.stop()?;
            self.hold = Some(hold_after_stop(self.port)?);
        }
        Ok(())
    }

    pub fn data_dir(&self) -> &Path {
        self.dir.path()
    }

    /// The operator registers an organisation: a record signed with the operator key, posted
    /// to the running server.
    pub fn enrol(&self, key: &str, name: &str, roles: &[Role]) -> anyhow::Result<()> {
        let text = std::fs::read_to_string(self.dir.path().join("operator.key"))?;
        let mut seed = [0u8; 32];
        hex::decode_to_slice(text.trim(), &mut seed)?;
        let operator = Keypair::from_seed(&seed);
        let id: PublicKey = key.parse().map_err(|e| anyhow::anyhow!("{key}: {e}"))?;
        let at = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH)?.as_millis() as u64;
        let record = Record {
            origin: ORIGIN.into(),
            party: PartyId(operator.public()),
            signer: operator.public(),
            at: Timestamp(at),
            act: Act::RegisterParty(RegisterParty {
                id: PartyId(id),
                name: name.into(),
                roles: roles.iter().copied().collect(),
                contact: None,
            }),
        };
        let signed = Unsigned::new(record).sign(&operator)?;
        let body = serde_json::to_string(&signed.envelope())?;
        ureq::post(&format!("{}/api/records", self.url))
            .set("content-type", "application/json")
            .send_string(&body)
            .map_err(|e| anyhow::anyhow!("enrolment of {name} refused: {e}"))?;
        Ok(())
    }

    /// `GET` a JSON document from the running server.
    pub fn get(&self, path: &str) -> anyhow::Result<serde_json::Value> {
        Ok(ureq::get(&format!("{}{path}", self.url)).call()?.into_json()?)
    }
}

#[cfg(test)]
mod tests {
    use super::{free_port, hold_after_stop, hold_port};

    #[test]
    fn a_held_port_refuses_clients_and_is_not_drawn_until_released() {
        let port = free_port().expect("a port");
        assert!(port < 32_768, "{port} is in the kernel's ephemeral range");
        let (hold, _) = hold_port(port).expect("hold");
        let err = std::net::TcpStream::connect(("127.0.0.1", port)).expect_err("nobody listens");
        assert_eq!(err.kind(), std::io::ErrorKind::ConnectionRefused);
        assert!(hold_port(port).is_err(), "a second draw took a held port");
        drop(hold);
        // A server that served a connection and closed it first leaves the port in TIME_WAIT.
        let server = std::net::TcpListener::bind(("127.0.0.1", port)).expect("free once released");
        let client = std::net::TcpStream::connect(("127.0.0.1", port)).expect("connect");
        drop(server.accept().expect("accept"));
        drop(server);
        std::thread::sleep(std::time::Duration::from_millis(50));
        drop(client);
        let _hold = hold_after_stop(port).expect("held again after the server stopped");
        assert!(hold_port(port).is_err(), "a draw took the port of a stopped server");
        let err = std::net::TcpStream::connect(("127.0.0.1", port)).expect_err("nobody listens");
        assert_eq!(err.kind(), std::io::ErrorKind::ConnectionRefused);
    }
}
