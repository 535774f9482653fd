//! Conformance of the log module against the transparency-dev Merkle proof cases and the C2SP
//! signed-note Ed25519 vectors, kept in `shared/tests/data/tlog` (sources and licences in
//! `shared/tests/data/README.md`).

use std::path::{Path, PathBuf};

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;
use serde::Deserialize;
use terroir_shared::Hash;
use terroir_shared::log::{
    LogSigner, ProofError, VerifierKey, hash_from_slice, verify_consistency_bytes, verify_inclusion,
    verify_note,
};

/// The vectors kept in the repository.
fn conformance_dir() -> PathBuf {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data");
    assert!(dir.is_dir(), "test vectors missing at {}", dir.display());
    dir
}

fn json_files(dir: &Path, out: &mut Vec<PathBuf>) {
    let entries = std::fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("cannot read {}: {e}", dir.display()))
        .map(|e| e.expect("directory entry").path());
    for path in entries {
        if path.is_dir() {
            json_files(&path, out);
        } else if path.extension().is_some_and(|x| x == "json") {
            out.push(path);
        }
    }
}

fn cases(kind: &str) -> Vec<PathBuf> {
    let dir = conformance_dir().join("tlog").join(kind);
    assert!(dir.is_dir(), "missing {}", dir.display());
    let mut files = Vec::new();
    json_files(&dir, &mut files);
    files.sort();
    assert!(!files.is_empty(), "no {kind} cases under {}", dir.display());
    files
}

fn b64(s: &str) -> Vec<u8> {
    BASE64.decode(s).expect("case hashes are base64")
}

/// Decodes a case's hash through the library, which refuses anything but 32 bytes.
fn hash(s: &str) -> Result<Hash, ProofError> {
    hash_from_slice(&b64(s))
}

fn hashes(v: &Option<Vec<String>>) -> Result<Vec<Hash>, ProofError> {
    v.iter().flatten().map(|s| hash(s)).collect()
}

