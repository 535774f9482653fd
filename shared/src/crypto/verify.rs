//! Ed25519 verification, one by one and in batches, with exactly the same verdicts.
//!
//! RFC 8032 §5.1.7 allows checking either `[S]B = R + [k]A` or the cofactored
//! `[8][S]B = [8]R + [8][k]A`. Randomised batch verification can only agree with the
//! cofactored form: a signer who adds a small-order point to R passes a batch half the time
//! while failing the cofactorless check. So Terroir's rule is the cofactored equation, with
//! canonical encodings of R, A and S and no small-order A, both one by one and in batches; a
//! batch that fails is re-checked item by item, so every verdict is exact.

use curve25519_dalek::edwards::{CompressedEdwardsY, EdwardsPoint};
use curve25519_dalek::scalar::Scalar;
use curve25519_dalek::traits::IsIdentity;
use ed25519_dalek::VerifyingKey;
use sha2::{Digest, Sha512};

use super::{CryptoError, PublicKey, Signature};

/// The point `bytes` encodes, if they are its one canonical encoding.
pub(super) fn decompress_canonical(bytes: &[u8]) -> Option<EdwardsPoint> {
    let compressed = CompressedEdwardsY::from_slice(bytes).ok()?;
    let point = compressed.decompress()?;
    (point.compress() == compressed).then_some(point)
}

/// The checks every signature must pass before any equation: canonical R and S, a key that is
/// canonical and not of small order. Returns R, A and S.
fn screen(key: &[u8; 32], sig: &[u8; 64]) -> Option<(EdwardsPoint, EdwardsPoint, Scalar)> {
    let a = decompress_canonical(key).filter(|a| !a.is_small_order())?;
    let r = decompress_canonical(&sig[..32])?;
    let s_bytes: [u8; 32] = sig[32..].try_into().ok()?;
    let s = Option::<Scalar>::from(Scalar::from_canonical_bytes(s_bytes))?;
    Some((r, a, s))
}

pub(super) fn verify_cofactored(key: &[u8; 32], message: &[u8], sig: &[u8; 64]) -> bool {
    let Some((r, a, s)) = screen(key, sig) else {
        return false;
    };
    let k = Scalar::from_hash(Sha512::new().chain_update(&sig[..32]).chain_update(key).chain_update(message));
    let residue = EdwardsPoint::vartime_double_scalar_mul_basepoint(&k, &(-a), &s) - r;
    residue.mul_by_cofactor().is_identity()
}

/// Verifies many `(message, signature, key)` triples; one verdict per item, in order, each the
/// same as [`PublicKey::verify`] would give. A batch costs about a third of one-by-one checks.
pub fn verify_batch(items: &[(&[u8], &Signature, &PublicKey)]) -> Vec<Result<(), CryptoError>> {
    let screened = items.iter().all(|(_, s, k)| screen(&k.0, &s.0).is_some());
    let keys: Option<Vec<VerifyingKey>> =
        items.iter().map(|(_, _, k)| VerifyingKey::from_bytes(&k.0).ok()).collect();
    let messages: Vec<&[u8]> = items.iter().map(|(m, _, _)| *m).collect();
    let signatures: Vec<ed25519_dalek::Signature> =
        items.iter().map(|(_, s, _)| ed25519_dalek::Signature::from_bytes(&s.0)).collect();
    // A passing random linear combination means every residue is of small order (except with
    // probability about 2^-128), which is exactly the cofactored equation for each item.
    let batch_ok = screened
        && keys.is_some_and(|keys| ed25519_dalek::verify_batch(&messages, &signatures, &keys).is_ok());
    if batch_ok {
        return vec![Ok(()); items.len()];
    }
    items.iter().map(|(m, s, k)| k.verify(m, s)).collect()
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
        for i in 0..24u8 {
            let message = vec![i; 20];
            let (key, mut sig) = match i % 3 {
                0 => {
                    let k = Keypair::from_seed(&[i; 32]);
                    (k.public(), k.sign(&message))
                }
                _ => torsion_signature(&[i; 32], &message, i.wrapping_add(1)),
            };
            if i % 7 == 0 {
                sig.0[40] ^= 1;
            }
            items.push((message, sig, key));
        }
        // Every window of the list, so batches mix good, torsion and broken signatures.
        for start in 0..items.len() {
            for len in [1, 2, 3, 5, 8] {
                let window: Vec<_> = items.iter().skip(start).take(len).collect();
                let refs: Vec<(&[u8], &Signature, &PublicKey)> =
                    window.iter().map(|(m, s, k)| (m.as_slice(), s, k)).collect();
                let single: Vec<_> = refs.iter().map(|(m, s, k)| k.verify(m, s)).collect();
                assert_eq!(verify_batch(&refs), single, "window {start}+{len}");
            }
        }
        let (key, sig) = torsion_signature(&[9; 32], b"m", 3);
        assert_eq!(key.verify(b"m", &sig), Ok(()), "cofactored rule accepts a torsion R");
    }

    #[test]
    fn non_canonical_and_small_order_keys_are_refused() {
        let mut identity = [0u8; 32];
        identity[0] = 1;
        assert!(PublicKey::from_bytes(&identity).is_err(), "small order");
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
