//! Enrolment keeps personal data out of the ledger: only a salted commitment is logged, the
//! clear data can be read back against it and erased without touching any proof.

use std::sync::Arc;

use terroir_backend::metrics::Metrics;
use terroir_backend::service::audit::audit;
use terroir_backend::service::enrol::{self, Enrolment};
use terroir_backend::service::ledger::{Ledger, LogIdentity, Outcome};
use terroir_shared::calendar::Timestamp;
use terroir_shared::commitment::PersonalData;
use terroir_shared::log::LogSigner;
use terroir_shared::party::Role;
use terroir_shared::record::Act;

use crate::support::*;

#[actix_web::test]
async fn contact_data_is_committed_kept_apart_and_erasable() {
    let dir = tempfile::tempdir().expect("dir");
    let db = dir.path().join("ledger.sqlite");
    let signer = LogSigner::new(ORIGIN, ed25519_dalek::SigningKey::from_bytes(&[201; 32])).expect("key");
    let vkey = signer.vkey();
    let identity = LogIdentity { origin: ORIGIN.into(), operator: party(&key(200)), signer };
    let (ledger, writer) =
        Ledger::open(&db, identity, &key(200), Arc::new(|| Timestamp(NOW)), Arc::new(Metrics::default()))
            .expect("open");
    let data = PersonalData { name: "Li Wei".into(), phone: Some("+86 139 0000 0000".into()) };
    let enrolment = Enrolment {
        key: key(1).public(),
        name: "Bulang Co-op".into(),
        roles: vec![Role::Cooperative],
        contact: Some(data.clone()),
    };
    let prepared = enrol::prepare(ORIGIN, &key(200), Timestamp(NOW - 10), enrolment).expect("prepare");
    let leaf_text = serde_json::to_string(&prepared.record).expect("json");
    assert!(
        !leaf_text.contains("Li Wei") && !leaf_text.contains("0000 0000"),
        "no personal data in the record"
    );
    let Act::RegisterParty(registration) = &prepared.record.body().act else { panic!("a registration") };
    let commitment = registration.contact.expect("a commitment");
    let outcome = ledger.submit(vec![prepared.record.clone()]).await.expect("submit").remove(0);
    assert!(matches!(outcome, Outcome::Accepted(_)), "{outcome:?}");
    drop(ledger);
    writer.join();

    let mut conn = terroir_backend::db::open_writer(&db).expect("open");
    enrol::keep_contact(&mut conn, prepared.contact.as_ref().expect("row")).expect("keep");
    assert_eq!(enrol::contact(&mut conn, &commitment).expect("read"), Some(data));
    assert!(enrol::erase_contact(&mut conn, &commitment).expect("erase"));
    assert_eq!(enrol::contact(&mut conn, &commitment).expect("read"), None);
    let report =
        audit(&mut conn, ORIGIN, party(&key(200)), &vkey, &|_, _| {}).expect("still verifies after erasure");
    assert_eq!((report.entries, report.parties), (2, 1), "the opening and the registration");
}
