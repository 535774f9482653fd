//! The wire contract of the ledger server's JSON API: every request and answer body, as the
//! server writes them and its clients (the co-op station, the operator's `enrol`) read them.
//! With the `openapi` feature each type also gives its schema for the server's API
//! description, so the document, the server and its clients are one set of types.
//!
//! Members are written in the order the types declare them. A client reads an answer with
//! members it does not know (a newer server's additions) and leaves them; a request with one is
//! refused.

mod assets;
mod label;
mod log;
mod records;

pub use assets::{AssetHistory, Direction, Lineage, PartyList, PartyView, ProvenEntry};
pub use label::{
    CheckRequest, Checks, CloneSign, Evidence, JourneyItem, LabelAnswer, ProvenLeaf, ReportList, Reported,
    ShownAsset, StateAnswer, StateKind, StateProof,
};
pub use log::{EntryPage, EntryView, LogInfo};
pub use records::{
    BatchItem, BatchResult, BatchShapeError, MAX_BATCH, Problem, parse_batch, parse_submitted,
};

use serde::de::DeserializeOwned;

use crate::record::ParseError;

/// Reads an answer (or a request) of the API into its type, or says where it is wrong: the
/// JSON path of the first offending value and why, e.g. `at `results[3].receipt.leafHash`: …`.
pub fn read<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, ParseError> {
    crate::record::parse_with_path(bytes)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_answer_that_does_not_fit_says_where() {
        let e =
            read::<BatchResult>(br#"{"results":[{"outcome":"landed","receipt":{}}]}"#).expect_err("refused");
        assert_eq!(e.path, "results[0].outcome");
        assert!(e.reason.contains("unknown variant `landed`"), "{e}");
        let e = read::<LogInfo>(br#"{"checkpoint":null,"size":"many"}"#).expect_err("refused");
        assert_eq!(e.path, "size", "{e}");
        let e = read::<Problem>(b"<html>bad gateway</html>").expect_err("refused");
        assert_eq!(e.to_string(), "expected value");
    }

    #[test]
    fn an_answer_from_a_newer_server_reads_and_a_request_with_unknown_members_does_not() {
        let parties = br#"{"parties":[],"nextPage":"abc","servedBy":"a newer server"}"#;
        assert!(read::<PartyList>(parties).is_ok_and(|p| p.parties.is_empty()));
        let problem = br#"{"code":"head_conflict","detail":"d","status":409,"title":"t","type":"/api/problems#head_conflict","instance":"/x","retryAfter":3}"#;
        assert!(read::<Problem>(problem).is_ok_and(|p| p.code == "head_conflict"));
        let check = br#"{"again":true,"surprise":1}"#;
        assert!(read::<CheckRequest>(check).is_err());
    }
}
