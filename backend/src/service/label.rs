//! What a label's scan shows: the asset, where it came from (its ancestors up to the
//! commissioned origins), every record that touched any of them, and who the parties are.
//! The buyer's page and the label's JSON answer are both rendered from one [`Label`]; the
//! [`Evidence`] adds what a phone needs to check it alone: the signed entries, each with its
//! inclusion proof, and the checkpoint they are proven against.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::RwLock;

use diesel::sqlite::SqliteConnection;
use terroir_shared::Hash;
use terroir_shared::api::{self, ProvenLeaf, ShownAsset};
use terroir_shared::asset::{Asset, AssetId, Product, Status, garden_cap_key};
use terroir_shared::entry::LedgerEntry;
use terroir_shared::log::prove_inclusion;
use terroir_shared::party::{Party, PartyId};
use terroir_shared::record::{Act, Record};
use terroir_shared::rules::Rules;

use super::ServiceError;
use super::cache::AssetCache;
use crate::db::map::NodeCache;
use crate::db::{self, DbError, nodes::DbNodes};

/// The most ancestors a label shows: far more than any real chain (animal → carcass → cut,
/// maocha → lot → sub-lot → cake), few enough to keep a page light.
pub const MAX_ANCESTORS: usize = 64;

/// An asset and everything its label shows.
#[derive(Debug)]
pub struct Label {
    pub asset: Asset,
    /// The asset's JSON as stored: exactly what `/api/assets/{id}` serves.
    pub json: String,
    /// Where it came from, breadth first: parents (and, for a unit packed in a lot, that lot),
    /// then theirs.
    pub ancestors: Vec<Asset>,
    /// Every entry that touched the asset or an ancestor, oldest first.
    pub events: Vec<LabelEvent>,
    /// Every party named by the asset, its ancestors or their records.
    pub parties: BTreeMap<PartyId, Party>,
    /// The garden caps the tea's leaves were registered against, as they stand now.
    pub caps: Vec<Asset>,
}

/// One entry of the journey.
#[derive(Debug)]
pub struct LabelEvent {
    pub index: u64,
    pub record_id: Hash,
    pub entry: LedgerEntry,
}

impl LabelEvent {
    pub fn record(&self) -> &Record {
        &self.entry.record.record
    }

    /// A stored entry as the label shows it (see [`super::reads::shown_entry`]).
    fn shown(row: db::entries::EntryRow) -> Result<Self, ServiceError> {
        let view = super::reads::shown_entry(row)?;
        Ok(Self { index: view.index, record_id: view.record_id, entry: view.entry })
    }
}

impl Label {
    /// Whether nothing this label shows can change any more: every ancestor is used up or out
    /// of the chain, so only a record touching the asset itself could change the page.
    pub fn lineage_settled(&self) -> bool {
        let settled = |a: &Asset| matches!(a.status, Status::Consumed | Status::Retired { .. });
        // A cap still open counts what later tea issues: the page shows it as it grows.
        self.ancestors.iter().all(settled) && self.caps.iter().all(|c| !matches!(c.status, Status::Active))
    }

    /// The asset or ancestor with this id.
    pub fn find(&self, id: &AssetId) -> Option<&Asset> {
        std::iter::once(&self.asset).chain(&self.ancestors).find(|a| a.id == *id)
    }

    pub fn party_name(&self, id: &PartyId) -> Option<&str> {
        self.parties.get(id).map(|p| p.name.as_str())
    }
}

/// Reads the label of `id`; `None` if there is no such asset. Most labels are of goods with no
/// parents and a short journey: their asset, history and creating entry come in one statement,
/// and the rest of the journey (entries, which never change) by point reads. A label with
/// lineage or garden caps is read whole, in one transaction (one snapshot, one lock). Parties
/// come from `cache` when it has them.
pub fn read(
    conn: &mut SqliteConnection,
    id: &AssetId,
    cache: &AssetCache,
) -> Result<Option<Label>, ServiceError> {
    let generation = cache.generation();
    let head = db::state::head(conn, id)?;
    from_head(conn, head, generation, cache)
}

