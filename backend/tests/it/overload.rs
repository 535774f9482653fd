//! Overload: clients that trickle a request's head or body, bodies declared or sent beyond the
//! limit, more large uploads at once than the server holds, 10,000 idle connections, a burst of
//! label scans at ten times the measured capacity. The server stays up, answers each with a
//! problem rather than holding it forever, bounds its memory, and serves everyone else
//! meanwhile.

use std::io::{ErrorKind, Read, Write};
use std::net::TcpStream;
use std::time::{Duration, Instant};

use crate::crash::{KillOnDrop, ORIGIN, free_port, init_ledger, rss_mib, serve};

/// A server on a new ledger, started with `args`: its data directory, process, port and base URL.
fn start(args: &[&str]) -> (tempfile::TempDir, KillOnDrop, u16, String) {
    start_with(args, |_| {})
}

/// A server on a new ledger, which `prepare` is given first.
fn start_with(
    args: &[&str],
    prepare: impl FnOnce(&std::path::Path),
) -> (tempfile::TempDir, KillOnDrop, u16, String) {
    let (dir, _) = init_ledger();
    prepare(dir.path());
    let port = free_port();
    let server = KillOnDrop(serve(dir.path(), port, &[&["--origin", ORIGIN], args].concat()));
    (dir, server, port, format!("http://127.0.0.1:{port}"))
}

/// The most open files the system allows this process (and the servers it starts): the phones
/// of a burst hold thousands of connections.
fn raise_open_files() {
    use rustix::process::{Resource, getrlimit, setrlimit};
    let limit = getrlimit(Resource::Nofile);
    let _ = setrlimit(
        Resource::Nofile,
        rustix::process::Rlimit { current: limit.maximum, maximum: limit.maximum },
    );
}

/// Keeps this thread (and the processes it starts) on one CPU: whether it could.
fn pin_to(cpu: usize) -> bool {
    let mut set = rustix::thread::CpuSet::new();
    set.set(cpu);
    rustix::thread::sched_setaffinity(None, &set).is_ok()
}

fn open_files(pid: u32) -> usize {
    std::fs::read_dir(format!("/proc/{pid}/fd")).map_or(0, |d| d.count())
}

/// How long `GET /healthz` takes now.
fn healthz(base: &str) -> Duration {
    let started = Instant::now();
    let answer = ureq::get(&format!("{base}/healthz")).timeout(Duration::from_secs(10)).call();
    assert_eq!(answer.map(|r| r.status()).ok(), Some(200), "healthz answers");
    started.elapsed()
}

/// A connection that has sent `head` (and nothing more).
fn connect(port: u16, head: &str) -> TcpStream {
    let mut stream = TcpStream::connect(("127.0.0.1", port)).expect("connect");
    stream.write_all(head.as_bytes()).expect("head");
    stream
}

/// What the server has said on `stream` so far, without waiting; `None` once it closed it.
fn heard(stream: &mut TcpStream, said: &mut Vec<u8>) -> Option<()> {
    stream.set_nonblocking(true).expect("nonblocking");
    let mut buf = [0u8; 4096];
    loop {
        match stream.read(&mut buf) {
            Ok(0) => return None,
            Ok(n) => said.extend_from_slice(&buf[..n]),
            Err(e) if e.kind() == ErrorKind::WouldBlock => return Some(()),
            Err(_) => return None,
        }
    }
}

fn status_of(said: &[u8]) -> Option<u16> {
    let text = String::from_utf8_lossy(&said[..said.len().min(16)]);
    text.strip_prefix("HTTP/1.1 ")?.get(..3)?.parse().ok()
}

fn post_head(length: u64) -> String {
    format!(
        "POST /api/records HTTP/1.1\r\nHost: ledger\r\nContent-Type: application/json\r\nContent-Length: {length}\r\n\r\n"
    )
}

