//! EPCIS 2.0 queries over the log (`SimpleEventQuery` through the REST binding's `GET
//! /events`): the events each entry's record means ([`terroir_shared::epcis`]), filtered by
//! event type, event time, business step and EPC, a page at a time in log order.

use std::collections::{BTreeSet, HashMap};

use diesel::sqlite::SqliteConnection;
use serde_json::Value;
use terroir_shared::asset::{Asset, AssetId, gs1_identity_key};
use terroir_shared::calendar::Timestamp;
use terroir_shared::epcis::{self, Lookup};
use terroir_shared::gs1::DigitalLink;

use super::ServiceError;
use super::reads::{self, Reads};
use crate::db;

/// The event queries the HTTP layer calls.
#[derive(Clone)]
pub struct Events {
    reads: Reads,
}

impl Events {
    pub fn new(reads: Reads) -> Self {
        Self { reads }
    }

    /// A page of the events answering `query`, their URIs under `base_url`.
    pub async fn page(&self, base_url: String, query: Query) -> Result<Page, ServiceError> {
        let size = self.reads.ledger().size();
        self.reads.reader().pooled(move |conn| self::query(conn, &base_url, size, &query)).await
    }
}

/// Events a page holds at most, and by default.
pub const MAX_PER_PAGE: usize = 1_000;
pub const DEFAULT_PER_PAGE: usize = 30;

/// Entries one request reads at most when no EPC narrows the query: a sparse filter over a long
/// log answers a short (even empty) page with a token to go on from, not a long wait.
const SCAN_PER_REQUEST: u64 = 10_000;

/// The event types EPCIS 2.0 defines; the ledger produces all but TransactionEvent and
/// AssociationEvent.
pub const EVENT_TYPES: [&str; 5] =
    ["ObjectEvent", "AggregationEvent", "TransactionEvent", "TransformationEvent", "AssociationEvent"];

/// A `SimpleEventQuery`.
#[derive(Clone, Debug, Default)]
pub struct Query {
    /// `eventType`: any of these (all when empty).
    pub event_types: Vec<String>,
    /// `GE_eventTime`, `LT_eventTime`.
    pub from: Option<Timestamp>,
    pub before: Option<Timestamp>,
    /// `EQ_bizStep`: any of these (all when empty), each as [`epcis::bare_step`] writes it.
    pub biz_steps: Vec<String>,
    /// `MATCH_anyEPC` (and `MATCH_epc`): events naming any of these, as an EPC, a class or a
    /// parent.
    pub any_epc: Vec<String>,
    pub per_page: usize,
    /// `nextPageToken`: where to go on.
    pub resume: Option<Resume>,
}

/// Where a page starts: at an entry, past the first events of it that an earlier page held (a
/// page holds at most `perPage` events, and one entry may mean several).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Resume {
    pub entry: u64,
    pub skip: usize,
}

impl Resume {
    /// The page token: `entry` or `entry.skip`.
    pub fn token(self) -> String {
        match self.skip {
            0 => self.entry.to_string(),
            skip => format!("{}.{skip}", self.entry),
        }
    }

    pub fn parse(token: &str) -> Option<Self> {
        let (entry, skip) = token.split_once('.').unwrap_or((token, "0"));
        Some(Self { entry: entry.parse().ok()?, skip: skip.parse().ok()? })
    }
}

/// One page of events and, if the log may hold more, where the next starts.
#[derive(Debug)]
pub struct Page {
    pub events: Vec<Value>,
    pub next: Option<Resume>,
}

impl Query {
    fn keeps(&self, event: &Value, epcs: &BTreeSet<String>) -> bool {
        let kind = event["type"].as_str().unwrap_or_default();
        if !self.event_types.is_empty() && !self.event_types.iter().any(|t| t == kind) {
            return false;
        }
        let at = event["eventTime"].as_str().and_then(Timestamp::parse_rfc3339);
        if let Some(from) = self.from
            && at.is_none_or(|at| at < from)
        {
            return false;
        }
        if let Some(before) = self.before
            && at.is_none_or(|at| at >= before)
        {
            return false;
        }
        let step = event["bizStep"].as_str().map(epcis::bare_step);
        if !self.biz_steps.is_empty() && !self.biz_steps.iter().any(|s| Some(s) == step.as_ref()) {
            return false;
        }
        epcs.is_empty() || epcis::named(event).iter().any(|n| epcs.contains(*n))
    }
}

