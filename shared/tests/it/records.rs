//! Records: JSON round trips, strict parsing with precise reasons, signatures and tampering.

use terroir_shared::Hash;
use terroir_shared::asset::{AssetId, AssetRef, Unit};
use terroir_shared::crypto::Keypair;
use terroir_shared::party::PartyId;
use terroir_shared::record::{Act, Envelope, Part, Record, Split, Transfer, Unsigned, VerifyError};

use crate::support::{ORIGIN, World, key, lot_of, maocha, new_asset, party};

fn sample_split(w: &mut World, k: &Keypair) -> terroir_shared::record::Signed<Record> {
    let asset = AssetRef { id: AssetId(Hash::sha256(b"lot")), head: Hash::sha256(b"head") };
    let act = Act::Split(Split {
        asset,
        parts: vec![
            Part { amount: 600, gs1: None, units: vec![] },
            Part { amount: 400, gs1: Some("/01/09506000134352/10/L-2".parse_link()), units: vec![] },
        ],
    });
    w.sign(k, party(k), act)
}

trait ParseLink {
    fn parse_link(&self) -> terroir_shared::gs1::DigitalLink;
}

impl ParseLink for str {
    fn parse_link(&self) -> terroir_shared::gs1::DigitalLink {
        terroir_shared::gs1::DigitalLink::parse(self).expect("valid link")
    }
}

#[test]
fn envelope_round_trips_through_json_and_verifies() {
    let mut w = World::new();
    let k = key(1);
    let signed = sample_split(&mut w, &k);
    let json = serde_json::to_vec(&signed).expect("serialise");
    let parsed = Envelope::<Record>::from_json(&json).expect("parse");
    assert_eq!(serde_json::to_vec(&parsed).expect("serialise"), json);
    let verified = parsed.verify().expect("verifies");
    assert_eq!(verified.id(), signed.id());
    assert_eq!(verified.body(), signed.body());
}

#[test]
fn signed_bytes_are_domain_prefixed_canonical_json() {
    let mut w = World::new();
    let signed = sample_split(&mut w, &key(1));
    let bytes = signed.signed_bytes();
    assert!(bytes.starts_with(b"terroir-record-v1\n{\"act\":{\"split\":{\"asset\":"));
    assert_eq!(signed.id(), Hash::sha256(bytes));
    let again = terroir_shared::canonical::canonicalize(&serde_json::from_slice(&bytes[18..]).expect("json"))
        .expect("canonical");
    assert_eq!(&bytes[18..], again.as_slice());
}

#[test]
fn signing_with_another_key_than_named_is_refused() {
    let record = Record {
        origin: "x".into(),
        party: party(&key(1)),
        signer: key(1).public(),
        at: terroir_shared::calendar::Timestamp(1),
        act: Act::Transfer(Transfer { assets: vec![], to: PartyId(key(2).public()) }),
    };
    assert!(Unsigned::new(record).sign(&key(2)).is_err());
}

#[test]
fn every_flipped_byte_of_a_signed_record_fails() {
    let mut w = World::new();
    let signed = sample_split(&mut w, &key(1));
    let json = serde_json::to_vec(&signed).expect("serialise");
    let mut verified_after_flip = 0;
    for i in 0..json.len() {
        for bit in [0x01u8, 0x20] {
            let mut bad = json.clone();
            bad[i] ^= bit;
            let outcome = Envelope::<Record>::from_json(&bad).map(|e| e.verify());
            if let Ok(Ok(v)) = outcome {
                // Only a change that leaves the canonical record identical could verify.
                assert_eq!(v.id(), signed.id(), "byte {i} bit {bit:#x} changed the record yet verified");
                verified_after_flip += 1;
            }
        }
    }
    assert_eq!(verified_after_flip, 0, "no flipped byte may verify");
}

type Mutation = Box<dyn Fn(&mut serde_json::Value)>;