#[test]
fn clients_that_trickle_heads_or_bodies_are_cut_off_while_others_are_served() {
    let (_dir, server, port, base) = start(&[]);
    let started = Instant::now();
    // Heads one byte a second; bodies of 100,000 bytes at two bytes a second.
    let mut heads: Vec<TcpStream> =
        (0..100).map(|_| connect(port, "POST /api/records HTTP/1.1\r\nX-")).collect();
    let mut bodies: Vec<TcpStream> = (0..100).map(|_| connect(port, &post_head(100_000))).collect();
    let (mut head_closed, mut body_answers) = (vec![None; heads.len()], vec![Vec::new(); bodies.len()]);
    let mut body_done = vec![None; bodies.len()];
    let mut slowest = Duration::ZERO;
    while started.elapsed() < Duration::from_secs(40) && body_done.iter().any(Option::is_none) {
        std::thread::sleep(Duration::from_millis(500));
        for (i, s) in heads.iter_mut().enumerate() {
            if head_closed[i].is_none() && (s.write_all(b"a").is_err() || heard(s, &mut Vec::new()).is_none())
            {
                head_closed[i] = Some(started.elapsed());
            }
        }
        for (i, s) in bodies.iter_mut().enumerate() {
            if body_done[i].is_none()
                && (s.write_all(b" ").is_err() || heard(s, &mut body_answers[i]).is_none())
            {
                body_done[i] = Some(started.elapsed());
            }
        }
        slowest = slowest.max(healthz(&base));
    }
    let heads_cut = head_closed.iter().flatten().max().copied().unwrap_or(Duration::MAX);
    assert!(head_closed.iter().all(Option::is_some), "every trickled head was cut off");
    assert!(heads_cut < Duration::from_secs(15), "heads cut off after {heads_cut:?}");
    for (i, said) in body_answers.iter().enumerate() {
        let text = String::from_utf8_lossy(said);
        assert_eq!(status_of(said), Some(408), "trickled body {i}: {text}");
        assert!(text.contains("\"code\":\"request_timeout\""), "{text}");
    }
    let bodies_cut = body_done.iter().flatten().max().copied().unwrap_or(Duration::MAX);
    assert!(bodies_cut < Duration::from_secs(35), "bodies cut off after {bodies_cut:?}");
    assert!(slowest < Duration::from_secs(1), "/healthz took {slowest:?} meanwhile");
    println!(
        "100 trickled heads cut off within {heads_cut:?}, 100 trickled bodies answered 408 within \
         {bodies_cut:?}; /healthz meanwhile at worst {slowest:?}"
    );
    drop(server);
}

