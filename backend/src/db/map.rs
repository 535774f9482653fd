//! The state map's tables: its tree as last written back (one node per nibble path, the newest,
//! with the version that made it: a node that replaces another is written over it), the changes
//! of the versions not written back yet, and its tip (how far into the log it has taken, and
//! the tree's version). Read through the core's tree as a [`TreeReader`]. A leaf's value is
//! stored beside it (the tree keeps only its hash), so a proof is served with the value it
//! proves.
//!
//! The writer keeps the nodes of the versions not written back in a [`NodeCache`] shared with
//! the readers, who look in the database first and there second ([`prove`]).

use std::cell::RefCell;

use diesel::prelude::*;
use diesel::sqlite::SqliteConnection;
use terroir_shared::Hash;
use terroir_shared::state::tree::{
    self, KeyHash, LeafNode, Node, NodeKey, OwnedValue, TreeReader, Version, node_bytes, node_from_bytes,
};
use terroir_shared::state::{Change, MapError, MapProof, Written};

use super::DbError;
use super::schema::{map_nodes, map_pending, map_tip};

/// How far the map has taken the log in.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Tip {
    /// The log's size when the map was last written.
    pub size: u64,
    /// The tree's version then; `None` while the map is empty.
    pub version: Option<Version>,
}

pub fn tip(conn: &mut SqliteConnection) -> Result<Tip, DbError> {
    let (size, version): (i64, Option<i64>) = map_tip::table
        .filter(map_tip::id.eq(0))
        .select((map_tip::size, map_tip::version))
        .get_result(conn)?;
    Ok(Tip { size: size as u64, version: version.map(|v| v as u64) })
}

pub fn set_tip(conn: &mut SqliteConnection, tip: Tip) -> Result<(), DbError> {
    diesel::update(map_tip::table.filter(map_tip::id.eq(0)))
        .set((map_tip::size.eq(tip.size as i64), map_tip::version.eq(tip.version.map(|v| v as i64))))
        .execute(conn)?;
    Ok(())
}

#[derive(Insertable)]
#[diesel(table_name = map_nodes)]
struct NewNode {
    key: Vec<u8>,
    version: i64,
    node: Vec<u8>,
}

impl NewNode {
    /// The row of `node` at `key`; a leaf must come with its value.
    fn of(key: &NodeKey, node: &Node, value: Option<&[u8]>) -> Result<Self, DbError> {
        if matches!(node, Node::Leaf(_)) && value.is_none() {
            return Err(DbError::Corrupt(format!("the value of a leaf at {key:?} is unknown")));
        }
        Ok(Self { key: path_bytes(key), version: key.version() as i64, node: node_bytes(node, value) })
    }
}

/// A node's row key: its nibble path alone. Versions never reuse a path for anything but the
/// node that replaces the one there (nothing is ever removed from the map), so the newest node
/// at each path is the tree.
pub fn path_bytes(key: &NodeKey) -> Vec<u8> {
    tree::path_bytes(key)
}

/// The nodes to write, each over the one at its path.
pub struct Rows {
    nodes: Vec<NewNode>,
}

/// The rows of one version. A leaf the version only moved (deeper, beside a new key) keeps the
/// value it had: `moved` holds the values of the leaves read while working the version out.
pub fn rows(written: &Written, moved: &LeafValues) -> Result<Rows, DbError> {
    let mut values = tree::values_by_key(written);
    for (k, v) in moved {
        values.entry(*k).or_insert(v.as_slice());
    }
    let nodes = written
        .nodes
        .iter()
        .map(|(k, n)| NewNode::of(k, n, tree::leaf_value(n, &values)))
        .collect::<Result<_, _>>()?;
    Ok(Rows { nodes })
}

/// Writes nodes, each over the one at its path, in statements of
/// [`super::ROWS_PER_INSERT`] rows (arrays, so that each statement is prepared once).
pub fn write(conn: &mut SqliteConnection, rows: &Rows) -> Result<(), DbError> {
    let mut batches = rows.nodes.chunks_exact(super::ROWS_PER_INSERT);
    for batch in &mut batches {
        let batch: &[NewNode; super::ROWS_PER_INSERT] =
            batch.try_into().map_err(|_| DbError::Corrupt("a batch of rows changed length".into()))?;
        diesel::replace_into(map_nodes::table).values(batch).execute(conn)?;
    }
    for row in batches.remainder() {
        diesel::replace_into(map_nodes::table).values(row).execute(conn)?;
    }
    Ok(())
}

