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
pub mod label;
pub mod ledger;
pub mod personal;
pub mod reads;
mod receipts;
pub mod scans;
pub mod witnessing;
mod writer;

use terroir_shared::canonical::CanonicalError;
use terroir_shared::log::{ProofError, ProveError, StoreError};

use crate::db::DbError;

/// Why a use case failed for reasons that are not the caller's fault.
#[derive(Debug, thiserror::Error)]
pub enum ServiceError {
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
    #[error("{0}")]
    Files(String),
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