#[test]
fn oversized_endless_and_too_many_bodies_are_refused_without_holding_them() {
    // A 1 MiB body limit: the server holds 16 MiB of bodies at once.
    let (_dir, server, port, base) = start(&["--max-body-bytes", "1048576"]);
    let pid = server.id();
    let before = rss_mib(pid);

    // Declared beyond the limit: refused before a byte of it is sent.
    let mut declared = connect(port, &post_head(1 << 30));
    declared.set_read_timeout(Some(Duration::from_secs(5))).expect("timeout");
    let mut said = [0u8; 1024];
    let n = declared.read(&mut said).expect("an answer before the body");
    assert_eq!(status_of(&said[..n]), Some(413), "{}", String::from_utf8_lossy(&said[..n]));

    // Sent without end: refused once past the limit; the sender's writes then fail.
    let mut endless = connect(
        port,
        "POST /api/records/batch HTTP/1.1\r\nHost: ledger\r\nTransfer-Encoding: chunked\r\n\r\n",
    );
    let mut reader = endless.try_clone().expect("clone");
    let chunk = format!("{:x}\r\n{}\r\n", 64 * 1024, " ".repeat(64 * 1024));
    let sender = std::thread::spawn(move || {
        let (started, mut sent) = (Instant::now(), 0usize);
        while started.elapsed() < Duration::from_secs(30) && endless.write_all(chunk.as_bytes()).is_ok() {
            sent += 64 * 1024;
        }
        (started.elapsed(), sent)
    });
    reader.set_read_timeout(Some(Duration::from_secs(10))).expect("timeout");
    let n = reader.read(&mut said).expect("an answer");
    assert_eq!(status_of(&said[..n]), Some(413), "{}", String::from_utf8_lossy(&said[..n]));
    drop(reader);
    let (cut, sent) = sender.join().expect("sender");
    assert!(cut < Duration::from_secs(5), "the server read an endless body for {cut:?} ({} MiB)", sent >> 20);

    // Twenty-four uploads of almost 1 MiB each, held open before their last bytes: sixteen fit
    // the budget; the others are refused with 503 busy rather than held.
    let mut held: Vec<TcpStream> = (0..24)
        .map(|_| {
            let mut s = connect(port, &post_head(1_000_000));
            // A refused upload is closed: the rest of its writes fail.
            let _ = s.write_all(&vec![b' '; 990_000]);
            s
        })
        .collect();
    std::thread::sleep(Duration::from_secs(2));
    let mut busy = 0;
    for s in &mut held {
        let mut said = Vec::new();
        let _ = heard(s, &mut said);
        if let Some(status) = status_of(&said) {
            let text = String::from_utf8_lossy(&said);
            assert_eq!(status, 503, "{text}");
            assert!(
                text.contains("\"code\":\"busy\"") && text.to_lowercase().contains("retry-after: 5"),
                "{text}"
            );
            busy += 1;
        }
    }
    assert!((8..=16).contains(&busy), "{busy} of 24 uploads refused; at most 16 fit the budget");
    let during = rss_mib(pid);
    // Others are still served: a small submission finds room in what is left.
    let answer =
        ureq::post(&format!("{base}/api/records")).set("content-type", "application/json").send_string("{}");
    assert!(
        matches!(answer, Err(ureq::Error::Status(400, _))),
        "a small body is read and judged: {answer:?}"
    );
    drop(held);
    println!(
        "1 GiB declared: 413 before the body; an endless body: 413, the connection closed after {cut:?} \
         ({} MiB sent); 24 uploads of 1 MiB: {busy} refused 503 busy; memory {before:.0} MiB before, \
         {during:.0} MiB while 16 MiB of bodies were held",
        sent >> 20
    );
    assert!(during - before < 64.0, "memory grew by {:.0} MiB", during - before);
    healthz(&base);
}

#[test]
fn ten_thousand_idle_connections_do_not_stop_the_ledger() {
    let _alone = crate::crash::alone();
    let (_dir, server, port, base) = start(&[]);
    let pid = server.id();
    let (files_before, rss_before) = (open_files(pid), rss_mib(pid));
    let opened = Instant::now();
    let idle: Vec<TcpStream> =
        (0..10_000).map(|_| TcpStream::connect(("127.0.0.1", port)).expect("connect")).collect();
    let deadline = Instant::now() + Duration::from_secs(10);
    while open_files(pid) < files_before + idle.len() {
        assert!(
            Instant::now() < deadline,
            "the server accepted only {} connections",
            open_files(pid) - files_before
        );
        std::thread::sleep(Duration::from_millis(50));
    }
    let accepted = opened.elapsed();
    let mut times: Vec<Duration> = (0..100).map(|_| healthz(&base)).collect();
    times.sort();
    let rss_during = rss_mib(pid);
    assert!(
        times[98] < Duration::from_millis(500),
        "/healthz p99 {:?} beside 10,000 idle connections",
        times[98]
    );
    // A client that sends nothing is closed after the server's 10 s for a request's head.
    let deadline = Instant::now() + Duration::from_secs(30);
    while open_files(pid) > files_before + 100 {
        assert!(Instant::now() < deadline, "{} connections still open", open_files(pid) - files_before);
        std::thread::sleep(Duration::from_millis(200));
    }
    let closed = opened.elapsed();
    drop(idle);
    println!(
        "10,000 idle connections accepted in {accepted:?}, closed by the server after {closed:?}; \
         /healthz meanwhile p50 {:?}, p99 {:?}; memory {rss_before:.0} MiB before, {rss_during:.0} MiB with them",
        times[50], times[98]
    );
    // Connections keep their buffers while they stay open (about 45 KiB each when busy); the
    // server holds a bounded number of them, and the phones' side here at most PROXY_HOLDS.
    assert!(rss_during - rss_before < 512.0, "memory grew by {:.0} MiB", rss_during - rss_before);
    healthz(&base);
}

