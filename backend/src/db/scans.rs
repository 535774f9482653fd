//! The `scans` and `scan_regions` tables: how often each label was checked, when first and
//! last, and from which coarse regions (only those buyers chose to send).

use diesel::prelude::*;
use diesel::sql_types::{BigInt, Binary, Text};
use diesel::sqlite::SqliteConnection;

use super::DbError;
use super::schema::{scan_regions, scans};

/// Checks of one label.
#[derive(Debug, Clone, Default, PartialEq, Eq, Queryable, Selectable)]
#[diesel(table_name = scans)]
pub struct ScanRow {
    pub count: i64,
    pub late: i64,
    pub first_at: i64,
    pub last_at: i64,
    /// Buyers who reported the label when its page warned.
    pub reports: i64,
}

/// Checks of one label from one region.
#[derive(Debug, Clone, PartialEq, Eq, Queryable, Selectable)]
#[diesel(table_name = scan_regions)]
pub struct RegionRow {
    pub region: String,
    pub count: i64,
    pub first_at: i64,
    pub last_at: i64,
}

/// Adds `row` to the label's counts (creating them on its first check).
pub fn add(conn: &mut SqliteConnection, asset: &[u8], row: &ScanRow) -> Result<(), DbError> {
    diesel::sql_query(
        "INSERT INTO scans (asset, count, late, first_at, last_at, reports) VALUES (?, ?, ?, ?, ?, ?) \
         ON CONFLICT (asset) DO UPDATE SET count = count + excluded.count, late = late + excluded.late, \
         first_at = min(first_at, excluded.first_at), last_at = max(last_at, excluded.last_at), \
         reports = reports + excluded.reports",
    )
    .bind::<Binary, _>(asset)
    .bind::<BigInt, _>(row.count)
    .bind::<BigInt, _>(row.late)
    .bind::<BigInt, _>(row.first_at)
    .bind::<BigInt, _>(row.last_at)
    .bind::<BigInt, _>(row.reports)
    .execute(conn)?;
    Ok(())
}

/// Adds `row` to the label's counts from its region.
pub fn add_region(conn: &mut SqliteConnection, asset: &[u8], row: &RegionRow) -> Result<(), DbError> {
    diesel::sql_query(
        "INSERT INTO scan_regions (asset, region, count, first_at, last_at) VALUES (?, ?, ?, ?, ?) \
         ON CONFLICT (asset, region) DO UPDATE SET count = count + excluded.count, \
         first_at = min(first_at, excluded.first_at), last_at = max(last_at, excluded.last_at)",
    )
    .bind::<Binary, _>(asset)
    .bind::<Text, _>(&row.region)
    .bind::<BigInt, _>(row.count)
    .bind::<BigInt, _>(row.first_at)
    .bind::<BigInt, _>(row.last_at)
    .execute(conn)?;
    Ok(())
}

pub fn get(conn: &mut SqliteConnection, asset: &[u8]) -> Result<Option<ScanRow>, DbError> {
    Ok(scans::table.find(asset).select(ScanRow::as_select()).first(conn).optional()?)
}

pub fn regions(conn: &mut SqliteConnection, asset: &[u8]) -> Result<Vec<RegionRow>, DbError> {
    Ok(scan_regions::table
        .filter(scan_regions::asset.eq(asset))
        .order(scan_regions::region)
        .select(RegionRow::as_select())
        .load(conn)?)
}

/// The labels buyers reported, most recently checked first: the asset, its reports and when it
/// was last checked.
pub fn reported(conn: &mut SqliteConnection, limit: i64) -> Result<Vec<(Vec<u8>, i64, i64)>, DbError> {
    Ok(scans::table
        .filter(scans::reports.gt(0))
        .order(scans::last_at.desc())
        .limit(limit)
        .select((scans::asset, scans::reports, scans::last_at))
        .load(conn)?)
}
