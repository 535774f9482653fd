//! Exactly the state a record's rules read, so a store can load it up front (in the
//! transaction that will write the effects) and hand the rules a small in-memory snapshot.

use super::Rules;
use super::outputs::expand;
use crate::asset::{AssetId, Product, garden_cap_key, gs1_identity_key, identity_keys};
use crate::crypto::PublicKey;
use crate::gs1::DigitalLink;
use crate::party::PartyId;
use crate::record::{Act, NewAsset, Record, Signed};

/// The keys of everything [`super::apply`] may look up for one record.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Needs {
    pub parties: Vec<PartyId>,
    pub devices: Vec<PublicKey>,
    pub assets: Vec<AssetId>,
    pub identity_keys: Vec<String>,
    /// The ids of the assets the record would create (also in `assets`): they exist only if
    /// this very record was applied before.
    pub creates: Vec<AssetId>,
}

/// What the rules will read to judge `record` on a ledger that runs `rules` (identity keys are
/// spelled as they spell them). Loading exactly this, then [`super::unit_needs`], into a
/// [`super::MemoryLedger`] ([`super::snapshot`] does) and calling [`super::apply`] gives the
/// same verdict as the full state.
pub fn needs(signed: &Signed<Record>, rules: Rules) -> Needs {
    let record = signed.body();
    let mut n = Needs { parties: vec![record.party], devices: vec![record.signer], ..Needs::default() };
    n.assets = record.act.touches().iter().map(|r| r.id).collect();
    // New assets with generated cake tokens expanded, exactly as the rules will see them.
    let listed: &[NewAsset] = match &record.act {
        Act::Commission(a) => &a.assets,
        Act::Transform(a) => &a.outputs,
        _ => &[],
    };
    let expanded = expand(listed).unwrap_or(std::borrow::Cow::Borrowed(listed));
    // The ids this record would create: if one exists, the record was applied before.
    let created = match &record.act {
        Act::Commission(_) | Act::Transform(_) => expanded.len(),
        Act::Split(a) => a.parts.len(),
        Act::Merge(_) => 1,
        _ => 0,
    };
    n.creates = super::outputs::output_ids(&signed.id(), created.min(super::MAX_OUTPUTS));
    n.assets.extend(n.creates.iter().copied());
    let outputs: Vec<Output<'_>> = match &record.act {
        Act::OpenLedger(_) => vec![],
        Act::RegisterParty(a) => {
            n.parties.push(a.id);
            n.devices.push(a.id.0);
            vec![]
        }
        Act::AuthoriseDevice(a) => {
            n.parties.push(PartyId(a.device));
            n.devices.push(a.device);
            vec![]
        }
        Act::RevokeDevice(a) => {
            n.devices.push(a.device);
            vec![]
        }
        Act::Commission(_) | Act::Transform(_) => new_assets(&expanded),
        Act::Transfer(a) => {
            n.parties.push(a.to);
            vec![]
        }
        Act::Custody(a) => {
            n.parties.push(a.to);
            vec![]
        }
        Act::Pledge(a) => {
            n.parties.push(a.financier);
            vec![]
        }
        // A split or merge copies the product of assets already in `n.assets`; only its new
        // GS1 keys can be claimed. Ear tags belong to live cattle, which never split or merge.
        Act::Split(a) => {
            n.identity_keys.extend(a.parts.iter().filter_map(|p| p.gs1.as_ref()).map(gs1_identity_key));
            vec![]
        }
        Act::Merge(a) => {
            n.identity_keys.extend(a.gs1.as_ref().map(gs1_identity_key));
            vec![]
        }
        Act::Observe(_) | Act::Release(_) | Act::Retire(_) | Act::Unpack(_) => vec![],
    };
    // Keys as the ledger's rules spell them.
    for (product, gs1) in outputs {
        n.identity_keys.extend(identity_keys(product, gs1, &record.party, rules));
    }
    // The caps new tea may draw on: found by key, whether or not the record names them.
    let origins = listed.iter().filter_map(|a| a.product.tea_origin());
    n.identity_keys
        .extend(origins.map(|o| garden_cap_key(&record.party, &o.garden, &o.harvest_season, rules)));
    n.identity_keys.sort_unstable();
    n.identity_keys.dedup();
    n
}

type Output<'a> = (&'a Product, Option<&'a DigitalLink>);

fn new_assets(assets: &[NewAsset]) -> Vec<Output<'_>> {
    assets.iter().map(|a| (&a.product, a.gs1.as_ref())).collect()
}