/// Lots in the burst's ledger: enough that random scans seldom meet a page already kept.
const LOTS: u64 = 40_000;

/// `count` lots of tea commissioned by a co-op, in batches: their label paths.
fn lots(base: &str, operator: &terroir_shared::crypto::Keypair, count: u64) -> Vec<String> {
    use terroir_shared::gs1::DigitalLink;
    use terroir_shared::party::{PartyId, Role};
    use terroir_shared::record::{Act, Commission};
    let coop = terroir_shared::crypto::Keypair::from_seed(&[31; 32]);
    crate::crash::register(base, operator, &coop, "Co-op", Role::Cooperative);
    let mut labels = Vec::new();
    for first in (0..count).step_by(10_000) {
        let batch: Vec<_> = (first..(first + 10_000).min(count))
            .map(|n| {
                let path = format!("/01/09506000134352/10/B{n}");
                let mut lot = crate::support::tea_lot("Laobanzhang", 10);
                lot.gs1 = Some(DigitalLink::parse(&path).expect("link"));
                labels.push(path);
                crate::crash::sign(
                    &coop,
                    PartyId(coop.public()),
                    crate::crash::now_ms() + n,
                    Act::Commission(Commission::new(vec![lot])),
                )
            })
            .collect();
        let answer = ureq::post(&format!("{base}/api/records/batch"))
            .timeout(Duration::from_secs(300))
            .send_json(&batch)
            .expect("batch");
        let results: terroir_shared::api::BatchResult = answer.into_json().expect("results");
        let accepted =
            results.results.iter().filter(|r| matches!(r, terroir_shared::api::BatchItem::Accepted { .. }));
        assert_eq!(accepted.count(), batch.len(), "{:.300?}", results.results.first());
    }
    labels
}

/// What one scan got.
struct Scan {
    /// When it was sent, from the start of its phase.
    at: Duration,
    took: Duration,
    /// The status, or what went wrong before one came.
    answer: Result<u16, String>,
    /// A `503` that was a `busy` problem with `Retry-After`.
    busy: bool,
}

/// Kept-alive connections to the server, as a proxy in front of the ledger (or a carrier's
/// gateway) keeps them: a scan takes one that is free, or opens another up to [`PROXY_HOLDS`],
/// or waits for one.
#[derive(Default)]
struct Connections {
    free: std::sync::Mutex<Vec<tokio::io::BufReader<tokio::net::TcpStream>>>,
    open: std::sync::atomic::AtomicUsize,
    opened: std::sync::atomic::AtomicUsize,
    freed: tokio::sync::Notify,
}

/// A connection taken: closed (and counted so) when dropped unless given back.
struct Held<'a>(Option<tokio::io::BufReader<tokio::net::TcpStream>>, &'a Connections);

impl Drop for Held<'_> {
    fn drop(&mut self) {
        if self.0.take().is_some() {
            self.1.closed();
        }
    }
}

/// The most connections the phones' side holds to the server.
const PROXY_HOLDS: usize = 8_000;

