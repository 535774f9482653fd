//! A station on a temporary directory, set up against a test ledger; and a proxy that drops
//! connections the way a village network does.

use std::io::{Read, Write};
use std::net::{Shutdown, TcpListener, TcpStream};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use terroir_shared::party::Role;
use terroir_station::forms::TeaBatchForm;
use terroir_station::sync::{LedgerSync, SyncError, SyncReport};
use terroir_station::{SetupForm, Station};
use terroir_tests::ledger::{ORIGIN, TestLedger};

pub const TEA_GTIN: &str = "06901234567892";

pub fn setup_form(server_url: &str, ledger: &TestLedger) -> SetupForm {
    SetupForm {
        coop_name: COOP.into(),
        roles: vec![Role::Cooperative, Role::Farm],
        station_label: "village station".into(),
        server_url: server_url.into(),
        origin: ORIGIN.into(),
        verifier_key: ledger.verifier_key.clone(),
        policy: ledger.policy.clone(),
        tea_gtin: TEA_GTIN.into(),
        cattle_gtin: String::new(),
        language: "en".into(),
    }
}

/// A station set up for `ledger` (which need not be running), talking to `server_url`.
/// The co-op the test stations are set up for.
pub const COOP: &str = "Bulang Tea Co-op";

pub fn station(dir: &std::path::Path, ledger: &TestLedger, server_url: &str) -> Arc<Station> {
    let s = Station::open(dir).expect("open station");
    s.setup(setup_form(server_url, ledger)).expect("setup");
    Arc::new(s)
}

/// One pass of the sync, as the background sync runs it.
pub fn sync_once(station: &Arc<Station>) -> Result<SyncReport, SyncError> {
    LedgerSync::new(station.clone()).once()
}

/// The operator enrols the station's co-op.
pub fn enrol(ledger: &TestLedger, station: &Station) {
    let key = station.status().expect("status").party_key.expect("party key");
    ledger.enrol(&key, "Bulang Tea Co-op", &[Role::Cooperative, Role::Farm]).expect("enrol");
}

pub fn tea(count: u64, lot: &str) -> TeaBatchForm {
    TeaBatchForm {
        garden: "Laobanzhang".into(),
        mountain: "Bulang".into(),
        harvest_season: "2026 spring".into(),
        pressed_on: "2026-05-02".into(),
        cake_weight_g: None,
        count,
        lot_number: lot.into(),
        packing: String::new(),
    }
}

/// What the proxy does with the n-th connection.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Fate {
    /// Closed before the request reaches the server.
    DropRequest,
    /// The server gets the request and answers, but the answer is lost.
    DropAnswer,
    Forward,
}

/// A TCP proxy in front of `upstream` whose n-th connection meets `fates[n % len]`.
pub struct FlakyProxy {
    pub url: String,
    pub answers_lost: Arc<AtomicUsize>,
}

impl FlakyProxy {
    pub fn start(upstream: u16, fates: Vec<Fate>) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
        let port = listener.local_addr().expect("addr").port();
        let count = AtomicUsize::new(0);
        let answers_lost = Arc::new(AtomicUsize::new(0));
        let lost = answers_lost.clone();
        std::thread::spawn(move || {
            for client in listener.incoming().flatten() {
                let n = count.fetch_add(1, Ordering::SeqCst);
                let fate = fates[n % fates.len()];
                let lost = lost.clone();
                std::thread::spawn(move || relay(client, upstream, fate, &lost));
            }
        });
        Self { url: format!("http://127.0.0.1:{port}"), answers_lost }
    }
}

/// One request per connection: read it whole, pass it on with `Connection: close`, and pass
/// the answer back unless this connection's fate is to lose it.
fn relay(mut client: TcpStream, upstream: u16, fate: Fate, lost: &AtomicUsize) {
    if fate == Fate::DropRequest {
        let _ = client.shutdown(Shutdown::Both);
        return;
    }
    let Some(request) = read_request(&mut client) else { return };
    let Ok(mut server) = TcpStream::connect(("127.0.0.1", upstream)) else { return };
    if server.write_all(&request).is_err() {
        return;
    }
    let mut answer = vec![];
    if server.read_to_end(&mut answer).is_err() {
        return;
    }
    if fate == Fate::DropAnswer {
        lost.fetch_add(1, Ordering::SeqCst);
        let _ = client.shutdown(Shutdown::Both);
        return;
    }
    let _ = client.write_all(&answer);
    let _ = client.shutdown(Shutdown::Both);
}

