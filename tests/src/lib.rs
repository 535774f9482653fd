//! Cross-crate tooling for Terroir: the `terroir-bench` load generator lives in [`bench`].

pub mod bench;
