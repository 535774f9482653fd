//! Prometheus metrics: records accepted and refused (by code), group-commit latency and size,
//! the log's size, HTTP requests by route, method and status with their latency, label checks
//! by what they found, the process (CPU, memory, file descriptors, start time) and the build.
//! Served as the Prometheus text format (0.0.4) or as OpenMetrics 1.0, by `Accept`.

use std::sync::atomic::AtomicU64;

use prometheus_client::collector::Collector;
use prometheus_client::encoding::{DescriptorEncoder, EncodeLabelSet, EncodeMetric};
use prometheus_client::metrics::counter::{ConstCounter, Counter};
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::{ConstGauge, Gauge};
use prometheus_client::metrics::histogram::{Histogram, exponential_buckets};
use prometheus_client::metrics::info::Info;
use prometheus_client::registry::{Registry, Unit};

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct Code {
    code: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct Request {
    method: String,
    /// The route's pattern (`/api/assets/{id}`), never the path itself: one series per route.
    route: String,
    status: u16,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct Route {
    method: String,
    route: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct Found {
    result: &'static str,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct Build {
    version: &'static str,
    rules: String,
}

type Latency = Family<Route, Histogram, fn() -> Histogram>;

/// The server's metrics and their registry.
pub struct Metrics {
    registry: Registry,
    accepted: Counter,
    duplicates: Counter,
    refused: Family<Code, Counter>,
    pub commit_seconds: Histogram,
    pub group_records: Histogram,
    pub log_size: Gauge<u64, AtomicU64>,
    requests: Family<Request, Counter>,
    request_seconds: Latency,
    label_checks: Family<Found, Counter>,
}

/// What a label check found, or what its buyer added to it, for [`Metrics::label_check`].
#[derive(Clone, Copy, Debug)]
pub enum LabelCheck {
    /// Counted: a buyer's check of a label still in the chain.
    Counted,
    /// Counted, after the ledger said the asset had left the chain for good.
    Late,
    /// Answered, not counted: a browser that checked before, or a client over its hourly
    /// share of this label.
    NotCounted,
    /// A counted check's buyer added the region it was made in.
    Region,
    /// A counted check's buyer reported the label after its page warned.
    Report,
}

impl LabelCheck {
    fn name(self) -> &'static str {
        match self {
            LabelCheck::Counted => "counted",
            LabelCheck::Late => "late",
            LabelCheck::NotCounted => "not_counted",
            LabelCheck::Region => "region",
            LabelCheck::Report => "report",
        }
    }
}

fn latency() -> Histogram {
    Histogram::new(exponential_buckets(0.000_1, 4.0, 10))
}

impl Default for Metrics {
    fn default() -> Self {
        let mut root = Registry::default();
        root.register_collector(Box::new(Process));
        let registry = root.sub_registry_with_prefix("terroir");
        let accepted = Counter::default();
        let duplicates = Counter::default();
        let refused = Family::<Code, Counter>::default();
        let commit_seconds = Histogram::new(exponential_buckets(0.000_25, 2.0, 16));
        let group_records = Histogram::new(exponential_buckets(1.0, 2.0, 15));
        let log_size = Gauge::<u64, AtomicU64>::default();
        let requests = Family::<Request, Counter>::default();
        let request_seconds: Latency = Family::new_with_constructor(latency);
        let label_checks = Family::<Found, Counter>::default();
        registry.register("records_accepted", "Records appended to the log", accepted.clone());
        registry.register(
            "records_duplicate",
            "Records submitted again (same receipt returned)",
            duplicates.clone(),
        );
        registry.register("records_refused", "Records refused, by problem code", refused.clone());
        registry.register_with_unit(
            "commit",
            "Time to judge, write, sign and fsync one group",
            Unit::Seconds,
            commit_seconds.clone(),
        );
        registry.register("group_records", "Records per group commit", group_records.clone());
        registry.register("log_size", "Entries in the log", log_size.clone());
        registry.register(
            "http_requests",
            "HTTP requests answered, by method, route pattern and status",
            requests.clone(),
        );
        registry.register_with_unit(
            "http_request_duration",
            "Time to answer an HTTP request, by method and route pattern",
            Unit::Seconds,
            request_seconds.clone(),
        );
        registry.register(
            "label_checks",
            "Label checks phones made, by whether they counted, and what their buyers added to them",
            label_checks.clone(),
        );
        let rules = terroir_shared::rules::Rules::CURRENT.to_string();
        registry.register(
            "build",
            "The server's version and the ledger rules it opens new logs with",
            Info::new(Build { version: env!("CARGO_PKG_VERSION"), rules }),
        );
        Self {
            registry: root,
            accepted,
            duplicates,
            refused,
            commit_seconds,
            group_records,
            log_size,
            requests,
            request_seconds,
            label_checks,
        }
    }
}

/// The exposition formats the server answers in.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Format {
    /// The Prometheus text format, version 0.0.4 (`text/plain`).
    Text,
    /// OpenMetrics 1.0 text (`application/openmetrics-text`).
    OpenMetrics,
}

impl Format {
    pub fn content_type(self) -> &'static str {
        match self {
            Format::Text => "text/plain; version=0.0.4; charset=utf-8",
            Format::OpenMetrics => "application/openmetrics-text; version=1.0.0; charset=utf-8",
        }
    }
}

