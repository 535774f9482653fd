//! Ed25519 verification, one by one and in batches, with exactly the same verdicts, and
//! exactly those of WebCrypto and OpenSSL.
//!
//! RFC 8032 §5.1.7 allows checking either `[S]B = R + [k]A` or the cofactored
//! `[8][S]B = [8]R + [8][k]A`. Browsers (WebCrypto) and OpenSSL check the first, cofactorless
//! one, and compare `R` by its bytes with the encoding of `[S]B − [k]A`; a signature whose `R`
//! carries a small-order component passes only the cofactored check, and a buyer's phone would
//! refuse what the ledger accepted. So Terroir checks the cofactorless equation too
//! ([`verify_raw`]), the same with any key bytes as OpenSSL does (a test holds it to OpenSSL's
//! verdicts on the edge cases of "Taming the many EdDSAs"), while the keys a record may name are
//! further restricted to canonical points of the prime-order subgroup ([`super::PublicKey`]).
//!
//! Batches. Randomised batch verification alone agrees only with the cofactored equation: a
//! signer who adds a small-order point `T` to `R` passes a random linear combination whenever
//! its coefficient kills `T`. So a batch is checked in two steps. First one multiscalar
//! multiplication checks `[8](Σ zᵢ(Rᵢ + kᵢAᵢ) − (Σ zᵢsᵢ)B) = 0` with 128-bit coefficients `zᵢ`
//! drawn from a hash of the entire batch: if it holds, each `Rᵢ − [sᵢ]B + [kᵢ]Aᵢ` is a
//! small-order point, and since every key is in the prime-order subgroup, it is the
//! small-order component of `Rᵢ`. Then each `Rᵢ` is shown to have none: 64 sums of `Rᵢ` over
//! subsets drawn from the same hash are multiplied by the group order ℓ, which leaves exactly
//! the sum of their small-order components; a nonzero component survives each random subset
//! sum with probability at least one half, so all 64 vanish by chance with probability 2⁻⁶⁴
//! (and a signer who wants to steer the subsets must find such a batch by hashing, 2⁶⁴ tries).
//! A batch that fails either step is re-checked item by item, so every refusal is exact.

use std::collections::HashMap;

use curve25519_dalek::constants::ED25519_BASEPOINT_POINT;
use curve25519_dalek::edwards::{CompressedEdwardsY, EdwardsPoint};
use curve25519_dalek::scalar::Scalar;
use curve25519_dalek::traits::{Identity, IsIdentity, VartimeMultiscalarMul};
use sha2::{Digest, Sha512};

use super::{CryptoError, PublicKey, Signature};

/// The point `bytes` encodes, if they are its one canonical encoding.
pub(super) fn decompress_canonical(bytes: &[u8]) -> Option<EdwardsPoint> {
    let compressed = CompressedEdwardsY::from_slice(bytes).ok()?;
    if !canonical_spelling(&compressed.0) {
        return None;
    }
    compressed.decompress()
}

/// Whether `bytes`, if they decode to a point at all, are the encoding that point compresses
/// back to: `y` below p = 2²⁵⁵ − 19, and no sign bit on the two points whose `x` is zero
/// (`y` = 1 and `y` = p − 1), since −0 = 0. The same verdict as decompressing and compressing
/// again, without the field inversion that compressing costs.
fn canonical_spelling(bytes: &[u8; 32]) -> bool {
    let sign = bytes[31] >> 7;
    let top = bytes[31] & 0x7f;
    let middle_all_ones = bytes[1..31].iter().all(|b| *b == 0xff);
    // y ≥ p: the top 250 bits all ones and the low byte at least 0xed.
    if top == 0x7f && middle_all_ones && bytes[0] >= 0xed {
        return false;
    }
    let y_is_one = bytes[0] == 1 && top == 0 && bytes[1..31].iter().all(|b| *b == 0);
    let y_is_minus_one = bytes[0] == 0xec && top == 0x7f && middle_all_ones;
    !(sign == 1 && (y_is_one || y_is_minus_one))
}

/// `S` as a scalar, if it is below the group order (its one spelling).
fn canonical_s(sig: &[u8; 64]) -> Option<Scalar> {
    let s_bytes: [u8; 32] = sig[32..].try_into().ok()?;
    Option::<Scalar>::from(Scalar::from_canonical_bytes(s_bytes))
}

/// `k = SHA-512(R ‖ A ‖ M)` reduced modulo the group order.
fn challenge(key: &[u8; 32], message: &[u8], sig: &[u8; 64]) -> Scalar {
    Scalar::from_hash(Sha512::new().chain_update(&sig[..32]).chain_update(key).chain_update(message))
}

