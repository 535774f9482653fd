//! The transparency log: RFC 9162 Merkle tree hashing, inclusion and consistency proofs over an
//! abstract node store, and C2SP signed-note checkpoints.
