//! Signed checkpoints: C2SP tlog-checkpoint bodies in C2SP signed notes with Ed25519 keys,
//! their signing from a caller-supplied key and their offline verification.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;
use ed25519_dalek::{Signer as _, SigningKey};
use serde::{Deserialize, Serialize};
use signed_note::{Note, NoteError, StandardVerifier, VerificationError, Verifier, VerifierList};

use crate::Hash;

/// The signed-note algorithm byte of Ed25519 keys.
const ALG_ED25519: u8 = 0x01;

/// A verified tree head: the log's origin, its size and its root hash.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Checkpoint {
    pub origin: String,
    pub size: u64,
    pub root: Hash,
    /// The root of the state map after the log's first `size` entries, from the checkpoint's
    /// extension line `terroir-state/v1 <base64 root>`; none in checkpoints signed before the
    /// ledger kept the map.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub state: Option<Hash>,
}

/// The extension line that commits a checkpoint to the state map's root.
pub const STATE_LINE: &str = "terroir-state/v1";

impl Checkpoint {
    /// The checkpoint body: origin, decimal size and base64 root, one per line, then the
    /// state map's root in its extension line.
    pub fn body(&self) -> String {
        let mut body = format!("{}\n{}\n{}\n", self.origin, self.size, BASE64.encode(self.root.as_bytes()));
        if let Some(state) = &self.state {
            body.push_str(&format!("{STATE_LINE} {}\n", BASE64.encode(state.as_bytes())));
        }
        body
    }
}

/// The state map's root a checkpoint's extension lines name: `None` without the line; an
/// error if it is there twice or is not one base64 hash. Other extension lines are not ours.
fn state_of(extension: &str) -> Result<Option<Hash>, CheckpointError> {
    let mut found = None;
    for line in extension.lines() {
        let Some(rest) = line.strip_prefix(STATE_LINE).and_then(|r| r.strip_prefix(' ')) else {
            continue;
        };
        let bytes = BASE64.decode(rest).map_err(|_| CheckpointError::MalformedCheckpoint)?;
        let hash = Hash(bytes.try_into().map_err(|_| CheckpointError::MalformedCheckpoint)?);
        if found.replace(hash).is_some() {
            return Err(CheckpointError::MalformedCheckpoint);
        }
    }
    Ok(found)
}

/// Why a checkpoint or note was refused, or a signer could not be made.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CheckpointError {
    #[error("origin {0:?} is not a valid key name (empty, or contains a space or '+')")]
    InvalidOrigin(String),
    #[error("the verifier key is malformed")]
    MalformedVerifierKey,
    #[error("the verifier key's algorithm is not Ed25519")]
    UnsupportedKeyAlgorithm,
    #[error("the verifier key's ID does not match its name and key")]
    VerifierKeyIdMismatch,
    #[error("the signed note is malformed")]
    MalformedNote,
    #[error("the note carries no signature by key {name}+{id:08x}")]
    NotSignedByKey { name: String, id: u32 },
    #[error("the signature by key {name}+{id:08x} is invalid")]
    InvalidSignature { name: String, id: u32 },
    #[error("the note's text is not a checkpoint")]
    MalformedCheckpoint,
    #[error("the checkpoint is for origin {found:?}, expected {expected:?}")]
    WrongOrigin { expected: String, found: String },
}

/// The key ID of an Ed25519 key in a signed note: the first four bytes, big-endian, of
/// SHA-256(name ‖ 0x0A ‖ 0x01 ‖ public key).
pub fn key_id(name: &str, key: &ed25519_dalek::VerifyingKey) -> u32 {
    let mut encoded = Vec::with_capacity(33);
    encoded.push(ALG_ED25519);
    encoded.extend_from_slice(key.as_bytes());
    signed_note::key_id(name, &encoded)
}

/// Signs checkpoints (and any note text) for one log, with a key the caller supplies.
/// The key name in signatures is the log's origin.
pub struct LogSigner {
    origin: String,
    key: SigningKey,
    key_id: u32,
}

