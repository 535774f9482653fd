//! The log asks its witnesses to cosign (C2SP tlog-witness), on its own thread, off the submit
//! path: receipts never wait for a witness. After each new checkpoint, and again before the
//! last cosignature grows old, every witness of the policy that gives a submission URL is sent
//! the checkpoint with a consistency proof from the last size it cosigned; each cosignature
//! that verifies is kept beside the checkpoint, which is then served with it.

use std::path::Path;
use std::time::{Duration, Instant};

use diesel::sqlite::SqliteConnection;
use terroir_shared::log::witness::AddCheckpoint;
use terroir_shared::log::{Policy, WitnessKey, prove_consistency, verify_cosignature};

use super::ledger::WitnessSide;
use crate::db::{self, nodes::DbNodes};

/// How often the thread looks for a new checkpoint.
const POLL: Duration = Duration::from_millis(200);
/// How old a cosignature may be when a label page still counts it (a phone's clock may be a
/// few minutes off; a checkpoint is cosigned again well before).
pub const PAGE_MAX_AGE: Duration = Duration::from_secs(60 * 60);
/// A cosignature is renewed when it is this old, well inside the page's freshness bound.
pub const RENEW_AFTER: Duration = Duration::from_secs(10 * 60);
/// How long a witness is given to answer; one that does not is asked again after [`RETRY`].
const TIMEOUT: Duration = Duration::from_secs(5);
const RETRY: Duration = Duration::from_secs(5);

/// One witness as the log sees it.
struct Witness {
    name: String,
    key: WitnessKey,
    url: String,
    /// The size of the last checkpoint it cosigned, as far as the log knows (0: ask it).
    old: u64,
    /// When it last cosigned, and which size; when it last failed.
    cosigned: Option<(u64, Instant)>,
    failed: Option<Instant>,
}

/// Runs until every handle of the ledger is dropped.
pub fn run(ledger: WitnessSide, policy: &Policy, database: &Path) {
    let mut witnesses: Vec<Witness> = policy
        .submission()
        .map(|(name, key, url)| Witness {
            name: name.to_owned(),
            key: key.clone(),
            url: url.to_owned(),
            old: 0,
            cosigned: None,
            failed: None,
        })
        .collect();
    if witnesses.is_empty() {
        return;
    }
    let mut conn = match db::open_reader(database) {
        Ok(c) => c,
        Err(e) => {
            tracing::error!(error = %e, "the witness client cannot read the log; no checkpoint will be witnessed");
            return;
        }
    };
    let agent = ureq::AgentBuilder::new().timeout(TIMEOUT).build();
    while !ledger.is_closed() {
        if let Some(cp) = ledger.signed_checkpoint() {
            for w in &mut witnesses {
                let due = match w.cosigned {
                    Some((size, at)) => size < cp.size || at.elapsed() >= RENEW_AFTER,
                    None => true,
                };
                let resting = w.failed.is_some_and(|at| at.elapsed() < RETRY);
                if due && !resting {
                    match ask(&agent, &mut conn, w, cp.size, &cp.note) {
                        Ok(line) => {
                            w.cosigned = Some((cp.size, Instant::now()));
                            w.failed = None;
                            ledger.add_cosignature(cp.size, &w.name, line);
                        }
                        Err(e) => {
                            w.failed = Some(Instant::now());
                            tracing::warn!(witness = %w.name, size = cp.size, error = %e, "the witness did not cosign");
                        }
                    }
                }
            }
        }
        std::thread::sleep(POLL);
    }
}

/// Asks `w` to cosign the checkpoint `note` of `size`; its cosignature line, checked. A witness
/// that says it last cosigned another size (409) is asked again once from that size.
fn ask(
    agent: &ureq::Agent,
    conn: &mut SqliteConnection,
    w: &mut Witness,
    size: u64,
    note: &str,
) -> anyhow::Result<String> {
    for _ in 0..2 {
        let proof = match w.old {
            0 => Vec::new(),
            old if old >= size => Vec::new(),
            old => prove_consistency(old, size, &DbNodes::new(conn))?.path,
        };
        let body = AddCheckpoint { old: w.old.min(size), proof, note: note.to_owned() }.to_body();
        match agent.post(&format!("{}/add-checkpoint", w.url)).send_string(&body) {
            Ok(answer) => {
                let text = answer.into_string()?;
                let mine = text
                    .lines()
                    .find(|l| l.split(' ').nth(1) == Some(w.key.name.as_str()))
                    .ok_or_else(|| anyhow::anyhow!("the answer carries no line of {}", w.key.name))?;
                verify_cosignature(&format!("{note}{mine}\n"), &w.key)
                    .map_err(|e| anyhow::anyhow!("its cosignature does not verify: {e}"))?;
                w.old = size;
                return Ok(mine.to_owned());
            }
            Err(ureq::Error::Status(409, answer)) if answer.content_type() == "text/x.tlog.size" => {
                let text = answer.into_string()?;
                w.old = text.trim().parse()?;
                if w.old > size {
                    anyhow::bail!(
                        "it has cosigned size {}, beyond this log's {size}: the log was cut back",
                        w.old
                    );
                }
            }
            Err(ureq::Error::Status(code, answer)) => {
                let text = answer.into_string().unwrap_or_default();
                anyhow::bail!("it refused ({code}): {}", text.trim());
            }
            Err(e) => return Err(e.into()),
        }
    }
    anyhow::bail!("it disagrees about the last size it cosigned")
}
