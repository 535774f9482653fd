//! `terroir-backend monitor`: follows a Terroir ledger from outside, for a regulator or a
//! partner, through what any mirror reads (`/checkpoint` and the C2SP entry bundles under
//! `/tile/entries/`), trusting nothing the server says but what the log key signs. Every new
//! checkpoint must be signed by the log key; every entry must be canonical, hash-linked, signed
//! and accepted by the same rules the ledger runs (replayed here); the tree of the entries must
//! give exactly the checkpoint's root (so every checkpoint is consistent with every earlier
//! one), and the state map rebuilt from the replay must give the root the checkpoint commits
//! to. The first inconsistency ends the monitor with exit status 2.

use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use anyhow::Context as _;
use terroir_shared::Hash;
use terroir_shared::calendar::Timestamp;
use terroir_shared::entry::LedgerEntry;
use terroir_shared::log::tiles::tile_path;
use terroir_shared::log::{Checkpoint, Frontier, Policy, leaf_hash, verify_checkpoint};
use terroir_shared::party::PartyId;
use terroir_shared::record::{Act, Envelope, Record, verify_batch};
use terroir_shared::rules::{self, Context, MemoryLedger, Rules};
use terroir_shared::state::{self, ChangeSet, MemoryMap};

/// What the monitor found wrong: the ledger's operator has shown something that cannot be.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Inconsistency {
    #[error(
        "the log was rolled back: it now has {now} entries, after a checkpoint of {seen} this monitor verified"
    )]
    RolledBack { seen: u64, now: u64 },
    #[error(
        "the log forked: the checkpoint of size {size} signs root {signed}, the entries this monitor verified give {computed}"
    )]
    Forked { size: u64, signed: Hash, computed: Hash },
    #[error("entry {index}: {why}")]
    BadEntry { index: u64, why: String },
    #[error("checkpoint {size} commits to state map root {signed}, the replayed entries give {computed}")]
    StateDiffers { size: u64, signed: Hash, computed: Hash },
    #[error("checkpoint {size} commits to no state map root, though an earlier one did")]
    StateLineDropped { size: u64 },
    #[error("the checkpoint is not signed by the log key: {0}")]
    BadCheckpoint(String),
}

/// Why a poll did not finish: the ledger is inconsistent, or it could not be read.
#[derive(Debug, thiserror::Error)]
pub enum PollError {
    #[error(transparent)]
    Inconsistent(#[from] Inconsistency),
    #[error("cannot read the ledger: {0:#}")]
    Unreachable(anyhow::Error),
}

/// The ledger as far as this monitor has verified it.
pub struct Monitor {
    base: String,
    log_vkey: String,
    /// The log's origin, its key's name.
    origin: String,
    policy: Option<Policy>,
    agent: ureq::Agent,
    frontier: Frontier,
    last_leaf: Hash,
    ledger: MemoryLedger,
    rules: Rules,
    operator: Option<PartyId>,
    map: MemoryMap,
    stated: bool,
    /// The last checkpoint verified, kept in `state_file` across restarts.
    verified: Option<Checkpoint>,
    state_file: Option<PathBuf>,
    /// A checkpoint verified before a restart: the replay must pass through it.
    earlier: Option<Checkpoint>,
}

/// What one poll verified.
#[derive(Debug)]
pub struct Progress {
    pub checkpoint: Checkpoint,
    pub new_entries: u64,
    /// The witnesses that vouched for it under the policy, if one was given.
    pub vouched: Vec<String>,
}

impl Monitor {
    pub fn new(
        base: &str,
        log_vkey: &str,
        policy: Option<Policy>,
        data_dir: Option<PathBuf>,
    ) -> anyhow::Result<Self> {
        let key = terroir_shared::log::VerifierKey::parse(log_vkey).context("the log key")?;
        let state_file = match data_dir {
            Some(dir) => {
                std::fs::create_dir_all(&dir).with_context(|| format!("{}", dir.display()))?;
                Some(dir.join(format!("{}.checkpoint", key.name.replace(['/', ':'], "_"))))
            }
            None => None,
        };
        let earlier = match &state_file {
            Some(f) if f.exists() => {
                let note = std::fs::read_to_string(f).with_context(|| format!("{}", f.display()))?;
                Some(verify_checkpoint(&note, log_vkey).with_context(|| format!("{}", f.display()))?)
            }
            _ => None,
        };
        Ok(Self {
            base: base.trim_end_matches('/').to_owned(),
            log_vkey: log_vkey.to_owned(),
            origin: key.name.clone(),
            policy,
            agent: ureq::AgentBuilder::new().timeout(Duration::from_secs(30)).build(),
            frontier: Frontier::new(),
            last_leaf: Hash::default(),
            ledger: MemoryLedger::new(),
            rules: Rules::V1,
            operator: None,
            map: MemoryMap::new(),
            stated: false,
            verified: None,
            state_file,
            earlier,
        })
    }

