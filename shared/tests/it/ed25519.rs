//! One signature verdict everywhere: on the edge cases of "Taming the many EdDSAs" and more
//! (`shared/tests/data/ed25519/vectors.json`), the core's verifier gives OpenSSL's verdict, the
//! verdict WebCrypto gives in the buyer's browser; one by one and inside batches alike.

use std::path::Path;

use serde::Deserialize;
use terroir_shared::crypto::{Keypair, PublicKey, Signature, verify_batch, verify_raw};

#[derive(Deserialize)]
struct Corpus {
    vectors: Vec<Vector>,
}

#[derive(Deserialize)]
struct Vector {
    name: String,
    key: String,
    message: String,
    signature: String,
    openssl: bool,
}

/// A vector decoded: its name, key, message, signature and OpenSSL's verdict.
type Case = (String, [u8; 32], Vec<u8>, [u8; 64], bool);

fn corpus() -> Vec<Case> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/ed25519/vectors.json");
    let corpus: Corpus = serde_json::from_slice(&std::fs::read(&path).expect("the corpus")).expect("JSON");
    corpus
        .vectors
        .into_iter()
        .map(|v| {
            let key: [u8; 32] = hex::decode(&v.key).expect("hex").try_into().expect("32 bytes");
            let sig: [u8; 64] = hex::decode(&v.signature).expect("hex").try_into().expect("64 bytes");
            (v.name, key, hex::decode(&v.message).expect("hex"), sig, v.openssl)
        })
        .collect()
}

#[test]
fn every_verdict_is_openssls() {
    let vectors = corpus();
    assert!(vectors.len() >= 20 && vectors.iter().any(|v| v.4) && vectors.iter().any(|v| !v.4));
    let honest = Keypair::from_seed(&[77; 32]);
    let filler: Vec<(Vec<u8>, Signature)> = (0..60u8)
        .map(|i| {
            let m = vec![i; 12];
            let s = honest.sign(&m);
            (m, s)
        })
        .collect();
    let mut usable = 0;
    for (name, key, message, sig, openssl) in &vectors {
        assert_eq!(verify_raw(key, message, sig), *openssl, "{name}: the raw check");
        // Keys a record may name: canonical points of the prime-order subgroup. For those, the
        // ledger's verdict is OpenSSL's, alone and in a batch of any size.
        let Ok(public) = PublicKey::from_bytes(key) else { continue };
        usable += 1;
        let signature = Signature(*sig);
        assert_eq!(public.verify(message, &signature).is_ok(), *openssl, "{name}: one by one");
        for at in [0, 30, 60] {
            let mut items: Vec<(&[u8], &Signature, &PublicKey)> = Vec::new();
            let honest_key = honest.public();
            for (m, s) in &filler {
                items.push((m.as_slice(), s, &honest_key));
            }
            let honest_items = items.clone();
            items.insert(at, (message.as_slice(), &signature, &public));
            let verdicts = verify_batch(&items);
            assert_eq!(verdicts[at].is_ok(), *openssl, "{name}: in a batch at {at}");
            assert_eq!(verdicts.iter().filter(|v| v.is_err()).count(), usize::from(!*openssl), "{name}");
            assert!(verify_batch(&honest_items).iter().all(Result::is_ok));
        }
    }
    assert!(usable >= 7, "{usable} vectors have keys a record may name");
}

#[test]
fn keys_no_honest_generation_makes_are_refused_with_the_reason() {
    for (name, key, ..) in corpus() {
        if let Err(e) = PublicKey::from_bytes(&key) {
            let said = e.to_string();
            assert!(said.starts_with("this is not a usable Ed25519 public key: "), "{name}: {said}");
        }
    }
    let mut identity = [0u8; 32];
    identity[0] = 1;
    let said = PublicKey::from_bytes(&identity).expect_err("small order").to_string();
    assert!(said.contains("small order"), "{said}");
}
