//! Strict JSON input: a record either parses into exactly one value that serialises back to the
//! same JSON, or is refused with the path of the first offending value.

use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::Value;

/// Why some JSON is not a valid record, and where.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{}", self.describe())]
pub struct ParseError {
    /// A JSON path such as `record.act.assets[0].head`; empty for the document itself.
    pub path: String,
    pub reason: String,
}

impl ParseError {
    fn describe(&self) -> String {
        if self.path.is_empty() || self.path == "." {
            self.reason.clone()
        } else {
            format!("at `{}`: {}", self.path, self.reason)
        }
    }
}

/// Parses `bytes` as a `T`, naming the path of the first value that does not fit. Unlike
/// [`parse_strict`], a value may be spelled any way serde reads it.
pub(crate) fn parse_with_path<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, ParseError> {
    let mut de = serde_json::Deserializer::from_slice(bytes);
    let value: T = serde_path_to_error::deserialize(&mut de).map_err(|e| ParseError {
        path: e.path().to_string(),
        reason: strip_position(&e.inner().to_string()),
    })?;
    de.end().map_err(|e| ParseError { path: String::new(), reason: strip_position(&e.to_string()) })?;
    Ok(value)
}

pub(crate) fn parse_strict<T: DeserializeOwned + Serialize>(bytes: &[u8]) -> Result<T, ParseError> {
    let value: T = parse_with_path(bytes)?;
    // The typed parse succeeded; now make sure nothing was lost or respelled on the way.
    let input: Value = serde_json::from_slice(bytes)
        .map_err(|e| ParseError { path: String::new(), reason: e.to_string() })?;
    let output = serde_json::to_value(&value)
        .map_err(|e| ParseError { path: String::new(), reason: e.to_string() })?;
    match first_difference(&input, &output, &mut Vec::new()) {
        None => Ok(value),
        Some((path, reason)) => Err(ParseError { path, reason }),
    }
}

fn first_difference(input: &Value, output: &Value, path: &mut Vec<PathPart>) -> Option<(String, String)> {
    match (input, output) {
        (Value::Object(a), Value::Object(b)) => {
            for (k, v) in a {
                path.push(PathPart::Key(k.clone()));
                let found = match b.get(k) {
                    None if v.is_null() => Some("write nothing rather than null for an absent value".into()),
                    None => Some("this field is not part of a record".into()),
                    Some(w) => first_difference(v, w, path).map(|(_, r)| r),
                };
                if let Some(reason) = found {
                    return Some((render(path), reason));
                }
                path.pop();
            }
            None
        }
        (Value::Array(a), Value::Array(b)) if a.len() == b.len() => {
            for (i, (v, w)) in a.iter().zip(b).enumerate() {
                path.push(PathPart::Index(i));
                if let Some(found) = first_difference(v, w, path) {
                    return Some(found);
                }
                path.pop();
            }
            None
        }
        (a, b) if a == b => None,
        (a, b) => Some((render(path), format!("{a} is not written the one canonical way ({b})"))),
    }
}

enum PathPart {
    Key(String),
    Index(usize),
}

fn render(path: &[PathPart]) -> String {
    let mut out = String::new();
    for part in path {
        match part {
            PathPart::Key(k) if out.is_empty() => out.push_str(k),
            PathPart::Key(k) => {
                out.push('.');
                out.push_str(k);
            }
            PathPart::Index(i) => out.push_str(&format!("[{i}]")),
        }
    }
    out
}

/// serde_json appends "at line 1 column 57"; the path says where far better.
fn strip_position(msg: &str) -> String {
    match msg.rfind(" at line ") {
        Some(i) => msg[..i].to_owned(),
        None => msg.to_owned(),
    }
}