fn from_head(
    conn: &mut SqliteConnection,
    head: Option<db::state::AssetHead>,
    generation: u64,
    cache: &AssetCache,
) -> Result<Option<Label>, ServiceError> {
    let Some(head) = head else {
        return Ok(None);
    };
    let id = head.asset.id;
    match without_lineage(conn, head, generation, cache)? {
        Some(label) => Ok(Some(label)),
        None => read_whole(conn, &id, cache),
    }
}

/// The label of `id` read whole in one transaction: what [`read`] falls back to, and what its
/// short way must always agree with.
pub fn read_whole(
    conn: &mut SqliteConnection,
    id: &AssetId,
    cache: &AssetCache,
) -> Result<Option<Label>, ServiceError> {
    use diesel::Connection as _;
    conn.transaction(|conn| read_within(conn, id, cache))
}

/// The label of an asset with no parents, not packed in a lot, whose journey names no garden
/// cap; `None` for any other, which needs a consistent read of its lineage or caps.
fn without_lineage(
    conn: &mut SqliteConnection,
    head: db::state::AssetHead,
    generation: u64,
    cache: &AssetCache,
) -> Result<Option<Label>, ServiceError> {
    if !head.asset.parents.is_empty()
        || matches!(head.asset.status, Status::Contained { .. })
        || head.history.first() != Some(&(head.created.idx as u64))
    {
        return Ok(None);
    }
    let rest: Vec<i64> = head.history.iter().skip(1).map(|i| *i as i64).collect();
    let mut events = vec![LabelEvent::shown(head.created)?];
    for row in db::entries::some(conn, &rest)? {
        events.push(LabelEvent::shown(row)?);
    }
    if events.iter().any(|e| !e.record().act.allowances().is_empty()) {
        return Ok(None);
    }
    finish(conn, cache, generation, (head.asset, head.json), vec![], events).map(Some)
}

/// [`read`] inside a transaction the caller holds.
fn read_within(
    conn: &mut SqliteConnection,
    id: &AssetId,
    cache: &AssetCache,
) -> Result<Option<Label>, ServiceError> {
    let generation = cache.generation();
    let Some((asset, json, history)) = db::state::asset_with_history(conn, id)? else {
        return Ok(None);
    };
    let ancestors = super::reads::origins_of(conn, asset.clone(), MAX_ANCESTORS)?;
    let mut indexes: BTreeSet<i64> = history.into_iter().map(|i| i as i64).collect();
    for a in &ancestors {
        indexes.extend(db::lineage::entries_of(conn, &a.id)?);
    }
    let indexes: Vec<i64> = indexes.into_iter().collect();
    // In index order, as the rows come.
    let events =
        db::entries::some(conn, &indexes)?.into_iter().map(LabelEvent::shown).collect::<Result<_, _>>()?;
    finish(conn, cache, generation, (asset, json), ancestors, events).map(Some)
}

/// The label of `asset` (parsed, and as stored) with its ancestors and journey: the parties
/// they name (from `cache`, or read and cached at `generation`) and the garden caps they drew on.
fn finish(
    conn: &mut SqliteConnection,
    cache: &AssetCache,
    generation: u64,
    (asset, json): (Asset, String),
    ancestors: Vec<Asset>,
    events: Vec<LabelEvent>,
) -> Result<Label, ServiceError> {
    let mut named: BTreeSet<PartyId> = BTreeSet::new();
    for a in std::iter::once(&asset).chain(&ancestors) {
        named.extend([a.owner, a.custodian]);
        if let Status::Pledged { financier } = a.status {
            named.insert(financier);
        }
    }
    for e in &events {
        named.insert(e.record().party);
        match &e.record().act {
            Act::Transfer(t) => named.insert(t.to),
            Act::Custody(c) => named.insert(c.to),
            Act::Pledge(p) => named.insert(p.financier),
            _ => false,
        };
    }
    let mut parties = BTreeMap::new();
    for p in named {
        let party = match cache.party(&p) {
            Some(party) => Some(party),
            None => db::state::party(conn, &p)?.map(|party| cache.fill_party(generation, party)),
        };
        if let Some(party) = party {
            parties.insert(p, Party::clone(&party));
        }
    }
    let caps = garden_caps(conn, &asset, &ancestors, &events)?;
    Ok(Label { asset, json, ancestors, events, parties, caps })
}

