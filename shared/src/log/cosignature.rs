//! Witness cosignatures on checkpoints, as C2SP tlog-cosignature specifies them for Ed25519
//! ("cosignature/v1"): a witness signs `cosignature/v1\ntime <seconds>\n` followed by the whole
//! checkpoint body, and its line in the note carries its key ID, the time and the signature.
//! A cosignature says: as of that time, this is the largest consistent tree head the witness
//! has seen for the log.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;
use ed25519_dalek::{Signer as _, SigningKey, VerifyingKey};

use super::checkpoint::VkeyParts;
use crate::crypto::verify_raw;

/// The signed-note algorithm byte of timestamped Ed25519 witness cosignatures.
const ALG_COSIGNATURE_V1: u8 = 0x04;

/// Why a cosignature or a witness key was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CosignatureError {
    #[error("{0:?} is not a valid witness name (empty, or contains a space or '+')")]
    InvalidName(String),
    #[error("the witness key is malformed")]
    MalformedKey,
    #[error("the witness key is not a timestamped Ed25519 cosignature key (type 0x04)")]
    NotACosignatureKey,
    #[error("the witness key's ID does not match its name and key")]
    KeyIdMismatch,
    #[error("the note is malformed")]
    MalformedNote,
    #[error("the note carries no cosignature by {name}+{id:08x}")]
    NotCosigned { name: String, id: u32 },
    #[error("the cosignature by {name}+{id:08x} is invalid")]
    InvalidCosignature { name: String, id: u32 },
    #[error("a cosignature's time is at most 2^63 − 1 seconds")]
    TimeOutOfRange,
}

/// A witness's public key as policies and pages pin it:
/// `name+hex8(key ID)+base64(0x04 ‖ Ed25519 public key)`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WitnessKey {
    pub name: String,
    pub key_id: u32,
    pub key: VerifyingKey,
}

fn encoded(key: &VerifyingKey) -> Vec<u8> {
    let mut bytes = Vec::with_capacity(33);
    bytes.push(ALG_COSIGNATURE_V1);
    bytes.extend_from_slice(key.as_bytes());
    bytes
}

impl WitnessKey {
    pub fn new(name: &str, key: VerifyingKey) -> Result<Self, CosignatureError> {
        if !signed_note::is_key_name_valid(name) {
            return Err(CosignatureError::InvalidName(name.to_owned()));
        }
        Ok(Self { name: name.to_owned(), key_id: signed_note::key_id(name, &encoded(&key)), key })
    }

    /// Parses a witness verifier key, checking its type and its key ID.
    pub fn parse(vkey: &str) -> Result<Self, CosignatureError> {
        let parts = VkeyParts::parse(vkey).ok_or(CosignatureError::MalformedKey)?;
        if parts.alg != ALG_COSIGNATURE_V1 {
            return Err(CosignatureError::NotACosignatureKey);
        }
        let key = VerifyingKey::from_bytes(&parts.key).map_err(|_| CosignatureError::MalformedKey)?;
        if !parts.id_matches() {
            return Err(CosignatureError::KeyIdMismatch);
        }
        Self::new(parts.name, key)
    }
}

impl std::fmt::Display for WitnessKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}+{:08x}+{}", self.name, self.key_id, BASE64.encode(encoded(&self.key)))
    }
}

/// What a witness signs for `body` (a checkpoint's text, extension lines and final newline
/// included) at `time`, in seconds since the epoch.
pub fn signed_message(body: &str, time: u64) -> Vec<u8> {
    format!("cosignature/v1\ntime {time}\n{body}").into_bytes()
}

/// A witness's signing side: its name and key.
pub struct Cosigner {
    key: SigningKey,
    public: WitnessKey,
}

impl std::fmt::Debug for Cosigner {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Cosigner").field("key", &self.public.to_string()).finish_non_exhaustive()
    }
}

impl Cosigner {
    pub fn new(name: &str, key: SigningKey) -> Result<Self, CosignatureError> {
        let public = WitnessKey::new(name, key.verifying_key())?;
        Ok(Self { key, public })
    }

    pub fn public(&self) -> &WitnessKey {
        &self.public
    }

    /// The cosignature line for `body` at `time`: `— <name> base64(key ID ‖ time ‖ signature)`,
    /// with its newline, to append to the checkpoint's signed note.
    pub fn cosign(&self, body: &str, time: u64) -> Result<String, CosignatureError> {
        if time > i64::MAX as u64 {
            return Err(CosignatureError::TimeOutOfRange);
        }
        let signature = self.key.sign(&signed_message(body, time));
        let mut bytes = Vec::with_capacity(76);
        bytes.extend_from_slice(&self.public.key_id.to_be_bytes());
        bytes.extend_from_slice(&time.to_be_bytes());
        bytes.extend_from_slice(&signature.to_bytes());
        Ok(format!("— {} {}\n", self.public.name, BASE64.encode(bytes)))
    }
}

/// A note's text and its signature lines, as C2SP signed-note writes them.
fn split_note(note: &str) -> Result<(&str, Vec<signed_note::Signature>), CosignatureError> {
    let at = note.rfind("\n\n").ok_or(CosignatureError::MalformedNote)?;
    let (text, sigs) = (&note[..=at], &note[at + 2..]);
    let lines: Result<Vec<_>, _> = sigs
        .split_terminator('\n')
        .map(|l| {
            signed_note::Signature::from_bytes(l.as_bytes()).map_err(|_| CosignatureError::MalformedNote)
        })
        .collect();
    Ok((text, lines?))
}

