//! The log's read API: the C2SP tlog-tiles endpoints (`/checkpoint`, `/tile/...`) for mirrors
//! and witnesses, and JSON for entries and proofs between any two sizes.

use actix_web::http::header;
use actix_web::{HttpResponse, web};
use serde::Deserialize;
use terroir_shared::api::{self, LogInfo};
use terroir_shared::canonical::MAX_SAFE_INTEGER;
use terroir_shared::log::{ConsistencyProof, InclusionProof, tiles};
use utoipa::IntoParams;

use super::AppState;
use super::problem::ApiError;

/// Tiles, bundles, entries and proofs for a fixed size never change.
const IMMUTABLE: &str = "public, max-age=31536000, immutable";

#[utoipa::path(
    get,
    path = "/checkpoint",
    tag = "tlog-tiles",
    summary = "The latest signed checkpoint",
    description = "The C2SP tlog-checkpoint note of the latest tree, signed per C2SP signed-note (Ed25519) under \
        the log's origin. Served with `Cache-Control: no-cache`.",
    responses(
        (status = 200, description = "The checkpoint note.", body = String, content_type = "text/plain"),
        (status = 404, description = "`not_found`: the log is empty.", body = api::Problem, content_type = "application/problem+json"),
    )
)]
pub async fn checkpoint(state: web::Data<AppState>) -> Result<HttpResponse, ApiError> {
    let cp = state
        .ledger
        .latest_checkpoint()
        .ok_or_else(|| ApiError::NotFound("checkpoint (the log is empty)".into()))?;
    Ok(HttpResponse::Ok()
        .content_type("text/plain; charset=utf-8")
        .insert_header((header::CACHE_CONTROL, "no-cache"))
        .body(cp.note))
}

#[utoipa::path(
    get,
    path = "/api/log",
    tag = "log",
    summary = "The log's identity and size",
    description = "The origin, the verifier key to check checkpoints and receipts with, the operator party, and \
        the latest checkpoint with its size and root.",
    responses(
        (status = 200, description = "The log.", body = api::LogInfo, content_type = "application/json"),
    )
)]
pub async fn info(state: web::Data<AppState>) -> HttpResponse {
    let cp = state.ledger.latest_checkpoint();
    HttpResponse::Ok().json(LogInfo {
        operator: state.ledger.identity().operator,
        origin: state.ledger.identity().origin.clone(),
        root: cp.as_ref().map(|c| c.root),
        rules: state.ledger.rules(),
        size: cp.as_ref().map_or(0, |c| c.size),
        verifier_key: state.ledger.vkey().to_owned(),
        witness_policy: state.policy.clone(),
        checkpoint: cp.map(|c| c.note),
    })
}

fn parse_tile_path(path: &str) -> Result<(u64, u64), ApiError> {
    tiles::parse_tile_path(path).map_err(|e| ApiError::BadRequest(e.to_string()))
}

fn parse_level(level: &str) -> Result<u8, ApiError> {
    tiles::parse_level(level).map_err(|e| ApiError::BadRequest(e.to_string()))
}

#[utoipa::path(
    get,
    path = "/tile/{level}/{path}",
    tag = "tlog-tiles",
    summary = "A Merkle tree tile",
    description = "A C2SP tlog-tiles hash tile: the concatenated 32-byte hashes of the subtrees of height 8·level \
        at indexes n·256 … n·256 + W. Immutable once served (`Cache-Control: immutable`).",
    params(
        ("level" = u8, Path, description = "The tile level, 0–63, without leading zeros.", minimum = 0, maximum = 63),
        (
            "path" = String,
            Path,
            description = "The tile index in groups of three digits, each but the last prefixed `x` (`x001/x234/067`), \
                optionally followed by `.p/W` for a partial tile of width W (1–255, no leading zeros). Only the \
                canonical form is served (no leading `x000/` group). May contain `/`.",
            example = "x001/234"
        ),
    ),
    responses(
        (status = 200, description = "The tile's hashes, 32 bytes each.", body = Vec<u8>, content_type = "application/octet-stream"),
        (status = 400, description = "`bad_request`: the level or the tile path is not valid.", body = api::Problem, content_type = "application/problem+json"),
        (status = 404, description = "`not_found`: the tree does not (yet) have this tile.", body = api::Problem, content_type = "application/problem+json"),
        (status = 500, description = "`internal`: the server could not complete the request.", body = api::Problem, content_type = "application/problem+json"),
    )
)]
pub async fn tile(
    state: web::Data<AppState>,
    path: web::Path<(String, String)>,
) -> Result<HttpResponse, ApiError> {
    let (level, rest) = path.into_inner();
    let level = parse_level(&level)?;
    let (n, width) = parse_tile_path(&rest)?;
    let bytes = state.reads.tile(level, n, width).await?;
    Ok(HttpResponse::Ok()
        .content_type("application/octet-stream")
        .insert_header((header::CACHE_CONTROL, IMMUTABLE))
        .body(bytes))
}

