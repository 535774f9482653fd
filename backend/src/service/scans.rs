//! Counting label checks without slowing them: a check is added to an in-memory book (one
//! short lock) and answered from it; a small thread of its own writes what the book gained to
//! the database twice a second, in one transaction. The ledger's writer never sees a check:
//! counts are not ledger records. Nothing personal is kept: no address, only the coarse region
//! a buyer chose to send.
//!
//! So that nobody can make a genuine label look copied, the book also keeps, in memory only:
//! - how many checks of each label each client made this hour, a client known by a keyed hash
//!   of its network address that lives only as long as the process; past
//!   [`CHECKS_PER_CLIENT_HOUR`] a client's checks of one label are answered but not counted;
//! - a one-time token per counted check: a region counts only with the token of the check it
//!   belongs to, once, within [`TOKEN_TTL_MS`].

use std::collections::{BTreeMap, HashMap};
use std::path::Path;
use std::sync::{Arc, Mutex, mpsc};
use std::thread::JoinHandle;
use std::time::Duration;

use diesel::connection::SimpleConnection as _;
use diesel::sqlite::SqliteConnection;
use terroir_shared::asset::AssetId;

use super::ServiceError;
use super::commit::Clock;
use crate::db::{self, DbError};
use crate::metrics::{LabelCheck, Metrics};

/// How often the book's new checks are written.
const FLUSH_EVERY: Duration = Duration::from_millis(500);
/// Labels kept in memory before those with nothing left to write are dropped.
const BOOK_CAPACITY: usize = 100_000;
/// Regions kept per label: a genuine label is seen in a handful; past this many the label is
/// a clone anyway.
pub const MAX_REGIONS: usize = 64;
/// Counted checks of one label per client and hour: a household behind one address checks a
/// few times; a script posting checks is counted this many times at most.
pub const CHECKS_PER_CLIENT_HOUR: u32 = 5;
/// How long the token of a counted check lets its buyer add a region.
pub const TOKEN_TTL_MS: u64 = 60 * 60 * 1000;
/// Clients and tokens kept at most; when full, expired ones go first, then all.
const GATE_CAPACITY: usize = 200_000;
const HOUR_MS: u64 = 60 * 60 * 1000;

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
    /// False for a browser that checked the label before: answered, not counted.
    pub counted: bool,
    /// The ledger already said the asset had left the chain for good.
    pub late: bool,
}

/// What the token of a counted check adds to it, once each.
#[derive(Clone, Copy, Debug)]
pub enum Addition {
    Region(Region),
    /// The buyer reported the label after its page warned.
    Report,
}

/// What a label's counts take in: a check, or what its token adds to it.
#[derive(Clone, Copy, Debug)]
enum Seen {
    Check(Check),
    Added(Addition),
}

/// What is known of a label's checks.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Tally {
    pub count: u64,
    /// Checks after the asset had left the chain.
    pub late: u64,
    /// Milliseconds since the epoch; none before the first check.
    pub first_at: Option<u64>,
    pub last_at: Option<u64>,
    /// Checks per region, for the buyers who sent one.
    pub regions: BTreeMap<Region, u64>,
    /// Buyers who reported the label when its page warned.
    pub reports: u64,
}

impl Tally {
    fn add(&mut self, seen: Seen, at: u64) {
        match seen {
            Seen::Check(check) if check.counted => {
                self.count += 1;
                self.late += u64::from(check.late);
            }
            Seen::Check(_) => {}
            Seen::Added(Addition::Region(region)) => {
                if self.regions.contains_key(&region) || self.regions.len() < MAX_REGIONS {
                    *self.regions.entry(region).or_default() += 1;
                }
            }
            Seen::Added(Addition::Report) => self.reports += 1,
        }
        self.first_at = Some(self.first_at.map_or(at, |f| f.min(at)));
        self.last_at = Some(self.last_at.map_or(at, |l| l.max(at)));
    }

    fn is_empty(&self) -> bool {
        self.first_at.is_none()
    }

