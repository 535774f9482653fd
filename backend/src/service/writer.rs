//! The single writer: takes jobs off the queue, judges and appends their records in one
//! transaction per group, signs a checkpoint whose root it recomputed from stored nodes and
//! checked consistent with the previous one, commits (one fsync), then answers every job.

use std::collections::HashMap;
use std::sync::{Arc, RwLock, mpsc};

use diesel::sqlite::SqliteConnection;
use terroir_shared::Hash;
use terroir_shared::crypto::Keypair;
use terroir_shared::entry::LedgerEntry;
use terroir_shared::log::{Frontier, leaf_hash, prove_consistency, root, verify_checkpoint};
use terroir_shared::party::PartyId;
use terroir_shared::record::{Act, OpenLedger, Record, Signed, Unsigned};
use terroir_shared::rules::{self, Context, Effects, Needs, Rules};
use terroir_shared::state::{self, ChangeSet};

use super::ServiceError;
use super::cache::AssetCache;
use super::commit::{
    Answer, CheckpointInfo, Clock, Decided, Job, LogIdentity, MAX_ENTRY_BYTES, MAX_GROUP, StateMap, Verdict,
};
use super::group::{Group, KnownKeys, Staged};
use crate::db::map::Tip;
use crate::db::pin::Pin;
use crate::db::wal::Wal;
use crate::db::{self, DbError, checkpoints::CheckpointRow, hash_from, nodes::DbNodes};
use crate::metrics::Metrics;

pub(super) struct Writer {
    conn: SqliteConnection,
    identity: Arc<LogIdentity>,
    latest: Arc<RwLock<Option<CheckpointInfo>>>,
    clock: Clock,
    metrics: Arc<Metrics>,
    cache: Arc<AssetCache>,
    wal: Arc<Wal>,
    /// Lets readers at the latest commit share one WAL lock; released during each group.
    pin: Pin,
    known: KnownKeys,
    frontier: Frontier,
    last_leaf: Hash,
    /// The rules this ledger runs, as its first entry says.
    rules: Rules,
    /// The state map's tip and root, at the log's size, if it keeps the map.
    keeps_map: bool,
    map: Tip,
    map_root: Hash,
    /// A read connection the map's next version is worked out through, beside the writer's,
    /// and the tree's nodes not written back yet (shared with the readers).
    map_reader: SqliteConnection,
    map_cache: Arc<RwLock<db::map::NodeCache>>,
}

/// How long without a job counts as a lull.
const LULL: std::time::Duration = std::time::Duration::from_millis(20);

/// The state map is written back once this many changes are logged, or as many as it has keys
/// if that is more: each write-back costs about one row per key changed since the last, so
/// writing back rarely lets the tree's upper nodes, and keys changed again, be written once.
/// A crash replays at most that many changes at start-up.
const WRITE_BACK_AT: usize = 250_000;

/// Idle this long, the writer writes the map back whatever its backlog, so that a server at rest
/// starts without replaying anything.
const WRITE_BACK_IDLE: std::time::Duration = std::time::Duration::from_secs(30);