/// The values of leaves, by key.
pub type LeafValues = std::collections::HashMap<Hash, Vec<u8>>;

type Fast = ahash::RandomState;

/// A node, with its value if a leaf.
type Held = (Node, Option<Box<[u8]>>);

/// The writer's copy of the tree: the nodes of the versions not written back yet (each leaf with
/// its value), which exist nowhere else but in the log of their changes, and the internal nodes
/// it read (every version reads and rewrites the upper ones; decoding them from SQLite costs
/// more than the tree's own work). Shared with the readers behind a lock.
#[derive(Default)]
pub struct NodeCache {
    nodes: std::collections::HashMap<NodeKey, Held, Fast>,
    /// The nodes not written back, still in the tree.
    dirty: std::collections::HashSet<NodeKey, Fast>,
    /// Changes taken in since the last write-back.
    pending: usize,
}

impl NodeCache {
    /// Takes in a version: its new nodes (not written back) and the internal nodes read from
    /// the database to work it out. `moved` holds the values of the leaves read (a leaf the
    /// version only moved keeps its value). What it replaced is kept until [`Self::retire`]:
    /// readers at the version before may still need it.
    pub fn take_in(&mut self, written: &Written, read: Vec<(NodeKey, Node)>, moved: &LeafValues) {
        let values = tree::values_by_key(written);
        let value_of = |n: &Node| match n {
            Node::Leaf(l) => {
                let key = Hash(l.key_hash().0);
                values.get(&key).copied().or_else(|| moved.get(&key).map(Vec::as_slice)).map(Box::from)
            }
            _ => None,
        };
        for (k, n) in read.into_iter().filter(|(_, n)| matches!(n, Node::Internal(_))) {
            self.nodes.entry(k).or_insert((n, None));
        }
        for (k, n) in &written.nodes {
            self.nodes.insert(k.clone(), (n.clone(), value_of(n)));
            self.dirty.insert(k.clone());
        }
        self.pending += written.values.len();
    }

    /// Forgets the nodes a committed version replaced (each written back over, at its path, by
    /// the node that replaced it).
    pub fn retire(&mut self, replaced: &[NodeKey]) {
        for k in replaced {
            self.nodes.remove(k);
            self.dirty.remove(k);
        }
    }

    /// How many keys the tree holds at `version`, if its root is here.
    pub fn leaf_count(&self, version: Option<Version>) -> Option<usize> {
        tree::leaf_count(&CacheOnly(self), version).ok()
    }

    /// After [`write_back`] committed: every node is in the database, and only the internal
    /// nodes are kept.
    pub fn written_back(&mut self) {
        self.dirty.clear();
        self.pending = 0;
        self.nodes.retain(|_, (n, _)| matches!(n, Node::Internal(_)));
    }

    /// Changes taken in since the last write-back.
    pub fn pending(&self) -> usize {
        self.pending
    }

    /// The nodes not written back, each with its value if a leaf.
    pub fn dirty(&self) -> impl Iterator<Item = (&NodeKey, &Node, Option<&[u8]>)> {
        self.dirty.iter().filter_map(|k| self.nodes.get(k).map(|(n, v)| (k, n, v.as_deref())))
    }

    pub fn clear(&mut self) {
        *self = Self::default();
    }
}

/// The cache alone.
struct CacheOnly<'a>(&'a NodeCache);

impl TreeReader for CacheOnly<'_> {
    fn get_node_option(&self, node_key: &NodeKey) -> anyhow::Result<Option<Node>> {
        Ok(self.0.nodes.get(node_key).map(|(n, _)| n.clone()))
    }

    fn get_value_option(&self, _: Version, _: KeyHash) -> anyhow::Result<Option<OwnedValue>> {
        anyhow::bail!("the cache alone serves no values")
    }

    fn get_rightmost_leaf(&self) -> anyhow::Result<Option<(NodeKey, LeafNode)>> {
        anyhow::bail!("the state map is never restored from a stream of leaves")
    }
}

