//! Submitting records: a batch's results and the problem document every error is.

use serde::{Deserialize, Serialize};

use crate::Hash;
use crate::asset::AssetId;
use crate::log::Receipt;
use crate::record::{Envelope, ParseError, Prepared, Record};

/// The most records a batch holds.
pub const MAX_BATCH: usize = 10_000;

/// Why a batch body is not a batch at all.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum BatchShapeError {
    #[error("a batch is a JSON array of signed records: {0}")]
    NotAnArray(String),
    #[error("a batch holds at most {limit} records, not {found}")]
    TooMany { limit: usize, found: usize },
}

/// A submitted record's envelope, ready to verify. Most clients send the envelope exactly as
/// the core writes it: that is recognised by writing it again and comparing; anything else
/// takes the strict parse, which explains what is wrong.
pub fn parse_submitted(bytes: &[u8]) -> Result<Prepared<Record>, ParseError> {
    if let Ok(envelope) = serde_json::from_slice::<Envelope<Record>>(bytes)
        && serde_json::to_vec(&envelope).is_ok_and(|again| again == bytes)
        && let Ok(prepared) = envelope.prepare()
    {
        return Ok(prepared);
    }
    Prepared::from_json(bytes)
}

/// A batch body: a JSON array of at most [`MAX_BATCH`] envelopes, each read as
/// [`parse_submitted`] reads one.
pub fn parse_batch(body: &[u8]) -> Result<Vec<Result<Prepared<Record>, ParseError>>, BatchShapeError> {
    let items: Vec<&serde_json::value::RawValue> =
        serde_json::from_slice(body).map_err(|e| BatchShapeError::NotAnArray(e.to_string()))?;
    if items.len() > MAX_BATCH {
        return Err(BatchShapeError::TooMany { limit: MAX_BATCH, found: items.len() });
    }
    Ok(items.iter().map(|raw| parse_submitted(raw.get().as_bytes())).collect())
}

/// One result per submitted item, in order.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct BatchResult {
    pub results: Vec<BatchItem>,
}

/// The answer for one item of a batch, in the order submitted.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "outcome", rename_all = "lowercase")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub enum BatchItem {
    /// Appended now.
    Accepted { receipt: Receipt },
    /// Already in the log: the receipt is for the existing entry.
    Duplicate { receipt: Receipt },
    /// Refused, with the problem document the single-record endpoint would have answered (its
    /// `status` tells which).
    Refused { problem: Problem },
}

/// An RFC 9457 problem document. `code` is stable; `type` links its entry in `/api/problems`.
/// Its members are written in alphabetical order, as the server always wrote them.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Problem {
    /// `head_conflict` only: the asset whose head moved on.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "openapi", schema(nullable = false))]
    pub asset: Option<AssetId>,
    /// The stable, machine-readable code; see `/api/problems`.
    #[cfg_attr(feature = "openapi", schema(example = "head_conflict"))]
    pub code: String,
    pub detail: String,
    /// `head_conflict` only: the head the record named.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "openapi", schema(nullable = false))]
    pub named_head: Option<Hash>,
    /// `malformed` only: the JSON path of the offending value, e.g. `record.act.assets[0].head`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "openapi", schema(nullable = false))]
    pub path: Option<String>,
    /// The HTTP status code.
    pub status: u16,
    pub title: String,
    /// The code's entry in the server's problem catalogue, an absolute URI:
    /// `<base URL>/api/problems#<code>`.
    #[cfg_attr(
        feature = "openapi",
        schema(format = "uri", example = "https://ledger.example.org/api/problems#head_conflict")
    )]
    pub r#type: String,
    /// `head_conflict` only: the asset's current head (the record that won).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "openapi", schema(nullable = false))]
    pub winner: Option<Hash>,
}

impl std::fmt::Display for Problem {
    /// The code and the detail, as a client reports a refusal.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} ({}): {}", self.code, self.status, self.detail)
    }
}
