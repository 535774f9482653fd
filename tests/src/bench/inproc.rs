//! Measurements in this process against SQLite: the raw ceiling of ingest, proofs, the audit
//! and opening the ledger.

use std::cell::Cell;
use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant};

use diesel::connection::SimpleConnection;
use diesel::prelude::*;
use diesel::sqlite::SqliteConnection;
use terroir_backend::db::nodes::DbNodes;
use terroir_backend::metrics::Metrics;
use terroir_backend::service::ledger::{Ledger, LogIdentity};
use terroir_shared::Hash;
use terroir_shared::crypto::Keypair;
use terroir_shared::entry::LedgerEntry;
use terroir_shared::log::{LogSigner, NodeStore, StoreError, leaf_hash, prove_consistency, prove_inclusion};
use terroir_shared::party::PartyId;
use terroir_shared::record::{Envelope, Record, Signed, VerifyError, verify_batch};

use super::{ORIGIN, Rng};

diesel::table! {
    bench_leaves (idx) {
        idx -> BigInt,
        leaf_hash -> Binary,
        leaf -> Binary,
    }
}

#[derive(Insertable)]
#[diesel(table_name = bench_leaves)]
struct Leaf<'a> {
    idx: i64,
    leaf_hash: &'a [u8],
    leaf: &'a [u8],
}

/// Rows per transaction in the ceiling.
const TX_ROWS: usize = 10_000;
/// Signatures per batch verification (as the audit does).
const VERIFY_BATCH: usize = 1_024;

/// Batch-verifies on two threads, each half in batches of [`VERIFY_BATCH`].
pub fn verify_two_threads(envelopes: Vec<Envelope<Record>>) -> Vec<Result<Signed<Record>, VerifyError>> {
    let mut left = envelopes;
    let right = left.split_off(left.len().div_ceil(2));
    let run = |half: Vec<Envelope<Record>>| {
        let mut out = Vec::with_capacity(half.len());
        let mut it = half.into_iter().peekable();
        while it.peek().is_some() {
            out.extend(verify_batch(it.by_ref().take(VERIFY_BATCH).collect()));
        }
        out
    };
    std::thread::scope(|s| {
        let other = s.spawn(|| run(right));
        let mut out = run(left);
        out.extend(other.join().unwrap_or_default());
        out
    })
}

/// The ceiling: verify (2 threads), build the entry's leaf bytes and hash, insert the leaf into a
/// fresh table (WAL, synchronous=FULL) in transactions of 10,000 rows. Returns (rows, time).
pub fn ceiling(db: &Path, envelopes: Vec<Envelope<Record>>) -> anyhow::Result<(u64, Duration)> {
    let mut conn = SqliteConnection::establish(&db.to_string_lossy())?;
    conn.batch_execute(
        "PRAGMA journal_mode = WAL; PRAGMA synchronous = FULL; PRAGMA cache_size = -65536; \
         CREATE TABLE bench_leaves (idx INTEGER PRIMARY KEY NOT NULL, leaf_hash BLOB NOT NULL, \
         leaf BLOB NOT NULL);",
    )?;
    let started = Instant::now();
    let mut prev = Hash::default();
    let mut index = 0u64;
    let mut rest = envelopes.into_iter().peekable();
    while rest.peek().is_some() {
        let chunk: Vec<Envelope<Record>> = rest.by_ref().take(TX_ROWS).collect();
        let mut rows: Vec<(i64, Hash, Vec<u8>)> = Vec::with_capacity(chunk.len());
        for verdict in verify_two_threads(chunk) {
            let signed = verdict?;
            let leaf = LedgerEntry { index, prev, record: signed.envelope() }.leaf_bytes()?;
            let hash = leaf_hash(&leaf);
            rows.push((index as i64, hash, leaf));
            prev = hash;
            index += 1;
        }
        conn.immediate_transaction(|conn| {
            let leaves: Vec<Leaf<'_>> =
                rows.iter().map(|(i, h, l)| Leaf { idx: *i, leaf_hash: h.as_bytes(), leaf: l }).collect();
            for part in leaves.chunks(4_000) {
                diesel::insert_into(bench_leaves::table).values(part).execute(conn)?;
            }
            Ok::<_, diesel::result::Error>(())
        })?;
    }
    Ok((index, started.elapsed()))
}

/// A node store that counts what it is asked for.
struct Counting<'a> {
    inner: DbNodes<'a>,
    nodes: Cell<u64>,
    queries: Cell<u64>,
}

impl NodeStore for Counting<'_> {
    fn read_nodes(&self, indexes: &[u64]) -> Result<Vec<Hash>, StoreError> {
        self.nodes.set(self.nodes.get() + indexes.len() as u64);
        self.queries.set(self.queries.get() + 1);
        self.inner.read_nodes(indexes)
    }
}

#[derive(Clone, Debug, Default)]
pub struct ProofStats {
    pub count: u64,
    pub mean_us: f64,
    pub mean_nodes: f64,
    pub max_nodes: u64,
    pub queries_per_proof: f64,
}

/// Proof timings at `size`: inclusion of random leaves in the full tree, consistency from
/// random sizes to `size`, and one point read of a node.
pub struct Proofs {
    pub inclusion: ProofStats,
    pub consistency: ProofStats,
    pub point_read_us: f64,
}

