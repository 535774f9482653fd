//! Personal data off the ledger: taken only with a recorded consent, kept in the personal store
//! (`db::personal`), shown to the person on request, and erased from the store, from every
//! backup this ledger made that can be reached, and again whenever a restored copy brings it
//! back. The register of erasures (`erasures` in the data directory: commitments and times,
//! nothing personal) is what outlives a restore.

use std::collections::BTreeMap;
use std::io::Write as _;
use std::path::{Path, PathBuf};

use rand_core::{OsRng, RngCore};
use serde::Serialize;
use terroir_shared::Hash;
use terroir_shared::calendar::Timestamp;
use terroir_shared::commitment::{Commitment, Consent, ContactProof, DataShown, PersonalData, data_half};
use terroir_shared::party::PartyId;

use super::ServiceError;
use crate::db;
use crate::db::personal::{Contact, Erased, Subject};

/// The register's file name, in the data directory and beside a backup's snapshots.
pub const REGISTER_FILE: &str = "erasures";

/// Contact data as a person gives it, with their consent.
#[derive(Debug, Clone)]
pub struct Given {
    pub data: PersonalData,
    pub consent: Consent,
}

/// Contact data taken at enrolment, to keep once its registration is in the log.
#[derive(Debug, Clone)]
pub struct Taken {
    subject: Subject,
    contact: Contact,
}

/// Salts the data and the consent (fresh randomness each) and commits to both.
pub fn take(given: Given, party: &PartyId, at: Timestamp) -> Result<(Commitment, Taken), ServiceError> {
    let mut data_salt = [0u8; 32];
    let mut consent_salt = [0u8; 32];
    OsRng.fill_bytes(&mut data_salt);
    OsRng.fill_bytes(&mut consent_salt);
    let commitment = Commitment::to_contact(&given.data, &data_salt, &given.consent, &consent_salt);
    let consent = String::from_utf8(terroir_shared::canonical::to_canonical_bytes(&given.consent)?)
        .map_err(|_| ServiceError::Integrity("canonical JSON that is not UTF-8".into()))?;
    let taken = Taken {
        subject: Subject {
            commitment: commitment.0.0.to_vec(),
            party: Some(party.0.as_bytes().to_vec()),
            version: 2,
            collected_at: Some(millis(at)),
            consent: Some(consent),
            consent_salt: Some(consent_salt.to_vec()),
            data_half: Some(data_half(&given.data, &data_salt).0.to_vec()),
            erased_at: None,
        },
        contact: Contact {
            commitment: commitment.0.0.to_vec(),
            name: given.data.name,
            phone: given.data.phone,
            salt: data_salt.to_vec(),
        },
    };
    Ok((commitment, taken))
}

fn millis(t: Timestamp) -> i64 {
    i64::try_from(t.millis()).unwrap_or(i64::MAX)
}

fn timestamp(ms: i64) -> Timestamp {
    Timestamp(u64::try_from(ms).unwrap_or(0))
}

fn store(data_dir: &Path) -> Result<diesel::SqliteConnection, ServiceError> {
    Ok(db::personal::open(&data_dir.join(db::personal::FILE))?)
}

/// Keeps contact data whose registration is in the log. If the register says it was erased
/// (a registration sent again after an erasure), it is not kept.
pub fn keep(data_dir: &Path, taken: &Taken) -> Result<(), ServiceError> {
    let commitment = db::hash_from(&taken.subject.commitment)?;
    if Register::in_dir(data_dir).read()?.contains_key(&commitment) {
        return Ok(());
    }
    Ok(db::personal::keep(&mut store(data_dir)?, &taken.subject, &taken.contact)?)
}

/// The register of erasures: one line per commitment, `<hex> <milliseconds> <RFC 3339>`,
/// appended and fsynced, never rewritten.
#[derive(Debug, Clone)]
pub struct Register {
    path: PathBuf,
}

/// Commitments erased, and when.
pub type Erasures = BTreeMap<Hash, Timestamp>;

impl Register {
    pub fn in_dir(dir: &Path) -> Self {
        Self { path: dir.join(REGISTER_FILE) }
    }