/// The caps of the gardens and seasons the tea comes from that a record bringing its leaves
/// into the ledger drew on (the allowances it names), once each.
fn garden_caps(
    conn: &mut SqliteConnection,
    asset: &Asset,
    ancestors: &[Asset],
    events: &[LabelEvent],
) -> Result<Vec<Asset>, ServiceError> {
    let origins: Vec<_> =
        std::iter::once(asset).chain(ancestors).filter_map(|a| a.product.tea_origin()).collect();
    let mut caps: Vec<Asset> = Vec::new();
    for e in events {
        for allowance in e.record().act.allowances() {
            if caps.iter().any(|c| c.id == allowance.id) {
                continue;
            }
            let Some(cap) = db::state::asset(conn, &allowance.id)? else { continue };
            let Product::TeaGarden(g) = &cap.product else { continue };
            // The cap's key as either version of the rules spells it: the one its ledger runs.
            let draws = [Rules::V1, Rules::V2].into_iter().any(|rules| {
                let key = garden_cap_key(&cap.owner, &g.garden, &g.season, rules);
                origins.iter().any(|o| garden_cap_key(&cap.owner, &o.garden, &o.harvest_season, rules) == key)
            });
            if draws {
                caps.push(cap);
            }
        }
    }
    Ok(caps)
}

/// Everything a phone needs to check a label by itself, and the size of the tree its
/// checkpoint signs.
#[derive(Debug)]
pub struct Evidence {
    pub size: u64,
    pub answer: api::Evidence,
}

/// The label of `id` with its evidence, read in one transaction so that every entry lies
/// inside the checkpoint read with it; the state map's nodes not written back yet are read
/// from `map_nodes`.
pub fn evidence(
    conn: &mut SqliteConnection,
    id: &AssetId,
    cache: &AssetCache,
    map_nodes: &RwLock<NodeCache>,
) -> Result<Option<Evidence>, ServiceError> {
    map_retry(|| evidence_once(conn, id, cache, map_nodes))
}

/// A proof from the state map can miss a node the writer replaced (and, not having written it
/// back, forgot) after the reader's transaction began; read again, it finds the newer tree.
fn map_retry<T>(mut read: impl FnMut() -> Result<T, ServiceError>) -> Result<T, ServiceError> {
    for _ in 0..3 {
        match read() {
            Err(ServiceError::Db(DbError::Corrupt(_))) => std::thread::yield_now(),
            other => return other,
        }
    }
    read()
}

fn evidence_once(
    conn: &mut SqliteConnection,
    id: &AssetId,
    cache: &AssetCache,
    map_nodes: &RwLock<NodeCache>,
) -> Result<Option<Evidence>, ServiceError> {
    use diesel::Connection as _;
    conn.transaction(|conn| {
        let Some(checkpoint) = db::checkpoints::latest(conn)? else {
            return Ok(None);
        };
        let Some(label) = read_within(conn, id, cache)? else {
            return Ok(None);
        };
        let size = checkpoint.size as u64;
        let mut wanted: BTreeMap<u64, Option<LedgerEntry>> = BTreeMap::new();
        // Entry 0: the log's opening names the rules it runs, which the phone replays by.
        wanted.insert(0, None);
        for e in &label.events {
            wanted.insert(e.index, Some(e.entry.clone()));
        }
        // Who the parties are, and that each station key that signed was authorised.
        let mut extra: BTreeSet<Hash> = label.parties.values().map(|p| p.registered_by).collect();
        for e in &label.events {
            let r = e.record();
            if r.signer != r.party.0
                && let Some(device) = db::state::device(conn, &r.signer)?
            {
                extra.insert(device.authorised_by);
            }
        }
        for record in extra {
            if let Some(index) = db::entries::indexed(conn, record.as_bytes())? {
                wanted.entry(index as u64).or_insert(None);
            }
        }
        let missing: Vec<i64> = wanted.iter().filter(|(_, e)| e.is_none()).map(|(i, _)| *i as i64).collect();
        for row in db::entries::many(conn, &missing)? {
            let view = super::reads::entry_view(row)?;
            wanted.insert(view.index, Some(view.entry));
        }
        let nodes = DbNodes::new(conn);
        let mut entries = Vec::with_capacity(wanted.len());
        for (index, entry) in wanted {
            let (Some(entry), true) = (entry, index < size) else { continue };
            let proof = prove_inclusion(index, size, &nodes)?.path;
            entries.push(ProvenLeaf { entry, proof });
        }
        let state = state_proofs(conn, map_nodes, &label, &entries)?;
        let assets = std::iter::once(label.asset)
            .chain(label.ancestors)
            .map(|asset| ShownAsset { output: output_position(&asset), asset })
            .collect();
        let answer = api::Evidence { checkpoint: checkpoint.note, assets, entries, state };
        Ok(Some(Evidence { size, answer }))
    })
}