    /// The size verified so far.
    pub fn size(&self) -> u64 {
        self.frontier.size()
    }

    /// Reads the latest checkpoint and verifies everything new up to it.
    pub fn poll(&mut self) -> Result<Progress, PollError> {
        let note = self.get(&format!("{}/checkpoint", self.base)).map_err(PollError::Unreachable)?;
        let note = String::from_utf8(note).map_err(|e| PollError::Unreachable(e.into()))?;
        let cp = verify_checkpoint(&note, &self.log_vkey)
            .map_err(|e| Inconsistency::BadCheckpoint(e.to_string()))?;
        let seen = self.verified.as_ref().or(self.earlier.as_ref()).map_or(0, |c| c.size);
        if cp.size < seen {
            return Err(Inconsistency::RolledBack { seen, now: cp.size }.into());
        }
        let start = self.size();
        let mut changes = ChangeSet::default();
        while self.size() < cp.size {
            let n = self.size() / 256;
            let width = (cp.size - n * 256).min(256);
            let bundle = self
                .get(&format!("{}/tile/entries/{}", self.base, tile_path(n, width)))
                .map_err(PollError::Unreachable)?;
            let leaves = split_bundle(&bundle).ok_or_else(|| Inconsistency::BadEntry {
                index: n * 256,
                why: "its entry bundle is malformed".into(),
            })?;
            if leaves.len() as u64 != width {
                return Err(Inconsistency::BadEntry {
                    index: n * 256,
                    why: format!("its bundle holds {} entries, not {width}", leaves.len()),
                }
                .into());
            }
            let skip = (self.size() - n * 256) as usize;
            self.replay(&leaves[skip..], &mut changes)?;
        }
        let computed = self.frontier.root();
        if computed != cp.root {
            return Err(Inconsistency::Forked { size: cp.size, signed: cp.root, computed }.into());
        }
        let state_root =
            self.map.apply(changes.into_changes()).map_err(|e| PollError::Unreachable(e.into()))?;
        match cp.state {
            Some(signed) if signed != state_root => {
                return Err(
                    Inconsistency::StateDiffers { size: cp.size, signed, computed: state_root }.into()
                );
            }
            Some(_) => self.stated = true,
            None if self.stated => return Err(Inconsistency::StateLineDropped { size: cp.size }.into()),
            None => {}
        }
        if let Some(f) = &self.state_file {
            write_atomically(f, &note).map_err(PollError::Unreachable)?;
        }
        let now = Timestamp::from_system_time(std::time::SystemTime::now()).millis() / 1000;
        let vouched = match &self.policy {
            Some(p) => p.judge(&note, now, 3600).map(|v| v.vouched.into_keys().collect()).unwrap_or_default(),
            None => Vec::new(),
        };
        self.verified = Some(cp.clone());
        Ok(Progress { checkpoint: cp, new_entries: self.size() - start, vouched })
    }

