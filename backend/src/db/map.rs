//! The state map's tables: its tree nodes, the nodes later versions replaced (deleted while
//! the writer is idle), and its tip (how far into the log it has taken, and the tree's
//! version). Read through the core's tree as a [`TreeReader`]. A leaf's value is stored beside
//! it (the tree keeps only its hash), so a proof is served with the value it proves.

use std::cell::RefCell;

use diesel::prelude::*;
use diesel::sqlite::SqliteConnection;
use terroir_shared::Hash;
use terroir_shared::state::tree::{
    self, KeyHash, LeafNode, Node, NodeKey, OwnedValue, TreeReader, Version, node_bytes, node_from_bytes,
    node_key_bytes,
};
use terroir_shared::state::{MapError, MapProof, Written};

use super::DbError;
use super::schema::{map_nodes, map_stale, map_tip};

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
    node: Vec<u8>,
}

#[derive(Insertable)]
#[diesel(table_name = map_stale)]
struct NewStale {
    key: Vec<u8>,
}

/// One version of the map as rows: its new nodes (each leaf with its value) and the nodes it
/// replaced.
pub struct Rows {
    nodes: Vec<NewNode>,
    stale: Vec<NewStale>,
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
        .map(|(k, n)| match (n, tree::leaf_value(n, &values)) {
            (Node::Leaf(_), None) => {
                Err(DbError::Corrupt(format!("the value of a leaf at {k:?} is unknown")))
            }
            (_, value) => Ok(NewNode { key: node_key_bytes(k), node: node_bytes(n, value) }),
        })
        .collect::<Result<_, _>>()?;
    let stale = written.stale.iter().map(|k| NewStale { key: node_key_bytes(k) }).collect();
    Ok(Rows { nodes, stale })
}

/// Stores one version: its new nodes are appended, the nodes it replaced listed for [`prune`].
pub fn write(conn: &mut SqliteConnection, rows: &Rows) -> Result<(), DbError> {
    super::insert_rows!(conn, map_nodes::table, &rows.nodes)?;
    super::insert_rows!(conn, map_stale::table, &rows.stale)
}

/// The values of leaves, by key.
pub type LeafValues = std::collections::HashMap<Hash, Vec<u8>>;

/// The tree's internal nodes, kept in memory beside the writer: every version reads and
/// rewrites the upper ones, and decoding them from SQLite costs more than the tree's own work.
/// A node per sixteen keys or so (about 70 MB at a million keys). Cleared after a failed commit.
#[derive(Default)]
pub struct NodeCache(std::collections::HashMap<NodeKey, Node>);

impl NodeCache {
    /// Takes in a version: keeps its new internal nodes and the internal nodes read from the
    /// database to work it out, and forgets the nodes it replaced.
    pub fn take_in(&mut self, written: Written, read: Vec<(NodeKey, Node)>) {
        let internal = |(_, n): &(NodeKey, Node)| matches!(n, Node::Internal(_));
        self.0.extend(read.into_iter().filter(internal).chain(written.nodes.into_iter().filter(internal)));
        for k in &written.stale {
            self.0.remove(k);
        }
    }

    pub fn clear(&mut self) {
        self.0.clear();
    }
}

/// The stored map read through the cache of its internal nodes.
pub struct CachedMap<'a> {
    cache: &'a NodeCache,
    db: DbMap<'a>,
    read: RefCell<Vec<(NodeKey, Node)>>,
}

impl<'a> CachedMap<'a> {
    pub fn new(cache: &'a NodeCache, conn: &'a mut SqliteConnection) -> Self {
        Self { cache, db: DbMap::new(conn), read: RefCell::default() }
    }

    /// The values of the leaves read, and the internal nodes read from the database.
    pub fn into_read(self) -> (LeafValues, Vec<(NodeKey, Node)>) {
        (self.db.into_leaves(), self.read.into_inner())
    }
}

impl TreeReader for CachedMap<'_> {
    fn get_node_option(&self, node_key: &NodeKey) -> anyhow::Result<Option<Node>> {
        if let Some(n) = self.cache.0.get(node_key) {
            return Ok(Some(n.clone()));
        }
        let node = self.db.get_node_option(node_key)?;
        if let Some(n @ Node::Internal(_)) = &node {
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

/// Deletes up to `limit` replaced nodes, oldest first, in one transaction; how many.
pub fn prune(conn: &mut SqliteConnection, limit: i64) -> Result<usize, DbError> {
    conn.immediate_transaction(|conn| {
        let batch: Vec<(i64, Vec<u8>)> = map_stale::table
            .order(map_stale::id)
            .select((map_stale::id, map_stale::key))
            .limit(limit)
            .load(conn)?;
        let Some((last, _)) = batch.last() else { return Ok(0) };
        let keys: Vec<&[u8]> = batch.iter().map(|(_, k)| k.as_slice()).collect();
        for chunk in keys.chunks(10_000) {
            diesel::delete(map_nodes::table.filter(map_nodes::key.eq_any(chunk))).execute(conn)?;
        }
        diesel::delete(map_stale::table.filter(map_stale::id.le(last))).execute(conn)?;
        Ok(batch.len())
    })
}

/// Every node key listed as replaced and not yet deleted (for the audit).
pub fn stale_keys(conn: &mut SqliteConnection) -> Result<std::collections::HashSet<Vec<u8>>, DbError> {
    Ok(map_stale::table.select(map_stale::key).load::<Vec<u8>>(conn)?.into_iter().collect())
}

/// The value `key` holds at the tip's version, and the proof of it (or of its absence).
pub fn prove(
    conn: &mut SqliteConnection,
    tip: Tip,
    key: &Hash,
) -> Result<(Option<Vec<u8>>, MapProof), DbError> {
    tree::prove(&DbMap::new(conn), tip.version, key).map_err(corrupt)
}

/// The map's root at the tip, recomputed from the stored root node.
pub fn root(conn: &mut SqliteConnection, tip: Tip) -> Result<Hash, DbError> {
    tree::root(&DbMap::new(conn), tip.version).map_err(corrupt)
}

/// A stored node: its key and its bytes.
pub type Row = (Vec<u8>, Vec<u8>);

/// Every stored node, by key, from `after` on (exclusive), `limit` at a time (for the audit).
pub fn nodes_after(
    conn: &mut SqliteConnection,
    after: Option<&[u8]>,
    limit: i64,
) -> Result<Vec<Row>, DbError> {
    let query = map_nodes::table.select((map_nodes::key, map_nodes::node)).order(map_nodes::key).limit(limit);
    Ok(match after {
        Some(a) => query.filter(map_nodes::key.gt(a)).load(conn)?,
        None => query.load(conn)?,
    })
}

/// How many keys the map holds.
pub fn count(conn: &mut SqliteConnection, tip: Tip) -> Result<usize, DbError> {
    tree::leaf_count(&DbMap::new(conn), tip.version).map_err(corrupt)
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
}

impl TreeReader for DbMap<'_> {
    fn get_node_option(&self, node_key: &NodeKey) -> anyhow::Result<Option<Node>> {
        let mut conn = self.conn.borrow_mut();
        let bytes: Option<Vec<u8>> = map_nodes::table
            .filter(map_nodes::key.eq(node_key_bytes(node_key)))
            .select(map_nodes::node)
            .get_result(&mut **conn)
            .optional()?;
        let Some(bytes) = bytes else { return Ok(None) };
        let (node, value) = node_from_bytes(&bytes)?;
        if let (Node::Leaf(leaf), Some(value)) = (&node, value) {
            self.leaves.borrow_mut().insert(Hash(leaf.key_hash().0), value);
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
