//! Submitting records over HTTP: every act, receipts that verify, idempotent resubmission, and
//! every error code with its status.

use serde_json::{Value, json};
use terroir_shared::asset::{AssetId, Carcass, Cattle, Product, Quantity, Sex, Unit};
use terroir_shared::calendar::Date;
use terroir_shared::ear_tag::EarTag;
use terroir_shared::entry::LedgerEntry;
use terroir_shared::log::Receipt;
use terroir_shared::party::Role;
use terroir_shared::record::*;

use crate::support::*;

fn receipt(v: &Value) -> Receipt {
    serde_json::from_value(v.clone()).unwrap_or_else(|e| panic!("not a receipt: {e}: {v}"))
}

#[actix_web::test]
async fn every_act_is_accepted_over_http_with_a_receipt_that_verifies() {
    let mut h = Harness::new();
    let app = app(h.state.clone()).await;
    let (coop, trader, store, bank, vet, station) = (key(1), key(2), key(3), key(4), key(5), key(6));
    let mut records = vec![
        h.register(&coop, "Bulang Tea Co-op", &[Role::Cooperative]),
        h.register(&trader, "Menghai Trading", &[Role::Trader]),
        h.register(&store, "Kunming Store", &[Role::Warehouse]),
        h.register(&bank, "Credit Union", &[Role::Financier]),
        h.register(&vet, "County Vet", &[Role::Veterinarian]),
        h.own(
            &coop,
            Act::AuthoriseDevice(AuthoriseDevice::new(&station, &party(&coop), ORIGIN, "village station")),
        ),
    ];
    let cow = NewAsset {
        product: Product::LiveCattle(Cattle {
            ear_tag: EarTag::china("253282200000017").expect("tag"),
            breed: "Yunling".into(),
            sex: Sex::Male,
            birth_date: Date::from_ymd(2024, 5, 1).expect("date"),
            holding: "532822-001".into(),
        }),
        quantity: Quantity::new(1, Unit::Head).expect("q"),
        gs1: None,
        part_of: None,
        units: None,
    };
    let commission = h.sign(
        &station,
        party(&coop),
        Act::Commission(Commission::new(vec![tea_lot("Laobanzhang", 100), tea_lot("Laobanzhang", 50), cow])),
    );
    let id = commission.id();
    records.push(commission);
    let (lot, lot2, cow) = (AssetId::derive(&id, 0), AssetId::derive(&id, 1), AssetId::derive(&id, 2));
    let at = |a: AssetId, head| terroir_shared::asset::AssetRef { id: a, head };
    let vaccinate = h.own(
        &vet,
        Act::Observe(Observe {
            assets: vec![at(cow, id)],
            event: Event::Vaccination {
                vaccine: "FMD".into(),
                withdrawal_until: Date::from_ymd(2026, 9, 1).expect("d"),
            },
            attachments: vec![],
        }),
    );
    let vax = vaccinate.id();
    records.push(vaccinate);
    let weighing = h.own(
        &coop,
        Act::Observe(Observe {
            assets: vec![at(cow, vax)],
            event: Event::Weighing { mass_g: 560_000 },
            attachments: vec![],
        }),
    );
    let weighed = weighing.id();
    records.push(weighing);
    let slaughter = h.own(
        &coop,
        Act::Transform(Transform {
            process: "slaughter".into(),
            inputs: vec![at(cow, weighed)],
            allowances: vec![],
            outputs: vec![NewAsset {
                product: Product::Carcass(Carcass { grade: None }),
                quantity: Quantity::new(300_000, Unit::Gram).expect("q"),
                gs1: None,
                part_of: None,
                units: None,
            }],
        }),
    );
    records.push(slaughter);
    let split = h.own(
        &coop,
        Act::Split(Split {
            asset: at(lot, id),
            parts: vec![
                Part { amount: 70, gs1: None, units: vec![] },
                Part { amount: 30, gs1: None, units: vec![] },
            ],
        }),
    );
    let split_id = split.id();
    records.push(split);
    let (part_a, part_b) = (AssetId::derive(&split_id, 0), AssetId::derive(&split_id, 1));
    let merge =
        h.own(&coop, Act::Merge(Merge { assets: vec![at(part_b, split_id), at(lot2, id)], gs1: None }));
    let merge_id = merge.id();
    records.push(merge);
    let custody =
        h.own(&coop, Act::Custody(Custody { assets: vec![at(part_a, split_id)], to: party(&store) }));
    let custody_id = custody.id();
    records.push(custody);
    let transfer =
        h.own(&coop, Act::Transfer(Transfer { assets: vec![at(part_a, custody_id)], to: party(&trader) }));
    let transfer_id = transfer.id();
    records.push(transfer);
    let pledge =
        h.own(&trader, Act::Pledge(Pledge { asset: at(part_a, transfer_id), financier: party(&bank) }));
    let pledge_id = pledge.id();
    records.push(pledge);
    let release = h.own(&bank, Act::Release(Release { asset: at(part_a, pledge_id) }));
    records.push(release);
    let merged = AssetId::derive(&merge_id, 0);
    records.push(
        h.own(&coop, Act::Retire(Retire { asset: at(merged, merge_id), reason: "sold to consumers".into() })),
    );
    records.push(h.own(&coop, Act::RevokeDevice(RevokeDevice { device: station.public() })));

    let vkey = h.vkey();
    for (i, record) in records.iter().enumerate() {
        let (status, body) = post(&app, "/api/records", record).await;
        assert_eq!(status, 201, "{} refused: {body}", record.body().act.name());
        let r = receipt(&body);
        // Entry 0 opened the log.
        assert_eq!(r.index, i as u64 + 1);
        let verified = r.verify(&vkey).expect("receipt verifies offline");
        assert_eq!(verified.index, i as u64 + 1);
        // The served entry is this record, and its leaf hash is the receipt's.
        let (_, entry) = get(&app, &format!("/api/entries/{}", i + 1)).await;
        let entry: LedgerEntry = serde_json::from_value(entry["entry"].clone()).expect("entry");
        assert_eq!(entry.verify_receipt(&r, &vkey).map(|v| v.index), Ok(i as u64 + 1));
        assert_eq!(entry.record.verify().expect("signature").id(), record.id());
        // The submitter alone, holding its record and the receipt, can check the same.
        let proven = LedgerEntry::verify_record_receipt(&record.envelope(), &r, &vkey).expect("own receipt");
        assert_eq!(proven.index, i as u64 + 1);
    }
    let (_, asset) = get(&app, &format!("/api/assets/{part_a}")).await;
    assert_eq!(asset["owner"], json!(party(&trader)));
    assert_eq!(asset["custodian"], json!(party(&store)));
    assert_eq!(asset["status"]["state"], "active");
}

