//! GTIN check digits and GS1 Digital Link paths, against examples from the GS1 standards.

use proptest::prelude::*;
use terroir_shared::gs1::{Ai, DigitalLink, DigitalLinkError, Gtin, GtinError, gs1_check_digit, is_cset82};

fn gtin(s: &str) -> Gtin {
    Gtin::parse(s).expect("valid GTIN")
}

// ---------------------------------------------------------------- GTIN

#[test]
fn real_world_gtins_parse_and_pad_to_14_digits() {
    // GS1's own example GTIN, an EAN-13 and a UPC-A.
    assert_eq!(gtin("09506000134352").as_str(), "09506000134352");
    assert_eq!(gtin("4006381333931").as_str(), "04006381333931");
    assert_eq!(gtin("036000291452").as_str(), "00036000291452");
    assert_eq!(gtin("96385074").as_str(), "00000096385074");
    assert_eq!(gtin("036000291452"), gtin("00036000291452"));
}

#[test]
fn check_digit_function_on_known_keys() {
    assert_eq!(gs1_check_digit("0950600013435"), Some(2));
    assert_eq!(gs1_check_digit("400638133393"), Some(1));
    assert_eq!(gs1_check_digit("03600029145"), Some(2));
    assert_eq!(gs1_check_digit("9638507"), Some(4));
    assert_eq!(gs1_check_digit("0"), Some(0));
    assert_eq!(gs1_check_digit(""), None);
    assert_eq!(gs1_check_digit("40063813339-"), None);
}

#[test]
fn gtin_from_prefix_and_item_appends_check_digit() {
    assert_eq!(Gtin::from_prefix_and_item("0950600013435"), Ok(gtin("09506000134352")));
    assert_eq!(Gtin::from_prefix_and_item("1400638133393").map(|g| g.check_digit()), Ok(8));
    assert_eq!(Gtin::from_prefix_and_item("095060001343"), Err(GtinError::WrongBodyLength { len: 12 }));
    assert_eq!(
        Gtin::from_prefix_and_item("09506000134a5"),
        Err(GtinError::NonDigit { position: 12, ch: 'a' })
    );
}

#[test]
fn gtin_refusals_say_what_is_wrong() {
    let err = Gtin::parse("09506000134353").expect_err("wrong check digit");
    assert_eq!(err, GtinError::WrongCheckDigit { expected: 2, found: 3 });
    assert!(err.to_string().contains("should be 2"), "{err}");

    for (input, len) in [("", 0), ("1234567", 7), ("1234567890", 10), ("123456789012345", 15)] {
        assert_eq!(Gtin::parse(input), Err(GtinError::WrongLength { len }), "{input}");
    }
    assert_eq!(Gtin::parse(" 4006381333931"), Err(GtinError::NonDigit { position: 1, ch: ' ' }));
    assert_eq!(Gtin::parse("400638133393١"), Err(GtinError::NonDigit { position: 13, ch: '١' }));
}

#[test]
fn gtin_text_forms() {
    let g: Gtin = "4006381333931".parse().expect("valid");
    assert_eq!(g.to_string(), "04006381333931");
    assert_eq!(format!("{g:?}"), "Gtin(04006381333931)");
}

#[test]
fn gtin_json_is_the_14_digit_string_and_is_validated() {
    let g = gtin("09506000134352");
    assert_eq!(serde_json::to_string(&g).expect("serialize"), "\"09506000134352\"");
    assert_eq!(serde_json::from_str::<Gtin>("\"09506000134352\"").expect("deserialize"), g);
    let wrong_check = serde_json::from_str::<Gtin>("\"09506000134353\"").expect_err("refused");
    assert!(wrong_check.to_string().contains("should be 2"), "{wrong_check}");
    let short = serde_json::from_str::<Gtin>("\"4006381333931\"").expect_err("refused");
    assert!(short.to_string().contains("14 digits"), "{short}");
    assert!(serde_json::from_str::<Gtin>("9506000134352").is_err());
    assert_eq!(Gtin::parse_gtin14("4006381333931"), Err(GtinError::NotFourteenDigits { len: 13 }));
}

// ---------------------------------------------------------------- Digital Link: reading

#[test]
fn example_from_the_digital_link_standard() {
    let uri = "https://id.gs1.org/01/09506000134352/10/ABC%2F123/21/12345";
    let dl = DigitalLink::parse(uri).expect("valid link");
    assert_eq!(dl.gtin(), &gtin("09506000134352"));
    assert_eq!(dl.cpv(), None);
    assert_eq!(dl.lot(), Some("ABC/123"));
    assert_eq!(dl.serial(), Some("12345"));
    assert_eq!(dl.to_uri("https://id.gs1.org"), uri);
    assert_eq!(dl.to_path(), "/01/09506000134352/10/ABC%2F123/21/12345");
}

