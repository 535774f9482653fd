//! Cattle ear tags: ISO 11784 15-digit codes and China's 15-digit national ear tag.

use std::fmt;

use serde::{Deserialize, Serialize};

/// Which numbering an ear tag code follows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub enum EarTagScheme {
    /// ISO 11784 animal identification: 3-digit country (or manufacturer) code and 12-digit
    /// national identification number.
    #[serde(rename = "iso11784")]
    Iso11784,
    /// China's national livestock ear tag: species digit, 6-digit county code, 8-digit sequence.
    #[serde(rename = "china")]
    ChinaNational,
}

impl fmt::Display for EarTagScheme {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            EarTagScheme::Iso11784 => "ISO 11784",
            EarTagScheme::ChinaNational => "Chinese national ear tag",
        })
    }
}

/// A validated cattle ear tag code. In JSON: `{"scheme": "iso11784" | "china", "code": "…"}`;
/// the code is checked against its scheme when read.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(try_from = "RawEarTag")]
pub struct EarTag {
    scheme: EarTagScheme,
    code: String,
}

/// The unchecked JSON shape of an [`EarTag`].
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawEarTag {
    scheme: EarTagScheme,
    code: String,
}

impl TryFrom<RawEarTag> for EarTag {
    type Error = EarTagError;

    fn try_from(raw: RawEarTag) -> Result<Self, Self::Error> {
        EarTag::parse(raw.scheme, &raw.code)
    }
}

/// Why a code is not a valid ear tag.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum EarTagError {
    /// Not 15 characters long.
    #[error("an ear tag code has 15 digits; this one has {len}")]
    WrongLength { len: usize },
    /// A character that is not a digit 0–9.
    #[error("an ear tag code is digits only, without spaces or hyphens; character {position} is {ch:?}")]
    NonDigit {
        /// 1-based position of the offending character.
        position: usize,
        ch: char,
    },
    /// ISO 11784 country code 000.
    #[error("country code 000 is not assigned to any country")]
    CountryCodeZero,
    /// ISO 11784 country code 999, reserved for test tags.
    #[error("country code 999 marks a test tag, which cannot identify a real animal")]
    TestTag,
    /// An ISO 11784 country code that is neither an assigned ISO 3166-1 numeric code nor a
    /// manufacturer code (900–998).
    #[error(
        "country code {code:03} is neither an assigned ISO 3166-1 country code nor a manufacturer code (900–998)"
    )]
    UnassignedCountryCode { code: u16 },
    /// The 12-digit ISO 11784 national identification number is all zeros.
    #[error("the 12-digit national identification number is all zeros")]
    NationalIdZero,
    /// The national identification number does not fit the 38 bits ISO 11784 gives it.
    #[error(
        "the national identification number {id} is larger than 274877906943, the most an ISO 11784 tag can hold"
    )]
    NationalIdTooLarge { id: u64 },
    /// A Chinese tag for a species other than cattle.
    #[error("species digit {digit} marks {species}; only cattle tags (species digit 2) can be registered")]
    NotCattle { digit: u8, species: &'static str },
    /// A Chinese species digit that means nothing.
    #[error("species digit {digit} is not defined (1 pig, 2 cattle, 3 sheep or goat)")]
    UnknownSpecies { digit: u8 },
    /// The first two digits of the county code are not a province-level division.
    #[error("{code:02} (digits 2–3) is not a Chinese province-level administrative division code")]
    UnknownProvince { code: u8 },
    /// The county code ends in 0000, which names a whole province.
    #[error("administrative division {division} (digits 2–7) is a province, not a county")]
    ProvinceNotCounty { division: String },
    /// The 8-digit Chinese sequence number is all zeros.
    #[error("the 8-digit sequence number is all zeros")]
    SequenceZero,
    /// Both schemes accept the code; the scheme must be chosen explicitly.
    #[error(
        "{code} is ambiguous: it reads as an ISO 11784 tag with country code {country:03} and as a Chinese national cattle tag from county {county}; choose the scheme"
    )]
    Ambiguous { code: String, country: u16, county: String },
    /// Neither scheme accepts the code.
    #[error("not a valid ear tag: as ISO 11784, {iso11784}; as a Chinese national tag, {china}")]
    Unrecognised { iso11784: Box<EarTagError>, china: Box<EarTagError> },
}

