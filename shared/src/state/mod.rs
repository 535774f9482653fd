//! The state map: an authenticated map from every asset, identity key, device key and party to
//! where it stands now, whose root each signed checkpoint commits to. A buyer's phone checks a
//! proof from it against the checkpoint and so knows it was shown an asset's latest record, that
//! a station key was not revoked before it signed, or that a code was never issued.
//!
//! What changes is a pure function of the rules' [`Effects`] and the entry that caused them
//! ([`changes`]), so the writer, `audit`, a monitor and the tests agree. The map is a Jellyfish
//! Merkle tree over SHA-256 (the `jmt` crate): its root depends only on the keys and values it
//! holds, not on how the changes were grouped. [`proof`] is the compact proof the phone folds;
//! [`tree`] runs the tree over any node store.

pub mod proof;
pub mod tree;

use crate::Hash;
use crate::asset::{AssetId, Status};
use crate::crypto::PublicKey;
use crate::party::{Device, PartyId};
use crate::rules::Effects;

pub use proof::{MapProof, MapProofError};
pub use tree::{MapError, MemoryMap, Written};

/// The domain every map key is hashed under.
const KEY_DOMAIN: &[u8] = b"terroir-state-v1\n";

/// What a map key names; its byte is hashed into the key.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Kind {
    Asset = 1,
    Identity = 2,
    Device = 3,
    Party = 4,
}

/// The map key of `key` of this kind: SHA-256("terroir-state-v1\n" ‖ kind ‖ key).
pub fn key(kind: Kind, key: &[u8]) -> Hash {
    Hash::sha256_parts(&[KEY_DOMAIN, &[kind as u8], key])
}

pub fn asset_key(id: &AssetId) -> Hash {
    key(Kind::Asset, id.0.as_bytes())
}

/// The key of an identity as the rules spell it (`gs1:/01/…/21/…`, `ear-tag:…`, `garden:…`).
pub fn identity_key(identity: &str) -> Hash {
    key(Kind::Identity, identity.as_bytes())
}

pub fn device_key(device: &PublicKey) -> Hash {
    key(Kind::Device, device.as_bytes())
}

pub fn party_key(party: &PartyId) -> Hash {
    key(Kind::Party, party.0.as_bytes())
}

/// Where an asset stands: the entry that last touched it and that entry's leaf hash (its head),
/// and its status. 41 bytes: index (u64 big-endian) ‖ leaf hash ‖ status code.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct AssetHead {
    pub index: u64,
    pub leaf: Hash,
    pub status: StatusCode,
}

/// A status as one byte.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum StatusCode {
    Active = 0,
    Pledged = 1,
    Contained = 2,
    Consumed = 3,
    Retired = 4,
}

impl From<&Status> for StatusCode {
    fn from(s: &Status) -> Self {
        match s {
            Status::Active => Self::Active,
            Status::Pledged { .. } => Self::Pledged,
            Status::Contained { .. } => Self::Contained,
            Status::Consumed => Self::Consumed,
            Status::Retired { .. } => Self::Retired,
        }
    }
}

impl StatusCode {
    fn from_byte(b: u8) -> Option<Self> {
        [Self::Active, Self::Pledged, Self::Contained, Self::Consumed, Self::Retired].get(b as usize).copied()
    }
}

impl AssetHead {
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut v = Vec::with_capacity(41);
        v.extend_from_slice(&self.index.to_be_bytes());
        v.extend_from_slice(self.leaf.as_bytes());
        v.push(self.status as u8);
        v
    }

    pub fn from_bytes(b: &[u8]) -> Option<Self> {
        let b: &[u8; 41] = b.try_into().ok()?;
        Some(Self {
            index: u64::from_be_bytes(b[..8].try_into().ok()?),
            leaf: Hash(b[8..40].try_into().ok()?),
            status: StatusCode::from_byte(b[40])?,
        })
    }
}

/// Where a device key stands: the party it signs for, whether it is revoked, and the entry that
/// put it so (its authorisation, or its revocation). 41 bytes: party ‖ 0 authorised or 1
/// revoked ‖ index (u64 big-endian).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct DeviceState {
    pub party: PartyId,
    pub revoked: bool,
    pub since: u64,
}

impl DeviceState {
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut v = Vec::with_capacity(41);
        v.extend_from_slice(self.party.0.as_bytes());
        v.push(u8::from(self.revoked));
        v.extend_from_slice(&self.since.to_be_bytes());
        v
    }

    pub fn from_bytes(b: &[u8]) -> Option<Self> {
        let b: &[u8; 41] = b.try_into().ok()?;
        let party = PublicKey::from_bytes(b[..32].try_into().ok()?).ok()?;
        let revoked = match b[32] {
            0 => false,
            1 => true,
            _ => return None,
        };
        Some(Self { party: PartyId(party), revoked, since: u64::from_be_bytes(b[33..].try_into().ok()?) })
    }

    fn of(device: &Device, index: u64) -> Self {
        Self { party: device.party, revoked: device.revoked_by.is_some(), since: index }
    }
}

/// One key set to one value.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Change {
    pub key: Hash,
    pub value: Vec<u8>,
}

/// What entry `index` (leaf hash `leaf`), whose record had `effects`, changes in the map: every
/// asset it touched now has it as head; every device it authorised or revoked, every party it
/// registered, every identity its new assets took. Values are never removed.
pub fn changes(index: u64, leaf: &Hash, effects: &Effects) -> Vec<Change> {
    let assets = effects.assets.iter().map(|a| Change {
        key: asset_key(&a.id),
        value: AssetHead { index, leaf: *leaf, status: StatusCode::from(&a.status) }.to_bytes(),
    });
    let identities = effects
        .identities
        .iter()
        .map(|(k, a)| Change { key: identity_key(k), value: a.0.as_bytes().to_vec() });
    let devices = effects
        .devices
        .iter()
        .map(|d| Change { key: device_key(&d.key), value: DeviceState::of(d, index).to_bytes() });
    let parties =
        effects.parties.iter().map(|p| Change { key: party_key(&p.id), value: index.to_be_bytes().to_vec() });
    assets.chain(identities).chain(devices).chain(parties).collect()
}

/// The changes of many entries in order, a later value of a key replacing an earlier one: what
/// one version of the map takes in.
#[derive(Clone, Debug, Default)]
pub struct ChangeSet {
    values: std::collections::BTreeMap<Hash, Vec<u8>>,
}

impl ChangeSet {
    pub fn add(&mut self, changes: impl IntoIterator<Item = Change>) {
        for c in changes {
            self.values.insert(c.key, c.value);
        }
    }

    pub fn is_empty(&self) -> bool {
        self.values.is_empty()
    }

    pub fn len(&self) -> usize {
        self.values.len()
    }

    pub fn into_changes(self) -> Vec<Change> {
        self.values.into_iter().map(|(key, value)| Change { key, value }).collect()
    }
}
