//! An in-memory ledger state: for tests, for the station's view of its own records, and for an
//! auditor replaying the log.

use std::collections::HashMap;

use super::{Context, Effects, LedgerView, RuleViolation, apply};
use crate::Hash;
use crate::asset::{Asset, AssetId};
use crate::crypto::PublicKey;
use crate::party::{Device, Party, PartyId};
use crate::record::{Record, Signed};

/// Parties, devices and assets held in hash maps.
#[derive(Clone, Debug, Default)]
pub struct MemoryLedger {
    parties: HashMap<PartyId, Party>,
    devices: HashMap<PublicKey, Device>,
    assets: HashMap<AssetId, Asset>,
    identities: HashMap<String, AssetId>,
}

impl MemoryLedger {
    pub fn new() -> Self {
        Self::default()
    }

    /// Checks `record` against the current state and, if accepted, applies it.
    pub fn submit(&mut self, record: &Signed<Record>, ctx: &Context<'_>) -> Result<Hash, RuleViolation> {
        let effects = apply(self, record, ctx)?;
        self.store(effects);
        Ok(record.id())
    }

    /// Stores the effects of an accepted record.
    pub fn store(&mut self, effects: Effects) {
        for p in effects.parties {
            self.parties.insert(p.id, p);
        }
        for d in effects.devices {
            self.devices.insert(d.key, d);
        }
        for (key, asset) in effects.identities {
            self.identities.entry(key).or_insert(asset);
        }
        for a in effects.assets {
            self.assets.insert(a.id, a);
        }
    }

    /// Records that `asset` holds `key`: for snapshots loaded from a store.
    pub fn insert_identity(&mut self, key: String, asset: AssetId) {
        self.identities.insert(key, asset);
    }

    /// An asset, without a copy.
    pub fn asset_by_id(&self, id: &AssetId) -> Option<&Asset> {
        self.assets.get(id)
    }

    pub fn assets(&self) -> impl Iterator<Item = &Asset> {
        self.assets.values()
    }

    pub fn parties(&self) -> impl Iterator<Item = &Party> {
        self.parties.values()
    }

    pub fn devices(&self) -> impl Iterator<Item = &Device> {
        self.devices.values()
    }

    /// Every identity key and the asset holding it.
    pub fn identities(&self) -> impl Iterator<Item = (&String, &AssetId)> {
        self.identities.iter()
    }
}

impl LedgerView for MemoryLedger {
    fn party(&self, id: &PartyId) -> Option<Party> {
        self.parties.get(id).cloned()
    }

    fn device(&self, key: &PublicKey) -> Option<Device> {
        self.devices.get(key).cloned()
    }

    fn asset(&self, id: &AssetId) -> Option<Asset> {
        self.assets.get(id).cloned()
    }

    fn holder_of(&self, identity_key: &str) -> Option<AssetId> {
        self.identities.get(identity_key).copied()
    }
}
