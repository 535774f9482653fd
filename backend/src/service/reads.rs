//! Reading what the log proves: entries, proofs between any two sizes, tiles, assets with
//! their history and lineage, parties. [`Reads`] is what the HTTP layer calls:
//! it answers from the cache what the cache holds, runs point reads where they are asked for
//! and longer ones on the pool ([`Reader`]), and says what is not there. The functions below it
//! take a read connection.

use std::sync::Arc;

use bytes::Bytes;
use diesel::sqlite::SqliteConnection;
use terroir_shared::api::{AssetHistory, Direction, EntryPage, EntryView, Lineage, PartyView, ProvenEntry};
use terroir_shared::asset::{Asset, AssetId, Status};
use terroir_shared::entry::LedgerEntry;
use terroir_shared::log::{
    ConsistencyProof, InclusionProof, prove_consistency, prove_inclusion, stored_hash_index,
};
use terroir_shared::party::{Party, PartyId};

use super::ServiceError;
use super::cache::CachedAsset;
use super::ledger::Ledger;
use super::reader::Reader;
use super::receipts::receipts_for;
use crate::db::{self, hash_from, nodes::DbNodes};

/// The most entries a page of entries holds.
pub const MAX_ENTRY_PAGE: u64 = 1_000;

/// The most assets a lineage answer holds, and the number it holds unless asked for fewer.
pub const MAX_LINEAGE: usize = 10_000;
pub const DEFAULT_LINEAGE: usize = 1_000;

/// The ledger's reads.
#[derive(Clone)]
pub struct Reads {
    ledger: Ledger,
    reader: Reader,
}

impl Reads {
    pub fn new(ledger: Ledger, reader: Reader) -> Self {
        Self { ledger, reader }
    }

    pub fn ledger(&self) -> &Ledger {
        &self.ledger
    }

    pub fn reader(&self) -> &Reader {
        &self.reader
    }

    /// An asset's JSON as stored: from the cache, or one point read (nothing parsed).
    pub fn asset_json(&self, id: AssetId) -> Result<Bytes, ServiceError> {
        if let Some(hit) = self.ledger.cache().get(&id) {
            return Ok(hit.json());
        }
        let found = self.reader.now(|conn| asset_json(conn, &id))?;
        found.map(Bytes::from).ok_or_else(|| not_found_asset(&id))
    }

    /// An asset as it stands, from the cache or read now (and then cached).
    pub fn current(&self, id: AssetId) -> Result<Arc<CachedAsset>, ServiceError> {
        let cache = self.ledger.cache();
        if let Some(hit) = cache.get(&id) {
            return Ok(hit);
        }
        let generation = cache.generation();
        let asset = self.reader.now(|conn| asset(conn, &id))?.ok_or_else(|| not_found_asset(&id))?;
        Ok(cache.fill(generation, asset))
    }

    /// The asset and every entry that touched it, each with its receipt, and what checks them.
    pub async fn history(&self, id: AssetId) -> Result<AssetHistory, ServiceError> {
        let found = self.reader.pooled(move |conn| history(conn, &id)).await?;
        let (asset, entries) = found.ok_or_else(|| not_found_asset(&id))?;
        Ok(AssetHistory {
            asset,
            checkpoint: self.ledger.latest_checkpoint().map(|c| c.note),
            entries,
            verifier_key: self.ledger.vkey().to_owned(),
        })
    }

    /// Where an asset came from (`Up`) or went (`Down`), breadth first, at most `limit` assets
    /// ([`DEFAULT_LINEAGE`] when not given, never more than [`MAX_LINEAGE`]).
    pub async fn lineage(
        &self,
        id: AssetId,
        direction: Direction,
        limit: Option<usize>,
    ) -> Result<Lineage, ServiceError> {
        let limit = limit.unwrap_or(DEFAULT_LINEAGE).min(MAX_LINEAGE);
        let assets = self
            .reader
            .pooled(move |conn| {
                let start = asset(conn, &id)?.ok_or_else(|| not_found_asset(&id))?;
                match direction {
                    Direction::Up => ancestors_of(conn, start, limit),
                    Direction::Down => descendants_of(conn, start, limit),
                }
            })
            .await?;
        Ok(Lineage { asset: id, assets, direction })
    }

    pub async fn parties(&self) -> Result<Vec<Party>, ServiceError> {
        self.reader.pooled(parties).await
    }

    pub async fn party(&self, id: PartyId) -> Result<PartyView, ServiceError> {
        let found = self.reader.pooled(move |conn| party(conn, &id)).await?;
        found.ok_or_else(|| ServiceError::NotFound(format!("party {id}")))
    }

