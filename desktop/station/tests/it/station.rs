//! Registration, acts and the rules' refusals at the station, offline: nothing here needs the
//! server to be running.

use terroir_shared::asset::Status;
use terroir_station::forms::{ActForm, CattleForm, EventForm, GardenForm};
use terroir_station::store::{AssetFilter, AssetState, RecordState};
use terroir_station::words::Language;
use terroir_station::{SetupForm, Station, StationError};
use terroir_tests::ledger::TestLedger;

use crate::support::*;

fn offline_station() -> (tempfile::TempDir, TestLedger, std::sync::Arc<terroir_station::Station>) {
    let ledger = TestLedger::new().expect("ledger");
    let dir = tempfile::tempdir().expect("dir");
    let s = station(dir.path(), &ledger, "http://127.0.0.1:9");
    (dir, ledger, s)
}

fn lot_of(s: &terroir_station::Station) -> String {
    let filter = AssetFilter { kind: Some("tea_lot".into()), ..AssetFilter::default() };
    s.assets(&filter).expect("assets").first().expect("a lot").id.clone()
}

#[test]
fn a_tea_batch_is_a_lot_holding_one_token_per_cake_with_its_own_label() {
    let (_dir, _ledger, s) = offline_station();
    let done = s.register_tea(tea(50, "LBZ26SP01")).expect("registered");
    assert_eq!(done.created.len(), 51, "the lot and 50 cakes");
    let lot = lot_of(&s);
    assert_eq!(lot, done.created[0]);
    let cakes =
        s.assets(&AssetFilter { kind: Some("tea_cake".into()), ..AssetFilter::default() }).expect("cakes");
    assert_eq!(cakes.len(), 50);
    assert!(cakes.iter().all(|c| c.state == AssetState::Contained));
    let labels = s.labels_of(&lot).expect("labels");
    assert_eq!(labels.len(), 51);
    assert_eq!(labels[0].uri, format!("http://127.0.0.1:9/01/{TEA_GTIN}/10/LBZ26SP01"));
    // The cakes follow their lot in serial order, as the clerk sticks them on.
    let serials: Vec<&str> = labels[1..].iter().map(|l| l.uri.rsplit('/').next().unwrap_or("")).collect();
    let expected: Vec<String> = (1..=50).map(|n| format!("{n:03}")).collect();
    assert_eq!(serials, expected);
    // Each label names the product in both languages, the garden and the co-op.
    assert!(labels[1].title.starts_with("普洱茶饼 Pu'er tea cake"), "{:?}", labels[1]);
    assert!(labels[1].lines.iter().any(|l| l.contains(" · 压制 pressed ")), "{:?}", labels[1]);
    assert_eq!(labels[1].lines.last().map(String::as_str), Some(COOP), "{:?}", labels[1]);
    // Searching finds a cake by its serial; the authorisation and the batch wait to be sent.
    let found =
        s.assets(&AssetFilter { search: "(21) 007".into(), ..AssetFilter::default() }).expect("search");
    assert_eq!(found.len(), 1);
    let pending = s.records(Some(RecordState::Pending), 10).expect("records");
    assert_eq!(pending.len(), 2);
    assert_eq!(pending[0].act, "commission");
    assert_eq!(pending[1].act, "authorise_device");
    // The same lot number twice is refused by the rules: the GS1 key is taken.
    match s.register_tea(tea(5, "LBZ26SP01")) {
        Err(StationError::Refused { code, message }) => {
            assert_eq!(code, "identity_taken");
            assert!(message.en.contains("already registered"), "{message}");
        }
        other => panic!("expected a refusal, got {other:?}"),
    }
    assert_eq!(s.records(None, 10).expect("records").len(), 2, "nothing stored for a refused act");
}

