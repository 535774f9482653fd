//! One group commit's worth of accepted records: the state they changed (seen by later records
//! of the same group before anything is written) and the rows to write in one transaction.

use std::collections::HashMap;

use diesel::sqlite::SqliteConnection;
use terroir_shared::Hash;
use terroir_shared::asset::{Asset, AssetId};
use terroir_shared::crypto::PublicKey;
use terroir_shared::log::stored_hash_index;
use terroir_shared::party::{Device, Party, PartyId};
use terroir_shared::record::Record;
use terroir_shared::rules::{self, Effects, MemoryLedger, Needs, StateSource};

use crate::db::{self, DbError};

/// An accepted record, staged for writing.
pub(super) struct Staged {
    pub index: u64,
    pub record_id: Hash,
    pub leaf_hash: Hash,
    pub leaf: Vec<u8>,
    /// Stored hashes from `stored_hash_index(0, index)` on.
    pub nodes: Vec<Hash>,
    /// Whether a resubmission finds it by its id: it creates no asset (else through its first
    /// output).
    pub found_by_id: bool,
}

#[derive(Default)]
pub(super) struct Group {
    pub staged: Vec<Staged>,
    by_record: HashMap<Hash, u64>,
    parties: HashMap<PartyId, Party>,
    devices: HashMap<PublicKey, Device>,
    assets: HashMap<AssetId, Asset>,
    identities: HashMap<String, AssetId>,
    /// The entries of this group that touched each asset, in order.
    touched: HashMap<AssetId, Vec<u64>>,
    /// The table places of the assets this group created.
    places: HashMap<AssetId, i64>,
    edges: Vec<(AssetId, AssetId)>,
}

impl Group {
    /// The index of `record_id` if this group already accepted it.
    pub fn index_of(&self, record_id: &Hash) -> Option<u64> {
        self.by_record.get(record_id).copied()
    }

    /// Exactly the state `needs` names, from this group's changes, the writer's cache of
    /// parties and devices, or else the store. `creates` are the assets the record would create:
    /// it is not in the log, so they cannot exist yet and need no read.
    pub fn snapshot(
        &self,
        conn: &mut SqliteConnection,
        known: &mut KnownKeys,
        needs: &Needs,
        creates: &[AssetId],
        record: &Record,
    ) -> Result<MemoryLedger, DbError> {
        rules::snapshot(&mut GroupState { group: self, conn, known, creates }, record, needs)
    }

    /// The parties and devices this group registered or changed, for the writer's cache.
    pub fn keys_changed(&self) -> (Vec<Party>, Vec<Device>) {
        (self.parties.values().cloned().collect(), self.devices.values().cloned().collect())
    }

    /// Every asset this group created or changed.
    pub fn changed_assets(&self) -> Vec<AssetId> {
        self.assets.keys().copied().collect()
    }

