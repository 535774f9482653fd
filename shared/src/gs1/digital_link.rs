//! GS1 Digital Link URIs for a GTIN with its optional consumer product variant, lot and serial.

use std::fmt;
use std::str::FromStr;

use super::gtin::{Gtin, GtinError};

/// The longest value AIs 22, 10 and 21 may carry (format X..20).
pub const MAX_VALUE_LEN: usize = 20;

/// The GS1 Application Identifiers Terroir reads and writes in a Digital Link path.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Ai {
    /// AI 01, short name `gtin`: the primary key.
    Gtin,
    /// AI 22, short name `cpv`: consumer product variant.
    Cpv,
    /// AI 10, short name `lot`: batch or lot number.
    Lot,
    /// AI 21, short name `ser`: serial number.
    Serial,
}

impl Ai {
    /// The numeric application identifier, e.g. `"10"`.
    pub fn code(self) -> &'static str {
        match self {
            Ai::Gtin => "01",
            Ai::Cpv => "22",
            Ai::Lot => "10",
            Ai::Serial => "21",
        }
    }

    /// The short name the GS1 Digital Link standard defines, e.g. `"lot"`.
    pub fn short_name(self) -> &'static str {
        match self {
            Ai::Gtin => "gtin",
            Ai::Cpv => "cpv",
            Ai::Lot => "lot",
            Ai::Serial => "ser",
        }
    }

    /// Reads a path segment naming an AI, either numerically or by its short name.
    pub fn from_segment(segment: &str) -> Option<Ai> {
        [Ai::Gtin, Ai::Cpv, Ai::Lot, Ai::Serial]
            .into_iter()
            .find(|ai| segment == ai.code() || segment == ai.short_name())
    }

    /// Position in the path the standard requires: 01, then 22, then 10, then 21.
    fn rank(self) -> u8 {
        match self {
            Ai::Gtin => 0,
            Ai::Cpv => 1,
            Ai::Lot => 2,
            Ai::Serial => 3,
        }
    }
}

impl fmt::Display for Ai {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let label = match self {
            Ai::Gtin => "GTIN",
            Ai::Cpv => "consumer product variant",
            Ai::Lot => "lot number",
            Ai::Serial => "serial number",
        };
        write!(f, "{label} (AI {})", self.code())
    }
}

/// Why a Digital Link, or a value meant for one, is refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DigitalLinkError {
    /// No `/01/` (or `/gtin/`) segment in the path.
    #[error("the link has no GTIN: its path must contain /01/ followed by the GTIN")]
    MissingPrimaryKey,
    /// A qualifier appears before the GTIN.
    #[error("the GTIN (AI 01) must come first in the path, but the {before} comes before it")]
    PrimaryKeyNotFirst { before: Ai },
    /// Qualifiers must follow the order 22, 10, 21.
    #[error("the {ai} must come before the {after}; the order is 22, then 10, then 21")]
    QualifierOutOfOrder { ai: Ai, after: Ai },
    /// The same AI appears twice.
    #[error("the {ai} appears more than once")]
    DuplicateAi { ai: Ai },
    /// A path segment after the GTIN that is not 22, 10, 21 or their short names.
    #[error(
        "{segment:?} is not allowed after the GTIN in the path; only 22 (cpv), 10 (lot) and 21 (ser) are"
    )]
    UnknownAi { segment: String },
    /// Two slashes in a row where an AI was expected.
    #[error("the path has an empty segment (two slashes in a row) after the GTIN")]
    EmptySegment,
    /// The path ends with an AI that has no value after it.
    #[error("the {ai} has no value after it")]
    MissingValue { ai: Ai },
    /// The value is empty.
    #[error("the {ai} is empty")]
    EmptyValue { ai: Ai },
    /// The value is longer than 20 characters.
    #[error("the {ai} has {len} characters; at most 20 are allowed")]
    ValueTooLong { ai: Ai, len: usize },
    /// A character outside GS1 AI encodable character set 82.
    #[error(
        "the {ai} contains {ch:?}, which GS1 does not allow (letters, digits and ! \" % & ' ( ) * + , - . / : ; < = > ? _ only)"
    )]
    InvalidCharacter { ai: Ai, ch: char },
    /// A character that may appear in the value but must be percent-encoded in a link.
    #[error("the {ai} contains {ch:?}, which must be percent-encoded in a link")]
    UnencodedCharacter { ai: Ai, ch: char },
    /// A `%` not followed by two hexadecimal digits, or an encoding that is not text.
    #[error("the {ai} has a broken percent-encoding near {near:?}")]
    BadPercentEncoding { ai: Ai, near: String },
    /// The GTIN itself is wrong.
    #[error("the GTIN in the link is wrong: {0}")]
    Gtin(#[from] GtinError),
}