#[test]
fn the_label_stock_and_printer_offset_are_kept_and_checked() {
    use terroir_station::labels::{Offset, STOCKS};
    use terroir_station::station::Printing;
    let (dir, _ledger, s) = offline_station();
    s.register_tea(tea(5, "LBZ26SP09")).expect("registered");
    let lot = lot_of(&s);
    assert_eq!(s.printing().expect("printing"), Printing::default());
    let roll =
        Printing { stock: "roll-50x30".into(), offset: Offset { x_mm: 0.5, y_mm: -0.3 }, open_sheet: false };
    assert_eq!(s.set_printing(roll.clone()).expect("kept"), roll);
    assert_eq!(s.printing_choice().expect("choice").printing, roll);
    assert_eq!(s.printing_choice().expect("choice").stocks.len(), STOCKS.len());
    // On the roll, one label a page: the lot and its five cakes.
    let sheet = s.print_labels(&lot, Some(&dir.path().join("roll.pdf"))).expect("printed");
    assert_eq!(sheet.labels, 6);
    let info = std::process::Command::new("pdfinfo")
        .arg(dir.path().join("roll.pdf"))
        .output()
        .expect("pdfinfo runs");
    let info = String::from_utf8_lossy(&info.stdout);
    assert!(info.lines().any(|l| l.split_whitespace().eq(["Pages:", "6"])), "{info}");
    assert!(info.contains("141.732 x 85.0394 pts"), "50 × 30 mm: {info}");
    for bad in [
        Printing { stock: "a5-1x1".into(), ..Printing::default() },
        Printing { offset: Offset { x_mm: 0.0, y_mm: 11.0 }, ..roll.clone() },
    ] {
        assert!(matches!(s.set_printing(bad), Err(StationError::Input { .. })));
    }
    assert_eq!(s.printing().expect("printing"), roll, "a refused choice changes nothing");
}

#[test]
fn acts_the_rules_refuse_are_explained_and_nothing_is_stored() {
    let (_dir, _ledger, s) = offline_station();
    s.register_tea(tea(10, "LOT1")).expect("registered");
    let lot = lot_of(&s);
    let before = s.records(None, 100).expect("records").len();
    let refuse = |form: ActForm| match s.act(form) {
        Err(StationError::Refused { code, message }) => (code, message),
        other => panic!("expected a refusal, got {other:?}"),
    };
    let (code, message) = refuse(ActForm::Split { asset: lot.clone(), parts: vec![4, 5] });
    assert_eq!(code, "quantity_not_conserved");
    assert!(message.en.contains("add up to 9") && message.en.contains("holds 10"), "{message}");
    let cake =
        s.assets(&AssetFilter { kind: Some("tea_cake".into()), ..AssetFilter::default() }).expect("cakes")[0]
            .id
            .clone();
    let (code, message) = refuse(ActForm::Retire { asset: cake, reason: "sold".into() });
    assert_eq!(code, "asset_contained");
    assert!(message.en.contains("act on the lot"), "{message}");
    let stranger = terroir_shared::crypto::Keypair::from_seed(&[55; 32]).public().to_string();
    let (code, _) = refuse(ActForm::Transfer { assets: vec![lot.clone()], to: stranger });
    assert!(code == "unknown_party" || code == "bad_request", "{code}");
    assert_eq!(s.records(None, 100).expect("records").len(), before);
    // A bad field is named.
    match s.act(ActForm::Event {
        assets: vec![lot],
        event: EventForm::Vaccination { vaccine: "FMD".into(), withdrawal_until: "next week".into() },
        attachment: None,
    }) {
        Err(StationError::Input { field, .. }) => assert_eq!(field, "withdrawalUntil"),
        other => panic!("expected an input error, got {other:?}"),
    }
}

