//! Use cases: accepting records into the log (one writer, group commit) and reading what the
//! log proves. Handlers call these; these call `db/` and the core's rules and proofs.

pub mod audit;
pub mod backup;
pub mod cache;
pub mod clones;
mod commit;
pub mod demo;
pub mod enrol;
pub mod epcis;
mod group;
pub mod intake;
pub mod label;
pub mod labels;
pub mod ledger;
pub mod personal;
pub mod reader;
pub mod reads;
mod receipts;
pub mod scans;
pub mod witnessing;
mod writer;

use terroir_shared::canonical::CanonicalError;
use terroir_shared::log::{ProofError, ProveError, StoreError};

use crate::db::DbError;

/// Why a use case failed: what was asked for is not there, or the request cannot be taken
/// ([`ServiceError::NotFound`], [`ServiceError::Invalid`]: the caller's to mend), or something
/// that is not the caller's fault.
#[derive(Debug, thiserror::Error)]
pub enum ServiceError {
    /// Names what was asked for, as a caller would: "asset 5f3a…", "entry 12".
    #[error("{0} not found")]
    NotFound(String),
    /// Says what is wrong with the request.
    #[error("{0}")]
    Invalid(String),
    /// The server is stopping: the work was dropped before it ran.
    #[error("the server is stopping")]
    Interrupted,
    #[error(transparent)]
    Db(#[from] DbError),
    #[error("tree nodes: {0}")]
    Store(#[from] StoreError),
    #[error("proof: {0}")]
    Prove(#[from] ProveError),
    #[error("the log failed its own check: {0}")]
    Integrity(String),
    #[error("canonical encoding: {0}")]
    Canonical(#[from] CanonicalError),
    #[error("the ledger writer has stopped")]
    WriterStopped,
    /// A write failed for want of disk (full, failing): nothing of it was stored, and the
    /// same write can succeed later. Says why.
    #[error("the ledger cannot store records now: {0}")]
    CannotStore(&'static str),
    #[error("{0}")]
    Files(String),
}

impl ServiceError {
    /// This error as [`ServiceError::CannotStore`] if it is a failure of the disk, not of the
    /// data or the code.
    pub fn storage_failure(&self) -> Option<&'static str> {
        match self {
            ServiceError::CannotStore(why) => Some(why),
            other => crate::db::storage_failure(&other.to_string()),
        }
    }
}

impl From<ProofError> for ServiceError {
    fn from(e: ProofError) -> Self {
        ServiceError::Integrity(e.to_string())
    }
}

impl From<diesel::result::Error> for ServiceError {
    fn from(e: diesel::result::Error) -> Self {
        ServiceError::Db(DbError::Query(e))
    }
}
