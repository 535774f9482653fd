//! `terroir-bench`: a load generator for the ledger server. Every figure is measured beside a
//! baseline taken in the same run on the same machine, and reported with its ratio to it.
//!
//! cargo run --release -p terroir-tests --bin terroir-bench -- [--entries N] [--quick] [--json PATH]

use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use clap::Parser;
use terroir_shared::record::{Envelope, Record};
use terroir_tests::bench::client::{self, Server};
use terroir_tests::bench::generate::{self, Target};
use terroir_tests::bench::report::Report;
use terroir_tests::bench::{Rng, inproc, label, mapcost, now_ms};

/// The server's allocator: the ledger measured in this process runs as it does in the server.
#[global_allocator]
static ALLOCATOR: terroir_backend::Allocator = terroir_backend::Allocator;

#[derive(Debug, Parser)]
#[command(name = "terroir-bench", about = "Load generator for the Terroir ledger server")]
struct Args {
    /// Entries in the large ledger the reads, proofs, audit and start-up are measured on
    /// [default: 1000000; 50000 with --quick].
    #[arg(long)]
    entries: Option<u64>,
    /// A short run: 50,000 entries and shorter load phases.
    #[arg(long)]
    quick: bool,
    /// Also write the report as JSON to this file.
    #[arg(long)]
    json: Option<PathBuf>,
    /// Build the ledger in this new directory and leave it there, with the read targets, for
    /// `--reads`.
    #[arg(long, value_name = "DIR", conflicts_with = "reads")]
    keep: Option<PathBuf>,
    /// Only measure the reads, on a ledger an earlier run left with `--keep`.
    #[arg(long, value_name = "DIR")]
    reads: Option<PathBuf>,
    /// Only measure what the state map costs: the same `--entries` records ingested in this
    /// process with and without it, side by side, then its proofs.
    #[arg(long, conflicts_with_all = ["reads", "keep"])]
    map_cost: bool,
}

/// The read targets a kept ledger is left with.
const TARGETS_FILE: &str = "targets.json";

const BATCH: u64 = 1_000;
const INGEST_CLIENTS: usize = 3;
const SINGLE_CLIENTS: usize = 64;
const READ_CLIENTS: usize = 32;
/// The read phases run side by side in this many rounds (see [`client::interleaved`]).
const READ_ROUNDS: u32 = 5;

fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    let entries = args.entries.unwrap_or(if args.quick { 50_000 } else { 1_000_000 }).max(10_000);
    let phase = Duration::from_secs(if args.quick { 3 } else { 5 });
    // The measured ingest set; the rest of the large ledger is filled afterwards.
    let ingest_records = (entries / 2).min(if args.quick { 20_000 } else { 200_000 }) / BATCH * BATCH;
    let singles_per_client: u64 = if args.quick { 150 } else { 1_000 };
    let mut report = Report::default();
    if args.map_cost {
        let tmp = tempfile::Builder::new().prefix("terroir-bench-").tempdir()?;
        println!("terroir-bench: the state map's cost, {entries} records");
        map_cost(&mut report, tmp.path(), entries)?;
        return finish(&report, &args, serde_json::json!({ "mapCost": entries }));
    }
    let bin = client::server_binary()?;
    if let Some(dir) = &args.reads {
        let targets: Targets = serde_json::from_slice(&std::fs::read(dir.join(TARGETS_FILE))?)?;
        println!("terroir-bench: reads on the ledger in {}, phases of {} s", dir.display(), phase.as_secs());
        let (server, _) = Server::start(&bin, &dir.join("ledger"))?;
        reads(&mut report, &server.base, &targets, phase)?;
        server.stop()?;
        return finish(&report, &args, serde_json::json!({ "reads": dir, "phaseSeconds": phase.as_secs() }));
    }
    let tmp = tempfile::Builder::new().prefix("terroir-bench-").tempdir()?;
    let root = match &args.keep {
        Some(dir) => {
            std::fs::create_dir(dir)
                .map_err(|e| anyhow::anyhow!("--keep {}: {e} (give a new directory)", dir.display()))?;
            dir.clone()
        }
        None => tmp.path().to_path_buf(),
    };
    let data = root.join("ledger");
    println!(
        "terroir-bench: {entries} entries, ingest set {ingest_records}, phases of {} s, {} cores",
        phase.as_secs(),
        std::thread::available_parallelism().map_or(0, |n| n.get())
    );

    // 1. Records.
    client::init(&bin, &data)?;
    let (_, operator) = inproc::identity(&data)?;
    let at = now_ms();
    let registrations = generate::registrations(&operator, at)?;
    let t = Instant::now();
    let ingest = generate::batches(0, ingest_records / BATCH, BATCH, false, at)?;
    let gen_rate = ingest_records as f64 / t.elapsed().as_secs_f64();
    let singles = generate::batches(1_000_000_000, SINGLE_CLIENTS as u64, singles_per_client, false, at)?;
    println!("generated {} + {} records", ingest_records, SINGLE_CLIENTS as u64 * singles_per_client);

    // 2. Raw ceiling, on the ingest set.
    let envelopes = ingest
        .iter()
        .flat_map(|b| b.items.iter())
        .map(|s| Envelope::<Record>::from_json(s.as_bytes()))
        .collect::<Result<Vec<_>, _>>()?;
    let (rows, took) = inproc::ceiling(&tmp.path().join("ceiling.sqlite"), envelopes)?;
    let ceiling = rows as f64 / took.as_secs_f64();
    let _ = std::fs::remove_file(tmp.path().join("ceiling.sqlite"));
    report.row("record generation, sign on 2 threads", gen_rate, "rec/s", "raw ceiling", ceiling, "", None);
    report.row(
        "raw ceiling: verify(2 thr)+hash+insert",
        ceiling,
        "rec/s",
        "target 15,000",
        15_000.0,
        "(reference)",
        None,
    );

    // 3. Durable ingest over HTTP.
    let (server, _) = Server::start(&bin, &data)?;
    let base = server.base.clone();
    let regs = format!("[{}]", registrations.join(","));
    let accepted = client::post_batch(&client::agent(), &base, &regs)?;
    anyhow::ensure!(accepted == registrations.len() as u64, "registrations refused: {accepted} accepted");
    let bodies: Vec<String> = ingest.iter().map(generate::Batch::body).collect();
    let (accepted, took) = client::ingest(&base, &bodies, INGEST_CLIENTS)?;
    drop(bodies);
    anyhow::ensure!(
        accepted == ingest_records,
        "only {accepted} of {ingest_records} ingested records accepted"
    );
    let ingest_rate = accepted as f64 / took.as_secs_f64();
    report.row(
        format!("durable ingest, HTTP batches of {BATCH}, {INGEST_CLIENTS} clients"),
        ingest_rate,
        "rec/s",
        "raw ceiling",
        ceiling,
        "≥ 15000/s and ≥ 0.5×",
        Some(ingest_rate >= 15_000.0 && ingest_rate >= 0.5 * ceiling),
    );
    let mut targets: Vec<Target> = ingest.into_iter().flat_map(|b| b.targets).collect();

    // 4. Single submits vs /healthz at the same concurrency.
    let healthz_url = format!("{base}/healthz");
    let health64 = client::closed_loop(SINGLE_CLIENTS, phase, 1_000_000, |a, _, _| {
        client::get_ttfb(a, &healthz_url, "*/*")
    });
    let one_url = format!("{base}/api/records");
    let single = client::closed_loop(SINGLE_CLIENTS, phase, singles_per_client, |a, t, n| {
        client::post_one(a, &one_url, &singles[t].items[n as usize])
    });
    anyhow::ensure!(single.errors == 0, "{} single submits failed", single.errors);
    report.row(
        format!("single submit p50, {SINGLE_CLIENTS} clients"),
        single.p(50.0),
        "ms",
        "/healthz p50",
        health64.p(50.0),
        "",
        None,
    );
    report.row(
        format!("single submit p99, {SINGLE_CLIENTS} clients"),
        single.p(99.0),
        "ms",
        "/healthz p99",
        health64.p(99.0),
        "p99 ≤ 25 ms",
        Some(single.p(99.0) <= 25.0),
    );
    report.row(
        format!("single submit throughput, {SINGLE_CLIENTS} clients"),
        single.per_second(),
        "rec/s",
        "batched ingest",
        ingest_rate,
        "",
        None,
    );
    if single.ok >= SINGLE_CLIENTS as u64 * singles_per_client {
        report.note("single submits ran out of pre-signed records before the phase ended");
    }
    // Not every pre-signed single was submitted: only the ingested lots are read targets.
    drop(singles);

    // 5. Fill to the large size (with transfers in the mix), then reads.
    let fill_from = 10_000_000_000u64;
    let mut size = registrations.len() as u64 + ingest_records + single.ok;
    let fill_started = Instant::now();
    let mut filled = 0u64;
    let chunk_batches = 50u64;
    let mut fill_post = Duration::ZERO;
    let mut b = 0u64;
    while size < entries && b < 100_000 {
        let remaining = entries.saturating_sub(size).div_ceil(BATCH).max(1);
        let n = remaining.min(chunk_batches);
        let chunk = generate::batches(fill_from + b * BATCH, n, BATCH, true, now_ms())?;
        let bodies: Vec<String> = chunk.iter().map(generate::Batch::body).collect();
        let (accepted, took) = client::ingest(&base, &bodies, INGEST_CLIENTS)?;
        anyhow::ensure!(accepted == n * BATCH, "fill: {accepted} of {} accepted", n * BATCH);
        fill_post += took;
        filled += accepted;
        size += accepted;
        targets.extend(chunk.into_iter().flat_map(|c| c.targets));
        b += n;
        if fill_started.elapsed() > Duration::from_secs(3_600) {
            report.note("the fill stopped after an hour");
            break;
        }
    }
    let log: serde_json::Value = client::agent().get(&format!("{base}/api/log")).call()?.into_json()?;
    let log_size = log["checkpoint"]
        .as_str()
        .and_then(|c| c.lines().nth(1))
        .and_then(|l| l.parse::<u64>().ok())
        .unwrap_or(size);
    if filled > 0 {
        let fill_rate = filled as f64 / fill_post.as_secs_f64();
        report.row(
            format!("ingest while filling to {log_size} (mix: 10% transfers)"),
            fill_rate,
            "rec/s",
            "first ingest",
            ingest_rate,
            "",
            None,
        );
    }
    let targets = Targets {
        gs1: targets.iter().filter_map(|t| t.gs1.clone()).collect(),
        assets: targets.iter().map(|t| t.asset.to_string()).collect(),
        log_size,
    };
    if args.keep.is_some() {
        std::fs::write(root.join(TARGETS_FILE), serde_json::to_vec(&targets)?)?;
    }
    // The reads are measured on the ledger at rest, as `--reads` does: a server just through a
    // bulk load is still copying its WAL's last half gigabyte into the database.
    server.stop()?;
    let (server, _) = Server::start(&bin, &data)?;
    reads(&mut report, &server.base, &targets, phase)?;
    drop(targets);
    server.stop()?;

    // 8 (process). Start-up to /healthz: large vs empty.
    let empty = tmp.path().join("empty");
    client::init(&bin, &empty)?;
    let mut best_large = Duration::MAX;
    let mut best_empty = Duration::MAX;
    for _ in 0..3 {
        let (s, d) = Server::start(&bin, &empty)?;
        s.stop()?;
        best_empty = best_empty.min(d);
        let (s, d) = Server::start(&bin, &data)?;
        s.stop()?;
        best_large = best_large.min(d);
    }
    report.row(
        format!("server start to /healthz, {log_size} entries"),
        best_large.as_secs_f64() * 1e3,
        "ms",
        "empty ledger",
        best_empty.as_secs_f64() * 1e3,
        "< 1 s",
        Some(best_large < Duration::from_secs(1)),
    );
    let open_large = inproc::open_ledger(&data, 3)?;
    let open_empty = inproc::open_ledger(&empty, 3)?;
    report.row(
        format!("Ledger::open, {log_size} entries"),
        open_large.as_secs_f64() * 1e3,
        "ms",
        "empty ledger",
        open_empty.as_secs_f64() * 1e3,
        "< 1 s",
        Some(open_large < Duration::from_secs(1)),
    );

    // 6. Proofs.
    let mut conn = terroir_backend::db::open_writer(&data.join("ledger.sqlite"))?;
    let n = terroir_backend::db::entries::size(&mut conn)?;
    let proofs = inproc::proofs(&mut conn, n, 20_000, phase)?;
    drop(conn);
    let log2 = (n as f64).log2();
    for (name, s) in [("inclusion", &proofs.inclusion), ("consistency", &proofs.consistency)] {
        report.row(
            format!("{name} proof at {n}, mean"),
            s.mean_us,
            "µs",
            "1 node point read",
            proofs.point_read_us,
            "",
            None,
        );
        report.row(
            format!("{name} proof node reads ({:.2} queries/proof)", s.queries_per_proof),
            s.mean_nodes,
            "nodes",
            "log2 n",
            log2,
            format!("max {} ≤ 2·log2 n", s.max_nodes),
            Some(s.max_nodes as f64 <= 2.0 * log2.ceil()),
        );
    }

    // 7. Audit vs plain batch verification of the same signatures.
    let (audited, audit_time) = inproc::audit(&data)?;
    let (verified, verify_time) = inproc::verify_stored(&data)?;
    anyhow::ensure!(audited == verified, "audit saw {audited} entries, verification {verified}");
    let per_million = audit_time.as_secs_f64() * 1e6 / audited as f64;
    report.row(
        format!("audit of {audited} entries"),
        audit_time.as_secs_f64(),
        "s",
        "batch verify only",
        verify_time.as_secs_f64(),
        "≤ 60 s per 1M",
        Some(per_million <= 60.0),
    );
    report.row(
        "audit rate",
        audited as f64 / audit_time.as_secs_f64(),
        "entries/s",
        "batch verify only",
        verified as f64 / verify_time.as_secs_f64(),
        format!("{per_million:.1} s per 1M"),
        None,
    );

    // 10. The state map: ingest with and without it, side by side.
    map_cost(&mut report, &tmp.path().join("map-cost"), entries)?;

    // 9. The buyer's label page, on the sample ledger.
    let label = label::measure(&bin, &tmp.path().join("sample"), READ_CLIENTS, phase)?;
    let first_load = (label.page_bytes + label.script_bytes) as f64 / 1024.0;
    report.row(
        format!(
            "label page first load: page with style {} B + script {} B",
            label.page_bytes, label.script_bytes
        ),
        first_load,
        "KiB",
        "budget",
        100.0,
        "well under 100 KiB",
        Some(first_load < 50.0),
    );
    let health = &label.health;
    // The page and the check answer the buyer's tap; the evidence follows the first paint.
    for (name, load, target) in [
        ("label page (sample cake, en/zh)", &label.page, true),
        ("its evidence (records + proofs)", &label.evidence, false),
        ("POST a check of its label", &label.checks, true),
    ] {
        if load.errors > 0 {
            report.note(format!("{name}: {} errors of {}", load.errors, load.errors + load.ok));
        }
        report.row(
            format!("{name} req/s, {READ_CLIENTS} clients"),
            load.per_second(),
            "req/s",
            "/healthz",
            health.per_second(),
            "",
            None,
        );
        let p99 = load.p(99.0);
        let (goal, pass) = if target { ("p99 < 10 ms", Some(p99 < 10.0)) } else { ("", None) };
        report.row(format!("{name} p99 TTFB"), p99, "ms", "/healthz p99", health.p(99.0), goal, pass);
    }

    let config = serde_json::json!({
        "entries": entries,
        "logSize": log_size,
        "quick": args.quick,
        "ingestRecords": ingest_records,
        "batch": BATCH,
        "ingestClients": INGEST_CLIENTS,
        "singleClients": SINGLE_CLIENTS,
        "readClients": READ_CLIENTS,
        "phaseSeconds": phase.as_secs(),
        "cores": std::thread::available_parallelism().map_or(0, |n| n.get()),
    });
    finish(&report, &args, config)?;
    drop(tmp);
    Ok(())
}

