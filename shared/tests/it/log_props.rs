//! Property tests of the log module: the store-backed tree against a naive RFC 9162 tree and
//! ct-merkle, proof tampering, checkpoint tampering, receipts, and O(log n) node reads.

use std::cell::Cell;

use proptest::prelude::*;
use terroir_shared::Hash;
use terroir_shared::log::{
    CheckpointError, LogSigner, MemoryNodeStore, NodeStore, ProofError, Receipt, ReceiptError, StoreError,
    leaf_hash, node_hash, prove_consistency, prove_inclusion, root, verify_checkpoint, verify_consistency,
    verify_inclusion,
};

// ---- The naive RFC 9162 §2.1 definitions -------------------------------------------------

/// The largest power of two smaller than n (n > 1).
fn k(n: usize) -> usize {
    let mut k = 1;
    while k * 2 < n {
        k *= 2;
    }
    k
}

/// MTH(D[n]).
fn mth(d: &[Hash]) -> Hash {
    match d.len() {
        0 => Hash::sha256(b""),
        1 => d[0],
        n => node_hash(&mth(&d[..k(n)]), &mth(&d[k(n)..])),
    }
}

/// PATH(m, D[n]).
fn path(m: usize, d: &[Hash]) -> Vec<Hash> {
    let n = d.len();
    if n == 1 {
        return vec![];
    }
    let k = k(n);
    if m < k {
        let mut p = path(m, &d[..k]);
        p.push(mth(&d[k..]));
        p
    } else {
        let mut p = path(m - k, &d[k..]);
        p.push(mth(&d[..k]));
        p
    }
}

/// SUBPROOF(m, D[n], b).
fn subproof(m: usize, d: &[Hash], b: bool) -> Vec<Hash> {
    let n = d.len();
    if m == n {
        return if b { vec![] } else { vec![mth(d)] };
    }
    let k = k(n);
    if m <= k {
        let mut p = subproof(m, &d[..k], b);
        p.push(mth(&d[k..]));
        p
    } else {
        let mut p = subproof(m - k, &d[k..], false);
        p.push(mth(&d[..k]));
        p
    }
}

/// PROOF(m, D[n]).
fn proof(m: usize, d: &[Hash]) -> Vec<Hash> {
    subproof(m, d, true)
}

// ---- ct-merkle over SHA-256 ----------------------------------------------------------------

/// ct-merkle wants a digest 0.11 hasher; this wraps the sha2 0.10 one.
#[derive(Clone, Default)]
struct Sha256Next(sha2::Sha256);

impl ct_merkle::digest::HashMarker for Sha256Next {}

impl ct_merkle::digest::OutputSizeUser for Sha256Next {
    type OutputSize = ct_merkle::digest::consts::U32;
}

impl ct_merkle::digest::Update for Sha256Next {
    fn update(&mut self, data: &[u8]) {
        sha2::Digest::update(&mut self.0, data);
    }
}

impl ct_merkle::digest::FixedOutput for Sha256Next {
    fn finalize_into(self, out: &mut ct_merkle::digest::Output<Self>) {
        out.copy_from_slice(&sha2::Digest::finalize(self.0));
    }
}

type CtTree = ct_merkle::mem_backed_tree::MemoryBackedTree<Sha256Next, Vec<u8>>;

// ---- Helpers ----------------------------------------------------------------------------------

fn entry(seed: u64, i: u64) -> Vec<u8> {
    format!("entry {seed}/{i}").into_bytes()
}

fn build(seed: u64, size: u64) -> (MemoryNodeStore, Vec<Hash>) {
    let mut store = MemoryNodeStore::new();
    let mut leaves = Vec::new();
    for i in 0..size {
        let h = leaf_hash(&entry(seed, i));
        assert_eq!(store.append(h), i);
        leaves.push(h);
    }
    (store, leaves)
}

fn signer(seed: [u8; 32]) -> LogSigner {
    LogSigner::new("terroir.example/log", ed25519_dalek::SigningKey::from_bytes(&seed)).expect("valid origin")
}

/// A store that counts the nodes read through it.
struct Counting<'a> {
    inner: &'a MemoryNodeStore,
    reads: Cell<usize>,
    calls: Cell<usize>,
}

