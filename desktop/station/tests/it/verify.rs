//! Verifying a label from a photo: the QR is read, the history and proofs fetched, and every
//! signature and inclusion proof checked at the station against the pinned ledger key.

use base64::Engine;
use terroir_station::labels::{Stock, label_of};
use terroir_station::store::AssetFilter;
use terroir_tests::ledger::TestLedger;

use crate::support::*;

/// A running ledger, and a station enrolled on it that registered a lot of `cakes` cakes
/// (not yet synced): the lot's id.
fn enrolled_station_with_lot(
    cakes: u64,
    lot: &str,
) -> (TestLedger, tempfile::TempDir, std::sync::Arc<terroir_station::Station>, String) {
    let mut ledger = TestLedger::new().expect("ledger");
    ledger.start().expect("start");
    let dir = tempfile::tempdir().expect("dir");
    let s = station(dir.path(), &ledger, &ledger.url.clone());
    enrol(&ledger, &s);
    s.register_tea(tea(cakes, lot)).expect("registered");
    let filter = AssetFilter { kind: Some("tea_lot".into()), ..AssetFilter::default() };
    let id = s.assets(&filter).expect("lot")[0].id.clone();
    (ledger, dir, s, id)
}

#[test]
fn a_photographed_label_is_checked_against_the_pinned_ledger_key() {
    let (ledger, _dir, s, lot) = enrolled_station_with_lot(12, "VER1");
    s.act(terroir_station::forms::ActForm::Split { asset: lot, parts: vec![5, 7] }).expect("split");
    assert_eq!(sync_once(&s).expect("sync").remaining, 0);
    ledger.wait_witnessed().expect("the witnesses cosign what was synced");

    let part = s
        .assets(&AssetFilter {
            kind: Some("tea_lot".into()),
            state: Some(terroir_station::store::AssetState::Active),
            ..AssetFilter::default()
        })
        .expect("parts")[0]
        .asset
        .clone();
    let label = label_of(&part, &ledger.url, "Co-op").expect("the part has a label");
    let photo = terroir_station::labels::label_png(&label, Stock::default_stock()).expect("png");
    let b64 = base64::engine::general_purpose::STANDARD.encode(&photo);
    let verdicts = s.verify_photo(&b64).expect("verified");
    assert_eq!(verdicts.len(), 1);
    let v = &verdicts[0];
    assert!(v.verified, "{:#?}", v.checks);
    assert_eq!(v.uri, label.uri);
    assert_eq!(v.history.iter().map(|l| l.act.en.as_str()).collect::<Vec<_>>(), ["split"]);

    // A station pinned to another ledger's key refuses the same answers.
    let other_ledger = TestLedger::new().expect("another ledger");
    let other_dir = tempfile::tempdir().expect("dir");
    let mut form = setup_form(&ledger.url, &ledger);
    form.verifier_key = other_ledger.verifier_key.clone();
    form.policy = other_ledger.policy.clone();
    let pinned_elsewhere =
        std::sync::Arc::new(terroir_station::Station::open(other_dir.path()).expect("open"));
    pinned_elsewhere.setup(form).expect("setup");
    let v = pinned_elsewhere.verify_uri(&label.uri).expect("answered");
    assert!(!v.verified);
    let log_check = v.checks.iter().find(|c| c.what.en.contains("public log")).expect("log check");
    assert!(!log_check.ok, "{log_check:?}");

    // A picture without a label is a clear error.
    let empty = image_without_code();
    assert!(s.verify_photo(&base64::engine::general_purpose::STANDARD.encode(empty)).is_err());
}

fn image_without_code() -> Vec<u8> {
    let img = image::GrayImage::from_pixel(200, 120, image::Luma([230]));
    let mut out = std::io::Cursor::new(vec![]);
    img.write_to(&mut out, image::ImageFormat::Png).expect("png");
    out.into_inner()
}