/// RFC 8032 §5.1.7 verification as WebCrypto and OpenSSL do it, for any 32 key bytes: the key
/// must decode to a curve point, `S` must be below the group order, and the encoding of
/// `[S]B − [k]A` must be exactly the 32 bytes of `R`.
pub fn verify_raw(key: &[u8; 32], message: &[u8], sig: &[u8; 64]) -> bool {
    let Some(a) = CompressedEdwardsY(*key).decompress() else {
        return false;
    };
    let Some(s) = canonical_s(sig) else {
        return false;
    };
    let k = challenge(key, message, sig);
    let r = EdwardsPoint::vartime_double_scalar_mul_basepoint(&k, &(-a), &s);
    r.compress().as_bytes() == &sig[..32]
}

/// Batches smaller than this are verified item by item: the subset check's 64
/// multiplications by the group order cost about as much as that many single verifications.
const SMALLEST_BATCH: usize = 48;

/// Subset sums that the batch's `R`s must each leave free of small-order components.
const ROUNDS: usize = 64;

/// Verifies many `(message, signature, key)` triples; one verdict per item, in order, each the
/// same as [`PublicKey::verify`] would give (see the module's documentation).
pub fn verify_batch(items: &[(&[u8], &Signature, &PublicKey)]) -> Vec<Result<(), CryptoError>> {
    if items.len() >= SMALLEST_BATCH && batch_holds(items) == Some(true) {
        return vec![Ok(()); items.len()];
    }
    items.iter().map(|(m, s, k)| k.verify(m, s)).collect()
}

/// `Some(true)` if both steps hold; `None` if an item fails screening.
fn batch_holds(items: &[(&[u8], &Signature, &PublicKey)]) -> Option<bool> {
    let mut keys: HashMap<[u8; 32], usize> = HashMap::new();
    let mut key_points: Vec<EdwardsPoint> = Vec::new();
    let mut terms: Vec<(EdwardsPoint, usize, Scalar, Scalar)> = Vec::with_capacity(items.len());
    let mut transcript = Sha512::new();
    transcript.update(b"terroir-batch-v2");
    for (message, sig, key) in items {
        let slot = match keys.get(&key.0) {
            Some(slot) => *slot,
            None => {
                // A `PublicKey` is a canonical point of the prime-order subgroup.
                let a = decompress_canonical(&key.0)?;
                key_points.push(a);
                keys.insert(key.0, key_points.len() - 1);
                key_points.len() - 1
            }
        };
        let r = decompress_canonical(&sig.0[..32])?;
        let s = canonical_s(&sig.0)?;
        let k = challenge(&key.0, message, &sig.0);
        transcript.update(sig.0);
        transcript.update(key.0);
        transcript.update(k.as_bytes());
        terms.push((r, slot, s, k));
    }
    let seed = transcript.finalize();
    let mut b_coefficient = Scalar::ZERO;
    let mut key_coefficients = vec![Scalar::ZERO; key_points.len()];
    let mut scalars = Vec::with_capacity(terms.len() + key_points.len() + 1);
    let mut points = Vec::with_capacity(terms.len() + key_points.len() + 1);
    let mut subsets = [EdwardsPoint::identity(); ROUNDS];
    for (i, (r, slot, s, k)) in terms.into_iter().enumerate() {
        let (z, mask) = coefficients(&seed, i);
        b_coefficient -= z * s;
        key_coefficients[slot] += z * k;
        scalars.push(z);
        points.push(r);
        for (round, sum) in subsets.iter_mut().enumerate() {
            if (mask >> round) & 1 == 1 {
                *sum += r;
            }
        }
    }
    scalars.push(b_coefficient);
    points.push(ED25519_BASEPOINT_POINT);
    scalars.extend(key_coefficients);
    points.extend(key_points);
    if !EdwardsPoint::vartime_multiscalar_mul(scalars, points).mul_by_cofactor().is_identity() {
        return Some(false);
    }
    Some(subsets.iter().all(EdwardsPoint::is_torsion_free))
}

