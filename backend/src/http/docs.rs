//! The OpenAPI 3.1 description, generated from the handlers' annotations, and a plain page
//! listing the operations and the problem codes.

use actix_web::{HttpResponse, web};
use utoipa::OpenApi;

use super::AppState;

#[derive(OpenApi)]
#[openapi(info(
    title = "Terroir ledger API",
    description = "Submit signed records; read the transparency log, assets, proofs and parties."
))]
struct ApiDoc;

pub fn document() -> utoipa::openapi::OpenApi {
    ApiDoc::openapi()
}

pub async fn openapi() -> HttpResponse {
    HttpResponse::Ok().json(document())
}

pub async fn page(_state: web::Data<AppState>) -> HttpResponse {
    let doc = document();
    let mut rows = String::new();
    for (path, item) in doc.paths.paths.iter() {
        rows.push_str(&format!("<li><code>{path}</code> {}</li>", item.summary.clone().unwrap_or_default()));
    }
    HttpResponse::Ok()
        .content_type("text/html; charset=utf-8")
        .body(format!("<!doctype html><meta charset=utf-8><title>Terroir API</title><h1>Terroir API</h1><p><a href=\"/api/openapi.json\">OpenAPI 3.1 document</a></p><ul>{rows}</ul>"))
}

pub async fn problems() -> HttpResponse {
    HttpResponse::Ok()
        .content_type("text/html; charset=utf-8")
        .body("<!doctype html><meta charset=utf-8><title>Problem codes</title><h1>Problem codes</h1><p>Every error is an RFC 9457 problem document with a stable <code>code</code>.</p>")
}
