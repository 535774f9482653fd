//! A map proof as the phone folds it: the leaf it ends at (if any) and the sibling hashes from
//! that leaf up to the root, in a compact byte form of about 0.7 KB at a million keys.
//!
//! The hashing is the Jellyfish Merkle tree's: a leaf is SHA-256("JMT::LeafNode" ‖ key ‖
//! SHA-256(value)), an internal node SHA-256("JMT::IntrnalNode" ‖ left ‖ right), an empty
//! subtree the 32 ASCII bytes `SPARSE_MERKLE_PLACEHOLDER_HASH__`. Sibling `i` (counted from the
//! bottom of `n`) pairs with bit `n − 1 − i` of the key, most significant bit first: a 1 puts
//! the sibling on the left.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;
use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::Hash;

/// The hash of an empty subtree.
pub const PLACEHOLDER: Hash = Hash(*b"SPARSE_MERKLE_PLACEHOLDER_HASH__");
const LEAF_DOMAIN: &[u8] = b"JMT::LeafNode";
const INTERNAL_DOMAIN: &[u8] = b"JMT::IntrnalNode";
/// A key has 256 bits: no path is longer.
const MAX_SIBLINGS: usize = 256;

/// A proof that a key holds a value, or holds none, in the map with a given root.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MapProof {
    /// The leaf the path ends at: the key's own, another key's whose subtree the key would
    /// fall in, or none (an empty subtree).
    pub leaf: Option<MapLeaf>,
    /// Bottom-up; [`PLACEHOLDER`] for an empty sibling.
    pub siblings: Vec<Hash>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct MapLeaf {
    pub key: Hash,
    pub value_hash: Hash,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum MapProofError {
    #[error("the map proof is malformed")]
    Malformed,
    #[error("the map proof is for another key")]
    OtherKey,
    #[error("the map proof shows another value")]
    OtherValue,
    #[error("the map proof shows the key holds a value")]
    Present,
    #[error("the map proof shows the key holds no value")]
    Absent,
    #[error("the map proof does not lead to the committed root")]
    WrongRoot,
}

fn bit(key: &Hash, i: usize) -> bool {
    key.0[i / 8] >> (7 - i % 8) & 1 == 1
}

fn common_prefix_bits(a: &Hash, b: &Hash) -> usize {
    (0..256).take_while(|&i| bit(a, i) == bit(b, i)).count()
}

impl MapLeaf {
    pub fn hash(&self) -> Hash {
        Hash::sha256_parts(&[LEAF_DOMAIN, self.key.as_bytes(), self.value_hash.as_bytes()])
    }
}

/// An internal node's hash.
pub fn internal(left: &Hash, right: &Hash) -> Hash {
    Hash::sha256_parts(&[INTERNAL_DOMAIN, left.as_bytes(), right.as_bytes()])
}

impl MapProof {
    /// The proof for any key of the empty map.
    pub fn empty() -> Self {
        Self { leaf: None, siblings: Vec::new() }
    }

    /// Checks that `key` holds `value` (or, with `None`, holds nothing) in the map whose root is
    /// `root`.
    pub fn verify(&self, root: &Hash, key: &Hash, value: Option<&[u8]>) -> Result<(), MapProofError> {
        if self.siblings.len() > MAX_SIBLINGS {
            return Err(MapProofError::Malformed);
        }
        match (value, &self.leaf) {
            (Some(v), Some(leaf)) => {
                if leaf.key != *key {
                    return Err(MapProofError::Absent);
                }
                if leaf.value_hash != Hash::sha256(v) {
                    return Err(MapProofError::OtherValue);
                }
            }
            (Some(_), None) => return Err(MapProofError::Absent),
            (None, Some(leaf)) => {
                if leaf.key == *key {
                    return Err(MapProofError::Present);
                }
                // The key would have fallen in the subtree this other leaf is alone in.
                if common_prefix_bits(key, &leaf.key) < self.siblings.len() {
                    return Err(MapProofError::OtherKey);
                }
            }
            (None, None) => {}
        }
        (self.fold(key) == *root).then_some(()).ok_or(MapProofError::WrongRoot)
    }

    /// The root this path leads to from its leaf, along `key`'s bits.
    fn fold(&self, key: &Hash) -> Hash {
        let n = self.siblings.len();
        let start = self.leaf.map_or(PLACEHOLDER, |l| l.hash());
        self.siblings.iter().enumerate().fold(start, |node, (i, sibling)| {
            if bit(key, n - 1 - i) { internal(sibling, &node) } else { internal(&node, sibling) }
        })
    }

    /// The compact form: a flag byte (1 when a leaf follows), the leaf's key and value hash,
    /// the number of siblings (u16 big-endian), a bitmap with bit `i` (most significant first)
    /// set when sibling `i` is empty, then the hashes of the others.
    pub fn to_bytes(&self) -> Vec<u8> {
        let n = self.siblings.len();
        let mut out = Vec::with_capacity(67 + n.div_ceil(8) + 32 * n);
        match &self.leaf {
            Some(l) => {
                out.push(1);
                out.extend_from_slice(l.key.as_bytes());
                out.extend_from_slice(l.value_hash.as_bytes());
            }
            None => out.push(0),
        }
        out.extend_from_slice(&(n as u16).to_be_bytes());
        let mut bitmap = vec![0u8; n.div_ceil(8)];
        for (i, s) in self.siblings.iter().enumerate() {
            if *s == PLACEHOLDER {
                bitmap[i / 8] |= 0x80 >> (i % 8);
            }
        }
        out.extend_from_slice(&bitmap);
        for s in self.siblings.iter().filter(|s| **s != PLACEHOLDER) {
            out.extend_from_slice(s.as_bytes());
        }
        out
    }

    pub fn from_bytes(bytes: &[u8]) -> Result<Self, MapProofError> {
        let mut r = Reader(bytes);
        let leaf = match r.take(1)?[0] {
            0 => None,
            1 => Some(MapLeaf { key: r.hash()?, value_hash: r.hash()? }),
            _ => return Err(MapProofError::Malformed),
        };
        let n = u16::from_be_bytes(r.take(2)?.try_into().map_err(|_| MapProofError::Malformed)?) as usize;
        if n > MAX_SIBLINGS {
            return Err(MapProofError::Malformed);
        }
        let bitmap = r.take(n.div_ceil(8))?.to_vec();
        let siblings = (0..n)
            .map(|i| match bitmap[i / 8] & (0x80 >> (i % 8)) {
                0 => r.hash(),
                _ => Ok(PLACEHOLDER),
            })
            .collect::<Result<Vec<_>, _>>()?;
        // One spelling only: no spare bits, nothing after, no empty sibling spelled out.
        let spare = !n.is_multiple_of(8) && bitmap[n / 8] & (0xFF >> (n % 8)) != 0;
        if spare
            || !r.0.is_empty()
            || siblings
                .iter()
                .zip(0..)
                .any(|(s, i)| *s == PLACEHOLDER && bitmap[i / 8] & (0x80 >> (i % 8)) == 0)
        {
            return Err(MapProofError::Malformed);
        }
        Ok(Self { leaf, siblings })
    }
}

struct Reader<'a>(&'a [u8]);

impl<'a> Reader<'a> {
    fn take(&mut self, n: usize) -> Result<&'a [u8], MapProofError> {
        if self.0.len() < n {
            return Err(MapProofError::Malformed);
        }
        let (head, rest) = self.0.split_at(n);
        self.0 = rest;
        Ok(head)
    }

    fn hash(&mut self) -> Result<Hash, MapProofError> {
        Ok(Hash(self.take(32)?.try_into().map_err(|_| MapProofError::Malformed)?))
    }
}

/// In JSON, the compact form in base64.
impl Serialize for MapProof {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&BASE64.encode(self.to_bytes()))
    }
}

impl<'de> Deserialize<'de> for MapProof {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let text = String::deserialize(d)?;
        let bytes = BASE64.decode(text).map_err(serde::de::Error::custom)?;
        Self::from_bytes(&bytes).map_err(serde::de::Error::custom)
    }
}