impl Metrics {
    pub fn accepted(&self) {
        self.accepted.inc();
    }

    pub fn duplicate(&self) {
        self.duplicates.inc();
    }

    pub fn refused_with(&self, code: &str) {
        self.refused.get_or_create(&Code { code: code.to_owned() }).inc();
    }

    /// One HTTP request answered: `route` is the pattern it matched (`unmatched` for none).
    pub fn request(&self, method: &str, route: &str, status: u16, seconds: f64) {
        let (method, route) = (method.to_owned(), route.to_owned());
        self.request_seconds
            .get_or_create(&Route { method: method.clone(), route: route.clone() })
            .observe(seconds);
        self.requests.get_or_create(&Request { method, route, status }).inc();
    }

    pub fn label_check(&self, found: LabelCheck) {
        self.label_checks.get_or_create(&Found { result: found.name() }).inc();
    }

    /// The metrics in `format`.
    pub fn render(&self, format: Format) -> String {
        let mut out = String::new();
        if prometheus_client::encoding::text::encode(&mut out, &self.registry).is_err() {
            tracing::error!("cannot encode metrics");
        }
        match format {
            Format::OpenMetrics => out,
            Format::Text => to_text_format(&out),
        }
    }
}

/// OpenMetrics text as the Prometheus text format 0.0.4 reads it: a counter's family is named
/// with its `_total` suffix (as its samples are), an info family with `_info` and typed a
/// gauge, `unknown` is `untyped`, and `# UNIT` and `# EOF` go.
fn to_text_format(open_metrics: &str) -> String {
    let types: std::collections::HashMap<&str, &str> = open_metrics
        .lines()
        .filter_map(|l| l.strip_prefix("# TYPE "))
        .filter_map(|l| l.split_once(' '))
        .collect();
    let renamed = |name: &str| match types.get(name) {
        Some(&"counter") => (format!("{name}_total"), "counter"),
        Some(&"info") => (format!("{name}_info"), "gauge"),
        Some(&"unknown") => (name.to_owned(), "untyped"),
        Some(other) => (name.to_owned(), *other),
        None => (name.to_owned(), "untyped"),
    };
    let mut out = String::with_capacity(open_metrics.len());
    for line in open_metrics.lines() {
        if let Some(rest) = line.strip_prefix("# HELP ") {
            let (name, help) = rest.split_once(' ').unwrap_or((rest, ""));
            out.push_str(&format!("# HELP {} {help}\n", renamed(name).0));
        } else if let Some(rest) = line.strip_prefix("# TYPE ") {
            let name = rest.split_once(' ').map_or(rest, |(n, _)| n);
            let (name, kind) = renamed(name);
            out.push_str(&format!("# TYPE {name} {kind}\n"));
        } else if line.starts_with("# UNIT ") || line == "# EOF" {
        } else {
            out.push_str(line);
            out.push('\n');
        }
    }
    out
}

/// The process's own metrics, under the names every Prometheus client library gives them
/// (`process_cpu_seconds_total`, `process_resident_memory_bytes`, …), read from `/proc` at each
/// scrape. Off Linux there is nothing to read, and nothing is reported.
#[derive(Debug)]
struct Process;

