//! What a witness decides, as C2SP tlog-witness specifies it: an `add-checkpoint` request (the
//! size the log last had cosigned, a consistency proof from it, the new signed checkpoint) is
//! judged against what the witness last cosigned for that log, and either refused with the
//! spec's status or cosigned. Keeping the state durably and speaking HTTP is the server's part.
//!
//! Beside the spec's checks, a Terroir witness makes one more statement: for one log and one
//! size it cosigns at most one checkpoint body, extension lines included, so the state map's
//! root cannot be shown two ways either.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;

use super::checkpoint::{Checkpoint, verify_checkpoint};
use super::cosignature::{CosignatureError, Cosigner};
use super::proof::verify_consistency;
use crate::Hash;

/// The most proof lines a request may carry.
pub const MAX_PROOF_LINES: usize = 63;

/// An `add-checkpoint` request body.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AddCheckpoint {
    /// The size of the latest checkpoint the witness cosigned for this log, as the log believes.
    pub old: u64,
    /// The consistency proof from `old` to the new checkpoint's size (empty when `old` is 0).
    pub proof: Vec<Hash>,
    /// The signed checkpoint note.
    pub note: String,
}

impl AddCheckpoint {
    /// Reads `old <size>\n`, the proof's hashes one base64 line each, an empty line, then the note.
    pub fn parse(body: &str) -> Result<Self, Refusal> {
        let bad = |why: &str| Refusal::Malformed(why.to_owned());
        let (head, note) =
            body.split_once("\n\n").ok_or_else(|| bad("no empty line before the checkpoint"))?;
        let mut lines = head.split('\n');
        let old = lines
            .next()
            .and_then(|l| l.strip_prefix("old "))
            .filter(|n| *n == "0" || !n.starts_with('0'))
            .and_then(|n| n.parse::<u64>().ok())
            .ok_or_else(|| bad("the first line is `old <size>`"))?;
        let proof = lines
            .map(|l| BASE64.decode(l).ok().and_then(|b| <[u8; 32]>::try_from(b).ok()).map(Hash))
            .collect::<Option<Vec<_>>>()
            .ok_or_else(|| bad("a proof line is not a base64 hash"))?;
        if proof.len() > MAX_PROOF_LINES {
            return Err(bad("more than 63 proof lines"));
        }
        Ok(Self { old, proof, note: note.to_owned() })
    }

    /// The request body, as a log sends it.
    pub fn to_body(&self) -> String {
        let mut body = format!("old {}\n", self.old);
        for h in &self.proof {
            body.push_str(&BASE64.encode(h.as_bytes()));
            body.push('\n');
        }
        body.push('\n');
        body.push_str(&self.note);
        body
    }
}

/// What a witness keeps of one log: the last checkpoint it cosigned, and when.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Cosigned {
    pub size: u64,
    pub root: Hash,
    /// The checkpoint's whole body, extension lines included.
    pub body: String,
    /// The time of its cosignature, in seconds since the epoch.
    pub time: u64,
}

/// Why a witness refuses, with the HTTP status the spec gives it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Refusal {
    #[error("this witness does not follow the log {0:?}")]
    UnknownLog(String),
    #[error("the checkpoint carries no valid signature of the log's key")]
    NotSignedByLog,
    #[error("the request is malformed: {0}")]
    Malformed(String),
    #[error("the old size {old} is beyond the checkpoint's size {size}")]
    OldBeyondNew { old: u64, size: u64 },
    /// The log's idea of the last cosigned size is wrong; the body of the answer is this size.
    #[error("the last checkpoint this witness cosigned has size {0}")]
    WrongOldSize(u64),
    #[error("the consistency proof does not verify")]
    BadProof,
    #[error("a different checkpoint of the same size was cosigned before: the log has forked")]
    Fork,
    #[error("the checkpoint cannot be cosigned: {0}")]
    Cosign(CosignatureError),
}

impl Refusal {
    /// The HTTP status C2SP tlog-witness gives this refusal.
    pub fn status(&self) -> u16 {
        match self {
            Refusal::UnknownLog(_) => 404,
            Refusal::NotSignedByLog => 403,
            Refusal::Malformed(_) | Refusal::OldBeyondNew { .. } => 400,
            Refusal::WrongOldSize(_) | Refusal::Fork => 409,
            Refusal::BadProof => 422,
            Refusal::Cosign(_) => 500,
        }
    }
}

/// A checkpoint accepted: what to keep, and the cosignature line to answer with.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Accepted {
    pub checkpoint: Checkpoint,
    pub keep: Cosigned,
    pub line: String,
}

/// The origin a note's checkpoint names: its first line.
pub fn origin_of(note: &str) -> Option<&str> {
    note.split('\n').next().filter(|o| !o.is_empty())
}

