//! The release server as a child process on 127.0.0.1, and keep-alive HTTP load against it.

use std::io::Read as _;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use super::ORIGIN;

/// `terroir-backend` next to this binary (both are built into the same `target/release`).
pub fn server_binary() -> anyhow::Result<PathBuf> {
    let exe = std::env::current_exe()?;
    let dir = exe.parent().ok_or_else(|| anyhow::anyhow!("no directory for {}", exe.display()))?;
    let bin = dir.join("terroir-backend");
    anyhow::ensure!(
        bin.exists(),
        "{} is missing: build it first with `cargo build --release -p terroir-backend`",
        bin.display()
    );
    Ok(bin)
}

/// `terroir-backend init`: the data directory, database and keys.
pub fn init(bin: &Path, dir: &Path) -> anyhow::Result<()> {
    let out = Command::new(bin)
        .args(["init", "--origin", ORIGIN])
        .arg("--data-dir")
        .arg(dir)
        .env("TERROIR_LOG", "warn")
        .output()?;
    anyhow::ensure!(out.status.success(), "init failed: {}", String::from_utf8_lossy(&out.stderr));
    Ok(())
}

/// A port for a server a test starts: drawn at random below the kernel's ephemeral range
/// (32768–60999 on Linux), so that no socket bound to port 0 and no outgoing connection
/// takes it between now and the server's start, or while the server is stopped for a
/// restart; free when drawn (bound without `SO_REUSEADDR`, so not even in `TIME_WAIT`).
pub fn free_port() -> anyhow::Result<u16> {
    use std::hash::{BuildHasher as _, RandomState};
    let random = RandomState::new();
    for attempt in 0u32..1000 {
        let port = 20_000 + (random.hash_one((attempt, std::process::id())) % 12_768) as u16;
        if hold_port(port).is_ok() {
            return Ok(port);
        }
    }
    anyhow::bail!("no free port between 20000 and 32767 in 1000 tries")
}

/// Binds 127.0.0.1:`port` (0: any) without listening and without `SO_REUSEADDR`, so that no
/// other socket can bind it while this one lives and a client is refused as by a stopped
/// server; the socket and its port.
pub fn hold_port(port: u16) -> std::io::Result<(socket2::Socket, u16)> {
    let socket = socket2::Socket::new(socket2::Domain::IPV4, socket2::Type::STREAM, None)?;
    socket.bind(&std::net::SocketAddr::from(([127, 0, 0, 1], port)).into())?;
    let port = socket.local_addr()?.as_socket().map_or(port, |a| a.port());
    Ok((socket, port))
}

pub fn agent() -> ureq::Agent {
    ureq::AgentBuilder::new()
        .max_idle_connections(512)
        .max_idle_connections_per_host(512)
        .timeout(Duration::from_secs(120))
        .build()
}

/// A running server; stopped (SIGTERM, then SIGKILL) when dropped.
pub struct Server {
    child: Option<Child>,
    pub base: String,
}

impl Server {
    /// Starts the server on a free port; returns it and the time until `/healthz` answered.
    pub fn start(bin: &Path, dir: &Path) -> anyhow::Result<(Server, Duration)> {
        Self::start_on(bin, dir, ORIGIN, free_port()?)
    }

    /// Starts the server for the log `origin` on `port` (the same port again after a restart).
    pub fn start_on(bin: &Path, dir: &Path, origin: &str, port: u16) -> anyhow::Result<(Server, Duration)> {
        Self::start_with(bin, dir, origin, port, &[])
    }