impl std::fmt::Debug for LogSigner {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LogSigner")
            .field("origin", &self.origin)
            .field("key_id", &format_args!("{:08x}", self.key_id))
            .finish_non_exhaustive()
    }
}

/// Whether `origin` can name a log: a signed-note key name, non-empty, without whitespace or
/// '+'.
pub fn valid_origin(origin: &str) -> bool {
    signed_note::is_key_name_valid(origin)
}

impl LogSigner {
    /// A signer for the log named `origin`. The origin must be a valid signed-note key name:
    /// non-empty, without whitespace or '+'.
    pub fn new(origin: &str, key: SigningKey) -> Result<Self, CheckpointError> {
        if !valid_origin(origin) {
            return Err(CheckpointError::InvalidOrigin(origin.to_owned()));
        }
        let key_id = key_id(origin, &key.verifying_key());
        Ok(Self { origin: origin.to_owned(), key, key_id })
    }

    pub fn origin(&self) -> &str {
        &self.origin
    }

    pub fn key_id(&self) -> u32 {
        self.key_id
    }

    /// The C2SP verifier key: `name+hex8(keyID)+base64(0x01 ‖ public key)`.
    pub fn vkey(&self) -> String {
        signed_note::new_ed25519_verifier_key(&self.origin, &self.key.verifying_key())
    }

    /// The signature line for a note whose text is `text` (which ends in a newline):
    /// `— name base64(keyID ‖ signature)`, without a trailing newline.
    pub fn signature_line(&self, text: &[u8]) -> String {
        let signature = self.key.sign(text);
        let mut blob = Vec::with_capacity(68);
        blob.extend_from_slice(&self.key_id.to_be_bytes());
        blob.extend_from_slice(&signature.to_bytes());
        format!("\u{2014} {} {}", self.origin, BASE64.encode(blob))
    }

    /// Signs the checkpoint for the tree of `size` leaves with `root`.
    pub fn sign(&self, size: u64, root: &Hash) -> SignedCheckpoint {
        self.sign_with_state(size, root, None)
    }

    /// Signs the checkpoint for the tree of `size` leaves with `root`, committing to the state
    /// map's root `state` after those leaves.
    pub fn sign_with_state(&self, size: u64, root: &Hash, state: Option<Hash>) -> SignedCheckpoint {
        let checkpoint = Checkpoint { origin: self.origin.clone(), size, root: *root, state };
        let body = checkpoint.body();
        let line = self.signature_line(body.as_bytes());
        SignedCheckpoint { text: format!("{body}\n{line}\n"), checkpoint }
    }
}

/// A checkpoint with its signed-note text, as served at `/checkpoint`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SignedCheckpoint {
    checkpoint: Checkpoint,
    text: String,
}

impl SignedCheckpoint {
    pub fn checkpoint(&self) -> &Checkpoint {
        &self.checkpoint
    }

    /// The exact note text.
    pub fn as_str(&self) -> &str {
        &self.text
    }

    /// The exact note text, owned.
    pub fn to_text(&self) -> String {
        self.text.clone()
    }
}

/// A parsed C2SP Ed25519 verifier key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VerifierKey {
    pub name: String,
    pub key_id: u32,
    pub key: ed25519_dalek::VerifyingKey,
}

impl VerifierKey {
    /// Parses `name+hex8(keyID)+base64(0x01 ‖ public key)`, checking the key ID.
    pub fn parse(vkey: &str) -> Result<Self, CheckpointError> {
        let parts = VkeyParts::parse(vkey).ok_or(CheckpointError::MalformedVerifierKey)?;
        if parts.alg != ALG_ED25519 {
            return Err(CheckpointError::UnsupportedKeyAlgorithm);
        }
        let key = ed25519_dalek::VerifyingKey::from_bytes(&parts.key)
            .map_err(|_| CheckpointError::MalformedVerifierKey)?;
        if !parts.id_matches() {
            return Err(CheckpointError::VerifierKeyIdMismatch);
        }
        Ok(Self { name: parts.name.to_owned(), key_id: parts.key_id, key })
    }
}

