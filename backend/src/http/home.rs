//! The server's root: where a newcomer finds the API documentation, the log and, when the
//! ledger has labelled goods, a few labels to open. HTML for a browser, JSON by `Accept`.

use actix_web::{HttpRequest, HttpResponse, web};
use serde_json::json;

use super::AppState;
use super::label::escape;
use super::problem::ApiError;

/// Labels shown on the root page.
const SAMPLES: usize = 3;

pub async fn home(req: HttpRequest, state: web::Data<AppState>) -> Result<HttpResponse, ApiError> {
    let labels = state.reads.sample_labels(SAMPLES).await?;
    let size = state.ledger.size();
    let base = state.base_url.trim_end_matches('/');
    let links = [
        ("API documentation", "/api/docs"),
        ("OpenAPI 3.1 description", "/api/openapi.json"),
        ("problem codes", "/api/problems"),
        ("the log: origin, size, rules, latest checkpoint", "/api/log"),
        ("latest checkpoint (C2SP tlog-checkpoint)", "/checkpoint"),
        ("the log's verifier key", "/.well-known/terroir-log-key"),
        ("metrics", "/metrics"),
    ];
    let wants_json = !super::prefers_html(&req, true);
    if wants_json {
        return Ok(HttpResponse::Ok().json(json!({
            "name": "Terroir ledger",
            "origin": state.ledger.identity().origin,
            "size": size,
            "rules": state.ledger.rules(),
            "links": links.iter().map(|(what, path)| json!({"title": what, "href": format!("{base}{path}")})).collect::<Vec<_>>(),
            "labels": labels.iter().map(|l| format!("{base}{l}")).collect::<Vec<_>>(),
        })));
    }
    let mut html = String::with_capacity(2_048);
    html.push_str(
        "<!doctype html><html lang=\"en\"><meta charset=\"utf-8\"><meta name=\"viewport\" content=\"width=device-width\">\
         <title>Terroir ledger</title><style>body{font:16px/1.5 system-ui,sans-serif;max-width:40rem;margin:2rem auto;padding:0 1rem}code{word-break:break-all}</style>\
         <h1>Terroir ledger</h1>",
    );
    html.push_str(&format!(
        "<p>Log <code>{}</code>: {size} entries, rules version {}.</p><ul>",
        escape(&state.ledger.identity().origin),
        state.ledger.rules()
    ));
    for (what, path) in links {
        html.push_str(&format!("<li><a href=\"{path}\">{what}</a></li>"));
    }
    html.push_str("</ul>");
    if !labels.is_empty() {
        html.push_str("<h2>Labels to open</h2><p>What a label's QR code opens: the buyer's page.</p><ul>");
        for l in &labels {
            let l = escape(l);
            html.push_str(&format!("<li><a href=\"{l}\"><code>{l}</code></a></li>"));
        }
        html.push_str("</ul>");
    }
    Ok(HttpResponse::Ok().content_type("text/html; charset=utf-8").body(html))
}
