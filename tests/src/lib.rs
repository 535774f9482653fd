//! Cross-crate tooling for Terroir: the `terroir-bench` load generator lives in [`bench`]; a
//! real ledger server for other crates' end-to-end tests in [`ledger`].

pub mod bench;
pub mod ledger;
