//! The station, driven through its public API against a real ledger server.

mod station;
mod support;
mod sync;
