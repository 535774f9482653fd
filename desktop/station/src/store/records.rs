//! The queue: every signed record in signing order, and what became of it.

use diesel::prelude::*;
use diesel::sqlite::SqliteConnection;
use serde::{Deserialize, Serialize};

use super::StoreError;
use super::schema::{asset_records, records};

/// Where a record stands: waiting to be sent, in the ledger, or refused by it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RecordState {
    Pending,
    Landed,
    Refused,
}

impl RecordState {
    fn as_str(self) -> &'static str {
        match self {
            RecordState::Pending => "pending",
            RecordState::Landed => "landed",
            RecordState::Refused => "refused",
        }
    }
}

/// One stored record (the window gets a `view::RecordView` of it).
#[derive(Clone, Debug, Queryable, Selectable, Serialize)]
#[diesel(table_name = records)]
#[serde(rename_all = "camelCase")]
pub struct RecordRow {
    pub seq: i64,
    pub id: String,
    pub act: String,
    pub summary: String,
    pub envelope: String,
    pub state: String,
    pub receipt: Option<String>,
    pub log_index: Option<i64>,
    pub problem_code: Option<String>,
    pub problem: Option<String>,
    pub signed_at: i64,
    pub settled_at: Option<i64>,
}

impl RecordRow {
    /// The stored state; the table's CHECK allows only these three.
    pub fn record_state(&self) -> RecordState {
        match self.state.as_str() {
            "landed" => RecordState::Landed,
            "refused" => RecordState::Refused,
            _ => RecordState::Pending,
        }
    }
}

/// How many records wait, landed and were refused.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
pub struct SyncCounts {
    pub pending: i64,
    pub landed: i64,
    pub refused: i64,
}

/// Queues a signed record (state `pending`) and links it to the assets it touched.
pub fn insert_record(
    conn: &mut SqliteConnection,
    id: &str,
    act: &str,
    summary: &str,
    envelope: &str,
    signed_at: i64,
    touched: &[String],
) -> Result<i64, StoreError> {
    let seq: i64 = diesel::insert_into(records::table)
        .values((
            records::id.eq(id),
            records::act.eq(act),
            records::summary.eq(summary),
            records::envelope.eq(envelope),
            records::state.eq(RecordState::Pending.as_str()),
            records::signed_at.eq(signed_at),
        ))
        .returning(records::seq)
        .get_result(conn)?;
    let links: Vec<_> =
        touched.iter().map(|a| (asset_records::asset.eq(a), asset_records::record.eq(id))).collect();
    for chunk in links.chunks(400) {
        diesel::insert_or_ignore_into(asset_records::table).values(chunk).execute(conn)?;
    }
    Ok(seq)
}

/// The oldest `limit` records still waiting, in signing order.
pub fn pending(conn: &mut SqliteConnection, limit: i64) -> Result<Vec<RecordRow>, StoreError> {
    Ok(records::table
        .filter(records::state.eq(RecordState::Pending.as_str()))
        .order(records::seq.asc())
        .limit(limit)
        .select(RecordRow::as_select())
        .load(conn)?)
}

pub fn record(conn: &mut SqliteConnection, id: &str) -> Result<Option<RecordRow>, StoreError> {
    Ok(records::table.filter(records::id.eq(id)).select(RecordRow::as_select()).first(conn).optional()?)
}

/// The latest `limit` records, newest first, optionally only those in `state`.
pub fn records(
    conn: &mut SqliteConnection,
    state: Option<RecordState>,
    limit: i64,
) -> Result<Vec<RecordRow>, StoreError> {
    let mut q =
        records::table.order(records::seq.desc()).limit(limit).select(RecordRow::as_select()).into_boxed();
    if let Some(s) = state {
        q = q.filter(records::state.eq(s.as_str()));
    }
    Ok(q.load(conn)?)
}

/// Every record this station signed about `asset`, oldest first.
pub fn records_of_asset(conn: &mut SqliteConnection, asset: &str) -> Result<Vec<RecordRow>, StoreError> {
    Ok(records::table
        .inner_join(asset_records::table.on(asset_records::record.eq(records::id)))
        .filter(asset_records::asset.eq(asset))
        .order(records::seq.asc())
        .select(RecordRow::as_select())
        .load(conn)?)
}

/// Marks a record as in the ledger, keeping its receipt. Only a pending record changes, so a
/// late answer can never overwrite a settled one.
pub fn settle_landed(
    conn: &mut SqliteConnection,
    id: &str,
    receipt: &str,
    index: u64,
    now: i64,
) -> Result<bool, StoreError> {
    let n = diesel::update(records::table.filter(records::id.eq(id)).filter(records::state.eq("pending")))
        .set((
            records::state.eq(RecordState::Landed.as_str()),
            records::receipt.eq(receipt),
            records::log_index.eq(index as i64),
            records::settled_at.eq(now),
        ))
        .execute(conn)?;
    Ok(n == 1)
}

/// Marks a record as refused by the ledger, with the server's stable code and its reason.
pub fn settle_refused(
    conn: &mut SqliteConnection,
    id: &str,
    code: &str,
    problem: &str,
    now: i64,
) -> Result<bool, StoreError> {
    let n = diesel::update(records::table.filter(records::id.eq(id)).filter(records::state.eq("pending")))
        .set((
            records::state.eq(RecordState::Refused.as_str()),
            records::problem_code.eq(code),
            records::problem.eq(problem),
            records::settled_at.eq(now),
        ))
        .execute(conn)?;
    Ok(n == 1)
}

pub fn counts(conn: &mut SqliteConnection) -> Result<SyncCounts, StoreError> {
    let rows: Vec<(String, i64)> = records::table
        .group_by(records::state)
        .select((records::state, diesel::dsl::count_star()))
        .load(conn)?;
    let mut c = SyncCounts::default();
    for (state, n) in rows {
        match state.as_str() {
            "pending" => c.pending = n,
            "landed" => c.landed = n,
            _ => c.refused = n,
        }
    }
    Ok(c)
}
