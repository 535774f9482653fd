//! Submitting signed records, one or a batch: parse strictly, verify signatures off the async
//! executor (batches with batch verification), hand to the ledger, answer receipts or problems.

use actix_web::{HttpResponse, web};
use serde_json::value::RawValue;
use terroir_shared::api::{self, BatchItem, BatchResult};
use terroir_shared::log::Receipt;
use terroir_shared::record::{Envelope, ParseError, Prepared, Record, Signed, verify_each};
use terroir_shared::schema::EnvelopeSchema;

use super::problem::ApiError;
use super::{AppState, body};
use crate::service::ServiceError;
use crate::service::ledger::{MAX_ENTRY_BYTES, Outcome};

/// The most records one batch may carry.
pub const MAX_BATCH: usize = 10_000;

#[utoipa::path(
    post,
    path = "/api/records",
    tag = "records",
    summary = "Submit one signed record",
    description = "Parses the envelope strictly, verifies its signature, judges it against the ledger rules and \
        appends it. The answer is the entry's receipt: the signed checkpoint that includes it and the \
        inclusion proof. Submitting a record already in the log answers its existing receipt with 200.",
    request_body(
        content = EnvelopeSchema,
        content_type = "application/json",
        description = "A signed record: `{\"record\": ..., \"signature\": \"<128 hex>\"}`. The body is read \
            whatever its declared content type, up to the server's body limit."
    ),
    responses(
        (status = 201, description = "Accepted: appended to the log.", body = Receipt, content_type = "application/json"),
        (status = 200, description = "Duplicate: the record is already in the log; the receipt is for its entry.", body = Receipt, content_type = "application/json"),
        (status = 400, description = "`malformed`: the body is not a valid Terroir record (`path` names the offending value); `bad_request`: the body could not be read.", body = api::Problem, content_type = "application/problem+json"),
        (status = 403, description = "The signer may not do this act.", body = api::Problem, content_type = "application/problem+json"),
        (status = 409, description = "The record names an asset head that is no longer current: another record won. The problem carries `asset`, `namedHead` and `winner`.", body = api::Problem, content_type = "application/problem+json"),
        (status = 413, description = "`too_large`: the body exceeds the server's limit; `entry_too_large`: the ledger entry would exceed the largest entry a log holds.", body = api::Problem, content_type = "application/problem+json"),
        (status = 422, description = "The record breaks a ledger rule, or (`bad_signature`) its signature does not verify with the signer's key.", body = api::Problem, content_type = "application/problem+json"),
        (status = 500, description = "`internal`: the server could not complete the request; details are logged, not returned.", body = api::Problem, content_type = "application/problem+json"),
        (status = 503, description = "`unavailable`: the ledger is shutting down and accepts no records.", body = api::Problem, content_type = "application/problem+json"),
    )
)]
pub async fn submit_one(state: web::Data<AppState>, payload: web::Payload) -> Result<HttpResponse, ApiError> {
    let body = body::read(payload, state.max_body_bytes).await?;
    let signed = web::block(move || -> Result<Signed<Record>, ApiError> { Ok(parse(&body)?.verify()?) })
        .await?
        .inspect_err(|e| state.metrics.refused_with(e.code()))?;
    let outcome = state.ledger.submit(vec![signed]).await.map_err(from_service)?.pop();
    match outcome {
        Some(Outcome::Accepted(receipt)) => Ok(HttpResponse::Created().json(receipt)),
        Some(Outcome::Duplicate(receipt)) => Ok(HttpResponse::Ok().json(receipt)),
        Some(Outcome::Refused(violation)) => Err(violation.into()),
        Some(Outcome::TooLarge(size)) => Err(ApiError::EntryTooLarge { size, limit: MAX_ENTRY_BYTES }),
        None => Err(ApiError::Unavailable),
    }
}

