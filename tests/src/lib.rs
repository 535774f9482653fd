//! Cross-crate tooling for Terroir: the `terroir-bench` load generator lives in [`bench`]; a
//! real ledger server for other crates' end-to-end tests in [`ledger`]; reading printed labels
//! back in [`scan`].

pub mod bench;
pub mod ledger;
pub mod scan;