#[test]
fn all_three_qualifiers_and_short_names() {
    let numeric =
        DigitalLink::parse("https://example.com/01/09506000134352/22/2A/10/ABC123/21/XYZ").expect("valid");
    assert_eq!(numeric.cpv(), Some("2A"));
    assert_eq!(numeric.lot(), Some("ABC123"));
    assert_eq!(numeric.serial(), Some("XYZ"));
    let short = DigitalLink::parse("https://example.com/gtin/09506000134352/cpv/2A/lot/ABC123/ser/XYZ")
        .expect("valid");
    assert_eq!(short, numeric);
    let mixed = DigitalLink::parse("/01/09506000134352/cpv/2A/10/ABC123/ser/XYZ").expect("valid");
    assert_eq!(mixed, numeric);
}

#[test]
fn prefixes_queries_fragments_and_short_gtins() {
    let expected = DigitalLink::new(gtin("04006381333931"), None, Some("L-1"), None).expect("valid");
    for input in [
        "https://id.example.com/t/01/04006381333931/10/L-1",
        "https://id.example.com/t/01/4006381333931/10/L-1",
        "http://id.example.com:8080/a/b/c/01/04006381333931/10/L-1?17=290331&linkType=gs1:pip#top",
        "/01/04006381333931/10/L-1",
        "01/04006381333931/10/L-1",
        "/01/04006381333931/10/L-1/",
        "HTTPS://ID.EXAMPLE.COM/01/04006381333931/10/L-1#frag",
    ] {
        assert_eq!(DigitalLink::parse(input), Ok(expected.clone()), "{input}");
    }
}

#[test]
fn percent_encoding_is_decoded_in_either_case_and_sub_delims_may_be_literal() {
    let dl = DigitalLink::parse("/01/09506000134352/10/a%2fb%3F(c)*+,;=:!&'").expect("valid");
    assert_eq!(dl.lot(), Some("a/b?(c)*+,;=:!&'"));
    assert_eq!(dl.to_path(), "/01/09506000134352/10/a%2Fb%3F%28c%29%2A%2B%2C%3B%3D%3A%21%26%27");
}

// ---------------------------------------------------------------- Digital Link: writing

#[test]
fn to_uri_joins_bases_with_or_without_slash() {
    let dl = DigitalLink::new(gtin("09506000134352"), None, None, Some("S/1")).expect("valid");
    let want = "https://id.example.com/t/01/09506000134352/21/S%2F1";
    assert_eq!(dl.to_uri("https://id.example.com/t"), want);
    assert_eq!(dl.to_uri("https://id.example.com/t/"), want);
    assert_eq!(dl.to_uri("https://id.gs1.org"), "https://id.gs1.org/01/09506000134352/21/S%2F1");
    assert_eq!(dl.to_string(), "/01/09506000134352/21/S%2F1");
    assert_eq!(DigitalLink::for_gtin(gtin("96385074")).to_path(), "/01/00000096385074");
}

#[test]
fn every_reserved_character_of_set_82_is_encoded_with_uppercase_hex() {
    let dl = DigitalLink::new(gtin("09506000134352"), Some("!\"%&'()*+,"), Some("/:;<=>?"), Some("Az09-._"))
        .expect("valid");
    assert_eq!(
        dl.to_path(),
        "/01/09506000134352/22/%21%22%25%26%27%28%29%2A%2B%2C/10/%2F%3A%3B%3C%3D%3E%3F/21/Az09-._"
    );
}

#[test]
fn constructor_validates_values() {
    let g = gtin("09506000134352");
    let twenty = "A".repeat(20);
    assert!(DigitalLink::new(g, Some(&twenty), Some(&twenty), Some(&twenty)).is_ok());
    assert_eq!(
        DigitalLink::new(g, None, Some(&"A".repeat(21)), None),
        Err(DigitalLinkError::ValueTooLong { ai: Ai::Lot, len: 21 })
    );
    assert_eq!(DigitalLink::new(g, Some(""), None, None), Err(DigitalLinkError::EmptyValue { ai: Ai::Cpv }));
    for ch in [' ', '#', '$', '@', '[', '\\', ']', '^', '`', '{', '|', '}', '~', 'é'] {
        let serial = format!("A{ch}B");
        assert_eq!(
            DigitalLink::new(g, None, None, Some(&serial)),
            Err(DigitalLinkError::InvalidCharacter { ai: Ai::Serial, ch }),
            "{ch:?}"
        );
    }
}