/// A C2SP verifier key taken apart: `name+hex8(key ID)+base64(type ‖ 32-byte key)`.
pub(super) struct VkeyParts<'a> {
    pub name: &'a str,
    pub key_id: u32,
    pub alg: u8,
    pub key: [u8; 32],
}

impl<'a> VkeyParts<'a> {
    pub fn parse(vkey: &'a str) -> Option<Self> {
        let (name, rest) = vkey.split_once('+')?;
        let (id_hex, key_b64) = rest.split_once('+')?;
        if !signed_note::is_key_name_valid(name)
            || id_hex.len() != 8
            || !id_hex.bytes().all(|b| b.is_ascii_hexdigit())
        {
            return None;
        }
        let key_id = u32::from_str_radix(id_hex, 16).ok()?;
        let raw = BASE64.decode(key_b64).ok()?;
        let (&alg, key) = raw.split_first()?;
        Some(Self { name, key_id, alg, key: key.try_into().ok()? })
    }

    /// Whether the key ID is the one the name, type and key give (C2SP signed-note).
    pub fn id_matches(&self) -> bool {
        let mut encoded = vec![self.alg];
        encoded.extend_from_slice(&self.key);
        signed_note::key_id(self.name, &encoded) == self.key_id
    }
}

impl std::fmt::Display for VerifierKey {
    /// The C2SP verifier key string.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&signed_note::new_ed25519_verifier_key(&self.name, &self.key))
    }
}

/// Verifies a signed note against one verifier key and returns its text.
/// The note must carry a valid signature by that key; other signatures are ignored.
pub fn verify_note(note: &str, vkey: &str) -> Result<String, CheckpointError> {
    let key = VerifierKey::parse(vkey)?;
    let verifier = StandardVerifier::new(vkey).map_err(|_| CheckpointError::MalformedVerifierKey)?;
    let note = Note::from_bytes(note.as_bytes()).map_err(|_| CheckpointError::MalformedNote)?;
    let not_signed = || CheckpointError::NotSignedByKey { name: key.name.clone(), id: key.key_id };
    let name = verifier.name().to_owned();
    let id = verifier.key_id();
    let known = VerifierList::new(vec![Box::new(verifier)]);
    match note.verify(&known) {
        Ok(_) => {}
        Err(NoteError::InvalidSignature { name, id }) => {
            return Err(CheckpointError::InvalidSignature { name, id });
        }
        Err(NoteError::UnverifiedNote)
        | Err(NoteError::VerificationError(VerificationError::UnknownKey { .. })) => {
            return Err(not_signed());
        }
        Err(NoteError::MismatchedVerifier) => {
            return Err(CheckpointError::InvalidSignature { name, id });
        }
        Err(_) => return Err(CheckpointError::MalformedNote),
    }
    String::from_utf8(note.text().to_vec()).map_err(|_| CheckpointError::MalformedNote)
}

/// Verifies a signed checkpoint note against the log's verifier key: the note must be signed
/// by that key, its text must be a C2SP checkpoint, and its origin must be the key's name.
pub fn verify_checkpoint(note: &str, vkey: &str) -> Result<Checkpoint, CheckpointError> {
    let text = verify_note(note, vkey)?;
    let parsed = tlog_tiles::Checkpoint::from_bytes(text.as_bytes())
        .map_err(|_| CheckpointError::MalformedCheckpoint)?;
    let key = VerifierKey::parse(vkey)?;
    if parsed.origin() != key.name {
        return Err(CheckpointError::WrongOrigin { expected: key.name, found: parsed.origin().to_owned() });
    }
    Ok(Checkpoint {
        origin: parsed.origin().to_owned(),
        size: parsed.size(),
        root: Hash::from(*parsed.hash()),
        state: state_of(parsed.extension())?,
    })
}
