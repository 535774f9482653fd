//! Terroir's ledger core: the domain types, the signed records, the rules that accept or refuse
//! them, their canonical bytes, the Merkle log's proofs and checkpoints, and GS1 Digital Link.
//!
//! Pure by design: no database, network, clock, filesystem or async runtime. Time, keys and
//! randomness are passed in by the caller.

pub mod api;
pub mod asset;
pub mod calendar;
pub mod canonical;
pub mod commitment;
pub mod crypto;
pub mod ear_tag;
pub mod entry;
pub mod epcis;
pub mod gs1;
pub mod hash;
pub mod log;
pub mod names;
pub mod party;
pub mod record;
pub mod rules;
#[cfg(feature = "openapi")]
pub mod schema;
pub mod state;

pub use hash::Hash;
