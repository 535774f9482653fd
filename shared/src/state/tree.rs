//! The map's tree over any node store: one version per batch of changes, the nodes and values
//! to write, the nodes made stale (to delete: only the latest version is ever proven), and
//! proofs in the compact form. [`MemoryMap`] keeps it all in memory, for `audit`, a monitor and
//! the tests; the server keeps its nodes in SQLite behind the same [`TreeReader`].

use std::collections::HashMap;

use borsh::BorshDeserialize;
use jmt::Sha256Jmt;
/// What a node store implements for the tree, and the types it stores.
pub use jmt::storage::{LeafNode, NibblePath, Node, NodeKey, TreeReader};
pub use jmt::{KeyHash, OwnedValue, Version};

use super::Change;
use super::proof::{MapLeaf, MapProof, PLACEHOLDER, internal};
use crate::Hash;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("state map: {0}")]
pub struct MapError(pub String);

impl MapError {
    fn from_tree(e: anyhow::Error) -> Self {
        Self(format!("{e:#}"))
    }
}

/// What one version of the map writes: its root, its new nodes and values, and the nodes it
/// made stale.
#[derive(Debug)]
pub struct Written {
    pub version: Version,
    pub root: Hash,
    pub nodes: Vec<(NodeKey, Node)>,
    pub stale: Vec<NodeKey>,
    pub values: Vec<Change>,
}

/// The root of the empty map.
pub const EMPTY_ROOT: Hash = PLACEHOLDER;

/// Takes `changes` in as the version after `latest` (`None`: the map is empty). `None` when
/// there is nothing to change: the map keeps its version and root.
pub fn write<R: TreeReader>(
    reader: &R,
    latest: Option<Version>,
    changes: Vec<Change>,
) -> Result<Option<Written>, MapError> {
    if changes.is_empty() {
        return Ok(None);
    }
    let version = latest.map_or(0, |v| v + 1);
    // The whole batch at once, sorted: each node on the way is rewritten once per batch, not
    // once per key (the tree's `put_value_set` walks from the root for every key).
    let set = changes.iter().map(|c| (KeyHash(c.key.0), c.value.clone())).collect();
    let (roots, batch) =
        Sha256Jmt::new(reader).batch_put_value_sets(vec![set], None, version).map_err(MapError::from_tree)?;
    let root = roots.first().ok_or_else(|| MapError("the tree gave no root".into()))?;
    let nodes = batch.node_batch.nodes().iter().map(|(k, n)| (k.clone(), n.clone())).collect();
    let stale = batch.stale_node_index_batch.into_iter().map(|s| s.node_key).collect();
    Ok(Some(Written { version, root: Hash(root.0), nodes, stale, values: changes }))
}

/// The root at `version` (`None`: the empty map).
pub fn root<R: TreeReader>(reader: &R, version: Option<Version>) -> Result<Hash, MapError> {
    match version {
        None => Ok(EMPTY_ROOT),
        Some(v) => Sha256Jmt::new(reader).get_root_hash(v).map(|r| Hash(r.0)).map_err(MapError::from_tree),
    }
}

/// How many keys the map holds at `version`.
pub fn leaf_count<R: TreeReader>(reader: &R, version: Option<Version>) -> Result<usize, MapError> {
    match version {
        None => Ok(0),
        Some(v) => Sha256Jmt::new(reader).get_leaf_count(v).map_err(MapError::from_tree),
    }
}

/// The value `key` holds at `version` and the proof of it, or of its absence.
pub fn prove<R: TreeReader>(
    reader: &R,
    version: Option<Version>,
    key: &Hash,
) -> Result<(Option<Vec<u8>>, MapProof), MapError> {
    let Some(version) = version else {
        return Ok((None, MapProof::empty()));
    };
    // The tree panics when a node its reader cannot give sits where it folds a lone child
    // upward (a reader behind a concurrent write sees its nodes replaced); that is an error
    // like any missing node, and the caller may try again on a fresh view.
    let proved = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        Sha256Jmt::new(reader).get_with_proof(KeyHash(key.0), version)
    }))
    .map_err(|_| MapError("a node of the map changed while it was being proven".into()))?;
    let (value, proof) = proved.map_err(MapError::from_tree)?;
    let bytes = borsh::to_vec(&proof).map_err(|e| MapError(format!("cannot encode a proof: {e}")))?;
    Ok((value, compact(&bytes)?))
}

