//! The state map's tables: its tree as last written back (one row per internal node, at its
//! nibble path, with the version that made it, and beside it the leaves among its children: a
//! node that replaces another is written over it; only a root that is a leaf has a row of its
//! own), the changes
//! of the versions not written back yet, and its tip (how far into the log it has taken, and
//! the tree's version). Read through the core's tree as a [`TreeReader`]. A leaf's value is
//! stored beside it (the tree keeps only its hash), so a proof is served with the value it
//! proves. Leaves ride in their parents' rows because a leaf never changes without its parent
//! being rewritten: a write-back writes a quarter of the rows it would write with a row for each
//! node, and a reader finds a leaf in the row it has just read its parent from.
//!
//! The writer keeps the nodes of the versions not written back in a [`NodeCache`] shared with
//! the readers, who look in the database first and there second ([`prove`]).

use std::cell::RefCell;

use diesel::prelude::*;
use diesel::sqlite::SqliteConnection;
use terroir_shared::Hash;
use terroir_shared::state::tree::{
    self, KeyHash, LeafNode, NibblePath, Node, NodeKey, OwnedValue, TreeReader, Version, node_bytes,
    node_from_bytes,
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
struct NewRow<'a> {
    key: &'a [u8],
    version: i64,
    node: Vec<u8>,
    leaves: Vec<u8>,
}

/// A node's row key: its nibble path alone. Versions never reuse a path for anything but the
/// node that replaces the one there (nothing is ever removed from the map), so the newest node
/// at each path is the tree.
pub fn path_bytes(key: &NodeKey) -> Vec<u8> {
    tree::path_bytes(key)
}

/// A row's leaves: for each leaf child of its node, in nibble order, the nibble, the length of
/// the stored leaf (u16, big-endian) and the stored leaf (its node and value, as
/// [`node_bytes`]). A leaf's version is the one its parent names.
fn leaf_entries(leaves: &[u8]) -> Result<Vec<(u8, &[u8])>, DbError> {
    let bad = || DbError::Corrupt("the leaves stored beside a state map node are malformed".into());
    let mut out = Vec::new();
    let mut rest = leaves;
    while let [nibble, a, b, after @ ..] = rest {
        let (leaf, after) =
            after.split_at_checked(usize::from(u16::from_be_bytes([*a, *b]))).ok_or_else(bad)?;
        out.push((*nibble, leaf));
        rest = after;
    }
    if rest.is_empty() { Ok(out) } else { Err(bad()) }
}

fn push_leaf(leaves: &mut Vec<u8>, nibble: u8, stored: &[u8]) -> Result<(), DbError> {
    let len = u16::try_from(stored.len())
        .map_err(|_| DbError::Corrupt(format!("a state map leaf of {} bytes", stored.len())))?;
    leaves.push(nibble);
    leaves.extend_from_slice(&len.to_be_bytes());
    leaves.extend_from_slice(stored);
    Ok(())
}

/// A row as selected: its key (the path), version, node and leaves.
type RawRow = (Vec<u8>, i64, Vec<u8>, Vec<u8>);

/// A stored row read back: the node at the row's path, its value if a leaf, its leaves.
struct StoredRow {
    version: Version,
    node: Node,
    value: Option<Vec<u8>>,
    leaves: Vec<u8>,
}

impl StoredRow {
    fn decode(version: i64, node: &[u8], leaves: Vec<u8>) -> Result<Self, DbError> {
        let (node, value) = node_from_bytes(node).map_err(corrupt)?;
        if matches!(node, Node::Leaf(_)) && !leaves.is_empty() {
            return Err(DbError::Corrupt("a state map leaf is stored with leaves beside it".into()));
        }
        Ok(Self { version: version as u64, node, value, leaves })
    }

