//! The ledger handle the HTTP layer holds: submit signed records, read the latest checkpoint.
//! Behind it, one writer thread owns the write connection and commits records in groups, so
//! that many concurrent submitters share one fsync.

use std::path::Path;
use std::sync::{Arc, RwLock, mpsc};
use std::thread::JoinHandle;

use terroir_shared::crypto::Keypair;
use terroir_shared::record::{Record, Signed};
use terroir_shared::rules::Rules;

use super::ServiceError;
use super::cache::AssetCache;
use super::commit::{Answer, Job};
pub use super::commit::{CheckpointInfo, Clock, LogIdentity, MAX_ENTRY_BYTES, MAX_GROUP, Outcome, StateMap};
use super::receipts;
use super::writer::Writer;
use crate::db;
use crate::metrics::Metrics;

/// A cheap, cloneable handle to the ledger.
#[derive(Clone)]
pub struct Ledger {
    jobs: mpsc::SyncSender<Job>,
    cache: Arc<AssetCache>,
    /// The state map's nodes the writer has not written back yet (and its internal nodes).
    map_nodes: Arc<RwLock<db::map::NodeCache>>,
    latest: Arc<RwLock<Option<CheckpointInfo>>>,
    identity: Arc<LogIdentity>,
    /// The verifier key, written once: every label page names it.
    vkey: Arc<str>,
    /// The rules the ledger was opened under, for good.
    rules: Rules,
    /// What the ledger's witnesses have cosigned of its latest checkpoints.
    witnessed: Arc<RwLock<Witnessed>>,
}

/// The witnesses' cosignature lines on one checkpoint (kept in memory: a witness cosigns the
/// latest checkpoint again when asked, so nothing is lost on a restart but a moment).
#[derive(Clone, Debug, Default)]
pub struct Witnessed {
    pub size: u64,
    /// Each witness's line, by the policy's name for it.
    pub lines: std::collections::BTreeMap<String, String>,
    /// Changes whenever a line is added or renewed: what cached answers are keyed by.
    pub stamp: u64,
}

impl Witnessed {
    /// `note` (the log-signed checkpoint of `size`) with the cosignatures it has.
    pub fn cosign(&self, size: u64, note: &mut String) {
        if size == self.size {
            for line in self.lines.values() {
                note.push_str(line);
                note.push('\n');
            }
        }
    }
}

/// The writer thread and the receipt thread behind it; join them after the last `Ledger`
/// handle is dropped to finish the group in flight and answer it.
pub struct WriterThread(JoinHandle<()>, JoinHandle<()>, JoinHandle<()>);

impl WriterThread {
    pub fn join(self) {
        if self.0.join().is_err() {
            tracing::error!("the ledger writer panicked");
        }
        if self.1.join().is_err() {
            tracing::error!("the receipt builder panicked");
        }
        if self.2.join().is_err() {
            tracing::error!("the WAL checkpointer panicked");
        }
    }
}

impl Ledger {
    /// Opens the database (migrating it), loads the log's frontier (O(log n) reads, no
    /// replay) and starts the writer. A new log is opened with an entry 0 signed by `operator`
    /// that names the rules it runs.
    pub fn open(
        path: &Path,
        identity: LogIdentity,
        operator: &Keypair,
        clock: Clock,
        metrics: Arc<Metrics>,
    ) -> Result<(Ledger, WriterThread), ServiceError> {
        Self::open_with(path, identity, operator, clock, metrics, StateMap::Kept)
    }

    /// [`Ledger::open`], keeping the state map or not: a ledger without it signs checkpoints
    /// that commit to no current state, which no page takes as proof; only the benchmark opens
    /// one, to measure what the map costs. A ledger is opened one way for good: its start-up
    /// refuses a map that has not taken in the whole log.
    pub fn open_with(
        path: &Path,
        identity: LogIdentity,
        operator: &Keypair,
        clock: Clock,
        metrics: Arc<Metrics>,
        map: StateMap,
    ) -> Result<(Ledger, WriterThread), ServiceError> {
        if identity.signer.origin() != identity.origin {
            return Err(ServiceError::Integrity(format!(
                "the log key signs for `{}`, but the log is `{}`",
                identity.signer.origin(),
                identity.origin
            )));
        }
        let identity = Arc::new(identity);
        let latest = Arc::new(RwLock::new(None));
        let cache = Arc::new(AssetCache::default());
        let wal = Arc::new(db::wal::Wal::default());
        let map_nodes = Arc::new(RwLock::new(db::map::NodeCache::default()));
        let writer = Writer::load(
            path,
            identity.clone(),
            operator,
            latest.clone(),
            clock,
            metrics,
            cache.clone(),
            wal.clone(),
            map,
            map_nodes.clone(),
        )?;
        let rules = writer.rules();
        // Receipts are built beside the writer, one batch of reads per group commit.
        let reader = db::open_reader(path)?;
        let (answers, answered) = mpsc::channel::<Answer>();
        let receipts = std::thread::Builder::new()
            .name("ledger-receipts".into())
            .spawn(move || receipts::serve(reader, answered))
            .map_err(|e| ServiceError::Integrity(format!("cannot start the receipt builder: {e}")))?;
        // When the writer ends, the checkpointer does a last pass and ends too.
        let db_path = path.to_owned();
        let checkpoints = wal.clone();
        let checkpointer = std::thread::Builder::new()
            .name("ledger-checkpoint".into())
            .spawn(move || {
                if let Err(e) = checkpoints.run_checkpoints(&db_path) {
                    tracing::error!(error = %e, "the WAL checkpointer could not start");
                }
            })
            .map_err(|e| ServiceError::Integrity(format!("cannot start the checkpointer: {e}")))?;
        let (jobs, rx) = mpsc::sync_channel::<Job>(1_024);
        let thread = std::thread::Builder::new()
            .name("ledger-writer".into())
            .spawn(move || {
                writer.run(rx, answers);
                wal.stop();
            })
            .map_err(|e| ServiceError::Integrity(format!("cannot start the writer: {e}")))?;
        let vkey = Arc::from(identity.signer.vkey());
        Ok((
            Ledger { jobs, cache, map_nodes, latest, identity, vkey, rules, witnessed: Arc::default() },
            WriterThread(thread, receipts, checkpointer),
        ))
    }

