//! An asset's history as a chain of heads: every record that changes an asset becomes its
//! head, and every record that names it names the head it saw. A history someone hands over
//! (a server, a mirror) is whole only if it starts with the record that created the asset, each
//! record that names the asset names the head the one before it made, and it ends at the
//! asset's current head: a record left out in between breaks the chain at the next one.

use crate::Hash;
use crate::asset::{Asset, AssetId};
use crate::record::{Record, Signed};
use crate::rules::{Rules, needs};

/// Where a history fails to chain.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum ChainError {
    #[error("the history is empty")]
    Empty,
    #[error("the history starts with record {found}, which did not create the asset")]
    Start { found: Hash },
    #[error(
        "record {record} names the asset at head {named}, but the history before it ends at {head}: a record is missing"
    )]
    Gap { record: Hash, named: Hash, head: Hash },
    #[error(
        "record {record} names neither the asset nor a lot it was packed in: it is not part of this history"
    )]
    Unrelated { record: Hash },
    #[error("record {record} appears twice in the history")]
    Repeated { record: Hash },
    #[error("the history ends at record {head}, not at the asset's current head {current}")]
    End { head: Hash, current: Hash },
}

/// Checks that `history` (the signed records that changed `asset`, oldest first) runs from the
/// record that created it to its current head with nothing left out:
/// - the first record creates the asset (its id derives from that record);
/// - each record that names the asset names the head the one before made;
/// - a record that changed it without naming it (a unit following the lot it is packed in)
///   names a lot it was packed in: one it was made in, or one a record of this history made
///   (the parts of a split, the lot a merge made). Such a record is tied to the asset this way,
///   as the buyer's page ties it; whether the lot's own history is whole is the lot's check;
/// - no record comes twice, and the last is the asset's current head.
pub fn check_chain<'a>(
    asset: &Asset,
    history: impl IntoIterator<Item = &'a Signed<Record>>,
) -> Result<(), ChainError> {
    let mut history = history.into_iter();
    let first = history.next().ok_or(ChainError::Empty)?;
    let created = needs(first, Rules::CURRENT).creates;
    if !created.contains(&asset.id) {
        return Err(ChainError::Start { found: first.id() });
    }
    // The lots it may be packed in: those it was made in, and those records here made.
    let mut holders: Vec<AssetId> = asset.parents.clone();
    holders.extend(created.iter().filter(|id| **id != asset.id));
    if let crate::asset::Status::Contained { holder } = asset.status {
        holders.push(holder);
    }
    let mut seen = vec![first.id()];
    let mut head = first.id();
    for signed in history {
        let id = signed.id();
        if seen.contains(&id) {
            return Err(ChainError::Repeated { record: id });
        }
        let touched = signed.body().act.touches();
        match touched.iter().find(|r| r.id == asset.id) {
            Some(named) if named.head != head => {
                return Err(ChainError::Gap { record: id, named: named.head, head });
            }
            Some(_) => {}
            None if touched.iter().any(|r| holders.contains(&r.id)) => {}
            None => return Err(ChainError::Unrelated { record: id }),
        }
        holders.extend(needs(signed, Rules::CURRENT).creates);
        seen.push(id);
        head = id;
    }
    if head != asset.head {
        return Err(ChainError::End { head, current: asset.head });
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::asset::{AssetRef, Generic, Product, Quantity, Status, Unit};
    use crate::calendar::Timestamp;
    use crate::crypto::Keypair;
    use crate::party::PartyId;
    use crate::record::{Act, Commission, Event, NewAsset, Observe, Unsigned};

    fn signed(act: Act, n: u64) -> Signed<Record> {
        let key = Keypair::from_seed(&[7; 32]);
        let record = Record {
            origin: "ledger.test/log".into(),
            party: PartyId(key.public()),
            signer: key.public(),
            at: Timestamp(n),
            act,
        };
        Unsigned::new(record).sign(&key).expect("signed")
    }

    fn note(id: AssetId, head: Hash, n: u64) -> Signed<Record> {
        let event = Event::Note { text: format!("note {n}") };
        signed(Act::Observe(Observe { assets: vec![AssetRef { id, head }], event, attachments: vec![] }), n)
    }

    #[test]
    fn a_history_chains_and_one_left_out_repeated_or_foreign_breaks_it() {
        let party = PartyId(Keypair::from_seed(&[7; 32]).public());
        let product = Product::Generic(Generic { name: "goods".into() });
        let quantity = Quantity::new(1, Unit::Piece).expect("a quantity");
        let made = NewAsset { product: product.clone(), quantity, gs1: None, part_of: None, units: None };
        let commission = signed(Act::Commission(Commission::new(vec![made])), 0);
        let id = AssetId::derive(&commission.id(), 0);
        let a = note(id, commission.id(), 1);
        let b = note(id, a.id(), 2);
        let c = note(id, b.id(), 3);
        let foreign = note(AssetId(Hash::sha256(b"another asset")), Hash::default(), 4);
        let asset = Asset {
            id,
            product,
            quantity,
            gs1: None,
            owner: party,
            custodian: party,
            status: Status::Active,
            parents: vec![],
            created_by: commission.id(),
            head: c.id(),
            head_at: None,
            weighed_g: None,
            contents: vec![],
        };
        assert_eq!(check_chain(&asset, [&commission, &a, &b, &c]), Ok(()));
        let gap = check_chain(&asset, [&commission, &a, &c]);
        assert_eq!(gap, Err(ChainError::Gap { record: c.id(), named: b.id(), head: a.id() }));
        let short = check_chain(&asset, [&commission, &a, &b]);
        assert_eq!(short, Err(ChainError::End { head: b.id(), current: c.id() }));
        // A record that did not create it cannot start its history, whatever the server says
        // created it.
        let claimed = Asset { created_by: a.id(), ..asset.clone() };
        assert_eq!(check_chain(&claimed, [&a, &b, &c]), Err(ChainError::Start { found: a.id() }));
        let unrelated = check_chain(&asset, [&commission, &a, &foreign, &b, &c]);
        assert_eq!(unrelated, Err(ChainError::Unrelated { record: foreign.id() }));
        let twice = check_chain(&asset, [&commission, &a, &a, &b, &c]);
        assert_eq!(twice, Err(ChainError::Repeated { record: a.id() }));
        assert_eq!(check_chain(&asset, []), Err(ChainError::Empty));
    }
}
