//! The station: one co-op's keys, settings and store, and every use case the window offers.
//! Each act is checked by the ledger's own rules against the station's view, signed, and
//! stored durably before the call returns; the sync (`crate::sync`) sends it later.
//!
//! - `setup`: the first run, the settings (typed, read in one query), keys and their backup
//! - `acts`: registering goods and acting on them, each act read, judged, signed and stored
//!   in one transaction
//! - `reads`: the asset list, an asset's detail, the record queue, organisations, assets read
//!   from the ledger
//! - `printing`: label stocks, previews and sheets
//! - `epcis`: a partner's EPCIS 2.0 document, imported event by event

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, MutexGuard};

use diesel::sqlite::SqliteConnection;
use serde::Serialize;
use terroir_shared::calendar::Timestamp;
use terroir_shared::party::PartyId;
use terroir_shared::record::Record;

use crate::error::{Result, StationError};
use crate::keys::StationKeys;
use crate::store::{self, RecordRow, SyncCounts};
use crate::words::Said;

mod acts;
mod epcis;
mod printing;
mod reads;
mod setup;

pub use epcis::ImportedEvent;
pub use printing::{Printing, PrintingChoice, Sheet};
pub use reads::{AssetDetail, PartyRow};
pub use setup::{Settings, SetupForm};

pub const DATABASE_FILE: &str = "station.sqlite";

/// The clock the station signs with; tests pass their own.
pub use terroir_shared::calendar::Clock;

pub fn system_clock() -> Clock {
    Arc::new(|| Timestamp::from_system_time(std::time::SystemTime::now()))
}

/// What the window's header shows.
#[derive(Clone, Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct StationStatus {
    pub set_up: bool,
    pub party_key: Option<String>,
    pub device_key: Option<String>,
    pub settings: Option<Settings>,
    pub enrolled: bool,
    pub counts: SyncCounts,
}

/// The result of an act: the record that was signed and stored, and what it created.
#[derive(Clone, Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Done {
    pub record: String,
    pub summary: Said,
    pub created: Vec<String>,
}

pub struct Station {
    dir: PathBuf,
    conn: Mutex<SqliteConnection>,
    keys: Mutex<Option<Arc<StationKeys>>>,
    clock: Clock,
}

impl Station {
    /// Opens the station in `dir` (created if needed).
    pub fn open(dir: &Path) -> Result<Self> {
        Self::open_with_clock(dir, system_clock())
    }

    pub fn open_with_clock(dir: &Path, clock: Clock) -> Result<Self> {
        std::fs::create_dir_all(dir).map_err(|e| StationError::file(format!("{}: {e}", dir.display())))?;
        let conn = store::open(&dir.join(DATABASE_FILE))?;
        let keys = StationKeys::load(dir)?.map(Arc::new);
        Ok(Self { dir: dir.to_owned(), conn: Mutex::new(conn), keys: Mutex::new(keys), clock })
    }

    pub fn dir(&self) -> &Path {
        &self.dir
    }

    pub(crate) fn db(&self) -> MutexGuard<'_, SqliteConnection> {
        self.conn.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    pub(crate) fn now(&self) -> Timestamp {
        (self.clock)()
    }

    pub(crate) fn keys(&self) -> Result<Arc<StationKeys>> {
        self.keys.lock().unwrap_or_else(|p| p.into_inner()).clone().ok_or_else(StationError::not_set_up)
    }

    pub fn status(&self) -> Result<StationStatus> {
        let keys = self.keys().ok();
        let settings = self.settings().ok();
        let mut conn = self.db();
        let counts = store::counts(&mut conn)?;
        let enrolled = match &keys {
            Some(k) => {
                store::party(&mut conn, &PartyId(k.party.public()))?.is_some_and(|(_, confirmed)| confirmed)
            }
            None => false,
        };
        drop(conn);
        Ok(StationStatus {
            set_up: settings.is_some() && keys.is_some(),
            party_key: keys.as_ref().map(|k| k.party.public().to_string()),
            device_key: keys.as_ref().map(|k| k.device.public().to_string()),
            settings,
            enrolled,
            counts,
        })
    }
}

/// The signed record a stored row holds.
pub(crate) fn envelope_of(row: &RecordRow) -> Result<terroir_shared::record::Envelope<Record>> {
    terroir_shared::record::Envelope::from_json(row.envelope.as_bytes())
        .map_err(|e| StationError::Store(store::corrupt("record", e)))
}
