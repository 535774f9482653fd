//! The core end to end: records accepted by the rules become hash-linked entries in a Merkle
//! log, and each receipt proves its entry offline against a signed checkpoint.

use terroir_shared::Hash;
use terroir_shared::entry::{EntryError, LedgerEntry};
use terroir_shared::log::{LogSigner, MemoryNodeStore, Receipt, prove_consistency, prove_inclusion};
use terroir_shared::party::Role;
use terroir_shared::record::{Act, Envelope, Part, Record, Split, Transfer};

use crate::support::*;

struct Log {
    store: MemoryNodeStore,
    entries: Vec<LedgerEntry>,
    signer: LogSigner,
}

impl Log {
    fn append(&mut self, record: Envelope<Record>) -> Receipt {
        let prev = self.entries.last().map_or(Hash::default(), |e| e.leaf_hash().expect("leaf"));
        let entry = LedgerEntry { index: self.entries.len() as u64, prev, record };
        let index = self.store.append(entry.leaf_hash().expect("leaf"));
        self.entries.push(entry);
        let size = self.store.size();
        let checkpoint = self.signer.sign(size, &self.store.root());
        let proof = prove_inclusion(index, size, &self.store).expect("proof");
        Receipt::new(self.entries[index as usize].leaf_hash().expect("leaf"), prev, &checkpoint, proof)
    }
}

#[test]
fn receipts_prove_entries_and_the_chain_links_them() {
    let mut w = World::new();
    let coop = key(1);
    let trader = key(2);
    w.register(&coop, "Bulang Tea Co-op", &[Role::Cooperative]);
    w.register(&trader, "Menghai Trading", &[Role::Trader]);
    let signer = LogSigner::new(ORIGIN, ed25519_dalek::SigningKey::from_bytes(&[42; 32])).expect("log key");
    let vkey = signer.vkey();
    let mut log = Log { store: MemoryNodeStore::new(), entries: vec![], signer };

    let lot = w.commission(&coop, vec![lot_of("Laobanzhang", 100)]).remove(0);
    let split = w.sign(
        &coop,
        party(&coop),
        Act::Split(Split {
            asset: lot.reference(),
            parts: vec![
                Part { amount: 60, gs1: None, units: vec![] },
                Part { amount: 40, gs1: None, units: vec![] },
            ],
        }),
    );
    let ctx = w.ctx();
    w.ledger.submit(&split, &ctx).expect("split accepted");
    let child = w.asset(terroir_shared::asset::AssetId::derive(&split.id(), 1));
    let transfer = w.sign(
        &coop,
        party(&coop),
        Act::Transfer(Transfer { assets: vec![child.reference()], to: party(&trader) }),
    );
    w.ledger.submit(&transfer, &ctx).expect("transfer accepted");

    let mut receipts = vec![];
    let mut checkpoints = vec![];
    for record in [split.envelope(), transfer.envelope()] {
        let receipt = log.append(record);
        checkpoints.push((log.store.size(), log.store.root()));
        receipts.push(receipt);
    }
    // Every receipt proves its own entry, and only its own.
    for (entry, receipt) in log.entries.iter().zip(&receipts) {
        let verified = entry.verify_receipt(receipt, &vkey).expect("receipt proves entry");
        assert_eq!(verified.index, entry.index);
        assert!(entry.record.clone().verify().is_ok());
    }
    assert!(matches!(
        log.entries[0].verify_receipt(&receipts[1], &vkey),
        Err(EntryError::NotThisEntry { .. })
    ));
    // A submitter holding only its record and the receipt rebuilds the entry from the link.
    let transfer_envelope = transfer.envelope();
    assert!(LedgerEntry::verify_record_receipt(&transfer_envelope, &receipts[1], &vkey).is_ok());
    assert!(matches!(
        LedgerEntry::verify_record_receipt(&transfer_envelope, &receipts[0], &vkey),
        Err(EntryError::NotThisEntry { .. })
    ));
    let mut wrong_link = receipts[1].clone();
    wrong_link.prev = Hash::sha256(b"another entry");
    assert!(LedgerEntry::verify_record_receipt(&transfer_envelope, &wrong_link, &vkey).is_err());
    // One verifier across many receipts gives the same verdicts, the checkpoint it has seen
    // included: what it remembers is the signature, never the proof.
    let mut verifier = terroir_shared::log::ReceiptVerifier::new(&vkey);
    for (entry, receipt) in log.entries.iter().zip(&receipts) {
        assert!(entry.verify_receipt_with(receipt, &mut verifier).is_ok());
    }
    assert!(LedgerEntry::verify_record_receipt_with(&transfer_envelope, &wrong_link, &mut verifier).is_err());
    let mut wrong_path = receipts[1].clone();
    wrong_path.inclusion.path.reverse();
    wrong_path.inclusion.path.push(Hash::sha256(b"a node"));
    assert!(log.entries[1].verify_receipt_with(&wrong_path, &mut verifier).is_err());
    let mut other_key = terroir_shared::log::ReceiptVerifier::new(&vkey.replacen('+', "x+", 1));
    assert!(log.entries[1].verify_receipt_with(&receipts[1], &mut other_key).is_err());
    // The chain: entry 1 links entry 0.
    let leaf0 = log.entries[0].leaf_hash().expect("leaf");
    assert!(log.entries[1].follows(0, &leaf0));
    assert_eq!(log.entries[0].prev, Hash::default());
    // Leaf bytes round-trip strictly, and one changed byte breaks the proof.
    let bytes = log.entries[1].leaf_bytes().expect("bytes");
    assert_eq!(LedgerEntry::from_leaf_bytes(&bytes).expect("parse"), log.entries[1]);
    let mut tampered = log.entries[1].clone();
    tampered.record.record.at = terroir_shared::calendar::Timestamp(tampered.record.record.at.millis() + 1);
    assert!(tampered.verify_receipt(&receipts[1], &vkey).is_err());
    assert!(tampered.record.verify().is_err());
    // Later checkpoints are consistent with earlier ones.
    let ((s1, r1), (s2, r2)) = (checkpoints[0], checkpoints[1]);
    let proof = prove_consistency(s1, s2, &log.store).expect("consistency proof");
    assert!(proof.verify(&r1, &r2).is_ok());
    assert!(proof.verify(&r2, &r1).is_err());
}
