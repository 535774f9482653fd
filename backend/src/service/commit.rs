//! What the ledger's handle, its writer thread and its receipt thread pass one another: a job
//! of records and its reply, the writer's verdicts, a committed group on its way back, and the
//! log's identity and limits. A leaf: the three threads' modules import it, not each other.

use std::collections::HashMap;

use terroir_shared::Hash;
use terroir_shared::log::{LogSigner, Receipt};
use terroir_shared::party::PartyId;
use terroir_shared::record::{Record, Signed};
use terroir_shared::rules::RuleViolation;

use super::ServiceError;

/// Who this log is: its origin (the checkpoint key name), its operator and its signing key.
pub struct LogIdentity {
    pub origin: String,
    pub operator: PartyId,
    pub signer: LogSigner,
}

/// The clock the rules are judged against. Passed in so tests can fix it.
pub use terroir_shared::calendar::Clock;

/// The log's latest signed checkpoint, as served at `/checkpoint`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CheckpointInfo {
    pub size: u64,
    pub root: Hash,
    pub note: String,
}

/// What became of one submitted record.
#[derive(Debug)]
pub enum Outcome {
    Accepted(Receipt),
    /// Already in the log: the same receipt as when it was accepted.
    Duplicate(Receipt),
    Refused(RuleViolation),
    /// Valid, but its entry would exceed [`MAX_ENTRY_BYTES`]; split it into smaller records.
    TooLarge(usize),
}

/// Group-commit limits: how many records one transaction takes at most.
pub const MAX_GROUP: usize = 8_192;

/// The largest entry the log takes: C2SP tlog-tiles entry bundles prefix each entry with a
/// 16-bit length.
pub const MAX_ENTRY_BYTES: usize = 65_535;

pub(super) struct Job {
    pub records: Vec<Signed<Record>>,
    pub reply: tokio::sync::oneshot::Sender<Result<Vec<Outcome>, ServiceError>>,
}

/// Whether a ledger keeps the state map (always, but in the benchmark's baseline).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum StateMap {
    Kept,
    NotKept,
}

/// A committed group on its way to its submitters: the jobs and what the writer decided.
pub(super) struct Answer {
    pub jobs: Vec<Job>,
    pub result: Result<Decided, ServiceError>,
}

/// The writer's verdicts for a group, and the leaf hashes it appended (with the one before
/// them): the receipts need them and need not read them back.
pub(super) struct Decided {
    pub verdicts: Vec<Verdict>,
    pub leaves: HashMap<u64, Hash>,
}

/// What the writer decided for one record; receipts are built by the submitter afterwards, off
/// this thread.
#[derive(Debug)]
pub(super) enum Verdict {
    Accepted(u64),
    Duplicate(u64),
    Refused(RuleViolation),
    TooLarge(usize),
}
