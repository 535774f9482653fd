//! The station killed mid-sync: `terroir-station sync` is killed with SIGKILL at a random point
//! of its pass, again and again, while the queue grows between kills (before a batch is sent,
//! while the ledger commits it, while the receipts are stored); then one sync runs to its end.
//! No record is lost and none is in the ledger twice.
//!
//! Kills: `TERROIR_STATION_KILLS` (docs/faults.md runs 50); the seed of the kill points:
//! `TERROIR_STATION_KILL_SEED` (printed, so a run can be repeated).

use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use terroir_shared::entry::LedgerEntry;
use terroir_shared::log::Receipt;
use terroir_shared::record::{Envelope, Record};
use terroir_station::store::RecordState;
use terroir_tests::ledger::TestLedger;

use crate::support::*;

/// Kills in the test suite.
const SUITE_KILLS: u64 = 4;
/// Records queued before each kill: more than one batch, so a pass has several steps.
const PER_ROUND: u64 = 1_200;

fn env_u64(name: &str) -> Option<u64> {
    std::env::var(name).ok().map(|v| v.parse().unwrap_or_else(|_| panic!("{name}={v} is not a number")))
}

fn sync_command(dir: &std::path::Path) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_terroir-station"));
    command.arg("--dir").arg(dir).arg("sync").stdout(Stdio::null()).stderr(Stdio::null());
    command
}

fn queue(s: &terroir_station::Station, round: u64) {
    for i in 0..PER_ROUND {
        s.register_tea(tea(1, &format!("K{round:03}-{i:05}"))).expect("registered");
    }
}

#[test]
fn a_station_killed_mid_sync_again_and_again_loses_and_doubles_nothing() {
    let kills = env_u64("TERROIR_STATION_KILLS").unwrap_or(SUITE_KILLS);
    let seed = env_u64("TERROIR_STATION_KILL_SEED")
        .unwrap_or_else(|| std::time::SystemTime::UNIX_EPOCH.elapsed().map_or(1, |d| d.as_millis() as u64));
    println!("station kill campaign: {kills} kills, seed {seed} (TERROIR_STATION_KILL_SEED)");
    let mut rng = terroir_tests::bench::Rng::new(seed);

    let mut ledger = TestLedger::new().expect("ledger");
    ledger.start().expect("start");
    let dir = tempfile::tempdir().expect("dir");
    let s = station(dir.path(), &ledger, &ledger.url);
    enrol(&ledger, &s);

    // How long a whole pass of one round's queue takes: the kills fall anywhere in it.
    queue(&s, 0);
    let started = Instant::now();
    assert!(sync_command(dir.path()).status().expect("sync runs").success());
    let pass = started.elapsed();
    assert_eq!(s.status().expect("status").counts.pending, 0, "an unkilled pass sends everything");

    let (mut mid_pass, mut finished_first) = (0, 0);
    for round in 1..=kills {
        queue(&s, round);
        let before = s.status().expect("status").counts;
        let mut child = sync_command(dir.path()).spawn().expect("sync starts");
        std::thread::sleep(Duration::from_micros(rng.below(pass.as_micros() as u64 * 5 / 4)));
        if child.try_wait().expect("wait").is_some() {
            finished_first += 1;
        }
        child.kill().expect("SIGKILL");
        child.wait().expect("reaped");
        let after = s.status().expect("status").counts;
        if after.landed > before.landed && after.pending > 0 {
            mid_pass += 1;
        }
    }
    assert!(sync_command(dir.path()).status().expect("sync runs").success());

    let queued = (kills + 1) * PER_ROUND + 1; // and the authorisation of the station's key
    let counts = s.status().expect("status").counts;
    assert_eq!((counts.landed as u64, counts.pending, counts.refused), (queued, 0, 0), "every record landed");
    // The ledger holds its opening, the co-op's enrolment and each of the station's records once.
    let size = ledger.get("/api/log").expect("log")["size"].as_u64().expect("size");
    assert_eq!(size, queued + 2, "no record of the station is in the ledger twice");
    let mut conn = terroir_station::store::open(&dir.path().join(terroir_station::station::DATABASE_FILE))
        .expect("the station's database");
    let rows =
        terroir_station::store::records(&mut conn, Some(RecordState::Landed), 1_000_000).expect("rows");
    assert_eq!(rows.len() as u64, queued);
    let mut indexes: Vec<i64> = rows.iter().map(|r| r.log_index.expect("index")).collect();
    indexes.sort_unstable();
    indexes.dedup();
    assert_eq!(indexes.len(), rows.len(), "each landed record at an index of its own");
    // Every stored receipt proves its own record under the pinned key.
    for row in &rows {
        let receipt: Receipt =
            serde_json::from_str(row.receipt.as_deref().expect("receipt")).expect("parses");
        let envelope = Envelope::<Record>::from_json(row.envelope.as_bytes()).expect("envelope");
        LedgerEntry::verify_record_receipt(&envelope, &receipt, &ledger.verifier_key)
            .expect("receipt proves");
    }
    // Records whose answer a kill cut off, sent again: the ledger answered with the receipt it
    // had given.
    let metrics =
        ureq::get(&format!("{}/metrics", ledger.url)).call().expect("metrics").into_string().expect("text");
    let resent = metrics
        .lines()
        .find_map(|l| l.strip_prefix("terroir_records_duplicate_total "))
        .and_then(|v| v.trim().parse::<f64>().ok())
        .expect("the duplicate counter");
    println!(
        "station kill campaign: {kills} kills ({mid_pass} with part of the queue landed and part still \
         queued, {finished_first} after the pass had ended), a pass of {PER_ROUND} records taking {:.1} s; \
         {resent} records sent again after their answer was lost, answered with their receipts; \
         {queued} records landed, each once in the ledger, every receipt proving its record",
        pass.as_secs_f64()
    );
}
