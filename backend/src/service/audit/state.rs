//! The served state held to the log: after the replay, every derived table (parties, devices,
//! assets with their bodies, histories and places, identity keys, lineage edges, the record
//! index) must be exactly what the replay gives, row by row. A row the replay does not give
//! (an asset whose creating entry is not in the log, say) or a row it gives that is missing
//! fails the audit, naming the row and what differs.

use std::collections::{HashMap, HashSet};

use diesel::sqlite::SqliteConnection;
use terroir_shared::Hash;
use terroir_shared::asset::AssetId;
use terroir_shared::rules::{Effects, MemoryLedger};
use terroir_shared::state::MemoryMap;
use terroir_shared::state::tree::StoreCheck;

use super::{AuditFailure, StoredMap};
use crate::db::{self, DbError};

/// Asset rows read per round trip.
const ASSET_CHUNK: i64 = 20_000;

/// What the replay derives beside the ledger's state: which entries touched each asset, where
/// each asset's row goes, lineage edges, and the records found by their id.
#[derive(Default)]
pub(super) struct Derived {
    history: HashMap<AssetId, Vec<u64>>,
    places: HashMap<AssetId, i64>,
    edges: HashSet<(AssetId, AssetId)>,
    indexed: HashMap<Hash, u64>,
}

impl Derived {
    /// Takes in what entry `index` (record `id`) changed, as the writer stages it.
    pub fn record(&mut self, index: u64, id: Hash, effects: &Effects) {
        let mut created = 0u32;
        for a in &effects.assets {
            self.history.entry(a.id).or_default().push(index);
            if a.created_by == id {
                // Outputs come in output order; their position is what their id derives from.
                let position = (created..created.saturating_add(1 << 20))
                    .find(|n| AssetId::derive(&id, *n) == a.id)
                    .unwrap_or(created);
                created = position + 1;
                self.places.insert(a.id, db::state::place(index, position));
                self.edges.extend(a.parents.iter().map(|p| (*p, a.id)));
            }
        }
        if created == 0 {
            self.indexed.insert(id, index);
        }
    }

    /// Compares every derived table with the replay; the first difference fails the audit.
    pub fn compare(&self, conn: &mut SqliteConnection, ledger: &MemoryLedger) -> Result<(), Compared> {
        self.parties(conn, ledger)?;
        self.devices(conn, ledger)?;
        self.assets(conn, ledger)?;
        self.identities(conn, ledger)?;
        self.lineage(conn)?;
        self.record_index(conn)
    }

    fn parties(&self, conn: &mut SqliteConnection, ledger: &MemoryLedger) -> Result<(), Compared> {
        let mut stored: HashMap<Vec<u8>, String> = db::derived::parties(conn)?.into_iter().collect();
        for p in ledger.parties() {
            let key = p.id.to_string();
            match stored.remove(p.id.0.as_bytes().as_slice()) {
                None => return differs("parties", key, "the log registers it; no row holds it"),
                Some(body) => same_json("parties", key, &body, p)?,
            }
        }
        match stored.into_keys().next() {
            Some(id) => differs("parties", hex::encode(id), "no entry of the log registers it"),
            None => Ok(()),
        }
    }

    fn devices(&self, conn: &mut SqliteConnection, ledger: &MemoryLedger) -> Result<(), Compared> {
        let mut stored: HashMap<Vec<u8>, (Vec<u8>, String)> =
            db::derived::devices(conn)?.into_iter().map(|(k, p, b)| (k, (p, b))).collect();
        for d in ledger.devices() {
            let key = d.key.to_string();
            match stored.remove(d.key.as_bytes().as_slice()) {
                None => return differs("devices", key, "the log authorises it; no row holds it"),
                Some((party, _)) if party != d.party.0.as_bytes() => {
                    return differs("devices", key, "its party column is not its party");
                }
                Some((_, body)) => same_json("devices", key, &body, d)?,
            }
        }
        match stored.into_keys().next() {
            Some(k) => differs("devices", hex::encode(k), "no entry of the log authorises it"),
            None => Ok(()),
        }
    }

