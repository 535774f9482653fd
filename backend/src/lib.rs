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

/// The allocator the server runs on, for its binary and for any program that runs the ledger in
/// its own process (the benchmark): mimalloc instead of the system allocator. The server's
/// requests allocate and free many small buffers on many threads, and glibc's per-thread arenas
/// kept growing and trimming their heaps under that load; the state map's thread, on glibc,
/// spent a quarter of its time zeroing pages it had just been handed back. Without transparent
/// huge pages (`no_thp`): with them, each first touch of fresh heap zeroed a whole 2 MiB page, a
/// tenth of the time of a page read that missed the cache.
pub use mimalloc::MiMalloc as Allocator;