    /// The hash tile `n` of `level`, `width` hashes wide, once the tree has it.
    pub async fn tile(&self, level: u8, n: u64, width: u64) -> Result<Vec<u8>, ServiceError> {
        let available = self.ledger.size().checked_shr(8 * u32::from(level)).unwrap_or(0);
        if n.saturating_mul(256).saturating_add(width) > available {
            return Err(ServiceError::NotFound(format!("tile {n} of level {level}, {width} hashes wide")));
        }
        self.reader.pooled(move |conn| tile(conn, level, n, width)).await
    }

    /// The entry bundle `n`, `width` entries wide, once the log has them.
    pub async fn entry_bundle(&self, n: u64, width: u64) -> Result<Vec<u8>, ServiceError> {
        if n.saturating_mul(256).saturating_add(width) > self.ledger.size() {
            return Err(ServiceError::NotFound(format!("entry bundle {n}, {width} entries wide")));
        }
        self.reader.pooled(move |conn| entry_bundle(conn, n, width)).await
    }

    /// Entries `start ≤ index < end`, at most [`MAX_ENTRY_PAGE`]; a range beyond the log, or
    /// with `end` before `start`, is an empty page.
    pub async fn entries(&self, start: Option<u64>, end: Option<u64>) -> Result<EntryPage, ServiceError> {
        let size = self.ledger.size();
        let start = start.unwrap_or(0).min(size);
        let end = end.unwrap_or(size).min(size).min(start.saturating_add(MAX_ENTRY_PAGE)).max(start);
        let entries = self.reader.pooled(move |conn| entries(conn, start, end)).await?;
        Ok(EntryPage { end, entries, size, start })
    }

    pub async fn entry(&self, index: u64) -> Result<EntryView, ServiceError> {
        let found = self.reader.pooled(move |conn| entry(conn, index)).await?;
        found.ok_or_else(|| ServiceError::NotFound(format!("entry {index}")))
    }

    /// The inclusion proof of leaf `index` in the tree of `size` leaves (default: the latest).
    pub async fn inclusion(&self, index: u64, size: Option<u64>) -> Result<InclusionProof, ServiceError> {
        let latest = self.ledger.size();
        let tree = size.unwrap_or(latest);
        if tree > latest || index >= tree {
            return Err(ServiceError::NotFound(format!(
                "a proof of leaf {index} in a tree of {tree} (the log has {latest} entries, and a tree has leaves 0 to its size − 1)"
            )));
        }
        self.reader.pooled(move |conn| inclusion(conn, index, tree)).await
    }

    /// The consistency proof from the tree of `old` leaves to that of `new` (default: the latest).
    pub async fn consistency(&self, old: u64, new: Option<u64>) -> Result<ConsistencyProof, ServiceError> {
        let latest = self.ledger.size();
        let new = new.unwrap_or(latest);
        if old == 0 {
            return Err(ServiceError::Invalid(
                "from is at least 1: no proof starts from the empty tree".into(),
            ));
        }
        if old > new || new > latest {
            return Err(ServiceError::NotFound(format!(
                "a proof from {old} to {new} entries (the log has {latest}, and a proof goes from a smaller tree to a larger)"
            )));
        }
        self.reader.pooled(move |conn| consistency(conn, old, new)).await
    }

    /// A few GS1 paths that labels of this ledger carry, for a newcomer to open.
    pub async fn sample_labels(&self, n: usize) -> Result<Vec<String>, ServiceError> {
        self.reader.pooled(move |conn| sample_labels(conn, n)).await
    }

    /// The asset holding identity `key`, from the cache or read now (and then remembered:
    /// identity keys never change holder).
    pub fn holder(&self, key: &str) -> Result<Option<AssetId>, ServiceError> {
        let cache = self.ledger.cache();
        if let Some(id) = cache.holder(key) {
            return Ok(Some(id));
        }
        let found = self.reader.now(|conn| holder_of(conn, key))?;
        if let Some(id) = found {
            cache.remember_holder(key.to_owned(), id);
        }
        Ok(found)
    }

    /// See [`holders_of_serial`].
    pub fn holders_of_serial(
        &self,
        link: &terroir_shared::gs1::DigitalLink,
    ) -> Result<Vec<(String, AssetId)>, ServiceError> {
        self.reader.now(|conn| holders_of_serial(conn, link))
    }
}

fn not_found_asset(id: &AssetId) -> ServiceError {
    ServiceError::NotFound(format!("asset {id}"))
}