impl Writer {
    /// Opens the database at `path` to write (and a [`Pin`] beside it) and loads the log's tip.
    /// An empty log is opened first: entry 0, signed by `operator`, names the rules it will
    /// run for good ([`Rules::CURRENT`]).
    #[allow(clippy::too_many_arguments)]
    pub fn load(
        path: &std::path::Path,
        identity: Arc<LogIdentity>,
        operator: &Keypair,
        latest: Arc<RwLock<Option<CheckpointInfo>>>,
        clock: Clock,
        metrics: Arc<Metrics>,
        cache: Arc<AssetCache>,
        wal: Arc<Wal>,
        keep: StateMap,
        map_cache: Arc<RwLock<db::map::NodeCache>>,
    ) -> Result<Self, ServiceError> {
        let mut conn = db::open_writer(path)?;
        let pin = Pin::open(path);
        let (frontier, last_leaf, checkpoint) = load_tip(&mut conn)?;
        state_not_ahead(&mut conn, frontier.size())?;
        // The tip must carry this log's own signature: a database from another log, or a
        // tampered checkpoint, is refused before anything is appended to it.
        let committed = committed_state(&identity, checkpoint.as_ref())?;
        if let Ok(mut slot) = latest.write() {
            *slot = checkpoint;
        }
        metrics.log_size.set(frontier.size());
        let rules = match frontier.size() {
            0 => Rules::CURRENT,
            _ => ledger_rules(&mut conn)?,
        };
        let keeps_map = keep == StateMap::Kept;
        if keeps_map && db::map::tip(&mut conn)?.size < frontier.size() {
            build_map(&mut conn, &identity, frontier.size())?;
        }
        let (map, map_root) = match keeps_map {
            true => load_map(&mut conn, &map_cache, frontier.size(), committed)?,
            false => (Tip { size: frontier.size(), version: None }, state::tree::EMPTY_ROOT),
        };
        let mut writer = Self {
            conn,
            identity,
            latest,
            clock,
            metrics,
            cache,
            wal,
            pin,
            known: KnownKeys::default(),
            frontier,
            last_leaf,
            rules,
            keeps_map,
            map,
            map_root,
            map_reader: db::open_reader(path)?,
            map_cache,
        };
        if writer.frontier.size() == 0 {
            writer.open_ledger(operator)?;
        }
        Ok(writer)
    }

    /// The rules this ledger runs.
    pub fn rules(&self) -> Rules {
        self.rules
    }

    /// Appends entry 0 of a new log: the operator's `open_ledger` naming its rules.
    fn open_ledger(&mut self, operator: &Keypair) -> Result<(), ServiceError> {
        if PartyId(operator.public()) != self.identity.operator {
            return Err(ServiceError::Integrity("the operator key is not this log's operator".into()));
        }
        let record = Record {
            origin: self.identity.origin.clone(),
            party: self.identity.operator,
            signer: operator.public(),
            at: (self.clock)(),
            act: Act::OpenLedger(OpenLedger { rules: self.rules }),
        };
        let signed = Unsigned::new(record)
            .sign(operator)
            .map_err(|e| ServiceError::Integrity(format!("cannot sign the ledger's opening: {e}")))?;
        match self.commit(&[&signed])?.verdicts.as_slice() {
            [Verdict::Accepted(0)] => {
                tracing::info!(rules = %self.rules, "opened a new ledger");
                Ok(())
            }
            other => Err(ServiceError::Integrity(format!("the ledger's opening was not entry 0: {other:?}"))),
        }
    }

    pub fn run(mut self, jobs: mpsc::Receiver<Job>, answers: mpsc::Sender<Answer>) {
        self.pin.hold();
        loop {
            // After a lull (not a gap between two groups), let the WAL start over.
            let first = match jobs.recv_timeout(LULL) {
                Ok(job) => job,
                Err(mpsc::RecvTimeoutError::Timeout) => {
                    self.wal.lull();
                    match self.idle(&jobs) {
                        Some(job) => job,
                        None => break,
                    }
                }
                Err(mpsc::RecvTimeoutError::Disconnected) => break,
            };
            let mut group = vec![first];
            let mut count = group[0].records.len();
            while count < MAX_GROUP {
                match jobs.try_recv() {
                    Ok(job) => {
                        count += job.records.len();
                        group.push(job);
                    }
                    Err(_) => break,
                }
            }
            let records: Vec<&Signed<Record>> = group.iter().flat_map(|j| j.records.iter()).collect();
            let started = std::time::Instant::now();
            self.pin.release();
            let result = self.commit(&records);
            self.pin.hold();
            self.metrics.commit_seconds.observe(started.elapsed().as_secs_f64());
            self.metrics.group_records.observe(records.len() as f64);
            self.metrics.log_size.set(self.frontier.size());
            if let Ok(decided) = &result {
                for verdict in &decided.verdicts {
                    match verdict {
                        Verdict::Accepted(_) => self.metrics.accepted(),
                        Verdict::Duplicate(_) => self.metrics.duplicate(),
                        Verdict::Refused(v) => self.metrics.refused_with(v.code()),
                        Verdict::TooLarge(_) => self.metrics.refused_with("entry_too_large"),
                    }
                }
            }
            if let Err(e) = &result {
                tracing::error!(error = %e, "group commit failed; nothing of it was stored");
                if let Err(e) = self.reload() {
                    tracing::error!(error = %e, "cannot reload the log tip");
                }
            }
            if answers.send(Answer { jobs: group, result }).is_err() {
                tracing::error!("the receipt builder has stopped");
                break;
            }
            // While the receipts are built: keep the WAL from growing without end.
            self.wal.settle();
            if self.keeps_map && self.map_cache().pending() >= WRITE_BACK_AT.max(self.map_keys()) {
                self.write_back();
            }
        }
        if self.keeps_map {
            self.write_back();
        }
        self.pin.release();
        tracing::info!("ledger writer stopped");
    }