#[actix_web::test]
async fn resubmitting_returns_the_same_receipt() {
    let mut h = Harness::new();
    let app = app(h.state.clone()).await;
    let coop = key(1);
    let reg = h.register(&coop, "Co-op", &[Role::Cooperative]);
    let lot = h.own(&coop, Act::Commission(Commission::new(vec![tea_lot("Hekai", 10)])));
    let (s1, first) = post(&app, "/api/records", &reg).await;
    let (s2, _) = post(&app, "/api/records", &lot).await;
    let (s3, again) = post(&app, "/api/records", &reg).await;
    assert_eq!((s1, s2, s3), (201, 201, 200));
    assert_eq!(first, again, "the very same receipt, checkpoint included");
    let (_, log) = get(&app, "/api/log").await;
    assert_eq!(log["size"], 3, "nothing was appended twice (after the opening)");
}

/// A record that creates assets is found again through its first output, any other through
/// the record index: both give back the receipt of their first acceptance, in later groups too.
#[actix_web::test]
async fn every_kind_of_record_resubmitted_later_returns_its_first_receipt() {
    let mut h = Harness::new();
    let app = app(h.state.clone()).await;
    let (coop, trader) = (key(1), key(2));
    let at = |id, head| terroir_shared::asset::AssetRef { id, head };
    let mut records = vec![
        h.register(&coop, "Co-op", &[Role::Cooperative]),
        h.register(&trader, "Trader", &[Role::Trader]),
    ];
    let commission =
        h.own(&coop, Act::Commission(Commission { assets: vec![tea_lot("Hekai", 10)], allowances: vec![] }));
    let lot = AssetId::derive(&commission.id(), 0);
    let split = h.own(
        &coop,
        Act::Split(Split {
            asset: at(lot, commission.id()),
            parts: vec![
                Part { amount: 4, gs1: None, units: vec![] },
                Part { amount: 6, gs1: None, units: vec![] },
            ],
        }),
    );
    let part = AssetId::derive(&split.id(), 1);
    let transfer =
        h.own(&coop, Act::Transfer(Transfer { assets: vec![at(part, split.id())], to: party(&trader) }));
    records.extend([commission, split, transfer]);
    let mut receipts = Vec::new();
    for r in &records {
        let (status, receipt) = post(&app, "/api/records", r).await;
        assert_eq!(status, 201, "{receipt}");
        receipts.push(receipt);
    }
    for (r, first) in records.iter().zip(&receipts) {
        let (status, again) = post(&app, "/api/records", r).await;
        assert_eq!((status, &again), (200, first), "the very same receipt");
    }
    // And in one batch with a new record, behind which they are judged.
    let observe = h.own(
        &trader,
        Act::Observe(Observe {
            assets: vec![at(part, records[4].id())],
            event: Event::Note { text: "arrived".into() },
            attachments: vec![],
        }),
    );
    let batch: Vec<&Signed<Record>> = std::iter::once(&observe).chain(&records).collect();
    let (status, body) = post(&app, "/api/records/batch", &batch).await;
    assert_eq!(status, 200);
    let results = body["results"].as_array().expect("results");
    assert_eq!(results[0]["outcome"], "accepted", "{}", results[0]);
    for (result, first) in results[1..].iter().zip(&receipts) {
        assert_eq!((&result["outcome"], &result["receipt"]), (&json!("duplicate"), first));
    }
    let (_, log) = get(&app, "/api/log").await;
    assert_eq!(log["size"], records.len() + 2, "nothing was appended twice (after the opening)");
}

