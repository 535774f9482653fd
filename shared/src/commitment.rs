//! Salted commitments: personal data (a farmer's name and phone) enters the ledger only as a
//! hash; the clear data lives off-ledger and can be erased without breaking verification.
//!
//! A contact commitment (version 2) is a hash over two halves, the data and the consent under
//! which it was given, each salted on its own: either half can be proven without the other, so
//! a party can show what was agreed without showing the data. Version 1, over the data alone,
//! is what registrations made before consent was recorded carry.

use serde::{Deserialize, Serialize};

use crate::Hash;
use crate::calendar::Date;

const V1_DOMAIN: &[u8] = b"terroir-commitment-v1\n";
const DATA_DOMAIN: &[u8] = b"terroir-contact-data-v2\n";
const CONSENT_DOMAIN: &[u8] = b"terroir-contact-consent-v2\n";
const CONTACT_DOMAIN: &[u8] = b"terroir-contact-v2\n";

/// A commitment as a registration carries it. The 32-byte salts are random (the caller's) so
/// that a short phone number cannot be found by trying them all.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Commitment(pub Hash);

/// The clear side of a commitment: kept off-ledger, erasable.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct PersonalData {
    pub name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub phone: Option<String>,
}

/// The consent under which contact data was taken: what for, on which day, who took it, and
/// where the signed form or note is kept. It names nobody: the person is the data's subject.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct Consent {
    pub purpose: String,
    pub given_on: Date,
    pub collected_by: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub record: Option<String>,
}

/// `SHA-256(domain ‖ salt ‖ JCS(value))`; the values here hold only strings and dates, so their
/// canonical form always exists.
fn salted<T: Serialize>(domain: &[u8], salt: &[u8; 32], value: &T) -> Hash {
    let bytes = crate::canonical::to_canonical_bytes(value).unwrap_or_default();
    Hash::sha256_parts(&[domain, salt, &bytes])
}

/// The data half of a version-2 commitment.
pub fn data_half(data: &PersonalData, salt: &[u8; 32]) -> Hash {
    salted(DATA_DOMAIN, salt, data)
}

/// The consent half of a version-2 commitment.
pub fn consent_half(consent: &Consent, salt: &[u8; 32]) -> Hash {
    salted(CONSENT_DOMAIN, salt, consent)
}

impl Commitment {
    /// Version 1: the data alone.
    pub fn commit(data: &PersonalData, salt: &[u8; 32]) -> Self {
        Self(salted(V1_DOMAIN, salt, data))
    }

    /// Whether `data` with `salt` opens this version-1 commitment.
    pub fn opens(&self, data: &PersonalData, salt: &[u8; 32]) -> bool {
        Self::commit(data, salt) == *self
    }

    /// Version 2: `SHA-256("terroir-contact-v2\n" ‖ data half ‖ consent half)`.
    pub fn of_halves(data: &Hash, consent: &Hash) -> Self {
        Self(Hash::sha256_parts(&[CONTACT_DOMAIN, data.as_bytes(), consent.as_bytes()]))
    }

    /// Version 2 over the data and the consent, each with its own salt.
    pub fn to_contact(
        data: &PersonalData,
        data_salt: &[u8; 32],
        consent: &Consent,
        consent_salt: &[u8; 32],
    ) -> Self {
        Self::of_halves(&data_half(data, data_salt), &consent_half(consent, consent_salt))
    }
}

/// The data side of a proof: shown with its salt, or only its hash.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct DataShown {
    pub data: PersonalData,
    pub salt: Hash,
}

/// What proves a version-2 commitment: the consent with its salt, and the data with its salt
/// or, to prove the consent alone, only the data half.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct ContactProof {
    pub consent: Consent,
    pub consent_salt: Hash,
    pub data_half: Hash,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub data: Option<DataShown>,
}

/// Why a proof does not open a commitment.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ProofError {
    #[error("the data shown does not hash to the data half")]
    Data,
    #[error("the halves do not hash to the commitment")]
    Commitment,
}