fn read_request(client: &mut TcpStream) -> Option<Vec<u8>> {
    let mut buf = vec![];
    let mut chunk = [0u8; 65536];
    let head_end = loop {
        let n = client.read(&mut chunk).ok()?;
        if n == 0 {
            return None;
        }
        buf.extend_from_slice(&chunk[..n]);
        if let Some(i) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
            break i + 4;
        }
    };
    let head = String::from_utf8_lossy(&buf[..head_end]).to_string();
    let length: usize = head
        .lines()
        .find_map(|l| l.to_ascii_lowercase().strip_prefix("content-length:").map(|v| v.trim().to_owned()))
        .and_then(|v| v.parse().ok())
        .unwrap_or(0);
    while buf.len() < head_end + length {
        let n = client.read(&mut chunk).ok()?;
        if n == 0 {
            return None;
        }
        buf.extend_from_slice(&chunk[..n]);
    }
    // Ask the server to close after its answer, so reading to the end reads exactly one answer.
    let mut out: Vec<u8> = head
        .lines()
        .filter(|l| !l.is_empty() && !l.to_ascii_lowercase().starts_with("connection:"))
        .map(|l| format!("{l}\r\n"))
        .collect::<String>()
        .into_bytes();
    out.extend_from_slice(b"Connection: close\r\n\r\n");
    out.extend_from_slice(&buf[head_end..]);
    Some(out)
}

/// A ledger server that lies by omission: it forwards every request to `upstream` and passes
/// the answers on, except that it leaves entry `left_out` out of every asset history it serves.
pub struct OmittingServer {
    pub url: String,
}

impl OmittingServer {
    pub fn start(upstream: &str, left_out: usize) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
        let url = format!("http://127.0.0.1:{}", listener.local_addr().expect("addr").port());
        let upstream = upstream.to_owned();
        std::thread::spawn(move || {
            for stream in listener.incoming().flatten() {
                let upstream = upstream.clone();
                std::thread::spawn(move || answer(stream, &upstream, left_out));
            }
        });
        Self { url }
    }
}

/// Reads one GET request, asks `upstream`, and writes its answer back, doctored.
fn answer(mut stream: TcpStream, upstream: &str, left_out: usize) {
    let mut head = Vec::new();
    let mut byte = [0u8; 1];
    while !head.ends_with(b"\r\n\r\n") && stream.read(&mut byte).is_ok_and(|n| n == 1) {
        head.push(byte[0]);
    }
    let head = String::from_utf8_lossy(&head).into_owned();
    let path = head.split_whitespace().nth(1).unwrap_or("/").to_owned();
    let accept = head
        .lines()
        .find_map(|l| {
            l.split_once(':').filter(|(k, _)| k.eq_ignore_ascii_case("accept")).map(|(_, v)| v.trim())
        })
        .unwrap_or("*/*")
        .to_owned();
    let (status, kind, mut body) = match ureq::get(&format!("{upstream}{path}")).set("Accept", &accept).call()
    {
        Ok(r) | Err(ureq::Error::Status(_, r)) => {
            let (status, kind) = (r.status(), r.content_type().to_owned());
            let mut body = Vec::new();
            let _ = r.into_reader().read_to_end(&mut body);
            (status, kind, body)
        }
        Err(e) => (502, "text/plain".to_owned(), e.to_string().into_bytes()),
    };
    if path.ends_with("/history")
        && let Ok(mut history) = serde_json::from_slice::<serde_json::Value>(&body)
        && let Some(entries) = history["entries"].as_array_mut()
        && entries.len() > left_out
    {
        entries.remove(left_out);
        body = serde_json::to_vec(&history).expect("JSON");
    }
    let _ = write!(
        stream,
        "HTTP/1.1 {status} X\r\nContent-Type: {kind}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
        body.len()
    );
    let _ = stream.write_all(&body);
}
