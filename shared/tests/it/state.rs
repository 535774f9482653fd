//! The state map: proofs of presence and absence that fold to the root, checked against the
//! `jmt` crate's own verifier; a root that depends only on what the map holds; the compact form
//! read back exactly, and refused when altered.

use jmt::{KeyHash, Sha256Jmt};
use proptest::prelude::*;
use terroir_shared::Hash;
use terroir_shared::state::{Change, MapProof, MapProofError, MemoryMap, tree};

fn change(n: u64, v: u8) -> Change {
    Change { key: Hash::sha256(&n.to_be_bytes()), value: vec![v; 1 + (n % 41) as usize] }
}

fn filled(keys: u64, batch: u64) -> MemoryMap {
    let mut map = MemoryMap::new();
    for start in (0..keys).step_by(batch as usize) {
        map.apply((start..(start + batch).min(keys)).map(|n| change(n, 7)).collect()).expect("apply");
    }
    map
}

#[test]
fn proofs_of_presence_and_absence_verify_here_and_in_the_crate() {
    let map = filled(3_000, 250);
    let root = map.root();
    for n in (0..6_000u64).step_by(37) {
        let key = Hash::sha256(&n.to_be_bytes());
        let (value, proof) = map.prove(&key).expect("prove");
        assert_eq!(value.is_some(), n < 3_000, "key {n}");
        proof.verify(&root, &key, value.as_deref()).expect("verifies");
        assert_eq!(MapProof::from_bytes(&proof.to_bytes()).expect("reads back"), proof);
        // The crate's own proof of the same key verifies the same way.
        let (_, native) = Sha256Jmt::new(&map).get_with_proof(KeyHash(key.0), 11).expect("native");
        native.verify(jmt::RootHash(root.0), KeyHash(key.0), value.as_deref()).expect("native verifies");
        match &value {
            Some(v) => {
                assert_eq!(proof.verify(&root, &key, None), Err(MapProofError::Present));
                let mut other = v.clone();
                other[0] ^= 1;
                assert_eq!(proof.verify(&root, &key, Some(&other)), Err(MapProofError::OtherValue));
            }
            None => assert!(proof.verify(&root, &key, Some(b"claimed")).is_err()),
        }
    }
}

#[test]
fn an_altered_proof_or_root_is_refused() {
    let map = filled(500, 100);
    let key = Hash::sha256(&7u64.to_be_bytes());
    let (value, proof) = map.prove(&key).expect("prove");
    let value = value.expect("present");
    let mut other_root = map.root();
    other_root.0[0] ^= 1;
    assert_eq!(proof.verify(&other_root, &key, Some(&value)), Err(MapProofError::WrongRoot));
    for i in 0..proof.siblings.len() {
        let mut bent = proof.clone();
        bent.siblings[i].0[31] ^= 1;
        assert!(bent.verify(&map.root(), &key, Some(&value)).is_err(), "sibling {i}");
    }
    let mut short = proof.clone();
    short.siblings.pop();
    assert!(short.verify(&map.root(), &key, Some(&value)).is_err());
    // Another key's presence proof is no proof of this key's absence beyond its subtree.
    let other = Hash::sha256(&8u64.to_be_bytes());
    assert!(proof.verify(&map.root(), &other, None).is_err());
    // Trailing bytes, a flag out of range, or a bitmap bit past the count.
    let mut bytes = proof.to_bytes();
    bytes.push(0);
    assert_eq!(MapProof::from_bytes(&bytes), Err(MapProofError::Malformed));
    let mut bytes = proof.to_bytes();
    bytes[0] = 2;
    assert_eq!(MapProof::from_bytes(&bytes), Err(MapProofError::Malformed));
}

#[test]
fn the_empty_map_proves_every_key_absent() {
    let map = MemoryMap::new();
    assert_eq!(map.root(), tree::EMPTY_ROOT);
    let key = Hash::sha256(b"anything");
    let (value, proof) = map.prove(&key).expect("prove");
    assert!(value.is_none());
    proof.verify(&tree::EMPTY_ROOT, &key, None).expect("absent");
    // An empty batch changes nothing.
    let mut map = filled(10, 10);
    let before = map.root();
    assert_eq!(map.apply(Vec::new()).expect("apply"), before);
}