impl ContactProof {
    /// Everything that proves `consent` (and `data`, when given) behind a commitment.
    pub fn new(
        data: &PersonalData,
        data_salt: &[u8; 32],
        consent: &Consent,
        consent_salt: &[u8; 32],
    ) -> Self {
        Self {
            consent: consent.clone(),
            consent_salt: Hash(*consent_salt),
            data_half: data_half(data, data_salt),
            data: Some(DataShown { data: data.clone(), salt: Hash(*data_salt) }),
        }
    }

    /// The same proof without the data: it proves what was agreed and nothing about whom.
    pub fn without_data(mut self) -> Self {
        self.data = None;
        self
    }

    /// Checks every hash from the revealed values up to `commitment`.
    pub fn check(&self, commitment: &Commitment) -> Result<(), ProofError> {
        if let Some(shown) = &self.data
            && data_half(&shown.data, shown.salt.as_bytes()) != self.data_half
        {
            return Err(ProofError::Data);
        }
        let consent = consent_half(&self.consent, self.consent_salt.as_bytes());
        if Commitment::of_halves(&self.data_half, &consent) != *commitment {
            return Err(ProofError::Commitment);
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn data() -> PersonalData {
        PersonalData { name: "Li Wei".into(), phone: Some("+86 139 0000 0000".into()) }
    }

    fn consent() -> Consent {
        Consent {
            purpose: "contact about this co-op's lots".into(),
            given_on: "2026-12-01".parse().expect("date"),
            collected_by: "Bulang co-op office".into(),
            record: None,
        }
    }

    #[test]
    fn opens_only_with_the_same_data_and_salt() {
        let c = Commitment::commit(&data(), &[1; 32]);
        assert!(c.opens(&data(), &[1; 32]));
        assert!(!c.opens(&data(), &[2; 32]));
        let other = PersonalData { phone: None, ..data() };
        assert!(!c.opens(&other, &[1; 32]));
    }

    #[test]
    fn either_half_of_a_contact_commitment_is_proven_without_the_other() {
        let c = Commitment::to_contact(&data(), &[1; 32], &consent(), &[2; 32]);
        // Worked out apart from this code, with Python's hashlib over JCS (docs/records.md).
        assert_eq!(c.0.to_string(), "9aa0b8cb15882e6edc799d8348b7a8ff2cd8c17df0fc591d0ac4b0819d9d13ec");
        assert_ne!(c, Commitment::commit(&data(), &[1; 32]), "the versions never collide");
        let proof = ContactProof::new(&data(), &[1; 32], &consent(), &[2; 32]);
        assert_eq!(proof.check(&c), Ok(()));
        let consent_only = proof.clone().without_data();
        assert_eq!(consent_only.check(&c), Ok(()));
        let text = serde_json::to_string(&consent_only).expect("json");
        assert!(!text.contains("Li Wei") && !text.contains("0000"), "{text}");

        let mut wrong_name = proof.clone();
        wrong_name.data.as_mut().expect("data").data.name = "Li Wen".into();
        assert_eq!(wrong_name.check(&c), Err(ProofError::Data));
        let mut other_purpose = consent_only.clone();
        other_purpose.consent.purpose = "marketing".into();
        assert_eq!(other_purpose.check(&c), Err(ProofError::Commitment));
        let mut other_salt = consent_only;
        other_salt.consent_salt = Hash([3; 32]);
        assert_eq!(other_salt.check(&c), Err(ProofError::Commitment));
    }

    #[test]
    fn a_proof_reads_back_from_its_json() {
        let proof = ContactProof::new(&data(), &[1; 32], &consent(), &[2; 32]);
        let text = serde_json::to_string(&proof).expect("json");
        assert!(text.contains("\"givenOn\":\"2026-12-01\"") && text.contains("\"consentSalt\""), "{text}");
        assert_eq!(serde_json::from_str::<ContactProof>(&text).expect("parse"), proof);
    }
}
