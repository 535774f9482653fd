//! The right edge of the tree: one hash per complete subtree, enough to append leaves and
//! compute the root without reading the store. A log server keeps it in memory and loads it at
//! start-up with O(log n) reads.

use super::tree::{EMPTY_ROOT, NodeStore, StoreError, node_hash, stored_hash_index};
use crate::Hash;

/// The roots of the complete subtrees that make up a tree of `size` leaves, largest first
/// (one per set bit of `size`).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Frontier {
    size: u64,
    peaks: Vec<(u8, Hash)>,
}

impl Frontier {
    pub fn new() -> Self {
        Self::default()
    }

    /// Reads the frontier of the tree of `size` leaves from `store`: at most 64 nodes.
    pub fn load<S: NodeStore + ?Sized>(size: u64, store: &S) -> Result<Self, StoreError> {
        let mut levels = Vec::new();
        let mut indexes = Vec::new();
        let mut start = 0u64;
        for level in (0..64u8).rev() {
            if size & (1 << level) != 0 {
                levels.push(level);
                indexes.push(stored_hash_index(level, start >> level));
                start += 1 << level;
            }
        }
        let hashes = store.read_nodes(&indexes)?;
        if hashes.len() != indexes.len() {
            return Err(StoreError::WrongCount { requested: indexes.len(), returned: hashes.len() });
        }
        Ok(Self { size, peaks: levels.into_iter().zip(hashes).collect() })
    }

    pub fn size(&self) -> u64 {
        self.size
    }

    /// RFC 9162 root of the tree: the peaks folded from the right.
    pub fn root(&self) -> Hash {
        let mut peaks = self.peaks.iter().rev();
        let Some((_, last)) = peaks.next() else {
            return EMPTY_ROOT;
        };
        peaks.fold(*last, |acc, (_, peak)| node_hash(peak, &acc))
    }

    /// Appends a leaf and returns the hashes to store, at consecutive stored-hash indexes from
    /// `stored_hash_index(0, old size)`: the leaf, then every subtree it completes.
    pub fn append(&mut self, leaf: Hash) -> Vec<Hash> {
        let mut stored = vec![leaf];
        let mut h = leaf;
        let mut level = 0u8;
        while let Some(&(l, peak)) = self.peaks.last() {
            if l != level {
                break;
            }
            self.peaks.pop();
            h = node_hash(&peak, &h);
            stored.push(h);
            level += 1;
        }
        self.peaks.push((level, h));
        self.size += 1;
        stored
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::log::tree::{MemoryNodeStore, hashes_to_append};

    #[test]
    fn matches_the_node_store_at_every_size() {
        let mut store = MemoryNodeStore::new();
        let mut frontier = Frontier::new();
        for n in 0..600u64 {
            let leaf = Hash::sha256(&n.to_be_bytes());
            let expected = hashes_to_append(n, &leaf, &store).expect("store has all nodes");
            assert_eq!(frontier.append(leaf), expected, "append at size {n}");
            store.append(leaf);
            assert_eq!(frontier.root(), store.root(), "root at size {}", n + 1);
            assert_eq!(Frontier::load(n + 1, &store).expect("load"), frontier, "load at {}", n + 1);
        }
        assert_eq!(Frontier::new().root(), EMPTY_ROOT);
    }
}