    fn assets(&self, conn: &mut SqliteConnection, ledger: &MemoryLedger) -> Result<(), Compared> {
        let mut seen = 0usize;
        let mut after = i64::MIN;
        loop {
            let rows = db::derived::assets_after(conn, after, ASSET_CHUNK)?;
            let Some(last) = rows.last() else { break };
            after = last.place;
            for row in rows {
                let id = db::hash_from(&row.id).map(AssetId)?;
                let key = id.to_string();
                let Some(asset) = ledger.asset_by_id(&id) else {
                    let made_by = db::state::made_by(row.place);
                    return differs(
                        "assets",
                        key,
                        &format!("no entry of the log creates it (its place names entry {made_by})"),
                    );
                };
                if self.places.get(&id) != Some(&row.place) {
                    return differs(
                        "assets",
                        key,
                        "it is stored at another place than the entry that made it",
                    );
                }
                same_json("assets", key.clone(), &row.body, asset)?;
                let history = self.history.get(&id).map(|h| db::state::history(h)).unwrap_or_default();
                if row.history != history {
                    return differs(
                        "assets",
                        key,
                        "its history lists other entries than those that touched it",
                    );
                }
                seen += 1;
            }
        }
        let replayed = ledger.assets().count();
        if seen != replayed {
            let missing = ledger.assets().map(|a| a.id).find(|id| !self.stored(conn, id));
            let key = missing.map_or_else(String::new, |id| id.to_string());
            return differs("assets", key, "the log creates it; no row holds it");
        }
        Ok(())
    }

    fn stored(&self, conn: &mut SqliteConnection, id: &AssetId) -> bool {
        matches!(db::state::created_at(conn, id), Ok(Some(_)))
    }

    fn identities(&self, conn: &mut SqliteConnection, ledger: &MemoryLedger) -> Result<(), Compared> {
        let mut stored: HashMap<String, i64> = db::derived::identities(conn)?.into_iter().collect();
        for (key, holder) in ledger.identities() {
            let place = self.places.get(holder).copied();
            match stored.remove(key) {
                None => return differs("identities", key.clone(), "the log claims it; no row holds it"),
                Some(p) if Some(p) != place => {
                    return differs(
                        "identities",
                        key.clone(),
                        "it names another asset than the one that claimed it",
                    );
                }
                Some(_) => {}
            }
        }
        match stored.into_keys().next() {
            Some(key) => differs("identities", key, "no asset of the log claims it"),
            None => Ok(()),
        }
    }

    fn lineage(&self, conn: &mut SqliteConnection) -> Result<(), Compared> {
        let mut stored = HashSet::new();
        for (parent, child) in db::derived::edges(conn)? {
            let edge = (AssetId(db::hash_from(&parent)?), AssetId(db::hash_from(&child)?));
            if !self.edges.contains(&edge) {
                return differs(
                    "asset_parents",
                    format!("{} → {}", edge.0, edge.1),
                    "no entry of the log makes it",
                );
            }
            stored.insert(edge);
        }
        match self.edges.iter().find(|e| !stored.contains(e)) {
            Some(e) => {
                differs("asset_parents", format!("{} → {}", e.0, e.1), "the log makes it; no row holds it")
            }
            None => Ok(()),
        }
    }

    fn record_index(&self, conn: &mut SqliteConnection) -> Result<(), Compared> {
        let stored = db::derived::indexed_records(conn)?;
        for (record, idx) in &stored {
            let id = db::hash_from(record)?;
            if self.indexed.get(&id).map(|i| *i as i64) != Some(*idx) {
                return differs(
                    "record_index",
                    id.to_string(),
                    &format!("no record at entry {idx} is found by this id"),
                );
            }
        }
        if stored.len() != self.indexed.len() {
            return differs(
                "record_index",
                String::new(),
                "records of the log that create nothing are missing from it",
            );
        }
        Ok(())
    }
}

