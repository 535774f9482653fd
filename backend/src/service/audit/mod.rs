//! The auditor's check of a whole ledger database, from scratch: it trusts nothing stored but
//! the entries' leaf bytes and the signed checkpoints, and recomputes everything else.
//!
//! Entries are streamed in index order, a chunk at a time. Each chunk is parsed (strictly:
//! leaf bytes must be the entry's canonical JSON) and its signatures batch-verified on two
//! threads; then, in order, every entry's index, hash link, stored leaf hash and record id are
//! checked, its record is replayed through the same rules the server ran (at the time the server
//! accepted it), its leaf is appended to a recomputed tree whose hashes must equal the stored
//! node rows, and every checkpoint of that size must be signed by the log key over exactly the
//! recomputed root. Every checkpoint equals the root of one recomputed tree at its size, so any
//! two of them are consistent with each other. Records are replayed under the rules the ledger's
//! entry 0 names (version 1 for a ledger that opens with anything else). Then every table the
//! server serves from (parties, devices, assets, identity keys, lineage, the record index) is
//! held row by row to the replay (`state`): a forged owner, a label pointed at other goods, an
//! asset left behind by a log cut back, all fail. The state map is rebuilt from the replay: the
//! root each checkpoint commits to must be the rebuilt one at its size, and the stored map's
//! root and every stored value must be the rebuilt ones. The first failure is reported, naming
//! the entry (or checkpoint size, node or row) and what is wrong with it.

mod state;

use terroir_shared::Hash;
use terroir_shared::calendar::Timestamp;
use terroir_shared::log::{
    Checkpoint, CheckpointError, Frontier, VerifierKey, leaf_hash, split_stored_hash_index,
    stored_hash_count, stored_hash_index, verify_checkpoint,
};
use terroir_shared::party::PartyId;
use terroir_shared::record::{Record, Signed, VerifyError, verify_batch};
use terroir_shared::rules::{self, Context, MemoryLedger, RuleViolation, Rules};
use terroir_shared::state::{self as map, ChangeSet, MemoryMap};

use diesel::sqlite::SqliteConnection;

use crate::db::checkpoints::CheckpointRow;
use crate::db::entries::EntryRow;
use crate::db::{self, DbError};

/// Entries read, parsed and verified per round trip to the database.
const CHUNK: u64 = 10_000;
/// Signatures per batch verification.
const BATCH: usize = 1_024;

/// What a passing audit recomputed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AuditReport {
    /// Entries checked and replayed: the size of the log.
    pub entries: u64,
    /// Signed checkpoints checked against the recomputed tree.
    pub checkpoints: u64,
    /// Stored tree hashes checked.
    pub nodes: u64,
    /// The root recomputed from the entries (the latest checkpoint signs it).
    pub root: Hash,
    /// Parties and assets in the replayed state.
    pub parties: usize,
    pub assets: usize,
    /// The rules the ledger runs, as its entry 0 says.
    pub rules: Rules,
    /// The state map's root rebuilt from the replay, and how many keys it holds.
    pub state_root: Hash,
    pub state_keys: usize,
    /// Whether the stored map was held to it; a ledger from before the map has none yet (the
    /// server builds it at start-up).
    pub stored_map: StoredMap,
}

/// What became of the stored state map.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum StoredMap {
    /// Its root and every value equal the rebuilt ones.
    Checked,
    /// It has taken in only the first `size` entries: it is not built yet.
    NotBuilt { size: u64 },
}