impl Connections {
    async fn take(&self, port: u16) -> Result<tokio::io::BufReader<tokio::net::TcpStream>, String> {
        use std::sync::atomic::Ordering::Relaxed;
        loop {
            if let Some(free) = self.free.lock().expect("free").pop() {
                return Ok(free);
            }
            if self.open.fetch_add(1, Relaxed) < PROXY_HOLDS {
                break;
            }
            self.open.fetch_sub(1, Relaxed);
            self.freed.notified().await;
        }
        // Each from one of many loopback addresses, so that thousands do not run out of ports.
        let n = self.opened.fetch_add(1, Relaxed);
        let source = std::net::Ipv4Addr::new(127, 0, 1 + (n / 200 % 200) as u8, 2 + (n % 200) as u8);
        let connected = async {
            let socket = tokio::net::TcpSocket::new_v4().map_err(|e| e.to_string())?;
            socket.bind((source, 0).into()).map_err(|e| format!("bind: {e}"))?;
            socket.connect(([127, 0, 0, 1], port).into()).await.map_err(|e| format!("connect: {e}"))
        };
        match connected.await {
            Ok(stream) => Ok(tokio::io::BufReader::new(stream)),
            Err(e) => {
                self.closed();
                Err(e)
            }
        }
    }

    fn give_back(&self, mut held: Held<'_>) {
        if let Some(conn) = held.0.take() {
            self.free.lock().expect("free").push(conn);
            self.freed.notify_one();
        }
    }

    fn closed(&self) {
        self.open.fetch_sub(1, std::sync::atomic::Ordering::Relaxed);
        self.freed.notify_one();
    }
}

/// A label scanned: the page asked for as a phone's browser asks, the answer read to its end
/// (its head and first kilobyte kept), within 10 s.
async fn scan(port: u16, connections: &Connections, path: &str) -> (Duration, Result<Vec<u8>, String>) {
    use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt};
    let started = tokio::time::Instant::now();
    let exchange = async {
        let mut held = Held(Some(connections.take(port).await?), connections);
        let conn = held.0.as_mut().expect("taken");
        let head = format!(
            "GET {path} HTTP/1.1\r\nHost: ledger\r\nAccept: text/html,*/*;q=0.8\r\nAccept-Encoding: gzip\r\n\r\n"
        );
        conn.get_mut().write_all(head.as_bytes()).await.map_err(|e| format!("write: {e}"))?;
        let mut said = Vec::new();
        let (mut length, mut chunked, mut close) = (None, false, false);
        loop {
            let start = said.len();
            if conn.read_until(b'\n', &mut said).await.map_err(|e| format!("read: {e}"))? == 0 {
                return Err(format!("closed after {} bytes", said.len()));
            }
            let line = String::from_utf8_lossy(&said[start..]).trim().to_lowercase();
            if line.is_empty() {
                break;
            }
            if let Some(v) = line.strip_prefix("content-length:") {
                length = v.trim().parse::<usize>().ok();
            }
            chunked |= line.starts_with("transfer-encoding:") && line.contains("chunked");
            close |= line.starts_with("connection:") && line.contains("close");
        }
        let mut body = Vec::new();
        let read_err = |e: std::io::Error| format!("read body: {e}");
        if chunked {
            loop {
                let mut size = String::new();
                conn.read_line(&mut size).await.map_err(read_err)?;
                let size = usize::from_str_radix(size.trim().split(';').next().unwrap_or(""), 16)
                    .map_err(|e| format!("chunk size {size:?}: {e}"))?;
                let mut chunk = vec![0; size + 2];
                conn.read_exact(&mut chunk).await.map_err(read_err)?;
                if size == 0 {
                    break;
                }
                body.extend_from_slice(&chunk[..size]);
            }
        } else if let Some(length) = length {
            body.resize(length, 0);
            conn.read_exact(&mut body).await.map_err(read_err)?;
        } else {
            conn.read_to_end(&mut body).await.map_err(read_err)?;
            close = true;
        }
        said.extend_from_slice(&body[..body.len().min(1024)]);
        if !close {
            connections.give_back(held);
        }
        Ok(said)
    };
    let answer = tokio::time::timeout(Duration::from_secs(10), exchange)
        .await
        .unwrap_or_else(|_| Err("no answer in 10 s".into()));
    (started.elapsed(), answer)
}