    /// Waits for the next job (`None`: no more will come); idle long enough, writes the state
    /// map back first.
    fn idle(&mut self, jobs: &mpsc::Receiver<Job>) -> Option<Job> {
        if self.keeps_map && self.map_cache().pending() > 0 {
            match jobs.recv_timeout(WRITE_BACK_IDLE) {
                Ok(job) => return Some(job),
                Err(mpsc::RecvTimeoutError::Disconnected) => return None,
                Err(mpsc::RecvTimeoutError::Timeout) => self.write_back(),
            }
        }
        jobs.recv().ok()
    }

    fn map_cache(&self) -> std::sync::RwLockReadGuard<'_, db::map::NodeCache> {
        self.map_cache.read().unwrap_or_else(|e| e.into_inner())
    }

    /// How many keys the map holds (from its root node, in memory).
    fn map_keys(&self) -> usize {
        let cache = self.map_cache();
        cache.leaf_count(self.map.version).unwrap_or(0)
    }

    /// Writes the versions the map has taken in since the last write-back to the database, in
    /// one transaction; on failure they stay logged and cached, and are tried again later.
    fn write_back(&mut self) {
        let Some(through) = self.map.version else { return };
        if self.map_cache().pending() == 0 {
            return;
        }
        let started = std::time::Instant::now();
        self.pin.release();
        let cache = self.map_cache.clone();
        let written = {
            let cache = cache.read().unwrap_or_else(|e| e.into_inner());
            self.conn.immediate_transaction(|conn| db::map::write_back(conn, &cache, through))
        };
        self.pin.hold();
        match written {
            Ok(()) => {
                self.map_cache.write().unwrap_or_else(|e| e.into_inner()).written_back();
                tracing::debug!(version = through, took = ?started.elapsed(), "state map written back");
            }
            Err(e) => tracing::error!(error = %e, "cannot write the state map back; its changes stay logged"),
        }
    }

    fn reload(&mut self) -> Result<(), ServiceError> {
        let (frontier, last_leaf, checkpoint) = load_tip(&mut self.conn)?;
        if self.keeps_map {
            let committed = committed_state(&self.identity, checkpoint.as_ref())?;
            (self.map, self.map_root) =
                load_map(&mut self.conn, &self.map_cache, frontier.size(), committed)?;
        }
        self.frontier = frontier;
        self.last_leaf = last_leaf;
        Ok(())
    }

    /// Judges and appends `records` in one transaction; returns one outcome per record.
    fn commit(&mut self, records: &[&Signed<Record>]) -> Result<Decided, ServiceError> {
        let now = (self.clock)();
        let identity = self.identity.clone();
        let mut ctx =
            Context { origin: &identity.origin, operator: identity.operator, rules: self.rules, now };
        let mut frontier = self.frontier.clone();
        let mut last_leaf = self.last_leaf;
        let linked = self.last_leaf;
        let start_size = frontier.size();
        let previous = self.latest.read().ok().and_then(|c| c.clone());
        let known_keys = &mut self.known;
        let (mut map, mut map_root, keeps_map) = (self.map, self.map_root, self.keeps_map);
        let map_reader = &mut self.map_reader;
        let map_cache = &*self.map_cache;
        let committed = self.conn.immediate_transaction(|conn| {
            let mut group = Group::default();
            let mut changes = ChangeSet::default();
            let mut verdicts = Vec::with_capacity(records.len());
            for record in records {
                let id = record.id();
                let needs = rules::needs(record, ctx.rules);
                let known = match group.index_of(&id) {
                    Some(i) => Some(i),
                    None => index_in_log(conn, &id, &needs)?,
                };
                if let Some(index) = known {
                    verdicts.push(Verdict::Duplicate(index));
                    continue;
                }
                // Not in the log: the assets it would create cannot exist yet.
                let snapshot = group.snapshot(conn, known_keys, &needs, &needs.creates, record.body())?;
                // Entry 0 opens the log; nothing else may.
                let judged = match frontier.size() {
                    0 => rules::open_ledger(record, &ctx).map(|r| {
                        ctx.rules = r;
                        Effects::default()
                    }),
                    _ => rules::apply(&snapshot, record, &ctx),
                };
                match judged {
                    Err(v) => verdicts.push(Verdict::Refused(v)),
                    Ok(effects) => {
                        let index = frontier.size();
                        let leaf = LedgerEntry::leaf_bytes_of(index, &last_leaf, record);
                        debug_assert_eq!(
                            Some(&leaf),
                            LedgerEntry { index, prev: last_leaf, record: record.envelope() }
                                .leaf_bytes()
                                .ok()
                                .as_ref()
                        );
                        if leaf.len() > MAX_ENTRY_BYTES {
                            verdicts.push(Verdict::TooLarge(leaf.len()));
                            continue;
                        }
                        let found_by_id = found_by_id(&id, &needs, &effects)?;
                        // Only now is the record certain to be appended.
                        let leaf_hash = leaf_hash(&leaf);
                        let nodes = frontier.append(leaf_hash);
                        let staged = Staged { index, record_id: id, leaf_hash, leaf, nodes, found_by_id };
                        if keeps_map {
                            changes.add(state::changes(index, &leaf_hash, &effects));
                        }
                        group.stage(staged, effects, &needs.creates);
                        last_leaf = leaf_hash;
                        verdicts.push(Verdict::Accepted(index));
                    }
                }
            }
            // The map's next version is worked out on another thread while the group's rows are
            // written: every node it reads is committed already.
            let grew = frontier.size() > start_size;
            let computed = std::thread::scope(|s| {
                let tree = (keeps_map && grew)
                    .then(|| {
                        std::thread::Builder::new()
                            .name("ledger-map".into())
                            .spawn_scoped(s, || compute_map(map_reader, map_cache, map, changes))
                    })
                    .transpose()
                    .map_err(|e| ServiceError::Integrity(format!("cannot start the map's thread: {e}")))?;
                let wrote = group.write(conn, now.millis() as i64);
                let tree = tree.map(|t| t.join().unwrap_or_else(|panic| std::panic::resume_unwind(panic)));
                wrote.map(|()| tree).map_err(ServiceError::from)
            })?;
            let mut replaced = Vec::new();
            let signed = if grew {
                let state = match computed {
                    Some(tree) => {
                        (map, map_root, replaced) =
                            store_map(conn, map_cache, (map, map_root), tree?, frontier.size())?;
                        Some(map_root)
                    }
                    None => None,
                };
                let at = now.millis() as i64;
                Some(sign_checkpoint(conn, &identity, &frontier, state, previous.as_ref(), at)?)
            } else {
                None
            };
            let leaves = group.staged.iter().map(|s| (s.index, s.leaf_hash));
            let leaves: HashMap<u64, Hash> =
                start_size.checked_sub(1).map(|i| (i, linked)).into_iter().chain(leaves).collect();
            Ok::<_, ServiceError>((
                verdicts,
                leaves,
                signed,
                group.changed_assets(),
                group.keys_changed(),
                replaced,
            ))
        });
        let (verdicts, leaves, signed, changed, (parties, devices), replaced) = match committed {
            Ok(c) => c,
            Err(e) => {
                self.known.forget();
                // The cache may hold a version that was never committed: the caller reloads
                // the map from the database and its log of changes.
                return Err(e);
            }
        };
        if !replaced.is_empty() {
            // Committed: the next write-back leaves out what this version replaced; readers
            // that began before the commit may still read it for a while.
            let now = std::time::Instant::now();
            self.map_cache.write().unwrap_or_else(|e| e.into_inner()).retire_later(replaced, now);
        }
        self.cache.invalidate(changed, &parties);
        self.known.learn(parties, devices);
        self.frontier = frontier;
        self.last_leaf = last_leaf;
        self.rules = ctx.rules;
        (self.map, self.map_root) = (map, map_root);
        if let Some(cp) = signed
            && let Ok(mut slot) = self.latest.write()
        {
            *slot = Some(cp);
        }
        Ok(Decided { verdicts, leaves })
    }
}

