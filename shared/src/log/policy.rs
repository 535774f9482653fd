//! Which cosignatures make a checkpoint trusted: a C2SP tlog-policy (the logs, the witnesses,
//! groups of k of n, and the quorum), plus how fresh a cosignature must be, which the format
//! leaves to its user.
//!
//! ```text
//! log log.example/terroir+1a2b3c4d+AQ…
//! witness w1 witness.example/w1+5e6f7a8b+BA…
//! witness w2 witness.other/w2+…
//! witness w3 witness.third/w3+…
//! group two-of-three 2 w1 w2 w3
//! quorum two-of-three
//! ```

use std::collections::BTreeMap;

use super::checkpoint::{Checkpoint, CheckpointError, VerifierKey, verify_checkpoint};
use super::cosignature::{WitnessKey, verify_cosignature};

/// Why a policy file was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PolicyError {
    #[error("line {line}: {why}")]
    Line { line: usize, why: String },
    #[error("the policy names no quorum")]
    NoQuorum,
    #[error("the policy names no log")]
    NoLog,
}

/// How many of a group's members must hold.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Threshold {
    AtLeast(usize),
    All,
}

#[derive(Debug, Clone, PartialEq, Eq)]
struct Group {
    threshold: Threshold,
    members: Vec<String>,
}

/// A parsed policy. The quorum is a witness's or a group's name, or none (the log's signature
/// alone).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Policy {
    logs: Vec<String>,
    witnesses: BTreeMap<String, WitnessKey>,
    /// The submission URL a `witness` line gives, if any: where a log asks it to cosign.
    urls: BTreeMap<String, String>,
    groups: BTreeMap<String, Group>,
    quorum: Option<String>,
}

/// What a checkpoint note is worth under a policy at a given time.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PolicyVerdict {
    /// The checkpoint, verified with the policy's key for its log.
    pub checkpoint: Checkpoint,
    /// The witnesses whose cosignatures hold and are fresh, with the time each vouched
    /// (seconds since the epoch), by the policy's names.
    pub vouched: BTreeMap<String, u64>,
    /// Witnesses whose cosignatures hold but are older than the freshness bound or from the
    /// future; they do not count.
    pub stale: BTreeMap<String, u64>,
    /// Whether the vouching witnesses meet the quorum.
    pub quorum_met: bool,
}

fn line_error(line: usize, why: impl Into<String>) -> PolicyError {
    PolicyError::Line { line, why: why.into() }
}

impl Policy {
    /// Parses a tlog-policy file: `log`, `witness`, `group` and exactly one `quorum` line;
    /// `#` starts a comment; a group names witnesses or groups defined above it.
    pub fn parse(text: &str) -> Result<Policy, PolicyError> {
        let mut policy = Policy {
            logs: vec![],
            witnesses: BTreeMap::new(),
            urls: BTreeMap::new(),
            groups: BTreeMap::new(),
            quorum: None,
        };
        let mut quorum_seen = false;
        for (i, raw) in text.lines().enumerate() {
            let n = i + 1;
            let words: Vec<&str> = raw.split('#').next().unwrap_or_default().split_whitespace().collect();
            let defined =
                |p: &Policy, name: &str| p.witnesses.contains_key(name) || p.groups.contains_key(name);
            match words.as_slice() {
                [] => {}
                ["log", vkey, ..] if words.len() <= 3 => {
                    VerifierKey::parse(vkey).map_err(|e| line_error(n, e.to_string()))?;
                    policy.logs.push((*vkey).to_owned());
                }
                ["witness", name, vkey, ..] if words.len() <= 4 => {
                    if defined(&policy, name) {
                        return Err(line_error(n, format!("{name} is defined twice")));
                    }
                    let key = WitnessKey::parse(vkey).map_err(|e| line_error(n, e.to_string()))?;
                    policy.witnesses.insert((*name).to_owned(), key);
                    if let Some(url) = words.get(3) {
                        if !(url.starts_with("http://") || url.starts_with("https://")) {
                            return Err(line_error(n, format!("{url}: a submission URL is http(s)://…")));
                        }
                        policy.urls.insert((*name).to_owned(), url.trim_end_matches('/').to_owned());
                    }
                }
                ["group", name, threshold, members @ ..] if !members.is_empty() => {
                    if defined(&policy, name) {
                        return Err(line_error(n, format!("{name} is defined twice")));
                    }
                    if let Some(unknown) = members.iter().find(|m| !defined(&policy, m)) {
                        return Err(line_error(n, format!("{unknown} is not defined above")));
                    }
                    let threshold = match *threshold {
                        "all" => Threshold::All,
                        "any" => Threshold::AtLeast(1),
                        k => match k.parse::<usize>() {
                            Ok(k) if (1..=members.len()).contains(&k) => Threshold::AtLeast(k),
                            _ => {
                                return Err(line_error(
                                    n,
                                    format!("{k}: a number from 1 to {}, any or all", members.len()),
                                ));
                            }
                        },
                    };
                    let members = members.iter().map(|m| (*m).to_owned()).collect();
                    policy.groups.insert((*name).to_owned(), Group { threshold, members });
                }
                ["quorum", name] => {
                    if quorum_seen {
                        return Err(line_error(n, "a second quorum"));
                    }
                    quorum_seen = true;
                    if *name != "none" && !defined(&policy, name) {
                        return Err(line_error(n, format!("{name} is not defined above")));
                    }
                    policy.quorum = (*name != "none").then(|| (*name).to_owned());
                }
                _ => return Err(line_error(n, format!("not a policy line: {raw:?}"))),
            }
        }
        if !quorum_seen {
            return Err(PolicyError::NoQuorum);
        }
        if policy.logs.is_empty() {
            return Err(PolicyError::NoLog);
        }
        Ok(policy)
    }

