//! What the state map costs: the same records ingested in this process by two ledgers side by
//! side, one keeping the map and one not, chunk by chunk in alternating order so that both see
//! the same machine; then the map's proofs at that size.

use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant};

use terroir_backend::metrics::Metrics;
use terroir_backend::service::ledger::{Ledger, Outcome, StateMap, WriterThread};
use terroir_shared::Hash;
use terroir_shared::record::{Envelope, Record, Signed};
use terroir_shared::state;

use super::{Rng, generate, inproc, now_ms};

/// Records per submitted job, and jobs in flight at once (the writer groups them).
const JOB: u64 = 1_000;
const IN_FLIGHT: usize = 8;
/// Records per alternation.
const CHUNK_JOBS: u64 = 50;

pub struct MapCost {
    pub records: u64,
    pub with_map: Duration,
    pub without_map: Duration,
    pub keys: u64,
    pub proof_bytes_mean: f64,
    pub proof_bytes_max: usize,
    pub proof_siblings_mean: f64,
    pub verify_us: f64,
    pub prove_us: f64,
}

struct Side {
    ledger: Ledger,
    writer: WriterThread,
    took: Duration,
}

fn open(dir: &Path, map: StateMap) -> anyhow::Result<Side> {
    let (identity, operator) = inproc::identity(dir)?;
    let db = dir.join("ledger.sqlite");
    let (ledger, writer) = Ledger::open_with(
        &db,
        identity,
        &operator,
        terroir_backend::server::system_clock(),
        Arc::new(Metrics::default()),
        map,
    )?;
    Ok(Side { ledger, writer, took: Duration::ZERO })
}

fn parse(items: &[String]) -> anyhow::Result<Vec<Signed<Record>>> {
    let envelopes =
        items.iter().map(|s| Envelope::<Record>::from_json(s.as_bytes())).collect::<Result<Vec<_>, _>>()?;
    Ok(inproc::verify_two_threads(envelopes).into_iter().collect::<Result<Vec<_>, _>>()?)
}

/// Submits `records` in jobs of [`JOB`], [`IN_FLIGHT`] at a time; every one must be accepted.
fn ingest(rt: &tokio::runtime::Runtime, side: &mut Side, records: &[Signed<Record>]) -> anyhow::Result<()> {
    let started = Instant::now();
    let accepted = rt.block_on(async {
        let mut accepted = 0usize;
        let mut jobs = records.chunks(JOB as usize);
        let mut flight = tokio::task::JoinSet::new();
        loop {
            while flight.len() < IN_FLIGHT {
                let Some(job) = jobs.next() else { break };
                let ledger = side.ledger.clone();
                let job = job.to_vec();
                flight.spawn(async move { ledger.submit(job).await });
            }
            let Some(done) = flight.join_next().await else { break };
            let outcomes = done??;
            accepted += outcomes.iter().filter(|o| matches!(o, Outcome::Accepted(_))).count();
        }
        Ok::<_, anyhow::Error>(accepted)
    })?;
    side.took += started.elapsed();
    anyhow::ensure!(accepted == records.len(), "only {accepted} of {} records accepted", records.len());
    Ok(())
}

