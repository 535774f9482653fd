//! Taking signed records in, one or a batch: each item parsed strictly and its signature
//! verified off the async threads (a batch with Ed25519 batch verification), then the valid
//! ones handed to the ledger in order. An item that cannot be read or does not verify is
//! counted here, where that is decided; the writer counts the rest.

use std::sync::Arc;

use bytes::Bytes;
use terroir_shared::api::{BatchShapeError, parse_batch, parse_submitted};
use terroir_shared::record::{ParseError, Record, Signed, VerifyError, verify_each};

use super::ServiceError;
use super::ledger::{Ledger, Outcome};
use crate::metrics::Metrics;

/// Why a submitted item never reached the ledger.
#[derive(Debug, thiserror::Error)]
pub enum Unreadable {
    #[error("malformed record: {0}")]
    Malformed(#[from] ParseError),
    #[error("{0}")]
    BadSignature(#[from] VerifyError),
}

impl Unreadable {
    /// The problem code the API answers it with, and the metrics count it under.
    pub fn code(&self) -> &'static str {
        match self {
            Unreadable::Malformed(_) => "malformed",
            Unreadable::BadSignature(_) => "bad_signature",
        }
    }
}

/// What became of one submitted item.
pub type Verdict = Result<Outcome, Unreadable>;

/// Why a batch was not taken at all.
#[derive(Debug, thiserror::Error)]
pub enum BatchError {
    #[error(transparent)]
    Shape(#[from] BatchShapeError),
    #[error(transparent)]
    Service(#[from] ServiceError),
}

/// Submissions to one ledger.
#[derive(Clone)]
pub struct Intake {
    ledger: Ledger,
    metrics: Arc<Metrics>,
}

impl Intake {
    pub fn new(ledger: Ledger, metrics: Arc<Metrics>) -> Self {
        Self { ledger, metrics }
    }

    /// One signed record, as its JSON bytes.
    pub async fn one(&self, body: Bytes) -> Result<Verdict, ServiceError> {
        let checked = tokio::task::spawn_blocking(move || -> Result<Signed<Record>, Unreadable> {
            Ok(parse_submitted(&body)?.verify()?)
        })
        .await
        .map_err(|_| ServiceError::Interrupted)?;
        let signed = match checked {
            Ok(signed) => signed,
            Err(unreadable) => return Ok(Err(self.counted(unreadable))),
        };
        let outcome = self.ledger.submit(vec![signed]).await?.pop();
        outcome.map(Ok).ok_or(ServiceError::WriterStopped)
    }

    /// A JSON array of signed records: one verdict per item, in order.
    pub async fn batch(&self, body: Bytes) -> Result<Vec<Verdict>, BatchError> {
        let checked = tokio::task::spawn_blocking(move || parse_and_verify(&body))
            .await
            .map_err(|_| ServiceError::Interrupted)??;
        let valid: Vec<Signed<Record>> = checked.iter().filter_map(|c| c.as_ref().ok().cloned()).collect();
        let mut outcomes = self.ledger.submit(valid).await?.into_iter();
        checked
            .into_iter()
            .map(|c| match c {
                Err(unreadable) => Ok(Err(self.counted(unreadable))),
                Ok(_) => outcomes.next().map(Ok).ok_or(BatchError::Service(ServiceError::WriterStopped)),
            })
            .collect()
    }

    fn counted(&self, unreadable: Unreadable) -> Unreadable {
        self.metrics.refused_with(unreadable.code());
        unreadable
    }
}

/// A batch body read and verified: each item a record ready for the ledger, or why it is not.
fn parse_and_verify(body: &[u8]) -> Result<Vec<Result<Signed<Record>, Unreadable>>, BatchError> {
    let items = parse_batch(body)?;
    Ok(verify_each(items.into_iter().map(|item| item.map_err(Unreadable::from)).collect()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::Value;
    use terroir_shared::calendar::Timestamp;
    use terroir_shared::crypto::Keypair;
    use terroir_shared::record::Envelope;

    fn edited(envelope: &str, edit: impl FnOnce(&mut serde_json::Map<String, Value>)) -> String {
        let mut value: Value = serde_json::from_str(envelope).expect("json");
        if let Some(record) = value["record"].as_object_mut() {
            edit(record);
        }
        value.to_string()
    }

    #[test]
    fn the_quick_parse_accepts_and_refuses_exactly_what_the_strict_one_does() {
        let operator = Keypair::from_seed(&[9; 32]);
        let records =
            crate::service::demo::demo_records("t/terroir", &operator, [3; 32], Timestamp(1_700_000_000_000))
                .expect("sample records");
        for signed in [&records[0], &records[records.len() / 2], &records[records.len() - 1]] {
            let record = serde_json::to_string(signed).expect("json");
            let variants = [
                record.clone(),
                // Keys sorted rather than in declaration order, and spaced out.
                edited(&record, |_| {}),
                format!(" {record}\n"),
                edited(&record, |r| drop(r.insert("note".into(), Value::Null))),
                edited(&record, |r| drop(r.insert("extra".into(), 1.into()))),
                edited(&record, |r| drop(r.insert("at".into(), 9_007_199_254_740_993u64.into()))),
                edited(&record, |r| drop(r.insert("at".into(), 1.5.into()))),
                format!("{record}{record}"),
            ];
            for v in variants {
                let strict = Envelope::<Record>::from_json(v.as_bytes()).map_err(|e| e.to_string());
                let quick = parse_submitted(v.as_bytes()).map_err(|e| e.to_string());
                assert_eq!(quick.as_ref().map(|p| p.envelope()), strict.as_ref(), "{v}");
                // The bytes handed on to verification are the ones the signature covers.
                if let Ok(prepared) = quick {
                    assert_eq!(prepared.verify().map(|s| s.id()), Ok(signed.id()), "{v}");
                }
            }
            assert!(parse_submitted(record.as_bytes()).is_ok());
        }
    }
}
