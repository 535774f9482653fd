//! One group commit's worth of accepted records: the state they changed (seen by later records
//! of the same group before anything is written) and the rows to write in one transaction.

use std::collections::HashMap;

use diesel::sqlite::SqliteConnection;
use terroir_shared::Hash;
use terroir_shared::asset::{Asset, AssetId};
use terroir_shared::crypto::PublicKey;
use terroir_shared::log::stored_hash_index;
use terroir_shared::party::{Device, Party, PartyId};
use terroir_shared::rules::{Effects, MemoryLedger, Needs};

use crate::db::{self, DbError};

/// An accepted record, staged for writing.
pub(super) struct Staged {
    pub index: u64,
    pub record_id: Hash,
    pub leaf_hash: Hash,
    pub leaf: Vec<u8>,
    /// Stored hashes from `stored_hash_index(0, index)` on.
    pub nodes: Vec<Hash>,
}

#[derive(Default)]
pub(super) struct Group {
    pub staged: Vec<Staged>,
    by_record: HashMap<Hash, u64>,
    parties: HashMap<PartyId, Party>,
    devices: HashMap<PublicKey, Device>,
    assets: HashMap<AssetId, Asset>,
    identities: HashMap<String, AssetId>,
    touched: Vec<(AssetId, u64)>,
    edges: Vec<(AssetId, AssetId)>,
}

impl Group {
    /// The index of `record_id` if this group already accepted it.
    pub fn index_of(&self, record_id: &Hash) -> Option<u64> {
        self.by_record.get(record_id).copied()
    }

    /// Exactly the state `needs` names, from this group's changes or else from the store.
    pub fn snapshot(&self, conn: &mut SqliteConnection, needs: &Needs) -> Result<MemoryLedger, DbError> {
        let mut effects = Effects::default();
        for id in &needs.parties {
            if let Some(p) =
                self.parties.get(id).cloned().map_or_else(|| db::state::party(conn, id), |p| Ok(Some(p)))?
            {
                effects.parties.push(p);
            }
        }
        for key in &needs.devices {
            if let Some(d) = self
                .devices
                .get(key)
                .cloned()
                .map_or_else(|| db::state::device(conn, key), |d| Ok(Some(d)))?
            {
                effects.devices.push(d);
            }
        }
        for id in &needs.assets {
            if let Some(a) =
                self.assets.get(id).cloned().map_or_else(|| db::state::asset(conn, id), |a| Ok(Some(a)))?
            {
                effects.assets.push(a);
            }
        }
        let mut snapshot = MemoryLedger::new();
        snapshot.store(effects);
        for key in &needs.identity_keys {
            let holder = match self.identities.get(key) {
                Some(h) => Some(*h),
                None => db::state::holder_of(conn, key)?,
            };
            if let Some(h) = holder {
                snapshot.insert_identity(key.clone(), h);
            }
        }
        Ok(snapshot)
    }

    /// Every asset this group created or changed.
    pub fn changed_assets(&self) -> Vec<AssetId> {
        self.assets.keys().copied().collect()
    }

    /// Takes in an accepted record and what it changed.
    pub fn stage(&mut self, staged: Staged, effects: Effects) {
        let (index, record_id) = (staged.index, staged.record_id);
        self.by_record.insert(record_id, index);
        self.staged.push(staged);
        for p in effects.parties {
            self.parties.insert(p.id, p);
        }
        for d in effects.devices {
            self.devices.insert(d.key, d);
        }
        for a in effects.assets {
            self.touched.push((a.id, index));
            if a.created_by == record_id {
                for key in a.identity_keys() {
                    self.identities.insert(key, a.id);
                }
                self.edges.extend(a.parents.iter().map(|p| (*p, a.id)));
            }
            self.assets.insert(a.id, a);
        }
    }

    /// Writes every staged row. Runs inside the group's transaction.
    pub fn write(&self, conn: &mut SqliteConnection, received_at: i64) -> Result<(), DbError> {
        let entries: Vec<db::entries::NewEntry<'_>> = self
            .staged
            .iter()
            .map(|s| db::entries::NewEntry {
                idx: s.index as i64,
                record_id: s.record_id.as_bytes(),
                leaf_hash: s.leaf_hash.as_bytes(),
                leaf: &s.leaf,
                received_at,
            })
            .collect();
        db::entries::insert(conn, &entries)?;
        let nodes: Vec<db::nodes::NewNode<'_>> = self
            .staged
            .iter()
            .flat_map(|s| {
                let first = stored_hash_index(0, s.index);
                s.nodes.iter().enumerate().map(move |(k, h)| db::nodes::NewNode {
                    idx: (first + k as u64) as i64,
                    hash: h.as_bytes(),
                })
            })
            .collect();
        db::nodes::insert(conn, &nodes)?;
        db::state::put_parties(conn, &self.parties.values().collect::<Vec<_>>())?;
        db::state::put_devices(conn, &self.devices.values().collect::<Vec<_>>())?;
        db::state::put_assets(conn, &self.assets.values().collect::<Vec<_>>())?;
        let identities: Vec<db::state::IdentityRow<'_>> = self
            .identities
            .iter()
            .map(|(k, a)| db::state::IdentityRow { key: k, asset: a.0.as_bytes() })
            .collect();
        db::state::put_identities(conn, &identities)?;
        let touched: Vec<db::lineage::AssetEntry<'_>> = self
            .touched
            .iter()
            .map(|(a, i)| db::lineage::AssetEntry { asset: a.0.as_bytes(), idx: *i as i64 })
            .collect();
        let edges: Vec<db::lineage::Edge<'_>> = self
            .edges
            .iter()
            .map(|(p, c)| db::lineage::Edge { parent: p.0.as_bytes(), child: c.0.as_bytes() })
            .collect();
        db::lineage::insert(conn, &touched, &edges)
    }
}
