//! Salted commitments: personal data (a farmer's name and phone) enters the ledger only as a
//! hash; the clear data lives off-ledger and can be erased without breaking verification.

use serde::{Deserialize, Serialize};

use crate::Hash;

const DOMAIN: &[u8] = b"terroir-commitment-v1\n";

/// `SHA-256(domain ‖ salt ‖ canonical JSON of the data)`. The 32-byte salt is random (the
/// caller's) so that a short phone number cannot be found by trying them all.
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

impl Commitment {
    pub fn commit(data: &PersonalData, salt: &[u8; 32]) -> Self {
        // PersonalData holds only strings, so its canonical form always exists.
        let bytes = crate::canonical::to_canonical_bytes(data).unwrap_or_default();
        Self(Hash::sha256_parts(&[DOMAIN, salt, &bytes]))
    }

    /// Whether `data` with `salt` opens this commitment.
    pub fn opens(&self, data: &PersonalData, salt: &[u8; 32]) -> bool {
        Self::commit(data, salt) == *self
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn opens_only_with_the_same_data_and_salt() {
        let data = PersonalData { name: "Li Wei".into(), phone: Some("+86 139 0000 0000".into()) };
        let c = Commitment::commit(&data, &[1; 32]);
        assert!(c.opens(&data, &[1; 32]));
        assert!(!c.opens(&data, &[2; 32]));
        let other = PersonalData { phone: None, ..data };
        assert!(!c.opens(&other, &[1; 32]));
    }
}