#[actix_web::test]
async fn every_error_has_its_status_and_code() {
    let mut h = Harness::new();
    let app = app(h.state.clone()).await;
    let (coop, trader) = (key(1), key(2));
    for r in
        [h.register(&coop, "Co-op", &[Role::Cooperative]), h.register(&trader, "Trader", &[Role::Trader])]
    {
        assert_eq!(post(&app, "/api/records", &r).await.0, 201);
    }
    let commission = h.own(&coop, Act::Commission(Commission::new(vec![tea_lot("Hekai", 10)])));
    let lot =
        terroir_shared::asset::AssetRef { id: AssetId::derive(&commission.id(), 0), head: commission.id() };
    assert_eq!(post(&app, "/api/records", &commission).await.0, 201);

    // 400: not a record, with the path of the offending value.
    let (status, p) = post(&app, "/api/records", &json!({"record": {"origin": 5}, "signature": "00"})).await;
    assert_eq!((status, p["code"].as_str()), (400, Some("malformed")));
    assert_eq!(p["path"], "record.origin");
    assert_eq!(p["type"], "http://labels.test/api/problems#malformed", "an absolute URI");
    // 422: the signature does not verify (the record's, not the request's: no 401).
    let mut forged =
        serde_json::to_value(h.own(&coop, Act::Retire(Retire { asset: lot, reason: "x".into() })))
            .expect("json");
    forged["record"]["act"]["retire"]["reason"] = json!("y");
    let (status, p) = post(&app, "/api/records", &forged).await;
    assert_eq!((status, p["code"].as_str()), (422, Some("bad_signature")));
    // 403: only the owner may transfer.
    let steal = h.own(&trader, Act::Transfer(Transfer { assets: vec![lot], to: party(&trader) }));
    let (status, p) = post(&app, "/api/records", &steal).await;
    assert_eq!((status, p["code"].as_str()), (403, Some("not_permitted")));
    // 422: a rule broken.
    let bad_split = h.own(
        &coop,
        Act::Split(Split {
            asset: lot,
            parts: vec![
                Part { amount: 3, gs1: None, units: vec![] },
                Part { amount: 3, gs1: None, units: vec![] },
            ],
        }),
    );
    let (status, p) = post(&app, "/api/records", &bad_split).await;
    assert_eq!((status, p["code"].as_str()), (422, Some("quantity_not_conserved")));
    // 409: the head was spent; the problem names the winner.
    let win = h.own(&coop, Act::Transfer(Transfer { assets: vec![lot], to: party(&trader) }));
    let lose = h.own(
        &coop,
        Act::Split(Split {
            asset: lot,
            parts: vec![
                Part { amount: 5, gs1: None, units: vec![] },
                Part { amount: 5, gs1: None, units: vec![] },
            ],
        }),
    );
    assert_eq!(post(&app, "/api/records", &win).await.0, 201);
    let (status, p) = post(&app, "/api/records", &lose).await;
    assert_eq!((status, p["code"].as_str()), (409, Some("head_conflict")));
    assert_eq!(p["winner"], json!(win.id()));
    // 404.
    let (status, p) = get(&app, &format!("/api/assets/{}", "ab".repeat(32))).await;
    assert_eq!((status, p["code"].as_str()), (404, Some("not_found")));
    // Nothing refused was appended.
    let (_, log) = get(&app, "/api/log").await;
    assert_eq!(log["size"], 5);
}

