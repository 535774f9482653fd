//! Cattle ear tag codes: ISO 11784 and the Chinese national ear tag, and telling them apart.

use terroir_shared::ear_tag::{EarTag, EarTagError, EarTagScheme};

// Valid only as ISO 11784: Germany (276); "76" is not a Chinese province.
const GERMAN: &str = "276098765432101";
// Valid only as a Chinese cattle tag: 211 is no ISO 3166-1 code; county 110101 (Beijing).
const BEIJING: &str = "211010100000001";
// Valid in both: France (250), and cattle from county 501010 (Chongqing).
const BOTH: &str = "250101000000001";

#[test]
fn valid_iso11784_codes() {
    let tag = EarTag::iso11784(GERMAN).expect("valid");
    assert_eq!(tag.scheme(), EarTagScheme::Iso11784);
    assert_eq!(tag.code(), GERMAN);
    assert_eq!(tag.to_string(), GERMAN);
    // Manufacturer codes 900–998 are accepted.
    assert!(EarTag::iso11784("900123456789012").is_ok());
    assert!(EarTag::iso11784("998000000000001").is_ok());
    // China (156), Ireland (372), United States (840).
    for code in ["156000012345678", "372000000000001", "840003123456789"] {
        assert!(EarTag::iso11784(code).is_ok(), "{code}");
    }
}

#[test]
fn iso11784_refusals() {
    assert_eq!(EarTag::iso11784("999000000000001"), Err(EarTagError::TestTag));
    assert_eq!(EarTag::iso11784("000123456789012"), Err(EarTagError::CountryCodeZero));
    assert_eq!(EarTag::iso11784("001123456789012"), Err(EarTagError::UnassignedCountryCode { code: 1 }));
    // 891 (Serbia and Montenegro) was withdrawn.
    assert_eq!(EarTag::iso11784("891123456789012"), Err(EarTagError::UnassignedCountryCode { code: 891 }));
    assert_eq!(EarTag::iso11784("276000000000000"), Err(EarTagError::NationalIdZero));
    assert_eq!(
        EarTag::iso11784("276999999999999"),
        Err(EarTagError::NationalIdTooLarge { id: 999_999_999_999 })
    );
    let msg = EarTag::iso11784("001123456789012").expect_err("refused").to_string();
    assert!(msg.contains("001"), "{msg}");
}

#[test]
fn shape_refusals_name_the_problem() {
    assert_eq!(EarTag::iso11784("27609876543210"), Err(EarTagError::WrongLength { len: 14 }));
    assert_eq!(EarTag::china(""), Err(EarTagError::WrongLength { len: 0 }));
    assert_eq!(EarTag::iso11784("276 098765432101"), Err(EarTagError::NonDigit { position: 4, ch: ' ' }));
    assert_eq!(EarTag::china("2-11010100000001"), Err(EarTagError::NonDigit { position: 2, ch: '-' }));
    assert_eq!(EarTag::detect("DE0987654321012"), Err(EarTagError::NonDigit { position: 1, ch: 'D' }));
}

#[test]
fn valid_chinese_codes() {
    let tag = EarTag::china(BEIJING).expect("valid");
    assert_eq!(tag.scheme(), EarTagScheme::ChinaNational);
    assert_eq!(tag.to_string(), BEIJING);
    // Xinjiang, Hong Kong, Macao, Taiwan.
    for code in ["265010212345678", "281000100000001", "282000100000009", "271010000000042"] {
        assert!(EarTag::china(code).is_ok(), "{code}");
    }
}

#[test]
fn chinese_refusals() {
    let pig = EarTag::china("111010100000001").expect_err("pig");
    assert_eq!(pig, EarTagError::NotCattle { digit: 1, species: "a pig" });
    assert!(pig.to_string().contains("pig"), "{pig}");
    let sheep = EarTag::china("311010100000001").expect_err("sheep");
    assert!(sheep.to_string().contains("sheep or goat"), "{sheep}");
    assert_eq!(EarTag::china("411010100000001"), Err(EarTagError::UnknownSpecies { digit: 4 }));
    for province in [10u8, 16, 20, 24, 30, 38, 40, 47, 49, 55, 60, 66, 70, 72, 80, 83, 99] {
        let code = format!("2{province:02}010100000001");
        assert_eq!(EarTag::china(&code), Err(EarTagError::UnknownProvince { code: province }), "{code}");
    }
    assert_eq!(
        EarTag::china("211000000000001"),
        Err(EarTagError::ProvinceNotCounty { division: "110000".to_owned() })
    );
    assert_eq!(EarTag::china("211010100000000"), Err(EarTagError::SequenceZero));
}