fn judged(at: Duration, (took, answer): (Duration, Result<Vec<u8>, String>)) -> Scan {
    let answer = answer.and_then(|said| {
        let status =
            status_of(&said).ok_or_else(|| format!("not HTTP: {:.100}", String::from_utf8_lossy(&said)))?;
        Ok((status, said))
    });
    // A problem document is short: its head and body are in its first kilobyte.
    let busy = answer.as_ref().is_ok_and(|(status, said)| {
        let text = String::from_utf8_lossy(&said[..said.len().min(1024)]).to_lowercase();
        *status == 503 && text.contains("\"code\":\"busy\"") && text.contains("\r\nretry-after: 1\r\n")
    });
    Scan { at, took, answer: answer.map(|(status, _)| status), busy }
}

/// Scans of random `labels` for `length`: from `clients` phones one after another, or, with
/// `rate`, at that many a second whatever the answers (as a crowd scans, not waiting for
/// each other).
fn scans(port: u16, labels: &[String], length: Duration, clients: usize, rate: Option<f64>) -> Vec<Scan> {
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().expect("runtime");
    let labels = std::sync::Arc::new(labels.to_vec());
    runtime.block_on(async move {
        let started = tokio::time::Instant::now();
        let connections = std::sync::Arc::new(Connections::default());
        let mut tasks = tokio::task::JoinSet::new();
        match rate {
            None => {
                for client in 0..clients {
                    let (labels, connections) = (labels.clone(), connections.clone());
                    tasks.spawn(async move {
                        let mut rng = crate::crash::Rng(client as u64 + 1);
                        let mut done = Vec::new();
                        while started.elapsed() < length {
                            let at = started.elapsed();
                            let label = &labels[rng.below(labels.len() as u64) as usize];
                            done.push(judged(at, scan(port, &connections, label).await));
                        }
                        done
                    });
                }
            }
            Some(rate) => {
                let total = (rate * length.as_secs_f64()) as usize;
                let mut rng = crate::crash::Rng(7);
                for n in 0..total {
                    tokio::time::sleep_until(started + Duration::from_secs_f64(n as f64 / rate)).await;
                    let label = labels[rng.below(labels.len() as u64) as usize].clone();
                    let at = started.elapsed();
                    let connections = connections.clone();
                    tasks.spawn(async move { vec![judged(at, scan(port, &connections, &label).await)] });
                }
            }
        }
        let mut all = Vec::new();
        while let Some(done) = tasks.join_next().await {
            all.extend(done.expect("scans"));
        }
        all
    })
}

fn quantile(scans: &[&Scan], q: f64) -> Duration {
    let mut times: Vec<Duration> = scans.iter().map(|s| s.took).collect();
    times.sort();
    times
        .get(((times.len() as f64 * q) as usize).min(times.len().saturating_sub(1)))
        .copied()
        .unwrap_or_default()
}

