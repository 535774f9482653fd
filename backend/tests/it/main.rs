//! The ledger server end to end: HTTP in, SQLite and proofs out, each test on a fresh database.

mod api;
mod crash;
mod docs;
mod race;
mod submit;
mod support;
