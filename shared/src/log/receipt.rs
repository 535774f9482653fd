//! Inclusion receipts: a leaf, a signed checkpoint and the inclusion proof tying them, checked
//! fully offline against the log's verifier key.

use std::collections::HashMap;

use serde::{Deserialize, Serialize};

use super::checkpoint::{Checkpoint, CheckpointError, SignedCheckpoint, verify_checkpoint};
use super::proof::{InclusionProof, ProofError};
use crate::Hash;

/// Evidence that a leaf sits at `index`: a signed checkpoint note and the inclusion proof of
/// the leaf in that checkpoint's tree, verifiable offline with the log's verifier key. With
/// `prev`, whoever holds the record rebuilds the entry and checks that the leaf is that
/// record's.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Receipt {
    pub index: u64,
    pub leaf_hash: Hash,
    /// The leaf hash of the entry before (all zeros for the first): with the record it rebuilds
    /// the entry whose hash is `leafHash`.
    pub prev: Hash,
    /// A C2SP tlog-checkpoint note, signed per C2SP signed-note (Ed25519).
    pub checkpoint: String,
    pub inclusion: InclusionProof,
}

/// What a valid receipt establishes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VerifiedReceipt {
    pub index: u64,
    pub leaf_hash: Hash,
    pub checkpoint: Checkpoint,
}

/// Why a receipt was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ReceiptError {
    #[error("checkpoint refused: {0}")]
    Checkpoint(#[from] CheckpointError),
    #[error("the receipt is for index {receipt} but its proof is for index {proof}")]
    IndexMismatch { receipt: u64, proof: u64 },
    #[error("the checkpoint has size {checkpoint} but the proof is for size {proof}")]
    SizeMismatch { checkpoint: u64, proof: u64 },
    #[error("inclusion proof refused: {0}")]
    Inclusion(#[from] ProofError),
}

impl Receipt {
    /// A receipt for `leaf_hash` from a signed checkpoint and the leaf's inclusion proof in it.
    pub fn new(
        leaf_hash: Hash,
        prev: Hash,
        checkpoint: &SignedCheckpoint,
        inclusion: InclusionProof,
    ) -> Self {
        Self { index: inclusion.index, leaf_hash, prev, checkpoint: checkpoint.to_text(), inclusion }
    }

    /// Checks the checkpoint's signature against `vkey`, then the inclusion of `leaf_hash` at
    /// `index` in the checkpoint's tree.
    pub fn verify(&self, vkey: &str) -> Result<VerifiedReceipt, ReceiptError> {
        ReceiptVerifier::new(vkey).verify(self)
    }
}

/// Checks receipts against one log key, each checkpoint's signature once however many
/// receipts carry it (the receipts of one batch share their checkpoint).
#[derive(Debug, Clone)]
pub struct ReceiptVerifier {
    vkey: String,
    checked: HashMap<String, Checkpoint>,
}

impl ReceiptVerifier {
    pub fn new(vkey: &str) -> Self {
        Self { vkey: vkey.to_owned(), checked: HashMap::new() }
    }

    /// Checks the receipt's checkpoint against the log key (unless an earlier receipt carried
    /// the same note), then the inclusion of its leaf at its index in the checkpoint's tree.
    pub fn verify(&mut self, receipt: &Receipt) -> Result<VerifiedReceipt, ReceiptError> {
        let checkpoint = match self.checked.get(&receipt.checkpoint) {
            Some(c) => c.clone(),
            None => {
                let c = verify_checkpoint(&receipt.checkpoint, &self.vkey)?;
                self.checked.insert(receipt.checkpoint.clone(), c.clone());
                c
            }
        };
        if receipt.inclusion.index != receipt.index {
            return Err(ReceiptError::IndexMismatch {
                receipt: receipt.index,
                proof: receipt.inclusion.index,
            });
        }
        if receipt.inclusion.size != checkpoint.size {
            return Err(ReceiptError::SizeMismatch {
                checkpoint: checkpoint.size,
                proof: receipt.inclusion.size,
            });
        }
        receipt.inclusion.verify(&receipt.leaf_hash, &checkpoint.root)?;
        Ok(VerifiedReceipt { index: receipt.index, leaf_hash: receipt.leaf_hash, checkpoint })
    }
}