/// The first thing found wrong in the database, and where.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum AuditFailure {
    #[error("entry {index} is missing")]
    EntryMissing { index: u64 },
    #[error("entry {index}: the leaf bytes are not the entry's canonical JSON: {reason}")]
    LeafNotCanonical { index: u64, reason: String },
    #[error("entry {index}: the leaf says it is entry {claimed}")]
    IndexMismatch { index: u64, claimed: u64 },
    #[error("entry {index}: the hash link is broken: it names {found}, the previous leaf is {expected}")]
    HashLinkBroken { index: u64, expected: Hash, found: Hash },
    #[error("entry {index}: the stored leaf hash {stored} is not the leaf's hash {computed}")]
    LeafHashMismatch { index: u64, stored: String, computed: Hash },
    #[error("entry {index}: the record's signature is invalid: {error}")]
    SignatureInvalid { index: u64, error: VerifyError },
    #[error("entry {index}: the stored record id {stored} is not the record's id {computed}")]
    RecordIdMismatch { index: u64, stored: String, computed: Hash },
    #[error("entry {index}: the acceptance time {value} is not a time")]
    BadReceivedAt { index: u64, value: i64 },
    #[error("entry {index}: the rules refuse the record on replay: {violation}")]
    RuleRefused { index: u64, violation: RuleViolation },
    #[error("entry {entry}: tree node {node} (level {level}, #{n}) is missing")]
    NodeMissing { entry: u64, node: u64, level: u8, n: u64 },
    #[error(
        "entry {entry}: tree node {node} (level {level}, #{n}) is stored as {stored}, recomputed {computed}"
    )]
    NodeMismatch { entry: u64, node: u64, level: u8, n: u64, stored: String, computed: Hash },
    #[error(
        "{found} tree nodes are stored (indexes {lowest:?}..={highest:?}), a log of this size has {expected}"
    )]
    UnexpectedNodes { expected: u64, found: u64, lowest: Option<i64>, highest: Option<i64> },
    #[error("checkpoint {size}: the note is not signed by the log key: {error}")]
    CheckpointSignatureInvalid { size: u64, error: CheckpointError },
    #[error("checkpoint {size}: the note is for size {note_size}")]
    CheckpointSizeMismatch { size: u64, note_size: u64 },
    #[error("checkpoint {size}: the stored root {stored} is not the root the note signs ({signed})")]
    CheckpointRootColumnMismatch { size: u64, stored: String, signed: Hash },
    #[error(
        "checkpoint {size}: it signs root {signed}, the entries give {recomputed}, so it is not consistent with the log"
    )]
    CheckpointRootDiffers { size: u64, signed: Hash, recomputed: Hash },
    #[error("checkpoint {size} is outside the log of {entries} entries")]
    CheckpointOutOfRange { size: i64, entries: u64 },
    #[error(
        "no checkpoint of size {size}: entries {} and {size} were accepted at different times, so a commit ended between them and signed one",
        size - 1
    )]
    CheckpointMissing { size: u64 },
    #[error("the log has {entries} entries, the latest checkpoint covers {checkpointed}")]
    EntriesNotCheckpointed { entries: u64, checkpointed: u64 },
    #[error("the served state differs from the log: {table} row {key}: {what}")]
    StateDiffers { table: &'static str, key: String, what: String },
    #[error("checkpoint {size}: it commits to state map root {signed}, the entries give {recomputed}")]
    StateRootDiffers { size: u64, signed: Hash, recomputed: Hash },
    #[error("checkpoint {size} commits to no state map root, though checkpoint {since} before it did")]
    StateLineMissing { size: u64, since: u64 },
    #[error("the stored state map differs from the log: {what}")]
    StoredMapDiffers { what: String },
}

impl AuditFailure {
    /// The entry the failure is about, if it is about one.
    pub fn entry(&self) -> Option<u64> {
        match self {
            AuditFailure::EntryMissing { index }
            | AuditFailure::LeafNotCanonical { index, .. }
            | AuditFailure::IndexMismatch { index, .. }
            | AuditFailure::HashLinkBroken { index, .. }
            | AuditFailure::LeafHashMismatch { index, .. }
            | AuditFailure::SignatureInvalid { index, .. }
            | AuditFailure::RecordIdMismatch { index, .. }
            | AuditFailure::BadReceivedAt { index, .. }
            | AuditFailure::RuleRefused { index, .. } => Some(*index),
            AuditFailure::NodeMissing { entry, .. } | AuditFailure::NodeMismatch { entry, .. } => {
                Some(*entry)
            }
            _ => None,
        }
    }

