//! Ledger entries: entry *n* is leaf *n* of the Merkle tree and links the leaf hash of entry
//! *n − 1*, so the log is both a hash chain and a tree.

use serde::{Deserialize, Serialize};

use crate::Hash;
use crate::canonical::{CanonicalError, to_canonical_bytes};
use crate::log::{Receipt, ReceiptError, ReceiptVerifier, VerifiedReceipt, leaf_hash};
use crate::record::{Envelope, ParseError, Record, Signable, Signed};

/// One accepted record at its place in the ledger. Its leaf bytes are its RFC 8785 canonical
/// JSON, so any client can recompute the leaf hash from what the server serves.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct LedgerEntry {
    pub index: u64,
    /// The leaf hash of the previous entry; all zeros for the first.
    pub prev: Hash,
    #[cfg_attr(feature = "openapi", schema(value_type = crate::schema::EnvelopeSchema))]
    pub record: Envelope<Record>,
}

/// Why a record's receipt does not prove its place in the log.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum EntryError {
    #[error(transparent)]
    Receipt(#[from] ReceiptError),
    #[error(
        "the receipt is for leaf {receipt_leaf} at index {receipt_index}, not for this entry (leaf {entry_leaf} at index {entry_index})"
    )]
    NotThisEntry { entry_index: u64, entry_leaf: Hash, receipt_index: u64, receipt_leaf: Hash },
    #[error(transparent)]
    NotCanonical(#[from] CanonicalError),
}

impl LedgerEntry {
    /// The bytes hashed into the tree (and served by `/tile/entries`).
    pub fn leaf_bytes(&self) -> Result<Vec<u8>, CanonicalError> {
        to_canonical_bytes(self)
    }

    /// The leaf bytes of entry `index` holding `record`, linking `prev`: the same bytes as
    /// [`LedgerEntry::leaf_bytes`], written around the record's canonical bytes kept from its
    /// signature instead of serialising the record again. JCS orders the keys `index` < `prev`
    /// < `record` and `record` < `signature`; an index is a plain integer, hashes and signatures
    /// are hex, so nothing here needs escaping.
    pub fn leaf_bytes_of(index: u64, prev: &Hash, record: &Signed<Record>) -> Vec<u8> {
        use std::io::Write as _;
        let body = record.signed_bytes().get(<Record as Signable>::DOMAIN.len()..).unwrap_or_default();
        let mut leaf = Vec::with_capacity(body.len() + 256);
        let _ = write!(leaf, "{{\"index\":{index},\"prev\":\"{prev}\",\"record\":{{\"record\":");
        leaf.extend_from_slice(body);
        let _ = write!(leaf, ",\"signature\":\"{}\"}}}}", record.signature());
        leaf
    }

    pub fn leaf_hash(&self) -> Result<Hash, CanonicalError> {
        Ok(leaf_hash(&self.leaf_bytes()?))
    }

    /// Parses leaf bytes strictly: they must be exactly the entry's canonical bytes, so the
    /// leaf hash a client computes over them is the one in the tree.
    pub fn from_leaf_bytes(bytes: &[u8]) -> Result<Self, ParseError> {
        // Bytes that are exactly the canonical form of the entry they parse to (every stored
        // leaf) need no value-by-value look: nothing can differ. Anything else takes the strict
        // path, which names what is wrong.
        if let Ok(entry) = serde_json::from_slice::<Self>(bytes)
            && entry.leaf_bytes().is_ok_and(|canonical| canonical == bytes)
        {
            return Ok(entry);
        }
        let entry: Self = crate::record::parse_strict(bytes)?;
        match entry.leaf_bytes() {
            Ok(canonical) if canonical == bytes => Ok(entry),
            _ => Err(ParseError {
                path: String::new(),
                reason: "leaf bytes must be the entry's RFC 8785 canonical JSON".into(),
            }),
        }
    }

    /// Whether this entry directly follows `previous` in the hash chain.
    pub fn follows(&self, previous_index: u64, previous_leaf: &Hash) -> bool {
        previous_index.checked_add(1) == Some(self.index) && self.prev == *previous_leaf
    }

    /// Checks that `receipt` proves that `record` is in the log: rebuilds the entry from the
    /// receipt's index and link, then checks it as [`LedgerEntry::verify_receipt`] does.
    pub fn verify_record_receipt(
        record: &Envelope<Record>,
        receipt: &Receipt,
        vkey: &str,
    ) -> Result<VerifiedReceipt, EntryError> {
        Self::verify_record_receipt_with(record, receipt, &mut ReceiptVerifier::new(vkey))
    }