impl NodeStore for Counting<'_> {
    fn read_nodes(&self, indexes: &[u64]) -> Result<Vec<Hash>, StoreError> {
        self.reads.set(self.reads.get() + indexes.len());
        self.calls.set(self.calls.get() + 1);
        self.inner.read_nodes(indexes)
    }
}

fn log2_ceil(n: u64) -> usize {
    (u64::BITS - n.saturating_sub(1).leading_zeros()) as usize
}

// ---- Properties -------------------------------------------------------------------------------

proptest! {
    #![proptest_config(ProptestConfig::with_cases(40))]

    #[test]
    fn store_matches_rfc_and_ct_merkle(
        seed in any::<u64>(),
        size in 1u64..2500,
        a in any::<u64>(),
        b in any::<u64>(),
    ) {
        let mut store = MemoryNodeStore::new();
        let mut ct = CtTree::new();
        let mut leaves = Vec::new();
        for i in 0..size {
            let e = entry(seed, i);
            leaves.push(leaf_hash(&e));
            store.append_entry(&e);
            ct.push(e);
            // Every prefix root agrees with ct-merkle's.
            let ct_root = ct.root();
            let store_root = store.root();
            prop_assert_eq!(store_root.as_bytes().as_slice(), ct_root.as_bytes().as_slice());
        }
        prop_assert_eq!(store.size(), size);
        prop_assert_eq!(store.root(), mth(&leaves));

        let new = size;
        let old = a % new + 1;
        let index = b % old;
        let old_root = mth(&leaves[..old as usize]);
        prop_assert_eq!(root(old, &store), Ok(old_root));

        let incl = prove_inclusion(index, old, &store).expect("in range");
        prop_assert_eq!(&incl.path, &path(index as usize, &leaves[..old as usize]));
        prop_assert_eq!(
            verify_inclusion(&leaves[index as usize], index, old, &incl.path, &old_root),
            Ok(())
        );

        let cons = prove_consistency(old, new, &store).expect("in range");
        prop_assert_eq!(&cons.path, &proof(old as usize, &leaves));
        prop_assert_eq!(
            verify_consistency(old, new, &old_root, &store.root(), &cons.path),
            Ok(())
        );
    }

    #[test]
    fn reads_are_logarithmic(seed in any::<u64>(), size in 1u64..3000, a in any::<u64>()) {
        let (store, _) = build(seed, size);
        let counting = Counting { inner: &store, reads: Cell::new(0), calls: Cell::new(0) };
        let bound = 2 * (log2_ceil(size) + 1);
        let index = a % size;
        let old = a % size + 1;
        for op in 0..4 {
            counting.reads.set(0);
            counting.calls.set(0);
            match op {
                0 => { root(size, &counting).expect("root"); }
                1 => { prove_inclusion(index, size, &counting).expect("inclusion"); }
                2 => { prove_consistency(old, size, &counting).expect("consistency"); }
                _ => {
                    terroir_shared::log::hashes_to_append(size, &leaf_hash(b"next"), &counting)
                        .expect("append");
                }
            }
            prop_assert!(counting.calls.get() <= 1);
            prop_assert!(counting.reads.get() <= bound, "op {} read {} > {}", op, counting.reads.get(), bound);
        }
    }

    #[test]
    fn tampered_inclusion_proofs_fail(
        seed in any::<u64>(),
        size in 2u64..1500,
        a in any::<u64>(),
        which in any::<prop::sample::Index>(),
        byte in 0usize..32,
        bit in 0u8..8,
        other in any::<u64>(),
    ) {
        let (store, leaves) = build(seed, size);
        let index = a % size;
        let r = store.root();
        let p = prove_inclusion(index, size, &store).expect("in range");
        let leaf = leaves[index as usize];
        prop_assert_eq!(p.verify(&leaf, &r), Ok(()));

        if !p.path.is_empty() {
            let mut bad = p.path.clone();
            let at = which.index(bad.len());
            bad[at].0[byte] ^= 1 << bit;
            prop_assert_eq!(verify_inclusion(&leaf, index, size, &bad, &r), Err(ProofError::RootMismatch));
            // Dropping or adding a hash fails too.
            prop_assert!(verify_inclusion(&leaf, index, size, &p.path[1..], &r).is_err());
        }
        let mut longer = p.path.clone();
        longer.push(leaf);
        prop_assert!(verify_inclusion(&leaf, index, size, &longer, &r).is_err());

        // Another index of the same tree.
        let other_index = (index + 1 + other % (size - 1)) % size;
        prop_assert_ne!(other_index, index);
        prop_assert!(verify_inclusion(&leaf, other_index, size, &p.path, &r).is_err());
        // Another size, with that tree's real root.
        let other_size = index + 1 + other % (size - index);
        if other_size != size {
            let other_root = root(other_size, &store).expect("prefix root");
            prop_assert!(verify_inclusion(&leaf, index, other_size, &p.path, &other_root).is_err());
        }
        // An index beyond the size.
        prop_assert_eq!(
            verify_inclusion(&leaf, size, size, &p.path, &r),
            Err(ProofError::IndexBeyondSize { index: size, size })
        );
        // Another leaf.
        let mut wrong_leaf = leaf;
        wrong_leaf.0[byte] ^= 1 << bit;
        prop_assert_eq!(verify_inclusion(&wrong_leaf, index, size, &p.path, &r), Err(ProofError::RootMismatch));
    }

    #[test]
    fn tampered_consistency_proofs_fail(
        seed in any::<u64>(),
        size in 2u64..1500,
        a in any::<u64>(),
        which in any::<prop::sample::Index>(),
        byte in 0usize..32,
        bit in 0u8..8,
        other in any::<u64>(),
    ) {
        let (store, _) = build(seed, size);
        let old = a % (size - 1) + 1;
        let old_root = root(old, &store).expect("prefix root");
        let new_root = store.root();
        let p = prove_consistency(old, size, &store).expect("in range");
        prop_assert_eq!(p.verify(&old_root, &new_root), Ok(()));
        prop_assert!(!p.path.is_empty());

        let mut bad = p.path.clone();
        let at = which.index(bad.len());
            bad[at].0[byte] ^= 1 << bit;
        prop_assert!(verify_consistency(old, size, &old_root, &new_root, &bad).is_err());
        prop_assert!(verify_consistency(old, size, &old_root, &new_root, &p.path[1..]).is_err());
        prop_assert!(verify_consistency(old, size, &old_root, &new_root, &[]).is_err());

        let mut flipped = old_root;
        flipped.0[byte] ^= 1 << bit;
        prop_assert!(verify_consistency(old, size, &flipped, &new_root, &p.path).is_err());
        let mut flipped = new_root;
        flipped.0[byte] ^= 1 << bit;
        prop_assert!(verify_consistency(old, size, &old_root, &flipped, &p.path).is_err());

        // Other sizes, each with its tree's real root.
        let other_old = other % size + 1;
        if other_old != old {
            let r = root(other_old, &store).expect("prefix root");
            prop_assert!(verify_consistency(other_old, size, &r, &new_root, &p.path).is_err());
        }
        let other_new = old + other % (size - old + 1);
        if other_new != size {
            let r = root(other_new, &store).expect("prefix root");
            prop_assert!(verify_consistency(old, other_new, &old_root, &r, &p.path).is_err());
        }
        prop_assert_eq!(
            verify_consistency(0, size, &old_root, &new_root, &p.path),
            Err(ProofError::OldSizeZero)
        );
        prop_assert_eq!(
            verify_consistency(size, old, &new_root, &old_root, &p.path),
            Err(ProofError::OldSizeBeyondNew { old_size: size, new_size: old })
        );
    }

    #[test]
    fn flipped_checkpoints_fail(
        key in any::<[u8; 32]>(),
        size in any::<u64>(),
        root_bytes in any::<[u8; 32]>(),
        at in any::<prop::sample::Index>(),
        mask in 1u8..=255,
    ) {
        let s = signer(key);
        let signed = s.sign(size, &Hash(root_bytes));
        let cp = verify_checkpoint(signed.as_str(), &s.vkey()).expect("own checkpoint verifies");
        prop_assert_eq!(&cp, signed.checkpoint());
        prop_assert_eq!(cp.size, size);

        let mut bytes = signed.as_str().as_bytes().to_vec();
        let i = at.index(bytes.len());
        bytes[i] ^= mask;
        let tampered = String::from_utf8_lossy(&bytes).into_owned();
        prop_assert!(verify_checkpoint(&tampered, &s.vkey()).is_err(), "byte {} ^ {:#x}", i, mask);
    }

    #[test]
    fn receipts_round_trip_and_refuse_tampering(
        seed in any::<u64>(),
        key in any::<[u8; 32]>(),
        size in 1u64..600,
        a in any::<u64>(),
        byte in 0usize..32,
        bit in 0u8..8,
    ) {
        let (store, leaves) = build(seed, size);
        let s = signer(key);
        let vkey = s.vkey();
        let index = a % size;
        let signed = s.sign(size, &store.root());
        let receipt = Receipt::new(
            leaves[index as usize],
            if index == 0 { Hash::default() } else { leaves[index as usize - 1] },
            &signed,
            prove_inclusion(index, size, &store).expect("in range"),
        );
        let json = serde_json::to_string(&receipt).expect("serialises");
        let back: Receipt = serde_json::from_str(&json).expect("parses");
        prop_assert_eq!(&back, &receipt);
        let ok = back.verify(&vkey).expect("verifies");
        prop_assert_eq!(ok.index, index);
        prop_assert_eq!(ok.leaf_hash, leaves[index as usize]);
        prop_assert_eq!(&ok.checkpoint, signed.checkpoint());

        let mut t = receipt.clone();
        t.leaf_hash.0[byte] ^= 1 << bit;
        prop_assert!(t.verify(&vkey).is_err());

        if size > 1 {
            let mut t = receipt.clone();
            t.index = (index + 1) % size;
            let is_mismatch = matches!(t.verify(&vkey), Err(ReceiptError::IndexMismatch { .. }));
            prop_assert!(is_mismatch);
            t.inclusion.index = t.index;
            prop_assert!(t.verify(&vkey).is_err());

            let mut t = receipt.clone();
            t.inclusion.path[0].0[byte] ^= 1 << bit;
            let refused = matches!(t.verify(&vkey), Err(ReceiptError::Inclusion(_)));
            prop_assert!(refused);
        }

        let mut t = receipt.clone();
        t.inclusion.size += 1;
        let is_mismatch = matches!(t.verify(&vkey), Err(ReceiptError::SizeMismatch { .. }));
        prop_assert!(is_mismatch);

        // A checkpoint re-signed for another size by the same key no longer matches the proof.
        let mut t = receipt.clone();
        t.checkpoint = s.sign(size + 1, &store.root()).to_text();
        prop_assert!(t.verify(&vkey).is_err());

        // Another key's checkpoint.
        let mut other_key = key;
        other_key[0] ^= 1;
        let other = signer(other_key);
        let not_signed = matches!(
            receipt.verify(&other.vkey()),
            Err(ReceiptError::Checkpoint(CheckpointError::NotSignedByKey { .. }))
        );
        prop_assert!(not_signed);
    }
}