    /// The size of the checkpoint the failure is about, if it is about one.
    pub fn checkpoint(&self) -> Option<u64> {
        match self {
            AuditFailure::CheckpointSignatureInvalid { size, .. }
            | AuditFailure::CheckpointSizeMismatch { size, .. }
            | AuditFailure::CheckpointRootColumnMismatch { size, .. }
            | AuditFailure::CheckpointRootDiffers { size, .. }
            | AuditFailure::CheckpointMissing { size }
            | AuditFailure::StateRootDiffers { size, .. }
            | AuditFailure::StateLineMissing { size, .. } => Some(*size),
            AuditFailure::CheckpointOutOfRange { size, .. } => u64::try_from(*size).ok(),
            _ => None,
        }
    }
}

/// Why the audit did not pass: the database fails it, or it could not be run.
#[derive(Debug, thiserror::Error)]
pub enum AuditError {
    #[error("the ledger fails the audit: {0}")]
    Failed(Box<AuditFailure>),
    #[error("the log's verifier key is unusable: {0}")]
    VerifierKey(#[source] CheckpointError),
    #[error("the verifier key is for the log {key:?}, not {origin:?}")]
    KeyNotForOrigin { key: String, origin: String },
    #[error(transparent)]
    Db(#[from] DbError),
}

impl AuditError {
    /// The failure found, if the audit ran and found one.
    pub fn failure(&self) -> Option<&AuditFailure> {
        match self {
            AuditError::Failed(f) => Some(f),
            _ => None,
        }
    }
}

impl From<AuditFailure> for AuditError {
    fn from(f: AuditFailure) -> Self {
        AuditError::Failed(Box::new(f))
    }
}

/// Re-verifies the whole database. `origin` and `operator` are the log's, `vkey` its C2SP
/// verifier key; `progress(done, total)` is called after every chunk of entries.
pub fn audit(
    conn: &mut SqliteConnection,
    origin: &str,
    operator: PartyId,
    vkey: &str,
    progress: &dyn Fn(u64, u64),
) -> Result<AuditReport, AuditError> {
    rebuild(conn, origin, operator, vkey, progress).map(|(report, _)| report)
}

/// [`audit`], and the state map it rebuilt.
pub fn rebuild(
    conn: &mut SqliteConnection,
    origin: &str,
    operator: PartyId,
    vkey: &str,
    progress: &dyn Fn(u64, u64),
) -> Result<(AuditReport, MemoryMap), AuditError> {
    let key = VerifierKey::parse(vkey).map_err(AuditError::VerifierKey)?;
    if key.name != origin {
        return Err(AuditError::KeyNotForOrigin { key: key.name, origin: origin.to_owned() });
    }
    let total = u64::try_from(db::entries::count(conn)?).unwrap_or(0);
    let mut replay = Replay {
        origin,
        operator,
        ledger: MemoryLedger::new(),
        derived: state::Derived::default(),
        rules: Rules::V1,
        frontier: Frontier::new(),
        last_leaf: Hash::default(),
        last_received: None,
        last_checkpoint: 0,
        checkpoints: 0,
        map: MemoryMap::new(),
        changes: ChangeSet::default(),
        stated_since: None,
    };
    progress(0, total);
    // A pipeline: while this thread replays chunk k in order, two others parse and verify
    // chunk k + 1.
    std::thread::scope(|s| -> Result<(), AuditError> {
        let mut pending: Option<std::thread::ScopedJoinHandle<'_, Ready>> = None;
        let mut start = 0u64;
        loop {
            let next = if start < total {
                let chunk = Chunk::read(conn, start, (start + CHUNK).min(total))?;
                start = chunk.end;
                Some(s.spawn(move || prepare_in_parallel(chunk, vkey)))
            } else {
                None
            };
            if let Some(handle) = pending.take() {
                let ready = handle.join().unwrap_or_else(|panic| std::panic::resume_unwind(panic));
                let end = ready.chunk.end;
                replay.chunk(ready)?;
                progress(end, total);
            }
            match next {
                Some(handle) => pending = Some(handle),
                None => return Ok(()),
            }
        }
    })?;
    replay.finish(conn, total)
}

/// One chunk of stored rows: entries `start..end`, the nodes their appends write and the
/// checkpoints of sizes `start + 1..=end`.
struct Chunk {
    start: u64,
    end: u64,
    rows: Vec<EntryRow>,
    nodes: Vec<(i64, Vec<u8>)>,
    checkpoints: Vec<CheckpointRow>,
}

impl Chunk {
    fn read(conn: &mut SqliteConnection, start: u64, end: u64) -> Result<Self, DbError> {
        Ok(Self {
            start,
            end,
            rows: db::entries::range(conn, start as i64, end as i64)?,
            nodes: db::nodes::range(
                conn,
                stored_hash_index(0, start) as i64,
                stored_hash_index(0, end) as i64,
            )?,
            checkpoints: db::checkpoints::range(conn, start as i64, end as i64)?,
        })
    }
}

/// An entry after the parallel stage: parsed and its signature checked, or why its leaf bytes
/// are not a canonical entry.
type Prepared = Result<Parsed, String>;

struct Parsed {
    claimed: u64,
    prev: Hash,
    leaf_hash: Hash,
    signed: Result<Signed<Record>, VerifyError>,
}

type NoteVerdict = Result<Checkpoint, CheckpointError>;

/// A chunk with its entries parsed and verified and its checkpoint notes verified.
struct Ready {
    chunk: Chunk,
    entries: Vec<Prepared>,
    notes: Vec<NoteVerdict>,
}

/// Parses and verifies a chunk's entries and checkpoint notes, half on another thread.
fn prepare_in_parallel(chunk: Chunk, vkey: &str) -> Ready {
    let (left, right) = chunk.rows.split_at(chunk.rows.len().div_ceil(2));
    let (notes_left, notes_right) = chunk.checkpoints.split_at(chunk.checkpoints.len().div_ceil(2));
    let (entries, notes) = std::thread::scope(|s| {
        let other = s.spawn(|| (prepare(right), verify_notes(notes_right, vkey)));
        let (mut entries, mut notes) = (prepare(left), verify_notes(notes_left, vkey));
        match other.join() {
            Ok((more, more_notes)) => {
                entries.extend(more);
                notes.extend(more_notes);
                (entries, notes)
            }
            Err(panic) => std::panic::resume_unwind(panic),
        }
    });
    Ready { chunk, entries, notes }
}

fn prepare(rows: &[EntryRow]) -> Vec<Prepared> {
    let mut out = Vec::with_capacity(rows.len());
    for batch in rows.chunks(BATCH) {
        let mut heads = Vec::with_capacity(batch.len());
        let mut envelopes = Vec::with_capacity(batch.len());
        for row in batch {
            heads.push(match terroir_shared::entry::LedgerEntry::from_leaf_bytes(&row.leaf) {
                Ok(entry) => {
                    envelopes.push(entry.record);
                    Ok((entry.index, entry.prev, leaf_hash(&row.leaf)))
                }
                Err(e) => Err(e.to_string()),
            });
        }
        let mut verdicts = verify_batch(envelopes).into_iter();
        for head in heads {
            out.push(match (head, verdicts.next()) {
                (Err(reason), _) => Err(reason),
                (Ok((claimed, prev, leaf_hash)), Some(signed)) => {
                    Ok(Parsed { claimed, prev, leaf_hash, signed })
                }
                (Ok(_), None) => Err("no verdict for the signature".into()),
            });
        }
    }
    out
}

fn verify_notes(checkpoints: &[CheckpointRow], vkey: &str) -> Vec<NoteVerdict> {
    checkpoints.iter().map(|c| verify_checkpoint(&c.note, vkey)).collect()
}

/// The state rebuilt so far.
struct Replay<'a> {
    origin: &'a str,
    operator: PartyId,
    ledger: MemoryLedger,
    /// What the writer derives beside the state: histories, places, edges, the record index.
    derived: state::Derived,
    /// The rules entry 0 opened the ledger under (version 1 if it opens nothing).
    rules: Rules,
    frontier: Frontier,
    last_leaf: Hash,
    last_received: Option<i64>,
    /// The size of the last checkpoint met (0 before the first).
    last_checkpoint: u64,
    checkpoints: u64,
    /// The state map rebuilt up to the last checkpoint, and the changes since.
    map: MemoryMap,
    changes: ChangeSet,
    /// The first checkpoint that committed to a state root: every later one must.
    stated_since: Option<u64>,
}

impl Replay<'_> {
    /// Checks and replays a chunk's entries, in order.
    fn chunk(&mut self, ready: Ready) -> Result<(), AuditFailure> {
        let Ready { chunk, entries: prepared, notes } = ready;
        let Chunk { start, end, rows, nodes, checkpoints } = chunk;
        let mut prepared = prepared.into_iter();
        let mut node_cursor = 0usize;
        let mut checkpoints = checkpoints.iter().zip(notes).peekable();
        for index in start..end {
            let k = (index - start) as usize;
            let (Some(row), Some(item)) = (rows.get(k), prepared.next()) else {
                return Err(AuditFailure::EntryMissing { index });
            };
            if row.idx != index as i64 {
                return Err(AuditFailure::EntryMissing { index });
            }
            if let Some(previous) = self.last_received
                && previous != row.received_at
                && self.last_checkpoint != index
            {
                return Err(AuditFailure::CheckpointMissing { size: index });
            }
            let Parsed { claimed, prev, leaf_hash: leaf, signed } =
                item.map_err(|reason| AuditFailure::LeafNotCanonical { index, reason })?;
            if claimed != index {
                return Err(AuditFailure::IndexMismatch { index, claimed });
            }
            if prev != self.last_leaf {
                return Err(AuditFailure::HashLinkBroken { index, expected: self.last_leaf, found: prev });
            }
            if row.leaf_hash != leaf.as_bytes() {
                return Err(AuditFailure::LeafHashMismatch {
                    index,
                    stored: hex::encode(&row.leaf_hash),
                    computed: leaf,
                });
            }
            let signed = signed.map_err(|error| AuditFailure::SignatureInvalid { index, error })?;
            if row.record_id != signed.id().as_bytes() {
                return Err(AuditFailure::RecordIdMismatch {
                    index,
                    stored: hex::encode(&row.record_id),
                    computed: signed.id(),
                });
            }
            let now = u64::try_from(row.received_at)
                .map_err(|_| AuditFailure::BadReceivedAt { index, value: row.received_at })?;
            let ctx = Context {
                origin: self.origin,
                operator: self.operator,
                rules: self.rules,
                now: Timestamp(now),
            };
            let opens = index == 0 && matches!(signed.body().act, terroir_shared::record::Act::OpenLedger(_));
            if opens {
                self.rules = rules::open_ledger(&signed, &ctx)
                    .map_err(|violation| AuditFailure::RuleRefused { index, violation })?;
                self.derived.record(index, signed.id(), &rules::Effects::default());
            } else {
                let effects = rules::apply(&self.ledger, &signed, &ctx)
                    .map_err(|violation| AuditFailure::RuleRefused { index, violation })?;
                self.derived.record(index, signed.id(), &effects);
                self.changes.add(map::changes(index, &leaf, &effects));
                self.ledger.store(effects);
            }
            let first = stored_hash_index(0, index);
            for (j, computed) in self.frontier.append(leaf).into_iter().enumerate() {
                let node = first + j as u64;
                let (level, n) = split_stored_hash_index(node);
                match nodes.get(node_cursor) {
                    Some((idx, stored)) if *idx == node as i64 => {
                        node_cursor += 1;
                        if stored != computed.as_bytes() {
                            return Err(AuditFailure::NodeMismatch {
                                entry: index,
                                node,
                                level,
                                n,
                                stored: hex::encode(stored),
                                computed,
                            });
                        }
                    }
                    _ => {
                        return Err(AuditFailure::NodeMissing { entry: index, node, level, n });
                    }
                }
            }
            self.last_leaf = leaf;
            self.last_received = Some(row.received_at);
            while let Some((row, note)) = checkpoints.next_if(|(c, _)| c.size == index as i64 + 1) {
                self.checkpoint(row, note)?;
            }
        }
        Ok(())
    }

