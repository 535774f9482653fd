//! Counting label checks without slowing them: a check is added to an in-memory book (one
//! short lock) and answered from it; a small thread of its own writes what the book gained to
//! the database twice a second, in one transaction. The ledger's writer never sees a check:
//! counts are not ledger records. Nothing personal is kept: no address, only the coarse region
//! a buyer chose to send.

use std::collections::{BTreeMap, HashMap};
use std::path::Path;
use std::sync::{Arc, Mutex, mpsc};
use std::thread::JoinHandle;
use std::time::Duration;

use diesel::connection::SimpleConnection as _;
use diesel::sqlite::SqliteConnection;
use serde::Serialize;
use terroir_shared::asset::AssetId;

use super::ServiceError;
use super::ledger::Clock;
use crate::db::{self, DbError};

/// How often the book's new checks are written.
const FLUSH_EVERY: Duration = Duration::from_millis(500);
/// Labels kept in memory before those with nothing left to write are dropped.
const BOOK_CAPACITY: usize = 100_000;
/// Regions kept per label: a genuine label is seen in a handful; past this many the label is
/// a clone anyway.
pub const MAX_REGIONS: usize = 64;

/// A coarse region: a one-degree cell of latitude and longitude (about 110 km), worked out on
/// the buyer's phone from a position it never sends.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Region {
    pub lat: i16,
    pub lon: i16,
}

impl Region {
    /// `"lat,lon"` in whole degrees.
    pub fn parse(s: &str) -> Option<Region> {
        let (lat, lon) = s.split_once(',')?;
        let (lat, lon): (i16, i16) = (lat.trim().parse().ok()?, lon.trim().parse().ok()?);
        ((-90..=90).contains(&lat) && (-180..=180).contains(&lon)).then_some(Region { lat, lon })
    }

    /// The great-circle distance between the cells' corners, in kilometres.
    pub fn distance_km(&self, other: &Region) -> f64 {
        let (a, b) = (f64::from(self.lat).to_radians(), f64::from(other.lat).to_radians());
        let dlat = b - a;
        let dlon = (f64::from(other.lon) - f64::from(self.lon)).to_radians();
        let h = (dlat / 2.0).sin().powi(2) + a.cos() * b.cos() * (dlon / 2.0).sin().powi(2);
        2.0 * 6_371.0 * h.sqrt().min(1.0).asin()
    }
}

impl std::fmt::Display for Region {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{},{}", self.lat, self.lon)
    }
}

/// One check of a label.
#[derive(Clone, Copy, Debug)]
pub struct Check {
    /// False when the buyer only adds the region of a check already counted.
    pub counted: bool,
    /// The ledger already said the asset had left the chain (retired or used up).
    pub late: bool,
    pub region: Option<Region>,
}

/// What is known of a label's checks.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Tally {
    pub count: u64,
    /// Checks after the asset had left the chain.
    pub late: u64,
    /// Milliseconds since the epoch; absent before the first check.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub first_at: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub last_at: Option<u64>,
    /// Checks per region, for the buyers who sent one.
    #[serde(serialize_with = "regions_as_strings")]
    pub regions: BTreeMap<Region, u64>,
}

fn regions_as_strings<S: serde::Serializer>(r: &BTreeMap<Region, u64>, s: S) -> Result<S::Ok, S::Error> {
    s.collect_map(r.iter().map(|(k, v)| (k.to_string(), v)))
}

impl Tally {
    fn add(&mut self, check: &Check, at: u64) {
        if check.counted {
            self.count += 1;
            self.late += u64::from(check.late);
        }
        self.first_at = Some(self.first_at.map_or(at, |f| f.min(at)));
        self.last_at = Some(self.last_at.map_or(at, |l| l.max(at)));
        if let Some(region) = check.region
            && (self.regions.contains_key(&region) || self.regions.len() < MAX_REGIONS)
        {
            *self.regions.entry(region).or_default() += 1;
        }
    }

    fn is_empty(&self) -> bool {
        self.first_at.is_none()
    }
}

#[derive(Default)]
struct Page {
    total: Tally,
    /// What the database does not have yet.
    unwritten: Tally,
}

/// The checks of every label touched since start-up, and what is still to be written.
#[derive(Default)]
struct Book {
    labels: HashMap<AssetId, Page>,
}

/// The handle the HTTP layer holds.
#[derive(Clone)]
pub struct ScanCounter {
    book: Arc<Mutex<Book>>,
    clock: Clock,
    /// Dropping the last handle stops the thread after a last write.
    _stop: Arc<mpsc::Sender<()>>,
}