/// A JSON array of envelopes in, `{"results": [...]}` out, one result per item in order.
/// Items are judged in order, each against the state the earlier ones left.
#[utoipa::path(
    post,
    path = "/api/records/batch",
    tag = "records",
    summary = "Submit a batch of signed records",
    description = "A JSON array of at most 10,000 envelopes. Signatures are verified together; items are judged \
        in order, each against the state the earlier ones left. The answer holds one result per item, \
        in order: `accepted` or `duplicate` with a receipt, or `refused` with the problem document the \
        single-record endpoint would have answered (its `status` tells which).",
    request_body(
        content = Vec<serde_json::Value>,
        content_type = "application/json",
        description = "A JSON array of signed records (each an `Envelope`), read whatever its declared content type, up to \
            the server's body limit. Any item is taken: one that is not a signed record is refused on its own, in the \
            answer, with the problem the single-record endpoint would give it."
    ),
    responses(
        (status = 200, description = "One result per item, in order.", body = api::BatchResult, content_type = "application/json"),
        (status = 400, description = "`bad_request`: the body is not a JSON array or could not be read.", body = api::Problem, content_type = "application/problem+json"),
        (status = 413, description = "`too_large`: the body exceeds the server's limit; `batch_too_large`: more than 10,000 items.", body = api::Problem, content_type = "application/problem+json"),
        (status = 500, description = "`internal`: the server could not complete the request.", body = api::Problem, content_type = "application/problem+json"),
        (status = 503, description = "`unavailable`: the ledger is shutting down and accepts no records.", body = api::Problem, content_type = "application/problem+json"),
    )
)]
pub async fn submit_batch(
    state: web::Data<AppState>,
    payload: web::Payload,
) -> Result<HttpResponse, ApiError> {
    let body = body::read(payload, state.max_body_bytes).await?;
    let checked = web::block(move || parse_and_verify(&body)).await??;
    let valid: Vec<Signed<Record>> = checked.iter().filter_map(|c| c.as_ref().ok().cloned()).collect();
    let mut outcomes = state.ledger.submit(valid).await.map_err(from_service)?.into_iter();
    let results: Vec<BatchItem> = checked
        .into_iter()
        .map(|c| {
            let refused = |e: ApiError| BatchItem::Refused { problem: e.to_problem() };
            match c {
                Err(problem) => {
                    state.metrics.refused_with(problem.code());
                    refused(problem)
                }
                Ok(_) => {
                    let outcome = outcomes.next();
                    match outcome {
                        Some(Outcome::Accepted(receipt)) => BatchItem::Accepted { receipt },
                        Some(Outcome::Duplicate(receipt)) => BatchItem::Duplicate { receipt },
                        Some(Outcome::Refused(v)) => refused(v.into()),
                        Some(Outcome::TooLarge(size)) => {
                            refused(ApiError::EntryTooLarge { size, limit: MAX_ENTRY_BYTES })
                        }
                        None => refused(ApiError::Unavailable),
                    }
                }
            }
        })
        .collect();
    Ok(HttpResponse::Ok().json(BatchResult { results }))
}

fn parse_and_verify(body: &[u8]) -> Result<Vec<Result<Signed<Record>, ApiError>>, ApiError> {
    let items: Vec<&RawValue> = serde_json::from_slice(body)
        .map_err(|e| ApiError::BadRequest(format!("a batch is a JSON array of signed records: {e}")))?;
    if items.len() > MAX_BATCH {
        return Err(ApiError::BatchTooLarge { limit: MAX_BATCH, found: items.len() });
    }
    Ok(verify_each(items.iter().map(|raw| parse(raw.get().as_bytes()).map_err(ApiError::from)).collect()))
}

/// Parses an envelope as strictly as [`Envelope::from_json`], with the bytes its signature
/// covers. When the bytes are exactly what the parsed envelope serialises to (as any client
/// serialising these types writes them), nothing can have been lost or spelled another way,
/// and the value-by-value comparison is skipped; anything else takes the strict path, which
/// also names what is wrong.
fn parse(bytes: &[u8]) -> Result<Prepared<Record>, ParseError> {
    if let Ok(envelope) = serde_json::from_slice::<Envelope<Record>>(bytes)
        && serde_json::to_vec(&envelope).is_ok_and(|again| again == bytes)
        && let Ok(prepared) = envelope.prepare()
    {
        return Ok(prepared);
    }
    Prepared::from_json(bytes)
}

pub(super) fn from_service(e: ServiceError) -> ApiError {
    match e {
        ServiceError::WriterStopped => ApiError::Unavailable,
        other => ApiError::Internal(other),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::Value;
    use terroir_shared::calendar::Timestamp;
    use terroir_shared::crypto::Keypair;

    /// The envelope's JSON with `edit` applied to its record.
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
                let quick = parse(v.as_bytes()).map_err(|e| e.to_string());
                assert_eq!(quick.as_ref().map(|p| p.envelope()), strict.as_ref(), "{v}");
                // The bytes handed on to verification are the ones the signature covers.
                if let Ok(prepared) = quick {
                    assert_eq!(prepared.verify().map(|s| s.id()), Ok(signed.id()), "{v}");
                }
            }
            assert!(parse(record.as_bytes()).is_ok());
        }
    }
}