/// The index of the entry holding record `id`, if the log has it (idempotent resubmission). A
/// record that creates assets is found through its first output: that id derives from the
/// record's own, so the output exists exactly when the record was accepted, and its place says
/// which entry created it. Any other record is found in the record index.
fn index_in_log(conn: &mut SqliteConnection, id: &Hash, needs: &Needs) -> Result<Option<u64>, DbError> {
    match needs.creates.first() {
        Some(first) => db::state::created_at(conn, first),
        None => Ok(db::entries::indexed(conn, id.as_bytes())?.map(|i| i as u64)),
    }
}

/// Whether an accepted record must go into the record index, i.e. creates no asset. One that
/// does must have created its first output, or [`index_in_log`] could not find it again.
fn found_by_id(id: &Hash, needs: &Needs, effects: &Effects) -> Result<bool, ServiceError> {
    let Some(first) = needs.creates.first() else {
        return Ok(true);
    };
    if effects.assets.iter().any(|a| a.id == *first && a.created_by == *id) {
        Ok(false)
    } else {
        Err(ServiceError::Integrity(format!("record {id} was accepted without creating its first output")))
    }
}

/// A group's next version of the map, with the values of the leaves and the nodes read from
/// the database to work it out: none when the group changed nothing.
type ComputedMap =
    Option<(state::Written, db::map::LeafValues, Vec<(state::tree::NodeKey, state::tree::Node)>)>;

