//! Ed25519 keys and signatures (RFC 8032), with one textual form each.

mod verify;

pub use verify::{verify_batch, verify_raw};

use std::fmt;
use std::str::FromStr;

use ed25519_dalek::{Signer as _, SigningKey, VerifyingKey};
use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// An Ed25519 public key: a party's identity or one of its device keys. In JSON: 64 lowercase
/// hex digits, and only the canonical encoding of a point of the prime-order subgroup, the
/// only keys an honest key generation makes (see [`PublicKey::from_bytes`]). Held as its 32
/// bytes so that the many keys in ledger state stay small and cheap to compare.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct PublicKey([u8; 32]);

/// An Ed25519 signature. In JSON: 128 lowercase hex digits.
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct Signature(pub [u8; 64]);

/// A secret signing key. It never serialises; callers store its 32-byte seed themselves.
pub struct Keypair(SigningKey);

/// Why a key, a signature or a signed message was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CryptoError {
    #[error("a public key is 64 lowercase hex digits")]
    BadPublicKey,
    #[error("this is not a usable Ed25519 public key: {0}")]
    UnusableKey(&'static str),
    #[error("a signature is 128 lowercase hex digits")]
    BadSignatureEncoding,
    #[error("the signature does not verify with the signer's key")]
    BadSignature,
}

impl PublicKey {
    /// Accepts only the canonical encoding of a point of the prime-order subgroup: every key
    /// has one spelling, none is of small order (anyone could sign for it), and none carries a
    /// small-order component, so that batch verification gives exactly the verdicts of
    /// verifying one by one. `A = [a]B`, as every key generation makes it, is always such a
    /// point.
    pub fn from_bytes(bytes: &[u8; 32]) -> Result<Self, CryptoError> {
        if valid_keys::known(bytes) {
            return Ok(Self(*bytes));
        }
        let point = curve25519_dalek::edwards::CompressedEdwardsY(*bytes)
            .decompress()
            .ok_or(CryptoError::UnusableKey("it does not encode a point of the curve"))?;
        if verify::decompress_canonical(bytes).is_none() {
            return Err(CryptoError::UnusableKey(
                "it is a second spelling of a point (not its canonical encoding)",
            ));
        }
        if point.is_small_order() {
            return Err(CryptoError::UnusableKey("it is a point of small order, for which anyone can sign"));
        }
        if !point.is_torsion_free() {
            return Err(CryptoError::UnusableKey(
                "it carries a small-order component (no key generation makes such a key)",
            ));
        }
        valid_keys::remember(bytes);
        Ok(Self(*bytes))
    }

    pub fn as_bytes(&self) -> &[u8; 32] {
        &self.0
    }

    /// The decompressed key. Construction checked the point, so this fails only if that
    /// invariant were broken.
    pub fn verifying_key(&self) -> Result<VerifyingKey, CryptoError> {
        VerifyingKey::from_bytes(&self.0).map_err(|_| CryptoError::BadPublicKey)
    }

    /// RFC 8032 §5.1.7 verification with the cofactorless equation, as WebCrypto and OpenSSL
    /// verify: `S` below the group order and `R` exactly the encoding of `[S]B − [k]A`.
    pub fn verify(&self, message: &[u8], signature: &Signature) -> Result<(), CryptoError> {
        match verify::verify_raw(&self.0, message, &signature.0) {
            true => Ok(()),
            false => Err(CryptoError::BadSignature),
        }
    }
}

/// Keys this thread has already found valid. Records name the same few party and station keys
/// over and over; checking that a key is a curve point costs a field exponentiation, a look-up
/// here one 32-byte comparison. Slots are picked by the key's first byte: a key that lands on a
/// taken slot replaces it, so the memo stays small and never changes a verdict.
mod valid_keys {
    use std::cell::RefCell;

    const SLOTS: usize = 256;

    thread_local! {
        static KNOWN: RefCell<[Option<[u8; 32]>; SLOTS]> = const { RefCell::new([None; SLOTS]) };
    }

    pub(super) fn known(key: &[u8; 32]) -> bool {
        KNOWN.with(|k| k.borrow()[usize::from(key[0])].as_ref() == Some(key))
    }

    pub(super) fn remember(key: &[u8; 32]) {
        KNOWN.with(|k| k.borrow_mut()[usize::from(key[0])] = Some(*key));
    }
}

impl Keypair {
    /// A key from a 32-byte secret seed (RFC 8032 §5.1.5). Randomness is the caller's.
    pub fn from_seed(seed: &[u8; 32]) -> Self {
        Self(SigningKey::from_bytes(seed))
    }

    pub fn seed(&self) -> &[u8; 32] {
        self.0.as_bytes()
    }

    pub fn public(&self) -> PublicKey {
        PublicKey(self.0.verifying_key().to_bytes())
    }

    pub fn sign(&self, message: &[u8]) -> Signature {
        Signature(self.0.sign(message).to_bytes())
    }

    pub fn signing_key(&self) -> &SigningKey {
        &self.0
    }
}

impl fmt::Debug for Keypair {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Keypair({})", self.public())
    }
}

fn parse_hex<const N: usize>(s: &str) -> Option<[u8; N]> {
    let mut out = [0u8; N];
    crate::hash::from_lower_hex(s.as_bytes(), &mut out).then_some(out)
}

impl FromStr for PublicKey {
    type Err = CryptoError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let bytes = parse_hex::<32>(s).ok_or(CryptoError::BadPublicKey)?;
        Self::from_bytes(&bytes)
    }
}

