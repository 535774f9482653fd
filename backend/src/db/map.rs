//! The state map's tables: its tree nodes, the latest value of each key, and its tip (how far
//! into the log it has taken, and the tree's version). Read through the core's tree as a
//! [`TreeReader`].

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
use super::schema::{map_nodes, map_tip, map_values};

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
#[diesel(table_name = map_values)]
struct NewValue<'a> {
    key: &'a [u8],
    value: &'a [u8],
}

/// Stores one version of the map: its new nodes (appended), its values, and drops the nodes
/// it replaced.
pub fn write(conn: &mut SqliteConnection, written: &Written) -> Result<(), DbError> {
    let nodes: Vec<NewNode> =
        written.nodes.iter().map(|(k, n)| NewNode { key: node_key_bytes(k), node: node_bytes(n) }).collect();
    super::insert_rows!(conn, map_nodes::table, &nodes)?;
    let stale: Vec<Vec<u8>> = written.stale.iter().map(node_key_bytes).collect();
    for chunk in stale.chunks(10_000) {
        diesel::delete(map_nodes::table.filter(map_nodes::key.eq_any(chunk))).execute(conn)?;
    }
    let values: Vec<NewValue<'_>> =
        written.values.iter().map(|c| NewValue { key: c.key.as_bytes(), value: &c.value }).collect();
    for chunk in values.chunks(super::ROWS_PER_INSERT) {
        diesel::replace_into(map_values::table).values(chunk).execute(conn)?;
    }
    Ok(())
}

/// The value `key` holds and the proof of it (or of its absence) at the tip's version.
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

/// A stored key and what it holds: a node, or a value.
pub type Row = (Vec<u8>, Vec<u8>);

/// The two keyed tables of the map.
#[derive(Clone, Copy, Debug)]
pub enum Table {
    Nodes,
    Values,
}

/// Every row of `table`, by key, from `after` on (exclusive), `limit` at a time (for the
/// audit).
pub fn rows_after(
    conn: &mut SqliteConnection,
    table: Table,
    after: Option<&[u8]>,
    limit: i64,
) -> Result<Vec<Row>, DbError> {
    use diesel::sql_types::{BigInt, Binary};
    #[derive(QueryableByName)]
    struct Stored {
        #[diesel(sql_type = Binary)]
        key: Vec<u8>,
        #[diesel(sql_type = Binary)]
        held: Vec<u8>,
    }
    let (name, column) = match table {
        Table::Nodes => ("map_nodes", "node"),
        Table::Values => ("map_values", "value"),
    };
    let rows: Vec<Stored> = diesel::sql_query(format!(
        "SELECT key, {column} AS held FROM {name} WHERE key > ? ORDER BY key LIMIT ?"
    ))
    .bind::<Binary, _>(after.unwrap_or_default())
    .bind::<BigInt, _>(limit)
    .load(conn)?;
    Ok(rows.into_iter().map(|r| (r.key, r.held)).collect())
}

/// How many keys the map holds.
pub fn count(conn: &mut SqliteConnection) -> Result<i64, DbError> {
    Ok(map_values::table.count().get_result(conn)?)
}

fn corrupt(e: MapError) -> DbError {
    DbError::Corrupt(e.to_string())
}

/// The tree's upper levels, kept by the writer in memory: every version rewrites them, so they
/// are never read back from SQLite. Bounded: at most 16^0 + … + 16^4 nodes (about 70 MB).
#[derive(Default)]
pub struct NodeCache(std::collections::HashMap<NodeKey, Node>);

/// Nodes at most this many nibbles deep are cached.
const CACHED_DEPTH: usize = 4;

impl NodeCache {
    /// Takes in a version just written: its new upper nodes, and forgets the ones it replaced.
    pub fn apply(&mut self, written: &Written) {
        for k in &written.stale {
            self.0.remove(k);
        }
        for (k, n) in &written.nodes {
            if k.nibble_path().num_nibbles() <= CACHED_DEPTH {
                self.0.insert(k.clone(), n.clone());
            }
        }
    }

    pub fn clear(&mut self) {
        self.0.clear();
    }
}

/// The stored map read through the writer's cache of its upper levels.
pub struct CachedMap<'a> {
    pub cache: &'a NodeCache,
    pub db: DbMap<'a>,
}

impl TreeReader for CachedMap<'_> {
    fn get_node_option(&self, node_key: &NodeKey) -> anyhow::Result<Option<Node>> {
        if let Some(n) = self.cache.0.get(node_key) {
            return Ok(Some(n.clone()));
        }
        self.db.get_node_option(node_key)
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

/// The stored map as the core's tree reads it.
pub struct DbMap<'a>(RefCell<&'a mut SqliteConnection>);

impl<'a> DbMap<'a> {
    pub fn new(conn: &'a mut SqliteConnection) -> Self {
        Self(RefCell::new(conn))
    }
}

impl TreeReader for DbMap<'_> {
    fn get_node_option(&self, node_key: &NodeKey) -> anyhow::Result<Option<Node>> {
        let mut conn = self.0.borrow_mut();
        let bytes: Option<Vec<u8>> = map_nodes::table
            .filter(map_nodes::key.eq(node_key_bytes(node_key)))
            .select(map_nodes::node)
            .get_result(&mut **conn)
            .optional()?;
        Ok(bytes.map(|b| node_from_bytes(&b)).transpose()?)
    }

    /// The stored value is the latest, and only the latest version is ever read.
    fn get_value_option(
        &self,
        _max_version: Version,
        key_hash: KeyHash,
    ) -> anyhow::Result<Option<OwnedValue>> {
        let mut conn = self.0.borrow_mut();
        Ok(map_values::table
            .filter(map_values::key.eq(&key_hash.0[..]))
            .select(map_values::value)
            .get_result(&mut **conn)
            .optional()?)
    }

    fn get_rightmost_leaf(&self) -> anyhow::Result<Option<(NodeKey, LeafNode)>> {
        anyhow::bail!("the state map is never restored from a stream of leaves")
    }
}