    /// [`Server::start_on`] with more arguments to `serve`.
    pub fn start_with(
        bin: &Path,
        dir: &Path,
        origin: &str,
        port: u16,
        args: &[&str],
    ) -> anyhow::Result<(Server, Duration)> {
        let started = Instant::now();
        let child = Command::new(bin)
            .args(["serve", "--origin", origin, "--bind", &format!("127.0.0.1:{port}")])
            .args(args)
            .arg("--data-dir")
            .arg(dir)
            .env("TERROIR_LOG", "warn")
            .stdout(Stdio::null())
            .spawn()?;
        let server = Server { child: Some(child), base: format!("http://127.0.0.1:{port}") };
        let probe = ureq::AgentBuilder::new().timeout(Duration::from_secs(2)).build();
        let deadline = started + Duration::from_secs(120);
        loop {
            if probe.get(&format!("{}/healthz", server.base)).call().is_ok() {
                return Ok((server, started.elapsed()));
            }
            anyhow::ensure!(Instant::now() < deadline, "the server did not answer /healthz within 120 s");
            std::thread::sleep(Duration::from_millis(2));
        }
    }

    /// Orderly stop: SIGTERM, so the group in flight is committed; SIGKILL after 60 s.
    pub fn stop(mut self) -> anyhow::Result<()> {
        self.halt()
    }