impl Process {
    /// (CPU seconds, virtual bytes, resident bytes, start time in Unix seconds, open fds, max fds).
    fn read() -> Option<(f64, u64, u64, f64, u64, Option<u64>)> {
        let stat = std::fs::read_to_string("/proc/self/stat").ok()?;
        // After the command's closing parenthesis: state is field 3, utime 14, stime 15,
        // starttime 22, vsize 23, rss 24 (proc(5)).
        let fields: Vec<&str> = stat.rsplit_once(')')?.1.split_whitespace().collect();
        let field = |n: usize| fields.get(n - 3).and_then(|f| f.parse::<u64>().ok());
        let (ticks, page) =
            (rustix::param::clock_ticks_per_second().max(1), rustix::param::page_size() as u64);
        let cpu = (field(14)? + field(15)?) as f64 / ticks as f64;
        let boot = std::fs::read_to_string("/proc/stat")
            .ok()?
            .lines()
            .find_map(|l| l.strip_prefix("btime ").and_then(|v| v.trim().parse::<u64>().ok()))?;
        let start = boot as f64 + field(22)? as f64 / ticks as f64;
        let fds = std::fs::read_dir("/proc/self/fd").ok()?.count() as u64;
        let max_fds = std::fs::read_to_string("/proc/self/limits").ok().and_then(|l| {
            l.lines()
                .find(|l| l.starts_with("Max open files"))
                .and_then(|l| l.split_whitespace().nth(3))
                .and_then(|v| v.parse().ok())
        });
        Some((cpu, field(23)?, field(24)? * page, start, fds, max_fds))
    }
}

impl Collector for Process {
    fn encode(&self, mut encoder: DescriptorEncoder) -> Result<(), std::fmt::Error> {
        let Some((cpu, virt, resident, start, fds, max_fds)) = Self::read() else { return Ok(()) };
        let cpu = ConstCounter::new(cpu);
        cpu.encode(encoder.encode_descriptor(
            "process_cpu",
            "User and system CPU time spent",
            Some(&Unit::Seconds),
            cpu.metric_type(),
        )?)?;
        let gauges = [
            ("process_virtual_memory", "Virtual memory size", Some(Unit::Bytes), virt as f64),
            ("process_resident_memory", "Resident memory size", Some(Unit::Bytes), resident as f64),
            (
                "process_start_time",
                "Start time of the process since the Unix epoch",
                Some(Unit::Seconds),
                start,
            ),
            ("process_open_fds", "Open file descriptors", None, fds as f64),
        ];
        let max =
            max_fds.map(|m| ("process_max_fds", "Maximum number of open file descriptors", None, m as f64));
        for (name, help, unit, value) in gauges.into_iter().chain(max) {
            let gauge = ConstGauge::new(value);
            gauge.encode(encoder.encode_descriptor(name, help, unit.as_ref(), gauge.metric_type())?)?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_text_format_names_counter_and_info_families_as_their_samples() {
        let metrics = Metrics::default();
        metrics.accepted();
        metrics.refused_with("head_conflict");
        metrics.request("GET", "/api/assets/{id}", 200, 0.002);
        metrics.label_check(LabelCheck::Counted);
        let text = metrics.render(Format::Text);
        for line in [
            "# TYPE terroir_records_accepted_total counter",
            "terroir_records_accepted_total 1",
            "# HELP terroir_records_refused_total Records refused, by problem code.",
            "terroir_records_refused_total{code=\"head_conflict\"} 1",
            "# TYPE terroir_build_info gauge",
            "# TYPE terroir_commit_seconds histogram",
            "terroir_http_requests_total{method=\"GET\",route=\"/api/assets/{id}\",status=\"200\"} 1",
            "terroir_label_checks_total{result=\"counted\"} 1",
            "# TYPE process_cpu_seconds_total counter",
            "# TYPE process_resident_memory_bytes gauge",
        ] {
            assert!(text.lines().any(|l| l == line), "{line} in\n{text}");
        }
        assert!(!text.contains("# EOF") && !text.contains("# UNIT"));
        // Every sample belongs to a family with HELP and TYPE lines of its own name (or is a
        // histogram's bucket, sum or count).
        let families: Vec<&str> =
            text.lines().filter_map(|l| l.strip_prefix("# TYPE ")?.split(' ').next()).collect();
        let helped: Vec<&str> =
            text.lines().filter_map(|l| l.strip_prefix("# HELP ")?.split(' ').next()).collect();
        assert_eq!(families, helped);
        for sample in text.lines().filter(|l| !l.starts_with('#')) {
            let name = sample.split(['{', ' ']).next().unwrap_or_default();
            let base =
                ["_bucket", "_sum", "_count"].iter().find_map(|s| name.strip_suffix(s)).unwrap_or(name);
            assert!(families.contains(&name) || families.contains(&base), "{sample}");
        }
        let open = metrics.render(Format::OpenMetrics);
        assert!(open.ends_with("# EOF\n"));
        assert!(open.lines().any(|l| l == "# TYPE terroir_records_accepted counter"));
    }
}