    /// Submits records in order; each is judged against the state left by the ones before it.
    pub async fn submit(&self, records: Vec<Signed<Record>>) -> Result<Vec<Outcome>, ServiceError> {
        let (reply, answer) = tokio::sync::oneshot::channel();
        let jobs = self.jobs.clone();
        // The channel is bounded: when the writer is saturated, wait off the async executor.
        let job = Job { records, reply };
        match jobs.try_send(job) {
            Ok(()) => {}
            Err(mpsc::TrySendError::Full(job)) => {
                tokio::task::spawn_blocking(move || jobs.send(job))
                    .await
                    .map_err(|_| ServiceError::WriterStopped)?
                    .map_err(|_| ServiceError::WriterStopped)?;
            }
            Err(mpsc::TrySendError::Disconnected(_)) => return Err(ServiceError::WriterStopped),
        }
        answer.await.map_err(|_| ServiceError::WriterStopped)?
    }

    /// The latest checkpoint, with the cosignatures its witnesses have given it so far.
    pub fn latest_checkpoint(&self) -> Option<CheckpointInfo> {
        let mut cp = self.latest.read().ok().and_then(|c| c.clone())?;
        if let Ok(w) = self.witnessed.read() {
            w.cosign(cp.size, &mut cp.note);
        }
        Some(cp)
    }

    /// The size of the latest checkpoint (0 before the first), without copying its note.
    pub fn size(&self) -> u64 {
        self.latest.read().ok().and_then(|c| c.as_ref().map(|c| c.size)).unwrap_or(0)
    }

    /// Changes whenever a witness's line is added or renewed (what cached answers are keyed by).
    pub fn witness_stamp(&self) -> u64 {
        self.witnessed.read().map_or(0, |w| w.stamp)
    }

    /// What the witnesses have cosigned so far.
    pub fn witnessed(&self) -> Witnessed {
        self.witnessed.read().map(|w| w.clone()).unwrap_or_default()
    }

    /// What the witness client needs: the latest checkpoint, and where cosignatures go. It
    /// does not keep the ledger open.
    pub fn witness_side(&self) -> WitnessSide {
        WitnessSide { latest: self.latest.clone(), witnessed: self.witnessed.clone() }
    }

    /// The rules the ledger runs, as its entry 0 says.
    pub fn rules(&self) -> Rules {
        self.rules
    }

    pub fn identity(&self) -> &LogIdentity {
        &self.identity
    }

    /// Current assets, invalidated by the writer.
    pub fn cache(&self) -> &AssetCache {
        &self.cache
    }

    /// The state map's nodes not in the database yet, for proofs at the latest checkpoint.
    pub fn map_nodes(&self) -> &RwLock<db::map::NodeCache> {
        &self.map_nodes
    }

    /// The C2SP verifier key of the log.
    pub fn vkey(&self) -> &str {
        &self.vkey
    }
}

/// The witness client's view of the ledger.
pub struct WitnessSide {
    latest: Arc<RwLock<Option<CheckpointInfo>>>,
    witnessed: Arc<RwLock<Witnessed>>,
}

impl WitnessSide {
    /// Whether every handle of the ledger is gone.
    pub fn is_closed(&self) -> bool {
        Arc::strong_count(&self.witnessed) == 1
    }

    /// The latest checkpoint as the log signed it.
    pub fn signed_checkpoint(&self) -> Option<CheckpointInfo> {
        self.latest.read().ok().and_then(|c| c.clone())
    }

    /// Keeps witness `name`'s cosignature `line` on the checkpoint of `size`; lines on an
    /// older checkpoint give way to the first on a newer one.
    pub fn add_cosignature(&self, size: u64, name: &str, line: String) {
        if let Ok(mut w) = self.witnessed.write() {
            if size > w.size {
                w.size = size;
                w.lines.clear();
            }
            if size == w.size {
                w.lines.insert(name.to_owned(), line);
                w.stamp += 1;
            }
        }
    }
}