/// ISO 3166-1 numeric codes currently assigned to a country or territory, sorted.
const ISO_3166_1_NUMERIC: [u16; 249] = [
    4, 8, 10, 12, 16, 20, 24, 28, 31, 32, 36, 40, 44, 48, 50, 51, 52, 56, 60, 64, 68, 70, 72, 74, 76, 84, 86,
    90, 92, 96, 100, 104, 108, 112, 116, 120, 124, 132, 136, 140, 144, 148, 152, 156, 158, 162, 166, 170,
    174, 175, 178, 180, 184, 188, 191, 192, 196, 203, 204, 208, 212, 214, 218, 222, 226, 231, 232, 233, 234,
    238, 239, 242, 246, 248, 250, 254, 258, 260, 262, 266, 268, 270, 275, 276, 288, 292, 296, 300, 304, 308,
    312, 316, 320, 324, 328, 332, 334, 336, 340, 344, 348, 352, 356, 360, 364, 368, 372, 376, 380, 384, 388,
    392, 398, 400, 404, 408, 410, 414, 417, 418, 422, 426, 428, 430, 434, 438, 440, 442, 446, 450, 454, 458,
    462, 466, 470, 474, 478, 480, 484, 492, 496, 498, 499, 500, 504, 508, 512, 516, 520, 524, 528, 531, 533,
    534, 535, 540, 548, 554, 558, 562, 566, 570, 574, 578, 580, 581, 583, 584, 585, 586, 591, 598, 600, 604,
    608, 612, 616, 620, 624, 626, 630, 634, 638, 642, 643, 646, 652, 654, 659, 660, 662, 663, 666, 670, 674,
    678, 682, 686, 688, 690, 694, 702, 703, 704, 705, 706, 710, 716, 724, 728, 729, 732, 740, 744, 748, 752,
    756, 760, 762, 764, 768, 772, 776, 780, 784, 788, 792, 795, 796, 798, 800, 804, 807, 818, 826, 831, 832,
    833, 834, 840, 850, 854, 858, 860, 862, 876, 882, 887, 894,
];

/// Chinese province-level administrative division codes (the first two digits of a county code).
const CHINA_PROVINCES: [u8; 34] = [
    11, 12, 13, 14, 15, 21, 22, 23, 31, 32, 33, 34, 35, 36, 37, 41, 42, 43, 44, 45, 46, 50, 51, 52, 53, 54,
    61, 62, 63, 64, 65, 71, 81, 82,
];

/// The largest ISO 11784 national identification number (38 bits).
const ISO_11784_MAX_NATIONAL_ID: u64 = (1 << 38) - 1;

const CODE_LEN: usize = 15;

/// Checks that `code` is exactly 15 ASCII digits.
fn check_shape(code: &str) -> Result<(), EarTagError> {
    if let Some((i, ch)) = code.chars().enumerate().find(|(_, c)| !c.is_ascii_digit()) {
        return Err(EarTagError::NonDigit { position: i + 1, ch });
    }
    if code.len() != CODE_LEN {
        return Err(EarTagError::WrongLength { len: code.len() });
    }
    Ok(())
}

/// The number written by ASCII digits (at most 19 of them, so it cannot overflow).
fn number(digits: &str) -> u64 {
    digits.bytes().fold(0, |n, b| n * 10 + u64::from(b.wrapping_sub(b'0')))
}

/// The ISO 11784 country code of a 15-digit code.
fn iso_country(code: &str) -> u16 {
    // Three digits are at most 999.
    u16::try_from(number(&code[..3])).unwrap_or(u16::MAX)
}

/// Checks the ISO 11784 rules on a code already known to be 15 digits.
fn check_iso11784(code: &str) -> Result<(), EarTagError> {
    match iso_country(code) {
        0 => return Err(EarTagError::CountryCodeZero),
        999 => return Err(EarTagError::TestTag),
        900..=998 => {}
        c if ISO_3166_1_NUMERIC.binary_search(&c).is_ok() => {}
        c => return Err(EarTagError::UnassignedCountryCode { code: c }),
    }
    let id = number(&code[3..]);
    if id == 0 {
        return Err(EarTagError::NationalIdZero);
    }
    if id > ISO_11784_MAX_NATIONAL_ID {
        return Err(EarTagError::NationalIdTooLarge { id });
    }
    Ok(())
}