#[utoipa::path(
    get,
    path = "/tile/entries/{path}",
    tag = "tlog-tiles",
    summary = "An entry bundle",
    description = "A C2SP tlog-tiles entry bundle: entries n·256 … n·256 + W, each as its leaf bytes (the entry's \
        RFC 8785 canonical JSON) prefixed by their length as a big-endian u16. Immutable once served.",
    params(
        (
            "path" = String,
            Path,
            description = "The tile index in groups of three digits, each but the last prefixed `x` (`x001/x234/067`), \
                optionally followed by `.p/W` for a partial tile of width W (1–255, no leading zeros). Only the \
                canonical form is served (no leading `x000/` group). May contain `/`.",
            example = "x001/234"
        ),
    ),
    responses(
        (status = 200, description = "The entry bundle.", body = Vec<u8>, content_type = "application/octet-stream"),
        (status = 400, description = "`bad_request`: the tile path is not valid.", body = api::Problem, content_type = "application/problem+json"),
        (status = 404, description = "`not_found`: the log does not (yet) have these entries.", body = api::Problem, content_type = "application/problem+json"),
        (status = 500, description = "`internal`: the server could not complete the request.", body = api::Problem, content_type = "application/problem+json"),
    )
)]
pub async fn entry_bundle(
    state: web::Data<AppState>,
    path: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let rest = path.into_inner();
    let (n, width) = parse_tile_path(&rest)?;
    let bytes = state.reads.entry_bundle(n, width).await?;
    Ok(HttpResponse::Ok()
        .content_type("application/octet-stream")
        .insert_header((header::CACHE_CONTROL, IMMUTABLE))
        .body(bytes))
}

#[derive(Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct Range {
    /// The first index (default 0).
    #[serde(default, deserialize_with = "safe_option")]
    #[param(maximum = 9_007_199_254_740_991.0)]
    start: Option<u64>,
    /// One past the last index (default and cap: the log's size; at most 1,000 entries are
    /// returned).
    #[serde(default, deserialize_with = "safe_option")]
    #[param(maximum = 9_007_199_254_740_991.0)]
    end: Option<u64>,
}

/// An index or size no JSON reader rounds: at most 2^53 − 1.
fn safe<'de, D: serde::Deserializer<'de>>(d: D) -> Result<u64, D::Error> {
    let v = u64::deserialize(d)?;
    if v > MAX_SAFE_INTEGER {
        return Err(serde::de::Error::custom(format!("{v} is above 2^53 − 1, the largest index or size")));
    }
    Ok(v)
}

fn safe_option<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Option<u64>, D::Error> {
    safe(d).map(Some)
}

#[utoipa::path(
    get,
    path = "/api/entries",
    tag = "log",
    summary = "A range of entries",
    description = "Entries `start ≤ index < end`, at most 1,000, with their leaf hashes and record ids. A range beyond \
        the log, or with `end` before `start`, is an empty page.",
    params(Range),
    responses(
        (status = 200, description = "The entries.", body = api::EntryPage, content_type = "application/json"),
        (status = 400, description = "`bad_request`: the query string does not parse (an unknown parameter, a value that is not a number).", body = api::Problem, content_type = "application/problem+json"),
        (status = 500, description = "`internal`: the server could not complete the request.", body = api::Problem, content_type = "application/problem+json"),
    )
)]
pub async fn entries(state: web::Data<AppState>, q: web::Query<Range>) -> Result<HttpResponse, ApiError> {
    Ok(HttpResponse::Ok().json(state.reads.entries(q.start, q.end).await?))
}