/// Replays the versions not written back onto `cache` (cleared first) from their logged
/// changes, on top of the tree as written back; they must end at the tip. How many changes.
pub fn replay(conn: &mut SqliteConnection, cache: &mut NodeCache, tip: Tip) -> Result<usize, DbError> {
    cache.clear();
    let pending = pending(conn)?;
    let Some(first) = pending.first() else {
        return Ok(0);
    };
    let mut version = first.version.checked_sub(1);
    let mut count = 0;
    for p in pending {
        let reader = CachedMap::new(cache, conn);
        let written = tree::write(&reader, version, p.changes).map_err(corrupt)?.ok_or_else(|| {
            DbError::Corrupt(format!("state map version {} is logged without changes", p.version))
        })?;
        if written.version != p.version {
            return Err(DbError::Corrupt(format!(
                "state map version {} is logged after version {version:?}",
                p.version
            )));
        }
        let (moved, read) = reader.into_read();
        count += written.values.len();
        cache.take_in(&written, read, &moved);
        cache.retire(&written.stale);
        version = Some(written.version);
    }
    if version != tip.version {
        return Err(DbError::Corrupt(format!(
            "the state map's logged changes end at version {version:?}, its tip is at {:?}",
            tip.version
        )));
    }
    Ok(count)
}

/// The map read through the writer's cache first, the database second: what the writer works
/// a version out with.
pub struct CachedMap<'a> {
    cache: &'a NodeCache,
    db: DbMap<'a>,
    read: RefCell<Vec<(NodeKey, Node)>>,
}

impl<'a> CachedMap<'a> {
    pub fn new(cache: &'a NodeCache, conn: &'a mut SqliteConnection) -> Self {
        Self { cache, db: DbMap::new(conn), read: RefCell::default() }
    }

    /// The values of the leaves read, and the nodes read from the database.
    pub fn into_read(self) -> (LeafValues, Vec<(NodeKey, Node)>) {
        (self.db.into_leaves(), self.read.into_inner())
    }
}

impl TreeReader for CachedMap<'_> {
    fn get_node_option(&self, node_key: &NodeKey) -> anyhow::Result<Option<Node>> {
        if let Some(n) = self.db.cached(self.cache, node_key) {
            return Ok(Some(n));
        }
        let node = self.db.get_node_option(node_key)?;
        if let Some(n) = &node {
            self.read.borrow_mut().push((node_key.clone(), n.clone()));
        }
        Ok(node)
    }

    fn get_value_option(
        &self,
        max_version: Version,
        key_hash: KeyHash,
    ) -> anyhow::Result<Option<OwnedValue>> {
        self.db.get_value_option(max_version, key_hash)
    }

    fn get_rightmost_leaf(&self) -> anyhow::Result<Option<(NodeKey, LeafNode)>> {
        self.db.get_rightmost_leaf()
    }
}

/// The map as a reader sees it: the database first (what was written back, as of the reader's
/// transaction), then the nodes the writer has not written back yet. A node found in neither
/// was replaced since the reader's transaction began: [`prove`] fails, and a fresh transaction
/// finds the newer tree.
struct ReadMap<'a> {
    db: DbMap<'a>,
    cache: &'a NodeCache,
}

impl TreeReader for ReadMap<'_> {
    fn get_node_option(&self, node_key: &NodeKey) -> anyhow::Result<Option<Node>> {
        match self.db.get_node_option(node_key)? {
            Some(n) => Ok(Some(n)),
            None => Ok(self.db.cached(self.cache, node_key)),
        }
    }

    fn get_value_option(
        &self,
        max_version: Version,
        key_hash: KeyHash,
    ) -> anyhow::Result<Option<OwnedValue>> {
        self.db.get_value_option(max_version, key_hash)
    }

    fn get_rightmost_leaf(&self) -> anyhow::Result<Option<(NodeKey, LeafNode)>> {
        self.db.get_rightmost_leaf()
    }
}