#[test]
fn split_then_transfer_is_recorded_locally_with_lineage() {
    let (_dir, _ledger, s) = offline_station();
    s.register_tea(tea(20, "LOT2")).expect("registered");
    let lot = lot_of(&s);
    let split = s.act(ActForm::Split { asset: lot.clone(), parts: vec![12, 8] }).expect("split");
    assert_eq!(split.created.len(), 2);
    let detail = s.asset(&lot).expect("detail");
    assert_eq!(detail.row.state, AssetState::Consumed);
    let parts: Vec<&str> =
        detail.children.iter().filter(|c| c.kind == "tea_lot").map(|c| c.id.as_str()).collect();
    assert_eq!(parts.len(), 2);
    assert_eq!(detail.records.len(), 2, "commissioned, then split");
    let part = s.asset(&split.created[0]).expect("part");
    assert_eq!(part.parents.len(), 1);
    // The lot's cakes went to the parts by count, in serial order; one is taken out of its part
    // and sold alone, the others stay packed.
    let cakes =
        s.assets(&AssetFilter { kind: Some("tea_cake".into()), ..AssetFilter::default() }).expect("cakes");
    let in_first: Vec<_> = cakes
        .iter()
        .filter(|c| matches!(&c.asset.status, Status::Contained { holder } if holder.to_string() == split.created[0]))
        .collect();
    assert_eq!(in_first.len(), 12);
    let one = in_first[0].id.clone();
    s.act(ActForm::TakeOut { asset: one.clone() }).expect("taken out");
    assert_eq!(s.asset(&one).expect("cake").row.state, AssetState::Active);
    assert_eq!(s.asset(&split.created[0]).expect("part").row.asset.quantity.amount(), 11);
    assert_eq!(part.uri.as_deref().map(|u| u.ends_with("/10/LOT2-1")), Some(true));
    // An event with an attached certificate is stored by hash, once the rules accept it: the
    // same certificate on the consumed lot is refused and keeps nothing.
    let cert = terroir_station::forms::FileInput {
        name: "lab.pdf".into(),
        media_type: "application/pdf".into(),
        base64: "JVBERi0xLjQK".into(),
    };
    let certify = |asset: &str| ActForm::Event {
        assets: vec![asset.to_owned()],
        event: EventForm::LabCertificate {
            laboratory: "Menghai lab".into(),
            certificate: "C-1".into(),
            result: "pass".into(),
        },
        attachment: Some(cert.clone()),
    };
    assert!(matches!(s.act(certify(&lot)), Err(StationError::Refused { .. })));
    assert_eq!(attachments_kept(&s), 0, "a refused act keeps no file");
    s.act(certify(&split.created[1])).expect("certificate");
    assert_eq!(attachments_kept(&s), 1);
}

/// How many attached files the station keeps.
fn attachments_kept(s: &terroir_station::Station) -> i64 {
    use diesel::{Connection as _, QueryableByName, RunQueryDsl as _};
    #[derive(QueryableByName)]
    struct Count {
        #[diesel(sql_type = diesel::sql_types::BigInt)]
        n: i64,
    }
    let path = s.dir().join(terroir_station::station::DATABASE_FILE);
    let mut conn = diesel::SqliteConnection::establish(&path.to_string_lossy()).expect("the store");
    let counted: Count =
        diesel::sql_query("SELECT count(*) AS n FROM attachments").get_result(&mut conn).expect("count");
    counted.n
}

#[test]
fn cattle_from_a_file_are_all_registered_or_none() {
    let (_dir, _ledger, s) = offline_station();
    let bad = "ear_tag,breed,sex,birth_date,holding\n253282200000017,Yunling,male,2024-05-01,H1\n\
               999999999999999,Yunling,male,2024-05-01,H1\n";
    match s.import_cattle_csv(bad) {
        Err(StationError::Input { field, message }) => {
            assert_eq!(field, "csv");
            assert!(message.en.contains("line 3"), "{message}");
        }
        other => panic!("expected an input error, got {other:?}"),
    }
    assert_eq!(s.records(None, 10).expect("records").len(), 1, "only the station's authorisation");
    let good = "ear_tag,breed,sex,birth_date,holding\n253282200000017,Yunling,male,2024-05-01,H1\n\
                253282200000025,Yunling,female,2023-04-11,H1\n";
    let done = s.import_cattle_csv(good).expect("imported");
    assert_eq!(done.created.len(), 2);
    // One by one, with the same tag again: refused.
    let again = CattleForm {
        ear_tag: "253282200000017".into(),
        breed: "Yunling".into(),
        sex: "male".into(),
        birth_date: "2024-05-01".into(),
        holding: "H1".into(),
        ..CattleForm::default()
    };
    assert!(matches!(s.register_cattle(again), Err(StationError::Refused { code: "identity_taken", .. })));
}

