//! What the window receives: assets and records as a clerk reads them, in both languages,
//! made from the store's rows (which keep what the station needs to sync and search).

use serde::Serialize;
use terroir_shared::asset::Asset;

use crate::describe::asset_label;
use crate::store::{AssetRow, AssetState, RecordRow, RecordState};
use crate::words::Said;

/// One asset in the list or the detail.
#[derive(Clone, Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct AssetView {
    pub id: String,
    pub kind: String,
    pub label: Said,
    pub state: AssetState,
    pub asset: Asset,
}

impl From<AssetRow> for AssetView {
    fn from(row: AssetRow) -> Self {
        AssetView {
            label: asset_label(&row.asset),
            id: row.id,
            kind: row.kind,
            state: AssetState::from(&row.asset.status),
            asset: row.asset,
        }
    }
}

pub fn assets(rows: Vec<AssetRow>) -> Vec<AssetView> {
    rows.into_iter().map(AssetView::from).collect()
}

/// One signed record and what became of it.
#[derive(Clone, Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct RecordView {
    pub seq: i64,
    pub id: String,
    pub act: String,
    pub summary: Said,
    pub state: RecordState,
    pub log_index: Option<i64>,
    pub problem_code: Option<String>,
    pub problem: Option<Said>,
    pub signed_at: i64,
    pub settled_at: Option<i64>,
}

impl From<&RecordRow> for RecordView {
    fn from(row: &RecordRow) -> Self {
        RecordView {
            seq: row.seq,
            id: row.id.clone(),
            act: row.act.clone(),
            summary: stored_words(&row.summary),
            state: row.record_state(),
            log_index: row.log_index,
            problem_code: row.problem_code.clone(),
            problem: row.problem.as_deref().map(stored_words),
            signed_at: row.signed_at,
            settled_at: row.settled_at,
        }
    }
}

pub fn records(rows: &[RecordRow]) -> Vec<RecordView> {
    rows.iter().map(RecordView::from).collect()
}

/// A summary or a problem as stored: `{"en": …, "zh": …}`; any other text (a database an older
/// station wrote and nothing migrated) reads the same in both languages.
fn stored_words(text: &str) -> Said {
    serde_json::from_str(text).unwrap_or_else(|_| Said::same(text))
}

#[cfg(test)]
mod tests {
    use super::stored_words;
    use crate::words::said;

    #[test]
    fn stored_words_read_in_both_languages() {
        assert_eq!(stored_words(r#"{"en":"Merge","zh":"合并"}"#), said("Merge", "合并"));
        assert_eq!(stored_words("Merge"), said("Merge", "Merge"));
    }
}