    /// The leaf child at `nibble`, if the node has one at `version`: its node and value.
    fn leaf(&self, nibble: u8, version: Version) -> Result<Option<(Node, Vec<u8>)>, DbError> {
        let Node::Internal(internal) = &self.node else { return Ok(None) };
        match internal.child(nibble.into()) {
            Some(c) if c.is_leaf() && c.version == version => {}
            _ => return Ok(None),
        }
        let (_, stored) =
            leaf_entries(&self.leaves)?.into_iter().find(|(n, _)| *n == nibble).ok_or_else(|| {
                DbError::Corrupt(format!(
                    "a state map node names a leaf at nibble {nibble} it does not store"
                ))
            })?;
        match node_from_bytes(stored).map_err(corrupt)? {
            (leaf @ Node::Leaf(_), Some(value)) => Ok(Some((leaf, value))),
            _ => Err(DbError::Corrupt("a state map node stores a non-leaf among its leaves".into())),
        }
    }

    /// The row's nodes, each with its key and, for a leaf, its value: the node at `path`, then
    /// its leaves (checked to be exactly the leaf children it names).
    fn nodes(self, path: &NibblePath) -> Result<Vec<StoredNode>, DbError> {
        let mut out = Vec::new();
        if let Node::Internal(internal) = &self.node {
            let entries = leaf_entries(&self.leaves)?;
            let named: Vec<(u8, Version)> = internal
                .children_sorted()
                .filter(|(_, c)| c.is_leaf())
                .map(|(n, c)| (u8::from(n), c.version))
                .collect();
            if entries.len() != named.len() || entries.iter().zip(&named).any(|((a, _), (b, _))| a != b) {
                return Err(DbError::Corrupt(format!(
                    "the state map node at {} stores other leaves than the ones it names",
                    shown(path)
                )));
            }
            for ((nibble, stored), (_, version)) in entries.into_iter().zip(named) {
                let (leaf, value) = node_from_bytes(stored).map_err(corrupt)?;
                out.push((
                    NodeKey::new(version, tree::child_path(path, nibble).map_err(corrupt)?),
                    leaf,
                    value,
                ));
            }
        }
        out.insert(0, (NodeKey::new(self.version, path.clone()), self.node, self.value));
        Ok(out)
    }
}

/// A path as people read it: its nibbles in hex, or "the root".
fn shown(path: &NibblePath) -> String {
    if path.num_nibbles() == 0 {
        return "the root".into();
    }
    let hex: String = path.nibbles().map(|n| format!("{:x}", u8::from(n))).collect();
    format!("path {hex}")
}

/// A node's place as people read it.
fn shown_key(key: &NodeKey) -> String {
    format!("{}, version {}", shown(key.nibble_path()), key.version())
}

/// Whether no node is stored.
pub fn is_empty(conn: &mut SqliteConnection) -> Result<bool, DbError> {
    Ok(map_nodes::table.select(map_nodes::key).first::<Vec<u8>>(conn).optional()?.is_none())
}

/// The row at `path`, if any.
fn row_at(conn: &mut SqliteConnection, path: &[u8]) -> Result<Option<StoredRow>, DbError> {
    let row: Option<(i64, Vec<u8>, Vec<u8>)> = map_nodes::table
        .filter(map_nodes::key.eq(path))
        .select((map_nodes::version, map_nodes::node, map_nodes::leaves))
        .get_result(conn)
        .optional()?;
    row.map(|(v, n, l)| StoredRow::decode(v, &n, l)).transpose()
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
    /// The internal nodes not written back, still in the tree (and the root, if a leaf): a leaf
    /// below the root is written back with its parent, which the leaf's version rewrote.
    dirty: std::collections::HashSet<NodeKey, Fast>,
    /// Changes taken in since the last write-back.
    pending: usize,
    /// Nodes that committed versions replaced, kept for [`RETIRED_KEPT`] after the commit for
    /// the readers still at an older version, oldest first.
    retired: std::collections::VecDeque<(std::time::Instant, Vec<NodeKey>)>,
}

