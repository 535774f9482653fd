//! Signing and verifying: `Unsigned<T>` can only become `Signed<T>` by being signed with the
//! key it names, and wire data (`Envelope<T>`) only by verifying.

use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};

use super::parse::{ParseError, parse_strict};
use crate::Hash;
use crate::canonical::{CanonicalError, to_canonical_bytes};
use crate::crypto::{self, CryptoError, Keypair, PublicKey, Signature};

/// A body that can be signed: it names its signer and a domain-separation prefix.
pub trait Signable: Serialize {
    /// Prefixed to the canonical bytes before signing and hashing, so that the bytes of one
    /// kind of statement can never be taken for another's.
    const DOMAIN: &'static [u8];
    fn signer(&self) -> &PublicKey;
}

/// A body not yet signed. It cannot be submitted.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Unsigned<T>(T);

/// A body whose signature has been checked against the key it names.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Signed<T> {
    body: T,
    signature: Signature,
    signed_bytes: Vec<u8>,
    id: Hash,
}

/// The wire form `{"record": ..., "signature": ...}`, not yet checked.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Envelope<T> {
    pub record: T,
    pub signature: Signature,
}

/// Why a body could not be signed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SignError {
    #[error("the record names signer {named}, but the key given is {given}")]
    WrongKey { named: PublicKey, given: PublicKey },
    #[error(transparent)]
    NotCanonical(#[from] CanonicalError),
}

/// Why an envelope was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum VerifyError {
    #[error(transparent)]
    NotCanonical(#[from] CanonicalError),
    #[error("the signature does not verify with the signer's key {0}")]
    BadSignature(PublicKey),
}

impl<T: Signable> Unsigned<T> {
    pub fn new(body: T) -> Self {
        Self(body)
    }

    pub fn body(&self) -> &T {
        &self.0
    }

    /// The bytes that are signed and hashed: `DOMAIN ‖ JCS(body)`.
    pub fn signed_bytes(&self) -> Result<Vec<u8>, CanonicalError> {
        signed_bytes(&self.0)
    }

    pub fn sign(self, key: &Keypair) -> Result<Signed<T>, SignError> {
        let (named, given) = (*self.0.signer(), key.public());
        if named != given {
            return Err(SignError::WrongKey { named, given });
        }
        let signed_bytes = signed_bytes(&self.0)?;
        let signature = key.sign(&signed_bytes);
        Ok(Signed::assemble(self.0, signature, signed_bytes))
    }
}

impl<T: Signable> Signed<T> {
    fn assemble(body: T, signature: Signature, signed_bytes: Vec<u8>) -> Self {
        let id = Hash::sha256(&signed_bytes);
        Self { body, signature, signed_bytes, id }
    }

    pub fn body(&self) -> &T {
        &self.body
    }

    pub fn signature(&self) -> &Signature {
        &self.signature
    }

    /// `SHA-256(DOMAIN ‖ JCS(body))`: the record's id, and the head of what it touches.
    pub fn id(&self) -> Hash {
        self.id
    }

    pub fn signed_bytes(&self) -> &[u8] {
        &self.signed_bytes
    }

    pub fn into_body(self) -> T {
        self.body
    }
}

impl<T: Signable + Clone> Signed<T> {
    pub fn envelope(&self) -> Envelope<T> {
        Envelope { record: self.body.clone(), signature: self.signature }
    }
}

impl<T: Serialize> Serialize for Signed<T> {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        Envelope { record: &self.body, signature: self.signature }.serialize(s)
    }
}

impl<T: Signable + DeserializeOwned> Envelope<T> {
    /// Parses wire JSON strictly: unknown fields, wrong types, non-canonical spellings (an
    /// explicit `null` for an absent field) and trailing data are refused, with the path of the
    /// first offending value. So is a record with no canonical form (a number beyond
    /// 2^53 − 1), which could never be signed or hashed the same way by every reader.
    pub fn from_json(bytes: &[u8]) -> Result<Self, ParseError> {
        Ok(Prepared::from_json(bytes)?.envelope)
    }
}

