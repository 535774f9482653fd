//! The GTIN (Global Trade Item Number), always held as 14 digits, and the GS1 mod-10 check digit.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// A Global Trade Item Number, always held in its 14-digit form (GTIN-14) with a correct check
/// digit. GTIN-8, GTIN-12 (UPC-A) and GTIN-13 (EAN-13) are accepted by [`Gtin::parse`] and
/// padded on the left with zeros, as the GS1 General Specifications prescribe.
///
/// In JSON a GTIN is exactly 14 digits; shorter spellings are refused there so that every
/// GTIN stored in a record has exactly one textual form.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Gtin([u8; 14]);

/// Why a string is not a GTIN.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum GtinError {
    /// The string is not 8, 12, 13 or 14 digits long.
    #[error("a GTIN has 8, 12, 13 or 14 digits; this one has {len}")]
    WrongLength { len: usize },
    /// A stored GTIN must already be in its 14-digit form.
    #[error(
        "a stored GTIN has exactly 14 digits (pad a GTIN-8, -12 or -13 with leading zeros); this one has {len}"
    )]
    NotFourteenDigits { len: usize },
    /// [`Gtin::from_prefix_and_item`] needs the 13 digits that precede the check digit.
    #[error(
        "a GTIN-14 without its check digit has 13 digits (indicator, company prefix, item reference); this one has {len}"
    )]
    WrongBodyLength { len: usize },
    /// A character that is not a digit 0–9.
    #[error("a GTIN is made of digits only; character {position} is {ch:?}")]
    NonDigit {
        /// 1-based position of the offending character.
        position: usize,
        ch: char,
    },
    /// The last digit does not match the GS1 check digit of the others.
    #[error("the check digit should be {expected}, not {found}; the number was probably mistyped")]
    WrongCheckDigit { expected: u8, found: u8 },
}

/// The GS1 mod-10 check digit for `digits` (the data digits, without their check digit), as
/// defined in the GS1 General Specifications: from the right, digits are weighted 3, 1, 3, 1,
/// … and the check digit brings the weighted sum up to a multiple of ten. Works for every GS1
/// key that uses it (GTIN, GLN, SSCC, …). `None` if `digits` is empty or holds a non-digit.
pub fn gs1_check_digit(digits: &str) -> Option<u8> {
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    Some(check_digit_of(digits.as_bytes()))
}

/// The check digit of ASCII digits (the caller has checked they are digits).
fn check_digit_of(digits: &[u8]) -> u8 {
    let sum: u32 = digits
        .iter()
        .rev()
        .enumerate()
        .map(|(i, b)| {
            let d = u32::from(b.wrapping_sub(b'0'));
            if i % 2 == 0 { 3 * d } else { d }
        })
        .sum();
    // `(10 - sum % 10) % 10` is below 10, so it always fits in a digit.
    ((10 - sum % 10) % 10) as u8
}

/// Checks that every character of `s` is an ASCII digit.
fn all_digits(s: &str) -> Result<(), GtinError> {
    match s.chars().enumerate().find(|(_, c)| !c.is_ascii_digit()) {
        Some((i, ch)) => Err(GtinError::NonDigit { position: i + 1, ch }),
        None => Ok(()),
    }
}

impl Gtin {
    /// Parses a GTIN-8, GTIN-12, GTIN-13 or GTIN-14 and pads it to 14 digits.
    pub fn parse(s: &str) -> Result<Self, GtinError> {
        all_digits(s)?;
        let len = s.len();
        if !matches!(len, 8 | 12 | 13 | 14) {
            return Err(GtinError::WrongLength { len });
        }
        let mut out = [b'0'; 14];
        out[14 - len..].copy_from_slice(s.as_bytes());
        Self::checked(out)
    }

    /// Parses the 14-digit form only, as used in stored records.
    pub fn parse_gtin14(s: &str) -> Result<Self, GtinError> {
        all_digits(s)?;
        let mut out = [0u8; 14];
        if s.len() != out.len() {
            return Err(GtinError::NotFourteenDigits { len: s.len() });
        }
        out.copy_from_slice(s.as_bytes());
        Self::checked(out)
    }

    /// Builds a GTIN-14 from its first 13 digits (indicator digit, GS1 company prefix and item
    /// reference) by appending the computed check digit.
    pub fn from_prefix_and_item(digits13: &str) -> Result<Self, GtinError> {
        all_digits(digits13)?;
        if digits13.len() != 13 {
            return Err(GtinError::WrongBodyLength { len: digits13.len() });
        }
        let mut out = [0u8; 14];
        out[..13].copy_from_slice(digits13.as_bytes());
        out[13] = b'0' + check_digit_of(&out[..13]);
        Ok(Self(out))
    }

    /// Verifies the check digit of 14 ASCII digits.
    fn checked(digits: [u8; 14]) -> Result<Self, GtinError> {
        let expected = check_digit_of(&digits[..13]);
        let found = digits[13] - b'0';
        if expected != found {
            return Err(GtinError::WrongCheckDigit { expected, found });
        }
        Ok(Self(digits))
    }

    /// The 14 digits.
    pub fn as_str(&self) -> &str {
        // Only ever built from ASCII digits, so this cannot fail.
        std::str::from_utf8(&self.0).unwrap_or_default()
    }

    /// The check digit (the last digit).
    pub fn check_digit(&self) -> u8 {
        self.0[13] - b'0'
    }
}

impl FromStr for Gtin {
    type Err = GtinError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::parse(s)
    }
}

impl fmt::Display for Gtin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl fmt::Debug for Gtin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Gtin({})", self.as_str())
    }
}

impl Serialize for Gtin {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

impl<'de> Deserialize<'de> for Gtin {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = <std::borrow::Cow<'de, str>>::deserialize(d)?;
        Self::parse_gtin14(&s).map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn check_digit_of_known_numbers() {
        assert_eq!(gs1_check_digit("0950600013435"), Some(2));
        assert_eq!(gs1_check_digit("400638133393"), Some(1));
        assert_eq!(gs1_check_digit("03600029145"), Some(2));
        assert_eq!(gs1_check_digit("9638507"), Some(4));
        // SSCC example from the GS1 General Specifications.
        assert_eq!(gs1_check_digit("10614141234567890"), Some(8));
        assert_eq!(gs1_check_digit(""), None);
        assert_eq!(gs1_check_digit("12a4"), None);
    }

    #[test]
    fn short_forms_are_padded() {
        let g = Gtin::parse("96385074").expect("GTIN-8");
        assert_eq!(g.as_str(), "00000096385074");
        assert_eq!(g.check_digit(), 4);
        assert_eq!(Gtin::parse("00000096385074"), Ok(g));
    }

    #[test]
    fn errors_are_precise() {
        assert_eq!(Gtin::parse("0950600013435"), Err(GtinError::WrongCheckDigit { expected: 9, found: 5 }));
        assert_eq!(Gtin::parse("0950600013435X"), Err(GtinError::NonDigit { position: 14, ch: 'X' }));
        assert_eq!(Gtin::parse("1234567890"), Err(GtinError::WrongLength { len: 10 }));
    }
}