#[test]
fn parse_uses_the_given_scheme() {
    assert_eq!(EarTag::parse(EarTagScheme::Iso11784, GERMAN), EarTag::iso11784(GERMAN));
    assert_eq!(
        EarTag::parse(EarTagScheme::ChinaNational, GERMAN),
        Err(EarTagError::UnknownProvince { code: 76 })
    );
    // The same digits are a valid tag in each scheme when it is named.
    assert!(EarTag::parse(EarTagScheme::Iso11784, BOTH).is_ok());
    assert!(EarTag::parse(EarTagScheme::ChinaNational, BOTH).is_ok());
}

#[test]
fn detect_accepts_exactly_one_reading() {
    assert_eq!(EarTag::detect(GERMAN), EarTag::iso11784(GERMAN));
    assert_eq!(EarTag::detect(BEIJING), EarTag::china(BEIJING));
    // A Chinese pig tag layout is still a valid ISO 11784 code for China (156).
    assert_eq!(EarTag::detect("156010100000001").map(|t| t.scheme()), Ok(EarTagScheme::Iso11784));
}

#[test]
fn detect_refuses_ambiguous_codes_naming_both_readings() {
    let err = EarTag::detect(BOTH).expect_err("ambiguous");
    assert_eq!(
        err,
        EarTagError::Ambiguous { code: BOTH.to_owned(), country: 250, county: "501010".to_owned() }
    );
    let msg = err.to_string();
    assert!(msg.contains("ISO 11784") && msg.contains("250"), "{msg}");
    assert!(msg.contains("Chinese") && msg.contains("501010"), "{msg}");
}

#[test]
fn detect_refuses_invalid_codes_with_both_reasons() {
    let err = EarTag::detect("999000000000000").expect_err("invalid");
    assert_eq!(
        err,
        EarTagError::Unrecognised {
            iso11784: Box::new(EarTagError::TestTag),
            china: Box::new(EarTagError::UnknownSpecies { digit: 9 })
        }
    );
    let msg = EarTag::detect("111010100000001").expect_err("invalid").to_string();
    assert!(msg.contains("country code 111"), "{msg}");
    assert!(msg.contains("pig"), "{msg}");
    assert_eq!(EarTag::detect("12345"), Err(EarTagError::WrongLength { len: 5 }));
}

#[test]
fn json_shape_and_validation() {
    let tag = EarTag::iso11784(GERMAN).expect("valid");
    let json = serde_json::to_string(&tag).expect("serialize");
    assert_eq!(json, format!(r#"{{"scheme":"iso11784","code":"{GERMAN}"}}"#));
    assert_eq!(serde_json::from_str::<EarTag>(&json).expect("deserialize"), tag);

    let cn = EarTag::china(BEIJING).expect("valid");
    let json = serde_json::to_string(&cn).expect("serialize");
    assert_eq!(json, format!(r#"{{"scheme":"china","code":"{BEIJING}"}}"#));
    assert_eq!(serde_json::from_str::<EarTag>(&json).expect("deserialize"), cn);

    let wrong_scheme = format!(r#"{{"scheme":"china","code":"{GERMAN}"}}"#);
    let err = serde_json::from_str::<EarTag>(&wrong_scheme).expect_err("refused");
    assert!(err.to_string().contains("province"), "{err}");
    for bad in [
        r#"{"scheme":"iso11784","code":"999000000000001"}"#,
        r#"{"scheme":"eu","code":"276098765432101"}"#,
        r#"{"scheme":"Iso11784","code":"276098765432101"}"#,
        r#"{"code":"276098765432101"}"#,
        r#"{"scheme":"iso11784","code":"276098765432101","farm":"x"}"#,
        r#""276098765432101""#,
    ] {
        assert!(serde_json::from_str::<EarTag>(bad).is_err(), "{bad}");
    }
    assert_eq!(serde_json::to_string(&EarTagScheme::ChinaNational).expect("serialize"), r#""china""#);
}