/// One version's changes, logged until the version is written back.
#[derive(Debug)]
pub struct Pending {
    pub version: Version,
    pub changes: Vec<Change>,
}

#[derive(Insertable)]
#[diesel(table_name = map_pending)]
struct NewPending {
    version: i64,
    size: i64,
    changes: Vec<u8>,
}

/// Logs one version's changes (key ‖ value length ‖ value, one after another).
pub fn log_version(
    conn: &mut SqliteConnection,
    version: Version,
    size: u64,
    changes: &[Change],
) -> Result<(), DbError> {
    let mut bytes = Vec::with_capacity(changes.len() * 74);
    for c in changes {
        let len = u8::try_from(c.value.len())
            .map_err(|_| DbError::Corrupt(format!("a state map value of {} bytes", c.value.len())))?;
        bytes.extend_from_slice(c.key.as_bytes());
        bytes.push(len);
        bytes.extend_from_slice(&c.value);
    }
    diesel::insert_into(map_pending::table)
        .values(NewPending { version: version as i64, size: size as i64, changes: bytes })
        .execute(conn)?;
    Ok(())
}

/// The versions not written back, oldest first.
pub fn pending(conn: &mut SqliteConnection) -> Result<Vec<Pending>, DbError> {
    let rows: Vec<(i64, Vec<u8>)> = map_pending::table
        .order(map_pending::version)
        .select((map_pending::version, map_pending::changes))
        .load(conn)?;
    rows.into_iter()
        .map(|(version, bytes)| {
            let bad = || {
                DbError::Corrupt(format!("the logged changes of state map version {version} are malformed"))
            };
            let mut changes = Vec::new();
            let mut rest = bytes.as_slice();
            while !rest.is_empty() {
                let (key, after) = rest.split_at_checked(33).ok_or_else(bad)?;
                let len = usize::from(key[32]);
                let (value, after) = after.split_at_checked(len).ok_or_else(bad)?;
                let key: [u8; 32] = key[..32].try_into().map_err(|_| bad())?;
                changes.push(Change { key: Hash(key), value: value.to_vec() });
                rest = after;
            }
            Ok(Pending { version: version as u64, changes })
        })
        .collect()
}

/// Writes the versions `cache` took in back, up to `through`: every node not written back that
/// is still in the tree, over the node at its path, in path order (each page of the table is
/// visited once), one prepared statement per row, rows built as it goes; then forgets the
/// versions' logged changes. In the caller's transaction.
pub fn write_back(conn: &mut SqliteConnection, cache: &NodeCache, through: Version) -> Result<(), DbError> {
    let mut keys: Vec<(Vec<u8>, &NodeKey)> = cache.dirty.iter().map(|k| (path_bytes(k), k)).collect();
    keys.sort_unstable_by(|a, b| a.0.cmp(&b.0));
    for (_, k) in keys {
        let (n, value) = cache
            .nodes
            .get(k)
            .ok_or_else(|| DbError::Corrupt(format!("a node of the state map at {k:?} is lost")))?;
        let row = NewNode::of(k, n, value.as_deref())?;
        diesel::replace_into(map_nodes::table).values(&row).execute(conn)?;
    }
    diesel::delete(map_pending::table.filter(map_pending::version.le(through as i64))).execute(conn)?;
    Ok(())
}

/// The value `key` holds at the tip's version, and the proof of it (or of its absence), read
/// from the database and then from the versions the writer has not written back (`cache`).
pub fn prove(
    conn: &mut SqliteConnection,
    cache: &NodeCache,
    tip: Tip,
    key: &Hash,
) -> Result<(Option<Vec<u8>>, MapProof), DbError> {
    tree::prove(&ReadMap { db: DbMap::new(conn), cache }, tip.version, key).map_err(corrupt)
}

/// The map's root at the tip, recomputed from its root node.
pub fn root(conn: &mut SqliteConnection, cache: &NodeCache, tip: Tip) -> Result<Hash, DbError> {
    tree::root(&ReadMap { db: DbMap::new(conn), cache }, tip.version).map_err(corrupt)
}

/// A stored node: its key (the version and the path) and its bytes.
pub type Row = (NodeKey, Vec<u8>);