/// A server that leaves a record out of a label's history in between (the history still starts
/// at the creation and ends at the current head, every signature and proof still holds) is
/// caught: the record after the gap names a head the history never reached.
#[test]
fn a_history_with_a_record_left_out_in_between_is_refused() {
    use terroir_station::forms::{ActForm, EventForm};
    let (ledger, _dir, s, lot) = enrolled_station_with_lot(3, "GAP1");
    for text in ["stored in the north room", "moved to the south room"] {
        let event = EventForm::Note { text: text.into() };
        s.act(ActForm::Event { assets: vec![lot.clone()], event, attachment: None }).expect("noted");
    }
    assert_eq!(sync_once(&s).expect("sync").remaining, 0);
    ledger.wait_witnessed().expect("the witnesses cosign what was synced");
    let asset = s.asset(&lot).expect("the lot").row.asset;
    let chain = "The history runs from the asset's creation to its current state, nothing left out";

    let honest = s.verify_uri(&label_of(&asset, &ledger.url, "Co-op").expect("label").uri).expect("checked");
    assert!(honest.verified, "{:#?}", honest.checks);
    assert_eq!(honest.history.len(), 3, "created, then two notes");

    // The same history from a server that leaves out the first note.
    let liar = OmittingServer::start(&ledger.url, 1);
    let other = tempfile::tempdir().expect("dir");
    let s2 = station(other.path(), &ledger, &liar.url);
    let lied = s2.verify_uri(&label_of(&asset, &liar.url, "Co-op").expect("label").uri).expect("checked");
    assert!(!lied.verified, "{:#?}", lied.checks);
    assert_eq!(lied.history.len(), 2);
    let check = lied.checks.iter().find(|c| c.what.en == chain).expect("the chain is checked");
    assert!(!check.ok && check.detail.en.contains("a record is missing"), "{check:?}");
    // Everything else it was shown holds: only the chain gives the omission away.
    assert!(lied.checks.iter().filter(|c| c.what.en != chain).all(|c| c.ok), "{:#?}", lied.checks);
}

/// A station whose pinned policy asks for a witness that never cosigned: the records still
/// check out, but the label is not verified as the ledger everyone is shown.
#[test]
fn a_checkpoint_without_the_pinned_quorum_is_not_taken_as_current() {
    let (ledger, _dir, s, lot) = enrolled_station_with_lot(2, "QRM1");
    assert_eq!(sync_once(&s).expect("sync").remaining, 0);
    ledger.wait_witnessed().expect("cosigned");
    let asset = s.asset(&lot).expect("the lot").row.asset;
    let uri = label_of(&asset, &ledger.url, "Co-op").expect("label").uri;
    let seed = terroir_shared::crypto::Keypair::from_seed(&[33; 32]);
    let third =
        terroir_shared::log::Cosigner::new("witness.test/w3", seed.signing_key().clone()).expect("key");
    let policy = ledger.policy.replace(
        "group both all w1 w2\nquorum both\n",
        &format!(
            "witness w3 {} http://127.0.0.1:9\ngroup three all w1 w2 w3\nquorum three\n",
            third.public()
        ),
    );
    let dir = tempfile::tempdir().expect("dir");
    let strict = std::sync::Arc::new(terroir_station::Station::open(dir.path()).expect("open"));
    strict.setup(terroir_station::SetupForm { policy, ..setup_form(&ledger.url, &ledger) }).expect("setup");
    let v = strict.verify_uri(&uri).expect("answered");
    assert!(!v.verified, "{:#?}", v.checks);
    let failed: Vec<_> = v.checks.iter().filter(|c| !c.ok).collect();
    assert_eq!(failed.len(), 1, "{failed:#?}");
    assert!(failed[0].what.en.starts_with("Independent witnesses vouch"), "{failed:#?}");
    assert!(failed[0].detail.en.starts_with("only w1, w2 vouched for checkpoint"), "{failed:#?}");
}