/// Checks the Chinese national ear tag rules on a code already known to be 15 digits.
fn check_china(code: &str) -> Result<(), EarTagError> {
    let digit = code.as_bytes()[0].wrapping_sub(b'0');
    match digit {
        2 => {}
        1 => {
            return Err(EarTagError::NotCattle { digit, species: "a pig" });
        }
        3 => {
            return Err(EarTagError::NotCattle { digit, species: "a sheep or goat" });
        }
        _ => return Err(EarTagError::UnknownSpecies { digit }),
    }
    // Two digits are at most 99.
    let province = u8::try_from(number(&code[1..3])).unwrap_or(u8::MAX);
    if CHINA_PROVINCES.binary_search(&province).is_err() {
        return Err(EarTagError::UnknownProvince { code: province });
    }
    if &code[3..7] == "0000" {
        return Err(EarTagError::ProvinceNotCounty { division: code[1..7].to_owned() });
    }
    if number(&code[7..]) == 0 {
        return Err(EarTagError::SequenceZero);
    }
    Ok(())
}

impl EarTag {
    /// An ISO 11784 code: 15 digits, a country code that is an assigned ISO 3166-1 numeric
    /// code or a manufacturer code (900–998), and a non-zero national identification number.
    pub fn iso11784(code: &str) -> Result<Self, EarTagError> {
        Self::parse(EarTagScheme::Iso11784, code)
    }

    /// A Chinese national cattle ear tag: 15 digits, species digit 2 (cattle), a county-level
    /// administrative division code and a non-zero sequence number.
    pub fn china(code: &str) -> Result<Self, EarTagError> {
        Self::parse(EarTagScheme::ChinaNational, code)
    }

    /// A code in the given scheme.
    pub fn parse(scheme: EarTagScheme, code: &str) -> Result<Self, EarTagError> {
        check_shape(code)?;
        match scheme {
            EarTagScheme::Iso11784 => check_iso11784(code)?,
            EarTagScheme::ChinaNational => check_china(code)?,
        }
        Ok(Self { scheme, code: code.to_owned() })
    }

    /// A code whose scheme is not known: accepted when exactly one scheme accepts it.
    pub fn detect(code: &str) -> Result<Self, EarTagError> {
        check_shape(code)?;
        let scheme = match (check_iso11784(code), check_china(code)) {
            (Ok(()), Ok(())) => {
                return Err(EarTagError::Ambiguous {
                    code: code.to_owned(),
                    country: iso_country(code),
                    county: code[1..7].to_owned(),
                });
            }
            (Ok(()), Err(_)) => EarTagScheme::Iso11784,
            (Err(_), Ok(())) => EarTagScheme::ChinaNational,
            (Err(iso), Err(china)) => {
                return Err(EarTagError::Unrecognised { iso11784: Box::new(iso), china: Box::new(china) });
            }
        };
        Ok(Self { scheme, code: code.to_owned() })
    }

    pub fn scheme(&self) -> EarTagScheme {
        self.scheme
    }

    /// The 15 digits.
    pub fn code(&self) -> &str {
        &self.code
    }
}

impl fmt::Display for EarTag {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.code)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tables_are_sorted_for_binary_search() {
        assert!(ISO_3166_1_NUMERIC.windows(2).all(|w| w[0] < w[1]));
        assert!(CHINA_PROVINCES.windows(2).all(|w| w[0] < w[1]));
    }

    #[test]
    fn known_country_codes() {
        for c in [156, 250, 276, 372, 826, 840] {
            assert!(ISO_3166_1_NUMERIC.binary_search(&c).is_ok(), "{c}");
        }
        // 200 was Czechoslovakia and 891 Serbia and Montenegro: no longer assigned.
        for c in [1, 200, 891, 899] {
            assert!(ISO_3166_1_NUMERIC.binary_search(&c).is_err(), "{c}");
        }
    }

    #[test]
    fn national_id_limit_is_38_bits() {
        assert_eq!(ISO_11784_MAX_NATIONAL_ID, 274_877_906_943);
        assert!(check_iso11784("276274877906943").is_ok());
        assert_eq!(
            check_iso11784("276274877906944"),
            Err(EarTagError::NationalIdTooLarge { id: 274_877_906_944 })
        );
    }
}