    /// The logs' verifier keys.
    pub fn logs(&self) -> &[String] {
        &self.logs
    }

    /// The witnesses with a submission URL: whom a log asks to cosign, by the policy's name.
    pub fn submission(&self) -> impl Iterator<Item = (&str, &WitnessKey, &str)> {
        self.witnesses
            .iter()
            .filter_map(|(name, key)| Some((name.as_str(), key, self.urls.get(name)?.as_str())))
    }

    /// Judges a checkpoint note at `now` (seconds since the epoch): the log's signature must
    /// hold, and the quorum must be met by witnesses whose cosignatures hold and are at most
    /// `max_age` seconds old (and not more than a minute ahead of `now`).
    pub fn judge(&self, note: &str, now: u64, max_age: u64) -> Result<PolicyVerdict, CheckpointError> {
        let mut last_error = CheckpointError::MalformedNote;
        let mut checkpoint = None;
        for vkey in &self.logs {
            match verify_checkpoint(note, vkey) {
                Ok(c) => {
                    checkpoint = Some(c);
                    break;
                }
                Err(e) => last_error = e,
            }
        }
        let checkpoint = checkpoint.ok_or(last_error)?;
        let (mut vouched, mut stale) = (BTreeMap::new(), BTreeMap::new());
        for (name, key) in &self.witnesses {
            if let Ok(time) = verify_cosignature(note, key) {
                let fresh = time <= now.saturating_add(60) && now.saturating_sub(time) <= max_age;
                if fresh {
                    vouched.insert(name.clone(), time)
                } else {
                    stale.insert(name.clone(), time)
                };
            }
        }
        let quorum_met = self.quorum.as_deref().is_none_or(|q| self.holds(q, &vouched, 0));
        Ok(PolicyVerdict { checkpoint, vouched, stale, quorum_met })
    }

    /// Whether the witness or group `name` holds, given the witnesses that vouched.
    fn holds(&self, name: &str, vouched: &BTreeMap<String, u64>, depth: usize) -> bool {
        if vouched.contains_key(name) {
            return true;
        }
        // Groups name only what is defined above them, so there are no cycles; the depth
        // bound is a second guard.
        let Some(group) = self.groups.get(name).filter(|_| depth < 64) else { return false };
        let held = group.members.iter().filter(|m| self.holds(m, vouched, depth + 1)).count();
        match group.threshold {
            Threshold::All => held == group.members.len(),
            Threshold::AtLeast(k) => held >= k,
        }
    }
}

#[cfg(test)]
mod tests {
    use ed25519_dalek::SigningKey;

    use super::*;
    use crate::log::{Cosigner, LogSigner};

    struct World {
        log: LogSigner,
        witnesses: Vec<Cosigner>,
    }

    fn world() -> World {
        let log = LogSigner::new("log.example/terroir", SigningKey::from_bytes(&[1; 32])).expect("log");
        let witnesses = (0..3)
            .map(|i| Cosigner::new(&format!("witness{i}.example/w"), SigningKey::from_bytes(&[10 + i; 32])))
            .collect::<Result<Vec<_>, _>>()
            .expect("witnesses");
        World { log, witnesses }
    }

