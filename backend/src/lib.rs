//! Terroir's ledger server: accepts signed records, keeps them in a Merkle-tree transparency
//! log on SQLite, and answers buyers, partners and auditors.

pub mod cli;
pub mod config;
pub mod db;
pub mod http;
pub mod keys;
pub mod metrics;
pub mod monitor;
pub mod owner;
pub mod private;
pub mod server;
pub mod service;
pub mod witness;