impl ScanCounter {
    /// Starts the thread that writes checks to the database at `path` (already migrated).
    pub fn start(path: &Path, clock: Clock) -> Result<(ScanCounter, JoinHandle<()>), ServiceError> {
        let mut conn = db::open_reader(path)?;
        // Counts are not ledger data: a power cut may lose the last half second of them, so
        // their commits skip the fsync the ledger's need.
        conn.batch_execute("PRAGMA query_only = OFF; PRAGMA synchronous = NORMAL;").map_err(DbError::from)?;
        let book = Arc::new(Mutex::new(Book::default()));
        let (stop, stopped) = mpsc::channel::<()>();
        let writing = book.clone();
        let thread = std::thread::Builder::new()
            .name("scan-counter".into())
            .spawn(move || write_loop(conn, writing, stopped))
            .map_err(|e| ServiceError::Integrity(format!("cannot start the scan counter: {e}")))?;
        Ok((ScanCounter { book, clock, _stop: Arc::new(stop) }, thread))
    }

    /// Whether the book already knows this label (else load it with [`ScanCounter::load`]).
    pub fn knows(&self, asset: &AssetId) -> bool {
        self.book.lock().is_ok_and(|b| b.labels.contains_key(asset))
    }

    /// Reads a label's counts from the database into the book, unless another check did first.
    pub fn load(&self, conn: &mut SqliteConnection, asset: &AssetId) -> Result<(), ServiceError> {
        let key = asset.0.as_bytes().as_slice();
        let mut total = Tally::default();
        if let Some(row) = db::scans::get(conn, key)? {
            total.count = row.count as u64;
            total.late = row.late as u64;
            total.first_at = Some(row.first_at as u64);
            total.last_at = Some(row.last_at as u64);
        }
        for r in db::scans::regions(conn, key)? {
            if let Some(region) = Region::parse(&r.region) {
                total.regions.insert(region, r.count as u64);
            }
        }
        if let Ok(mut book) = self.book.lock() {
            if book.labels.len() >= BOOK_CAPACITY {
                book.labels.retain(|_, p| !p.unwritten.is_empty());
            }
            book.labels.entry(*asset).or_insert(Page { total, unwritten: Tally::default() });
        }
        Ok(())
    }

    /// Counts a check; returns the label's counts with it.
    pub fn add(&self, asset: &AssetId, check: Check) -> Tally {
        let at = (self.clock)().millis();
        let Ok(mut book) = self.book.lock() else { return Tally::default() };
        let page = book.labels.entry(*asset).or_default();
        page.total.add(&check, at);
        page.unwritten.add(&check, at);
        page.total.clone()
    }

    /// The label's counts, if the book knows it.
    pub fn tally(&self, asset: &AssetId) -> Option<Tally> {
        self.book.lock().ok()?.labels.get(asset).map(|p| p.total.clone())
    }
}

fn write_loop(mut conn: SqliteConnection, book: Arc<Mutex<Book>>, stop: mpsc::Receiver<()>) {
    loop {
        let last = matches!(stop.recv_timeout(FLUSH_EVERY), Err(mpsc::RecvTimeoutError::Disconnected));
        let batch: Vec<(AssetId, Tally)> = match book.lock() {
            Ok(mut b) => b
                .labels
                .iter_mut()
                .filter(|(_, p)| !p.unwritten.is_empty())
                .map(|(id, p)| (*id, std::mem::take(&mut p.unwritten)))
                .collect(),
            Err(_) => return,
        };
        if !batch.is_empty()
            && let Err(e) = write(&mut conn, &batch)
        {
            tracing::warn!(error = %e, labels = batch.len(), "could not write label checks; they are lost");
        }
        if last {
            return;
        }
    }
}

fn write(conn: &mut SqliteConnection, batch: &[(AssetId, Tally)]) -> Result<(), DbError> {
    conn.immediate_transaction(|conn| {
        for (id, t) in batch {
            let key = id.0.as_bytes().as_slice();
            let (first, last) = (t.first_at.unwrap_or(0) as i64, t.last_at.unwrap_or(0) as i64);
            let row = db::scans::ScanRow {
                count: t.count as i64,
                late: t.late as i64,
                first_at: first,
                last_at: last,
            };
            db::scans::add(conn, key, &row)?;
            for (region, count) in &t.regions {
                let row = db::scans::RegionRow {
                    region: region.to_string(),
                    count: *count as i64,
                    first_at: first,
                    last_at: last,
                };
                db::scans::add_region(conn, key, &row)?;
            }
        }
        Ok(())
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn regions_parse_in_range_only() {
        assert_eq!(Region::parse("25,102"), Some(Region { lat: 25, lon: 102 }));
        assert_eq!(Region::parse("-34, 151"), Some(Region { lat: -34, lon: 151 }));
        for bad in ["91,0", "0,181", "25", "a,b", "25.5,102", ""] {
            assert_eq!(Region::parse(bad), None, "{bad}");
        }
    }

    #[test]
    fn distances_are_great_circle_kilometres() {
        let kunming = Region { lat: 25, lon: 102 };
        let beijing = Region { lat: 40, lon: 116 };
        let d = kunming.distance_km(&beijing);
        assert!((2_000.0..2_200.0).contains(&d), "{d}");
        assert_eq!(kunming.distance_km(&kunming), 0.0);
    }
}