#[test]
fn set_82_is_exactly_the_gs1_set() {
    let set: String = (0u8..=127).map(char::from).filter(|&c| is_cset82(c)).collect();
    assert_eq!(set, "!\"%&'()*+,-./0123456789:;<=>?ABCDEFGHIJKLMNOPQRSTUVWXYZ_abcdefghijklmnopqrstuvwxyz");
    assert_eq!(set.len(), 82);
}

// ---------------------------------------------------------------- Digital Link: refusals

const G: &str = "09506000134352";

fn refusal(path: &str) -> DigitalLinkError {
    DigitalLink::parse(path).expect_err(path)
}

#[test]
fn refuses_links_without_a_gtin() {
    assert_eq!(refusal("https://id.gs1.org/10/ABC"), DigitalLinkError::MissingPrimaryKey);
    assert_eq!(refusal("https://id.gs1.org/"), DigitalLinkError::MissingPrimaryKey);
    assert_eq!(refusal(""), DigitalLinkError::MissingPrimaryKey);
    // "01" only in the query string does not count.
    assert_eq!(refusal(&format!("https://id.gs1.org/x?01={G}")), DigitalLinkError::MissingPrimaryKey);
}

#[test]
fn refuses_a_qualifier_before_the_gtin() {
    assert_eq!(
        refusal(&format!("https://id.gs1.org/10/ABC/01/{G}")),
        DigitalLinkError::PrimaryKeyNotFirst { before: Ai::Lot }
    );
    assert_eq!(
        refusal(&format!("/ser/1/01/{G}")),
        DigitalLinkError::PrimaryKeyNotFirst { before: Ai::Serial }
    );
}

#[test]
fn refuses_qualifiers_out_of_order() {
    assert_eq!(
        refusal(&format!("/01/{G}/21/S/10/L")),
        DigitalLinkError::QualifierOutOfOrder { ai: Ai::Lot, after: Ai::Serial }
    );
    assert_eq!(
        refusal(&format!("/01/{G}/10/L/22/C")),
        DigitalLinkError::QualifierOutOfOrder { ai: Ai::Cpv, after: Ai::Lot }
    );
    let msg = refusal(&format!("/01/{G}/ser/S/cpv/C")).to_string();
    assert!(msg.contains("AI 22") && msg.contains("AI 21"), "{msg}");
}

#[test]
fn refuses_duplicate_ais_even_under_another_name() {
    assert_eq!(refusal(&format!("/01/{G}/10/A/lot/B")), DigitalLinkError::DuplicateAi { ai: Ai::Lot });
    assert_eq!(refusal(&format!("/01/{G}/01/{G}")), DigitalLinkError::DuplicateAi { ai: Ai::Gtin });
}

#[test]
fn refuses_unknown_ais_and_broken_paths() {
    assert_eq!(
        refusal(&format!("/01/{G}/17/290331")),
        DigitalLinkError::UnknownAi { segment: "17".to_owned() }
    );
    assert_eq!(
        refusal(&format!("/01/{G}/batch/X")),
        DigitalLinkError::UnknownAi { segment: "batch".to_owned() }
    );
    assert_eq!(refusal(&format!("/01/{G}//10/A")), DigitalLinkError::EmptySegment);
    assert_eq!(refusal(&format!("/01/{G}/10")), DigitalLinkError::MissingValue { ai: Ai::Lot });
    assert_eq!(refusal("/01"), DigitalLinkError::MissingValue { ai: Ai::Gtin });
}

#[test]
fn refuses_bad_values() {
    assert_eq!(refusal(&format!("/01/{G}/10//21/S")), DigitalLinkError::EmptyValue { ai: Ai::Lot });
    assert_eq!(refusal("/01//10/L"), DigitalLinkError::EmptyValue { ai: Ai::Gtin });
    assert_eq!(
        refusal(&format!("/01/{G}/21/{}", "9".repeat(21))),
        DigitalLinkError::ValueTooLong { ai: Ai::Serial, len: 21 }
    );
    // Twenty characters once decoded, although the encoded segment is longer.
    assert!(DigitalLink::parse(&format!("/01/{G}/21/{}", "%2F".repeat(20))).is_ok());
    assert_eq!(
        refusal(&format!("/01/{G}/10/A%20B")),
        DigitalLinkError::InvalidCharacter { ai: Ai::Lot, ch: ' ' }
    );
    assert_eq!(
        refusal(&format!("/01/{G}/10/A~B")),
        DigitalLinkError::InvalidCharacter { ai: Ai::Lot, ch: '~' }
    );
    assert_eq!(
        refusal(&format!("/01/{G}/10/A%C3%A9")),
        DigitalLinkError::InvalidCharacter { ai: Ai::Lot, ch: 'é' }
    );
    assert_eq!(
        refusal(&format!("/01/{G}/22/A<B")),
        DigitalLinkError::UnencodedCharacter { ai: Ai::Cpv, ch: '<' }
    );
}

