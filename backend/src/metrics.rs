//! Prometheus metrics: records accepted and refused (by code), group-commit latency and size,
//! and the log's size.

use std::sync::atomic::AtomicU64;

use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::{Histogram, exponential_buckets};
use prometheus_client::registry::Registry;

use crate::service::ledger::Outcome;

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct Code {
    code: String,
}

/// The server's metrics and their registry.
pub struct Metrics {
    registry: Registry,
    accepted: Counter,
    duplicates: Counter,
    refused: Family<Code, Counter>,
    pub commit_seconds: Histogram,
    pub group_records: Histogram,
    pub log_size: Gauge<u64, AtomicU64>,
}

impl Default for Metrics {
    fn default() -> Self {
        let mut registry = Registry::with_prefix("terroir");
        let accepted = Counter::default();
        let duplicates = Counter::default();
        let refused = Family::<Code, Counter>::default();
        let commit_seconds = Histogram::new(exponential_buckets(0.000_25, 2.0, 16));
        let group_records = Histogram::new(exponential_buckets(1.0, 2.0, 15));
        let log_size = Gauge::<u64, AtomicU64>::default();
        registry.register("records_accepted", "Records appended to the log", accepted.clone());
        registry.register(
            "records_duplicate",
            "Records submitted again (same receipt returned)",
            duplicates.clone(),
        );
        registry.register("records_refused", "Records refused, by problem code", refused.clone());
        registry.register(
            "commit_seconds",
            "Time to judge, write, sign and fsync one group",
            commit_seconds.clone(),
        );
        registry.register("group_records", "Records per group commit", group_records.clone());
        registry.register("log_size", "Entries in the log", log_size.clone());
        Self { registry, accepted, duplicates, refused, commit_seconds, group_records, log_size }
    }
}

impl Metrics {
    pub fn count(&self, outcome: Option<&Outcome>) {
        match outcome {
            Some(Outcome::Accepted(_)) => {
                self.accepted.inc();
            }
            Some(Outcome::Duplicate(_)) => {
                self.duplicates.inc();
            }
            Some(Outcome::Refused(v)) => self.refused_with(v.code()),
            Some(Outcome::TooLarge(_)) => self.refused_with("entry_too_large"),
            None => {}
        }
    }

    pub fn refused_with(&self, code: &str) {
        self.refused.get_or_create(&Code { code: code.to_owned() }).inc();
    }

    /// The text exposition format.
    pub fn render(&self) -> String {
        let mut out = String::new();
        if prometheus_client::encoding::text::encode(&mut out, &self.registry).is_err() {
            tracing::error!("cannot encode metrics");
        }
        out
    }
}