/// Works out a group's next version from the map as committed (read through the writer's
/// cache, then `conn`).
fn compute_map(
    conn: &mut SqliteConnection,
    cache: &RwLock<db::map::NodeCache>,
    tip: Tip,
    changes: ChangeSet,
) -> Result<ComputedMap, ServiceError> {
    let cache = cache.read().unwrap_or_else(|e| e.into_inner());
    let reader = db::map::CachedMap::new(&cache, conn);
    let written = state::tree::write(&reader, tip.version, changes.into_changes())
        .map_err(|e| ServiceError::Integrity(e.to_string()))?;
    let (moved, read) = reader.into_read();
    Ok(written.map(|w| (w, moved, read)))
}

/// Logs a computed version's changes in the group's transaction, moves the tip (at `root`) to
/// `size`, and adds the version's nodes to the cache; returns the tip, the root, and the nodes
/// the version replaced (to drop from the cache once the transaction commits). A group that
/// changed nothing in the map keeps its version and root.
fn store_map(
    conn: &mut SqliteConnection,
    cache: &RwLock<db::map::NodeCache>,
    (tip, root): (Tip, Hash),
    computed: ComputedMap,
    size: u64,
) -> Result<(Tip, Hash, Vec<state::tree::NodeKey>), ServiceError> {
    let Some((written, moved, read)) = computed else {
        let tip = Tip { size, version: tip.version };
        db::map::set_tip(conn, tip)?;
        return Ok((tip, root, Vec::new()));
    };
    db::map::log_version(conn, written.version, size, &written.values)?;
    let tip = Tip { size, version: Some(written.version) };
    db::map::set_tip(conn, tip)?;
    cache.write().unwrap_or_else(|e| e.into_inner()).take_in(&written, read, &moved);
    Ok((tip, written.root, written.stale))
}