/// What the read phases ask for: assets by id, lots by their GS1 paths.
#[derive(serde::Serialize, serde::Deserialize)]
struct Targets {
    assets: Vec<String>,
    gs1: Vec<String>,
    log_size: u64,
}

/// Asset JSON and GS1 pages of uniformly random targets, each beside `/healthz` in the same run
/// (in turns, see [`client::interleaved`]).
fn reads(report: &mut Report, base: &str, targets: &Targets, phase: Duration) -> anyhow::Result<()> {
    let Targets { assets, gs1, log_size } = targets;
    let healthz_url = format!("{base}/healthz");
    let health = |a: &ureq::Agent, _: usize, _: u64| client::get_ttfb(a, &healthz_url, "*/*");
    let seq = AtomicU64::new(1);
    let asset = |a: &ureq::Agent, _: usize, _: u64| {
        let mut rng = Rng::new(seq.fetch_add(1, Ordering::Relaxed));
        let id = &assets[rng.below(assets.len() as u64) as usize];
        client::get_ttfb(a, &format!("{base}/api/assets/{id}"), "application/json")
    };
    let page = |a: &ureq::Agent, _: usize, _: u64| {
        let mut rng = Rng::new(seq.fetch_add(1, Ordering::Relaxed));
        let path = &gs1[rng.below(gs1.len() as u64) as usize];
        client::get_ttfb(a, &format!("{base}{path}"), "text/html,application/xhtml+xml,*/*;q=0.8")
    };
    let [health, asset_load, page_load]: [client::Load; 3] =
        client::interleaved(READ_CLIENTS, phase, READ_ROUNDS, &[&health, &asset, &page])
            .try_into()
            .map_err(|_| anyhow::anyhow!("three loads were measured"))?;
    for (name, load) in [("asset", &asset_load), ("GS1 page", &page_load), ("healthz", &health)] {
        if load.errors > 0 {
            report.note(format!("{name} reads: {} errors of {}", load.errors, load.errors + load.ok));
        }
    }
    for (name, load) in [("GET /api/assets/{id}", &asset_load), ("GET GS1 page (text/html)", &page_load)] {
        let ratio = load.per_second() / health.per_second();
        report.row(
            format!("{name} req/s, {READ_CLIENTS} clients, {log_size} entries"),
            load.per_second(),
            "req/s",
            "/healthz",
            health.per_second(),
            "≥ 0.5×",
            Some(ratio >= 0.5),
        );
        report.row(
            format!("{name} p99 TTFB"),
            load.p(99.0),
            "ms",
            "/healthz p99",
            health.p(99.0),
            "p99 < 10 ms",
            Some(load.p(99.0) < 10.0),
        );
    }
    Ok(())
}

