//! The GS1 Digital Link paths labels encode (`/01/{gtin}/10/{lot}/21/{serial}`): the buyer's
//! page for a phone's browser, the same answer as JSON for apps (content negotiation on
//! `Accept`).

use actix_web::http::Method;
use actix_web::{HttpRequest, HttpResponse, web};
use terroir_shared::asset::gs1_identity_key;
use terroir_shared::gs1::DigitalLink;

use super::problem::ApiError;
use super::{AppState, label};
use crate::service::reads;
use terroir_shared::api;

#[utoipa::path(
    get,
    path = "/01/{rest}",
    tag = "resolver",
    summary = "Resolve a GS1 Digital Link",
    description = "The path a label's QR code encodes, `/01/{gtin}` optionally followed by `/22/{cpv}`, \
        `/10/{lot}` and `/21/{serial}` (numeric AIs or their short names). Answers the asset it identifies: \
        the buyer's page (in English or Chinese after `Accept-Language`, with a script that checks every \
        record, proof and checkpoint in the browser) when the `Accept` header ranks `text/html` above \
        `application/json` (by quality, then by order), or accepts it without JSON; otherwise JSON: the asset's fields, its lineage, the journey \
        of signed records, the parties named and the label's check counts with the signs of a copy. \
        Successful answers carry `Vary: Accept, Accept-Language`.",
    params(
        ("rest" = String, Path, description = "The GTIN and any qualifiers after `/01/`; may contain `/`.", example = "09506000134352/10/ABC123"),
    ),
    responses(
        (status = 200, description = "The asset the link identifies.", content((api::LabelAnswer = "application/json"), (String = "text/html"))),
        (status = 400, description = "`bad_request`: the path is not a GS1 Digital Link.", body = api::Problem, content_type = "application/problem+json"),
        (status = 404, description = "`not_found`: no asset carries this identity.", body = api::Problem, content_type = "application/problem+json"),
        (status = 500, description = "`internal`: the server could not complete the request.", body = api::Problem, content_type = "application/problem+json"),
    )
)]
pub async fn resolve(state: web::Data<AppState>, req: HttpRequest) -> Result<HttpResponse, ApiError> {
    if !matches!(*req.method(), Method::GET | Method::HEAD) {
        return Err(ApiError::MethodNotAllowed { method: req.method().to_string(), allow: "GET, HEAD" });
    }
    // A phone that scanned a bad or unknown label gets a page that says so, not JSON.
    match answer(&state, &req).await {
        Err(ApiError::NotFound(_)) if wants_html(&req) => Ok(label::not_issued_page(&state, &req)),
        Err(e) if wants_html(&req) => Ok(label::error_page(&req, &e)),
        other => other,
    }
}

async fn answer(state: &AppState, req: &HttpRequest) -> Result<HttpResponse, ApiError> {
    let link = DigitalLink::parse(req.path())
        .map_err(|e| ApiError::BadRequest(format!("not a GS1 Digital Link: {e}")))?;
    let key = gs1_identity_key(&link);
    if wants_html(req) {
        return label::page(state, req, key, link).await;
    }
    let cache = state.ledger.cache();
    let id = match cache.holder(&key) {
        Some(id) => id,
        None => {
            let lookup = key.clone();
            let found = state.read_now(|conn| Ok(reads::holder_of(conn, &lookup)?))?;
            let id = found.ok_or_else(|| ApiError::NotFound(format!("the item {}", link.to_path())))?;
            // Identity keys never change holder, so this mapping is safe to keep.
            cache.remember_holder(key, id);
            id
        }
    };
    label::json(state, id).await
}

/// A browser ranks text/html above JSON; API clients ask for JSON or anything.
fn wants_html(req: &HttpRequest) -> bool {
    super::prefers_html(req, false)
}
