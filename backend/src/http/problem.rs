//! RFC 9457 problem details: every error the API returns, with its HTTP status and a stable
//! `code`. Internal errors are logged, never leaked.

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, ResponseError};
use terroir_shared::api::{BatchShapeError, Problem};
use terroir_shared::record::{ParseError, VerifyError};
use terroir_shared::rules::{RuleViolation, ViolationClass};

use crate::service::ServiceError;
use crate::service::intake::{BatchError, Unreadable};

/// The public base URL the server answers at: problem `type`s are absolute URIs under it
/// (RFC 9457 recommends absolute ones), each naming its entry in `/api/problems`. Set once, at
/// start-up; until then the default base URL.
static BASE_URL: std::sync::OnceLock<String> = std::sync::OnceLock::new();

pub fn set_base_url(base_url: &str) {
    let _ = BASE_URL.set(base_url.trim_end_matches('/').to_owned());
}

/// The absolute URI of the problem type `code`.
pub fn type_uri(code: &str) -> String {
    let base = BASE_URL.get().map_or_else(|| format!("http://{}", crate::config::DEFAULT_BIND), Clone::clone);
    format!("{base}/api/problems#{code}")
}

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
    #[error("{method} is not allowed here; this resource answers {allow}")]
    MethodNotAllowed { method: String, allow: &'static str },
    #[error("the ledger is shutting down")]
    Unavailable,
    #[error(
        "the ledger cannot store records now: {0}; nothing of this request was stored: send it again later"
    )]
    CannotStore(&'static str),
    #[error(
        "the request body came too slowly: {received} bytes in {seconds} s; a body has 20 s, and one more for every 500 bytes that arrive"
    )]
    BodyTimeout { received: usize, seconds: u64 },
    #[error("{}", .0.detail())]
    Busy(Pressure),
    #[error("internal error")]
    Internal(ServiceError),
}

/// What a `busy` server has no room for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Pressure {
    /// Request bodies held at once (`http::body`).
    Bodies,
    /// Requests served at once and waiting their turn (`http::admission`).
    Requests,
}

impl Pressure {
    fn detail(self) -> &'static str {
        match self {
            Pressure::Bodies => {
                "the server holds as many request bodies as it can at once; nothing of this request was taken: send it again shortly"
            }
            Pressure::Requests => {
                "the server is answering as many requests as it can, and more are waiting; nothing of this request was done: ask again in a moment"
            }
        }
    }

    /// Seconds to wait before asking again: a body is large and slow to send again; a read
    /// waits only for the crowd ahead of it.
    fn retry_after(self) -> &'static str {
        match self {
            Pressure::Bodies => "5",
            Pressure::Requests => "1",
        }
    }
}

impl From<Unreadable> for ApiError {
    fn from(e: Unreadable) -> Self {
        match e {
            Unreadable::Malformed(e) => ApiError::Malformed(e),
            Unreadable::BadSignature(e) => ApiError::BadSignature(e),
        }
    }
}

impl From<BatchError> for ApiError {
    fn from(e: BatchError) -> Self {
        match e {
            BatchError::Shape(e @ BatchShapeError::NotAnArray(_)) => ApiError::BadRequest(e.to_string()),
            BatchError::Shape(BatchShapeError::TooMany { limit, found }) => {
                ApiError::BatchTooLarge { limit, found }
            }
            BatchError::Service(e) => e.into(),
        }
    }
}