/// Prints the report and writes its JSON form if asked.
/// The state map's cost, measured in this process: the writer's ingest with the map against the
/// same ingest without it, and the map's proofs at that size.
fn map_cost(report: &mut Report, dir: &std::path::Path, entries: u64) -> anyhow::Result<()> {
    let cost = mapcost::measure(dir, entries)?;
    let rate = |d: Duration| cost.records as f64 / d.as_secs_f64();
    let (with, without) = (rate(cost.with_map), rate(cost.without_map));
    report.row(
        format!("writer ingest with the state map, {} records, in process", cost.records),
        with,
        "rec/s",
        "the same without the map",
        without,
        "≥ 0.8×",
        Some(with >= 0.8 * without),
    );
    report.row(
        format!("state map proof at {} keys, mean ({:.1} siblings)", cost.keys, cost.proof_siblings_mean),
        cost.proof_bytes_mean,
        "B",
        "limit",
        2_048.0,
        format!("max {} B < 2 KB", cost.proof_bytes_max),
        Some(cost.proof_bytes_max < 2_048),
    );
    report.row(
        "state map proof verify (native)",
        cost.verify_us,
        "µs",
        "proving it (server)",
        cost.prove_us,
        "",
        None,
    );
    Ok(())
}

fn finish(report: &Report, args: &Args, config: serde_json::Value) -> anyhow::Result<()> {
    report.print();
    if let Some(path) = &args.json {
        std::fs::write(path, serde_json::to_string_pretty(&report.json(config))?)?;
        println!("wrote {}", path.display());
    }
    Ok(())
}