/// The tree's own proof (its borsh form: the leaf, then every sibling as the node it is) as
/// leaf and sibling hashes.
fn compact(bytes: &[u8]) -> Result<MapProof, MapError> {
    #[derive(BorshDeserialize)]
    struct Leaf {
        key: [u8; 32],
        value_hash: [u8; 32],
    }
    #[derive(BorshDeserialize)]
    enum Sibling {
        Null,
        Internal([u8; 32], [u8; 32]),
        Leaf(Leaf),
    }
    #[derive(BorshDeserialize)]
    struct Proof {
        leaf: Option<Leaf>,
        siblings: Vec<Sibling>,
    }
    let proof: Proof = borsh::from_slice(bytes).map_err(|e| MapError(format!("cannot read a proof: {e}")))?;
    let leaf_of = |l: &Leaf| MapLeaf { key: Hash(l.key), value_hash: Hash(l.value_hash) };
    Ok(MapProof {
        leaf: proof.leaf.as_ref().map(leaf_of),
        siblings: proof
            .siblings
            .iter()
            .map(|s| match s {
                Sibling::Null => PLACEHOLDER,
                Sibling::Internal(l, r) => internal(&Hash(*l), &Hash(*r)),
                Sibling::Leaf(l) => leaf_of(l).hash(),
            })
            .collect(),
    })
}

/// A node key as stored: the version (u64 big-endian, so a version's nodes are appended after
/// the last one's) then the nibble path.
pub fn node_key_bytes(key: &NodeKey) -> Vec<u8> {
    let mut out = key.version().to_be_bytes().to_vec();
    borsh::to_writer(&mut out, key.nibble_path()).unwrap_or_default();
    out
}

/// A node key's nibble path alone, as stored.
pub fn path_bytes(key: &NodeKey) -> Vec<u8> {
    stored_path(key.nibble_path())
}

/// A nibble path as stored (borsh: the count of nibbles, u64 little-endian, then the bytes
/// with their length, u32 little-endian).
pub fn stored_path(path: &NibblePath) -> Vec<u8> {
    borsh::to_vec(path).unwrap_or_default()
}

pub fn path_from_stored(bytes: &[u8]) -> Result<NibblePath, MapError> {
    NibblePath::try_from_slice(bytes).map_err(|_| MapError("a stored nibble path is malformed".into()))
}

/// The path one nibble below `path`: where a child of the node at `path` sits.
pub fn child_path(path: &NibblePath, nibble: u8) -> Result<NibblePath, MapError> {
    let mut nibbles: Vec<u8> = path.nibbles().map(u8::from).collect();
    nibbles.push(nibble);
    path_of(&nibbles)
}

/// The path one nibble up from `path`, and the nibble `path` takes below it; `None` at the
/// root.
pub fn parent_path(path: &NibblePath) -> Result<Option<(NibblePath, u8)>, MapError> {
    let mut nibbles: Vec<u8> = path.nibbles().map(u8::from).collect();
    let Some(last) = nibbles.pop() else { return Ok(None) };
    Ok(Some((path_of(&nibbles)?, last)))
}

/// The path of `nibbles`, built through its stored form (the tree builds paths only for
/// itself): the nibbles two to a byte, high first, the count in front.
fn path_of(nibbles: &[u8]) -> Result<NibblePath, MapError> {
    if nibbles.len() > 64 || nibbles.iter().any(|n| *n > 0x0f) {
        return Err(MapError(format!("no path of nibbles {nibbles:?}")));
    }
    let mut packed = vec![0u8; nibbles.len().div_ceil(2)];
    for (i, n) in nibbles.iter().enumerate() {
        packed[i / 2] |= if i % 2 == 0 { n << 4 } else { *n };
    }
    let mut bytes = (nibbles.len() as u64).to_le_bytes().to_vec();
    bytes.extend_from_slice(&(packed.len() as u32).to_le_bytes());
    bytes.extend_from_slice(&packed);
    NibblePath::try_from_slice(&bytes)
        .map_err(|e| MapError(format!("a path of {} nibbles: {e}", nibbles.len())))
}