impl From<ServiceError> for ApiError {
    fn from(e: ServiceError) -> Self {
        match e {
            ServiceError::NotFound(what) => ApiError::NotFound(what),
            ServiceError::Invalid(why) => ApiError::BadRequest(why),
            ServiceError::WriterStopped | ServiceError::Interrupted => ApiError::Unavailable,
            other => match other.storage_failure() {
                Some(why) => ApiError::CannotStore(why),
                None => ApiError::Internal(other),
            },
        }
    }
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
            ApiError::MethodNotAllowed { .. } => "method_not_allowed",
            ApiError::Unavailable => "unavailable",
            ApiError::CannotStore(_) => "cannot_store",
            ApiError::BodyTimeout { .. } => "request_timeout",
            ApiError::Busy(_) => "busy",
            ApiError::Internal(_) => "internal",
        }
    }

    /// The problem's short, human-readable summary.
    pub fn title(&self) -> &'static str {
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
            ApiError::MethodNotAllowed { .. } => "This method is not allowed here",
            ApiError::Unavailable => "The ledger is not accepting records",
            ApiError::CannotStore(_) => "The ledger cannot store records now",
            ApiError::BodyTimeout { .. } => "The request body came too slowly",
            ApiError::Busy(_) => "The server is busy",
            ApiError::Internal(_) => "Internal error",
        }
    }

    /// The problem document, also used per item in batch answers, with the members that let a
    /// client act: the offending path, the winning head.
    pub fn to_problem(&self) -> Problem {
        let detail = match self {
            ApiError::Internal(e) => {
                tracing::error!(error = %e, "internal error");
                "the server could not complete the request; it has been logged".to_owned()
            }
            other => other.to_string(),
        };
        let mut problem = Problem {
            asset: None,
            code: self.code().to_owned(),
            detail,
            named_head: None,
            path: None,
            status: self.status_code().as_u16(),
            title: self.title().to_owned(),
            r#type: type_uri(self.code()),
            winner: None,
        };
        match self {
            ApiError::Malformed(e) => problem.path = Some(e.path.clone()),
            ApiError::Refused(RuleViolation::HeadConflict { asset, named, current }) => {
                problem.asset = Some(*asset);
                problem.named_head = Some(*named);
                problem.winner = Some(*current);
            }
            _ => {}
        }
        problem
    }
}

