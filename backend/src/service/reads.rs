//! Reading what the log proves: entries, proofs between any two sizes, tiles, assets with
//! their history and lineage, parties. Every function takes a read connection.

use diesel::sqlite::SqliteConnection;
use terroir_shared::api::{EntryView, PartyView, ProvenEntry};
use terroir_shared::asset::{Asset, AssetId, Status};
use terroir_shared::entry::LedgerEntry;
use terroir_shared::log::{
    ConsistencyProof, InclusionProof, prove_consistency, prove_inclusion, stored_hash_index,
};
use terroir_shared::party::{Party, PartyId};

use super::ServiceError;
use super::receipts::receipts_for;
use crate::db::{self, hash_from, nodes::DbNodes};

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
    let entry = stored_entry(&row.leaf)
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

/// Parses stored leaf bytes as strictly as [`LedgerEntry::from_leaf_bytes`]: bytes that are
/// exactly the canonical form of the entry they parse to are accepted without comparing the
/// two value by value (nothing can differ); anything else takes the strict path, which names
/// what is wrong.
pub fn stored_entry(leaf: &[u8]) -> Result<LedgerEntry, terroir_shared::record::ParseError> {
    if let Ok(entry) = serde_json::from_slice::<LedgerEntry>(leaf)
        && entry.leaf_bytes().is_ok_and(|canonical| canonical == leaf)
    {
        return Ok(entry);
    }
    LedgerEntry::from_leaf_bytes(leaf)
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
pub fn ancestors(
    conn: &mut SqliteConnection,
    id: &AssetId,
    limit: usize,
) -> Result<Vec<Asset>, ServiceError> {
    match db::state::asset(conn, id)? {
        Some(start) => ancestors_of(conn, start, limit),
        None => Ok(vec![]),
    }
}

/// [`ancestors`] of an asset already read.
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
pub fn descendants(
    conn: &mut SqliteConnection,
    id: &AssetId,
    limit: usize,
) -> Result<Vec<Asset>, ServiceError> {
    let Some(start) = db::state::asset(conn, id)? else {
        return Ok(vec![]);
    };
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

#[cfg(test)]
mod tests {
    use super::*;
    use terroir_shared::Hash;
    use terroir_shared::calendar::Timestamp;
    use terroir_shared::crypto::Keypair;

    #[test]
    fn a_stored_entry_parses_as_strictly_as_the_core_parses_leaves() {
        let operator = Keypair::from_seed(&[9; 32]);
        let records =
            crate::service::demo::demo_records("t/terroir", &operator, [3; 32], Timestamp(1_700_000_000_000))
                .expect("sample records");
        for (index, record) in records.iter().enumerate().step_by(7) {
            let entry = LedgerEntry { index: index as u64, prev: Hash::default(), record: record.envelope() };
            let leaf = entry.leaf_bytes().expect("canonical");
            assert_eq!(stored_entry(&leaf).as_ref(), Ok(&entry));
            let text = String::from_utf8(leaf.clone()).expect("utf-8");
            for altered in [
                format!("{text} "),
                text.replacen("{\"index\"", "{ \"index\"", 1),
                text.replacen(&format!("\"index\":{index},"), "", 1) + &format!(",\"index\":{index}"),
                text.replacen("\"prev\":", "\"prev\" :", 1),
            ] {
                let strict = LedgerEntry::from_leaf_bytes(altered.as_bytes()).map_err(|e| e.to_string());
                assert!(strict.is_err(), "{altered}");
                assert_eq!(stored_entry(altered.as_bytes()).map_err(|e| e.to_string()), strict);
            }
        }
    }
}
