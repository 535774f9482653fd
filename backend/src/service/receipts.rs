//! Receipts for many entries at once: the checkpoint that first included each, and inclusion
//! proofs built from one prefetch of every node they need, instead of a query per proof.

use std::cell::RefCell;
use std::collections::{BTreeSet, HashMap};

use diesel::sqlite::SqliteConnection;
use terroir_shared::Hash;
use terroir_shared::log::{InclusionProof, NodeStore, Receipt, StoreError, prove_inclusion};

use super::ServiceError;
use super::commit::{Answer, Decided, Outcome, Verdict};
use crate::db::{self, hash_from};

/// The receipt thread: for each group, one batch of reads builds every receipt, then each job
/// gets its outcomes.
pub(super) fn serve(mut conn: SqliteConnection, answers: std::sync::mpsc::Receiver<Answer>) {
    while let Ok(Answer { jobs, result }) = answers.recv() {
        let result = result.and_then(|decided| outcomes(&mut conn, decided));
        match result {
            Ok(outcomes) => {
                let mut outcomes = outcomes.into_iter();
                for job in jobs {
                    let mine: Vec<Outcome> = outcomes.by_ref().take(job.records.len()).collect();
                    let _ = job.reply.send(Ok(mine));
                }
            }
            Err(e) => {
                let (message, storage) = (e.to_string(), e.storage_failure());
                for job in jobs {
                    let error = match storage {
                        Some(why) => ServiceError::CannotStore(why),
                        None => ServiceError::Integrity(message.clone()),
                    };
                    let _ = job.reply.send(Err(error));
                }
            }
        }
    }
}

/// The writer's verdicts with their receipts.
fn outcomes(conn: &mut SqliteConnection, decided: Decided) -> Result<Vec<Outcome>, ServiceError> {
    let Decided { verdicts, leaves } = decided;
    let indexes: Vec<u64> = verdicts
        .iter()
        .filter_map(|v| match v {
            Verdict::Accepted(i) | Verdict::Duplicate(i) => Some(*i),
            Verdict::Refused(_) | Verdict::TooLarge(_) => None,
        })
        .collect();
    let mut receipts = receipts_with(conn, &indexes, leaves)?.into_iter();
    verdicts
        .into_iter()
        .map(|v| {
            let mut next =
                || receipts.next().ok_or_else(|| ServiceError::Integrity("a receipt is missing".into()));
            Ok(match v {
                Verdict::Accepted(_) => Outcome::Accepted(next()?),
                Verdict::Duplicate(_) => Outcome::Duplicate(next()?),
                Verdict::Refused(r) => Outcome::Refused(r),
                Verdict::TooLarge(n) => Outcome::TooLarge(n),
            })
        })
        .collect()
}

/// The receipt of each entry in `indexes` (any order; answered in the same order): its proof in
/// the first checkpoint that included it, so that asking again always gives the same receipt.
pub fn receipts_for(conn: &mut SqliteConnection, indexes: &[u64]) -> Result<Vec<Receipt>, ServiceError> {
    receipts_with(conn, indexes, HashMap::new())
}

/// [`receipts_for`], given some leaf hashes already known.
fn receipts_with(
    conn: &mut SqliteConnection,
    indexes: &[u64],
    mut leaves: HashMap<u64, Hash>,
) -> Result<Vec<Receipt>, ServiceError> {
    if indexes.is_empty() {
        return Ok(vec![]);
    }
    // Each entry's own leaf and the one before it, which the entry links.
    let mut wanted: Vec<i64> = indexes
        .iter()
        .flat_map(|&i| [i as i64, i as i64 - 1])
        .filter(|&i| i >= 0 && !leaves.contains_key(&(i as u64)))
        .collect();
    wanted.sort_unstable();
    wanted.dedup();
    for (i, h) in db::entries::leaf_hashes(conn, &wanted)? {
        leaves.insert(i as u64, hash_from(&h)?);
    }
    // The covering checkpoint of each index; consecutive indexes usually share one.
    let mut sorted: Vec<u64> = indexes.to_vec();
    sorted.sort_unstable();
    sorted.dedup();
    let mut covering: HashMap<u64, (u64, std::rc::Rc<String>)> = HashMap::with_capacity(sorted.len());
    let mut current: Option<(u64, std::rc::Rc<String>)> = None;
    for &i in &sorted {
        if current.as_ref().is_none_or(|(size, _)| *size <= i) {
            let row = db::checkpoints::first_covering(conn, i as i64)?
                .ok_or_else(|| ServiceError::Integrity(format!("no checkpoint covers entry {i}")))?;
            current = Some((row.size as u64, std::rc::Rc::new(row.note)));
        }
        if let Some(c) = &current {
            covering.insert(i, c.clone());
        }
    }
    let proofs = prove_many(conn, sorted.iter().map(|i| (*i, covering[i].0)).collect())?;
    indexes
        .iter()
        .map(|i| {
            let leaf_hash =
                *leaves.get(i).ok_or_else(|| ServiceError::Integrity(format!("entry {i} is missing")))?;
            let prev = match i.checked_sub(1) {
                None => Hash::default(),
                Some(p) => {
                    *leaves.get(&p).ok_or_else(|| ServiceError::Integrity(format!("entry {p} is missing")))?
                }
            };
            let (_, note) = &covering[i];
            Ok(Receipt {
                index: *i,
                leaf_hash,
                prev,
                checkpoint: note.as_ref().clone(),
                inclusion: proofs[i].clone(),
            })
        })
        .collect()
}

/// Inclusion proofs for `(index, size)` pairs with one batched read of all their nodes.
fn prove_many(
    conn: &mut SqliteConnection,
    wanted: Vec<(u64, u64)>,
) -> Result<HashMap<u64, InclusionProof>, ServiceError> {
    // First pass: learn which stored hashes the proofs read (the indexes do not depend on the
    // values), then fetch them all, then build the proofs from memory.
    let recorder = Recorder::default();
    for &(index, size) in &wanted {
        prove_inclusion(index, size, &recorder)?;
    }
    let needed: Vec<u64> = recorder.0.into_inner().into_iter().collect();
    let nodes: HashMap<u64, Hash> = db::nodes::read_many(conn, &needed)?;
    let store = Prefetched(nodes);
    wanted.into_iter().map(|(index, size)| Ok((index, prove_inclusion(index, size, &store)?))).collect()
}

#[derive(Default)]
struct Recorder(RefCell<BTreeSet<u64>>);

impl NodeStore for Recorder {
    fn read_nodes(&self, indexes: &[u64]) -> Result<Vec<Hash>, StoreError> {
        self.0.borrow_mut().extend(indexes.iter().copied());
        Ok(vec![Hash::default(); indexes.len()])
    }
}

struct Prefetched(HashMap<u64, Hash>);

impl NodeStore for Prefetched {
    fn read_nodes(&self, indexes: &[u64]) -> Result<Vec<Hash>, StoreError> {
        indexes.iter().map(|i| self.0.get(i).copied().ok_or(StoreError::Missing { index: *i })).collect()
    }
}