impl<T: Signable + DeserializeOwned> Prepared<T> {
    /// Parses wire JSON exactly as [`Envelope::from_json`] does, keeping the signed bytes the
    /// check for a canonical form works out.
    pub fn from_json(bytes: &[u8]) -> Result<Self, ParseError> {
        let envelope: Envelope<T> = parse_strict(bytes)?;
        envelope.prepare().map_err(|e| ParseError { path: "record".into(), reason: e.to_string() })
    }
}

impl<T: Signable> Envelope<T> {
    pub fn verify(self) -> Result<Signed<T>, VerifyError> {
        self.prepare()?.verify()
    }
}

/// An envelope with the bytes its signature covers, computed once: a parser that had to work
/// them out anyway hands them on to verification instead of having them serialised again.
#[derive(Debug, Clone)]
pub struct Prepared<T> {
    envelope: Envelope<T>,
    signed_bytes: Vec<u8>,
}

impl<T: Signable> Envelope<T> {
    /// The envelope with its signed bytes, `DOMAIN ‖ JCS(record)`; an error if the record has
    /// no canonical form.
    pub fn prepare(self) -> Result<Prepared<T>, CanonicalError> {
        let signed_bytes = signed_bytes(&self.record)?;
        Ok(Prepared { envelope: self, signed_bytes })
    }
}

impl<T: Signable> Prepared<T> {
    pub fn envelope(&self) -> &Envelope<T> {
        &self.envelope
    }

    pub fn verify(self) -> Result<Signed<T>, VerifyError> {
        let Self { envelope: e, signed_bytes } = self;
        e.record
            .signer()
            .verify(&signed_bytes, &e.signature)
            .map_err(|_| VerifyError::BadSignature(*e.record.signer()))?;
        Ok(Signed::assemble(e.record, e.signature, signed_bytes))
    }
}

/// Verifies many envelopes with Ed25519 batch verification; one verdict per envelope, in order.
pub fn verify_batch<T: Signable>(envelopes: Vec<Envelope<T>>) -> Vec<Result<Signed<T>, VerifyError>> {
    verify_each(envelopes.into_iter().map(|e| e.prepare().map_err(VerifyError::from)).collect())
}

/// Verifies the prepared items among `items` in one batch; the others keep their error. One
/// verdict per item, in order.
pub fn verify_each<T: Signable, E: From<VerifyError>>(
    items: Vec<Result<Prepared<T>, E>>,
) -> Vec<Result<Signed<T>, E>> {
    let mut verdicts: Vec<Option<Result<Signed<T>, E>>> = Vec::with_capacity(items.len());
    let (mut ready, mut positions) = (Vec::new(), Vec::new());
    for (i, item) in items.into_iter().enumerate() {
        match item {
            Ok(p) => {
                ready.push(p);
                positions.push(i);
                verdicts.push(None);
            }
            Err(e) => verdicts.push(Some(Err(e))),
        }
    }
    for (verdict, i) in verify_prepared(ready).into_iter().zip(positions) {
        if let Some(slot) = verdicts.get_mut(i) {
            *slot = Some(verdict.map_err(E::from));
        }
    }
    // `verify_prepared` answers every item it is given, so every slot is filled.
    verdicts.into_iter().flatten().collect()
}

/// Verifies envelopes whose signed bytes are already known, in one batch.
fn verify_prepared<T: Signable>(items: Vec<Prepared<T>>) -> Vec<Result<Signed<T>, VerifyError>> {
    let checkable: Vec<(&[u8], &Signature, &PublicKey)> = items
        .iter()
        .map(|p| (p.signed_bytes.as_slice(), &p.envelope.signature, p.envelope.record.signer()))
        .collect();
    let verdicts = crypto::verify_batch(&checkable);
    items
        .into_iter()
        .zip(verdicts)
        .map(|(Prepared { envelope: e, signed_bytes }, verdict)| match verdict {
            Ok(()) => Ok(Signed::assemble(e.record, e.signature, signed_bytes)),
            Err(CryptoError::BadSignature) | Err(_) => Err(VerifyError::BadSignature(*e.record.signer())),
        })
        .collect()
}

fn signed_bytes<T: Signable>(body: &T) -> Result<Vec<u8>, CanonicalError> {
    let mut out = T::DOMAIN.to_vec();
    out.extend(to_canonical_bytes(body)?);
    Ok(out)
}