    /// Takes back `earlier`, checks that could not be written, under the ones since.
    fn take_back(&mut self, earlier: Tally) {
        self.count += earlier.count;
        self.late += earlier.late;
        self.reports += earlier.reports;
        for (region, n) in earlier.regions {
            if self.regions.contains_key(&region) || self.regions.len() < MAX_REGIONS {
                *self.regions.entry(region).or_default() += n;
            }
        }
        self.first_at = earlier.first_at.or(self.first_at);
        self.last_at = self.last_at.or(earlier.last_at);
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
    /// Per client and label: the hour's start and the checks counted in it.
    clients: HashMap<(u64, AssetId), (u64, u32)>,
    /// Live tokens: the label, when they expire, and whether they added a region, a report.
    tokens: HashMap<u128, Token>,
}

/// What a counted check's token may still add.
struct Token {
    asset: AssetId,
    expires: u64,
    region: bool,
    report: bool,
}

/// A client as the gate knows it: a keyed hash of its address, never stored.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Client(u64);

/// Why a region was not added.
#[derive(Debug, thiserror::Error)]
#[error("a region or a report is added with the token of the check it belongs to, once each, within an hour")]
pub struct NoSuchToken;

/// The handle the HTTP layer holds.
#[derive(Clone)]
pub struct ScanCounter {
    book: Arc<Mutex<Book>>,
    clock: Clock,
    /// The key of the clients' hashes: random per process.
    secret: [u8; 32],
    /// Dropping the last handle stops the thread after a last write.
    _stop: Arc<mpsc::Sender<()>>,
    metrics: Arc<Metrics>,
}

impl ScanCounter {
    /// Starts the thread that writes checks to the database at `path` (already migrated).
    pub fn start(
        path: &Path,
        clock: Clock,
        metrics: Arc<Metrics>,
    ) -> Result<(ScanCounter, JoinHandle<()>), ServiceError> {
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
        let mut secret = [0u8; 32];
        rand_core::RngCore::fill_bytes(&mut rand_core::OsRng, &mut secret);
        Ok((ScanCounter { book, clock, secret, _stop: Arc::new(stop), metrics }, thread))
    }

    /// Whether the book already knows this label (else load it with [`ScanCounter::load`]).
    pub fn knows(&self, asset: &AssetId) -> bool {
        self.book.lock().is_ok_and(|b| b.labels.contains_key(asset))
    }

    /// Reads a label's counts from the database into the book, unless another check did first.
    pub fn load(&self, conn: &mut SqliteConnection, asset: &AssetId) -> Result<(), ServiceError> {
        let total = stored(conn, asset)?;
        if let Ok(mut book) = self.book.lock() {
            if book.labels.len() >= BOOK_CAPACITY {
                book.labels.retain(|_, p| !p.unwritten.is_empty());
            }
            book.labels.entry(*asset).or_insert(Page { total, unwritten: Tally::default() });
        }
        Ok(())
    }

    /// The time by the counter's clock, in ms since the epoch.
    pub fn now(&self) -> u64 {
        (self.clock)().millis()
    }

    /// The client at `address`, as the gate knows it.
    pub fn client(&self, address: Option<std::net::IpAddr>) -> Client {
        let address = address.map(|a| a.to_string()).unwrap_or_default();
        let hash = terroir_shared::Hash::sha256_parts(&[&self.secret, address.as_bytes()]);
        let mut first = [0u8; 8];
        first.copy_from_slice(&hash.as_bytes()[..8]);
        Client(u64::from_le_bytes(first))
    }

    /// Counts a check by `client`, unless it has made [`CHECKS_PER_CLIENT_HOUR`] of this label
    /// this hour; returns the label's counts and, for a counted check, the token that lets its
    /// buyer add a region.
    pub fn add(&self, asset: &AssetId, mut check: Check, client: Client) -> (Tally, Option<String>) {
        let at = (self.clock)().millis();
        let Ok(mut book) = self.book.lock() else { return (Tally::default(), None) };
        if check.counted {
            make_room(&mut book.clients, |(start, _)| at.saturating_sub(*start) < HOUR_MS);
            let (start, count) = book.clients.entry((client.0, *asset)).or_insert((at, 0));
            if at.saturating_sub(*start) >= HOUR_MS {
                (*start, *count) = (at, 0);
            }
            *count += 1;
            check.counted = *count <= CHECKS_PER_CLIENT_HOUR;
        }
        self.metrics.label_check(match (check.counted, check.late) {
            (true, false) => LabelCheck::Counted,
            (true, true) => LabelCheck::Late,
            (false, _) => LabelCheck::NotCounted,
        });
        let token = check.counted.then(|| {
            make_room(&mut book.tokens, |t| t.expires > at);
            let mut bytes = [0u8; 16];
            rand_core::RngCore::fill_bytes(&mut rand_core::OsRng, &mut bytes);
            let token = u128::from_le_bytes(bytes);
            book.tokens.insert(
                token,
                Token { asset: *asset, expires: at + TOKEN_TTL_MS, region: false, report: false },
            );
            format!("{token:032x}")
        });
        (Self::record(&mut book, asset, Seen::Check(check), at), token)
    }

