//! Inclusion and consistency proofs: building them from a node store, and verifying them
//! exactly as RFC 9162 §2.1.3.2 and §2.1.4.2 describe.

use serde::{Deserialize, Serialize};

use super::tree::{NodeStore, Reader, StoreError, node_hash};
use crate::Hash;

/// A proof that the leaf at `index` is in the tree of `size` leaves (RFC 9162 §2.1.3).
/// `path` runs from the leaf's sibling up to the root's child.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct InclusionProof {
    pub index: u64,
    pub size: u64,
    pub path: Vec<Hash>,
}

/// A proof that the tree of `oldSize` leaves is a prefix of the tree of `newSize` leaves
/// (RFC 9162 §2.1.4).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ConsistencyProof {
    pub old_size: u64,
    pub new_size: u64,
    pub path: Vec<Hash>,
}

/// Why a proof could not be built.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ProveError {
    #[error("leaf index {index} is not in a tree of size {size}")]
    IndexBeyondSize { index: u64, size: u64 },
    #[error("a consistency proof from the empty tree proves nothing")]
    OldSizeZero,
    #[error("old size {old_size} is larger than new size {new_size}")]
    OldSizeBeyondNew { old_size: u64, new_size: u64 },
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// Why a proof was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ProofError {
    #[error("a hash is 32 bytes, got {len}")]
    HashLength { len: usize },
    #[error("leaf index {index} is not in a tree of size {size}")]
    IndexBeyondSize { index: u64, size: u64 },
    #[error("the proof has {got} hashes, a proof for these sizes has {expected}")]
    WrongPathLength { expected: usize, got: usize },
    #[error("the proof does not lead to the given root")]
    RootMismatch,
    #[error("the proof does not lead to the given old root")]
    OldRootMismatch,
    #[error("the proof does not lead to the given new root")]
    NewRootMismatch,
    #[error("a consistency proof from the empty tree proves nothing")]
    OldSizeZero,
    #[error("old size {old_size} is larger than new size {new_size}")]
    OldSizeBeyondNew { old_size: u64, new_size: u64 },
}

/// A hash from raw bytes, refusing anything but 32 bytes.
pub fn hash_from_slice(bytes: &[u8]) -> Result<Hash, ProofError> {
    <[u8; 32]>::try_from(bytes).map(Hash).map_err(|_| ProofError::HashLength { len: bytes.len() })
}

/// Builds the inclusion proof of leaf `index` in the tree of `size` leaves.
/// Reads at most about 2·log₂(size) nodes in one call.
pub fn prove_inclusion<S: NodeStore + ?Sized>(
    index: u64,
    size: u64,
    store: &S,
) -> Result<InclusionProof, ProveError> {
    if index >= size {
        return Err(ProveError::IndexBeyondSize { index, size });
    }
    let reader = Reader::new(store);
    let path = tlog_tiles::prove_record(size, index, &reader).map_err(|e| reader.error(e))?;
    Ok(InclusionProof { index, size, path: path.into_iter().map(Hash::from).collect() })
}

/// Builds the consistency proof from the tree of `old_size` leaves to the tree of `new_size`
/// leaves. Reads at most about 2·log₂(new_size) nodes in one call.
pub fn prove_consistency<S: NodeStore + ?Sized>(
    old_size: u64,
    new_size: u64,
    store: &S,
) -> Result<ConsistencyProof, ProveError> {
    if old_size == 0 {
        return Err(ProveError::OldSizeZero);
    }
    if old_size > new_size {
        return Err(ProveError::OldSizeBeyondNew { old_size, new_size });
    }
    let reader = Reader::new(store);
    let path = tlog_tiles::prove_tree(new_size, old_size, &reader).map_err(|e| reader.error(e))?;
    Ok(ConsistencyProof { old_size, new_size, path: path.into_iter().map(Hash::from).collect() })
}

impl InclusionProof {
    /// Checks that `leaf_hash` is at `self.index` in the tree of `self.size` leaves with `root`.
    pub fn verify(&self, leaf_hash: &Hash, root: &Hash) -> Result<(), ProofError> {
        verify_inclusion(leaf_hash, self.index, self.size, &self.path, root)
    }
}

impl ConsistencyProof {
    /// Checks that the tree with `old_root` is a prefix of the tree with `new_root`.
    pub fn verify(&self, old_root: &Hash, new_root: &Hash) -> Result<(), ProofError> {
        verify_consistency(self.old_size, self.new_size, old_root, new_root, &self.path)
    }
}

/// Number of significant bits of `x`.
fn bit_len(x: u64) -> u32 {
    u64::BITS - x.leading_zeros()
}

/// The length of the inclusion path of leaf `index` in a tree of `size` leaves, split into
/// the hashes below the point where the path meets the right border and those on it.
fn inclusion_path_shape(index: u64, size: u64) -> (u32, u32) {
    let inner = bit_len(index ^ (size - 1));
    let border = (index >> inner).count_ones();
    (inner, border)
}

