//! An asset's history as a chain of heads: every record that changes an asset becomes its
//! head, and every record that names it names the head it saw. A history someone hands over
//! (a server, a mirror) is whole only if it starts with the record that created the asset, each
//! record that names the asset names the head the one before it made, and it ends at the
//! asset's current head: a record left out in between breaks the chain at the next one.

use crate::Hash;
use crate::asset::{Asset, AssetId};
use crate::record::Record;

/// Where a history fails to chain.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum ChainError {
    #[error("the history is empty")]
    Empty,
    #[error("the history starts with record {found}, not with {created_by}, which created the asset")]
    Start { found: Hash, created_by: Hash },
    #[error(
        "record {record} names the asset at head {named}, but the history before it ends at {head}: a record is missing"
    )]
    Gap { record: Hash, named: Hash, head: Hash },
    #[error("the history ends at record {head}, not at the asset's current head {current}")]
    End { head: Hash, current: Hash },
}

/// Checks that `history` (the records that changed `asset`, oldest first, each with its id)
/// runs from the record that created it to its current head with nothing left out. Records that
/// changed it without naming it (a unit following the lot it is packed in) advance the head
/// unchecked; the next record that names it, or the current head, checks them.
pub fn check_chain<'a>(
    asset: &Asset,
    history: impl IntoIterator<Item = (Hash, &'a Record)>,
) -> Result<(), ChainError> {
    let mut history = history.into_iter();
    let (first, _) = history.next().ok_or(ChainError::Empty)?;
    if first != asset.created_by {
        return Err(ChainError::Start { found: first, created_by: asset.created_by });
    }
    let mut head = first;
    for (id, record) in history {
        if let Some(named) = names(record, &asset.id)
            && named != head
        {
            return Err(ChainError::Gap { record: id, named, head });
        }
        head = id;
    }
    if head != asset.head {
        return Err(ChainError::End { head, current: asset.head });
    }
    Ok(())
}

/// The head at which `record` names asset `id`, if it names it.
fn names(record: &Record, id: &AssetId) -> Option<Hash> {
    record.act.touches().into_iter().find(|r| r.id == *id).map(|r| r.head)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::asset::{AssetRef, Generic, Product, Quantity, Status, Unit};
    use crate::calendar::Timestamp;
    use crate::crypto::Keypair;
    use crate::party::PartyId;
    use crate::record::{Act, Event, Observe};

    /// A note on asset `id` at head `head`.
    fn note(id: AssetId, head: Hash, n: u64) -> Record {
        let key = Keypair::from_seed(&[7; 32]).public();
        Record {
            origin: "ledger.test/log".into(),
            party: PartyId(key),
            signer: key,
            at: Timestamp(n),
            act: Act::Observe(Observe {
                assets: vec![AssetRef { id, head }],
                event: Event::Note { text: format!("note {n}") },
                attachments: vec![],
            }),
        }
    }

    #[test]
    fn a_history_chains_and_one_left_out_breaks_it_where_it_was() {
        let created_by = Hash::sha256(b"commission");
        let id = AssetId::derive(&created_by, 0);
        // Three notes, each naming the head the one before made; ids stand in for record ids.
        let (a, b, c) = (Hash::sha256(b"a"), Hash::sha256(b"b"), Hash::sha256(b"c"));
        let (na, nb, nc) = (note(id, created_by, 1), note(id, a, 2), note(id, b, 3));
        let opening = note(id, Hash::default(), 0);
        let party = PartyId(Keypair::from_seed(&[7; 32]).public());
        let asset = Asset {
            id,
            product: Product::Generic(Generic { name: "goods".into() }),
            quantity: Quantity::new(1, Unit::Piece).expect("a quantity"),
            gs1: None,
            owner: party,
            custodian: party,
            status: Status::Active,
            parents: vec![],
            created_by,
            head: c,
            head_at: None,
            weighed_g: None,
            contents: vec![],
        };
        let whole = [(created_by, &opening), (a, &na), (b, &nb), (c, &nc)];
        assert_eq!(check_chain(&asset, whole), Ok(()));
        let gap = [(created_by, &opening), (a, &na), (c, &nc)];
        assert_eq!(check_chain(&asset, gap), Err(ChainError::Gap { record: c, named: b, head: a }));
        let short = [(created_by, &opening), (a, &na), (b, &nb)];
        assert_eq!(check_chain(&asset, short), Err(ChainError::End { head: b, current: c }));
        let late = [(a, &na), (b, &nb), (c, &nc)];
        assert!(matches!(check_chain(&asset, late), Err(ChainError::Start { .. })));
        assert_eq!(check_chain(&asset, []), Err(ChainError::Empty));
    }
}