fn name(path: &Path) -> String {
    let base = conformance_dir().join("tlog");
    path.strip_prefix(&base).unwrap_or(path).display().to_string()
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct InclusionCase {
    leaf_idx: u64,
    tree_size: u64,
    root: String,
    leaf_hash: String,
    proof: Option<Vec<String>>,
    desc: String,
    want_err: bool,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct ConsistencyCase {
    size1: u64,
    size2: u64,
    root1: String,
    root2: String,
    proof: Option<Vec<String>>,
    desc: String,
    want_err: bool,
}

fn read<T: for<'de> Deserialize<'de>>(path: &Path) -> T {
    let text = std::fs::read_to_string(path).expect("readable case");
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

fn check_inclusion(c: &InclusionCase) -> Result<(), ProofError> {
    let leaf = hash(&c.leaf_hash)?;
    let root = hash(&c.root)?;
    let path = hashes(&c.proof)?;
    verify_inclusion(&leaf, c.leaf_idx, c.tree_size, &path, &root)
}

fn check_consistency(c: &ConsistencyCase) -> Result<(), ProofError> {
    let path: Vec<Vec<u8>> = c.proof.iter().flatten().map(|h| b64(h)).collect();
    let path: Vec<&[u8]> = path.iter().map(Vec::as_slice).collect();
    verify_consistency_bytes(c.size1, c.size2, &b64(&c.root1), &b64(&c.root2), &path)
}

#[test]
fn inclusion_cases() {
    let (mut accepted, mut refused) = (0, 0);
    for path in cases("inclusion") {
        let c: InclusionCase = read(&path);
        let got = check_inclusion(&c);
        assert_eq!(got.is_err(), c.want_err, "{} ({}): got {got:?}", name(&path), c.desc);
        if got.is_ok() {
            accepted += 1;
        } else {
            refused += 1;
        }
    }
    println!("inclusion conformance: {accepted} accepted, {refused} refused, all as expected");
    assert!(accepted > 0 && refused > 0);
}

#[test]
fn consistency_cases() {
    let (mut accepted, mut refused) = (0, 0);
    for path in cases("consistency") {
        let c: ConsistencyCase = read(&path);
        let got = check_consistency(&c);
        assert_eq!(got.is_err(), c.want_err, "{} ({}): got {got:?}", name(&path), c.desc);
        if got.is_ok() {
            accepted += 1;
        } else {
            refused += 1;
        }
    }
    println!("consistency conformance: {accepted} accepted, {refused} refused, all as expected");
    assert!(accepted > 0 && refused > 0);
}

/// Runs the same cases through `tlog_tiles::check_record` / `check_tree` and lists where that
/// crate's verdict differs from `wantErr` (cases with non-32-byte hashes cannot be expressed
/// with its `Hash` type and are skipped).
#[test]
fn tlog_tiles_against_the_cases() {
    let mut disagreements = Vec::new();
    let mut checked = 0;
    for path in cases("inclusion") {
        let c: InclusionCase = read(&path);
        let (Ok(leaf), Ok(root), Ok(proof)) = (hash(&c.leaf_hash), hash(&c.root), hashes(&c.proof)) else {
            continue;
        };
        let proof: Vec<tlog_tiles::Hash> = proof.into_iter().map(Into::into).collect();
        let got = std::panic::catch_unwind(|| {
            tlog_tiles::check_record(&proof, c.tree_size, root.into(), c.leaf_idx, leaf.into()).is_err()
        });
        checked += 1;
        if got.as_ref().ok() != Some(&c.want_err) {
            disagreements.push(format!("{}: wantErr {} got {got:?}", name(&path), c.want_err));
        }
    }
    for path in cases("consistency") {
        let c: ConsistencyCase = read(&path);
        let (Ok(r1), Ok(r2), Ok(proof)) = (hash(&c.root1), hash(&c.root2), hashes(&c.proof)) else {
            continue;
        };
        let proof: Vec<tlog_tiles::Hash> = proof.into_iter().map(Into::into).collect();
        let got = std::panic::catch_unwind(|| {
            tlog_tiles::check_tree(&proof, c.size2, r2.into(), c.size1, r1.into()).is_err()
        });
        checked += 1;
        if got.as_ref().ok() != Some(&c.want_err) {
            disagreements.push(format!("{}: wantErr {} got {got:?}", name(&path), c.want_err));
        }
    }
    println!("tlog_tiles checked on {checked} cases, {} disagreements", disagreements.len());
    for d in &disagreements {
        println!("  {d}");
    }
    assert!(checked > 0);
    assert!(disagreements.is_empty(), "{disagreements:#?}");
}

#[derive(Deserialize)]
struct Vectors {
    vectors: Vec<Vector>,
}

#[derive(Deserialize)]
struct Vector {
    skey: Option<String>,
    vkey: String,
    text: String,
    signature_line: String,
}

fn vectors() -> Vec<Vector> {
    let path = conformance_dir().join("tlog/signed-note-vectors.json");
    let v: Vectors = read(&path);
    assert_eq!(v.vectors.len(), 2);
    v.vectors
}

/// `PRIVATE+KEY+name+hex8(keyID)+base64(0x01 ‖ seed)` → (name, key ID, key).
fn parse_skey(skey: &str) -> (String, u32, ed25519_dalek::SigningKey) {
    let parts: Vec<&str> = skey.splitn(5, '+').collect();
    assert_eq!(parts.len(), 5);
    assert_eq!(&parts[..2], &["PRIVATE", "KEY"]);
    let raw = b64(parts[4]);
    assert_eq!(raw.len(), 33);
    assert_eq!(raw[0], 0x01);
    let seed: [u8; 32] = raw[1..].try_into().expect("32-byte seed");
    (
        parts[2].to_owned(),
        u32::from_str_radix(parts[3], 16).expect("hex key id"),
        ed25519_dalek::SigningKey::from_bytes(&seed),
    )
}

#[test]
fn signed_note_vector_c2sp_example_verifies() {
    let v = &vectors()[0];
    assert!(v.skey.is_none());
    let key = VerifierKey::parse(&v.vkey).expect("vkey parses");
    assert_eq!(key.name, "example.com/foo");
    assert_eq!(key.key_id, 0x530d903a);
    assert_eq!(terroir_shared::log::key_id(&key.name, &key.key), 0x530d903a);
    assert_eq!(key.to_string(), v.vkey);
    let note = format!("{}\n{}\n", v.text, v.signature_line);
    assert_eq!(verify_note(&note, &v.vkey).as_deref(), Ok(v.text.as_str()));
    // The same signature over other text is refused.
    let other = format!("{}x\n\n{}\n", v.text.trim_end(), v.signature_line);
    assert!(verify_note(&other, &v.vkey).is_err());
}

#[test]
fn signed_note_vector_go_sumdb_reproduces_from_skey() {
    let v = &vectors()[1];
    let (name, id, key) = parse_skey(v.skey.as_deref().expect("skey"));
    let signer = LogSigner::new(&name, key).expect("valid name");
    assert_eq!(signer.key_id(), id);
    assert_eq!(signer.key_id(), 0xc74f20a3);
    assert_eq!(signer.vkey(), v.vkey);
    assert_eq!(signer.signature_line(v.text.as_bytes()), v.signature_line);
    let note = format!("{}\n{}\n", v.text, v.signature_line);
    assert_eq!(verify_note(&note, &v.vkey).as_deref(), Ok(v.text.as_str()));
    // And the other vector's key does not verify it.
    let other = &vectors()[0].vkey;
    assert!(verify_note(&note, other).is_err());
}
