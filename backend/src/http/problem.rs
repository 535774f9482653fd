//! RFC 9457 problem details: every error the API returns, with its HTTP status and a stable
//! `code`. Internal errors are logged, never leaked.

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, ResponseError};
use serde_json::{Map, Value, json};
use terroir_shared::record::{ParseError, VerifyError};
use terroir_shared::rules::{RuleViolation, ViolationClass};

use crate::service::ServiceError;

/// Everything that can go wrong in a request.
#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    #[error("malformed record: {0}")]
    Malformed(#[from] ParseError),
    #[error("bad request: {0}")]
    BadRequest(String),
    #[error("{0}")]
    BadSignature(#[from] VerifyError),
    #[error("{0}")]
    Refused(#[from] RuleViolation),
    #[error("the request body is larger than {limit} bytes")]
    TooLarge { limit: usize },
    #[error(
        "this record's ledger entry would be {size} bytes; the limit is {limit}: split it into smaller records"
    )]
    EntryTooLarge { size: usize, limit: usize },
    #[error("a batch holds at most {limit} records, not {found}")]
    BatchTooLarge { limit: usize, found: usize },
    #[error("{0} not found")]
    NotFound(String),
    #[error("the ledger is shutting down")]
    Unavailable,
    #[error("internal error")]
    Internal(#[from] ServiceError),
}

impl ApiError {
    /// The stable, machine-readable code.
    pub fn code(&self) -> &'static str {
        match self {
            ApiError::Malformed(_) => "malformed",
            ApiError::BadRequest(_) => "bad_request",
            ApiError::BadSignature(_) => "bad_signature",
            ApiError::Refused(v) => v.code(),
            ApiError::TooLarge { .. } => "too_large",
            ApiError::BatchTooLarge { .. } => "batch_too_large",
            ApiError::EntryTooLarge { .. } => "entry_too_large",
            ApiError::NotFound(_) => "not_found",
            ApiError::Unavailable => "unavailable",
            ApiError::Internal(_) => "internal",
        }
    }

    fn title(&self) -> &'static str {
        match self {
            ApiError::Malformed(_) => "The record is not valid JSON for a Terroir record",
            ApiError::BadRequest(_) => "The request is not valid",
            ApiError::BadSignature(_) => "The signature does not verify",
            ApiError::Refused(v) => match v.class() {
                ViolationClass::Forbidden => "The signer may not do this",
                ViolationClass::Conflict => "Another record already changed this asset",
                ViolationClass::Unprocessable => "The record breaks a ledger rule",
            },
            ApiError::TooLarge { .. } | ApiError::BatchTooLarge { .. } | ApiError::EntryTooLarge { .. } => {
                "The request is too large"
            }
            ApiError::NotFound(_) => "Not found",
            ApiError::Unavailable => "The ledger is not accepting records",
            ApiError::Internal(_) => "Internal error",
        }
    }

    /// Extra members that let a client act: the offending path, the winning head.
    fn extensions(&self) -> Map<String, Value> {
        let mut m = Map::new();
        match self {
            ApiError::Malformed(e) => {
                m.insert("path".into(), json!(e.path));
            }
            ApiError::Refused(RuleViolation::HeadConflict { asset, named, current }) => {
                m.insert("asset".into(), json!(asset));
                m.insert("named_head".into(), json!(named));
                m.insert("winner".into(), json!(current));
            }
            _ => {}
        }
        m
    }

    /// The problem document, also used per item in batch answers.
    pub fn to_problem(&self) -> Value {
        let detail = match self {
            ApiError::Internal(e) => {
                tracing::error!(error = %e, "internal error");
                "the server could not complete the request; it has been logged".to_owned()
            }
            other => other.to_string(),
        };
        let mut doc = Map::new();
        doc.insert("type".into(), json!(format!("/api/problems#{}", self.code())));
        doc.insert("title".into(), json!(self.title()));
        doc.insert("status".into(), json!(self.status_code().as_u16()));
        doc.insert("detail".into(), json!(detail));
        doc.insert("code".into(), json!(self.code()));
        doc.extend(self.extensions());
        Value::Object(doc)
    }
}

impl ResponseError for ApiError {
    fn status_code(&self) -> StatusCode {
        match self {
            ApiError::Malformed(_) | ApiError::BadRequest(_) => StatusCode::BAD_REQUEST,
            ApiError::BadSignature(_) => StatusCode::UNAUTHORIZED,
            ApiError::Refused(v) => match v.class() {
                ViolationClass::Forbidden => StatusCode::FORBIDDEN,
                ViolationClass::Conflict => StatusCode::CONFLICT,
                ViolationClass::Unprocessable => StatusCode::UNPROCESSABLE_ENTITY,
            },
            ApiError::TooLarge { .. } | ApiError::BatchTooLarge { .. } | ApiError::EntryTooLarge { .. } => {
                StatusCode::PAYLOAD_TOO_LARGE
            }
            ApiError::NotFound(_) => StatusCode::NOT_FOUND,
            ApiError::Unavailable => StatusCode::SERVICE_UNAVAILABLE,
            ApiError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    fn error_response(&self) -> HttpResponse {
        HttpResponse::build(self.status_code())
            .content_type("application/problem+json")
            .json(self.to_problem())
    }
}

impl From<actix_web::error::BlockingError> for ApiError {
    fn from(_: actix_web::error::BlockingError) -> Self {
        ApiError::Unavailable
    }
}