pub fn node_key_from_bytes(bytes: &[u8]) -> Result<NodeKey, MapError> {
    let bad = || MapError("a stored node key is malformed".into());
    let (version, path) = bytes.split_at_checked(8).ok_or_else(bad)?;
    let version = u64::from_be_bytes(version.try_into().map_err(|_| bad())?);
    let path: NibblePath = borsh::from_slice(path).map_err(|_| bad())?;
    Ok(NodeKey::new(version, path))
}

/// A node as stored: its borsh form, then, for a leaf, the value it holds (the tree keeps only
/// the value's hash; the value is kept beside it so a proof is served with it).
pub fn node_bytes(node: &Node, value: Option<&[u8]>) -> Vec<u8> {
    let mut out = borsh::to_vec(node).unwrap_or_default();
    out.extend_from_slice(value.unwrap_or_default());
    out
}

/// A stored node and, for a leaf, the value stored beside it.
pub fn node_from_bytes(bytes: &[u8]) -> Result<(Node, Option<Vec<u8>>), MapError> {
    let mut rest = bytes;
    let node = <Node as borsh::BorshDeserialize>::deserialize(&mut rest)
        .map_err(|_| MapError("a stored node is malformed".into()))?;
    match &node {
        Node::Leaf(_) => Ok((node, Some(rest.to_vec()))),
        _ if rest.is_empty() => Ok((node, None)),
        _ => Err(MapError("a stored internal node has bytes after it".into())),
    }
}

/// The values `written` sets, by key, for storing them beside their leaves.
pub fn values_by_key(written: &Written) -> HashMap<Hash, &[u8]> {
    written.values.iter().map(|c| (c.key, c.value.as_slice())).collect()
}

/// The value a new leaf holds, from the values its version set.
pub fn leaf_value<'a>(node: &Node, values: &HashMap<Hash, &'a [u8]>) -> Option<&'a [u8]> {
    match node {
        Node::Leaf(leaf) => values.get(&Hash(leaf.key_hash().0)).copied(),
        _ => None,
    }
}

/// The whole map in memory, its stale nodes dropped as it goes.
#[derive(Default)]
pub struct MemoryMap {
    nodes: HashMap<NodeKey, Node>,
    values: HashMap<Hash, Vec<u8>>,
    version: Option<Version>,
    root: Option<Hash>,
}

impl MemoryMap {
    pub fn new() -> Self {
        Self::default()
    }

    /// Takes in one batch of changes; returns the new root.
    pub fn apply(&mut self, changes: Vec<Change>) -> Result<Hash, MapError> {
        if let Some(w) = write(self, self.version, changes)? {
            for k in w.stale {
                self.nodes.remove(&k);
            }
            self.nodes.extend(w.nodes);
            self.values.extend(w.values.into_iter().map(|c| (c.key, c.value)));
            self.version = Some(w.version);
            self.root = Some(w.root);
        }
        Ok(self.root())
    }

    pub fn root(&self) -> Hash {
        self.root.unwrap_or(EMPTY_ROOT)
    }

    pub fn get(&self, key: &Hash) -> Option<&[u8]> {
        self.values.get(key).map(Vec::as_slice)
    }

    pub fn prove(&self, key: &Hash) -> Result<(Option<Vec<u8>>, MapProof), MapError> {
        prove(self, self.version, key)
    }

    pub fn len(&self) -> usize {
        self.values.len()
    }

    /// Every key's value, as changes that rebuild the map in one version elsewhere.
    pub fn to_changes(&self) -> Vec<Change> {
        self.values.iter().map(|(k, v)| Change { key: *k, value: v.clone() }).collect()
    }

    pub fn is_empty(&self) -> bool {
        self.values.is_empty()
    }
}

