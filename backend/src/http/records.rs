//! Submitting signed records, one or a batch: the body read within its limit, handed to the
//! intake, and each verdict answered as a receipt or a problem.

use actix_web::{HttpRequest, HttpResponse, web};
use terroir_shared::api::{self, BatchItem, BatchResult};
use terroir_shared::log::Receipt;
use terroir_shared::schema::EnvelopeSchema;

use super::problem::ApiError;
use super::{AppState, body};
use crate::service::ledger::{MAX_ENTRY_BYTES, Outcome};

/// What the two submission endpoints answer alike, for the OpenAPI document.
const BODY_TIMEOUT: &str = "`request_timeout`: the body came more slowly than 20 s and one more second for every 500 bytes received.";
const NOT_STORED: &str = "Nothing of the request was stored; send it again later. `unavailable`: the ledger is \
    shutting down; `cannot_store`: its disk is full or failing (`Retry-After`); `busy`: the server holds as many \
    request bodies as it can (`Retry-After`).";

/// The most records one batch may carry.
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
        (status = 408, description = BODY_TIMEOUT, body = api::Problem, content_type = "application/problem+json"),
        (status = 413, description = "`too_large`: the body exceeds the server's limit; `entry_too_large`: the ledger entry would exceed the largest entry a log holds.", body = api::Problem, content_type = "application/problem+json"),
        (status = 422, description = "The record breaks a ledger rule, or (`bad_signature`) its signature does not verify with the signer's key.", body = api::Problem, content_type = "application/problem+json"),
        (status = 500, description = "`internal`: the server could not complete the request; details are logged, not returned.", body = api::Problem, content_type = "application/problem+json"),
        (status = 503, description = NOT_STORED, body = api::Problem, content_type = "application/problem+json"),
    )
)]
pub async fn submit_one(
    req: HttpRequest,
    state: web::Data<AppState>,
    payload: web::Payload,
) -> Result<HttpResponse, ApiError> {
    let body = body::read(&req, payload, state.max_body_bytes, &state.bodies).await?;
    match state.intake.one(body.bytes.clone()).await?.map_err(ApiError::from).and_then(receipt)? {
        (receipt, New::Entry) => Ok(HttpResponse::Created().json(receipt)),
        (receipt, New::Not) => Ok(HttpResponse::Ok().json(receipt)),
    }
}

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
        (status = 408, description = BODY_TIMEOUT, body = api::Problem, content_type = "application/problem+json"),
        (status = 413, description = "`too_large`: the body exceeds the server's limit; `batch_too_large`: more than 10,000 items.", body = api::Problem, content_type = "application/problem+json"),
        (status = 500, description = "`internal`: the server could not complete the request.", body = api::Problem, content_type = "application/problem+json"),
        (status = 503, description = NOT_STORED, body = api::Problem, content_type = "application/problem+json"),
    )
)]
pub async fn submit_batch(
    req: HttpRequest,
    state: web::Data<AppState>,
    payload: web::Payload,
) -> Result<HttpResponse, ApiError> {
    let body = body::read(&req, payload, state.max_body_bytes, &state.bodies).await?;
    let results = state
        .intake
        .batch(body.bytes.clone())
        .await?
        .into_iter()
        .map(|verdict| match verdict.map_err(ApiError::from).and_then(receipt) {
            Ok((receipt, New::Entry)) => BatchItem::Accepted { receipt },
            Ok((receipt, New::Not)) => BatchItem::Duplicate { receipt },
            Err(problem) => BatchItem::Refused { problem: problem.to_problem() },
        })
        .collect();
    Ok(HttpResponse::Ok().json(BatchResult { results }))
}

/// Whether a receipt is for a new entry or for the one the record already had.
enum New {
    Entry,
    Not,
}

/// The receipt an outcome gives, or its problem.
fn receipt(outcome: Outcome) -> Result<(Receipt, New), ApiError> {
    match outcome {
        Outcome::Accepted(receipt) => Ok((receipt, New::Entry)),
        Outcome::Duplicate(receipt) => Ok((receipt, New::Not)),
        Outcome::Refused(violation) => Err(violation.into()),
        Outcome::TooLarge(size) => Err(ApiError::EntryTooLarge { size, limit: MAX_ENTRY_BYTES }),
    }
}
