//! The RFC 9162 Merkle tree: leaf and node hashing, the node store abstraction in the
//! "stored hash index" layout, appends, roots, and the in-memory store.

use std::cell::RefCell;

use tlog_tiles::HashReader;

use crate::Hash;

/// The root of the empty tree: SHA-256 of the empty string (RFC 9162 §2.1.1).
pub const EMPTY_ROOT: Hash = Hash(tlog_tiles::EMPTY_HASH.0);

/// The leaf hash of an entry: SHA-256(0x00 ‖ entry).
pub fn leaf_hash(entry: &[u8]) -> Hash {
    Hash::sha256_parts(&[&[0x00], entry])
}

/// The hash of an interior node: SHA-256(0x01 ‖ left ‖ right).
pub fn node_hash(left: &Hash, right: &Hash) -> Hash {
    Hash::sha256_parts(&[&[0x01], left.as_bytes(), right.as_bytes()])
}

/// Where the hash of the `n`th node at `level` (level 0 being the leaves) is kept in a store.
///
/// This is the dense "stored hash index" numbering of Go's sumdb `tlog` package (Crosby and
/// Wallach §3.3): the hashes written when leaf `n` is appended occupy indexes
/// `stored_hash_index(0, n) ..` in order, so a store is an append-only array.
pub fn stored_hash_index(level: u8, n: u64) -> u64 {
    tlog_tiles::stored_hash_index(level, n)
}

/// The inverse of [`stored_hash_index`]: `(level, n)` of a stored index.
pub fn split_stored_hash_index(index: u64) -> (u8, u64) {
    tlog_tiles::split_stored_hash_index(index)
}

/// How many hashes a store holds for a tree of `size` leaves.
pub fn stored_hash_count(size: u64) -> u64 {
    tlog_tiles::stored_hash_count(size)
}

/// Why a node store could not answer.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum StoreError {
    /// The store has no hash at this stored index.
    #[error("no node stored at index {index}")]
    Missing { index: u64 },
    /// The store answered a read with the wrong number of hashes.
    #[error("asked the store for {requested} nodes, it returned {returned}")]
    WrongCount { requested: usize, returned: usize },
    /// The storage behind the store failed (for example a database error).
    #[error("node store failed: {0}")]
    Backend(String),
    /// The tree arithmetic refused the request; the store holds fewer nodes than the size given.
    #[error("the store cannot answer for this tree: {0}")]
    Tree(String),
}

/// Read access to the stored hashes of a log tree, addressed by [`stored_hash_index`].
///
/// Every operation of this module reads through one call to `read_nodes` with at most
/// O(log n) indexes, in increasing order.
pub trait NodeStore {
    /// Returns the hashes stored at `indexes`, in the same order and of the same length.
    fn read_nodes(&self, indexes: &[u64]) -> Result<Vec<Hash>, StoreError>;
}

impl<S: NodeStore + ?Sized> NodeStore for &S {
    fn read_nodes(&self, indexes: &[u64]) -> Result<Vec<Hash>, StoreError> {
        (**self).read_nodes(indexes)
    }
}

/// Adapts a [`NodeStore`] to `tlog_tiles::HashReader`, keeping the store's own error and
/// refusing answers of the wrong length (which `tlog_tiles` would otherwise treat as a bug).
pub(crate) struct Reader<'a, S: NodeStore + ?Sized> {
    store: &'a S,
    failure: RefCell<Option<StoreError>>,
}

impl<'a, S: NodeStore + ?Sized> Reader<'a, S> {
    pub(crate) fn new(store: &'a S) -> Self {
        Self { store, failure: RefCell::new(None) }
    }

    /// Turns a `tlog_tiles` error into the store error that caused it, if any.
    pub(crate) fn error(&self, e: tlog_tiles::Error) -> StoreError {
        self.failure.borrow_mut().take().unwrap_or_else(|| StoreError::Tree(e.to_string()))
    }
}

impl<S: NodeStore + ?Sized> HashReader for Reader<'_, S> {
    fn read_hashes(&self, indexes: &[u64]) -> Result<Vec<tlog_tiles::Hash>, tlog_tiles::Error> {
        let fail = |e: StoreError| {
            *self.failure.borrow_mut() = Some(e);
            tlog_tiles::Error::IndexesNotInTree
        };
        let hashes = self.store.read_nodes(indexes).map_err(fail)?;
        if hashes.len() != indexes.len() {
            return Err(fail(StoreError::WrongCount { requested: indexes.len(), returned: hashes.len() }));
        }
        Ok(hashes.into_iter().map(Into::into).collect())
    }
}

/// The hashes to store when appending leaf number `size` (0-based) with `leaf_hash` to a tree
/// of `size` leaves: the leaf hash followed by the roots of the subtrees it completes. They go
/// at stored indexes `stored_hash_index(0, size)` onwards. Reads at most log₂(size) nodes.
pub fn hashes_to_append<S: NodeStore + ?Sized>(
    size: u64,
    leaf_hash: &Hash,
    store: &S,
) -> Result<Vec<Hash>, StoreError> {
    let reader = Reader::new(store);
    tlog_tiles::stored_hashes_for_record_hash(size, (*leaf_hash).into(), &reader)
        .map(|v| v.into_iter().map(Hash::from).collect())
        .map_err(|e| reader.error(e))
}

/// The root hash (MTH) of the tree of `size` leaves. Reads at most 1 + log₂(size) nodes.
pub fn root<S: NodeStore + ?Sized>(size: u64, store: &S) -> Result<Hash, StoreError> {
    let reader = Reader::new(store);
    tlog_tiles::tree_hash(size, &reader).map(Hash::from).map_err(|e| reader.error(e))
}

/// A node store kept in a `Vec`, for tests and for clients that rebuild a small tree.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct MemoryNodeStore {
    nodes: Vec<Hash>,
    size: u64,
}

impl MemoryNodeStore {
    /// An empty tree.
    pub fn new() -> Self {
        Self::default()
    }

    /// Appends a leaf by its leaf hash and returns its index.
    pub fn append(&mut self, leaf_hash: Hash) -> u64 {
        let index = self.size;
        // A memory store holds every node of its own tree, so the reads cannot fail.
        let new = hashes_to_append(index, &leaf_hash, &*self)
            .expect("a memory store holds every node of its own tree");
        self.nodes.extend(new);
        self.size += 1;
        index
    }

    /// Appends an entry (hashing it with [`leaf_hash`]) and returns its index.
    pub fn append_entry(&mut self, entry: &[u8]) -> u64 {
        self.append(leaf_hash(entry))
    }

    /// The number of leaves.
    pub fn size(&self) -> u64 {
        self.size
    }

    /// The root hash of the whole tree.
    pub fn root(&self) -> Hash {
        root(self.size, self).expect("a memory store holds every node of its own tree")
    }

    /// The stored hashes, in stored-hash-index order.
    pub fn nodes(&self) -> &[Hash] {
        &self.nodes
    }
}

impl NodeStore for MemoryNodeStore {
    fn read_nodes(&self, indexes: &[u64]) -> Result<Vec<Hash>, StoreError> {
        indexes
            .iter()
            .map(|&index| {
                usize::try_from(index)
                    .ok()
                    .and_then(|i| self.nodes.get(i))
                    .copied()
                    .ok_or(StoreError::Missing { index })
            })
            .collect()
    }
}