    /// Takes in an accepted record and what it changed; `creates` are the ids of its outputs, in
    /// order.
    pub fn stage(&mut self, staged: Staged, effects: Effects, creates: &[AssetId]) {
        let (index, record_id) = (staged.index, staged.record_id);
        let positions: HashMap<&AssetId, usize> = creates.iter().enumerate().map(|(n, id)| (id, n)).collect();
        self.by_record.insert(record_id, index);
        self.staged.push(staged);
        for p in effects.parties {
            self.parties.insert(p.id, p);
        }
        for d in effects.devices {
            self.devices.insert(d.key, d);
        }
        // The keys as the ledger's rules spell them, which the rules worked out.
        for (key, asset) in effects.identities {
            self.identities.insert(key, asset);
        }
        for a in effects.assets {
            self.touched.entry(a.id).or_default().push(index);
            if a.created_by == record_id {
                let position = positions.get(&a.id).copied().unwrap_or(creates.len() + self.places.len());
                self.places.insert(a.id, db::state::place(index, position as u32));
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
        let indexed: Vec<db::entries::IndexedRecord<'_>> = self
            .staged
            .iter()
            .filter(|s| s.found_by_id)
            .map(|s| db::entries::IndexedRecord { record: s.record_id.as_bytes(), idx: s.index as i64 })
            .collect();
        db::entries::index_records(conn, &indexed)?;
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
        // An asset this group created is new; any other is rewritten in place.
        let mut new = Vec::with_capacity(self.places.len());
        let mut changed = Vec::new();
        for a in self.assets.values() {
            let change = db::state::AssetChange {
                asset: a,
                touched_by: self.touched.get(&a.id).map_or(&[], Vec::as_slice),
            };
            match self.places.get(&a.id) {
                Some(place) => new.push((*place, change)),
                None => changed.push(change),
            }
        }
        // In place order, so that the rows are appended.
        new.sort_unstable_by_key(|(place, _)| *place);
        db::state::insert_assets(conn, &new)?;
        db::state::update_assets(conn, &changed)?;
        // Identity keys are taken only by the assets a record creates, which have their places.
        let identities = self
            .identities
            .iter()
            .map(|(key, a)| match self.places.get(a) {
                Some(place) => Ok(db::state::IdentityRow { key, place: *place }),
                None => Err(DbError::Corrupt(format!("identity {key} names {a}, which has no place"))),
            })
            .collect::<Result<Vec<_>, _>>()?;
        db::state::put_identities(conn, &identities)?;
        let edges: Vec<db::lineage::Edge<'_>> = self
            .edges
            .iter()
            .map(|(p, c)| db::lineage::Edge { parent: p.0.as_bytes(), child: c.0.as_bytes() })
            .collect();
        db::lineage::insert(conn, &edges)
    }
}

/// The state as a record of the group sees it: the group's own changes in front of the store.
struct GroupState<'a> {
    group: &'a Group,
    conn: &'a mut SqliteConnection,
    known: &'a mut KnownKeys,
    creates: &'a [AssetId],
}

impl StateSource for GroupState<'_> {
    type Error = DbError;

    fn party(&mut self, id: &PartyId) -> Result<Option<Party>, DbError> {
        match self.group.parties.get(id) {
            Some(p) => Ok(Some(p.clone())),
            None => self.known.party(self.conn, id),
        }
    }

    fn device(&mut self, key: &PublicKey) -> Result<Option<Device>, DbError> {
        match self.group.devices.get(key) {
            Some(d) => Ok(Some(d.clone())),
            None => self.known.device(self.conn, key),
        }
    }

    fn asset(&mut self, id: &AssetId) -> Result<Option<Asset>, DbError> {
        match self.group.assets.get(id) {
            Some(a) => Ok(Some(a.clone())),
            None if self.creates.contains(id) => Ok(None),
            None => db::state::asset(self.conn, id),
        }
    }

    fn holder_of(&mut self, identity_key: &str) -> Result<Option<AssetId>, DbError> {
        match self.group.identities.get(identity_key) {
            Some(h) => Ok(Some(*h)),
            None => db::state::holder_of(self.conn, identity_key),
        }
    }
}

/// Parties and devices as the writer last saw them: few, read on nearly every record, and
/// changed only by the writer itself, so it keeps them (absences included) in memory.
#[derive(Default)]
pub(super) struct KnownKeys {
    parties: HashMap<PartyId, Option<Party>>,
    devices: HashMap<PublicKey, Option<Device>>,
}

impl KnownKeys {
    fn party(&mut self, conn: &mut SqliteConnection, id: &PartyId) -> Result<Option<Party>, DbError> {
        if let Some(known) = self.parties.get(id) {
            return Ok(known.clone());
        }
        let found = db::state::party(conn, id)?;
        self.parties.insert(*id, found.clone());
        Ok(found)
    }

    fn device(&mut self, conn: &mut SqliteConnection, key: &PublicKey) -> Result<Option<Device>, DbError> {
        if let Some(known) = self.devices.get(key) {
            return Ok(known.clone());
        }
        let found = db::state::device(conn, key)?;
        self.devices.insert(*key, found.clone());
        Ok(found)
    }

    /// After a commit: what the group wrote is now the truth.
    pub fn learn(&mut self, parties: Vec<Party>, devices: Vec<Device>) {
        for p in parties {
            self.parties.insert(p.id, Some(p));
        }
        for d in devices {
            self.devices.insert(d.key, Some(d));
        }
    }

    /// After a failed commit: forget everything, the store is the truth.
    pub fn forget(&mut self) {
        self.parties.clear();
        self.devices.clear();
    }
}