impl TreeReader for MemoryMap {
    fn get_node_option(&self, node_key: &NodeKey) -> anyhow::Result<Option<Node>> {
        Ok(self.nodes.get(node_key).cloned())
    }

    /// Only the latest value of each key is kept, and only the latest version is asked for.
    fn get_value_option(
        &self,
        _max_version: Version,
        key_hash: KeyHash,
    ) -> anyhow::Result<Option<OwnedValue>> {
        Ok(self.values.get(&Hash(key_hash.0)).cloned())
    }

    fn get_rightmost_leaf(&self) -> anyhow::Result<Option<(NodeKey, LeafNode)>> {
        anyhow::bail!("the state map is never restored from a stream of leaves")
    }
}

/// Holds a stored tree to the map rebuilt from the log, node by node: fed every stored node
/// once, it checks each leaf against the rebuilt value, then that every child an internal node
/// names is stored with the hash it names, that no node is left over, that the root is the
/// rebuilt root and that there are as many leaves as keys.
#[derive(Default)]
pub struct StoreCheck {
    hashes: HashMap<NodeKey, Hash>,
    children: Vec<(NodeKey, Hash)>,
    leaves: usize,
}

impl StoreCheck {
    /// Takes in one stored node, and for a leaf the value stored beside it.
    pub fn add(
        &mut self,
        key: NodeKey,
        node: &Node,
        stored: Option<&[u8]>,
        rebuilt: &MemoryMap,
    ) -> Result<(), MapError> {
        let hash = match node {
            Node::Leaf(leaf) => {
                let k = Hash(leaf.key_hash().0);
                let Some(value) = rebuilt.get(&k) else {
                    return Err(MapError(format!("a stored leaf holds key {k}, which the log never set")));
                };
                if stored != Some(value) {
                    return Err(MapError(format!(
                        "the value stored beside the leaf of key {k} is not the one the log gives"
                    )));
                }
                let hash = Hash(leaf.hash::<sha2::Sha256>());
                if (MapLeaf { key: k, value_hash: Hash::sha256(value) }).hash() != hash {
                    return Err(MapError(format!("the stored leaf of key {k} holds another value")));
                }
                self.leaves += 1;
                hash
            }
            Node::Internal(internal) => {
                for (nibble, child) in internal.children_sorted() {
                    let path: NibblePath =
                        key.nibble_path().nibbles().chain(std::iter::once(nibble)).collect();
                    self.children.push((NodeKey::new(child.version, path), Hash(child.hash)));
                }
                Hash(internal.hash::<sha2::Sha256>())
            }
            Node::Null => EMPTY_ROOT,
        };
        if self.hashes.insert(key.clone(), hash).is_some() {
            return Err(MapError(format!("node {key:?} is stored twice")));
        }
        Ok(())
    }

    pub fn finish(self, version: Option<Version>, rebuilt: &MemoryMap) -> Result<(), MapError> {
        for (key, hash) in &self.children {
            match self.hashes.get(key) {
                Some(h) if h == hash => {}
                Some(_) => return Err(MapError(format!("node {key:?} is not the one its parent names"))),
                None => return Err(MapError(format!("node {key:?} is missing"))),
            }
        }
        let root = match version {
            Some(v) => *self
                .hashes
                .get(&NodeKey::new(v, std::iter::empty().collect()))
                .ok_or_else(|| MapError(format!("the root of version {v} is missing")))?,
            None => EMPTY_ROOT,
        };
        if root != rebuilt.root() {
            return Err(MapError(format!("the stored root is {root}, the log gives {}", rebuilt.root())));
        }
        let expected = self.children.len() + usize::from(version.is_some());
        if self.hashes.len() != expected {
            return Err(MapError(format!(
                "{} nodes are stored, the tree names {expected}",
                self.hashes.len()
            )));
        }
        if self.leaves != rebuilt.len() {
            return Err(MapError(format!(
                "{} leaves are stored, the log sets {} keys",
                self.leaves,
                rebuilt.len()
            )));
        }
        Ok(())
    }
}
