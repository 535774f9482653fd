//! Sending queued records to the ledger: in signing order, in batches, with every receipt
//! checked against the pinned log key before a record counts as landed. A pass can stop at any
//! point (network lost, app killed): records stay pending until their answer is stored, and
//! sending one again is harmless because the server answers a resubmission with the same
//! receipt.

use std::sync::mpsc::{self, RecvTimeoutError, Sender};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::Duration;

use diesel::Connection;
use serde::Serialize;
use terroir_shared::entry::LedgerEntry;
use terroir_shared::log::{Receipt, ReceiptVerifier};
use terroir_shared::party::PartyId;
use terroir_shared::rules::{Rules, needs};

use crate::client::{BatchOutcome, Client, ClientError};
use crate::describe::{asset_label, explain_code};
use crate::error::StationError;
use crate::station::{Station, envelope_of};
use crate::store::{self, RecordRow};
use crate::words::{Said, said};

/// Records per request: large enough to share the server's group commit, small enough that a
/// dropped connection costs little.
pub const BATCH: i64 = 1_000;

/// Where the sync stands.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum SyncState {
    #[default]
    Idle,
    Syncing,
    /// The ledger could not be reached; the next pass comes after a backoff.
    Offline,
    /// The ledger does not know the co-op or this station yet.
    AwaitingEnrolment,
    /// The last pass stopped on something the clerk or the operator must look at.
    Failed,
}

/// What the window's sync indicator shows.
#[derive(Clone, Debug, Default, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct SyncStatus {
    pub state: SyncState,
    pub message: Said,
    pub last_attempt: Option<u64>,
    pub last_success: Option<u64>,
    pub next_attempt: Option<u64>,
    /// Progress of the pass under way.
    pub sent: u64,
    pub total: u64,
}

/// Sends the station's queued records to the ledger and keeps where that stands: one pass
/// at a time (`once`), run in the background by a [`SyncWorker`].
pub struct LedgerSync {
    station: Arc<Station>,
    status: Mutex<SyncStatus>,
}

/// What one pass did.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct SyncReport {
    pub landed: u64,
    pub refused: u64,
    pub remaining: u64,
    /// The ledger does not know the co-op or this station yet: nothing more is sent until the
    /// operator enrols it.
    pub awaiting_enrolment: bool,
}