/// The page of events `query` asks for, from a log of `size` entries.
pub fn query(
    conn: &mut SqliteConnection,
    base_url: &str,
    size: u64,
    query: &Query,
) -> Result<Page, ServiceError> {
    let per_page = query.per_page.clamp(1, MAX_PER_PAGE);
    let resume = query.resume.unwrap_or_default();
    let start = resume.entry;
    let (epcs, indexes) = match query.any_epc.is_empty() {
        true => (BTreeSet::new(), None),
        false => {
            let (epcs, assets) = named_assets(conn, base_url, &query.any_epc)?;
            let mut indexes = BTreeSet::new();
            for id in &assets {
                indexes.extend(db::lineage::entries_of(conn, id)?.into_iter().map(|i| i as u64));
            }
            (epcs, Some(indexes.into_iter().filter(|i| *i >= start && *i < size).collect::<Vec<u64>>()))
        }
    };
    let mut assets: HashMap<AssetId, Option<Asset>> = HashMap::new();
    let mut events = Vec::new();
    // Entries in chunks: those of the assets asked for, or the log from `start` on.
    let scan_end = size.min(start.saturating_add(SCAN_PER_REQUEST));
    let chunks: Vec<Vec<u64>> = match &indexes {
        Some(list) => list.chunks(256).map(<[u64]>::to_vec).collect(),
        None => (start..scan_end).step_by(256).map(|s| (s..(s + 256).min(scan_end)).collect()).collect(),
    };
    for chunk in chunks {
        let idxs: Vec<i64> = chunk.iter().map(|i| *i as i64).collect();
        let mut rows = db::entries::many(conn, &idxs)?;
        rows.sort_by_key(|r| r.idx);
        for row in rows {
            let index = row.idx as u64;
            let view = reads::entry_view(row)?;
            let record = &view.entry.record.record;
            for id in record.act.touches().iter().map(|r| r.id) {
                if let std::collections::hash_map::Entry::Vacant(slot) = assets.entry(id) {
                    slot.insert(db::state::asset(conn, &id)?);
                }
            }
            let lookup = Lookup { base_url, asset: &|id| assets.get(id).cloned().flatten() };
            let skip = if index == start { resume.skip } else { 0 };
            let kept = epcis::events(index, &view.record_id, record, &lookup)
                .into_iter()
                .filter(|e| query.keeps(e, &epcs))
                .enumerate()
                .skip(skip);
            for (n, event) in kept {
                if events.len() == per_page {
                    return Ok(Page { events, next: Some(Resume { entry: index, skip: n }) });
                }
                events.push(event);
            }
        }
    }
    // Every entry of the assets asked for was read; a scan may have stopped at its budget.
    let next = match indexes {
        Some(_) => None,
        None => (scan_end < size).then_some(Resume { entry: scan_end, skip: 0 }),
    };
    Ok(Page { events, next })
}

/// The EPCs asked for as the events write them (a GS1 Digital Link under this ledger's base
/// URL, or an asset's API URL), and the assets they name. An EPC this ledger never issued names
/// no asset.
fn named_assets(
    conn: &mut SqliteConnection,
    base_url: &str,
    asked: &[String],
) -> Result<(BTreeSet<String>, Vec<AssetId>), ServiceError> {
    let base = base_url.trim_end_matches('/');
    let (mut epcs, mut assets) = (BTreeSet::new(), Vec::new());
    for epc in asked {
        if let Some(id) =
            epc.strip_prefix(&format!("{base}/api/assets/")).and_then(|id| id.parse::<AssetId>().ok())
        {
            epcs.insert(epc.clone());
            assets.push(id);
        } else if let Ok(link) = DigitalLink::parse(epc) {
            // Whatever domain the link was written with, it names the same item.
            epcs.insert(link.to_uri(base));
            if let Some(id) = reads::holder_of(conn, &gs1_identity_key(&link))? {
                assets.push(id);
            }
        }
    }
    Ok((epcs, assets))
}