#[utoipa::path(
    get,
    path = "/api/entries/{index}",
    tag = "log",
    summary = "One entry",
    description = "Entry `index` with its leaf hash and record id. Immutable once served.",
    params(
        ("index" = u64, Path, description = "The entry's index, from 0."),
    ),
    responses(
        (status = 200, description = "The entry.", body = api::EntryView, content_type = "application/json"),
        (status = 400, description = "`bad_request`: the index is not a non-negative integer.", body = api::Problem, content_type = "application/problem+json"),
        (status = 404, description = "`not_found`: no entry at this index.", body = api::Problem, content_type = "application/problem+json"),
        (status = 500, description = "`internal`: the server could not complete the request.", body = api::Problem, content_type = "application/problem+json"),
    )
)]
pub async fn entry(state: web::Data<AppState>, index: web::Path<String>) -> Result<HttpResponse, ApiError> {
    let index = canonical_index(&index)?;
    let entry = state.reads.entry(index).await?;
    Ok(HttpResponse::Ok().insert_header((header::CACHE_CONTROL, IMMUTABLE)).json(entry))
}

/// An entry index in its one spelling (decimal digits, no sign, no leading zero), so that each
/// immutable answer has one URL.
fn canonical_index(text: &str) -> Result<u64, ApiError> {
    let canonical = !text.is_empty()
        && text.bytes().all(|b| b.is_ascii_digit())
        && (text == "0" || !text.starts_with('0'));
    text.parse().ok().filter(|_| canonical).ok_or_else(|| {
        ApiError::BadRequest(format!(
            "`{text}` is not an entry index (decimal digits, no sign or leading zero)"
        ))
    })
}

#[derive(Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct InclusionQuery {
    /// The leaf's index.
    #[serde(deserialize_with = "safe")]
    #[param(maximum = 9_007_199_254_740_991.0)]
    index: u64,
    /// The size of the tree to prove inclusion in (default: the latest).
    #[serde(default, deserialize_with = "safe_option")]
    #[param(maximum = 9_007_199_254_740_991.0)]
    size: Option<u64>,
}

#[utoipa::path(
    get,
    path = "/api/proofs/inclusion",
    tag = "log",
    summary = "An inclusion proof",
    description = "Proves that leaf `index` is in the tree of `size` leaves (RFC 9162 §2.1.3). Immutable once served.",
    params(InclusionQuery),
    responses(
        (status = 200, description = "The proof.", body = InclusionProof, content_type = "application/json"),
        (status = 400, description = "`bad_request`: the query string does not parse (an unknown parameter, a value that is not a number).", body = api::Problem, content_type = "application/problem+json"),
        (status = 404, description = "`not_found`: the log cannot give this proof (yet): `size` is beyond the log, or `index` is not below it.", body = api::Problem, content_type = "application/problem+json"),
        (status = 500, description = "`internal`: the server could not complete the request.", body = api::Problem, content_type = "application/problem+json"),
    )
)]
pub async fn inclusion(
    state: web::Data<AppState>,
    q: web::Query<InclusionQuery>,
) -> Result<HttpResponse, ApiError> {
    let proof = state.reads.inclusion(q.index, q.size).await?;
    Ok(HttpResponse::Ok().insert_header((header::CACHE_CONTROL, IMMUTABLE)).json(proof))
}

#[derive(Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ConsistencyQuery {
    /// The older tree's size, at least 1.
    #[serde(deserialize_with = "safe")]
    #[param(minimum = 1, maximum = 9_007_199_254_740_991.0)]
    from: u64,
    /// The newer tree's size (default: the latest).
    #[serde(default, deserialize_with = "safe_option")]
    #[param(maximum = 9_007_199_254_740_991.0)]
    to: Option<u64>,
}

#[utoipa::path(
    get,
    path = "/api/proofs/consistency",
    tag = "log",
    summary = "A consistency proof",
    description = "Proves that the tree of `from` leaves is a prefix of the tree of `to` leaves (RFC 9162 §2.1.4). \
        Immutable once served.",
    params(ConsistencyQuery),
    responses(
        (status = 200, description = "The proof.", body = ConsistencyProof, content_type = "application/json"),
        (status = 400, description = "`bad_request`: the query string does not parse (an unknown parameter, a value that is not a number), or `from` is 0.", body = api::Problem, content_type = "application/problem+json"),
        (status = 404, description = "`not_found`: the log cannot give this proof (yet): `to` is beyond the log, or `from` is above `to`.", body = api::Problem, content_type = "application/problem+json"),
        (status = 500, description = "`internal`: the server could not complete the request.", body = api::Problem, content_type = "application/problem+json"),
    )
)]
pub async fn consistency(
    state: web::Data<AppState>,
    q: web::Query<ConsistencyQuery>,
) -> Result<HttpResponse, ApiError> {
    let proof = state.reads.consistency(q.from, q.to).await?;
    Ok(HttpResponse::Ok().insert_header((header::CACHE_CONTROL, IMMUTABLE)).json(proof))
}