/// Judges `request` for a log whose verifier key is `log_vkey`, given what this witness last
/// cosigned for it (`last`), at `now` (seconds since the epoch). The caller finds the log by
/// [`origin_of`] (refusing an unknown one with [`Refusal::UnknownLog`]) and must keep
/// `Accepted::keep` durably, atomically with this check, before answering with its line.
pub fn add_checkpoint(
    witness: &Cosigner,
    log_vkey: &str,
    last: Option<&Cosigned>,
    request: &AddCheckpoint,
    now: u64,
) -> Result<Accepted, Refusal> {
    let checkpoint = verify_checkpoint(&request.note, log_vkey).map_err(|_| Refusal::NotSignedByLog)?;
    let body = request.note.rfind("\n\n").map(|at| &request.note[..=at]).ok_or(Refusal::NotSignedByLog)?;
    if request.old > checkpoint.size {
        return Err(Refusal::OldBeyondNew { old: request.old, size: checkpoint.size });
    }
    let last_size = last.map_or(0, |l| l.size);
    if request.old != last_size {
        return Err(Refusal::WrongOldSize(last_size));
    }
    if let Some(last) = last {
        if last.size == checkpoint.size {
            if last.root != checkpoint.root || last.body != body {
                return Err(Refusal::Fork);
            }
        } else {
            verify_consistency(last.size, checkpoint.size, &last.root, &checkpoint.root, &request.proof)
                .map_err(|_| Refusal::BadProof)?;
        }
    } else if !request.proof.is_empty() {
        return Err(Refusal::BadProof);
    }
    // A witness's times never go back for a log, whatever its clock does.
    let time = last.map_or(now, |l| now.max(l.time));
    let line = witness.cosign(body, time).map_err(Refusal::Cosign)?;
    let keep = Cosigned { size: checkpoint.size, root: checkpoint.root, body: body.to_owned(), time };
    Ok(Accepted { checkpoint, keep, line })
}

#[cfg(test)]
mod tests {
    use ed25519_dalek::SigningKey;

    use super::*;
    use crate::log::{LogSigner, MemoryNodeStore, prove_consistency, verify_cosignature};

    fn log() -> LogSigner {
        LogSigner::new("log.example/terroir", SigningKey::from_bytes(&[1; 32])).expect("log")
    }

    fn witness() -> Cosigner {
        Cosigner::new("witness.example/w1", SigningKey::from_bytes(&[7; 32])).expect("witness")
    }

    fn tree(size: u64) -> MemoryNodeStore {
        history("entry", size)
    }

    fn history(name: &str, size: u64) -> MemoryNodeStore {
        let mut t = MemoryNodeStore::new();
        for i in 0..size {
            t.append_entry(format!("{name} {i}").as_bytes());
        }
        t
    }

    fn request(old: u64, size: u64, leaves: &MemoryNodeStore) -> AddCheckpoint {
        let proof = if old == 0 || old == size {
            vec![]
        } else {
            prove_consistency(old, size, leaves).expect("a proof").path
        };
        let note = log().sign(size, &crate::log::root(size, leaves).expect("root")).to_text();
        AddCheckpoint { old, proof, note }
    }

    #[test]
    fn a_growing_log_is_cosigned_and_the_cosignature_verifies() {
        let (w, leaves) = (witness(), tree(20));
        let first = add_checkpoint(&w, &log().vkey(), None, &request(0, 10, &leaves), 100).expect("cosigned");
        let second = request(10, 20, &leaves);
        let parsed = AddCheckpoint::parse(&second.to_body()).expect("reads back");
        assert_eq!(parsed, second);
        let accepted = add_checkpoint(&w, &log().vkey(), Some(&first.keep), &parsed, 90).expect("cosigned");
        assert_eq!(accepted.keep.size, 20);
        assert_eq!(accepted.keep.time, 100, "never earlier than the last cosignature");
        let note = format!("{}{}", parsed.note, accepted.line);
        assert_eq!(verify_cosignature(&note, w.public()), Ok(100));
    }

    #[test]
    fn a_rolled_back_forked_or_unproven_log_is_refused_with_the_specs_status() {
        let (w, leaves) = (witness(), tree(20));
        let vkey = log().vkey();
        let at_20 = add_checkpoint(&w, &vkey, None, &request(0, 20, &leaves), 100).expect("cosigned").keep;
        // Rolled back: the log claims an older cosigned size.
        let back = add_checkpoint(&w, &vkey, Some(&at_20), &request(10, 15, &leaves), 101);
        assert_eq!(back.as_ref().map_err(Refusal::status), Err(409));
        assert_eq!(back, Err(Refusal::WrongOldSize(20)));
        // Forked: another history of the same size.
        let other = history("another entry", 21);
        let mut fork = request(20, 20, &other);
        fork.note = log().sign(20, &crate::Hash::sha256(b"another root")).to_text();
        assert_eq!(add_checkpoint(&w, &vkey, Some(&at_20), &fork, 101), Err(Refusal::Fork));
        // Grown on another history: the proof from the witness's tree does not hold.
        let grown = request(20, 21, &other);
        assert_eq!(add_checkpoint(&w, &vkey, Some(&at_20), &grown, 101).map_err(|e| e.status()), Err(422));
        // Not signed by the log's key: 403; old beyond new: 400.
        let mut unsigned = request(20, 20, &leaves);
        unsigned.note = LogSigner::new("log.example/terroir", SigningKey::from_bytes(&[2; 32]))
            .expect("log")
            .sign(20, &crate::log::root(20, &leaves).expect("root"))
            .to_text();
        assert_eq!(add_checkpoint(&w, &vkey, Some(&at_20), &unsigned, 101).map_err(|e| e.status()), Err(403));
        let beyond = AddCheckpoint { old: 30, ..request(20, 20, &leaves) };
        assert_eq!(add_checkpoint(&w, &vkey, Some(&at_20), &beyond, 101).map_err(|e| e.status()), Err(400));
        // The same checkpoint again is cosigned again (a retry).
        assert!(add_checkpoint(&w, &vkey, Some(&at_20), &request(20, 20, &leaves), 102).is_ok());
    }

    #[test]
    fn a_malformed_request_is_refused_with_400() {
        for body in ["", "old 01\n\nx\n", "new 3\n\nx\n", "old 3\nnot-base64\n\nx\n", "old 3\n"] {
            assert_eq!(AddCheckpoint::parse(body).map_err(|e| e.status()), Err(400), "{body:?}");
        }
        assert_eq!(origin_of("log.example/terroir\n20\n…"), Some("log.example/terroir"));
    }
}