    /// Checks and replays consecutive entries from the verified size on.
    fn replay(&mut self, leaves: &[&[u8]], changes: &mut ChangeSet) -> Result<(), Inconsistency> {
        let first = self.size();
        let mut entries = Vec::with_capacity(leaves.len());
        for (k, bytes) in leaves.iter().enumerate() {
            let index = first + k as u64;
            let bad = |why: String| Inconsistency::BadEntry { index, why };
            let entry = LedgerEntry::from_leaf_bytes(bytes).map_err(|e| bad(e.to_string()))?;
            if entry.leaf_bytes().map_err(|e| bad(e.to_string()))? != *bytes {
                return Err(bad("its bytes are not the entry's canonical JSON".into()));
            }
            entries.push(entry);
        }
        let envelopes: Vec<Envelope<Record>> = entries.iter().map(|e| e.record.clone()).collect();
        let verdicts = verify_batch(envelopes);
        for ((k, entry), verdict) in entries.iter().enumerate().zip(verdicts) {
            let index = first + k as u64;
            let bad = |why: String| Inconsistency::BadEntry { index, why };
            if entry.index != index {
                return Err(bad(format!("it says it is entry {}", entry.index)));
            }
            if entry.prev != self.last_leaf {
                return Err(bad(format!(
                    "its hash link names {}, the previous leaf is {}",
                    entry.prev, self.last_leaf
                )));
            }
            let signed = verdict.map_err(|e| bad(format!("its signature: {e}")))?;
            let at = signed.body().at;
            let leaf = leaf_hash(leaves[k]);
            if index == 0
                && let Act::OpenLedger(open) = &signed.body().act
            {
                self.rules = open.rules;
                self.operator = Some(signed.body().party);
            } else {
                let operator = self
                    .operator
                    .ok_or_else(|| bad("the log does not open with its operator's open_ledger".into()))?;
                // The time it was accepted is not in the log: the record's own time stands in.
                let ctx = Context { origin: &self.origin, operator, rules: self.rules, now: at };
                let effects = rules::apply(&self.ledger, &signed, &ctx)
                    .map_err(|v| bad(format!("the rules refuse it: {v}")))?;
                changes.add(state::changes(index, &leaf, &effects));
                self.ledger.store(effects);
            }
            self.frontier.append(leaf);
            self.last_leaf = leaf;
            if let Some(e) = &self.earlier
                && e.size == self.size()
                && e.root != self.frontier.root()
            {
                return Err(Inconsistency::Forked {
                    size: e.size,
                    signed: e.root,
                    computed: self.frontier.root(),
                });
            }
        }
        Ok(())
    }