    /// Every erasure in the register; none when there is no register yet.
    pub fn read(&self) -> Result<Erasures, ServiceError> {
        let text = match std::fs::read_to_string(&self.path) {
            Ok(text) => text,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Erasures::new()),
            Err(e) => return Err(io(&self.path, e)),
        };
        let mut erasures = Erasures::new();
        for (n, line) in text.lines().enumerate() {
            let line = line.trim();
            if line.is_empty() || line.starts_with('#') {
                continue;
            }
            let mut words = line.split_whitespace();
            let commitment = words.next().and_then(|w| w.parse::<Hash>().ok());
            let at = words.next().and_then(|w| w.parse::<u64>().ok());
            let (Some(commitment), Some(at)) = (commitment, at) else {
                return Err(ServiceError::Files(format!(
                    "{} line {}: not `<commitment> <milliseconds>`",
                    self.path.display(),
                    n + 1
                )));
            };
            erasures.entry(commitment).or_insert(Timestamp(at));
        }
        Ok(erasures)
    }

    /// Appends the erasures the register does not hold yet; returns how many.
    pub fn add(&self, erasures: &Erasures) -> Result<usize, ServiceError> {
        let held = self.read()?;
        let new: Vec<_> = erasures.iter().filter(|(c, _)| !held.contains_key(c)).collect();
        if new.is_empty() {
            return Ok(0);
        }
        let fresh = !self.path.exists();
        let mut text = String::new();
        if fresh {
            text.push_str("# Contact data erased from this ledger: commitment, milliseconds, time (UTC).\n");
            text.push_str("# Nothing personal; kept so that no restored copy brings the data back.\n");
        }
        for (commitment, at) in &new {
            text.push_str(&format!("{commitment} {} {at}\n", at.millis()));
        }
        let mut file = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(&self.path)
            .map_err(|e| io(&self.path, e))?;
        file.write_all(text.as_bytes()).and_then(|()| file.sync_all()).map_err(|e| io(&self.path, e))?;
        if fresh {
            sync_dir(&self.path)?;
        }
        Ok(new.len())
    }
}

pub(crate) fn io(path: &Path, e: std::io::Error) -> ServiceError {
    ServiceError::Files(format!("{}: {e}", path.display()))
}

/// Makes a new name in a directory durable.
pub(crate) fn sync_dir(path: &Path) -> Result<(), ServiceError> {
    let dir = path.parent().unwrap_or(Path::new("."));
    std::fs::File::open(dir).and_then(|d| d.sync_all()).map_err(|e| io(dir, e))
}

/// Erases the data behind a commitment from the store and records it in the register (the
/// backups are reached by `backup::erase_everywhere`).
pub fn erase(data_dir: &Path, commitment: &Commitment, at: Timestamp) -> Result<Erased, ServiceError> {
    let outcome = db::personal::erase(&mut store(data_dir)?, commitment.0.as_bytes(), millis(at))?;
    let when = match outcome {
        Erased::Unknown => return Ok(outcome),
        Erased::Now | Erased::Before(None) => at,
        Erased::Before(Some(ms)) => timestamp(ms),
    };
    Register::in_dir(data_dir).add(&Erasures::from([(commitment.0, when)]))?;
    Ok(outcome)
}

/// Holds the store to the register: data that a restored copy brought back is erased again.
/// Returns the commitments erased again.
pub fn reapply(data_dir: &Path) -> Result<Vec<Hash>, ServiceError> {
    let erasures = Register::in_dir(data_dir).read()?;
    reapply_to(&data_dir.join(db::personal::FILE), &erasures)
}

/// Erases from the store at `path` whatever `erasures` lists that it still holds.
pub(crate) fn reapply_to(path: &Path, erasures: &Erasures) -> Result<Vec<Hash>, ServiceError> {
    if erasures.is_empty() || !path.exists() {
        return Ok(Vec::new());
    }
    let mut conn = db::personal::open(path)?;
    let mut again = Vec::new();
    for held in db::personal::held(&mut conn)? {
        let commitment = db::hash_from(&held)?;
        if let Some(at) = erasures.get(&commitment) {
            db::personal::erase(&mut conn, &held, millis(*at))?;
            again.push(commitment);
        }
    }
    Ok(again)
}

/// Whose data an access request asks for.
#[derive(Debug, Clone, Copy)]
pub enum Whose {
    Commitment(Commitment),
    Party(PartyId),
}

