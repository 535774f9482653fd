//! Loading exactly the state a record's rules read, from wherever a store keeps it, into a
//! small in-memory ledger: what [`super::needs`] names, then the units packed in the holders
//! the record moves ([`super::unit_needs`]), which only those holders name.

use super::{Effects, LedgerView, MemoryLedger, Needs, unit_needs};
use crate::asset::{Asset, AssetId};
use crate::crypto::PublicKey;
use crate::party::{Device, Party, PartyId};
use crate::record::Record;

/// Where a snapshot's state is read from: a database, changes not yet written in front of it,
/// or another ledger in memory.
pub trait StateSource {
    type Error;
    fn party(&mut self, id: &PartyId) -> Result<Option<Party>, Self::Error>;
    fn device(&mut self, key: &PublicKey) -> Result<Option<Device>, Self::Error>;
    fn asset(&mut self, id: &AssetId) -> Result<Option<Asset>, Self::Error>;
    /// The asset holding a unique identity key (a GS1 key, an ear tag), if any.
    fn holder_of(&mut self, identity_key: &str) -> Result<Option<AssetId>, Self::Error>;
}

/// Exactly the state the rules read to judge `record`, whose needs are `needs`: [`super::apply`]
/// gives the same verdict on it as on the whole state `source` holds.
pub fn snapshot<S: StateSource>(
    source: &mut S,
    record: &Record,
    needs: &Needs,
) -> Result<MemoryLedger, S::Error> {
    let mut effects = Effects::default();
    for id in &needs.parties {
        effects.parties.extend(source.party(id)?);
    }
    for key in &needs.devices {
        effects.devices.extend(source.device(key)?);
    }
    for id in &needs.assets {
        effects.assets.extend(source.asset(id)?);
    }
    let mut snapshot = MemoryLedger::new();
    snapshot.store(effects);
    for key in &needs.identity_keys {
        if let Some(holder) = source.holder_of(key)? {
            snapshot.insert_identity(key.clone(), holder);
        }
    }
    // Then the units packed in the holders it moves, which only the holders name.
    let mut units = Effects::default();
    for id in unit_needs(record, &snapshot) {
        units.assets.extend(source.asset(&id)?);
    }
    snapshot.store(units);
    Ok(snapshot)
}

/// Any ledger the rules can read is a source that cannot fail.
impl<V: LedgerView + ?Sized> StateSource for &V {
    type Error = std::convert::Infallible;

    fn party(&mut self, id: &PartyId) -> Result<Option<Party>, Self::Error> {
        Ok(LedgerView::party(*self, id))
    }

    fn device(&mut self, key: &PublicKey) -> Result<Option<Device>, Self::Error> {
        Ok(LedgerView::device(*self, key))
    }

    fn asset(&mut self, id: &AssetId) -> Result<Option<Asset>, Self::Error> {
        Ok(LedgerView::asset(*self, id))
    }

    fn holder_of(&mut self, identity_key: &str) -> Result<Option<AssetId>, Self::Error> {
        Ok(LedgerView::holder_of(*self, identity_key))
    }
}