#[test]
fn a_burst_of_scans_at_ten_times_capacity_is_answered_busy_not_left_to_time_out() {
    let _alone = crate::crash::alone();
    raise_open_files();
    // The server on one core, the phones on the other, so that their work does not take from
    // its (the server inherits this thread's cores).
    let pinned = std::thread::available_parallelism().map_or(1, usize::from) >= 2 && pin_to(0);
    let (dir, operator) = init_ledger();
    let port = free_port();
    let base = format!("http://127.0.0.1:{port}");
    let server = KillOnDrop(serve(dir.path(), port, &["--origin", ORIGIN]));
    let pinned = pinned && pin_to(1);
    let labels = lots(&base, &operator, LOTS);
    let pid = server.id();
    let rss_before = rss_mib(pid);

    // Capacity: 32 phones scanning random lots one after another on kept-alive connections.
    // Among this many lots nearly every scan is the first of its label, whose page is built
    // for it (a page is kept from its second scan on, and then costs a tenth as much).
    let length = Duration::from_secs(3);
    let measured = scans(port, &labels, length, 32, None);
    let served: Vec<&Scan> = measured.iter().filter(|s| s.answer == Ok(200)).collect();
    assert_eq!(served.len(), measured.len(), "every scan answered while within capacity");
    let capacity = served.len() as f64 / length.as_secs_f64();

    // The burst: ten times that, for 5 s, whatever the answers.
    let length = Duration::from_secs(5);
    let burst = scans(port, &labels, length, 0, Some(10.0 * capacity));
    let rss_during = rss_mib(pid);
    let failed: Vec<String> = burst.iter().filter_map(|s| s.answer.as_ref().err().cloned()).collect();
    let odd: Vec<u16> = burst
        .iter()
        .filter_map(|s| s.answer.clone().ok())
        .filter(|status| *status != 200 && *status != 503)
        .collect();
    let answered: Vec<&Scan> = burst.iter().filter(|s| s.answer.is_ok()).collect();
    let served_burst: Vec<&Scan> = burst.iter().filter(|s| s.answer == Ok(200)).collect();
    let refused: Vec<&Scan> = burst.iter().filter(|s| s.answer == Ok(503)).collect();
    let sent_for = burst.iter().map(|s| s.at).max().unwrap_or_default();
    println!(
        "server {}; capacity {capacity:.0} scans/s (32 phones, p50 {:?}, p99 {:?}); a burst of {} scans in {sent_for:.1?} \
         ({:.0}/s, {:.1}x): {} served (p99 {:?}), {} refused busy (p99 {:?}), {} failed {:?}; every answer's p99 {:?}; \
         memory {rss_before:.0} MiB before, {rss_during:.0} MiB after",
        if pinned { "on one core, phones on another" } else { "and phones sharing the cores" },
        quantile(&served, 0.5),
        quantile(&served, 0.99),
        burst.len(),
        burst.len() as f64 / sent_for.as_secs_f64(),
        burst.len() as f64 / sent_for.as_secs_f64() / capacity,
        served_burst.len(),
        quantile(&served_burst, 0.99),
        refused.len(),
        quantile(&refused, 0.99),
        failed.len(),
        failed.iter().take(3).collect::<Vec<_>>(),
        quantile(&answered, 0.99),
    );
    assert!(failed.is_empty(), "{} scans got no answer: {:?}", failed.len(), &failed[..failed.len().min(5)]);
    assert!(odd.is_empty(), "answers other than 200 and 503: {odd:?}");
    assert!(refused.iter().all(|s| s.busy), "every 503 is a busy problem with Retry-After: 1");
    assert!(!refused.is_empty(), "a burst at ten times capacity is refused in part");
    assert!(
        served_burst.len() as f64 >= 0.5 * capacity * length.as_secs_f64(),
        "the server kept serving during the burst: {} scans in {length:?}",
        served_burst.len()
    );
    // Connections keep their buffers while they stay open (about 45 KiB each when busy); the
    // server holds a bounded number of them, and the phones' side here at most PROXY_HOLDS.
    assert!(rss_during - rss_before < 512.0, "memory grew by {:.0} MiB", rss_during - rss_before);

    // After it (and a second for the last refused phones to go): served as before.
    std::thread::sleep(Duration::from_secs(1));
    let after = scans(port, &labels, Duration::from_secs(2), 32, None);
    let served_after: Vec<&Scan> = after.iter().filter(|s| s.answer == Ok(200)).collect();
    assert_eq!(served_after.len(), after.len(), "every scan answered after the burst");
    println!(
        "after the burst: {:.0} scans/s, p99 {:?}",
        after.len() as f64 / 2.0,
        quantile(&served_after, 0.99)
    );
}