    /// Checks the checkpoint of the current size.
    fn checkpoint(&mut self, row: &CheckpointRow, note: NoteVerdict) -> Result<(), AuditFailure> {
        let size = self.frontier.size();
        let signed = note.map_err(|error| AuditFailure::CheckpointSignatureInvalid { size, error })?;
        if signed.size != size {
            return Err(AuditFailure::CheckpointSizeMismatch { size, note_size: signed.size });
        }
        if row.root != signed.root.as_bytes() {
            return Err(AuditFailure::CheckpointRootColumnMismatch {
                size,
                stored: hex::encode(&row.root),
                signed: signed.root,
            });
        }
        let recomputed = self.frontier.root();
        if signed.root != recomputed {
            return Err(AuditFailure::CheckpointRootDiffers { size, signed: signed.root, recomputed });
        }
        let state = self.map.apply(std::mem::take(&mut self.changes).into_changes()).map_err(|e| {
            AuditFailure::StoredMapDiffers {
                what: format!("the rebuilt map cannot take entry {}: {e}", size - 1),
            }
        })?;
        match (signed.state, self.stated_since) {
            (Some(signed), _) if signed != state => {
                return Err(AuditFailure::StateRootDiffers { size, signed, recomputed: state });
            }
            (Some(_), None) => self.stated_since = Some(size),
            (None, Some(since)) => return Err(AuditFailure::StateLineMissing { size, since }),
            _ => {}
        }
        self.last_checkpoint = size;
        self.checkpoints += 1;
        Ok(())
    }