/// Every stored node, by path, from `after` on (exclusive; a path as [`path_bytes`] writes
/// it), `limit` at a time (for the audit).
pub fn nodes_after(
    conn: &mut SqliteConnection,
    after: Option<&[u8]>,
    limit: i64,
) -> Result<(Vec<Row>, Option<Vec<u8>>), DbError> {
    let query = map_nodes::table
        .select((map_nodes::key, map_nodes::version, map_nodes::node))
        .order(map_nodes::key)
        .limit(limit);
    let rows: Vec<(Vec<u8>, i64, Vec<u8>)> = match after {
        Some(a) => query.filter(map_nodes::key.gt(a)).load(conn)?,
        None => query.load(conn)?,
    };
    let last = rows.last().map(|(k, _, _)| k.clone());
    let rows = rows
        .into_iter()
        .map(|(path, version, node)| {
            let mut key = (version as u64).to_be_bytes().to_vec();
            key.extend_from_slice(&path);
            Ok((tree::node_key_from_bytes(&key).map_err(corrupt)?, node))
        })
        .collect::<Result<_, DbError>>()?;
    Ok((rows, last))
}

/// How many keys the map holds.
pub fn count(conn: &mut SqliteConnection, cache: &NodeCache, tip: Tip) -> Result<usize, DbError> {
    tree::leaf_count(&ReadMap { db: DbMap::new(conn), cache }, tip.version).map_err(corrupt)
}

fn corrupt(e: MapError) -> DbError {
    DbError::Corrupt(e.to_string())
}

/// The stored map as the core's tree reads it. The values of the leaves it reads are kept: the
/// tree asks for a key's value right after reading its leaf, and a write moves leaves it read.
pub struct DbMap<'a> {
    conn: RefCell<&'a mut SqliteConnection>,
    leaves: RefCell<LeafValues>,
}

impl<'a> DbMap<'a> {
    pub fn new(conn: &'a mut SqliteConnection) -> Self {
        Self { conn: RefCell::new(conn), leaves: RefCell::default() }
    }

    /// The values of the leaves read, by key.
    pub fn into_leaves(self) -> LeafValues {
        self.leaves.into_inner()
    }

    /// Keeps a leaf's value, read from the table or the cache, for the tree to ask for next.
    fn note_value(&self, node: &Node, value: &[u8]) {
        if let Node::Leaf(leaf) = node {
            self.leaves.borrow_mut().insert(Hash(leaf.key_hash().0), value.to_vec());
        }
    }

    /// The node at `node_key` in `cache`, its value noted like one read from the table.
    fn cached(&self, cache: &NodeCache, node_key: &NodeKey) -> Option<Node> {
        let (n, value) = cache.nodes.get(node_key)?;
        if let Some(value) = value {
            self.note_value(n, value);
        }
        Some(n.clone())
    }
}

impl TreeReader for DbMap<'_> {
    fn get_node_option(&self, node_key: &NodeKey) -> anyhow::Result<Option<Node>> {
        let mut conn = self.conn.borrow_mut();
        let row: Option<(i64, Vec<u8>)> = map_nodes::table
            .filter(map_nodes::key.eq(path_bytes(node_key)))
            .select((map_nodes::version, map_nodes::node))
            .get_result(&mut **conn)
            .optional()?;
        // A newer node at the path: the one asked for was replaced.
        let Some((_, bytes)) = row.filter(|(v, _)| *v as u64 == node_key.version()) else { return Ok(None) };
        let (node, value) = node_from_bytes(&bytes)?;
        if let Some(value) = value {
            self.note_value(&node, &value);
        }
        Ok(Some(node))
    }

    /// The value stored beside the leaf just read for this key (only the latest version is
    /// ever read).
    fn get_value_option(
        &self,
        _max_version: Version,
        key_hash: KeyHash,
    ) -> anyhow::Result<Option<OwnedValue>> {
        Ok(self.leaves.borrow().get(&Hash(key_hash.0)).cloned())
    }

    fn get_rightmost_leaf(&self) -> anyhow::Result<Option<(NodeKey, LeafNode)>> {
        anyhow::bail!("the state map is never restored from a stream of leaves")
    }
}