/// Internal nodes the writer keeps after a write-back, at most: a node is about a kilobyte, and
/// this many are the upper levels of a map of some four million keys. Past it, those below the
/// top [`LEVELS_KEPT`] levels are let go (they are in the database) and read again when a version
/// touches them, so that memory stops growing with the ledger.
pub const NODES_KEPT: usize = 1 << 18;

/// The levels of internal nodes always kept: 1 + 16 + 256 + 4,096 nodes at most.
const LEVELS_KEPT: usize = 4;

/// How long a replaced node stays readable: a reader whose transaction began before the commit
/// that replaced it still proves from the version before (a reader that takes longer reads
/// again, at a newer version).
pub const RETIRED_KEPT: std::time::Duration = std::time::Duration::from_secs(2);

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
            if matches!(n, Node::Internal(_)) || k.nibble_path().num_nibbles() == 0 {
                self.dirty.insert(k.clone());
            }
            self.nodes.insert(k.clone(), (n.clone(), value_of(n)));
        }
        self.pending += written.values.len();
    }

    /// Forgets the nodes a committed version replaced (each written back over, at its path, by
    /// the node that replaced it), when no reader can need them (a replay, a build).
    pub fn retire(&mut self, replaced: &[NodeKey]) {
        for k in replaced {
            self.nodes.remove(k);
            self.dirty.remove(k);
        }
    }

    /// Retires the nodes a version committed at `now` replaced: never written back from now
    /// on, but readable for [`RETIRED_KEPT`]; forgets those retired longer ago.
    pub fn retire_later(&mut self, replaced: Vec<NodeKey>, now: std::time::Instant) {
        for k in &replaced {
            self.dirty.remove(k);
        }
        self.retired.push_back((now, replaced));
        while let Some((at, _)) = self.retired.front() {
            if now.saturating_duration_since(*at) < RETIRED_KEPT {
                break;
            }
            if let Some((_, keys)) = self.retired.pop_front() {
                for k in keys {
                    self.nodes.remove(&k);
                }
            }
        }
    }

    /// How many keys the tree holds at `version`, if its root is here.
    pub fn leaf_count(&self, version: Option<Version>) -> Option<usize> {
        tree::leaf_count(&CacheOnly(self), version).ok()
    }

    /// After [`write_back`] committed: every node is in the database, and only the internal
    /// nodes are kept, at most [`NODES_KEPT`] of them.
    pub fn written_back(&mut self) {
        self.written_back_keeping(NODES_KEPT, LEVELS_KEPT);
    }

    /// As [`Self::written_back`], keeping at most `most` internal nodes, or else only those in
    /// the top `levels` levels.
    fn written_back_keeping(&mut self, most: usize, levels: usize) {
        self.dirty.clear();
        self.pending = 0;
        self.nodes.retain(|_, (n, _)| matches!(n, Node::Internal(_)));
        if self.nodes.len() > most {
            // Those replaced lately stay: readers at the versions before may still need them,
            // and the database no longer has them.
            let retired: std::collections::HashSet<&NodeKey> =
                self.retired.iter().flat_map(|(_, keys)| keys).collect();
            self.nodes.retain(|k, _| k.nibble_path().num_nibbles() < levels || retired.contains(k));
        }
    }

    /// Changes taken in since the last write-back.
    pub fn pending(&self) -> usize {
        self.pending
    }

    /// The nodes not written back, each with its value if a leaf: each internal node (or a
    /// root leaf), then the leaves among its children that are not written back either.
    pub fn dirty(&self) -> Vec<(NodeKey, &Node, Option<&[u8]>)> {
        let mut out = Vec::new();
        for k in &self.dirty {
            let Some((node, value)) = self.nodes.get(k) else { continue };
            out.push((k.clone(), node, value.as_deref()));
            let Node::Internal(internal) = node else { continue };
            for (nibble, child) in internal.children_sorted().filter(|(_, c)| c.is_leaf()) {
                let Ok(path) = tree::child_path(k.nibble_path(), u8::from(nibble)) else { continue };
                let key = NodeKey::new(child.version, path);
                if let Some((leaf, value)) = self.nodes.get(&key) {
                    out.push((key, leaf, value.as_deref()));
                }
            }
        }
        out
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

/// Writes the versions `cache` took in back, up to `through`: every internal node not written
/// back that is still in the tree, over the row at its path, with the leaves among its
/// children (new ones from the cache, older ones from the row it replaces), in path order (each
/// page of the table is visited once), one prepared statement per row; a root that is a leaf
/// in a row of its own. Then forgets the versions' logged changes. In the caller's transaction.
pub fn write_back(conn: &mut SqliteConnection, cache: &NodeCache, through: Version) -> Result<(), DbError> {
    let lost = |k: &NodeKey| DbError::Corrupt(format!("a node of the state map at {} is lost", shown_key(k)));
    let mut rows: Vec<(Vec<u8>, &NodeKey)> = Vec::new();
    for k in &cache.dirty {
        let (node, _) = cache.nodes.get(k).ok_or_else(|| lost(k))?;
        let root = k.nibble_path().num_nibbles() == 0;
        match node {
            Node::Internal(_) => rows.push((path_bytes(k), k)),
            Node::Leaf(_) if root => rows.push((path_bytes(k), k)),
            // A leaf below the root is written with its parent, which its version rewrote.
            Node::Leaf(_) => {}
            Node::Null => return Err(DbError::Corrupt(format!("a null state map node at {}", shown_key(k)))),
        }
    }
    rows.sort_unstable_by(|a, b| a.0.cmp(&b.0));
    for (path, k) in rows {
        let (node, value) = cache.nodes.get(k).ok_or_else(|| lost(k))?;
        let mut leaves = Vec::new();
        if let Node::Internal(internal) = node {
            let mut replaced: Option<Option<StoredRow>> = None;
            for (nibble, child) in internal.children_sorted().filter(|(_, c)| c.is_leaf()) {
                let nibble = u8::from(nibble);
                let key =
                    NodeKey::new(child.version, tree::child_path(k.nibble_path(), nibble).map_err(corrupt)?);
                let stored = match cache.nodes.get(&key) {
                    Some((leaf, Some(value))) => node_bytes(leaf, Some(value)),
                    Some((_, None)) => {
                        return Err(DbError::Corrupt(format!(
                            "the value of a leaf at {} is unknown",
                            shown_key(&key)
                        )));
                    }
                    None => {
                        let old = match &replaced {
                            Some(old) => old,
                            None => replaced.insert(row_at(conn, &path)?),
                        };
                        let (leaf, value) = old
                            .as_ref()
                            .map(|r| r.leaf(nibble, child.version))
                            .transpose()?
                            .flatten()
                            .ok_or_else(|| lost(&key))?;
                        node_bytes(&leaf, Some(&value))
                    }
                };
                push_leaf(&mut leaves, nibble, &stored)?;
            }
        } else if value.is_none() {
            return Err(DbError::Corrupt(format!("the value of a leaf at {} is unknown", shown_key(k))));
        }
        let row = NewRow {
            key: &path,
            version: k.version() as i64,
            node: node_bytes(node, value.as_deref()),
            leaves,
        };
        diesel::replace_into(map_nodes::table).values(&row).execute(conn)?;
    }
    diesel::delete(map_pending::table.filter(map_pending::version.le(through as i64))).execute(conn)?;
    Ok(())
}

/// Writes one whole version at once (a map built in one go): its nodes, as [`write_back`] does.
pub fn write_version(conn: &mut SqliteConnection, written: &Written) -> Result<(), DbError> {
    let mut cache = NodeCache::default();
    cache.take_in(written, Vec::new(), &LeafValues::default());
    write_back(conn, &cache, written.version)
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

/// A stored node: its key (the version and the path), the node, and its value if a leaf.
pub type StoredNode = (NodeKey, Node, Option<Vec<u8>>);

/// Every stored node, row by row by path, from the row after `after` on (a row key as
/// [`path_bytes`] writes it), `limit` rows at a time (for the audit): each row's node, then
/// the leaves stored beside it. The last row's key, to go on from.
pub fn nodes_after(
    conn: &mut SqliteConnection,
    after: Option<&[u8]>,
    limit: i64,
) -> Result<(Vec<StoredNode>, Option<Vec<u8>>), DbError> {
    let query = map_nodes::table
        .select((map_nodes::key, map_nodes::version, map_nodes::node, map_nodes::leaves))
        .order(map_nodes::key)
        .limit(limit);
    let rows: Vec<RawRow> = match after {
        Some(a) => query.filter(map_nodes::key.gt(a)).load(conn)?,
        None => query.load(conn)?,
    };
    let last = rows.last().map(|(k, _, _, _)| k.clone());
    let mut nodes = Vec::new();
    for (path, version, node, leaves) in rows {
        let path = tree::path_from_stored(&path).map_err(corrupt)?;
        nodes.extend(StoredRow::decode(version, &node, leaves)?.nodes(&path)?);
    }
    Ok((nodes, last))
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
/// So is the last row read: the tree reads a leaf right after its parent, whose row holds it.
pub struct DbMap<'a> {
    conn: RefCell<&'a mut SqliteConnection>,
    leaves: RefCell<LeafValues>,
    last: RefCell<Option<(NibblePath, StoredRow)>>,
}

impl<'a> DbMap<'a> {
    pub fn new(conn: &'a mut SqliteConnection) -> Self {
        Self { conn: RefCell::new(conn), leaves: RefCell::default(), last: RefCell::default() }
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

    /// The leaf at `nibble` below the row at `parent`, at `version`, from the row last read.
    fn leaf_in_last(
        &self,
        parent: &NibblePath,
        nibble: u8,
        version: Version,
    ) -> Result<Option<Node>, DbError> {
        let last = self.last.borrow();
        let Some((_, row)) = last.as_ref().filter(|(p, _)| p == parent) else { return Ok(None) };
        let Some((leaf, value)) = row.leaf(nibble, version)? else { return Ok(None) };
        self.note_value(&leaf, &value);
        Ok(Some(leaf))
    }

    /// The node at `node_key`: in a row of its own (an internal node, or a root that is a
    /// leaf), or a leaf among its parent's, both rows read in one statement.
    fn read(&self, node_key: &NodeKey) -> Result<Option<Node>, DbError> {
        let path = node_key.nibble_path();
        let parent = tree::parent_path(path).map_err(corrupt)?;
        if let Some((p, nibble)) = &parent
            && let Some(leaf) = self.leaf_in_last(p, *nibble, node_key.version())?
        {
            return Ok(Some(leaf));
        }
        let own = path_bytes(node_key);
        let above = parent.as_ref().map(|(p, _)| tree::stored_path(p)).unwrap_or_else(|| own.clone());
        let rows: Vec<RawRow> = {
            let mut conn = self.conn.borrow_mut();
            map_nodes::table
                .filter(map_nodes::key.eq(&own).or(map_nodes::key.eq(&above)))
                .select((map_nodes::key, map_nodes::version, map_nodes::node, map_nodes::leaves))
                .load(&mut **conn)?
        };
        for (key, version, node, leaves) in rows {
            let row = StoredRow::decode(version, &node, leaves)?;
            if key == own {
                // A newer node at the path: the one asked for was replaced.
                if row.version != node_key.version() {
                    return Ok(None);
                }
                if let Some(value) = &row.value {
                    self.note_value(&row.node, value);
                }
                let node = row.node.clone();
                if matches!(node, Node::Internal(_)) {
                    *self.last.borrow_mut() = Some((path.clone(), row));
                }
                return Ok(Some(node));
            }
            if let Some((p, _)) = parent.clone() {
                *self.last.borrow_mut() = Some((p, row));
            }
        }
        match &parent {
            Some((p, nibble)) => self.leaf_in_last(p, *nibble, node_key.version()),
            None => Ok(None),
        }
    }
}

impl TreeReader for DbMap<'_> {
    fn get_node_option(&self, node_key: &NodeKey) -> anyhow::Result<Option<Node>> {
        Ok(self.read(node_key)?)
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

#[cfg(test)]
mod tests {
    use terroir_shared::state::MemoryMap;

    use super::*;

    fn change(n: u64, round: u8) -> Change {
        Change { key: Hash::sha256(&n.to_be_bytes()), value: vec![round; 1 + (n % 23) as usize] }
    }

    /// Every key's value and proof, present and absent, and the root and count, read through
    /// `cache` (and the database under it) are the ones the map kept in memory gives.
    fn reads_as(conn: &mut SqliteConnection, cache: &NodeCache, tip: Tip, memory: &MemoryMap, keys: u64) {
        assert_eq!(root(conn, cache, tip).expect("root"), memory.root());
        assert_eq!(count(conn, cache, tip).expect("count"), memory.len());
        for n in (0..keys + 500).step_by(7) {
            let key = Hash::sha256(&n.to_be_bytes());
            assert_eq!(
                prove(conn, cache, tip, &key).expect("prove"),
                memory.prove(&key).expect("prove"),
                "key {n}"
            );
        }
    }

    #[test]
    fn a_map_written_back_in_rounds_reads_as_the_map_kept_in_memory() {
        rounds_written_back(NODES_KEPT, LEVELS_KEPT);
    }

    /// With its internal nodes let go at each write-back but the root, the map reads and grows
    /// as before (from the database).
    #[test]
    fn a_map_whose_lower_nodes_were_let_go_reads_and_grows_as_before() {
        assert_eq!(rounds_written_back(0, 1), 1, "the root alone is kept");
    }

    /// Rounds of versions, each round written back keeping at most `most` internal nodes or
    /// else `levels` levels, each read back against the map kept in memory; the nodes kept at
    /// the end.
    fn rounds_written_back(most: usize, levels: usize) -> usize {
        let dir = tempfile::tempdir().expect("dir");
        let mut conn = super::super::open_writer(&dir.path().join("ledger.sqlite")).expect("open");
        let (mut cache, mut memory, mut version, mut keys) =
            (NodeCache::default(), MemoryMap::new(), None, 0);
        for round in 1..=4u8 {
            for _ in 0..5 {
                // New keys (some land on a leaf and move it down), and older keys changed.
                let mut changes: Vec<Change> = (keys..keys + 300).map(|n| change(n, round)).collect();
                changes.extend((0..keys).filter(|n| n % 11 == u64::from(round)).map(|n| change(n, round)));
                keys += 300;
                let reader = CachedMap::new(&cache, &mut conn);
                let written =
                    tree::write(&reader, version, changes.clone()).expect("write").expect("a version");
                let (moved, read) = reader.into_read();
                cache.take_in(&written, read, &moved);
                cache.retire(&written.stale);
                version = Some(written.version);
                memory.apply(changes).expect("apply");
            }
            let tip = Tip { size: keys, version };
            // Before the write-back: the database's older rows under the cache's newer nodes.
            reads_as(&mut conn, &cache, tip, &memory, keys);
            conn.immediate_transaction(|c| write_back(c, &cache, version.expect("a version")))
                .expect("write back");
            cache.written_back_keeping(most, levels);
            reads_as(&mut conn, &cache, tip, &memory, keys);
            // The database alone, row by row: one row per internal node, every leaf beside
            // its parent.
            reads_as(&mut conn, &NodeCache::default(), tip, &memory, keys);
            let (nodes, _) = nodes_after(&mut conn, None, i64::MAX).expect("nodes");
            let leaves = nodes.iter().filter(|(_, n, _)| matches!(n, Node::Leaf(_))).count();
            assert_eq!(leaves, memory.len());
            let rows: i64 = map_nodes::table.count().get_result(&mut conn).expect("rows");
            assert_eq!(rows as usize, nodes.len() - leaves, "round {round}");
        }
        cache.nodes.len()
    }

    #[test]
    fn a_reader_at_the_version_before_a_commit_proves_from_it_until_the_replaced_nodes_are_forgotten() {
        let dir = tempfile::tempdir().expect("dir");
        let mut conn = super::super::open_writer(&dir.path().join("ledger.sqlite")).expect("open");
        let (mut cache, mut before, mut after) = (NodeCache::default(), MemoryMap::new(), MemoryMap::new());
        let first: Vec<Change> = (0..300).map(|n| change(n, 1)).collect();
        let reader = CachedMap::new(&cache, &mut conn);
        let v0 = tree::write(&reader, None, first.clone()).expect("write").expect("a version");
        let (moved, read) = reader.into_read();
        cache.take_in(&v0, read, &moved);
        cache.retire(&v0.stale);
        before.apply(first.clone()).expect("apply");
        after.apply(first).expect("apply");
        // The next version changes a third of the keys and adds as many.
        let second: Vec<Change> =
            (0..400).filter(|n| n % 3 == 0 || *n >= 300).map(|n| change(n, 2)).collect();
        let reader = CachedMap::new(&cache, &mut conn);
        let v1 = tree::write(&reader, Some(v0.version), second.clone()).expect("write").expect("a version");
        let (moved, read) = reader.into_read();
        cache.take_in(&v1, read, &moved);
        assert!(!v1.stale.is_empty());
        let committed = std::time::Instant::now();
        cache.retire_later(v1.stale.clone(), committed);
        after.apply(second).expect("apply");
        let (tip0, tip1) =
            (Tip { size: 300, version: Some(v0.version) }, Tip { size: 400, version: Some(v1.version) });
        reads_as(&mut conn, &cache, tip0, &before, 300);
        reads_as(&mut conn, &cache, tip1, &after, 400);
        // What was replaced is never written back over what replaced it.
        conn.immediate_transaction(|c| write_back(c, &cache, v1.version)).expect("write back");
        // Even when the cache lets its lower nodes go.
        cache.written_back_keeping(0, 1);
        reads_as(&mut conn, &NodeCache::default(), tip1, &after, 400);
        assert_eq!(root(&mut conn, &cache, tip0).expect("still readable"), before.root());
        cache.retire_later(Vec::new(), committed + RETIRED_KEPT);
        assert!(root(&mut conn, &cache, tip0).is_err(), "forgotten after {RETIRED_KEPT:?}");
        reads_as(&mut conn, &cache, tip1, &after, 400);
    }

    #[test]
    fn a_map_of_one_key_keeps_its_root_leaf_in_a_row_of_its_own() {
        let dir = tempfile::tempdir().expect("dir");
        let mut conn = super::super::open_writer(&dir.path().join("ledger.sqlite")).expect("open");
        let mut memory = MemoryMap::new();
        memory.apply(vec![change(1, 1)]).expect("apply");
        let written =
            tree::write(&DbMap::new(&mut conn), None, vec![change(1, 1)]).expect("write").expect("a version");
        conn.immediate_transaction(|c| write_version(c, &written)).expect("write");
        reads_as(&mut conn, &NodeCache::default(), Tip { size: 1, version: Some(0) }, &memory, 1);
        let rows: Vec<(i64, Vec<u8>)> =
            map_nodes::table.select((map_nodes::version, map_nodes::leaves)).load(&mut conn).expect("rows");
        assert_eq!(rows, [(0, Vec::new())]);
    }
}