/// Why the comparison stopped: a difference, or the database could not be read.
pub(super) enum Compared {
    Differs(AuditFailure),
    Db(DbError),
}

impl From<DbError> for Compared {
    fn from(e: DbError) -> Self {
        Compared::Db(e)
    }
}

fn differs(table: &'static str, key: String, what: &str) -> Result<(), Compared> {
    Err(Compared::Differs(AuditFailure::StateDiffers { table, key, what: what.to_owned() }))
}

/// The stored body must be exactly the JSON of the replayed value; if not, the first field
/// that differs is named.
fn same_json<T: serde::Serialize>(
    table: &'static str,
    key: String,
    stored: &str,
    replayed: &T,
) -> Result<(), Compared> {
    let expected = serde_json::to_string(replayed).map_err(|e| DbError::Corrupt(e.to_string()))?;
    if stored == expected {
        return Ok(());
    }
    let field = match (serde_json::from_str::<serde_json::Value>(stored), serde_json::from_str(&expected)) {
        (Ok(serde_json::Value::Object(s)), Ok(serde_json::Value::Object(e))) => e
            .iter()
            .find(|(k, v)| s.get(*k) != Some(v))
            .map(|(k, _)| k.clone())
            .or_else(|| s.keys().find(|k| !e.contains_key(*k)).cloned()),
        _ => None,
    };
    let what = match field {
        Some(f) => format!("its `{f}` is not what the log gives"),
        None => "its stored form is not the replayed one".into(),
    };
    differs(table, key, &what)
}

/// Holds the stored state map to the one rebuilt from the log of `total` entries: its tip, and
/// its tree node by node (every leaf holds the rebuilt value's hash, every node is where its
/// parent says, nothing is left over, the root is the rebuilt root), the versions not written
/// back replayed from their logged changes. A map never built (a ledger from before the map, at size
/// 0 and empty) is reported as such.
pub(super) fn compare_map(
    conn: &mut SqliteConnection,
    rebuilt: &MemoryMap,
    total: u64,
) -> Result<StoredMap, super::AuditError> {
    let differs = |what: String| super::AuditError::from(AuditFailure::StoredMapDiffers { what });
    let tip = db::map::tip(conn)?;
    let empty = db::map::is_empty(conn)?;
    if tip.size == 0 && tip.version.is_none() && empty && total > 0 {
        return Ok(StoredMap::NotBuilt { size: 0 });
    }
    if tip.size != total {
        return Err(differs(format!("it has taken in {} entries, the log has {total}", tip.size)));
    }
    // The versions not written back yet, replayed from their logged changes on top of the
    // stored tree: the nodes they made stand over the stored ones at their paths.
    let mut pending = db::map::NodeCache::default();
    db::map::replay(conn, &mut pending, tip).map_err(|e| differs(e.to_string()))?;
    let mut check = StoreCheck::default();
    let mut newer = std::collections::HashSet::new();
    for (key, node, value) in pending.dirty() {
        newer.insert(db::map::path_bytes(&key));
        check.add(key, node, value, rebuilt).map_err(|e| differs(e.0))?;
    }
    let mut after: Option<Vec<u8>> = None;
    loop {
        let (rows, last) =
            db::map::nodes_after(conn, after.as_deref(), ASSET_CHUNK).map_err(|e| match e {
                db::DbError::Corrupt(what) => differs(what),
                e => e.into(),
            })?;
        let Some(last) = last else { break };
        for (key, node, value) in
            rows.into_iter().filter(|(k, _, _)| !newer.contains(&db::map::path_bytes(k)))
        {
            check.add(key, &node, value.as_deref(), rebuilt).map_err(|e| differs(e.0))?;
        }
        after = Some(last);
    }
    check.finish(tip.version, rebuilt).map_err(|e| differs(e.0))?;
    Ok(StoredMap::Checked)
}