impl ResponseError for ApiError {
    fn status_code(&self) -> StatusCode {
        match self {
            ApiError::Malformed(_) | ApiError::BadRequest(_) => StatusCode::BAD_REQUEST,
            // The signature is part of the record, not a credential of the request: a record
            // that does not verify is content the server cannot take, not a 401 (which asks for
            // HTTP authentication and needs `WWW-Authenticate`).
            ApiError::BadSignature(_) => StatusCode::UNPROCESSABLE_ENTITY,
            ApiError::Refused(v) => match v.class() {
                ViolationClass::Forbidden => StatusCode::FORBIDDEN,
                ViolationClass::Conflict => StatusCode::CONFLICT,
                ViolationClass::Unprocessable => StatusCode::UNPROCESSABLE_ENTITY,
            },
            ApiError::TooLarge { .. } | ApiError::BatchTooLarge { .. } | ApiError::EntryTooLarge { .. } => {
                StatusCode::PAYLOAD_TOO_LARGE
            }
            ApiError::NotFound(_) => StatusCode::NOT_FOUND,
            ApiError::MethodNotAllowed { .. } => StatusCode::METHOD_NOT_ALLOWED,
            ApiError::Unavailable | ApiError::CannotStore(_) | ApiError::Busy(_) => {
                StatusCode::SERVICE_UNAVAILABLE
            }
            ApiError::BodyTimeout { .. } => StatusCode::REQUEST_TIMEOUT,
            ApiError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    fn error_response(&self) -> HttpResponse {
        let mut answer = HttpResponse::build(self.status_code());
        match self {
            ApiError::MethodNotAllowed { allow, .. } => {
                answer.insert_header((actix_web::http::header::ALLOW, *allow));
            }
            // Space may come back at any time; a client that waits longer loses nothing.
            ApiError::CannotStore(_) => {
                answer.insert_header((actix_web::http::header::RETRY_AFTER, "30"));
            }
            ApiError::Busy(pressure) => {
                answer.insert_header((actix_web::http::header::RETRY_AFTER, pressure.retry_after()));
            }
            _ => {}
        }
        // The body was refused before it was read whole: the connection closes after the
        // answer rather than reading the rest, which may have no end.
        if matches!(
            self,
            ApiError::TooLarge { .. } | ApiError::BodyTimeout { .. } | ApiError::Busy(Pressure::Bodies)
        ) {
            answer.force_close();
        }
        answer.content_type("application/problem+json").json(self.to_problem())
    }
}

impl From<actix_web::error::BlockingError> for ApiError {
    fn from(_: actix_web::error::BlockingError) -> Self {
        ApiError::Unavailable
    }
}

/// Every problem code the API can answer with, in one place: one representative of each
/// [`ApiError`] variant, and of `Refused` one per [`RuleViolation`] variant. `/api/problems` and
/// the OpenAPI document are built from this list; a test checks it covers every variant
/// (through [`ordinal`], whose matches stop compiling when a variant is added).
pub fn catalogue() -> Vec<ApiError> {
    use terroir_shared::Hash;
    use terroir_shared::asset::{AssetId, QuantityError, Unit};
    use terroir_shared::calendar::Timestamp;
    use terroir_shared::crypto::Keypair;
    use terroir_shared::party::{PartyId, Role};

    let key = Keypair::from_seed(&[7; 32]).public();
    let party = PartyId(key);
    let asset = AssetId(Hash::sha256(b"asset"));
    let other = AssetId(Hash::sha256(b"other asset"));
    let head = Hash::sha256(b"head");
    let winner = Hash::sha256(b"winner");
    let violations = vec![
        RuleViolation::WrongLog {
            expected: "ledger.example/terroir".into(),
            found: "other.example/log".into(),
        },
        RuleViolation::FromTheFuture { at: Timestamp(1_790_000_600_000), now: Timestamp(1_790_000_000_000) },
        RuleViolation::UnknownParty(party),
        RuleViolation::NotOperator,
        RuleViolation::SignerNotAuthorised { signer: key, party },
        RuleViolation::DeviceRevoked(key),
        RuleViolation::DeviceCannotManageDevices,
        RuleViolation::PartyExists(party),
        RuleViolation::DeviceExists(key),
        RuleViolation::UnknownDevice(key),
        RuleViolation::DeviceAlreadyRevoked(key),
        RuleViolation::UnknownAsset(asset),
        RuleViolation::HeadConflict { asset, named: head, current: winner },
        RuleViolation::AssetNamedTwice(asset),
        RuleViolation::NotActive { asset, status: "consumed".into() },
        RuleViolation::Pledged { asset, financier: party },
        RuleViolation::Contained { asset, holder: other },
        RuleViolation::OutputExists(asset),
        RuleViolation::TransformCreates { what: "mass", input: 1_000, output: 1_200 },
        RuleViolation::TooMany { what: "assets", limit: 1_000, found: 1_001 },
        RuleViolation::NoProofOfPossession,
        RuleViolation::EventNotYours { event: "vaccination", who: "a veterinarian" },
        RuleViolation::NotPledged(asset),
        RuleViolation::NotPermitted {
            party,
            act: "transfer",
            asset,
            why: "it is neither the owner nor the custodian",
        },
        RuleViolation::MissingRole { party, role: Role::Financier },
        RuleViolation::QuantityNotConserved { asset, expected: 20, found: 19 },
        RuleViolation::BadQuantity(QuantityError::Zero(Unit::Gram)),
        RuleViolation::UnitMismatch { kind: "tea lot", expected: Unit::Piece, found: Unit::Gram },
        RuleViolation::SingleUnit { kind: "carcass" },
        RuleViolation::TooFew { act: "merge", needed: 2, what: "inputs" },
        RuleViolation::Incompatible { first: asset, other, why: "they are different products" },
        RuleViolation::TransformNotAllowed { from: "tea cake", to: "live cattle" },
        RuleViolation::IdentityTaken { key: "gs1:/01/09506000134352/21/1".into() },
        RuleViolation::BadPartOf { index: 1, holder: 1, why: "is itself" },
        RuleViolation::BadUnitTokens { index: 0, why: "the lot needs a GS1 key with a lot number" },
        RuleViolation::NoChange("the custodian is already this party"),
        RuleViolation::Empty("name"),
        RuleViolation::WrongKindForEvent { event: "vaccination", kind: "tea lot" },
        RuleViolation::IssuanceCapExceeded {
            garden: "Laobanzhang".into(),
            season: "2026 spring".into(),
            cap: 600_000,
            issued: 571_200,
            requested: 35_700,
        },
        RuleViolation::AllowanceMissing {
            garden: "Laobanzhang".into(),
            season: "2026 spring".into(),
            cap: asset,
        },
        RuleViolation::BadAllowance { asset, why: "it is not a garden's cap" },
        RuleViolation::BadGardenCap("its area and its yield must both be at least 1"),
        RuleViolation::OpenLedgerMisplaced,
        RuleViolation::RoleNotPermitted {
            party,
            act: "commission",
            what: "live_cattle",
            roles: &[Role::Cooperative],
        },
        RuleViolation::BackDated { asset, at: Timestamp(0), head_at: Timestamp(1_797_000_000_000) },
        RuleViolation::MassUnknown { what: "input 1 (generic, 100 piece)".into() },
        RuleViolation::BadName {
            field: "garden",
            error: terroir_shared::names::NameError::Invisible(0x200B),
        },
        RuleViolation::CustodyNotOwner { party },
        RuleViolation::BadUnits { holder: asset, why: "a unit is named by two parts" },
        RuleViolation::NotUnderRules { act: "unpack", rules: terroir_shared::rules::Rules::V1 },
    ];
    let mut all = vec![
        ApiError::Malformed(ParseError { path: "record.act".into(), reason: "unknown act `sell`".into() }),
        ApiError::BadRequest("a batch is a JSON array of signed records".into()),
        ApiError::BadSignature(VerifyError::BadSignature(key)),
    ];
    all.extend(violations.into_iter().map(ApiError::Refused));
    all.extend([
        ApiError::TooLarge { limit: 16_777_216 },
        ApiError::EntryTooLarge { size: 70_000, limit: 65_535 },
        ApiError::BatchTooLarge { limit: 10_000, found: 10_001 },
        ApiError::NotFound("asset".into()),
        ApiError::MethodNotAllowed { method: "DELETE".into(), allow: "GET, HEAD" },
        ApiError::Unavailable,
        ApiError::CannotStore("its disk is full"),
        ApiError::BodyTimeout { received: 9_500, seconds: 39 },
        ApiError::Busy(Pressure::Bodies),
        ApiError::Internal(ServiceError::WriterStopped),
    ]);
    all
}

/// How many variants [`ordinal`] tells apart: every `ApiError` but `Refused`, and every
/// `RuleViolation`.
pub const VARIANTS: usize = 13 + 50;

/// A distinct number for each variant, `Refused` counted per rule violation. Both matches are
/// exhaustive on purpose: a new variant does not compile until it is numbered here, and then
/// the catalogue test fails until [`catalogue`] has a representative of it.
pub fn ordinal(e: &ApiError) -> usize {
    match e {
        ApiError::Malformed(_) => 0,
        ApiError::BadRequest(_) => 1,
        ApiError::BadSignature(_) => 2,
        ApiError::TooLarge { .. } => 3,
        ApiError::EntryTooLarge { .. } => 4,
        ApiError::BatchTooLarge { .. } => 5,
        ApiError::NotFound(_) => 6,
        ApiError::Unavailable => 7,
        ApiError::Internal(_) => 8,
        ApiError::MethodNotAllowed { .. } => 9,
        ApiError::CannotStore(_) => 10,
        ApiError::BodyTimeout { .. } => 11,
        ApiError::Busy(_) => 12,
        ApiError::Refused(v) => {
            13 + match v {
                RuleViolation::WrongLog { .. } => 0,
                RuleViolation::FromTheFuture { .. } => 1,
                RuleViolation::UnknownParty(_) => 2,
                RuleViolation::NotOperator => 3,
                RuleViolation::SignerNotAuthorised { .. } => 4,
                RuleViolation::DeviceRevoked(_) => 5,
                RuleViolation::DeviceCannotManageDevices => 6,
                RuleViolation::PartyExists(_) => 7,
                RuleViolation::DeviceExists(_) => 8,
                RuleViolation::UnknownDevice(_) => 9,
                RuleViolation::DeviceAlreadyRevoked(_) => 10,
                RuleViolation::UnknownAsset(_) => 11,
                RuleViolation::HeadConflict { .. } => 12,
                RuleViolation::AssetNamedTwice(_) => 13,
                RuleViolation::NotActive { .. } => 14,
                RuleViolation::Pledged { .. } => 15,
                RuleViolation::Contained { .. } => 16,
                RuleViolation::OutputExists(_) => 17,
                RuleViolation::TransformCreates { .. } => 18,
                RuleViolation::TooMany { .. } => 19,
                RuleViolation::NoProofOfPossession => 20,
                RuleViolation::EventNotYours { .. } => 21,
                RuleViolation::NotPledged(_) => 22,
                RuleViolation::NotPermitted { .. } => 23,
                RuleViolation::MissingRole { .. } => 24,
                RuleViolation::QuantityNotConserved { .. } => 25,
                RuleViolation::BadQuantity(_) => 26,
                RuleViolation::UnitMismatch { .. } => 27,
                RuleViolation::SingleUnit { .. } => 28,
                RuleViolation::TooFew { .. } => 29,
                RuleViolation::Incompatible { .. } => 30,
                RuleViolation::TransformNotAllowed { .. } => 31,
                RuleViolation::IdentityTaken { .. } => 32,
                RuleViolation::BadPartOf { .. } => 33,
                RuleViolation::NoChange(_) => 34,
                RuleViolation::Empty(_) => 35,
                RuleViolation::WrongKindForEvent { .. } => 36,
                RuleViolation::BadUnitTokens { .. } => 37,
                RuleViolation::IssuanceCapExceeded { .. } => 38,
                RuleViolation::AllowanceMissing { .. } => 39,
                RuleViolation::BadAllowance { .. } => 40,
                RuleViolation::BadGardenCap(_) => 41,
                RuleViolation::OpenLedgerMisplaced => 42,
                RuleViolation::RoleNotPermitted { .. } => 43,
                RuleViolation::BackDated { .. } => 44,
                RuleViolation::MassUnknown { .. } => 45,
                RuleViolation::BadName { .. } => 46,
                RuleViolation::CustodyNotOwner { .. } => 47,
                RuleViolation::BadUnits { .. } => 48,
                RuleViolation::NotUnderRules { .. } => 49,
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeSet;

    use actix_web::ResponseError;

    use super::{VARIANTS, catalogue, ordinal};

    #[test]
    fn the_catalogue_has_one_of_each_variant() {
        let all = catalogue();
        let ordinals: Vec<usize> = all.iter().map(ordinal).collect();
        let distinct: BTreeSet<usize> = ordinals.iter().copied().collect();
        assert_eq!(ordinals.len(), distinct.len(), "a variant is listed twice");
        assert_eq!(distinct, (0..VARIANTS).collect(), "a variant is missing");
    }

    #[test]
    fn codes_are_distinct_and_snake_case() {
        let all = catalogue();
        let codes: BTreeSet<&str> = all.iter().map(|e| e.code()).collect();
        assert_eq!(codes.len(), all.len());
        for code in codes {
            assert!(code.bytes().all(|b| b.is_ascii_lowercase() || b == b'_'), "{code}");
        }
        for e in &all {
            assert!(e.status_code().is_client_error() || e.status_code().is_server_error());
        }
    }

    #[test]
    fn an_unreadable_item_is_counted_under_the_code_it_is_answered_with() {
        use crate::service::intake::Unreadable;
        use terroir_shared::record::{ParseError, VerifyError};
        let malformed = ParseError { path: "record.at".into(), reason: "not a number".into() };
        for unreadable in [
            Unreadable::Malformed(malformed),
            Unreadable::BadSignature(VerifyError::BadSignature(
                terroir_shared::crypto::Keypair::from_seed(&[1; 32]).public(),
            )),
        ] {
            let code = unreadable.code();
            assert_eq!(super::ApiError::from(unreadable).code(), code);
        }
    }
}