/// Ingests `entries` records into two fresh ledgers under `root`, with and without the map.
pub fn measure(root: &Path, entries: u64) -> anyhow::Result<MapCost> {
    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build()?;
    let (with_dir, without_dir) = (root.join("with-map"), root.join("without-map"));
    std::fs::create_dir_all(&with_dir)?;
    std::fs::create_dir_all(&without_dir)?;
    inproc::identity(&with_dir)?;
    for key in [terroir_backend::keys::LOG_KEY_FILE, terroir_backend::keys::OPERATOR_KEY_FILE] {
        std::fs::copy(with_dir.join(key), without_dir.join(key))?;
    }
    let mut with = open(&with_dir, StateMap::Kept)?;
    let mut without = open(&without_dir, StateMap::NotKept)?;
    let (_, operator) = inproc::identity(&with_dir)?;
    let registrations = parse(&generate::registrations(&operator, now_ms())?)?;
    ingest(&rt, &mut with, &registrations)?;
    ingest(&rt, &mut without, &registrations)?;
    (with.took, without.took) = (Duration::ZERO, Duration::ZERO);
    let mut done = 0u64;
    let mut round = 0u64;
    while done < entries {
        let jobs = (entries - done).div_ceil(JOB).min(CHUNK_JOBS);
        let chunk = generate::batches(round * CHUNK_JOBS * JOB, jobs, JOB, true, now_ms())?;
        let items: Vec<String> = chunk.into_iter().flat_map(|b| b.items).collect();
        let records = parse(&items)?;
        let (first, second) =
            if round.is_multiple_of(2) { (&mut with, &mut without) } else { (&mut without, &mut with) };
        ingest(&rt, first, &records)?;
        ingest(&rt, second, &records)?;
        done += records.len() as u64;
        round += 1;
        if round.is_multiple_of(4) {
            println!(
                "  map cost: {done} of {entries} records; with map {:.1} s, without {:.1} s",
                with.took.as_secs_f64(),
                without.took.as_secs_f64()
            );
        }
    }
    // Stopping writes the map back (and each ledger's last WAL pass): part of the cost.
    let finish = |side: Side| {
        let started = Instant::now();
        let Side { ledger, writer, took, .. } = side;
        drop(ledger);
        writer.join();
        took + started.elapsed()
    };
    let (with_map, without_map) = (finish(with), finish(without));
    let mut cost = proofs(&with_dir)?;
    (cost.records, cost.with_map, cost.without_map) = (done, with_map, without_map);
    Ok(cost)
}

/// Proofs of asset keys (present, with the value the ledger's state gives) and random other
/// keys (absent) from the stored map.
fn proofs(dir: &Path) -> anyhow::Result<MapCost> {
    use diesel::prelude::*;
    #[derive(QueryableByName)]
    struct Id {
        #[diesel(sql_type = diesel::sql_types::Binary)]
        id: Vec<u8>,
    }
    let mut conn = terroir_backend::db::open_writer(&dir.join("ledger.sqlite"))?;
    let tip = terroir_backend::db::map::tip(&mut conn)?;
    let written = terroir_backend::db::map::NodeCache::default();
    let root = terroir_backend::db::map::root(&mut conn, &written, tip)?;
    let assets: Vec<Id> =
        diesel::sql_query("SELECT id FROM assets WHERE place % 7919 = 0 LIMIT 1000").load(&mut conn)?;
    let mut rng = Rng::new(0x57a7e);
    let (mut bytes, mut max, mut siblings, mut n) = (0usize, 0usize, 0usize, 0usize);
    let (mut prove, mut verify) = (Duration::ZERO, Duration::ZERO);
    for (i, a) in assets.iter().enumerate() {
        // Alternately an asset and a key never set.
        let key = if i % 2 == 0 {
            state::asset_key(&terroir_shared::asset::AssetId(Hash(a.id.as_slice().try_into()?)))
        } else {
            Hash::sha256(&rng.next_u64().to_be_bytes())
        };
        let t = Instant::now();
        let (value, proof) = terroir_backend::db::map::prove(&mut conn, &written, tip, &key)?;
        prove += t.elapsed();
        anyhow::ensure!(value.is_some() == (i % 2 == 0), "asset keys are held, random keys are not");
        let t = Instant::now();
        proof.verify(&root, &key, value.as_deref())?;
        verify += t.elapsed();
        let size = proof.to_bytes().len();
        (bytes, max, siblings, n) = (bytes + size, max.max(size), siblings + proof.siblings.len(), n + 1);
    }
    let count = terroir_backend::db::map::count(&mut conn, &written, tip)?;
    let per = |d: Duration| d.as_secs_f64() * 1e6 / n.max(1) as f64;
    Ok(MapCost {
        records: 0,
        with_map: Duration::ZERO,
        without_map: Duration::ZERO,
        keys: count as u64,
        proof_bytes_mean: bytes as f64 / n.max(1) as f64,
        proof_bytes_max: max,
        proof_siblings_mean: siblings as f64 / n.max(1) as f64,
        verify_us: per(verify),
        prove_us: per(prove),
    })
}