/// Whether `c` belongs to GS1 AI encodable character set 82 (GS1 General Specifications,
/// figure 7.11-1): `A–Z a–z 0–9` and `! " % & ' ( ) * + , - . / : ; < = > ? _`.
pub fn is_cset82(c: char) -> bool {
    c.is_ascii_alphanumeric()
        || matches!(
            c,
            '!' | '"'
                | '%'
                | '&'
                | '\''
                | '('
                | ')'
                | '*'
                | '+'
                | ','
                | '-'
                | '.'
                | '/'
                | ':'
                | ';'
                | '<'
                | '='
                | '>'
                | '?'
                | '_'
        )
}

/// Checks a decoded qualifier value: 1–20 characters of set 82.
fn validate_value(ai: Ai, value: &str) -> Result<(), DigitalLinkError> {
    if value.is_empty() {
        return Err(DigitalLinkError::EmptyValue { ai });
    }
    if let Some(ch) = value.chars().find(|&c| !is_cset82(c)) {
        return Err(DigitalLinkError::InvalidCharacter { ai, ch });
    }
    let len = value.chars().count();
    if len > MAX_VALUE_LEN {
        return Err(DigitalLinkError::ValueTooLong { ai, len });
    }
    Ok(())
}

/// Characters left as they are in a path segment: RFC 3986 "unreserved" (`~` is not in set 82).
fn is_unreserved(b: u8) -> bool {
    b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~')
}

/// Characters RFC 3986 allows unencoded inside a path segment besides the unreserved ones
/// (sub-delims, `:` and `@`). Readers accept them; [`DigitalLink::to_path`] still encodes them,
/// as the GS1 Digital Link standard asks.
fn is_literal_in_segment(b: u8) -> bool {
    is_unreserved(b)
        || matches!(
            b,
            b'!' | b'$' | b'&' | b'\'' | b'(' | b')' | b'*' | b'+' | b',' | b';' | b'=' | b':' | b'@'
        )
}

/// Percent-encodes a value for a path segment, with uppercase hex digits.
fn encode_into(out: &mut String, value: &str) {
    const HEX: &[u8; 16] = b"0123456789ABCDEF";
    for b in value.bytes() {
        if is_unreserved(b) {
            out.push(char::from(b));
        } else {
            out.push('%');
            out.push(char::from(HEX[usize::from(b >> 4)]));
            out.push(char::from(HEX[usize::from(b & 0x0f)]));
        }
    }
}

fn hex_value(b: u8) -> Option<u8> {
    match b {
        b'0'..=b'9' => Some(b - b'0'),
        b'a'..=b'f' => Some(b - b'a' + 10),
        b'A'..=b'F' => Some(b - b'A' + 10),
        _ => None,
    }
}

/// Decodes one path segment holding the value of `ai`.
fn decode_segment(ai: Ai, segment: &str) -> Result<String, DigitalLinkError> {
    let bytes = segment.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let b = bytes[i];
        if b == b'%' {
            let pair = bytes
                .get(i + 1)
                .and_then(|&h| hex_value(h))
                .zip(bytes.get(i + 2).and_then(|&l| hex_value(l)));
            match pair {
                Some((h, l)) => out.push((h << 4) | l),
                None => {
                    let near: String = segment[i..].chars().take(3).collect();
                    return Err(DigitalLinkError::BadPercentEncoding { ai, near });
                }
            }
            i += 3;
        } else if b.is_ascii() && !is_literal_in_segment(b) {
            let ch = char::from(b);
            return Err(if is_cset82(ch) {
                DigitalLinkError::UnencodedCharacter { ai, ch }
            } else {
                DigitalLinkError::InvalidCharacter { ai, ch }
            });
        } else {
            out.push(b);
            i += 1;
        }
    }
    String::from_utf8(out).map_err(|_| DigitalLinkError::BadPercentEncoding { ai, near: segment.to_owned() })
}