impl FromStr for Signature {
    type Err = CryptoError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        parse_hex::<64>(s).map(Self).ok_or(CryptoError::BadSignatureEncoding)
    }
}

impl fmt::Display for PublicKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(crate::hash::hex_in(self.as_bytes(), &mut [0; 64]))
    }
}

impl fmt::Debug for PublicKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "PublicKey({self})")
    }
}

impl fmt::Display for Signature {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(crate::hash::hex_in(&self.0, &mut [0; 128]))
    }
}

impl fmt::Debug for Signature {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Signature({self})")
    }
}

macro_rules! serde_via_str {
    ($t:ty) => {
        impl Serialize for $t {
            fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                let mut buf = [0; 128];
                let bytes: &[u8] = self.as_ref();
                s.serialize_str(crate::hash::hex_in(bytes, &mut buf[..2 * bytes.len()]))
            }
        }
        impl<'de> Deserialize<'de> for $t {
            fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                let s = <std::borrow::Cow<'de, str>>::deserialize(d)?;
                s.parse().map_err(serde::de::Error::custom)
            }
        }
    };
}

impl AsRef<[u8]> for PublicKey {
    fn as_ref(&self) -> &[u8] {
        &self.0
    }
}

impl AsRef<[u8]> for Signature {
    fn as_ref(&self) -> &[u8] {
        &self.0
    }
}

serde_via_str!(PublicKey);
serde_via_str!(Signature);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn remembered_keys_never_change_a_verdict() {
        // Keys sharing a memo slot (first byte 1): valid ones, the small-order identity and a
        // spelling with y ≥ p, checked in every order, twice.
        let valid: Vec<[u8; 32]> = (0..=255u8)
            .flat_map(|a| {
                (0..=255u8).map(move |b| {
                    let mut seed = [7u8; 32];
                    seed[..2].copy_from_slice(&[a, b]);
                    Keypair::from_seed(&seed).public().0
                })
            })
            .filter(|k| k[0] == 1)
            .take(3)
            .collect();
        assert_eq!(valid.len(), 3);
        let mut identity = [0u8; 32];
        identity[0] = 1;
        let mut high = [0xffu8; 32];
        high[31] = 0x7f;
        high[0] = 0xf0;
        let mut flipped = valid[0];
        flipped[31] ^= 0x80;
        // The verdict without the memo or the byte check: decompress, compress back, compare.
        let expected = |k: &[u8; 32]| {
            let c = curve25519_dalek::edwards::CompressedEdwardsY(*k);
            c.decompress().is_some_and(|p| p.compress() == c && !p.is_small_order())
        };
        assert!(expected(&flipped), "−A is a key as good as A");
        assert!(!expected(&identity) && !expected(&high));
        let all = [valid[0], identity, valid[1], high, flipped, valid[2], valid[0], identity];
        for _ in 0..2 {
            for key in &all {
                assert_eq!(PublicKey::from_bytes(key).is_ok(), expected(key), "{}", hex::encode(key));
            }
        }
        // The all-zero key (y = 0, a point of order 4) is refused although an empty slot is zero.
        assert!(PublicKey::from_bytes(&[0; 32]).is_err());
        assert!(PublicKey::from_bytes(&[0; 32]).is_err());
    }

    #[test]
    fn rfc8032_test_vector_1() {
        // RFC 8032 §7.1, TEST 1 (empty message).
        let seed = parse_hex::<32>("9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60")
            .expect("seed");
        let key = Keypair::from_seed(&seed);
        assert_eq!(
            key.public().to_string(),
            "d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a"
        );
        let sig = key.sign(b"");
        assert_eq!(
            sig.to_string(),
            "e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e065224901555fb8821590a33bacc61e39701cf9b46bd25bf5f0595bbe24655141438e7a100b"
        );
        assert_eq!(key.public().verify(b"", &sig), Ok(()));
        assert_eq!(key.public().verify(b"x", &sig), Err(CryptoError::BadSignature));
    }

    #[test]
    fn batch_names_exactly_the_bad_items() {
        let keys: Vec<Keypair> = (0u8..8).map(|i| Keypair::from_seed(&[i; 32])).collect();
        let msgs: Vec<Vec<u8>> = (0u8..8).map(|i| vec![i; 10]).collect();
        let mut sigs: Vec<Signature> = keys.iter().zip(&msgs).map(|(k, m)| k.sign(m)).collect();
        let pubs: Vec<PublicKey> = keys.iter().map(Keypair::public).collect();
        let items = |sigs: &[Signature]| -> Vec<Result<(), CryptoError>> {
            let v: Vec<(&[u8], &Signature, &PublicKey)> =
                (0..8).map(|i| (msgs[i].as_slice(), &sigs[i], &pubs[i])).collect();
            verify_batch(&v)
        };
        assert!(items(&sigs).iter().all(Result::is_ok));
        sigs[3].0[5] ^= 1;
        let verdicts = items(&sigs);
        for (i, v) in verdicts.iter().enumerate() {
            assert_eq!(v.is_err(), i == 3, "item {i}");
        }
    }

    #[test]
    fn textual_forms_are_strict() {
        let k = Keypair::from_seed(&[7; 32]).public();
        assert_eq!(k.to_string().parse::<PublicKey>(), Ok(k));
        assert!(k.to_string().to_uppercase().parse::<PublicKey>().is_err());
        assert!("00".parse::<PublicKey>().is_err());
        assert!("ab".repeat(64).parse::<Signature>().is_ok());
        assert!("ab".repeat(63).parse::<Signature>().is_err());
    }
}