    fn halt(&mut self) -> anyhow::Result<()> {
        let Some(mut child) = self.child.take() else { return Ok(()) };
        let _ = Command::new("kill").arg("-TERM").arg(child.id().to_string()).status();
        let deadline = Instant::now() + Duration::from_secs(60);
        while Instant::now() < deadline {
            if child.try_wait()?.is_some() {
                return Ok(());
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        child.kill()?;
        child.wait()?;
        anyhow::bail!("the server did not stop within 60 s of SIGTERM")
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.halt();
    }
}

/// POSTs a batch; returns how many records were accepted.
pub fn post_batch(agent: &ureq::Agent, base: &str, body: &str) -> anyhow::Result<u64> {
    let resp = agent
        .post(&format!("{base}/api/records/batch"))
        .set("content-type", "application/json")
        .send_string(body)
        .map_err(|e| anyhow::anyhow!("batch POST: {e}"))?;
    let mut bytes = Vec::new();
    resp.into_reader().take(256 << 20).read_to_end(&mut bytes)?;
    let needle = b"\"outcome\":\"accepted\"";
    Ok(bytes.windows(needle.len()).filter(|w| w == needle).count() as u64)
}

/// Posts `bodies` (each a batch of `per_body` records) from `threads` keep-alive clients;
/// returns (accepted, wall time).
pub fn ingest(base: &str, bodies: &[String], threads: usize) -> anyhow::Result<(u64, Duration)> {
    let agent = agent();
    let next = AtomicU64::new(0);
    let accepted = AtomicU64::new(0);
    let started = Instant::now();
    let results: Vec<anyhow::Result<()>> = std::thread::scope(|s| {
        let handles: Vec<_> = (0..threads)
            .map(|_| {
                s.spawn(|| -> anyhow::Result<()> {
                    loop {
                        let k = next.fetch_add(1, Ordering::Relaxed) as usize;
                        let Some(body) = bodies.get(k) else { return Ok(()) };
                        accepted.fetch_add(post_batch(&agent, base, body)?, Ordering::Relaxed);
                    }
                })
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap_or_else(|_| Err(anyhow::anyhow!("panic")))).collect()
    });
    let elapsed = started.elapsed();
    for r in results {
        r?;
    }
    Ok((accepted.load(Ordering::Relaxed), elapsed))
}

/// What a closed-loop load run measured.
#[derive(Clone, Debug)]
pub struct Load {
    /// Sorted latencies, µs.
    pub latencies_us: Vec<u32>,
    pub ok: u64,
    pub errors: u64,
    pub elapsed: Duration,
}

impl Load {
    pub fn per_second(&self) -> f64 {
        self.ok as f64 / self.elapsed.as_secs_f64()
    }

    pub fn p(&self, p: f64) -> f64 {
        super::percentile(&self.latencies_us, p)
    }

    /// This load and `other` as one: their requests, errors and times added up.
    fn absorb(&mut self, other: Load) {
        self.latencies_us.extend(other.latencies_us);
        self.latencies_us.sort_unstable();
        self.ok += other.ok;
        self.errors += other.errors;
        self.elapsed += other.elapsed;
    }
}

/// A request made by a closed-loop client: `(agent, thread, n)` → the latency to count.
pub type Request<'a> = &'a (dyn Fn(&ureq::Agent, usize, u64) -> Result<Duration, String> + Sync);

/// Closed-loop loads measured side by side: `rounds` rounds, in each of which every load runs
/// for `duration / rounds` in turn, so that a host whose speed drifts over a run (a shared
/// virtual machine's does, by tens of percent) weighs on every load alike. Returns each load's
/// sum over the rounds, in the order given.
pub fn interleaved(threads: usize, duration: Duration, rounds: u32, requests: &[Request<'_>]) -> Vec<Load> {
    let slice = duration / rounds.max(1);
    let mut sums: Vec<Load> = requests
        .iter()
        .map(|_| Load { latencies_us: Vec::new(), ok: 0, errors: 0, elapsed: Duration::ZERO })
        .collect();
    for _ in 0..rounds.max(1) {
        for (sum, request) in sums.iter_mut().zip(requests) {
            sum.absorb(closed_loop(threads, slice, u64::MAX, request));
        }
    }
    sums
}

/// `threads` clients sharing one keep-alive agent, each calling `request(agent, thread, n)` in a
/// loop until `duration` has passed or it has made `max_per_thread` requests. `request` returns
/// the latency to count (or an error, counted).
pub fn closed_loop<F>(threads: usize, duration: Duration, max_per_thread: u64, request: F) -> Load
where
    F: Fn(&ureq::Agent, usize, u64) -> Result<Duration, String> + Sync,
{
    let agent = agent();
    let started = Instant::now();
    let deadline = started + duration;
    let per_thread: Vec<(Vec<u32>, u64)> = std::thread::scope(|s| {
        let handles: Vec<_> = (0..threads)
            .map(|t| {
                let (agent, request) = (&agent, &request);
                s.spawn(move || {
                    let mut lat = Vec::with_capacity(4_096);
                    let mut errors = 0u64;
                    let mut n = 0u64;
                    while n < max_per_thread && Instant::now() < deadline {
                        match request(agent, t, n) {
                            Ok(d) => lat.push(u32::try_from(d.as_micros()).unwrap_or(u32::MAX)),
                            Err(_) => errors += 1,
                        }
                        n += 1;
                    }
                    (lat, errors)
                })
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap_or_default()).collect()
    });
    let elapsed = started.elapsed();
    let mut latencies_us = Vec::new();
    let mut errors = 0;
    for (l, e) in per_thread {
        latencies_us.extend(l);
        errors += e;
    }
    latencies_us.sort_unstable();
    Load { ok: latencies_us.len() as u64, latencies_us, errors, elapsed }
}

/// A GET whose latency is the time to the first byte (the status line and headers); the body
/// is then read to the end so the connection is reused.
pub fn get_ttfb(agent: &ureq::Agent, url: &str, accept: &str) -> Result<Duration, String> {
    let started = Instant::now();
    let resp = agent.get(url).set("accept", accept).call().map_err(|e| e.to_string())?;
    let ttfb = started.elapsed();
    let mut sink = Vec::new();
    resp.into_reader().take(16 << 20).read_to_end(&mut sink).map_err(|e| e.to_string())?;
    Ok(ttfb)
}

/// A POST of one record; the latency is until the whole answer was read.
pub fn post_one(agent: &ureq::Agent, url: &str, body: &str) -> Result<Duration, String> {
    let started = Instant::now();
    let resp = agent
        .post(url)
        .set("content-type", "application/json")
        .send_string(body)
        .map_err(|e| e.to_string())?;
    let status = resp.status();
    let mut sink = Vec::new();
    resp.into_reader().take(16 << 20).read_to_end(&mut sink).map_err(|e| e.to_string())?;
    if status != 201 {
        return Err(format!("status {status}"));
    }
    Ok(started.elapsed())
}