/// A GS1 Digital Link for a trade item: its GTIN and, optionally, a consumer product variant
/// (AI 22), a lot (AI 10) and a serial number (AI 21). Every value is 1–20 characters of GS1
/// character set 82; the constructor and the parser refuse anything else.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct DigitalLink {
    gtin: Gtin,
    cpv: Option<String>,
    lot: Option<String>,
    serial: Option<String>,
}

impl DigitalLink {
    /// A link for `gtin` with the given qualifiers, each checked against the GS1 rules.
    pub fn new(
        gtin: Gtin,
        cpv: Option<&str>,
        lot: Option<&str>,
        serial: Option<&str>,
    ) -> Result<Self, DigitalLinkError> {
        let own = |ai: Ai, v: Option<&str>| -> Result<Option<String>, DigitalLinkError> {
            v.map(|v| validate_value(ai, v).map(|()| v.to_owned())).transpose()
        };
        Ok(Self { gtin, cpv: own(Ai::Cpv, cpv)?, lot: own(Ai::Lot, lot)?, serial: own(Ai::Serial, serial)? })
    }

    /// A link for `gtin` alone.
    pub fn for_gtin(gtin: Gtin) -> Self {
        Self { gtin, cpv: None, lot: None, serial: None }
    }

    pub fn gtin(&self) -> &Gtin {
        &self.gtin
    }

    /// The consumer product variant (AI 22).
    pub fn cpv(&self) -> Option<&str> {
        self.cpv.as_deref()
    }

    /// The batch or lot number (AI 10).
    pub fn lot(&self) -> Option<&str> {
        self.lot.as_deref()
    }

    /// The serial number (AI 21).
    pub fn serial(&self) -> Option<&str> {
        self.serial.as_deref()
    }

    /// The path `/01/{gtin14}[/22/{cpv}][/10/{lot}][/21/{serial}]`, values percent-encoded
    /// (everything but letters, digits, `-`, `.` and `_`, with uppercase hex digits).
    pub fn to_path(&self) -> String {
        let mut out = String::with_capacity(80);
        out.push_str("/01/");
        out.push_str(self.gtin.as_str());
        for (ai, value) in [(Ai::Cpv, &self.cpv), (Ai::Lot, &self.lot), (Ai::Serial, &self.serial)] {
            if let Some(v) = value {
                out.push('/');
                out.push_str(ai.code());
                out.push('/');
                encode_into(&mut out, v);
            }
        }
        out
    }

    /// The full link under `base`, e.g. `https://id.gs1.org` or `https://id.example.com/t`
    /// (a trailing slash on `base` is dropped).
    pub fn to_uri(&self, base: &str) -> String {
        let base = base.trim_end_matches('/');
        format!("{base}{}", self.to_path())
    }