#[test]
fn tea_batches_stay_within_the_gardens_registered_cap() {
    let (_dir, _ledger, s) = offline_station();
    // 10 m² at 250 g a square metre: 2.5 kg of Laobanzhang this season.
    let garden = GardenForm {
        garden: "Laobanzhang".into(),
        season: "2026 spring".into(),
        area_m2: 10,
        yield_g_per_m2: 250,
    };
    let done = s.register_garden(garden.clone()).expect("cap registered");
    assert!(done.summary.en.contains("2.5 kg"), "{}", done.summary);
    let cap = done.created[0].clone();
    // 5 cakes and then 2 of 357 g: 2,499 g, each batch naming the cap it draws on.
    s.register_tea(tea(5, "LBZ-1")).expect("within the cap");
    s.register_tea(tea(2, "LBZ-2")).expect("still within");
    let detail = s.asset(&cap).expect("the cap");
    assert!(detail.row.label.en.contains("2.499 kg of 2.5 kg issued"), "{}", detail.row.label);
    assert_eq!(detail.records.len(), 3, "registered, then drawn on by each batch");
    // One cake more is over: refused in words a clerk can act on, and nothing stored.
    let before = s.records(None, 100).expect("records").len();
    match s.register_tea(tea(1, "LBZ-3")) {
        Err(StationError::Refused { code, message }) => {
            assert_eq!(code, "issuance_cap_exceeded");
            assert!(
                message.en.contains("Laobanzhang is registered for at most 2.5 kg of tea in 2026 spring")
                    && message.en.contains("2.499 kg are already registered")
                    && message.en.contains("0.357 kg more"),
                "{message}"
            );
            // The same refusal as a Chinese-speaking clerk reads it.
            assert!(
                message.zh.contains("Laobanzhang 在 2026 spring 最多登记 2.5 千克茶叶")
                    && message.zh.contains("已登记 2.499 千克")
                    && message.zh.contains("超出茶园额度"),
                "{}",
                message.zh
            );
        }
        other => panic!("expected a refusal, got {other:?}"),
    }
    assert_eq!(s.records(None, 100).expect("records").len(), before);
    // Other gardens have no cap; a second cap on the same garden and season is refused.
    let other = terroir_station::forms::TeaBatchForm { garden: "Hekai".into(), ..tea(500, "HK-1") };
    s.register_tea(other).expect("no cap on Hekai");
    let again = s.register_garden(GardenForm { garden: "laobanzhang".into(), ..garden });
    assert!(matches!(again, Err(StationError::Refused { code: "identity_taken", .. })), "{again:?}");
    let caps = s.assets(&AssetFilter { kind: Some("tea_garden".into()), ..AssetFilter::default() });
    assert_eq!(caps.expect("caps").len(), 1);
}

#[test]
fn the_window_language_is_chosen_at_setup_and_can_be_changed() {
    let ledger = TestLedger::new().expect("ledger");
    let dir = tempfile::tempdir().expect("dir");
    let s = Station::open(dir.path()).expect("open");
    let form = SetupForm { language: "fr".into(), ..setup_form(&ledger.url, &ledger) };
    match s.setup(form) {
        Err(StationError::Input { field, message }) => {
            assert_eq!(field, "language");
            assert_eq!(message.zh, "英文或中文");
        }
        other => panic!("expected the language to be refused, got {other:?}"),
    }
    let form = SetupForm { language: "zh".into(), ..setup_form(&ledger.url, &ledger) };
    let status = s.setup(form).expect("set up in Chinese");
    assert_eq!(status.settings.expect("settings").language, Language::Zh);
    // What the station says, it says in both; the summary of its first record, too.
    let records = s.records(None, 10).expect("records");
    assert_eq!(records[0].summary.zh, "授权工作站“village station”");
    assert_eq!(s.set_language(Language::En).expect("changed").language, Language::En);
    let reopened = Station::open(dir.path()).expect("reopen");
    assert_eq!(reopened.settings().expect("settings").language, Language::En);
}
