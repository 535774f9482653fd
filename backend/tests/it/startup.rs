//! Start-up: the log's tip is read and checked, not replayed, and a database is only ever
//! opened by the log whose key signed it.

use std::sync::Arc;

use terroir_backend::metrics::Metrics;
use terroir_backend::service::ledger::{Ledger, LogIdentity};
use terroir_shared::calendar::Timestamp;
use terroir_shared::log::LogSigner;
use terroir_shared::party::Role;

use crate::support::*;

fn identity(key_seed: u8, origin: &str, signer_origin: &str) -> LogIdentity {
    let signer =
        LogSigner::new(signer_origin, ed25519_dalek::SigningKey::from_bytes(&[key_seed; 32])).expect("key");
    LogIdentity { origin: origin.into(), operator: party(&key(200)), signer }
}

#[actix_web::test]
async fn a_database_reopens_only_under_its_own_log_key() {
    let dir = tempfile::tempdir().expect("dir");
    let db = dir.path().join("ledger.sqlite");
    let clock = || -> terroir_backend::service::ledger::Clock { Arc::new(|| Timestamp(NOW)) };
    let metrics = || Arc::new(Metrics::default());
    let (ledger, writer) =
        Ledger::open(&db, identity(201, ORIGIN, ORIGIN), &key(200), clock(), metrics()).expect("open");
    let mut h = Harness::new();
    let record = h.register(&key(1), "Co-op", &[Role::Cooperative]);
    let outcomes = ledger.submit(vec![record]).await.expect("submitted");
    assert!(matches!(outcomes[0], terroir_backend::service::ledger::Outcome::Accepted(_)));
    drop(ledger);
    writer.join();

    let (again, writer) =
        Ledger::open(&db, identity(201, ORIGIN, ORIGIN), &key(200), clock(), metrics()).expect("reopens");
    assert_eq!(again.latest_checkpoint().map(|c| c.size), Some(2), "the tip is loaded, not replayed");
    drop(again);
    writer.join();
    let foreign = Ledger::open(&db, identity(99, ORIGIN, ORIGIN), &key(200), clock(), metrics());
    assert!(foreign.is_err(), "another key cannot take over this log");
    let mismatched =
        Ledger::open(&db, identity(201, ORIGIN, "other.test/log"), &key(200), clock(), metrics());
    assert!(mismatched.is_err(), "the key's name must be the log's origin");
}
