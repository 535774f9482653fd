//! Signed records, generated on two threads: the operator's registrations, then batches of
//! tea-lot commissions (every record unique), some lots with a GS1 key, and in the ledger-filling
//! mix every tenth record a transfer of the lot commissioned just before it.

use std::collections::BTreeSet;

use terroir_shared::asset::{AssetId, AssetRef, Packing, Product, Quantity, TeaLot, TeaOrigin, Unit};
use terroir_shared::calendar::{Date, Timestamp};
use terroir_shared::crypto::Keypair;
use terroir_shared::gs1::{DigitalLink, Gtin};
use terroir_shared::party::{PartyId, Role};
use terroir_shared::record::{Act, Commission, NewAsset, Record, RegisterParty, Signed, Transfer, Unsigned};

use super::ORIGIN;

/// Co-ops commissioning lots, each with its own key.
pub const COOPS: u64 = 4;
/// One lot in this many carries a GS1 key.
pub const GS1_EVERY: u64 = 10;

pub fn coop(k: u64) -> Keypair {
    Keypair::from_seed(&[10 + (k % COOPS) as u8; 32])
}

pub fn trader() -> Keypair {
    Keypair::from_seed(&[60; 32])
}

fn party(k: &Keypair) -> PartyId {
    PartyId(k.public())
}

fn sign(key: &Keypair, at: u64, act: Act) -> anyhow::Result<Signed<Record>> {
    let record =
        Record { origin: ORIGIN.into(), party: party(key), signer: key.public(), at: Timestamp(at), act };
    Ok(Unsigned::new(record).sign(key)?)
}

/// The operator registers the co-ops and a trader: one batch, JSON envelopes.
pub fn registrations(operator: &Keypair, at: u64) -> anyhow::Result<Vec<String>> {
    let mut out = Vec::new();
    let mut register = |k: &Keypair, name: String, role: Role| -> anyhow::Result<()> {
        let act = Act::RegisterParty(RegisterParty {
            id: party(k),
            name,
            roles: [role].into_iter().collect::<BTreeSet<_>>(),
            contact: None,
        });
        out.push(serde_json::to_string(&sign(operator, at, act)?)?);
        Ok(())
    };
    for k in 0..COOPS {
        register(&coop(k), format!("Tea co-op {k}"), Role::Cooperative)?;
    }
    register(&trader(), "Tea trader".into(), Role::Trader)?;
    Ok(out)
}

/// What a reader can ask for about a lot.
#[derive(Clone, Debug)]
pub struct Target {
    pub asset: AssetId,
    /// `/01/{gtin}/10/{lot}` if the lot has a GS1 key.
    pub gs1: Option<String>,
}

/// Records `first..first + items.len()`, in order, as JSON envelopes.
pub struct Batch {
    pub items: Vec<String>,
    pub targets: Vec<Target>,
}

impl Batch {
    /// The body of `POST /api/records/batch`.
    pub fn body(&self) -> String {
        let mut s = String::with_capacity(self.items.iter().map(|i| i.len() + 1).sum::<usize>() + 2);
        s.push('[');
        for (k, item) in self.items.iter().enumerate() {
            if k > 0 {
                s.push(',');
            }
            s.push_str(item);
        }
        s.push(']');
        s
    }
}

fn gtin() -> anyhow::Result<Gtin> {
    Ok(Gtin::from_prefix_and_item("0950600013435")?)
}

fn lot(i: u64, gs1: Option<DigitalLink>) -> anyhow::Result<NewAsset> {
    Ok(NewAsset {
        product: Product::TeaLot(TeaLot {
            origin: TeaOrigin {
                garden: format!("Garden {i}"),
                mountain: Some(["Bulang", "Yiwu", "Jingmai", "Mengku"][(i % 4) as usize].into()),
                harvest_season: "2026 spring".into(),
            },
            pressed_on: Date::from_ymd(2026, 4, 1 + (i % 28) as u8)?,
            cake_weight_g: 357,
            packing: Packing::Lot,
        }),
        quantity: Quantity::new(1 + i % 5_000, Unit::Piece)?,
        gs1,
        part_of: None,
        units: None,
    })
}

/// Generates `batches` batches of `size` records, the first record being number `first`.
/// With `transfers`, every tenth record transfers the lot commissioned just before it (in the
/// same batch, so batches may be submitted in any order).
pub fn batch(first: u64, size: u64, transfers: bool, at: u64) -> anyhow::Result<Batch> {
    let gtin = gtin()?;
    let trader = party(&trader());
    let mut items = Vec::with_capacity(size as usize);
    let mut targets = Vec::new();
    let mut previous: Option<(u64, Signed<Record>)> = None;
    for i in first..first + size {
        let signed = match previous.take() {
            Some((owner, commission)) if transfers && i % 10 == 9 => {
                let asset = AssetRef { id: AssetId::derive(&commission.id(), 0), head: commission.id() };
                sign(&coop(owner), at, Act::Transfer(Transfer { assets: vec![asset], to: trader }))?
            }
            _ => {
                let link = if i % GS1_EVERY == 3 {
                    Some(DigitalLink::new(gtin, None, Some(&format!("B{i}")), None)?)
                } else {
                    None
                };
                let path = link.as_ref().map(DigitalLink::to_path);
                let owner = i % COOPS;
                let signed = sign(&coop(owner), at, Act::Commission(Commission::new(vec![lot(i, link)?])))?;
                targets.push(Target { asset: AssetId::derive(&signed.id(), 0), gs1: path });
                previous = Some((owner, signed.clone()));
                signed
            }
        };
        items.push(serde_json::to_string(&signed)?);
    }
    Ok(Batch { items, targets })
}

/// `count` batches of `size` records from record number `first`, signed on two threads.
pub fn batches(first: u64, count: u64, size: u64, transfers: bool, at: u64) -> anyhow::Result<Vec<Batch>> {
    let results: Vec<anyhow::Result<Vec<(u64, Batch)>>> = std::thread::scope(|s| {
        let handles: Vec<_> = (0..2u64)
            .map(|t| {
                s.spawn(move || {
                    (0..count)
                        .filter(|b| b % 2 == t)
                        .map(|b| batch(first + b * size, size, transfers, at).map(|x| (b, x)))
                        .collect::<anyhow::Result<Vec<_>>>()
                })
            })
            .collect();
        handles
            .into_iter()
            .map(|h| h.join().unwrap_or_else(|_| Err(anyhow::anyhow!("a signing thread panicked"))))
            .collect()
    });
    let mut all = Vec::with_capacity(count as usize);
    for r in results {
        all.extend(r?);
    }
    all.sort_by_key(|(b, _)| *b);
    Ok(all.into_iter().map(|(_, b)| b).collect())
}