#[test]
fn a_proof_is_well_under_two_kilobytes_at_fifty_thousand_keys() {
    let map = filled(50_000, 5_000);
    let sizes: Vec<usize> = (0..200u64)
        .map(|n| map.prove(&Hash::sha256(&(n * 97).to_be_bytes())).expect("prove").1.to_bytes().len())
        .collect();
    let largest = *sizes.iter().max().expect("sizes");
    // log2(50,000) ≈ 15.6 levels: about 17 siblings of 32 bytes, the leaf and the header.
    assert!(largest < 1_000, "largest proof {largest} bytes");
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 24, ..ProptestConfig::default() })]

    /// The root depends on what the map holds, not on how the changes were batched, nor on
    /// values a key held before.
    #[test]
    fn the_root_is_the_same_however_the_changes_are_grouped(
        keys in 1u64..400,
        cuts in proptest::collection::vec(1u64..60, 1..12),
    ) {
        let whole = filled(keys, keys);
        let mut grouped = MemoryMap::new();
        // First every key with an older value, then the final ones, in uneven batches.
        grouped.apply((0..keys).map(|n| change(n, 1)).collect()).expect("apply");
        let mut start = 0;
        for cut in cuts.iter().cycle() {
            if start >= keys { break; }
            let end = (start + cut).min(keys);
            grouped.apply((start..end).map(|n| change(n, 7)).collect()).expect("apply");
            start = end;
        }
        prop_assert_eq!(grouped.root(), whole.root());
    }
}

#[test]
fn a_checkpoint_commits_to_the_state_root_in_its_extension_line() {
    use terroir_shared::log::{LogSigner, verify_checkpoint};
    let signer =
        LogSigner::new("example.org/log", ed25519_dalek::SigningKey::from_bytes(&[4; 32])).expect("signer");
    let root = Hash::sha256(b"tree");
    let state = Hash::sha256(b"state");
    let note = signer.sign_with_state(9, &root, Some(state)).to_text();
    assert!(note.contains("\nterroir-state/v1 "), "{note}");
    let cp = verify_checkpoint(&note, &signer.vkey()).expect("verifies");
    assert_eq!((cp.size, cp.root, cp.state), (9, root, Some(state)));
    // Without the line there is no state; a changed line breaks the log's signature.
    let plain = verify_checkpoint(&signer.sign(9, &root).to_text(), &signer.vkey()).expect("verifies");
    assert_eq!(plain.state, None);
    let other = signer.sign_with_state(9, &root, Some(Hash::sha256(b"other"))).to_text();
    let line = |n: &str| n.lines().nth(3).expect("state line").to_owned();
    let forged = note.replace(&line(&note), &line(&other));
    assert!(verify_checkpoint(&forged, &signer.vkey()).is_err());
    // Two state lines are one too many, even signed.
    let body =
        format!("{}{}\n", signer.sign_with_state(9, &root, Some(state)).checkpoint().body(), line(&other));
    let twice = format!("{body}\n{}\n", signer.signature_line(body.as_bytes()));
    assert!(verify_checkpoint(&twice, &signer.vkey()).is_err());
}

#[test]
fn the_batched_tree_gives_the_root_the_tree_gives_key_by_key() {
    let changes: Vec<Change> = (0..2_000u64).map(|n| change(n, 5)).collect();
    let set = changes.iter().map(|c| (KeyHash(c.key.0), Some(c.value.clone())));
    let (one_by_one, _) = Sha256Jmt::new(&MemoryMap::new()).put_value_set(set, 0).expect("tree");
    let mut map = MemoryMap::new();
    assert_eq!(map.apply(changes).expect("apply").0, one_by_one.0);
}

#[test]
fn child_and_parent_paths_are_the_ones_the_tree_makes() {
    let changes: Vec<Change> = (0..2_000).map(|n| change(n, 3)).collect();
    let written = tree::write(&MemoryMap::new(), None, changes).expect("write").expect("a version");
    let keys: std::collections::HashSet<_> = written.nodes.iter().map(|(k, _)| k.clone()).collect();
    let mut children = 0;
    for (key, node) in &written.nodes {
        match tree::parent_path(key.nibble_path()).expect("parent") {
            None => assert_eq!(key.nibble_path().num_nibbles(), 0),
            Some((parent, nibble)) => {
                assert_eq!(parent.num_nibbles() + 1, key.nibble_path().num_nibbles());
                assert_eq!(tree::child_path(&parent, nibble).expect("child"), *key.nibble_path());
            }
        }
        if let tree::Node::Internal(internal) = node {
            for (nibble, child) in internal.children_sorted() {
                let path = tree::child_path(key.nibble_path(), u8::from(nibble)).expect("child");
                assert!(keys.contains(&tree::NodeKey::new(child.version, path)), "a child of {key:?}");
                children += 1;
            }
        }
    }
    assert_eq!(children + 1, written.nodes.len(), "every node but the root is some node's child");
    let root =
        written.nodes.iter().find(|(k, _)| k.nibble_path().num_nibbles() == 0).expect("a root").0.clone();
    let mut path = root.nibble_path().clone();
    for _ in 0..64 {
        path = tree::child_path(&path, 0xa).expect("a path of up to 64 nibbles");
    }
    assert!(tree::child_path(&path, 0xa).is_err(), "no path below 64 nibbles");
    assert!(tree::child_path(root.nibble_path(), 16).is_err(), "no nibble of 16");
}