/// Verifies an inclusion proof (RFC 9162 §2.1.3.2): `leaf_hash` is leaf `index` of the tree
/// of `size` leaves whose root is `root`.
pub fn verify_inclusion(
    leaf_hash: &Hash,
    index: u64,
    size: u64,
    path: &[Hash],
    root: &Hash,
) -> Result<(), ProofError> {
    // 1. leaf_index must be below tree_size.
    if index >= size {
        return Err(ProofError::IndexBeyondSize { index, size });
    }
    let (inner, border) = inclusion_path_shape(index, size);
    let expected = (inner + border) as usize;
    if path.len() != expected {
        return Err(ProofError::WrongPathLength { expected, got: path.len() });
    }
    // 2.–3.
    let mut f_n = index;
    let mut s_n = size - 1;
    let mut r = *leaf_hash;
    // 4.
    for p in path {
        if s_n == 0 {
            return Err(ProofError::WrongPathLength { expected, got: path.len() });
        }
        if f_n & 1 == 1 || f_n == s_n {
            r = node_hash(p, &r);
            if f_n & 1 == 0 {
                while f_n & 1 == 0 && f_n != 0 {
                    f_n >>= 1;
                    s_n >>= 1;
                }
            }
        } else {
            r = node_hash(&r, p);
        }
        f_n >>= 1;
        s_n >>= 1;
    }
    // 5.
    if s_n != 0 {
        return Err(ProofError::WrongPathLength { expected, got: path.len() });
    }
    if r != *root {
        return Err(ProofError::RootMismatch);
    }
    Ok(())
}

/// [`verify_consistency`] for hashes as they arrive on the wire (decoded base64 or hex bytes).
/// Equal sizes need only byte-equal roots and an empty path, exactly as RFC 9162 §2.1.4.2 puts
/// it; every other case needs 32-byte hashes and is refused with [`ProofError::HashLength`].
pub fn verify_consistency_bytes(
    old_size: u64,
    new_size: u64,
    old_root: &[u8],
    new_root: &[u8],
    path: &[&[u8]],
) -> Result<(), ProofError> {
    if old_size != 0 && old_size == new_size {
        if !path.is_empty() {
            return Err(ProofError::WrongPathLength { expected: 0, got: path.len() });
        }
        return if old_root == new_root { Ok(()) } else { Err(ProofError::RootMismatch) };
    }
    let old_root = hash_from_slice(old_root)?;
    let new_root = hash_from_slice(new_root)?;
    let path = path.iter().map(|h| hash_from_slice(h)).collect::<Result<Vec<_>, _>>()?;
    verify_consistency(old_size, new_size, &old_root, &new_root, &path)
}

/// Verifies a consistency proof (RFC 9162 §2.1.4.2): the tree of `old_size` leaves with
/// `old_root` is a prefix of the tree of `new_size` leaves with `new_root`.
///
/// Equal sizes need an empty path and equal roots. A proof from the empty tree is refused,
/// as it proves nothing.
pub fn verify_consistency(
    old_size: u64,
    new_size: u64,
    old_root: &Hash,
    new_root: &Hash,
    path: &[Hash],
) -> Result<(), ProofError> {
    if old_size == 0 {
        return Err(ProofError::OldSizeZero);
    }
    if old_size > new_size {
        return Err(ProofError::OldSizeBeyondNew { old_size, new_size });
    }
    if old_size == new_size {
        if !path.is_empty() {
            return Err(ProofError::WrongPathLength { expected: 0, got: path.len() });
        }
        if old_root != new_root {
            return Err(ProofError::RootMismatch);
        }
        return Ok(());
    }

    // The old tree's last leaf seen as an inclusion path in the new tree, less the levels
    // below the largest complete subtree at the old tree's right edge.
    let (inner, border) = inclusion_path_shape(old_size - 1, new_size);
    let shift = old_size.trailing_zeros();
    let old_is_power_of_two = old_size.is_power_of_two();
    let expected = (inner - shift + border) as usize + usize::from(!old_is_power_of_two);
    // 1. An empty path fails (expected is never 0 here).
    if path.len() != expected {
        return Err(ProofError::WrongPathLength { expected, got: path.len() });
    }

    // 2. If first is an exact power of 2, prepend first_hash to the path.
    let (seed, rest) = if old_is_power_of_two {
        (*old_root, path)
    } else {
        match path.split_first() {
            Some((first, rest)) => (*first, rest),
            None => {
                return Err(ProofError::WrongPathLength { expected, got: 0 });
            }
        }
    };
    // 3.
    let mut f_n = old_size - 1;
    let mut s_n = new_size - 1;
    // 4.
    while f_n & 1 == 1 {
        f_n >>= 1;
        s_n >>= 1;
    }
    // 5.
    let mut fr = seed;
    let mut sr = seed;
    // 6.
    for c in rest {
        if s_n == 0 {
            return Err(ProofError::WrongPathLength { expected, got: path.len() });
        }
        if f_n & 1 == 1 || f_n == s_n {
            fr = node_hash(c, &fr);
            sr = node_hash(c, &sr);
            if f_n & 1 == 0 {
                while f_n & 1 == 0 && f_n != 0 {
                    f_n >>= 1;
                    s_n >>= 1;
                }
            }
        } else {
            sr = node_hash(&sr, c);
        }
        f_n >>= 1;
        s_n >>= 1;
    }
    // 7.
    if s_n != 0 {
        return Err(ProofError::WrongPathLength { expected, got: path.len() });
    }
    if fr != *old_root {
        return Err(ProofError::OldRootMismatch);
    }
    if sr != *new_root {
        return Err(ProofError::NewRootMismatch);
    }
    Ok(())
}
