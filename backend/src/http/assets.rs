//! Assets (current state, history with proofs, lineage) and parties.

use actix_web::{HttpResponse, web};
use serde::Deserialize;
use terroir_shared::api::{self, AssetHistory, Direction, Lineage, PartyList};
use terroir_shared::asset::{Asset, AssetId};
use terroir_shared::party::PartyId;
use utoipa::IntoParams;

use super::AppState;
use super::problem::ApiError;

pub(super) fn asset_id(s: &str) -> Result<AssetId, ApiError> {
    s.parse().map_err(|_| ApiError::BadRequest(format!("`{s}` is not an asset id (64 lowercase hex digits)")))
}

#[utoipa::path(
    get,
    path = "/api/assets/{id}",
    tag = "assets",
    summary = "An asset's current state",
    params(
        ("id" = String, Path, description = "The asset id: 64 lowercase hex digits.", pattern = "^[0-9a-f]{64}$"),
    ),
    responses(
        (status = 200, description = "The asset.", body = Asset, content_type = "application/json"),
        (status = 400, description = "`bad_request`: the id is not 64 lowercase hex digits.", body = api::Problem, content_type = "application/problem+json"),
        (status = 404, description = "`not_found`: no such asset.", body = api::Problem, content_type = "application/problem+json"),
        (status = 500, description = "`internal`: the server could not complete the request.", body = api::Problem, content_type = "application/problem+json"),
    )
)]
pub async fn asset(state: web::Data<AppState>, id: web::Path<String>) -> Result<HttpResponse, ApiError> {
    let json = state.reads.asset_json(asset_id(&id)?)?;
    Ok(HttpResponse::Ok().content_type("application/json").body(json))
}

#[utoipa::path(
    get,
    path = "/api/assets/{id}/history",
    tag = "assets",
    summary = "An asset's history with proofs",
    description = "The asset, every entry that touched it with the receipt proving each, the latest checkpoint \
        and the log's verifier key: enough to check the history offline.",
    params(
        ("id" = String, Path, description = "The asset id: 64 lowercase hex digits.", pattern = "^[0-9a-f]{64}$"),
    ),
    responses(
        (status = 200, description = "The history.", body = AssetHistory, content_type = "application/json"),
        (status = 400, description = "`bad_request`: the id is not 64 lowercase hex digits.", body = api::Problem, content_type = "application/problem+json"),
        (status = 404, description = "`not_found`: no such asset.", body = api::Problem, content_type = "application/problem+json"),
        (status = 500, description = "`internal`: the server could not complete the request.", body = api::Problem, content_type = "application/problem+json"),
    )
)]
pub async fn history(state: web::Data<AppState>, id: web::Path<String>) -> Result<HttpResponse, ApiError> {
    Ok(HttpResponse::Ok().json(state.reads.history(asset_id(&id)?).await?))
}

#[derive(Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct LineageQuery {
    /// `up` (default): where the asset came from; `down`: where it went.
    direction: Option<Direction>,
    /// The most assets to return (default 1,000, capped at 10,000).
    #[param(minimum = 0)]
    limit: Option<usize>,
}

/// `direction=up` (default): where it came from; `down`: where it went.
#[utoipa::path(
    get,
    path = "/api/assets/{id}/lineage",
    tag = "assets",
    summary = "An asset's lineage",
    description = "With `direction=up` (the default) the assets it was split, merged or made from, up to the \
        commissioned origins; with `down` what was made from it. Breadth first, without repeats, the \
        asset itself not included.",
    params(
        ("id" = String, Path, description = "The asset id: 64 lowercase hex digits.", pattern = "^[0-9a-f]{64}$"),
        LineageQuery,
    ),
    responses(
        (status = 200, description = "The lineage.", body = Lineage, content_type = "application/json"),
        (status = 400, description = "`bad_request`: the id is not 64 lowercase hex digits, or the query string does not parse (an unknown parameter or direction, a limit that is not a number).", body = api::Problem, content_type = "application/problem+json"),
        (status = 404, description = "`not_found`: no such asset.", body = api::Problem, content_type = "application/problem+json"),
        (status = 500, description = "`internal`: the server could not complete the request.", body = api::Problem, content_type = "application/problem+json"),
    )
)]
pub async fn lineage(
    state: web::Data<AppState>,
    id: web::Path<String>,
    q: web::Query<LineageQuery>,
) -> Result<HttpResponse, ApiError> {
    let id = asset_id(&id)?;
    let lineage = state.reads.lineage(id, q.direction.unwrap_or(Direction::Up), q.limit).await?;
    Ok(HttpResponse::Ok().json(lineage))
}

#[utoipa::path(
    get,
    path = "/api/parties",
    tag = "parties",
    summary = "Every registered party",
    responses(
        (status = 200, description = "The parties.", body = PartyList, content_type = "application/json"),
        (status = 500, description = "`internal`: the server could not complete the request.", body = api::Problem, content_type = "application/problem+json"),
    )
)]
pub async fn parties(state: web::Data<AppState>) -> Result<HttpResponse, ApiError> {
    Ok(HttpResponse::Ok().json(PartyList { parties: state.reads.parties().await? }))
}

#[utoipa::path(
    get,
    path = "/api/parties/{id}",
    tag = "parties",
    summary = "A party and its devices",
    params(
        ("id" = String, Path, description = "The party's Ed25519 public key: 64 lowercase hex digits.", pattern = "^[0-9a-f]{64}$"),
    ),
    responses(
        (status = 200, description = "The party and its device keys, revoked ones included.", body = api::PartyView, content_type = "application/json"),
        (status = 400, description = "`bad_request`: the id is not 64 lowercase hex digits.", body = api::Problem, content_type = "application/problem+json"),
        (status = 404, description = "`not_found`: no such party (or no usable key).", body = api::Problem, content_type = "application/problem+json"),
        (status = 500, description = "`internal`: the server could not complete the request.", body = api::Problem, content_type = "application/problem+json"),
    )
)]
pub async fn party(state: web::Data<AppState>, id: web::Path<String>) -> Result<HttpResponse, ApiError> {
    // 64 hex digits that are no usable Ed25519 key name no party.
    let key = match id.parse() {
        Ok(key) => key,
        Err(_) if id.len() == 64 && id.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f')) => {
            return Err(ApiError::NotFound(format!(
                "party {id}: no party has this key, which is no usable Ed25519 key"
            )));
        }
        Err(_) => return Err(ApiError::BadRequest(format!("`{id}` is not a party key"))),
    };
    Ok(HttpResponse::Ok().json(state.reads.party(PartyId(key)).await?))
}
