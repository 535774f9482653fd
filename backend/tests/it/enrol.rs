//! Enrolment keeps personal data out of the ledger: only a salted commitment to the data and
//! the consent is logged; the clear data is kept apart, read back against the commitment, and
//! erased without touching any proof.

use std::sync::Arc;

use terroir_backend::db::personal::Erased;
use terroir_backend::metrics::Metrics;
use terroir_backend::service::audit::audit;
use terroir_backend::service::enrol::{self, Enrolment};
use terroir_backend::service::ledger::{Ledger, LogIdentity, Outcome};
use terroir_backend::service::personal::{self, Given, Whose};
use terroir_shared::calendar::Timestamp;
use terroir_shared::commitment::{Consent, PersonalData};
use terroir_shared::log::LogSigner;
use terroir_shared::party::Role;
use terroir_shared::record::Act;

use crate::support::*;

#[actix_web::test]
async fn contact_data_is_committed_with_its_consent_kept_apart_and_erasable() {
    let dir = tempfile::tempdir().expect("dir");
    let db = dir.path().join("ledger.sqlite");
    let signer = LogSigner::new(ORIGIN, ed25519_dalek::SigningKey::from_bytes(&[201; 32])).expect("key");
    let vkey = signer.vkey();
    let identity = LogIdentity { origin: ORIGIN.into(), operator: party(&key(200)), signer };
    let (ledger, writer) =
        Ledger::open(&db, identity, &key(200), Arc::new(|| Timestamp(NOW)), Arc::new(Metrics::default()))
            .expect("open");
    let data = PersonalData { name: "Li Wei".into(), phone: Some("+86 139 0000 0000".into()) };
    let consent = Consent {
        purpose: "to be called about the co-op's lots".into(),
        given_on: "2026-11-30".parse().expect("date"),
        collected_by: "Bulang co-op office".into(),
        record: Some("signed form 2026-031".into()),
    };
    let enrolment = Enrolment {
        key: key(1).public(),
        name: "Bulang Co-op".into(),
        roles: vec![Role::Cooperative],
        contact: Some(Given { data: data.clone(), consent: consent.clone() }),
    };
    let prepared = enrol::prepare(ORIGIN, &key(200), Timestamp(NOW - 10), enrolment).expect("prepare");
    let leaf_text = serde_json::to_string(&prepared.record).expect("json");
    assert!(
        !leaf_text.contains("Li Wei")
            && !leaf_text.contains("0000 0000")
            && !leaf_text.contains("signed form"),
        "no personal data in the record"
    );
    let Act::RegisterParty(registration) = &prepared.record.body().act else { panic!("a registration") };
    let commitment = registration.contact.expect("a commitment");
    let outcome = ledger.submit(vec![prepared.record.clone()]).await.expect("submit").remove(0);
    assert!(matches!(outcome, Outcome::Accepted(_)), "{outcome:?}");
    drop(ledger);
    writer.join();

    personal::keep(dir.path(), prepared.contact.as_ref().expect("taken")).expect("keep");
    let held = personal::access(dir.path(), Whose::Commitment(commitment), false).expect("access").remove(0);
    assert_eq!(
        (held.status, held.data.as_ref(), held.consent.as_ref()),
        ("held", Some(&data), Some(&consent))
    );
    assert_eq!(held.collected_at.as_deref(), Some(Timestamp(NOW - 10).to_rfc3339().as_str()));
    held.proof.as_ref().expect("proof").check(&commitment).expect("the proof opens the logged commitment");
    let by_party = personal::access(dir.path(), Whose::Party(party(&key(1))), true).expect("access");
    assert_eq!(by_party.len(), 1);
    assert!(by_party[0].data.is_none() && by_party[0].proof.as_ref().expect("proof").data.is_none());

    let erased = personal::erase(dir.path(), &commitment, Timestamp(NOW)).expect("erase");
    assert_eq!(erased, Erased::Now);
    assert_eq!(
        personal::erase(dir.path(), &commitment, Timestamp(NOW + 1)).expect("again"),
        Erased::Before(Some(NOW as i64))
    );
    let after = personal::access(dir.path(), Whose::Commitment(commitment), false).expect("access").remove(0);
    assert_eq!((after.status, after.data.as_ref()), ("erased", None));
    assert_eq!(after.erased_at.as_deref(), Some(Timestamp(NOW).to_rfc3339().as_str()));
    // What was agreed stays provable without the data.
    after.proof.as_ref().expect("proof").check(&commitment).expect("the consent still opens it");
    // A registration kept again after its erasure (sent twice) does not bring the data back.
    personal::keep(dir.path(), prepared.contact.as_ref().expect("taken")).expect("keep");
    assert_eq!(
        personal::access(dir.path(), Whose::Commitment(commitment), false).expect("access")[0].status,
        "erased"
    );

    let mut conn = terroir_backend::db::open_writer(&db).expect("open");
    let report =
        audit(&mut conn, ORIGIN, party(&key(200)), &vkey, &|_, _| {}).expect("still verifies after erasure");
    assert_eq!((report.entries, report.parties), (2, 1), "the opening and the registration");
}