#[test]
fn checkpoint_text_is_exact_c2sp() {
    let s = signer([7; 32]);
    let r = Hash([0xab; 32]);
    let signed = s.sign(42, &r);
    let text = signed.as_str();
    let (body, sig) = text.split_once("\n\n").expect("blank line");
    assert_eq!(body, "terroir.example/log\n42\nq6urq6urq6urq6urq6urq6urq6urq6urq6urq6urq6s=");
    assert!(sig.starts_with("\u{2014} terroir.example/log "));
    assert!(sig.ends_with('\n'));
    assert_eq!(signed.to_text(), text);
    // tlog_tiles and signed_note read it back.
    let parsed = tlog_tiles::Checkpoint::from_bytes(format!("{body}\n").as_bytes()).expect("checkpoint");
    assert_eq!(parsed.size(), 42);
    let note = signed_note::Note::from_bytes(text.as_bytes()).expect("note");
    let verifier = signed_note::StandardVerifier::new(&s.vkey()).expect("vkey");
    note.verify(&signed_note::VerifierList::new(vec![Box::new(verifier)])).expect("verifies");
}

#[test]
fn checkpoint_refusals_are_precise() {
    let s = signer([9; 32]);
    let vkey = s.vkey();
    // Signed by the right key but naming another origin.
    let body = "other.example/log\n1\nq6urq6urq6urq6urq6urq6urq6urq6urq6urq6urq6s=\n";
    let note = format!("{body}\n{}\n", s.signature_line(body.as_bytes()));
    assert_eq!(
        verify_checkpoint(&note, &vkey),
        Err(CheckpointError::WrongOrigin {
            expected: "terroir.example/log".into(),
            found: "other.example/log".into()
        })
    );
    // Signed, but not a checkpoint.
    let body = "hello\n";
    let note = format!("{body}\n{}\n", s.signature_line(body.as_bytes()));
    assert_eq!(verify_checkpoint(&note, &vkey), Err(CheckpointError::MalformedCheckpoint));
    // Not a note at all.
    assert_eq!(verify_checkpoint("terroir.example/log\n1\n", &vkey), Err(CheckpointError::MalformedNote));
    // Bad verifier keys.
    assert_eq!(verify_checkpoint("", "nonsense"), Err(CheckpointError::MalformedVerifierKey));
    let mut wrong_id = vkey.clone();
    let plus = wrong_id.find('+').expect("plus") + 1;
    let flipped = if &wrong_id[plus..=plus] == "0" { "1" } else { "0" };
    wrong_id.replace_range(plus..=plus, flipped);
    assert_eq!(
        verify_checkpoint(s.sign(1, &Hash::default()).as_str(), &wrong_id),
        Err(CheckpointError::VerifierKeyIdMismatch)
    );
    // Another key.
    let other = signer([10; 32]);
    assert!(matches!(
        verify_checkpoint(s.sign(1, &Hash::default()).as_str(), &other.vkey()),
        Err(CheckpointError::NotSignedByKey { .. })
    ));
    // A bad signature by the right key name and ID.
    let good = s.sign(1, &Hash::default()).to_text();
    let forged = good.replacen("\n1\n", "\n2\n", 1);
    assert!(matches!(verify_checkpoint(&forged, &vkey), Err(CheckpointError::InvalidSignature { .. })));
    assert!(LogSigner::new("bad origin", ed25519_dalek::SigningKey::from_bytes(&[1; 32])).is_err());
}