/// Checks `witness`'s cosignature on the checkpoint `note` (its text and every signature line)
/// and returns the time the witness vouched for it, in seconds since the epoch.
pub fn verify_cosignature(note: &str, witness: &WitnessKey) -> Result<u64, CosignatureError> {
    let (body, sigs) = split_note(note)?;
    let name = || witness.name.clone();
    let sig = sigs
        .iter()
        .find(|s| s.name() == witness.name && s.id() == witness.key_id)
        .ok_or_else(|| CosignatureError::NotCosigned { name: name(), id: witness.key_id })?;
    let invalid = || CosignatureError::InvalidCosignature { name: name(), id: witness.key_id };
    let bytes: &[u8; 72] = sig.signature().try_into().map_err(|_| invalid())?;
    let (time, signature) = bytes.split_at(8);
    let time = u64::from_be_bytes(time.try_into().map_err(|_| invalid())?);
    let signature: &[u8; 64] = signature.try_into().map_err(|_| invalid())?;
    if time > i64::MAX as u64 || !verify_raw(witness.key.as_bytes(), &signed_message(body, time), signature) {
        return Err(invalid());
    }
    Ok(time)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::log::{LogSigner, verify_checkpoint};

    fn cosigner(name: &str, seed: u8) -> Cosigner {
        Cosigner::new(name, SigningKey::from_bytes(&[seed; 32])).expect("a cosigner")
    }

    #[test]
    fn a_witness_key_reads_back_and_its_id_follows_the_signed_note_rule() {
        let w = cosigner("witness.example/w1", 7);
        let vkey = w.public().to_string();
        assert_eq!(WitnessKey::parse(&vkey).as_ref(), Ok(w.public()));
        // key ID = SHA-256(name ‖ "\n" ‖ 0x04 ‖ key)[..4]
        let mut hashed = b"witness.example/w1\n".to_vec();
        hashed.push(0x04);
        hashed.extend_from_slice(w.public().key.as_bytes());
        let digest = crate::Hash::sha256(&hashed);
        assert_eq!(w.public().key_id.to_be_bytes(), digest.as_bytes()[..4]);
        // A log's own key (type 0x01) is not a witness key, and a wrong ID is caught.
        let log = LogSigner::new("log.example/terroir", SigningKey::from_bytes(&[1; 32])).expect("log");
        assert_eq!(WitnessKey::parse(&log.vkey()), Err(CosignatureError::NotACosignatureKey));
        let wrong_id = vkey.replacen(&format!("{:08x}", w.public().key_id), "00000000", 1);
        assert_eq!(WitnessKey::parse(&wrong_id), Err(CosignatureError::KeyIdMismatch));
    }

    #[test]
    fn a_cosigned_checkpoint_verifies_for_the_log_and_each_witness() {
        let log = LogSigner::new("log.example/terroir", SigningKey::from_bytes(&[1; 32])).expect("log");
        let signed = log.sign(42, &crate::Hash::sha256(b"root"));
        let body = signed.checkpoint().body();
        let (w1, w2) = (cosigner("witness.example/w1", 7), cosigner("witness.other/w2", 9));
        let mut note = signed.to_text();
        note.push_str(&w1.cosign(&body, 1_764_000_000).expect("cosigned"));
        note.push_str(&w2.cosign(&body, 1_764_000_005).expect("cosigned"));
        // The log's signature still verifies beside the cosignatures it does not know.
        assert_eq!(verify_checkpoint(&note, &log.vkey()).map(|c| c.size), Ok(42));
        assert_eq!(verify_cosignature(&note, w1.public()), Ok(1_764_000_000));
        assert_eq!(verify_cosignature(&note, w2.public()), Ok(1_764_000_005));
        let w3 = cosigner("witness.third/w3", 11);
        assert!(matches!(verify_cosignature(&note, w3.public()), Err(CosignatureError::NotCosigned { .. })));
    }

    #[test]
    fn a_cosignature_covers_the_time_and_every_line_of_the_body() {
        let log = LogSigner::new("log.example/terroir", SigningKey::from_bytes(&[1; 32])).expect("log");
        let signed = log.sign(42, &crate::Hash::sha256(b"root"));
        let w = cosigner("witness.example/w1", 7);
        let line = w.cosign(&signed.checkpoint().body(), 1_764_000_000).expect("cosigned");
        let note = format!("{}{line}", signed.to_text());
        // Another time in the line: the signature no longer holds.
        let raw = BASE64.decode(line.trim_end().rsplit(' ').next().unwrap_or_default()).unwrap_or_default();
        let mut moved = raw.clone();
        moved[11] ^= 1;
        let forged = note.replace(&BASE64.encode(&raw), &BASE64.encode(&moved));
        assert!(matches!(
            verify_cosignature(&forged, w.public()),
            Err(CosignatureError::InvalidCosignature { .. })
        ));
        // Another body (a size the witness never saw), same line: refused.
        let other = log.sign(43, &crate::Hash::sha256(b"root"));
        let grafted = format!("{}{line}", other.to_text());
        assert!(matches!(
            verify_cosignature(&grafted, w.public()),
            Err(CosignatureError::InvalidCosignature { .. })
        ));
        assert_eq!(w.cosign("x\n", u64::MAX), Err(CosignatureError::TimeOutOfRange));
    }
}