    /// The checks on the whole log once every entry has been replayed.
    fn finish(self, conn: &mut SqliteConnection, total: u64) -> Result<(AuditReport, MemoryMap), AuditError> {
        if let Some(c) = db::checkpoints::outside(conn, total as i64)?.first() {
            return Err(AuditFailure::CheckpointOutOfRange { size: c.size, entries: total }.into());
        }
        if total > 0 && self.last_checkpoint != total {
            return Err(AuditFailure::EntriesNotCheckpointed {
                entries: total,
                checkpointed: self.last_checkpoint,
            }
            .into());
        }
        let expected = stored_hash_count(total);
        let (found, lowest, highest) = db::nodes::extent(conn)?;
        let found = u64::try_from(found).unwrap_or(0);
        if found != expected {
            return Err(AuditFailure::UnexpectedNodes { expected, found, lowest, highest }.into());
        }
        match self.derived.compare(conn, &self.ledger) {
            Ok(()) => {}
            Err(state::Compared::Differs(f)) => return Err(f.into()),
            Err(state::Compared::Db(e)) => return Err(e.into()),
        }
        let stored_map = state::compare_map(conn, &self.map, total)?;
        let report = AuditReport {
            entries: total,
            checkpoints: self.checkpoints,
            nodes: expected,
            root: self.frontier.root(),
            parties: self.ledger.parties().count(),
            assets: self.ledger.assets().count(),
            rules: self.rules,
            state_root: self.map.root(),
            state_keys: self.map.len(),
            stored_map,
        };
        Ok((report, self.map))
    }
}