pub fn entry(conn: &mut SqliteConnection, index: u64) -> Result<Option<EntryView>, ServiceError> {
    db::entries::get(conn, index as i64)?.map(entry_view).transpose()
}

/// A few GS1 paths that labels of this ledger carry, for a newcomer to open.
pub fn sample_labels(conn: &mut SqliteConnection, n: usize) -> Result<Vec<String>, ServiceError> {
    Ok(db::state::sample_labels(conn, n)?)
}

pub fn entries(conn: &mut SqliteConnection, start: u64, end: u64) -> Result<Vec<EntryView>, ServiceError> {
    db::entries::range(conn, start as i64, end as i64)?.into_iter().map(entry_view).collect()
}

/// An entry row as the API shows it; its leaf must parse as a canonical entry.
pub fn entry_view(row: db::entries::EntryRow) -> Result<EntryView, ServiceError> {
    let entry = LedgerEntry::from_leaf_bytes(&row.leaf)
        .map_err(|e| ServiceError::Integrity(format!("stored entry {} does not parse: {e}", row.idx)))?;
    view(row, entry)
}

fn view(row: db::entries::EntryRow, entry: LedgerEntry) -> Result<EntryView, ServiceError> {
    Ok(EntryView {
        index: row.idx as u64,
        leaf_hash: hash_from(&row.leaf_hash)?,
        record_id: hash_from(&row.record_id)?,
        entry,
    })
}

/// A stored entry to show: parsed, without checking that the stored bytes are exactly its
/// canonical form. What a label shows is checked where it counts: `audit` checks every stored
/// byte, and the phone hashes the canonical form of every entry it is shown against the log's
/// proofs, so an altered value fails there. Bytes that do not parse are an integrity error.
pub fn shown_entry(row: db::entries::EntryRow) -> Result<EntryView, ServiceError> {
    match serde_json::from_slice::<LedgerEntry>(&row.leaf) {
        Ok(entry) => view(row, entry),
        Err(_) => entry_view(row),
    }
}

pub fn inclusion(conn: &mut SqliteConnection, index: u64, size: u64) -> Result<InclusionProof, ServiceError> {
    Ok(prove_inclusion(index, size, &DbNodes::new(conn))?)
}

pub fn consistency(
    conn: &mut SqliteConnection,
    old: u64,
    new: u64,
) -> Result<ConsistencyProof, ServiceError> {
    Ok(prove_consistency(old, new, &DbNodes::new(conn))?)
}

/// The hashes of tile `(level, n)` with `width` entries: the roots of the subtrees of height
/// `8·level` at indexes `n·256 .. n·256 + width` (C2SP tlog-tiles), concatenated.
pub fn tile(conn: &mut SqliteConnection, level: u8, n: u64, width: u64) -> Result<Vec<u8>, ServiceError> {
    use terroir_shared::log::NodeStore as _;
    let tree_level =
        level.checked_mul(8).ok_or_else(|| ServiceError::Integrity("tile level too high".into()))?;
    let indexes: Vec<u64> = (0..width).map(|i| stored_hash_index(tree_level, n * 256 + i)).collect();
    let hashes = DbNodes::new(conn).read_nodes(&indexes)?;
    Ok(hashes.iter().flat_map(|h| h.0).collect())
}

/// Entries `n·256 .. n·256 + width` as a C2SP entry bundle: each prefixed by its length as a
/// big-endian u16.
pub fn entry_bundle(conn: &mut SqliteConnection, n: u64, width: u64) -> Result<Vec<u8>, ServiceError> {
    let start = (n * 256) as i64;
    let leaves = db::entries::leaves(conn, start, start + width as i64)?;
    let mut out = Vec::with_capacity(leaves.iter().map(|l| l.len() + 2).sum());
    for leaf in leaves {
        let len = u16::try_from(leaf.len())
            .map_err(|_| ServiceError::Integrity("an entry exceeds 65,535 bytes".into()))?;
        out.extend_from_slice(&len.to_be_bytes());
        out.extend_from_slice(&leaf);
    }
    Ok(out)
}

pub fn asset(conn: &mut SqliteConnection, id: &AssetId) -> Result<Option<Asset>, ServiceError> {
    Ok(db::state::asset(conn, id)?)
}

/// An asset's JSON as the API serves it.
pub fn asset_json(conn: &mut SqliteConnection, id: &AssetId) -> Result<Option<String>, ServiceError> {
    Ok(db::state::asset_json(conn, id)?)
}

/// The asset holding a unique identity key (a GS1 path, an ear tag).
pub fn holder_of(conn: &mut SqliteConnection, key: &str) -> Result<Option<AssetId>, ServiceError> {
    Ok(db::state::holder_of(conn, key)?)
}