/// Why a pass stopped early.
#[derive(Debug, thiserror::Error)]
pub enum SyncError {
    #[error(transparent)]
    Server(#[from] ClientError),
    /// The server's answer does not prove what it claims: nothing was marked as landed.
    #[error("the ledger's receipt for record {record} does not verify: {reason}")]
    BadReceipt { record: String, reason: String },
    #[error(transparent)]
    Station(#[from] StationError),
}

impl From<diesel::result::Error> for SyncError {
    fn from(e: diesel::result::Error) -> Self {
        SyncError::Station(e.into())
    }
}

impl From<store::StoreError> for SyncError {
    fn from(e: store::StoreError) -> Self {
        SyncError::Station(e.into())
    }
}

/// Codes that mean "not enrolled yet" for the co-op's own records: they stay queued.
const NOT_YET_ENROLLED: [&str; 3] = ["unknown_party", "signer_not_authorised", "unknown_device"];

impl LedgerSync {
    pub fn new(station: Arc<Station>) -> Self {
        LedgerSync { station, status: Mutex::new(SyncStatus::default()) }
    }

    pub fn station(&self) -> &Arc<Station> {
        &self.station
    }

    /// Where the sync stands, for the window's header.
    pub fn status(&self) -> SyncStatus {
        self.status.lock().unwrap_or_else(|p| p.into_inner()).clone()
    }

    fn set_sync(&self, f: impl FnOnce(&mut SyncStatus)) {
        f(&mut self.status.lock().unwrap_or_else(|p| p.into_inner()));
    }

    /// Sends every pending record, batch by batch, and stores each answer.
    pub fn once(&self) -> Result<SyncReport, SyncError> {
        let settings = self.station.settings()?;
        let me = PartyId(self.station.keys()?.party.public());
        let client = Client::new(&settings.server_url);
        let now = self.station.now().millis();
        let total = store::counts(&mut self.station.db())?.pending as u64;
        self.set_sync(|s| {
            s.state = SyncState::Syncing;
            s.message = said(format!("sending {total} records"), format!("正在发送 {total} 条记录"));
            s.last_attempt = Some(now);
            s.sent = 0;
            s.total = total;
        });
        let mut report = SyncReport::default();
        let mut receipts = ReceiptVerifier::new(&settings.verifier_key);
        let mut refused_rows: Vec<RecordRow> = vec![];
        let mut pass = || -> Result<(), SyncError> {
            loop {
                let batch = store::pending(&mut self.station.db(), BATCH)?;
                if batch.is_empty() {
                    return Ok(());
                }
                let texts: Vec<&str> = batch.iter().map(|r| r.envelope.as_str()).collect();
                let outcomes = client.submit_batch(&texts)?;
                let mut settled = Vec::with_capacity(batch.len());
                let mut stop = false;
                for (row, outcome) in batch.iter().zip(outcomes) {
                    match outcome {
                        BatchOutcome::Landed(receipt) => {
                            check_receipt(row, &receipt, &mut receipts)?;
                            settled.push((row, Ok(receipt)));
                        }
                        BatchOutcome::Refused { code, .. }
                            if NOT_YET_ENROLLED.contains(&code.as_str()) && party_of(row)? == me =>
                        {
                            report.awaiting_enrolment = true;
                            stop = true;
                        }
                        BatchOutcome::Refused { code, detail } => settled.push((row, Err((code, detail)))),
                    }
                }
                let at = self.station.now().millis() as i64;
                self.station.db().transaction(|conn| -> Result<(), SyncError> {
                    for (row, outcome) in &settled {
                        match outcome {
                            Ok(receipt) => {
                                let text = serde_json::to_string(receipt)
                                    .map_err(|e| store::corrupt("receipt", e))?;
                                if store::settle_landed(conn, &row.id, &text, receipt.index, at)? {
                                    report.landed += 1;
                                }
                            }
                            Err((code, detail)) => {
                                let why = serde_json::to_string(&explain_code(code, detail))
                                    .map_err(|e| store::corrupt("problem", e))?;
                                if store::settle_refused(conn, &row.id, code, &why, at)? {
                                    report.refused += 1;
                                    refused_rows.push((*row).clone());
                                }
                            }
                        }
                    }
                    Ok(())
                })?;
                self.set_sync(|s| s.sent += settled.len() as u64);
                if stop {
                    return Ok(());
                }
            }
        };
        let result = pass();
        // Best effort: the ledger's truth replaces what refused records assumed.
        if !refused_rows.is_empty() {
            self.reconcile(&client, &refused_rows);
        }
        if result.is_ok() && !report.awaiting_enrolment {
            self.confirm_party(&client, &me);
        }
        report.remaining = store::counts(&mut self.station.db())?.pending as u64;
        let now = self.station.now().millis();
        match &result {
            Ok(()) => self.set_sync(|s| {
                s.state = if report.awaiting_enrolment { SyncState::AwaitingEnrolment } else { SyncState::Idle };
                s.message = if report.awaiting_enrolment {
                    said(
                        "The ledger does not know this co-op or station yet: ask the operator to enrol the co-op's key.",
                        "账本还不认识本合作社或本站：请运营方为合作社密钥开通。",
                    )
                } else {
                    let (landed, refused) = (report.landed, report.refused);
                    said(
                        format!("{landed} in the ledger, {refused} refused"),
                        format!("{landed} 条已入账，{refused} 条被拒绝"),
                    )
                };
                s.last_success = Some(now);
            }),
            Err(e) => {
                let offline = matches!(e, SyncError::Server(c) if c.is_transient());
                self.set_sync(|s| {
                    s.state = if offline { SyncState::Offline } else { SyncState::Failed };
                    s.message = if offline {
                        said("The ledger cannot be reached", "无法连接账本").with_detail(e)
                    } else {
                        said("Sync stopped", "同步已停止").with_detail(e)
                    };
                });
            }
        }
        result.map(|()| report)
    }

    /// After refusals: forget what refused records created, and read the ledger's current
    /// state of what they touched.
    fn reconcile(&self, client: &Client, refused: &[RecordRow]) {
        for row in refused {
            let Ok(signed) = envelope_of(row)
                .and_then(|e| e.verify().map_err(|e| StationError::Store(store::corrupt("record", e))))
            else {
                continue;
            };
            let mut conn = self.station.db();
            for id in needs(&signed, Rules::CURRENT).creates {
                if let Err(e) = store::remove_asset(&mut conn, &id) {
                    tracing::warn!("cannot forget asset {id}: {e}");
                }
            }
            drop(conn);
            for r in signed.body().act.touches() {
                match crate::client::asset(client, &r.id) {
                    Ok(asset) => {
                        if let Err(e) = store::put_asset(
                            &mut self.station.db(),
                            &asset,
                            &asset_label(&asset).both(),
                            row.seq,
                        ) {
                            tracing::warn!("cannot store asset {}: {e}", r.id);
                        }
                    }
                    Err(e) => tracing::warn!("cannot read asset {}: {e}", r.id),
                }
            }
        }
    }

    /// Once the ledger accepted the co-op's records, its registration is confirmed.
    fn confirm_party(&self, client: &Client, me: &PartyId) {
        if store::party(&mut self.station.db(), me).ok().flatten().is_some_and(|(_, confirmed)| confirmed) {
            return;
        }
        if let Ok(view) = client.party(me)
            && let Err(e) = store::put_party(&mut self.station.db(), &view.party, true)
        {
            tracing::warn!("cannot store the co-op's registration: {e}");
        }
    }
}

fn party_of(row: &RecordRow) -> Result<PartyId, SyncError> {
    Ok(envelope_of(row)?.record.party)
}

/// Checks that `receipt` proves this very record under a checkpoint signed by the pinned log
/// key; each checkpoint's signature is checked once per pass.
fn check_receipt(
    row: &RecordRow,
    receipt: &Receipt,
    receipts: &mut ReceiptVerifier,
) -> Result<(), SyncError> {
    let envelope = envelope_of(row)?;
    LedgerEntry::verify_record_receipt_with(&envelope, receipt, receipts)
        .map(drop)
        .map_err(|e| SyncError::BadReceipt { record: row.id.clone(), reason: e.to_string() })
}

/// The background sync: a pass when nudged (after every act) or when the wait runs out; after a
/// network failure it waits 1, 2, 4 ... up to 60 seconds before trying again.
pub struct SyncWorker {
    tx: Sender<()>,
    thread: Option<JoinHandle<()>>,
}

pub const IDLE_WAIT: Duration = Duration::from_secs(15);
pub const MAX_BACKOFF: Duration = Duration::from_secs(60);

impl SyncWorker {
    pub fn spawn(sync: Arc<LedgerSync>) -> Self {
        let (tx, rx) = mpsc::channel::<()>();
        let thread = std::thread::Builder::new()
            .name("sync".into())
            .spawn(move || {
                let mut backoff = Duration::from_secs(1);
                let mut wait = Duration::ZERO;
                loop {
                    match rx.recv_timeout(wait) {
                        Ok(()) | Err(RecvTimeoutError::Timeout) => {}
                        Err(RecvTimeoutError::Disconnected) => return,
                    }
                    while rx.try_recv().is_ok() {}
                    let pending = sync.station.status().map(|s| (s.set_up, s.counts.pending));
                    wait = match pending {
                        Ok((true, n)) if n > 0 => match sync.once() {
                            Ok(r) if r.awaiting_enrolment => Duration::from_secs(30),
                            Ok(_) => {
                                backoff = Duration::from_secs(1);
                                IDLE_WAIT
                            }
                            Err(SyncError::Server(e)) if e.is_transient() => {
                                let w = backoff;
                                backoff = (backoff * 2).min(MAX_BACKOFF);
                                w
                            }
                            Err(e) => {
                                tracing::warn!("sync stopped: {e}");
                                MAX_BACKOFF
                            }
                        },
                        _ => IDLE_WAIT,
                    };
                    let next = sync.station.now().millis() + wait.as_millis() as u64;
                    sync.set_sync(|s| s.next_attempt = Some(next));
                }
            })
            .ok();
        Self { tx, thread }
    }

    /// Asks for a pass now.
    pub fn nudge(&self) {
        let _ = self.tx.send(());
    }

    /// Stops after the pass under way.
    pub fn stop(mut self) {
        let (tx, _) = mpsc::channel();
        drop(std::mem::replace(&mut self.tx, tx));
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}