/// Builds the state map of a ledger kept from before the map, once: the whole log is audited and
/// replayed, and the map it gives stored as one version. Its root is committed to from the next
/// checkpoint on.
fn build_map(conn: &mut SqliteConnection, identity: &LogIdentity, size: u64) -> Result<(), ServiceError> {
    tracing::info!(entries = size, "building the state map from the log (once, for a ledger from before it)");
    let vkey = identity.signer.vkey();
    let (report, rebuilt) =
        super::audit::rebuild(conn, &identity.origin, identity.operator, &vkey, &|_, _| {})
            .map_err(|e| ServiceError::Integrity(format!("cannot build the state map: {e}")))?;
    if !matches!(report.stored_map, super::audit::StoredMap::NotBuilt { .. }) {
        return Err(ServiceError::Integrity(format!(
            "the state map is behind the log but not empty ({:?})",
            report.stored_map
        )));
    }
    conn.immediate_transaction(|conn| {
        let written = state::tree::write(&db::map::DbMap::new(conn), None, rebuilt.to_changes())
            .map_err(|e| ServiceError::Integrity(e.to_string()))?;
        if let Some(w) = &written {
            db::map::write_version(conn, w)?;
        }
        db::map::set_tip(conn, Tip { size, version: written.map(|w| w.version) })?;
        Ok::<_, ServiceError>(())
    })?;
    tracing::info!(keys = rebuilt.len(), root = %rebuilt.root(), "state map built");
    Ok(())
}

/// The state map's tip and root at start-up. The map must have taken in exactly the log, and
/// its root must be the one the latest checkpoint commits to (a checkpoint from before the
/// ledger kept the map commits to none).
fn load_map(
    conn: &mut SqliteConnection,
    cache: &RwLock<db::map::NodeCache>,
    size: u64,
    committed: Option<Hash>,
) -> Result<(Tip, Hash), ServiceError> {
    let tip = db::map::tip(conn)?;
    if tip.size != size {
        return Err(ServiceError::Integrity(format!(
            "the state map has taken in {} entries, the log has {size}",
            tip.size
        )));
    }
    let mut cache = cache.write().unwrap_or_else(|e| e.into_inner());
    // The versions not written back are replayed from their logged changes.
    let replayed = db::map::replay(conn, &mut cache, tip)?;
    if replayed > 0 {
        tracing::info!(changes = replayed, "replayed the state map's changes not written back");
    }
    let root = db::map::root(conn, &cache, tip)?;
    match committed {
        Some(c) if c != root => Err(ServiceError::Integrity(format!(
            "the state map's root {root} is not the one the latest checkpoint commits to ({c})"
        ))),
        _ => Ok((tip, root)),
    }
}

/// The state map's root the latest checkpoint commits to, its signature by this log checked.
fn committed_state(
    identity: &LogIdentity,
    latest: Option<&CheckpointInfo>,
) -> Result<Option<Hash>, ServiceError> {
    let Some(cp) = latest else { return Ok(None) };
    let checkpoint = verify_checkpoint(&cp.note, &identity.signer.vkey())
        .map_err(|e| ServiceError::Integrity(format!("the latest checkpoint does not verify: {e}")))?;
    Ok(checkpoint.state)
}

/// Invariant 6: the root signed is recomputed from the stored nodes and checked consistent
/// with the previous checkpoint before the key touches it; the state map's root beside it was
/// recomputed from the stored map.
fn sign_checkpoint(
    conn: &mut SqliteConnection,
    identity: &LogIdentity,
    frontier: &Frontier,
    state: Option<Hash>,
    previous: Option<&CheckpointInfo>,
    now: i64,
) -> Result<CheckpointInfo, ServiceError> {
    let size = frontier.size();
    let stored_root = root(size, &DbNodes::new(conn))?;
    if stored_root != frontier.root() {
        return Err(ServiceError::Integrity(format!(
            "root recomputed from stored nodes ({stored_root}) differs from the appended tree ({})",
            frontier.root()
        )));
    }
    if let Some(prev) = previous.filter(|p| p.size > 0) {
        let proof = prove_consistency(prev.size, size, &DbNodes::new(conn))?;
        proof.verify(&prev.root, &stored_root)?;
    }
    let signed = identity.signer.sign_with_state(size, &stored_root, state);
    let note = signed.to_text();
    db::checkpoints::insert(
        conn,
        &CheckpointRow {
            size: size as i64,
            root: stored_root.0.to_vec(),
            note: note.clone(),
            signed_at: now,
        },
    )?;
    Ok(CheckpointInfo { size, root: stored_root, note })
}

