//! Terroir's ledger server: accepts signed records, keeps them in a Merkle-tree transparency
//! log on SQLite, and answers buyers, partners and auditors.

pub mod db;
pub mod service;