#[test]
fn refuses_bad_percent_encoding() {
    assert_eq!(
        refusal(&format!("/01/{G}/10/AB%G1")),
        DigitalLinkError::BadPercentEncoding { ai: Ai::Lot, near: "%G1".to_owned() }
    );
    assert_eq!(
        refusal(&format!("/01/{G}/10/AB%")),
        DigitalLinkError::BadPercentEncoding { ai: Ai::Lot, near: "%".to_owned() }
    );
    assert!(matches!(
        refusal(&format!("/01/{G}/21/A%FFB")),
        DigitalLinkError::BadPercentEncoding { ai: Ai::Serial, .. }
    ));
}

#[test]
fn refuses_bad_gtins_with_the_gtin_reason() {
    let err = refusal("https://id.gs1.org/01/09506000134353/10/ABC");
    assert_eq!(err, DigitalLinkError::Gtin(GtinError::WrongCheckDigit { expected: 2, found: 3 }));
    assert!(err.to_string().contains("should be 2"), "{err}");
    assert_eq!(
        refusal("/01/0950600013435/10/ABC"),
        DigitalLinkError::Gtin(GtinError::WrongCheckDigit { expected: 9, found: 5 })
    );
    assert_eq!(refusal("/01/12345/10/ABC"), DigitalLinkError::Gtin(GtinError::WrongLength { len: 5 }));
}

// ---------------------------------------------------------------- properties

fn any_gtin() -> impl Strategy<Value = Gtin> {
    "[0-9]{13}".prop_map(|body| Gtin::from_prefix_and_item(&body).expect("13 digits"))
}

fn any_value() -> impl Strategy<Value = String> {
    "[A-Za-z0-9!\"%&'()*+,\\-./:;<=>?_]{1,20}"
}

fn any_base() -> impl Strategy<Value = &'static str> {
    prop_oneof![
        Just("https://id.gs1.org"),
        Just("https://id.example.com/t"),
        Just("https://id.example.com/t/"),
        Just("http://localhost:8080/a/b/"),
    ]
}

proptest! {
    #[test]
    fn to_uri_round_trips_exactly(
        g in any_gtin(),
        cpv in proptest::option::of(any_value()),
        lot in proptest::option::of(any_value()),
        serial in proptest::option::of(any_value()),
        base in any_base(),
    ) {
        let dl = DigitalLink::new(g, cpv.as_deref(), lot.as_deref(), serial.as_deref())
            .expect("values from set 82");
        let uri = dl.to_uri(base);
        prop_assert_eq!(DigitalLink::parse(&uri), Ok(dl.clone()));
        prop_assert_eq!(DigitalLink::parse(&dl.to_path()), Ok(dl.clone()));
        // Every value segment is unreserved characters or uppercase %XX escapes.
        let path = dl.to_path();
        for seg in path.split('/').skip(1) {
            let mut chars = seg.chars();
            while let Some(c) = chars.next() {
                if c == '%' {
                    let hex: String = chars.by_ref().take(2).collect();
                    prop_assert!(hex.len() == 2 && hex.chars().all(|h| h.is_ascii_digit() || ('A'..='F').contains(&h)), "{}", seg);
                } else {
                    prop_assert!(c.is_ascii_alphanumeric() || "-._".contains(c), "{}", seg);
                }
            }
        }
    }

    #[test]
    fn every_wrong_check_digit_is_refused(body in "[0-9]{13}", wrong in 0u8..10) {
        let right = gs1_check_digit(&body).expect("digits");
        prop_assume!(wrong != right);
        let text = format!("{body}{wrong}");
        prop_assert_eq!(
            Gtin::parse(&text),
            Err(GtinError::WrongCheckDigit { expected: right, found: wrong })
        );
        prop_assert_eq!(Gtin::parse(&format!("{body}{right}")).map(|g| g.to_string()), Ok(format!("{body}{right}")));
    }

    #[test]
    fn a_single_digit_change_is_always_caught(g in any_gtin(), pos in 0usize..14, delta in 1u8..10) {
        let mut digits = g.as_str().as_bytes().to_vec();
        digits[pos] = b'0' + (digits[pos] - b'0' + delta) % 10;
        let changed = String::from_utf8(digits).expect("ascii");
        prop_assert!(
            matches!(Gtin::parse(&changed), Err(GtinError::WrongCheckDigit { .. })),
            "{} was accepted",
            changed
        );
    }
}