/// All that is kept under one commitment, as the person it is about may ask to see it.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Held {
    pub commitment: Hash,
    pub party: Option<PartyId>,
    /// `held`, or `erased`: then only what is not personal is kept.
    pub status: &'static str,
    /// RFC 3339, UTC.
    pub collected_at: Option<String>,
    pub erased_at: Option<String>,
    /// 1: the commitment covers the data alone (taken before consent was recorded);
    /// 2: the data and the consent, each provable without the other.
    pub version: i32,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub data: Option<PersonalData>,
    pub consent: Option<Consent>,
    /// Version 2: what opens the commitment in the party's registration.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub proof: Option<ContactProof>,
    /// Version 1: the salt that, with the data, opens the commitment.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub salt: Option<Hash>,
}

/// What is kept about a person, each item checked against its commitment; `consent_only`
/// leaves the data (and its salt) out.
pub fn access(data_dir: &Path, whose: Whose, consent_only: bool) -> Result<Vec<Held>, ServiceError> {
    let mut conn = store(data_dir)?;
    let commitments = match whose {
        Whose::Commitment(c) => vec![c.0.0.to_vec()],
        Whose::Party(p) => db::personal::of_party(&mut conn, p.0.as_bytes())?,
    };
    let mut found = Vec::new();
    for bytes in commitments {
        let Some((subject, contact)) = db::personal::get(&mut conn, &bytes)? else { continue };
        found.push(held(subject, contact, consent_only)?);
    }
    Ok(found)
}

fn held(subject: Subject, contact: Option<Contact>, consent_only: bool) -> Result<Held, ServiceError> {
    let commitment = Commitment(db::hash_from(&subject.commitment)?);
    let bad = |what: &str| ServiceError::Integrity(format!("the data kept under {} {what}", commitment.0));
    let party = match &subject.party {
        Some(bytes) => {
            let key = <[u8; 32]>::try_from(bytes.as_slice()).map_err(|_| bad("names no valid party"))?;
            Some(PartyId(
                terroir_shared::crypto::PublicKey::from_bytes(&key)
                    .map_err(|_| bad("names no valid party"))?,
            ))
        }
        None => None,
    };
    let consent: Option<Consent> = match &subject.consent {
        Some(text) => Some(serde_json::from_str(text).map_err(|_| bad("has an unreadable consent"))?),
        None => None,
    };
    let data = contact.as_ref().map(|c| PersonalData { name: c.name.clone(), phone: c.phone.clone() });
    let data_salt =
        contact.as_ref().map(|c| salt(&c.salt)).transpose().map_err(|()| bad("has a bad salt"))?;
    let (proof, legacy_salt) = match (subject.version, &consent) {
        (2, Some(consent)) => {
            let consent_salt =
                subject.consent_salt.as_deref().map(salt).transpose().map_err(|()| bad("has a bad salt"))?;
            let half = subject.data_half.as_deref().map(db::hash_from).transpose()?;
            let (Some(consent_salt), Some(data_half)) = (consent_salt, half) else {
                return Err(bad("lacks its consent salt or data half"));
            };
            let shown = match (&data, data_salt) {
                (Some(data), Some(salt)) => Some(DataShown { data: data.clone(), salt }),
                _ => None,
            };
            let proof = ContactProof { consent: consent.clone(), consent_salt, data_half, data: shown };
            proof.check(&commitment).map_err(|e| bad(&format!("does not open its commitment: {e}")))?;
            (Some(if consent_only { proof.without_data() } else { proof }), None)
        }
        (1, None) => {
            if let (Some(data), Some(salt)) = (&data, data_salt)
                && !commitment.opens(data, salt.as_bytes())
            {
                return Err(bad("does not open its commitment"));
            }
            (None, data_salt.filter(|_| !consent_only))
        }
        _ => return Err(bad("mixes commitment versions")),
    };
    Ok(Held {
        commitment: commitment.0,
        party,
        status: if contact.is_some() { "held" } else { "erased" },
        collected_at: subject.collected_at.map(|ms| timestamp(ms).to_rfc3339()),
        erased_at: subject.erased_at.map(|ms| timestamp(ms).to_rfc3339()),
        version: subject.version,
        data: data.filter(|_| !consent_only),
        consent,
        proof,
        salt: legacy_salt,
    })
}

fn salt(bytes: &[u8]) -> Result<Hash, ()> {
    <[u8; 32]>::try_from(bytes).map(Hash).map_err(|_| ())
}