#[actix_web::test]
async fn oversized_requests_and_entries_are_refused_with_413() {
    let mut h = Harness::with_body_limit(4_096);
    let app = app(h.state.clone()).await;
    let coop = key(1);
    let reg = h.register(&coop, "Co-op", &[Role::Cooperative]);
    assert_eq!(post(&app, "/api/records", &reg).await.0, 201);
    let big = h.own(&coop, Act::Commission(Commission::new((0..40).map(|_| tea_lot("Hekai", 1)).collect())));
    let (status, p) = post(&app, "/api/records", &big).await;
    assert_eq!((status, p["code"].as_str()), (413, Some("too_large")));

    let mut h = Harness::new();
    let app = crate::support::app(h.state.clone()).await;
    let reg = h.register(&coop, "Co-op", &[Role::Cooperative]);
    assert_eq!(post(&app, "/api/records", &reg).await.0, 201);
    let huge =
        h.own(&coop, Act::Commission(Commission::new((0..600).map(|_| tea_lot("Hekai", 1)).collect())));
    let (status, p) = post(&app, "/api/records", &huge).await;
    assert_eq!((status, p["code"].as_str()), (413, Some("entry_too_large")), "{p}");
}

#[actix_web::test]
async fn a_batch_answers_each_item_in_order() {
    let mut h = Harness::new();
    let app = app(h.state.clone()).await;
    let coop = key(1);
    let reg = h.register(&coop, "Co-op", &[Role::Cooperative]);
    let c1 = h.own(&coop, Act::Commission(Commission::new(vec![tea_lot("Hekai", 10)])));
    let c2 = h.own(&coop, Act::Commission(Commission::new(vec![tea_lot("Hekai", 20)])));
    let mut forged = serde_json::to_value(&c2).expect("json");
    forged["signature"] = json!("00".repeat(64));
    let batch = json!([reg, c1, {"record": 1}, forged, c1]);
    let (status, body) = post(&app, "/api/records/batch", &batch).await;
    assert_eq!(status, 200);
    let outcomes: Vec<&str> = body["results"]
        .as_array()
        .expect("results")
        .iter()
        .map(|r| r["outcome"].as_str().unwrap_or("?"))
        .collect();
    assert_eq!(outcomes, ["accepted", "accepted", "refused", "refused", "duplicate"]);
    assert_eq!(body["results"][2]["problem"]["status"], 400);
    assert_eq!(body["results"][3]["problem"]["code"], "bad_signature");
    assert_eq!(body["results"][1]["receipt"], body["results"][4]["receipt"]);
    let (status, p) = post(&app, "/api/records/batch", &json!({"not": "an array"})).await;
    assert_eq!((status, p["code"].as_str()), (400, Some("bad_request")));
}

