//! The soak: the crash campaign's mixed load (single and batch submits, entry reads with proofs,
//! label evidence and checks), held at half the server's measured capacity for a long while,
//! with the server's memory, open files and write-ahead log sampled throughout. They must stay
//! flat: what the second half of the run holds at most, the first half held already (within a
//! margin). At the end the log is read back and audited as after the crash campaign.
//!
//! Length: `TERROIR_SOAK_SECONDS` (docs/faults.md runs 3600; the suite 40).

use std::time::{Duration, Instant};

use crate::crash::rss_mib;
use crate::crash_campaign::{PAUSE, begin, end, load};

const SUITE_SECONDS: u64 = 40;
/// The WAL's size when it starts over, and a group's frames beyond.
const WAL_MIB: f64 = 64.0 + 8.0;
/// The shortest run whose memory is judged flat.
const MEMORY_JUDGED_FROM: u64 = 1_800;

struct Sample {
    at: Duration,
    /// Requests answered a second since the last sample.
    rate: f64,
    rss_mib: f64,
    /// Of which in anonymous pages (the heap, SQLite's page caches) rather than mapped files.
    anon_mib: f64,
    files: usize,
    wal_mib: f64,
    db_mib: f64,
}

/// A `/proc/<pid>/status` line's value, in MiB.
fn status_mib(pid: u32, key: &str) -> f64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).expect("status");
    status
        .lines()
        .find_map(|l| l.strip_prefix(key))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<f64>().ok())
        .expect(key)
        / 1024.0
}

fn mib(path: &std::path::Path) -> f64 {
    std::fs::metadata(path).map_or(0.0, |m| m.len() as f64 / 1048576.0)
}

#[test]
fn mixed_load_at_half_capacity_leaves_memory_open_files_and_the_wal_flat() {
    let _alone = crate::crash::alone();
    let seconds = std::env::var("TERROIR_SOAK_SECONDS")
        .ok()
        .map_or(SUITE_SECONDS, |v| v.parse().unwrap_or_else(|_| panic!("TERROIR_SOAK_SECONDS={v}")));
    let (dir, server, _port, c, coop, trader) = begin();
    let pid = server.id();
    let clients = load(&c, &coop, trader, 1);

    // Capacity: the same clients without pauses.
    c.set_pause(Duration::ZERO);
    std::thread::sleep(Duration::from_secs(2));
    let (from, started) = (c.done(), Instant::now());
    std::thread::sleep(Duration::from_secs(6));
    let capacity = (c.done() - from) as f64 / started.elapsed().as_secs_f64();
    let target = capacity / 2.0;
    println!("soak: {seconds} s at half of {capacity:.0} requests/s (TERROIR_SOAK_SECONDS)");

    // The soak, its pace kept at half capacity by lengthening or shortening the clients' pause.
    let every = Duration::from_secs((seconds / 40).max(2));
    let mut pause = PAUSE;
    c.set_pause(pause);
    let (mut samples, started) = (Vec::new(), Instant::now());
    let (mut last_done, mut last_at) = (c.done(), Instant::now());
    while started.elapsed() < Duration::from_secs(seconds) {
        std::thread::sleep(every);
        let (done, now) = (c.done(), Instant::now());
        let rate = (done - last_done) as f64 / (now - last_at).as_secs_f64();
        (last_done, last_at) = (done, now);
        pause = pause
            .mul_f64((rate / target).clamp(0.5, 2.0))
            .clamp(Duration::from_micros(100), Duration::from_secs(1));
        c.set_pause(pause);
        samples.push(Sample {
            at: started.elapsed(),
            rate,
            rss_mib: rss_mib(pid),
            anon_mib: status_mib(pid, "RssAnon:"),
            files: std::fs::read_dir(format!("/proc/{pid}/fd")).map_or(0, |d| d.count()),
            wal_mib: mib(&dir.path().join("ledger.sqlite-wal")),
            db_mib: mib(&dir.path().join("ledger.sqlite")),
        });
    }
    for s in &samples {
        println!(
            "  {:>6.0} s  {:>6.0} req/s  rss {:>6.1} MiB (anon {:>6.1})  files {:>4}  wal {:>6.2} MiB  db {:>7.1} MiB",
            s.at.as_secs_f64(),
            s.rate,
            s.rss_mib,
            s.anon_mib,
            s.files,
            s.wal_mib,
            s.db_mib
        );
    }
    let ended = end(&c, clients, server, dir.path());

    // The first quarter warms the caches up; the second is compared with the last.
    let quarter = |q: usize| -> Vec<&Sample> {
        let n = samples.len();
        samples[n * q / 4..n * (q + 1) / 4].iter().collect()
    };
    let most = |ss: &[&Sample], f: fn(&Sample) -> f64| ss.iter().map(|s| f(s)).fold(0.0, f64::max);
    let (early, late) = (quarter(1), quarter(3));
    let mean_rate = samples[samples.len() / 4..].iter().map(|s| s.rate).sum::<f64>()
        / (samples.len() - samples.len() / 4) as f64;
    let (rss, files, wal) = (
        (most(&early, |s| s.anon_mib), most(&late, |s| s.anon_mib)),
        (most(&early, |s| s.files as f64), most(&late, |s| s.files as f64)),
        (most(&early, |s| s.wal_mib), most(&late, |s| s.wal_mib)),
    );
    let last = samples.last().expect("samples");
    println!(
        "soak: {seconds} s at {mean_rate:.0} requests/s ({:.2} of capacity); {} records acknowledged, each once, \
         audit passed; most in the second and the last quarter: anonymous memory {:.1} and {:.1} MiB, open files {} and {}, \
         WAL {:.2} and {:.2} MiB; the database grew to {:.1} MiB",
        mean_rate / capacity,
        ended.acked,
        rss.0,
        rss.1,
        files.0,
        files.1,
        wal.0,
        wal.1,
        last.db_mib,
    );
    assert!((0.3..=0.7).contains(&(mean_rate / capacity)), "the load was not held near half capacity");
    // Memory is judged only in a run long enough for the caches to have filled (the writer's
    // SQLite pages, up to 1 GiB; the asset cache's 128 MiB; the readers' pages): before that
    // it grows with them, as it should.
    if seconds >= MEMORY_JUDGED_FROM {
        assert!(rss.1 <= rss.0 * 1.10 + 8.0, "memory grew: {:.1} MiB, then {:.1} MiB", rss.0, rss.1);
    } else {
        println!(
            "soak: memory not judged in a run shorter than {MEMORY_JUDGED_FROM} s (caches still filling)"
        );
    }
    assert!(files.1 <= files.0 + 8.0, "open files grew: {} then {}", files.0, files.1);
    // The WAL keeps its largest size and starts over from its beginning once it holds
    // `db::wal::RESTART_FRAMES` (64 MiB) and a pass copied them all.
    assert!(wal.1 <= wal.0.max(WAL_MIB), "the WAL grew: {:.2} MiB, then {:.2} MiB", wal.0, wal.1);
}
