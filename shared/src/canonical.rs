//! Canonical JSON bytes per RFC 8785 (JCS), restricted to the I-JSON subset records use.
//!
//! Records hold no floating-point numbers: every number is an integer within ±(2^53 − 1), the
//! range in which JCS, ECMAScript and every JSON parser agree digit for digit. Anything else is
//! refused rather than rounded, so the bytes a browser recomputes are always ours.

use serde::Serialize;
use serde_json::Value;

/// The largest integer every JSON implementation represents exactly (2^53 − 1).
pub const MAX_SAFE_INTEGER: u64 = (1 << 53) - 1;

/// Why a value has no canonical form.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CanonicalError {
    #[error("number {0} is not an integer within ±(2^53 − 1)")]
    UnsafeNumber(String),
    #[error("value cannot be represented as JSON: {0}")]
    NotJson(String),
}

/// The RFC 8785 canonical bytes of any serialisable value.
pub fn to_canonical_bytes<T: Serialize + ?Sized>(value: &T) -> Result<Vec<u8>, CanonicalError> {
    let value = serde_json::to_value(value).map_err(|e| CanonicalError::NotJson(e.to_string()))?;
    canonicalize(&value)
}

/// The RFC 8785 canonical bytes of a JSON value.
pub fn canonicalize(value: &Value) -> Result<Vec<u8>, CanonicalError> {
    let mut out = Vec::with_capacity(256);
    write_value(value, &mut out)?;
    Ok(out)
}

fn write_value(value: &Value, out: &mut Vec<u8>) -> Result<(), CanonicalError> {
    match value {
        Value::Null => out.extend_from_slice(b"null"),
        Value::Bool(true) => out.extend_from_slice(b"true"),
        Value::Bool(false) => out.extend_from_slice(b"false"),
        Value::Number(n) => write_number(n, out)?,
        Value::String(s) => write_string(s, out),
        Value::Array(items) => {
            out.push(b'[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(b',');
                }
                write_value(item, out)?;
            }
            out.push(b']');
        }
        Value::Object(map) => {
            // RFC 8785 §3.2.3: members sorted by the UTF-16 code units of their names.
            let mut members: Vec<(Vec<u16>, &String, &Value)> =
                map.iter().map(|(k, v)| (k.encode_utf16().collect(), k, v)).collect();
            members.sort_by(|a, b| a.0.cmp(&b.0));
            out.push(b'{');
            for (i, (_, k, v)) in members.into_iter().enumerate() {
                if i > 0 {
                    out.push(b',');
                }
                write_string(k, out);
                out.push(b':');
                write_value(v, out)?;
            }
            out.push(b'}');
        }
    }
    Ok(())
}

fn write_number(n: &serde_json::Number, out: &mut Vec<u8>) -> Result<(), CanonicalError> {
    let safe = if let Some(u) = n.as_u64() {
        (u <= MAX_SAFE_INTEGER).then(|| u.to_string())
    } else if let Some(i) = n.as_i64() {
        (i.unsigned_abs() <= MAX_SAFE_INTEGER).then(|| i.to_string())
    } else {
        None
    };
    let text = safe.ok_or_else(|| CanonicalError::UnsafeNumber(n.to_string()))?;
    out.extend_from_slice(text.as_bytes());
    Ok(())
}

/// RFC 8785 §3.2.2.2: ECMAScript's JSON.stringify escaping.
fn write_string(s: &str, out: &mut Vec<u8>) {
    out.push(b'"');
    for c in s.chars() {
        match c {
            '"' => out.extend_from_slice(b"\\\""),
            '\\' => out.extend_from_slice(b"\\\\"),
            '\u{8}' => out.extend_from_slice(b"\\b"),
            '\t' => out.extend_from_slice(b"\\t"),
            '\n' => out.extend_from_slice(b"\\n"),
            '\u{c}' => out.extend_from_slice(b"\\f"),
            '\r' => out.extend_from_slice(b"\\r"),
            c if (c as u32) < 0x20 => {
                out.extend_from_slice(format!("\\u{:04x}", c as u32).as_bytes());
            }
            c => {
                let mut buf = [0u8; 4];
                out.extend_from_slice(c.encode_utf8(&mut buf).as_bytes());
            }
        }
    }
    out.push(b'"');
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn canon(v: &Value) -> String {
        String::from_utf8(canonicalize(v).expect("canonical")).expect("utf-8")
    }

    #[test]
    fn rfc8785_sorting_example() {
        // RFC 8785 §3.2.3: property names sorted by UTF-16 code units, not by UTF-8 bytes.
        let v = json!({
            "\u{20ac}": "Euro Sign",
            "\r": "Carriage Return",
            "\u{fb33}": "Hebrew Letter Dalet With Dagesh",
            "1": "One",
            "\u{1f600}": "Emoji: Grinning Face",
            "\u{80}": "Control",
            "\u{f6}": "Latin Small Letter O With Diaeresis"
        });
        let expected = "{\"\\r\":\"Carriage Return\",\"1\":\"One\",\"\u{80}\":\"Control\",\
            \"\u{f6}\":\"Latin Small Letter O With Diaeresis\",\"\u{20ac}\":\"Euro Sign\",\
            \"\u{1f600}\":\"Emoji: Grinning Face\",\"\u{fb33}\":\"Hebrew Letter Dalet With Dagesh\"}";
        assert_eq!(canon(&v), expected);
    }

    #[test]
    fn rfc8785_string_escaping() {
        let v = json!({"s": "\u{1}\u{1f}\"\\/\n\t\u{8}\u{c}\r€"});
        assert_eq!(canon(&v), "{\"s\":\"\\u0001\\u001f\\\"\\\\/\\n\\t\\b\\f\\r€\"}");
    }

    #[test]
    fn nested_and_whitespace_free() {
        let v: Value =
            serde_json::from_str(r#" { "b" : [ 1 , { "z":null, "a":true } ], "a": -5 } "#).expect("json");
        assert_eq!(canon(&v), r#"{"a":-5,"b":[1,{"a":true,"z":null}]}"#);
    }

    #[test]
    fn refuses_floats_and_unsafe_integers() {
        assert!(canonicalize(&json!(1.5)).is_err());
        assert!(canonicalize(&json!(MAX_SAFE_INTEGER + 1)).is_err());
        assert!(canonicalize(&json!(-(MAX_SAFE_INTEGER as i64) - 1)).is_err());
        assert_eq!(canon(&json!(MAX_SAFE_INTEGER)), "9007199254740991");
    }
}