#[actix_web::test]
async fn a_revoked_device_is_refused_at_once() {
    let mut h = Harness::new();
    let app = app(h.state.clone()).await;
    let (coop, station) = (key(1), key(6));
    let reg = h.register(&coop, "Co-op", &[Role::Cooperative]);
    assert_eq!(post(&app, "/api/records", &reg).await.0, 201);
    let lot = |h: &mut Harness| {
        h.sign(&station, party(&coop), Act::Commission(Commission::new(vec![tea_lot("Hekai", 3)])))
    };
    // Unknown first, then authorised, then revoked: each answer reflects the commit before it.
    let early = lot(&mut h);
    assert_eq!(post(&app, "/api/records", &early).await.1["code"], "signer_not_authorised");
    let authorise =
        h.own(&coop, Act::AuthoriseDevice(AuthoriseDevice::new(&station, &party(&coop), ORIGIN, "station")));
    assert_eq!(post(&app, "/api/records", &authorise).await.0, 201);
    let signed = lot(&mut h);
    assert_eq!(post(&app, "/api/records", &signed).await.0, 201);
    let revoke = h.own(&coop, Act::RevokeDevice(RevokeDevice { device: station.public() }));
    assert_eq!(post(&app, "/api/records", &revoke).await.0, 201);
    let late = lot(&mut h);
    let (status, problem) = post(&app, "/api/records", &late).await;
    assert_eq!((status, problem["code"].as_str()), (403, Some("device_revoked")));
}

#[actix_web::test]
async fn a_commission_over_its_gardens_cap_is_refused_with_422() {
    use terroir_shared::asset::AssetRef;
    let mut h = Harness::new();
    let app = app(h.state.clone()).await;
    let coop = key(1);
    let reg = h.register(&coop, "Bulang Tea Co-op", &[Role::Cooperative]);
    assert_eq!(post(&app, "/api/records", &reg).await.0, 201);
    // 10 m² at 100 g a square metre: 1 kg of Laobanzhang this season.
    let cap = garden_cap("Laobanzhang", 10, 100);
    let register = h.own(&coop, Act::Commission(Commission::new(vec![cap])));
    assert_eq!(post(&app, "/api/records", &register).await.0, 201);
    let cap = AssetId::derive(&register.id(), 0);
    let at = |head| vec![AssetRef { id: cap, head }];
    let two = h.own(
        &coop,
        Act::Commission(Commission {
            assets: vec![tea_lot("Laobanzhang", 2)],
            allowances: at(register.id()),
        }),
    );
    assert_eq!(post(&app, "/api/records", &two).await.0, 201);
    let (_, shown) = get(&app, &format!("/api/assets/{cap}")).await;
    assert_eq!(
        (shown["product"]["issuedG"].as_u64(), shown["head"].as_str()),
        (Some(714), Some(&*two.id().to_hex()))
    );
    // A third cake would make 1,071 g of a 1 kg cap.
    let three = h.own(
        &coop,
        Act::Commission(Commission { assets: vec![tea_lot("Laobanzhang", 1)], allowances: at(two.id()) }),
    );
    let (status, p) = post(&app, "/api/records", &three).await;
    assert_eq!((status, p["code"].as_str()), (422, Some("issuance_cap_exceeded")), "{p}");
    assert_eq!(p["type"], "http://labels.test/api/problems#issuance_cap_exceeded");
    let detail = p["detail"].as_str().unwrap_or_default();
    assert!(
        detail.contains("Laobanzhang") && detail.contains("1000 g") && detail.contains("357 g"),
        "{detail}"
    );
    // Leaving the cap out is refused too; nothing refused was appended.
    let unnamed = h.own(&coop, Act::Commission(Commission::new(vec![tea_lot("Laobanzhang", 1)])));
    let (status, p) = post(&app, "/api/records", &unnamed).await;
    assert_eq!((status, p["code"].as_str()), (422, Some("allowance_missing")));
    let (_, log) = get(&app, "/api/log").await;
    assert_eq!(log["size"], 4);
}