/// Item `i`'s 128-bit coefficient and its 64 subset bits, from the hash of the whole batch.
fn coefficients(seed: &[u8], i: usize) -> (Scalar, u64) {
    let h = Sha512::new().chain_update(seed).chain_update((i as u64).to_le_bytes()).finalize();
    let mut bytes = [0u8; 32];
    bytes[..16].copy_from_slice(&h[..16]);
    let mask = u64::from_le_bytes(h[16..24].try_into().unwrap_or_default());
    (Scalar::from_bytes_mod_order(bytes), mask)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::crypto::Keypair;
    use curve25519_dalek::constants::ED25519_BASEPOINT_POINT as B;

    /// A signature whose R carries the order-2 point: valid under the cofactored equation,
    /// invalid under the cofactorless one, and the case where naive batching is inconsistent.
    fn torsion_signature(seed: &[u8; 32], message: &[u8], nonce: u8) -> (PublicKey, Signature) {
        let h = Sha512::digest(seed);
        let mut a_bytes: [u8; 32] = h[..32].try_into().expect("32 bytes");
        a_bytes[0] &= 248;
        a_bytes[31] &= 127;
        a_bytes[31] |= 64;
        let a = Scalar::from_bytes_mod_order(a_bytes);
        let public = Keypair::from_seed(seed).public();
        let order2 = CompressedEdwardsY([
            0xec, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
            0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x7f,
        ])
        .decompress()
        .expect("order-2 point");
        assert!(order2.is_small_order() && !order2.is_identity());
        let r = Scalar::from_bytes_mod_order([nonce; 32]);
        let big_r = (r * B + order2).compress();
        let k = Scalar::from_hash(
            Sha512::new()
                .chain_update(big_r.as_bytes())
                .chain_update(public.as_bytes())
                .chain_update(message),
        );
        let s = r + k * a;
        let mut sig = [0u8; 64];
        sig[..32].copy_from_slice(big_r.as_bytes());
        sig[32..].copy_from_slice(s.as_bytes());
        (public, Signature(sig))
    }

    #[test]
    fn batch_verdicts_equal_single_verdicts_even_with_torsion() {
        let mut items = Vec::new();
        for i in 0..120u8 {
            let message = vec![i; 20];
            let (key, mut sig) = match i % 5 {
                0 => torsion_signature(&[i; 32], &message, i.wrapping_add(1)),
                _ => {
                    let k = Keypair::from_seed(&[i; 32]);
                    (k.public(), k.sign(&message))
                }
            };
            if i % 17 == 3 {
                sig.0[40] ^= 1;
            }
            items.push((message, sig, key));
        }
        // Windows of every size around the batch threshold, mixing good, torsion and broken
        // signatures, and windows of good ones only, so both the batch and its fallback run.
        let good: Vec<_> = items.iter().filter(|(m, s, k)| k.verify(m, s).is_ok()).cloned().collect();
        for list in [&items, &good] {
            for start in (0..list.len()).step_by(23) {
                for len in [1, 5, SMALLEST_BATCH - 1, SMALLEST_BATCH, 90] {
                    let window: Vec<_> = list.iter().skip(start).take(len).collect();
                    let refs: Vec<(&[u8], &Signature, &PublicKey)> =
                        window.iter().map(|(m, s, k)| (m.as_slice(), s, k)).collect();
                    let single: Vec<_> = refs.iter().map(|(m, s, k)| k.verify(m, s)).collect();
                    assert_eq!(verify_batch(&refs), single, "window {start}+{len}");
                }
            }
        }
        let (key, sig) = torsion_signature(&[9; 32], b"m", 3);
        assert_eq!(
            key.verify(b"m", &sig),
            Err(CryptoError::BadSignature),
            "a torsion R is refused, as browsers do"
        );
    }

    #[test]
    fn each_step_of_the_batch_check_refuses_what_it_must() {
        let signer = Keypair::from_seed(&[3; 32]);
        let mut items: Vec<(Vec<u8>, Signature, PublicKey)> = Vec::new();
        for i in 0..64u8 {
            let m = vec![i; 9];
            let (key, sig) = match i % 4 {
                1 => (Keypair::from_seed(&[i; 32]).public(), Keypair::from_seed(&[i; 32]).sign(&m)),
                _ => (signer.public(), signer.sign(&m)),
            };
            items.push((m, sig, key));
        }
        let check = |items: &[(Vec<u8>, Signature, PublicKey)]| {
            let v: Vec<(&[u8], &Signature, &PublicKey)> =
                items.iter().map(|(m, s, k)| (m.as_slice(), s, k)).collect();
            batch_holds(&v)
        };
        assert_eq!(check(&items), Some(true), "valid batch, repeated signer");
        let mut bad = items.clone();
        bad[17].1.0[35] ^= 4;
        assert_eq!(check(&bad), Some(false), "one bad signature sinks the combination");
        let mut changed = items.clone();
        changed[3].0.push(0);
        assert_eq!(check(&changed), Some(false), "a changed message");
        // The cofactored combination holds for a torsion R; the subset step refuses it.
        for (n, nonce) in [(0usize, 7u8), (30, 9), (63, 11)] {
            let mut torsion = items.clone();
            let (key, sig) = torsion_signature(&[40 + nonce; 32], &torsion[n].0, nonce);
            torsion[n].1 = sig;
            torsion[n].2 = key;
            assert_eq!(check(&torsion), Some(false), "a torsion R at {n}");
        }
    }

    /// The old test: decompress, compress again, compare.
    fn round_trips(bytes: &[u8; 32]) -> Option<bool> {
        let compressed = CompressedEdwardsY(*bytes);
        compressed.decompress().map(|p| p.compress() == compressed)
    }

    #[test]
    fn the_byte_check_agrees_with_a_round_trip_on_every_edge_and_at_random() {
        let mut cases: Vec<[u8; 32]> = Vec::new();
        // Every y from p − 2 to 2²⁵⁵ − 1 (the 19 non-canonical spellings and their neighbours),
        // y = 0, 1, 2, with and without the sign bit.
        for low in 0xeb..=0xffu8 {
            let mut b = [0xff; 32];
            b[0] = low;
            b[31] = 0x7f;
            cases.push(b);
        }
        for low in 0..3u8 {
            let mut b = [0; 32];
            b[0] = low;
            cases.push(b);
        }
        let mut state = Sha512::digest(b"terroir canonical points");
        for _ in 0..4_000 {
            state = Sha512::digest(state);
            cases.push(state[..32].try_into().expect("32 bytes"));
        }
        let mut decoded = 0;
        let mut refused = 0;
        for base in cases {
            for sign in [0u8, 0x80] {
                let mut b = base;
                b[31] = (b[31] & 0x7f) | sign;
                let Some(round_trip) = round_trips(&b) else {
                    assert!(decompress_canonical(&b).is_none());
                    continue;
                };
                decoded += 1;
                refused += usize::from(!round_trip);
                assert_eq!(canonical_spelling(&b), round_trip, "{}", hex::encode(b));
                assert_eq!(decompress_canonical(&b).is_some(), round_trip);
            }
        }
        assert!(decoded > 3_000 && refused >= 10, "{decoded} decoded, {refused} non-canonical");
    }

    #[test]
    fn non_canonical_small_order_and_mixed_order_keys_are_refused() {
        let mut identity = [0u8; 32];
        identity[0] = 1;
        assert!(PublicKey::from_bytes(&identity).is_err(), "small order");
        let order2 = CompressedEdwardsY([
            0xec, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
            0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x7f,
        ])
        .decompress()
        .expect("order-2 point");
        let honest =
            CompressedEdwardsY(*Keypair::from_seed(&[1; 32]).public().as_bytes()).decompress().expect("key");
        let mixed = (honest + order2).compress();
        assert!(
            matches!(PublicKey::from_bytes(mixed.as_bytes()), Err(CryptoError::UnusableKey(_))),
            "mixed order"
        );
        let mut non_canonical = [0xffu8; 32];
        non_canonical[0] = 0xee;
        non_canonical[31] = 0x7f;
        assert!(PublicKey::from_bytes(&non_canonical).is_err(), "y ≥ p");
        assert!(PublicKey::from_bytes(Keypair::from_seed(&[1; 32]).public().as_bytes()).is_ok());
    }

    #[test]
    fn non_canonical_s_is_refused() {
        let k = Keypair::from_seed(&[5; 32]);
        let mut sig = k.sign(b"hello");
        // S + ℓ: the same scalar mod ℓ, a second spelling.
        let s = Scalar::from_canonical_bytes(sig.0[32..].try_into().expect("32")).expect("canonical");
        let l_bytes: [u8; 32] = [
            0xed, 0xd3, 0xf5, 0x5c, 0x1a, 0x63, 0x12, 0x58, 0xd6, 0x9c, 0xf7, 0xa2, 0xde, 0xf9, 0xde, 0x14,
            0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x10,
        ];
        let mut sum = [0u8; 32];
        let mut carry = 0u16;
        for i in 0..32 {
            let v = u16::from(s.as_bytes()[i]) + u16::from(l_bytes[i]) + carry;
            sum[i] = v as u8;
            carry = v >> 8;
        }
        sig.0[32..].copy_from_slice(&sum);
        assert!(k.public().verify(b"hello", &sig).is_err());
    }
}