pub fn proofs(
    conn: &mut SqliteConnection,
    size: u64,
    samples: u64,
    budget: Duration,
) -> anyhow::Result<Proofs> {
    let mut rng = Rng::new(0x7e77_0140);
    let store = Counting { inner: DbNodes::new(conn), nodes: Cell::new(0), queries: Cell::new(0) };
    // Warm up the page cache the same way for every measurement.
    for _ in 0..200 {
        prove_inclusion(rng.below(size), size, &store)?;
    }
    let mut point_total = Duration::ZERO;
    let mut points = 0u64;
    let deadline = Instant::now() + budget;
    while points < samples && Instant::now() < deadline {
        let idx = terroir_shared::log::stored_hash_index(0, rng.below(size));
        let t = Instant::now();
        store.inner.read_nodes(&[idx])?;
        point_total += t.elapsed();
        points += 1;
    }
    let mut stats = |consistency: bool| -> anyhow::Result<ProofStats> {
        let (n0, q0) = (store.nodes.get(), store.queries.get());
        let mut total = Duration::ZERO;
        let mut max_nodes = 0;
        let mut count = 0u64;
        let deadline = Instant::now() + budget;
        while count < samples && Instant::now() < deadline {
            let before = store.nodes.get();
            let t = Instant::now();
            if consistency {
                let old = 1 + rng.below(size - 1);
                prove_consistency(old, size, &store)?;
            } else {
                prove_inclusion(rng.below(size), size, &store)?;
            }
            total += t.elapsed();
            max_nodes = max_nodes.max(store.nodes.get() - before);
            count += 1;
        }
        let c = count.max(1) as f64;
        Ok(ProofStats {
            count,
            mean_us: total.as_secs_f64() * 1e6 / c,
            mean_nodes: (store.nodes.get() - n0) as f64 / c,
            max_nodes,
            queries_per_proof: (store.queries.get() - q0) as f64 / c,
        })
    };
    let inclusion = stats(false)?;
    let consistency = stats(true)?;
    Ok(Proofs {
        inclusion,
        consistency,
        point_read_us: point_total.as_secs_f64() * 1e6 / points.max(1) as f64,
    })
}

/// The log identity stored in a data directory.
pub fn identity(dir: &Path) -> anyhow::Result<(LogIdentity, Keypair)> {
    let log_key = terroir_backend::keys::load_or_create(dir, terroir_backend::keys::LOG_KEY_FILE)?;
    let operator = terroir_backend::keys::load_or_create(dir, terroir_backend::keys::OPERATOR_KEY_FILE)?;
    let signer =
        LogSigner::new(ORIGIN, log_key.signing_key().clone()).map_err(|e| anyhow::anyhow!("log key: {e}"))?;
    Ok((LogIdentity { origin: ORIGIN.into(), operator: PartyId(operator.public()), signer }, operator))
}

/// `Ledger::open` (migrations, the frontier, the writer thread, the pool), the best of `reps`.
pub fn open_ledger(dir: &Path, reps: u32) -> anyhow::Result<Duration> {
    let mut best = Duration::MAX;
    for _ in 0..reps {
        let (identity, operator) = identity(dir)?;
        let t = Instant::now();
        let (ledger, writer) = Ledger::open(
            &dir.join("ledger.sqlite"),
            identity,
            &operator,
            terroir_backend::server::system_clock(),
            Arc::new(Metrics::default()),
        )?;
        best = best.min(t.elapsed());
        drop(ledger);
        writer.join();
    }
    Ok(best)
}

/// The full audit: (entries, time).
pub fn audit(dir: &Path) -> anyhow::Result<(u64, Duration)> {
    let (identity, operator) = identity(dir)?;
    let mut conn = terroir_backend::db::open_writer(&dir.join("ledger.sqlite"))?;
    let t = Instant::now();
    let report = terroir_backend::service::audit::audit(
        &mut conn,
        ORIGIN,
        PartyId(operator.public()),
        &identity.signer.vkey(),
        &|_, _| {},
    )?;
    Ok((report.entries, t.elapsed()))
}

/// The baseline of the audit: batch verification (two threads) of the same signatures, read
/// and parsed from the database untimed, chunk by chunk. Returns (signatures, verify time).
pub fn verify_stored(dir: &Path) -> anyhow::Result<(u64, Duration)> {
    let mut conn = terroir_backend::db::open_writer(&dir.join("ledger.sqlite"))?;
    let total = terroir_backend::db::entries::size(&mut conn)?;
    let mut timed = Duration::ZERO;
    let mut start = 0u64;
    while start < total {
        let end = (start + 10_000).min(total);
        let rows = terroir_backend::db::entries::range(&mut conn, start as i64, end as i64)?;
        let envelopes = rows
            .iter()
            .map(|r| Ok(LedgerEntry::from_leaf_bytes(&r.leaf)?.record))
            .collect::<anyhow::Result<Vec<_>>>()?;
        let t = Instant::now();
        let verdicts = verify_two_threads(envelopes);
        timed += t.elapsed();
        anyhow::ensure!(verdicts.iter().all(Result::is_ok), "a stored signature does not verify");
        start = end;
    }
    Ok((total, timed))
}