/// Refuses derived state that names entries the log does not hold (a log cut back, or state
/// restored from a newer copy than its log): serving it would state what no record proves.
/// The highest asset place (by its key) and the highest entry the record index names (a scan
/// of that small table, a few milliseconds at a million entries); `audit` compares every row.
fn state_not_ahead(conn: &mut SqliteConnection, size: u64) -> Result<(), ServiceError> {
    let made_by = db::derived::highest_place(conn)?.map(db::state::made_by);
    let indexed = db::derived::highest_indexed(conn)?.map(|i| i as u64);
    for (what, index) in [("an asset made by", made_by), ("a record indexed at", indexed)] {
        if let Some(i) = index.filter(|i| *i >= size) {
            return Err(ServiceError::Integrity(format!(
                "the served state holds {what} entry {i}, but the log has {size} entries: the state is ahead of its log (run `terroir-backend audit`)"
            )));
        }
    }
    Ok(())
}

/// The rules the stored log runs, from its entry 0.
fn ledger_rules(conn: &mut SqliteConnection) -> Result<Rules, ServiceError> {
    let first =
        db::entries::get(conn, 0)?.ok_or_else(|| ServiceError::Integrity("entry 0 is missing".into()))?;
    let entry = LedgerEntry::from_leaf_bytes(&first.leaf)
        .map_err(|e| ServiceError::Integrity(format!("entry 0 does not parse: {e}")))?;
    Ok(rules::rules_of(&entry.record.record))
}

/// The frontier, the last leaf hash and the latest checkpoint, read at start-up.
fn load_tip(conn: &mut SqliteConnection) -> Result<(Frontier, Hash, Option<CheckpointInfo>), ServiceError> {
    let size = db::entries::size(conn)?;
    let frontier = Frontier::load(size, &DbNodes::new(conn))?;
    let last_leaf = match size {
        0 => Hash::default(),
        n => {
            let e = db::entries::get(conn, n as i64 - 1)?
                .ok_or_else(|| ServiceError::Integrity(format!("entry {} is missing", n - 1)))?;
            hash_from(&e.leaf_hash)?
        }
    };
    let checkpoint = db::checkpoints::latest(conn)?
        .map(|c| {
            Ok::<_, ServiceError>(CheckpointInfo {
                size: c.size as u64,
                root: hash_from(&c.root)?,
                note: c.note,
            })
        })
        .transpose()?;
    match &checkpoint {
        Some(c) if c.size != size || c.root != frontier.root() => Err(ServiceError::Integrity(format!(
            "the latest checkpoint (size {}) does not match the stored tree (size {size})",
            c.size
        ))),
        None if size > 0 => Err(ServiceError::Integrity("entries without a checkpoint".into())),
        _ => Ok((frontier, last_leaf, checkpoint)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use terroir_shared::calendar::Timestamp;
    use terroir_shared::crypto::Keypair;

    #[test]
    fn the_leaves_appended_are_the_entries_canonical_bytes_for_every_act() {
        let operator = Keypair::from_seed(&[9; 32]);
        let records = crate::service::demo::demo_records(
            "test/terroir",
            &operator,
            [3; 32],
            Timestamp(1_700_000_000_000),
        )
        .expect("sample records");
        let mut prev = Hash::default();
        for (index, record) in records.iter().enumerate() {
            let entry = LedgerEntry { index: index as u64, prev, record: record.envelope() };
            let canonical = entry.leaf_bytes().expect("canonical");
            assert_eq!(LedgerEntry::leaf_bytes_of(index as u64, &prev, record), canonical, "entry {index}");
            prev = leaf_hash(&canonical);
        }
        assert!(records.len() > 50, "every kind of act is among {}", records.len());
    }
}
