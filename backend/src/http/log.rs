//! The log's read API: the C2SP tlog-tiles endpoints (`/checkpoint`, `/tile/...`) for mirrors
//! and witnesses, and JSON for entries and proofs between any two sizes.

use actix_web::http::header;
use actix_web::{HttpResponse, web};
use serde::Deserialize;
use serde_json::json;

use super::AppState;
use super::problem::ApiError;
use crate::service::reads;

/// Tiles, bundles, entries and proofs for a fixed size never change.
const IMMUTABLE: &str = "public, max-age=31536000, immutable";

fn size(state: &AppState) -> u64 {
    state.ledger.latest_checkpoint().map_or(0, |c| c.size)
}

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

pub async fn info(state: web::Data<AppState>) -> HttpResponse {
    let cp = state.ledger.latest_checkpoint();
    HttpResponse::Ok().json(json!({
        "origin": state.ledger.identity().origin,
        "verifierKey": state.ledger.vkey(),
        "operator": state.ledger.identity().operator,
        "size": cp.as_ref().map_or(0, |c| c.size),
        "root": cp.as_ref().map(|c| c.root),
        "checkpoint": cp.map(|c| c.note),
    }))
}

/// `N` or `N.p/W` after the level: the tile index (in groups of three digits, each but the last
/// prefixed `x`) and an optional partial width.
fn parse_tile_path(path: &str) -> Result<(u64, u64), ApiError> {
    let bad = || ApiError::BadRequest(format!("`{path}` is not a tile path (x001/x234/067[.p/W])"));
    let (index_part, width) = match path.split_once(".p/") {
        Some((i, w)) => {
            let w: u64 = w.parse().map_err(|_| bad())?;
            if w == 0 || w >= 256 {
                return Err(bad());
            }
            (i, w)
        }
        None => (path, 256),
    };
    let segments: Vec<&str> = index_part.split('/').collect();
    let mut n: u64 = 0;
    for (i, seg) in segments.iter().enumerate() {
        let last = i + 1 == segments.len();
        let digits = if last { *seg } else { seg.strip_prefix('x').ok_or_else(bad)? };
        if digits.len() != 3 || !digits.bytes().all(|b| b.is_ascii_digit()) {
            return Err(bad());
        }
        let d: u64 = digits.parse().map_err(|_| bad())?;
        n = n.checked_mul(1000).and_then(|n| n.checked_add(d)).ok_or_else(bad)?;
    }
    Ok((n, width))
}

pub async fn tile(
    state: web::Data<AppState>,
    path: web::Path<(String, String)>,
) -> Result<HttpResponse, ApiError> {
    let (level, rest) = path.into_inner();
    let level: u8 = level
        .parse()
        .ok()
        .filter(|l| *l < 8)
        .ok_or_else(|| ApiError::BadRequest(format!("bad tile level `{level}`")))?;
    let (n, width) = parse_tile_path(&rest)?;
    let available = size(&state) >> (8 * u32::from(level));
    if n.saturating_mul(256).saturating_add(width) > available {
        return Err(ApiError::NotFound(format!("tile {level}/{rest}")));
    }
    let bytes = state.read(move |conn| Ok(reads::tile(conn, level, n, width)?)).await?;
    Ok(HttpResponse::Ok()
        .content_type("application/octet-stream")
        .insert_header((header::CACHE_CONTROL, IMMUTABLE))
        .body(bytes))
}

pub async fn entry_bundle(
    state: web::Data<AppState>,
    path: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let rest = path.into_inner();
    let (n, width) = parse_tile_path(&rest)?;
    if n.saturating_mul(256).saturating_add(width) > size(&state) {
        return Err(ApiError::NotFound(format!("entry bundle {rest}")));
    }
    let bytes = state.read(move |conn| Ok(reads::entry_bundle(conn, n, width)?)).await?;
    Ok(HttpResponse::Ok()
        .content_type("application/octet-stream")
        .insert_header((header::CACHE_CONTROL, IMMUTABLE))
        .body(bytes))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Range {
    start: Option<u64>,
    end: Option<u64>,
}

pub async fn entries(state: web::Data<AppState>, q: web::Query<Range>) -> Result<HttpResponse, ApiError> {
    let size = size(&state);
    let start = q.start.unwrap_or(0);
    let end = q.end.unwrap_or(size).min(size).min(start.saturating_add(1_000));
    if start > end {
        return Err(ApiError::BadRequest(format!("start {start} is after end {end}")));
    }
    let items = state.read(move |conn| Ok(reads::entries(conn, start, end)?)).await?;
    Ok(HttpResponse::Ok().json(json!({ "start": start, "end": end, "size": size, "entries": items })))
}

pub async fn entry(state: web::Data<AppState>, index: web::Path<u64>) -> Result<HttpResponse, ApiError> {
    let index = index.into_inner();
    let found = state.read(move |conn| Ok(reads::entry(conn, index)?)).await?;
    let entry = found.ok_or_else(|| ApiError::NotFound(format!("entry {index}")))?;
    Ok(HttpResponse::Ok().insert_header((header::CACHE_CONTROL, IMMUTABLE)).json(entry))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct InclusionQuery {
    index: u64,
    size: Option<u64>,
}

pub async fn inclusion(
    state: web::Data<AppState>,
    q: web::Query<InclusionQuery>,
) -> Result<HttpResponse, ApiError> {
    let latest = size(&state);
    let tree = q.size.unwrap_or(latest);
    let index = q.index;
    if tree > latest || index >= tree {
        return Err(ApiError::BadRequest(format!(
            "need index < size ≤ {latest}; got index {index}, size {tree}"
        )));
    }
    let proof = state.read(move |conn| Ok(reads::inclusion(conn, index, tree)?)).await?;
    Ok(HttpResponse::Ok().insert_header((header::CACHE_CONTROL, IMMUTABLE)).json(proof))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ConsistencyQuery {
    from: u64,
    to: Option<u64>,
}

pub async fn consistency(
    state: web::Data<AppState>,
    q: web::Query<ConsistencyQuery>,
) -> Result<HttpResponse, ApiError> {
    let latest = size(&state);
    let (old, new) = (q.from, q.to.unwrap_or(latest));
    if old == 0 || old > new || new > latest {
        return Err(ApiError::BadRequest(format!("need 0 < from ≤ to ≤ {latest}; got from {old}, to {new}")));
    }
    let proof = state.read(move |conn| Ok(reads::consistency(conn, old, new)?)).await?;
    Ok(HttpResponse::Ok().insert_header((header::CACHE_CONTROL, IMMUTABLE)).json(proof))
}

#[cfg(test)]
mod tests {
    use super::parse_tile_path;

    #[test]
    fn tile_paths() {
        assert_eq!(parse_tile_path("000").ok(), Some((0, 256)));
        assert_eq!(parse_tile_path("x001/x234/067").ok(), Some((1_234_067, 256)));
        assert_eq!(parse_tile_path("005.p/17").ok(), Some((5, 17)));
        for bad in ["5", "0005", "x1/000", "001/000", "000.p/0", "000.p/256", "abc"] {
            assert!(parse_tile_path(bad).is_err(), "{bad}");
        }
    }
}