#[test]
fn checkpoint_with_a_random_key() {
    let mut rng = rand_core::OsRng;
    let key = ed25519_dalek::SigningKey::generate(&mut rng);
    let s = LogSigner::new("terroir.example/log", key).expect("valid origin");
    let (store, _) = build(1, 10);
    let signed = s.sign(store.size(), &store.root());
    let cp = verify_checkpoint(signed.as_str(), &s.vkey()).expect("verifies");
    assert_eq!((cp.size, cp.root), (10, store.root()));
}

#[test]
fn proofs_serialise_with_hex_hashes() {
    let (store, _) = build(3, 5);
    let p = prove_inclusion(1, 5, &store).expect("in range");
    let v = serde_json::to_value(&p).expect("json");
    assert_eq!(v["index"], 1);
    assert_eq!(v["size"], 5);
    assert_eq!(v["path"].as_array().map(Vec::len), Some(3));
    assert_eq!(v["path"][0], p.path[0].to_hex());
    let c = prove_consistency(2, 5, &store).expect("in range");
    let v = serde_json::to_value(&c).expect("json");
    assert_eq!(v["oldSize"], 2);
    assert_eq!(v["newSize"], 5);
    assert_eq!(v["path"][0], c.path[0].to_hex());
    assert_eq!(serde_json::from_value::<terroir_shared::log::ConsistencyProof>(v).expect("parses"), c);
}

#[test]
fn edge_cases() {
    let empty = MemoryNodeStore::new();
    assert_eq!(empty.root(), Hash::sha256(b""));
    assert_eq!(empty.root(), terroir_shared::log::EMPTY_ROOT);
    assert!(prove_inclusion(0, 0, &empty).is_err());
    let (store, leaves) = build(5, 1);
    assert_eq!(store.root(), leaves[0]);
    assert_eq!(prove_inclusion(0, 1, &store).map(|p| p.path), Ok(vec![]));
    assert_eq!(prove_consistency(1, 1, &store).map(|p| p.path), Ok(vec![]));
    assert!(matches!(
        prove_consistency(1, 2, &store),
        Err(terroir_shared::log::ProveError::Store(StoreError::Missing { .. }))
    ));
    assert_eq!(prove_consistency(0, 1, &store), Err(terroir_shared::log::ProveError::OldSizeZero));
}