    fn get(&self, url: &str) -> anyhow::Result<Vec<u8>> {
        let answer = self.agent.get(url).call().with_context(|| url.to_owned())?;
        let mut bytes = Vec::new();
        std::io::Read::read_to_end(&mut std::io::Read::take(answer.into_reader(), 64 << 20), &mut bytes)?;
        Ok(bytes)
    }
}

/// An entry bundle's entries: each a big-endian u16 length and that many bytes.
fn split_bundle(bundle: &[u8]) -> Option<Vec<&[u8]>> {
    let mut out = Vec::new();
    let mut rest = bundle;
    while !rest.is_empty() {
        let (len, tail) = rest.split_at_checked(2)?;
        let len = u16::from_be_bytes([len[0], len[1]]) as usize;
        let (entry, tail) = tail.split_at_checked(len)?;
        out.push(entry);
        rest = tail;
    }
    Some(out)
}

fn write_atomically(path: &std::path::Path, text: &str) -> anyhow::Result<()> {
    let tmp = path.with_extension("tmp");
    std::fs::write(&tmp, text)?;
    std::fs::File::open(&tmp)?.sync_all()?;
    std::fs::rename(&tmp, path)?;
    Ok(())
}

/// The monitor's Prometheus metrics: the size verified, and whether it found the log
/// inconsistent.
#[derive(Default)]
pub struct Gauges {
    pub size: AtomicU64,
    pub inconsistent: AtomicU64,
    pub unreachable: AtomicU64,
}

impl Gauges {
    pub fn render(&self) -> String {
        format!(
            "# HELP terroir_monitor_verified_size Entries of the ledger verified and replayed.\n\
             # TYPE terroir_monitor_verified_size gauge\nterroir_monitor_verified_size {}\n\
             # HELP terroir_monitor_inconsistent 1 once the ledger was found inconsistent.\n\
             # TYPE terroir_monitor_inconsistent gauge\nterroir_monitor_inconsistent {}\n\
             # HELP terroir_monitor_unreachable_total Polls that could not read the ledger.\n\
             # TYPE terroir_monitor_unreachable_total counter\nterroir_monitor_unreachable_total {}\n",
            self.size.load(Ordering::Relaxed),
            self.inconsistent.load(Ordering::Relaxed),
            self.unreachable.load(Ordering::Relaxed),
        )
    }
}

/// Serves the gauges at `GET /metrics` on `bind`, on its own thread.
pub fn serve_metrics(gauges: Arc<Gauges>, bind: std::net::SocketAddr) -> anyhow::Result<()> {
    use actix_web::{App, HttpResponse, HttpServer, web};
    let server = HttpServer::new(move || {
        let g = gauges.clone();
        App::new().route(
            "/metrics",
            web::get().to(move || {
                let body = g.render();
                async move { HttpResponse::Ok().content_type("text/plain; version=0.0.4").body(body) }
            }),
        )
    })
    .workers(1)
    .bind(bind)
    .with_context(|| format!("cannot listen on {bind}"))?
    .run();
    std::thread::Builder::new()
        .name("monitor-metrics".into())
        .spawn(move || actix_web::rt::System::new().block_on(server))?;
    Ok(())
}

/// Follows the ledger at `base` every `interval` until it is found inconsistent (exit status
/// 2), or once with `once`.
pub fn run(mut monitor: Monitor, interval: Duration, once: bool, gauges: Arc<Gauges>) -> anyhow::Result<i32> {
    loop {
        match monitor.poll() {
            Ok(p) => {
                gauges.size.store(p.checkpoint.size, Ordering::Relaxed);
                let witnesses = if p.vouched.is_empty() {
                    String::new()
                } else {
                    format!("; witnessed by {}", p.vouched.join(", "))
                };
                println!(
                    "checkpoint {} verified: {} new entries replayed, root {}, state {}{witnesses}",
                    p.checkpoint.size,
                    p.new_entries,
                    p.checkpoint.root,
                    p.checkpoint.state.map_or_else(|| "not committed".into(), |s| s.to_string()),
                );
            }
            Err(PollError::Inconsistent(i)) => {
                gauges.inconsistent.store(1, Ordering::Relaxed);
                eprintln!("INCONSISTENT: {i}");
                return Ok(2);
            }
            Err(PollError::Unreachable(e)) => {
                gauges.unreachable.fetch_add(1, Ordering::Relaxed);
                eprintln!("cannot read the ledger (will try again): {e:#}");
                if once {
                    return Ok(1);
                }
            }
        }
        if once {
            return Ok(0);
        }
        std::thread::sleep(interval);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_bundle_is_split_into_its_entries_and_a_torn_one_refused() {
        let bundle = [0, 2, b'a', b'b', 0, 0, 0, 1, b'c'];
        assert_eq!(split_bundle(&bundle), Some(vec![&b"ab"[..], &b""[..], &b"c"[..]]));
        assert_eq!(split_bundle(&bundle[..8]), None);
    }

    #[test]
    fn the_gauges_render_as_prometheus_text() {
        let g = Gauges::default();
        g.size.store(42, Ordering::Relaxed);
        let text = g.render();
        assert!(text.contains("terroir_monitor_verified_size 42\n"), "{text}");
        assert!(text.contains("terroir_monitor_inconsistent 0\n"), "{text}");
    }
}