/// The state map's word on what a label shows, each proven at the map's tip (written in the same
/// transaction as the latest checkpoint): the head of the asset and of each asset it came from,
/// each station key that signed an entry shown, and the asset its GS1 code names.
fn state_proofs(
    conn: &mut SqliteConnection,
    map_nodes: &RwLock<NodeCache>,
    label: &Label,
    entries: &[ProvenLeaf],
) -> Result<Vec<api::StateProof>, ServiceError> {
    use api::StateKind;
    let tip = db::map::tip(conn)?;
    let map_nodes = map_nodes.read().unwrap_or_else(|e| e.into_inner());
    let mut keys: Vec<(StateKind, String)> = std::iter::once(&label.asset)
        .chain(&label.ancestors)
        .map(|a| (StateKind::Asset, a.id.to_string()))
        .collect();
    if let Some(link) = &label.asset.gs1 {
        keys.push((StateKind::Identity, terroir_shared::asset::gs1_identity_key(link)));
    }
    let devices: BTreeSet<String> = entries
        .iter()
        .map(|e| &e.entry.record.record)
        .filter(|r| r.signer != r.party.0)
        .map(|r| r.signer.to_string())
        .collect();
    keys.extend(devices.into_iter().map(|d| (StateKind::Device, d)));
    keys.into_iter()
        .map(|(kind, key)| {
            let map_key = kind
                .map_key(&key)
                .ok_or_else(|| ServiceError::Integrity(format!("{key} is not a {kind:?} key")))?;
            let (value, proof) = db::map::prove(conn, &map_nodes, tip, &map_key)?;
            Ok(api::StateProof { kind, key, value: value.map(hex::encode), proof })
        })
        .collect()
}

/// What the state map holds under `key` of this kind, proven at the map's tip, with the latest
/// checkpoint (whose state line commits to that tip: both are written in one transaction and
/// read here in one); `None` before the first checkpoint. The caller has checked that `key` is
/// spelled as its kind asks ([`api::StateKind::map_key`]).
pub fn state_answer(
    conn: &mut SqliteConnection,
    map_nodes: &RwLock<NodeCache>,
    kind: api::StateKind,
    key: &str,
) -> Result<Option<(u64, api::StateAnswer)>, ServiceError> {
    use diesel::Connection as _;
    let map_key =
        kind.map_key(key).ok_or_else(|| ServiceError::Integrity(format!("{key} is not a {kind:?} key")))?;
    map_retry(|| {
        conn.transaction(|conn| {
            let Some(checkpoint) = db::checkpoints::latest(conn)? else {
                return Ok(None);
            };
            let tip = db::map::tip(conn)?;
            let map_nodes = map_nodes.read().unwrap_or_else(|e| e.into_inner());
            let (value, proof) = db::map::prove(conn, &map_nodes, tip, &map_key)?;
            let proof = api::StateProof { kind, key: key.to_owned(), value: value.map(hex::encode), proof };
            Ok(Some((checkpoint.size as u64, api::StateAnswer { checkpoint: checkpoint.note, proof })))
        })
    })
}

/// The position of `asset` among the outputs of the record that created it.
fn output_position(asset: &Asset) -> u32 {
    let limit = u32::try_from(2 * terroir_shared::rules::MAX_OUTPUTS).unwrap_or(u32::MAX);
    (0..limit).find(|n| AssetId::derive(&asset.created_by, *n) == asset.id).unwrap_or(u32::MAX)
}