    fn policy(w: &World, quorum: &str) -> Policy {
        let mut text = format!("# the pinned log and its witnesses\nlog {}\n", w.log.vkey());
        for (i, c) in w.witnesses.iter().enumerate() {
            text.push_str(&format!("witness w{i} {}\n", c.public()));
        }
        text.push_str(&format!("group two 2 w0 w1 w2\ngroup every all w0 w1 w2\nquorum {quorum}\n"));
        Policy::parse(&text).expect("a policy")
    }

    fn cosigned(w: &World, by: &[(usize, u64)]) -> String {
        let signed = w.log.sign(42, &crate::Hash::sha256(b"root"));
        let mut note = signed.to_text();
        for &(i, time) in by {
            note.push_str(&w.witnesses[i].cosign(&signed.checkpoint().body(), time).expect("cosigned"));
        }
        note
    }

    const NOW: u64 = 1_764_000_000;

    #[test]
    fn a_quorum_of_fresh_cosignatures_makes_a_checkpoint_trusted() {
        let w = world();
        let two = policy(&w, "two");
        let v =
            two.judge(&cosigned(&w, &[(0, NOW - 30), (2, NOW - 10)]), NOW, 600).expect("the log signed it");
        assert!(v.quorum_met);
        assert_eq!(v.vouched.keys().collect::<Vec<_>>(), ["w0", "w2"]);
        assert_eq!(v.checkpoint.size, 42);
        // One is not two; "all" needs every witness.
        assert!(!two.judge(&cosigned(&w, &[(1, NOW)]), NOW, 600).expect("signed").quorum_met);
        let every = policy(&w, "every");
        assert!(!every.judge(&cosigned(&w, &[(0, NOW), (1, NOW)]), NOW, 600).expect("signed").quorum_met);
        assert!(
            every.judge(&cosigned(&w, &[(0, NOW), (1, NOW), (2, NOW)]), NOW, 600).expect("signed").quorum_met
        );
        // No quorum: the log's signature alone.
        assert!(policy(&w, "none").judge(&cosigned(&w, &[]), NOW, 600).expect("signed").quorum_met);
    }

    #[test]
    fn old_or_future_cosignatures_do_not_count() {
        let w = world();
        let v =
            policy(&w, "two").judge(&cosigned(&w, &[(0, NOW - 3_600), (1, NOW + 3_600), (2, NOW)]), NOW, 600);
        let v = v.expect("signed");
        assert!(!v.quorum_met);
        assert_eq!(v.vouched.keys().collect::<Vec<_>>(), ["w2"]);
        assert_eq!(v.stale.keys().collect::<Vec<_>>(), ["w0", "w1"]);
    }

    #[test]
    fn a_note_the_log_did_not_sign_is_refused_whatever_its_cosignatures() {
        let w = world();
        let other = LogSigner::new("log.example/terroir", SigningKey::from_bytes(&[2; 32])).expect("log");
        let signed = other.sign(42, &crate::Hash::sha256(b"root"));
        let mut note = signed.to_text();
        for c in &w.witnesses {
            note.push_str(&c.cosign(&signed.checkpoint().body(), NOW).expect("cosigned"));
        }
        assert!(policy(&w, "two").judge(&note, NOW, 600).is_err());
    }

    #[test]
    fn a_policy_is_refused_with_the_line_that_is_wrong() {
        let w = world();
        let log = format!("log {}\n", w.log.vkey());
        let wit = format!("witness w0 {}\n", w.witnesses[0].public());
        for (text, expected) in [
            (log.clone(), PolicyError::NoQuorum),
            (format!("{wit}quorum w0\n"), PolicyError::NoLog),
            (format!("{log}{wit}quorum w9\n"), line_error(3, "w9 is not defined above")),
            (
                format!("{log}{wit}group g 2 w0\nquorum g\n"),
                line_error(3, "2: a number from 1 to 1, any or all"),
            ),
            (format!("{log}{wit}{wit}quorum w0\n"), line_error(3, "w0 is defined twice")),
            (format!("{log}{wit}quorum w0\nquorum none\n"), line_error(4, "a second quorum")),
            (
                format!("{log}witness w0 {}\nquorum none\n", w.log.vkey()),
                line_error(2, "the witness key is not a timestamped Ed25519 cosignature key (type 0x04)"),
            ),
        ] {
            assert_eq!(Policy::parse(&text), Err(expected), "{text}");
        }
    }
}