/// The GS1 identities (and their assets) that name the item `link` names by its GTIN and
/// serial, whatever their CPV and lot: at most two, enough to tell one from many.
pub fn holders_of_serial(
    conn: &mut SqliteConnection,
    link: &terroir_shared::gs1::DigitalLink,
) -> Result<Vec<(String, AssetId)>, ServiceError> {
    let Some(serial) = link.serial() else { return Ok(Vec::new()) };
    let bare = terroir_shared::gs1::DigitalLink::for_gtin(*link.gtin());
    let item = terroir_shared::gs1::DigitalLink::new(*link.gtin(), None, None, Some(serial))
        .map_err(|e| ServiceError::Integrity(e.to_string()))?;
    let prefix = format!("{}/", terroir_shared::asset::gs1_identity_key(&bare));
    let suffix = item.to_path()[bare.to_path().len()..].to_owned();
    Ok(db::state::holders_ending(conn, &prefix, &suffix, 2)?)
}

/// The asset and every entry that touched it, each with its receipt.
pub fn history(
    conn: &mut SqliteConnection,
    id: &AssetId,
) -> Result<Option<(Asset, Vec<ProvenEntry>)>, ServiceError> {
    let Some(asset) = db::state::asset(conn, id)? else {
        return Ok(None);
    };
    let indexes = db::lineage::entries_of(conn, id)?;
    let rows = db::entries::many(conn, &indexes)?;
    let wanted: Vec<u64> = rows.iter().map(|r| r.idx as u64).collect();
    let receipts = receipts_for(conn, &wanted)?;
    let mut entries = Vec::with_capacity(rows.len());
    for (row, receipt) in rows.into_iter().zip(receipts) {
        let EntryView { index, leaf_hash, record_id, entry } = entry_view(row)?;
        entries.push(ProvenEntry { index, leaf_hash, record_id, entry, receipt });
    }
    Ok(Some((asset, entries)))
}

/// Where an asset came from: its parents, their parents, up to the commissioned origins.
pub fn ancestors_of(
    conn: &mut SqliteConnection,
    start: Asset,
    limit: usize,
) -> Result<Vec<Asset>, ServiceError> {
    walk(conn, start, limit, |conn, a| Ok(db::state::assets_many(conn, &a.parents)?))
}

/// What a label traces: where the asset came from and, for a unit packed in a lot, the lot it
/// is in (whose owner, holder and pledge are the unit's), each followed the same way.
pub fn origins_of(
    conn: &mut SqliteConnection,
    start: Asset,
    limit: usize,
) -> Result<Vec<Asset>, ServiceError> {
    walk(conn, start, limit, |conn, a| {
        let mut next = a.parents.clone();
        if let Status::Contained { holder } = a.status
            && !next.contains(&holder)
        {
            next.push(holder);
        }
        Ok(db::state::assets_many(conn, &next)?)
    })
}

/// Where an asset went: what was split, merged or made from it, recursively.
pub fn descendants_of(
    conn: &mut SqliteConnection,
    start: Asset,
    limit: usize,
) -> Result<Vec<Asset>, ServiceError> {
    walk(conn, start, limit, |conn, a| {
        let children = db::lineage::children_of(conn, &a.id)?;
        Ok(db::state::assets_many(conn, &children)?)
    })
}

type Step = fn(&mut SqliteConnection, &Asset) -> Result<Vec<Asset>, ServiceError>;

fn walk(
    conn: &mut SqliteConnection,
    start: Asset,
    limit: usize,
    next: Step,
) -> Result<Vec<Asset>, ServiceError> {
    let mut seen = std::collections::HashSet::from([start.id]);
    let mut queue = std::collections::VecDeque::from([start]);
    let mut out = Vec::new();
    while let Some(a) = queue.pop_front() {
        for n in next(conn, &a)? {
            if out.len() >= limit {
                return Ok(out);
            }
            if seen.insert(n.id) {
                out.push(n.clone());
                queue.push_back(n);
            }
        }
    }
    Ok(out)
}

pub fn parties(conn: &mut SqliteConnection) -> Result<Vec<Party>, ServiceError> {
    Ok(db::state::all_parties(conn)?)
}

pub fn party(conn: &mut SqliteConnection, id: &PartyId) -> Result<Option<PartyView>, ServiceError> {
    let Some(party) = db::state::party(conn, id)? else {
        return Ok(None);
    };
    let devices = db::state::devices_of(conn, id)?;
    Ok(Some(PartyView { party, devices }))
}
