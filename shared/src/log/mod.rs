//! The transparency log: RFC 9162 Merkle tree hashing, inclusion and consistency proofs over an
//! abstract node store, and C2SP signed-note checkpoints.

pub mod checkpoint;
pub mod cosignature;
pub mod frontier;
pub mod policy;
pub mod proof;
pub mod receipt;
pub mod tiles;
pub mod tree;
pub mod witness;

pub use checkpoint::{
    Checkpoint, CheckpointError, LogSigner, STATE_LINE, SignedCheckpoint, VerifierKey, key_id, valid_origin,
    verify_checkpoint, verify_note,
};
pub use cosignature::{CosignatureError, Cosigner, WitnessKey, verify_cosignature};
pub use frontier::Frontier;
pub use policy::{Policy, PolicyError, PolicyVerdict};
pub use proof::{
    ConsistencyProof, InclusionProof, ProofError, ProveError, hash_from_slice, prove_consistency,
    prove_inclusion, verify_consistency, verify_consistency_bytes, verify_inclusion,
};
pub use receipt::{Receipt, ReceiptError, ReceiptVerifier, VerifiedReceipt};
pub use tree::{
    EMPTY_ROOT, MemoryNodeStore, NodeStore, StoreError, hashes_to_append, leaf_hash, node_hash, root,
    split_stored_hash_index, stored_hash_count, stored_hash_index,
};
