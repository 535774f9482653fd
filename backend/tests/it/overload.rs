//! Overload: clients that trickle a request's head or body, bodies declared or sent beyond the
//! limit, more large uploads at once than the server holds, 10,000 idle connections. The server
//! stays up, answers each with a problem rather than holding it forever, bounds its memory, and
//! serves everyone else meanwhile.

use std::io::{ErrorKind, Read, Write};
use std::net::TcpStream;
use std::time::{Duration, Instant};

use crate::crash::{KillOnDrop, ORIGIN, free_port, init_ledger, serve};

/// A server on a new ledger, started with `args`: its data directory, process, port and base URL.
fn start(args: &[&str]) -> (tempfile::TempDir, KillOnDrop, u16, String) {
    let (dir, _) = init_ledger();
    let port = free_port();
    let server = KillOnDrop(serve(dir.path(), port, &[&["--origin", ORIGIN], args].concat()));
    (dir, server, port, format!("http://127.0.0.1:{port}"))
}

/// The server's resident memory, in MiB.
fn rss_mib(pid: u32) -> f64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).expect("status");
    let kib: f64 = status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .expect("VmRSS");
    kib / 1024.0
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
    let text = String::from_utf8_lossy(said);
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
    assert!(rss_during - rss_before < 256.0, "memory grew by {:.0} MiB", rss_during - rss_before);
    healthz(&base);
}
