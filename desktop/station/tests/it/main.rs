//! The station, driven through its public API against a real ledger server.

mod cli;
mod epcis;
mod kills;
mod labels;
mod station;
mod support;
mod sync;
mod verify;