    /// [`LedgerEntry::verify_record_receipt`] with a verifier that checks each checkpoint once
    /// across many receipts.
    pub fn verify_record_receipt_with(
        record: &Envelope<Record>,
        receipt: &Receipt,
        receipts: &mut ReceiptVerifier,
    ) -> Result<VerifiedReceipt, EntryError> {
        let entry = LedgerEntry { index: receipt.index, prev: receipt.prev, record: record.clone() };
        entry.verify_receipt_with(receipt, receipts)
    }

    /// Checks that `receipt` proves this very entry at its index under a checkpoint signed by
    /// the log key `vkey`. The record's own signature is checked separately (`verify`).
    pub fn verify_receipt(&self, receipt: &Receipt, vkey: &str) -> Result<VerifiedReceipt, EntryError> {
        self.verify_receipt_with(receipt, &mut ReceiptVerifier::new(vkey))
    }

    /// [`LedgerEntry::verify_receipt`] with a verifier that checks each checkpoint once across
    /// many receipts.
    pub fn verify_receipt_with(
        &self,
        receipt: &Receipt,
        receipts: &mut ReceiptVerifier,
    ) -> Result<VerifiedReceipt, EntryError> {
        let leaf = self.leaf_hash()?;
        if receipt.leaf_hash != leaf || receipt.index != self.index {
            return Err(EntryError::NotThisEntry {
                entry_index: self.index,
                entry_leaf: leaf,
                receipt_index: receipt.index,
                receipt_leaf: receipt.leaf_hash,
            });
        }
        Ok(receipts.verify(receipt)?)
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeSet;

    use super::*;
    use crate::calendar::Timestamp;
    use crate::crypto::Keypair;
    use crate::party::{PartyId, Role};
    use crate::record::{Act, OpenLedger, RegisterParty, Unsigned};
    use crate::rules::Rules;

    #[test]
    fn leaf_bytes_written_around_a_signed_record_are_its_canonical_bytes() {
        let operator = Keypair::from_seed(&[7; 32]);
        let record = |at: u64, act: Act| {
            let body = Record {
                origin: "ledger.example/terroir".into(),
                party: PartyId(operator.public()),
                signer: operator.public(),
                at: Timestamp(at),
                act,
            };
            Unsigned::new(body).sign(&operator).expect("signed")
        };
        let records = [
            record(1_700_000_000_000, Act::OpenLedger(OpenLedger { rules: Rules::CURRENT })),
            // Text JCS escapes or leaves as it is: quotes, a backslash, a control character,
            // characters beyond ASCII.
            record(
                1_700_000_000_001,
                Act::RegisterParty(RegisterParty {
                    id: PartyId(Keypair::from_seed(&[8; 32]).public()),
                    name: "布朗山 \"Lao\" Co-op\\\u{1}é".into(),
                    roles: BTreeSet::from([Role::Cooperative]),
                    contact: None,
                }),
            ),
        ];
        let mut prev = Hash::default();
        for (index, signed) in (0..).zip(&records) {
            let entry = LedgerEntry { index, prev, record: signed.envelope() };
            let canonical = entry.leaf_bytes().expect("canonical");
            assert_eq!(LedgerEntry::leaf_bytes_of(index, &prev, signed), canonical);
            prev = leaf_hash(&canonical);
        }
    }

    #[test]
    fn leaf_bytes_are_taken_only_in_their_canonical_form() {
        let operator = Keypair::from_seed(&[7; 32]);
        let body = Record {
            origin: "ledger.example/terroir".into(),
            party: PartyId(operator.public()),
            signer: operator.public(),
            at: Timestamp(1_700_000_000_000),
            act: Act::OpenLedger(OpenLedger { rules: Rules::CURRENT }),
        };
        let signed = Unsigned::new(body).sign(&operator).expect("signed");
        let entry = LedgerEntry { index: 3, prev: Hash::sha256(b"before"), record: signed.envelope() };
        let leaf = entry.leaf_bytes().expect("canonical");
        assert_eq!(LedgerEntry::from_leaf_bytes(&leaf).as_ref(), Ok(&entry));
        let text = String::from_utf8(leaf).expect("utf-8");
        for altered in [
            format!("{text} "),
            format!(" {text}"),
            text.replacen("{\"index\"", "{ \"index\"", 1),
            format!(
                "{},\"index\":3}}",
                text.replacen("\"index\":3,", "", 1).strip_suffix('}').unwrap_or_default()
            ),
            text.replacen("\"index\":3,", "\"index\":3,\"index\":3,", 1),
            text.replacen("\"index\":3,", "\"index\":3,\"extra\":1,", 1),
            text.replacen("\"index\":3,", "\"index\":3.0,", 1),
            text.replacen("\"prev\":", "\"prev\" :", 1),
        ] {
            assert_ne!(altered, text);
            assert!(LedgerEntry::from_leaf_bytes(altered.as_bytes()).is_err(), "{altered}");
        }
    }
}