/// Found under the cofactored check: a record whose signature's R carries a small-order point
/// passed the ledger and `audit`, while WebCrypto, OpenSSL and Go refuse it, so every buyer's
/// page downstream of it said the record "was changed". The ledger now refuses it, alone and
/// in a batch.
#[actix_web::test]
async fn a_signature_browsers_refuse_is_refused() {
    use curve25519_dalek::constants::ED25519_BASEPOINT_POINT as B;
    use curve25519_dalek::edwards::CompressedEdwardsY;
    use curve25519_dalek::scalar::Scalar;
    use sha2::{Digest, Sha512};
    use terroir_shared::crypto::Signature;
    use terroir_shared::record::{Envelope, Signable};

    let mut h = Harness::new();
    let app = app(h.state.clone()).await;
    let coop = key(1);
    assert_eq!(
        post(&app, "/api/records", &h.register(&coop, "Bulang Co-op", &[Role::Cooperative])).await.0,
        201
    );
    let honest = h.own(&coop, Act::Commission(Commission::new(vec![tea_lot("Hekai", 5)])));
    // The same record, signed with R + T (T of order 2) and the S that makes [8]-multiplied
    // equation hold: valid under the cofactored check only.
    let bytes = honest.signed_bytes().to_vec();
    let expanded = Sha512::digest(coop.seed());
    let mut a_bytes: [u8; 32] = expanded[..32].try_into().expect("32 bytes");
    a_bytes[0] &= 248;
    a_bytes[31] &= 127;
    a_bytes[31] |= 64;
    let a = Scalar::from_bytes_mod_order(a_bytes);
    let mut order2 = [0xff; 32];
    order2[0] = 0xec;
    order2[31] = 0x7f;
    let t = CompressedEdwardsY(order2).decompress().expect("the point of order 2");
    let r = Scalar::from_bytes_mod_order([7; 32]);
    let big_r = (r * B + t).compress();
    let k = Scalar::from_hash(
        Sha512::new()
            .chain_update(big_r.as_bytes())
            .chain_update(coop.public().as_bytes())
            .chain_update(&bytes),
    );
    let mut sig = [0u8; 64];
    sig[..32].copy_from_slice(big_r.as_bytes());
    sig[32..].copy_from_slice((r + k * a).as_bytes());
    assert_eq!(&bytes[..<terroir_shared::record::Record as Signable>::DOMAIN.len()], b"terroir-record-v1\n");
    let forged = Envelope { record: honest.body().clone(), signature: Signature(sig) };
    let (status, problem) = post(&app, "/api/records", &forged).await;
    assert_eq!((status, problem["code"].as_str()), (422, Some("bad_signature")), "{problem}");
    let batch: Vec<serde_json::Value> = (0..60)
        .map(|i| {
            let lot =
                h.own(&coop, Act::Commission(Commission::new(vec![tea_lot(&format!("Garden {i}"), 5)])));
            serde_json::to_value(lot).expect("json")
        })
        .chain(std::iter::once(serde_json::to_value(&forged).expect("json")))
        .collect();
    // In a batch large enough to be checked as one (the honest records pass, the forged one
    // alone is refused).
    let (status, answer) = post(&app, "/api/records/batch", &batch).await;
    assert_eq!(status, 200, "{answer}");
    let results = answer["results"].as_array().or(answer.as_array()).expect("results");
    assert!(results[..60].iter().all(|r| r["outcome"] == "accepted"), "{answer}");
    assert_eq!(
        (results[60]["outcome"].as_str(), results[60]["problem"]["code"].as_str()),
        (Some("refused"), Some("bad_signature"))
    );
    let (_, log) = get(&app, "/api/log").await;
    assert_eq!(log["size"], 62, "the opening, the registration and the 60 honest lots");
}