    /// Adds a region or a report to the check `token` was given for: each once, within
    /// [`TOKEN_TTL_MS`], for that label only.
    pub fn add_to_check(
        &self,
        asset: &AssetId,
        token: &str,
        addition: Addition,
    ) -> Result<Tally, NoSuchToken> {
        let at = (self.clock)().millis();
        let token = u128::from_str_radix(token, 16).map_err(|_| NoSuchToken)?;
        let mut book = self.book.lock().map_err(|_| NoSuchToken)?;
        let t = book.tokens.get_mut(&token).ok_or(NoSuchToken)?;
        if t.asset != *asset || t.expires <= at {
            return Err(NoSuchToken);
        }
        let used = match addition {
            Addition::Region(_) => &mut t.region,
            Addition::Report => &mut t.report,
        };
        if std::mem::replace(used, true) {
            return Err(NoSuchToken);
        }
        self.metrics.label_check(match addition {
            Addition::Region(_) => LabelCheck::Region,
            Addition::Report => LabelCheck::Report,
        });
        Ok(Self::record(&mut book, asset, Seen::Added(addition), at))
    }

    fn record(book: &mut Book, asset: &AssetId, seen: Seen, at: u64) -> Tally {
        let page = book.labels.entry(*asset).or_default();
        page.total.add(seen, at);
        page.unwritten.add(seen, at);
        page.total.clone()
    }

    /// The label's counts, if the book knows it.
    pub fn tally(&self, asset: &AssetId) -> Option<Tally> {
        self.book.lock().ok()?.labels.get(asset).map(|p| p.total.clone())
    }
}

/// Keeps the gate's `map` under [`GATE_CAPACITY`]: when full, the entries no longer `live` go;
/// if that is not enough, all go (a flood of clients or tokens forgets the oldest hour).
fn make_room<K, V>(map: &mut HashMap<K, V>, live: impl Fn(&V) -> bool) {
    if map.len() >= GATE_CAPACITY {
        map.retain(|_, v| live(v));
        if map.len() >= GATE_CAPACITY {
            map.clear();
        }
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
            // Kept for the next flush (a full disk may have room again by then); labels with
            // checks unwritten are never the ones forgotten to make room.
            tracing::warn!(error = %e, labels = batch.len(), "could not write label checks; trying again later");
            for (id, tally) in batch {
                // A page forgotten meanwhile is read again, as a check would read it.
                let reread = match book.lock() {
                    Ok(b) if b.labels.contains_key(&id) => None,
                    Ok(_) => Some(stored(&mut conn, &id)),
                    Err(_) => return,
                };
                let Ok(mut b) = book.lock() else { return };
                let counted = reread.is_none();
                let page = match reread {
                    None => b.labels.get_mut(&id),
                    Some(Ok(total)) => {
                        Some(b.labels.entry(id).or_insert(Page { total, unwritten: Tally::default() }))
                    }
                    Some(Err(e)) => {
                        tracing::warn!(error = %e, label = %id, "label checks lost: cannot read the label's counts");
                        None
                    }
                };
                if let Some(page) = page {
                    if !counted {
                        page.total.take_back(tally.clone());
                    }
                    page.unwritten.take_back(tally);
                }
            }
        }
        if last {
            return;
        }
    }
}

/// A label's checks as the database holds them.
fn stored(conn: &mut SqliteConnection, asset: &AssetId) -> Result<Tally, DbError> {
    let key = asset.0.as_bytes().as_slice();
    let mut total = Tally::default();
    if let Some(row) = db::scans::get(conn, key)? {
        total.count = row.count as u64;
        total.late = row.late as u64;
        total.first_at = Some(row.first_at as u64);
        total.last_at = Some(row.last_at as u64);
        total.reports = row.reports as u64;
    }
    for r in db::scans::regions(conn, key)? {
        if let Some(region) = Region::parse(&r.region) {
            total.regions.insert(region, r.count as u64);
        }
    }
    Ok(total)
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
                reports: t.reports as i64,
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