    /// Reads a Digital Link: a full URI with any scheme and host and an optional path prefix
    /// before `/01/`, or a bare path. AIs may be numeric or short names (`gtin`, `cpv`, `lot`,
    /// `ser`). The query string and fragment are ignored.
    pub fn parse(s: &str) -> Result<Self, DigitalLinkError> {
        let path = strip_scheme_and_authority(s);
        let path = path.split(['?', '#']).next().unwrap_or_default();
        let mut segments: Vec<&str> = path.split('/').collect();
        if segments.len() > 1 && segments.last() == Some(&"") {
            // Tolerate one trailing slash.
            segments.pop();
        }

        let start = segments
            .iter()
            .position(|seg| Ai::from_segment(seg) == Some(Ai::Gtin))
            .ok_or(DigitalLinkError::MissingPrimaryKey)?;
        // A qualifier AI two segments before the GTIN means "/10/ABC/01/…": a qualifier first.
        if let Some(before) = start.checked_sub(2).and_then(|i| Ai::from_segment(segments[i])) {
            return Err(DigitalLinkError::PrimaryKeyNotFirst { before });
        }

        let mut gtin = None;
        let mut link_values: [Option<String>; 3] = [None, None, None];
        let mut last: Option<Ai> = None;
        let mut rest = segments[start..].iter();
        while let Some(&ai_seg) = rest.next() {
            if ai_seg.is_empty() {
                return Err(DigitalLinkError::EmptySegment);
            }
            let ai = Ai::from_segment(ai_seg)
                .ok_or_else(|| DigitalLinkError::UnknownAi { segment: ai_seg.to_owned() })?;
            let raw = rest.next().copied().ok_or(DigitalLinkError::MissingValue { ai })?;
            let seen = match ai {
                Ai::Gtin => gtin.is_some(),
                Ai::Cpv => link_values[0].is_some(),
                Ai::Lot => link_values[1].is_some(),
                Ai::Serial => link_values[2].is_some(),
            };
            if seen {
                return Err(DigitalLinkError::DuplicateAi { ai });
            }
            if let Some(prev) = last.filter(|prev| ai.rank() < prev.rank()) {
                return Err(DigitalLinkError::QualifierOutOfOrder { ai, after: prev });
            }
            let value = decode_segment(ai, raw)?;
            match ai {
                Ai::Gtin => {
                    if value.is_empty() {
                        return Err(DigitalLinkError::EmptyValue { ai });
                    }
                    gtin = Some(Gtin::parse(&value)?);
                }
                Ai::Cpv | Ai::Lot | Ai::Serial => {
                    validate_value(ai, &value)?;
                    link_values[usize::from(ai.rank() - 1)] = Some(value);
                }
            }
            last = Some(ai);
        }

        let [cpv, lot, serial] = link_values;
        Ok(Self { gtin: gtin.ok_or(DigitalLinkError::MissingPrimaryKey)?, cpv, lot, serial })
    }
}

/// Drops `scheme://authority` from the front of a URI, if there is one.
fn strip_scheme_and_authority(s: &str) -> &str {
    let Some((scheme, rest)) = s.split_once("://") else {
        return s;
    };
    let scheme_ok = scheme.starts_with(|c: char| c.is_ascii_alphabetic())
        && scheme.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '+' | '-' | '.'));
    if !scheme_ok {
        return s;
    }
    match rest.find(['/', '?', '#']) {
        Some(i) => &rest[i..],
        None => "",
    }
}

impl fmt::Display for DigitalLink {
    /// The path form, as [`DigitalLink::to_path`].
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.to_path())
    }
}

impl FromStr for DigitalLink {
    type Err = DigitalLinkError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::parse(s)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn gtin() -> Gtin {
        Gtin::parse("09506000134352").expect("valid GTIN")
    }

    #[test]
    fn set_82_has_82_characters() {
        assert_eq!((0u8..=127).filter(|&b| is_cset82(char::from(b))).count(), 82);
        for c in [' ', '#', '$', '@', '[', '\\', ']', '^', '`', '{', '|', '}', '~'] {
            assert!(!is_cset82(c), "{c:?} is not in set 82");
        }
    }

    #[test]
    fn encoding_uses_uppercase_hex_and_keeps_unreserved() {
        let mut out = String::new();
        encode_into(&mut out, "a-b.c_d/%&#?+!\"");
        assert_eq!(out, "a-b.c_d%2F%25%26%23%3F%2B%21%22");
    }

    #[test]
    fn decoding_accepts_lowercase_hex_and_literal_sub_delims() {
        assert_eq!(decode_segment(Ai::Lot, "ab%2fc+(1)"), Ok("ab/c+(1)".to_owned()));
        assert_eq!(
            decode_segment(Ai::Lot, "ab%2"),
            Err(DigitalLinkError::BadPercentEncoding { ai: Ai::Lot, near: "%2".to_owned() })
        );
        assert_eq!(
            decode_segment(Ai::Lot, "a\"b"),
            Err(DigitalLinkError::UnencodedCharacter { ai: Ai::Lot, ch: '"' })
        );
    }

    #[test]
    fn path_order_is_cpv_lot_serial() {
        let dl = DigitalLink::new(gtin(), Some("2A"), Some("L1"), Some("S1")).expect("valid");
        assert_eq!(dl.to_path(), "/01/09506000134352/22/2A/10/L1/21/S1");
    }
}
