//! The 32-byte SHA-256 digest used for record ids, asset heads, leaf and node hashes.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Deserializer, Serialize, Serializer};
use sha2::{Digest, Sha256};

/// A SHA-256 digest. In JSON it is 64 lowercase hex digits; any other spelling is refused so
/// that every hash has exactly one textual form (canonical bytes depend on it).
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct Hash(pub [u8; 32]);

/// Why a string is not a hash.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("a hash is 64 lowercase hex digits")]
pub struct HashParseError;

impl Hash {
    /// SHA-256 of `bytes`.
    pub fn sha256(bytes: &[u8]) -> Self {
        Self(Sha256::digest(bytes).into())
    }

    /// SHA-256 of the concatenation of `parts`, without allocating it.
    pub fn sha256_parts(parts: &[&[u8]]) -> Self {
        let mut h = Sha256::new();
        for p in parts {
            h.update(p);
        }
        Self(h.finalize().into())
    }

    pub fn as_bytes(&self) -> &[u8; 32] {
        &self.0
    }

    pub fn to_hex(&self) -> String {
        hex::encode(self.0)
    }
}

/// Each byte's value as a lowercase hex digit, or 0xFF for any other byte.
const DIGITS: [u8; 256] = {
    let mut table = [0xFF; 256];
    let mut d = 0;
    while d < 16 {
        table[b"0123456789abcdef"[d] as usize] = d as u8;
        d += 1;
    }
    table
};

/// Decodes `hex`, exactly twice as long as `out`, into `out` in one pass; false if any digit is
/// not a lowercase hex digit (the one spelling hashes, keys and signatures have). A table and no
/// branch per digit: a label's page decodes a dozen hashes, keys and signatures. On false, `out`
/// holds nothing meaningful.
pub(crate) fn from_lower_hex(hex: &[u8], out: &mut [u8]) -> bool {
    if hex.len() != 2 * out.len() {
        return false;
    }
    let mut seen = 0u8;
    for (o, pair) in out.iter_mut().zip(hex.chunks_exact(2)) {
        let (high, low) = (DIGITS[pair[0] as usize], DIGITS[pair[1] as usize]);
        seen |= high | low;
        *o = (high << 4) | (low & 0x0F);
    }
    seen & 0xF0 == 0
}

/// `bytes` as lowercase hex written into `buf` (twice their length), without allocating: hashes,
/// keys and signatures are written by the thousand in every receipt and batch answer.
pub(crate) fn hex_in<'a>(bytes: &[u8], buf: &'a mut [u8]) -> &'a str {
    match hex::encode_to_slice(bytes, buf) {
        // Hex digits are ASCII.
        Ok(()) => std::str::from_utf8(buf).unwrap_or_default(),
        Err(_) => "",
    }
}

impl FromStr for Hash {
    type Err = HashParseError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let mut out = [0u8; 32];
        match from_lower_hex(s.as_bytes(), &mut out) {
            true => Ok(Self(out)),
            false => Err(HashParseError),
        }
    }
}

impl fmt::Display for Hash {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(hex_in(&self.0, &mut [0; 64]))
    }
}

impl fmt::Debug for Hash {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Hash({})", self.to_hex())
    }
}

impl Serialize for Hash {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(hex_in(&self.0, &mut [0; 64]))
    }
}

impl<'de> Deserialize<'de> for Hash {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = <std::borrow::Cow<'de, str>>::deserialize(d)?;
        s.parse().map_err(serde::de::Error::custom)
    }
}

impl From<tlog_tiles::Hash> for Hash {
    fn from(h: tlog_tiles::Hash) -> Self {
        Self(h.0)
    }
}

impl From<Hash> for tlog_tiles::Hash {
    fn from(h: Hash) -> Self {
        tlog_tiles::Hash(h.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hex_round_trip_and_strictness() {
        let h = Hash::sha256(b"abc");
        assert_eq!(h.to_hex(), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
        assert_eq!(h.to_hex().parse::<Hash>(), Ok(h));
        assert!(h.to_hex().to_uppercase().parse::<Hash>().is_err());
        assert!(h.to_hex()[..62].parse::<Hash>().is_err());
        assert_eq!(Hash::sha256_parts(&[b"a", b"bc"]), h);
    }

    #[test]
    fn only_lowercase_hex_digits_decode_and_to_what_the_hex_crate_decodes() {
        // Every byte value in every position of a pair: the decoder takes exactly 0-9 and a-f.
        for b in 0..=255u8 {
            for pair in [[b, b'0'], [b'0', b]] {
                let mut out = [0u8; 1];
                let lower = b.is_ascii_digit() || (b'a'..=b'f').contains(&b);
                assert_eq!(from_lower_hex(&pair, &mut out), lower, "{pair:?}");
                if lower {
                    assert_eq!(out.to_vec(), hex::decode(pair).expect("hex"));
                }
            }
        }
        assert!(!from_lower_hex(b"abc", &mut [0u8; 2]), "odd length");
        assert!(!from_lower_hex(b"ab", &mut [0u8; 2]), "too short");
    }
}