#[test]
fn strict_parsing_names_the_offending_path() {
    let mut w = World::new();
    let signed = sample_split(&mut w, &key(1));
    let good: serde_json::Value = serde_json::to_value(&signed).expect("value");
    let cases: Vec<(&str, Mutation, &str)> = vec![
        ("unknown field", Box::new(|v| v["record"]["colour"] = "red".into()), "record.colour"),
        ("unknown act", Box::new(|v| v["record"]["act"] = serde_json::json!({"teleport": {}})), "record.act"),
        (
            "bad head",
            Box::new(|v| v["record"]["act"]["split"]["asset"]["head"] = "ABC".into()),
            "record.act.split.asset.head",
        ),
        (
            "float amount",
            Box::new(|v| v["record"]["act"]["split"]["parts"][0]["amount"] = 1.5.into()),
            "record.act.split.parts[0].amount",
        ),
        (
            "null optional",
            Box::new(|v| v["record"]["act"]["split"]["parts"][0]["gs1"] = serde_json::Value::Null),
            "record.act.split.parts[0].gs1",
        ),
        (
            "bad gs1",
            Box::new(|v| v["record"]["act"]["split"]["parts"][1]["gs1"] = "/01/09506000134353".into()),
            "record.act.split.parts[1].gs1",
        ),
        ("bad signature", Box::new(|v| v["signature"] = "00".into()), "signature"),
        (
            "missing at",
            Box::new(|v| {
                v["record"].as_object_mut().expect("object").remove("at");
            }),
            "record",
        ),
    ];
    for (name, mutate, path) in cases {
        let mut v = good.clone();
        mutate(&mut v);
        let bytes = serde_json::to_vec(&v).expect("json");
        let err = Envelope::<Record>::from_json(&bytes).expect_err(name);
        assert!(err.path.starts_with(path), "{name}: path `{}` reason `{}`", err.path, err.reason);
    }
    let mut huge = good.clone();
    huge["record"]["at"] = serde_json::json!(1u64 << 60);
    let err = Envelope::<Record>::from_json(&serde_json::to_vec(&huge).expect("json"))
        .expect_err("no canonical form");
    assert!(err.reason.contains("2^53"), "{err}");
    let mut trailing = serde_json::to_vec(&good).expect("json");
    trailing.extend_from_slice(b" {}");
    assert!(Envelope::<Record>::from_json(&trailing).is_err());
    let mut dup = serde_json::to_string(&good).expect("json");
    dup.insert_str(1, &format!("\"signature\":\"{}\",", signed.signature()));
    assert!(Envelope::<Record>::from_json(dup.as_bytes()).is_err());
}

#[test]
fn every_act_round_trips() {
    let mut w = World::new();
    let k = key(3);
    let r = AssetRef { id: AssetId(Hash::sha256(b"a")), head: Hash::sha256(b"h") };
    let p = party(&key(4));
    use terroir_shared::record::*;
    let acts = vec![
        Act::RegisterParty(RegisterParty {
            id: p,
            name: "Bulang Co-op".into(),
            roles: [terroir_shared::party::Role::Cooperative].into(),
            contact: Some(terroir_shared::commitment::Commitment(Hash::sha256(b"c"))),
        }),
        Act::AuthoriseDevice(AuthoriseDevice::new(&key(5), &party(&key(3)), ORIGIN, "station 1")),
        Act::RevokeDevice(RevokeDevice { device: key(5).public() }),
        Act::Commission(Commission::new(vec![
            lot_of("Banzhang", 50),
            new_asset(maocha("Banzhang"), 20_000, Unit::Gram),
        ])),
        Act::Observe(Observe {
            assets: vec![r],
            event: Event::Storage { location: "Menghai W3".into() },
            attachments: vec![Attachment {
                name: "cert.pdf".into(),
                media_type: "application/pdf".into(),
                sha256: Hash::sha256(b"pdf"),
                size: 1234,
            }],
        }),
        Act::Transfer(Transfer { assets: vec![r], to: p }),
        Act::Custody(Custody { assets: vec![r], to: p }),
        Act::Merge(Merge { assets: vec![r, r], gs1: None }),
        Act::Transform(Transform {
            process: "pressing".into(),
            inputs: vec![r],
            allowances: vec![],
            outputs: vec![lot_of("Banzhang", 7)],
        }),
        Act::Pledge(Pledge { asset: r, financier: p }),
        Act::Release(Release { asset: r }),
        Act::Retire(Retire { asset: r, reason: "sold to consumer".into() }),
    ];
    for act in acts {
        let signed = w.sign(&k, party(&k), act.clone());
        let json = serde_json::to_vec(&signed).expect("json");
        let back = Envelope::<Record>::from_json(&json).unwrap_or_else(|e| panic!("{}: {e}", act.name()));
        assert_eq!(back.record.act, act);
        assert!(back.verify().is_ok());
    }
}

#[test]
fn a_record_for_another_signer_does_not_verify() {
    let mut w = World::new();
    let signed = sample_split(&mut w, &key(1));
    let mut env = signed.envelope();
    env.record.signer = key(2).public();
    assert!(matches!(env.verify(), Err(VerifyError::BadSignature(_))));
}
