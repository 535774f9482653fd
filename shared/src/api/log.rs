//! The log as JSON: its identity and its entries.

use serde::{Deserialize, Serialize};

use crate::Hash;
use crate::entry::LedgerEntry;
use crate::party::PartyId;
use crate::rules::Rules;

/// The log's identity and its latest checkpoint. Its members are written in alphabetical
/// order, as the server always wrote them.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct LogInfo {
    /// The latest checkpoint note; null while the log is empty.
    #[cfg_attr(feature = "openapi", schema(required = true))]
    pub checkpoint: Option<String>,
    /// The operator party, the only one who may register parties.
    pub operator: PartyId,
    /// The log's origin: the key name in its checkpoints and the `origin` every record names.
    pub origin: String,
    /// The root of the tree of `size` leaves; null while the log is empty.
    #[cfg_attr(feature = "openapi", schema(required = true))]
    pub root: Option<Hash>,
    /// The version of the ledger's rules, which its entry 0 (`open_ledger`) names; 1 for a
    /// ledger started before ledgers named them.
    pub rules: Rules,
    pub size: u64,
    /// The C2SP signed-note verifier key (`<origin>+<key hash>+<base64 key>`).
    pub verifier_key: String,
    /// The C2SP tlog-policy naming the witnesses that cosign this log's checkpoints and the
    /// quorum its label pages require; absent when the log has none.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "openapi", schema(required = false))]
    pub witness_policy: Option<String>,
}

/// An entry as the API shows it, with its leaf hash and record id.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct EntryView {
    pub index: u64,
    pub leaf_hash: Hash,
    pub record_id: Hash,
    pub entry: LedgerEntry,
}

/// Entries `start ≤ index < end` (at most 1,000) of a log of `size` entries.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct EntryPage {
    pub start: u64,
    pub end: u64,
    pub size: u64,
    pub entries: Vec<EntryView>,
}
