//! Assets (current state, history with proofs, lineage) and parties.

use std::sync::Arc;

use actix_web::{HttpResponse, web};
use serde::Deserialize;
use serde_json::json;
use terroir_shared::asset::AssetId;
use terroir_shared::party::PartyId;

use super::AppState;
use super::problem::ApiError;
use crate::service::cache::CachedAsset;
use crate::service::reads;

fn asset_id(s: &str) -> Result<AssetId, ApiError> {
    s.parse().map_err(|_| ApiError::BadRequest(format!("`{s}` is not an asset id (64 lowercase hex digits)")))
}

pub async fn asset(state: web::Data<AppState>, id: web::Path<String>) -> Result<HttpResponse, ApiError> {
    let asset = current(&state, asset_id(&id)?).await?;
    Ok(HttpResponse::Ok().content_type("application/json").body(asset.json.clone()))
}

/// The asset's current state: from the cache, or read and cached.
pub(super) async fn current(state: &AppState, id: AssetId) -> Result<Arc<CachedAsset>, ApiError> {
    let cache = state.ledger.cache();
    if let Some(hit) = cache.get(&id) {
        return Ok(hit);
    }
    let generation = cache.generation();
    let found = state.read(move |conn| Ok(reads::asset(conn, &id)?)).await?;
    let asset = found.ok_or_else(|| ApiError::NotFound(format!("asset {id}")))?;
    Ok(state.ledger.cache().fill(generation, asset))
}

pub async fn history(state: web::Data<AppState>, id: web::Path<String>) -> Result<HttpResponse, ApiError> {
    let id = asset_id(&id)?;
    let found = state.read(move |conn| Ok(reads::history(conn, &id)?)).await?;
    let history = found.ok_or_else(|| ApiError::NotFound(format!("asset {id}")))?;
    let checkpoint = state.ledger.latest_checkpoint().map(|c| c.note);
    Ok(HttpResponse::Ok().json(json!({
        "asset": history.asset,
        "entries": history.entries,
        "checkpoint": checkpoint,
        "verifierKey": state.ledger.vkey(),
    })))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "lowercase")]
pub enum Direction {
    Up,
    Down,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LineageQuery {
    direction: Option<Direction>,
    limit: Option<usize>,
}

/// `direction=up` (default): where it came from; `down`: where it went.
pub async fn lineage(
    state: web::Data<AppState>,
    id: web::Path<String>,
    q: web::Query<LineageQuery>,
) -> Result<HttpResponse, ApiError> {
    let id = asset_id(&id)?;
    let limit = q.limit.unwrap_or(1_000).min(10_000);
    let up = !matches!(q.direction, Some(Direction::Down));
    let found = state
        .read(move |conn| {
            if reads::asset(conn, &id)?.is_none() {
                return Err(ApiError::NotFound(format!("asset {id}")));
            }
            Ok(if up { reads::ancestors(conn, &id, limit)? } else { reads::descendants(conn, &id, limit)? })
        })
        .await?;
    Ok(HttpResponse::Ok()
        .json(json!({ "asset": id, "direction": if up { "up" } else { "down" }, "assets": found })))
}

pub async fn parties(state: web::Data<AppState>) -> Result<HttpResponse, ApiError> {
    let all = state.read(|conn| Ok(reads::parties(conn)?)).await?;
    Ok(HttpResponse::Ok().json(json!({ "parties": all })))
}

pub async fn party(state: web::Data<AppState>, id: web::Path<String>) -> Result<HttpResponse, ApiError> {
    let key = id.parse().map_err(|_| ApiError::BadRequest(format!("`{id}` is not a party key")))?;
    let id = PartyId(key);
    let found = state.read(move |conn| Ok(reads::party(conn, &id)?)).await?;
    Ok(HttpResponse::Ok().json(found.ok_or_else(|| ApiError::NotFound(format!("party {id}")))?))
}
