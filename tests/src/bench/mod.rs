//! The load generator behind `terroir-bench`: record generation, the server process and HTTP
//! load, the in-process measurements and the report.

pub mod client;
pub mod generate;
pub mod inproc;
pub mod label;
pub mod mapcost;
pub mod report;

use std::time::{SystemTime, UNIX_EPOCH};

/// The log every generated record is signed for.
pub const ORIGIN: &str = "bench.test/terroir";

pub fn now_ms() -> u64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.as_millis() as u64).unwrap_or(0)
}

/// A small deterministic generator (SplitMix64) for random indexes.
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Self {
        Self(seed)
    }

    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    /// Uniform in `0..n` (n > 0).
    pub fn below(&mut self, n: u64) -> u64 {
        self.next_u64() % n.max(1)
    }
}

/// Latency percentiles over microsecond samples.
pub fn percentile(sorted_us: &[u32], p: f64) -> f64 {
    if sorted_us.is_empty() {
        return f64::NAN;
    }
    let rank = ((p / 100.0) * (sorted_us.len() - 1) as f64).round() as usize;
    f64::from(sorted_us[rank.min(sorted_us.len() - 1)]) / 1_000.0
}
