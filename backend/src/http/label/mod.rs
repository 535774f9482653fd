//! The buyer's scan: the page at a label's URI (in the buyer's language, readable without
//! scripts), its JSON form for apps, the evidence the page's script checks it with, the script
//! itself, label check counts with the signs of a copied label, and the log's key at a
//! well-known path.

mod html;
pub mod words;

use std::fmt::Write as _;
use std::sync::OnceLock;

use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse, web};
use terroir_shared::Hash;
use terroir_shared::api::{self, CheckRequest, ReportList};
use terroir_shared::asset::AssetId;
use terroir_shared::gs1::DigitalLink;

use super::AppState;
use super::problem::ApiError;
use crate::service::label::Label;
pub use html::escape;
use words::Lang;

/// The Ed25519 check for browsers whose WebCrypto has none: the vendored library (see
/// `vendor/README.md`) with the strict check appended, one module.
const ED25519: &str = concat!(include_str!("vendor/noble-ed25519-3.2.0.js"), include_str!("ed25519.js"));

/// A file served under its content hash, so it is cached for good; gzipped once, at start.
struct Static {
    path: String,
    body: &'static str,
    /// Shared by every response: a clone is a reference count.
    gzip: web::Bytes,
}

impl Static {
    fn new(stem: &str, body: &'static str) -> Self {
        let hash = Hash::sha256(body.as_bytes()).to_string();
        let gzip = crate::service::cache::gzip(body.as_bytes());
        Self { path: format!("/static/{stem}.{}.js", hash.get(..16).unwrap_or(&hash)), body, gzip }
    }
}

/// The files under `/static`: the Ed25519 module the page's script loads when needed.
fn statics() -> &'static [Static; 1] {
    static FILES: OnceLock<[Static; 1]> = OnceLock::new();
    FILES.get_or_init(|| [Static::new("ed25519", ED25519)])
}

/// Where the Ed25519 module is served.
pub fn ed25519_path() -> &'static str {
    &statics()[0].path
}

#[utoipa::path(
    get,
    path = "/static/{name}",
    tag = "resolver",
    summary = "The label page's Ed25519 module",
    description = "The Ed25519 module the label page's script loads where the browser's WebCrypto has no \
        Ed25519 (the script itself is written into the page). Its name carries a hash of its content, so it is \
        served with `Cache-Control: immutable`; any other name is not found.",
    params(("name" = String, Path, description = "`ed25519.<16 hex digits>.js`, as the label page names it (`data-ed`).")),
    responses(
        (status = 200, description = "The script.", body = String, content_type = "text/javascript"),
        (status = 404, description = "`not_found`: no such file.", body = api::Problem, content_type = "application/problem+json"),
    )
)]
pub async fn script(req: HttpRequest) -> Result<HttpResponse, ApiError> {
    let file = statics().iter().find(|f| f.path == req.path());
    let file = file.ok_or_else(|| ApiError::NotFound(format!("the file {}", req.path())))?;
    let gzip = !file.gzip.is_empty() && super::accepts_gzip(&req);
    let mut response = HttpResponse::Ok();
    response
        .content_type("text/javascript; charset=utf-8")
        .insert_header((header::CACHE_CONTROL, "public, max-age=31536000, immutable"))
        .insert_header((header::VARY, "Accept-Encoding"))
        .insert_header((header::X_CONTENT_TYPE_OPTIONS, "nosniff"));
    Ok(if gzip {
        response.insert_header((header::CONTENT_ENCODING, "gzip")).body(file.gzip.clone())
    } else {
        response.body(file.body)
    })
}

#[utoipa::path(
    get,
    path = "/.well-known/terroir-log-key",
    tag = "log",
    summary = "The log's verifier key",
    description = "The C2SP signed-note verifier key the log signs its checkpoints with, as plain text: the key \
        every label page pins, published where witnesses, mirrors and buyers can compare it.",
    responses(
        (status = 200, description = "The key and a newline.", body = String, content_type = "text/plain"),
    )
)]
pub async fn log_key(state: web::Data<AppState>) -> HttpResponse {
    HttpResponse::Ok().content_type("text/plain; charset=utf-8").body(format!("{}\n", state.ledger.vkey()))
}

#[utoipa::path(
    get,
    path = "/api/assets/{id}/evidence",
    tag = "assets",
    summary = "What a phone checks a label with",
    description = "The asset and its ancestors (each with its position among the outputs of the record that \
        created it), every entry of their journey, the registrations of the parties named and the \
        authorisations of the station keys that signed, each entry with its inclusion proof in the latest \
        checkpoint, and that checkpoint. Served with `Cache-Control: no-cache`.",
    params(
        ("id" = String, Path, description = "The asset id: 64 lowercase hex digits.", pattern = "^[0-9a-f]{64}$"),
    ),
    responses(
        (status = 200, description = "The evidence.", body = api::Evidence, content_type = "application/json"),
        (status = 400, description = "`bad_request`: the id is not 64 lowercase hex digits.", body = api::Problem, content_type = "application/problem+json"),
        (status = 404, description = "`not_found`: no such asset.", body = api::Problem, content_type = "application/problem+json"),
        (status = 500, description = "`internal`: the server could not complete the request.", body = api::Problem, content_type = "application/problem+json"),
    )
)]
pub async fn evidence(state: web::Data<AppState>, id: web::Path<String>) -> Result<HttpResponse, ApiError> {
    let json = state.labels.evidence(super::assets::asset_id(&id)?).await?;
    Ok(HttpResponse::Ok()
        .content_type("application/json")
        .insert_header((header::CACHE_CONTROL, "no-cache"))
        .body(json))
}

/// Which key of the state map to prove.
#[derive(serde::Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct StateQuery {
    /// The key as its kind spells it: an asset id, a device key or a party id in 64 lowercase
    /// hex digits; an identity as the rules spell it, e.g. `gs1:/01/09506000134352/21/S1`
    /// (the `gs1:` prefix, then the canonical GS1 Digital Link path: GTIN-14, AIs 22, 10, 21
    /// in that order, values percent-encoded but for letters, digits, `-`, `.`, `_`).
    key: String,
}

#[utoipa::path(
    get,
    path = "/api/state/{kind}",
    tag = "log",
    summary = "Prove what the state map holds under a key",
    description = "What the state map (`docs/records.md`, \"State map\") holds under one key, with its proof \
        against the root the latest checkpoint's `terroir-state/v1` line commits to, and that checkpoint with \
        the cosignatures gathered so far. An answer without `value` proves the key holds nothing: for an \
        identity, that no item was ever registered under that code as of the checkpoint. Served with \
        `Cache-Control: no-cache`.",
    params(
        ("kind" = api::StateKind, Path, description = "What the key names."),
        StateQuery,
    ),
    responses(
        (status = 200, description = "The proof and the checkpoint.", body = api::StateAnswer, content_type = "application/json"),
        (status = 400, description = "`bad_request`: an unknown kind, or no key.", body = api::Problem, content_type = "application/problem+json"),
        (status = 404, description = "`not_found`: the log has no checkpoint yet, or the key is not spelled as its kind asks (so nothing can be held under it).", body = api::Problem, content_type = "application/problem+json"),
        (status = 500, description = "`internal`: the server could not complete the request.", body = api::Problem, content_type = "application/problem+json"),
    )
)]
pub async fn state_proof(
    state: web::Data<AppState>,
    kind: web::Path<api::StateKind>,
    query: web::Query<StateQuery>,
) -> Result<HttpResponse, ApiError> {
    let answer = state.labels.state(kind.into_inner(), query.into_inner().key).await?;
    Ok(HttpResponse::Ok().insert_header((header::CACHE_CONTROL, "no-cache")).json(answer))
}

#[utoipa::path(
    post,
    path = "/api/assets/{id}/scans",
    tag = "assets",
    summary = "Count a check of a label",
    description = "Counts one check of the asset's label (no address or other personal data is kept; a coarse \
        region only if the body carries one) and answers the label's counts: how often, when first and last, \
        from which regions, and the signs of a copied label they show. The label page sends this once per \
        browser and asset.",
    params(
        ("id" = String, Path, description = "The asset id: 64 lowercase hex digits.", pattern = "^[0-9a-f]{64}$"),
    ),
    request_body(content = CheckRequest, description = "Optional: the buyer's region.", content_type = "application/json"),
    responses(
        (status = 200, description = "The label's counts.", body = api::Checks, content_type = "application/json"),
        (status = 400, description = "`bad_request`: the id or the region is not valid, or the body is not such an object.", body = api::Problem, content_type = "application/problem+json"),
        (status = 404, description = "`not_found`: no such asset.", body = api::Problem, content_type = "application/problem+json"),
        (status = 500, description = "`internal`: the server could not complete the request.", body = api::Problem, content_type = "application/problem+json"),
    )
)]
pub async fn count_check(
    req: HttpRequest,
    state: web::Data<AppState>,
    id: web::Path<String>,
    body: web::Bytes,
) -> Result<HttpResponse, ApiError> {
    let id = super::assets::asset_id(&id)?;
    let request: CheckRequest = if body.iter().all(u8::is_ascii_whitespace) {
        CheckRequest::default()
    } else {
        serde_json::from_slice(&body).map_err(|e| ApiError::BadRequest(format!("the check: {e}")))?
    };
    let checks = state.labels.check(id, request, client_address(&req, &state.trusted_proxies))?;
    Ok(HttpResponse::Ok().insert_header((header::CACHE_CONTROL, "no-store")).json(checks))
}

/// The address a check comes from: the peer's, or, when the peer is one of the `trusted`
/// reverse proxies, the last address in `X-Forwarded-For` that is not one of them (each proxy
/// appends the address it was reached from; anything to the left of that can be written by the
/// client itself).
fn client_address(req: &HttpRequest, trusted: &[std::net::IpAddr]) -> Option<std::net::IpAddr> {
    let peer = req.peer_addr().map(|a| a.ip())?;
    if !trusted.contains(&peer) {
        return Some(peer);
    }
    let forwarded: Vec<&str> = req
        .headers()
        .get_all("x-forwarded-for")
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .collect();
    for hop in forwarded.iter().rev().map(|h| h.trim()) {
        let address =
            hop.parse::<std::net::IpAddr>().or_else(|_| hop.parse::<std::net::SocketAddr>().map(|a| a.ip()));
        match address {
            Ok(a) if trusted.contains(&a) => continue,
            Ok(a) => return Some(a),
            // Not an address: the proxy's own view is all that can be trusted.
            Err(_) => return Some(peer),
        }
    }
    Some(peer)
}

/// The label page in the buyer's language (kept by the label service while nothing it shows
/// changes).
pub(super) async fn page(
    state: &AppState,
    req: &HttpRequest,
    id: AssetId,
    link: DigitalLink,
) -> Result<HttpResponse, ApiError> {
    let lang = page_lang(req);
    let render = |label: &Label| {
        let canonical = label.asset.gs1.as_ref().unwrap_or(&link);
        let cx = html::PageContext {
            lang,
            link: canonical,
            base_url: &state.base_url,
            vkey: state.ledger.vkey(),
            policy: state.policy.as_deref().unwrap_or_default(),
            max_age: crate::service::witnessing::PAGE_MAX_AGE.as_secs(),
            ed25519: ed25519_path(),
        };
        web::Bytes::from(html::render(label, &cx))
    };
    let page = state
        .labels
        .page(id, lang as usize, super::accepts_gzip(req), render)?
        .ok_or_else(|| ApiError::NotFound(format!("the item {}", link.to_path())))?;
    let mut response = HttpResponse::Ok();
    html::page_headers(&mut response);
    response
        .content_type("text/html; charset=utf-8")
        .insert_header((header::VARY, "Accept, Accept-Language, Accept-Encoding"))
        .insert_header((header::CONTENT_LANGUAGE, lang.tag()));
    // A page kept gzipped goes as it is (the compression middleware leaves an encoded body
    // alone); one built for this request is compressed on its way out.
    if page.gzipped {
        response.insert_header((header::CONTENT_ENCODING, "gzip"));
    }
    Ok(response.body(page.body))
}

pub(super) async fn json(state: &AppState, id: AssetId) -> Result<HttpResponse, ApiError> {
    let answer = state.labels.answer(id)?;
    Ok(HttpResponse::Ok().insert_header((header::VARY, "Accept, Accept-Language")).json(answer))
}

/// The page for a label that cannot be checked, in the buyer's language: a code that is not
/// one, or a ledger that cannot answer now. (A code this ledger never issued gets
/// [`not_issued_page`].)
pub(super) fn error_page(req: &HttpRequest, e: &ApiError) -> HttpResponse {
    use actix_web::ResponseError as _;
    let lang = page_lang(req);
    let w = lang.words();
    let (title, text) = match e.status_code().as_u16() {
        404 => (w.not_found_title, w.not_found),
        400 => (w.bad_code_title, w.bad_code),
        _ => (w.unavailable_title, w.unavailable),
    };
    let mut body = problem_head(req, lang, title, text, "");
    body.push_str("</main></body></html>");
    problem_response(e.status_code(), lang, body)
}

/// The page for a code this ledger never issued: the server's word, and the page's script,
/// which proves it on the phone from the state map (an identity key that holds nothing, against
/// the checkpoint's state root) or says it cannot.
pub(super) fn not_issued_page(state: &AppState, req: &HttpRequest) -> HttpResponse {
    let lang = page_lang(req);
    let w = lang.words();
    let data = format!(
        " data-absent data-key=\"{}\" data-policy=\"{}\" data-max-age=\"{}\" data-ed=\"{}\"",
        escape(state.ledger.vkey()),
        escape(state.policy.as_deref().unwrap_or_default()),
        crate::service::witnessing::PAGE_MAX_AGE.as_secs(),
        ed25519_path(),
    );
    let mut body = problem_head(req, lang, w.not_found_title, w.not_found, &data);
    let _ = write!(
        body,
        "<section id=\"summary\" class=\"card\" aria-live=\"polite\"><p id=\"s-state\">{checking}</p>\
         <p id=\"s-todo\" hidden></p><noscript><p>{noscript}</p></noscript><details id=\"v-detail\">\
         <summary>{checked}</summary><p id=\"v-title\"></p><ul id=\"v-list\"></ul></details></section>\
         <section><h2>{checked}</h2><p><small>{trust}</small></p>\
         <p>{log_key}: <code id=\"log-key\">{key}</code></p></section></main><script type=\"module\">",
        checking = w.checking,
        noscript = w.no_script,
        checked = w.checked,
        trust = w.absent_trust,
        log_key = w.log_key,
        key = escape(state.ledger.vkey()),
    );
    body.push_str(html::SCRIPT);
    body.push_str("</script></body></html>");
    problem_response(actix_web::http::StatusCode::NOT_FOUND, lang, body)
}

fn page_lang(req: &HttpRequest) -> Lang {
    let header = req.headers().get(header::ACCEPT_LANGUAGE).and_then(|v| v.to_str().ok()).unwrap_or("");
    Lang::from_accept_language(header)
}

/// A problem page up to the end of its verdict: `body_data` goes in the `<body>` tag.
fn problem_head(req: &HttpRequest, lang: Lang, title: &str, text: &str, body_data: &str) -> String {
    format!(
        "<!doctype html><html lang=\"{}\"><head><meta charset=\"utf-8\">\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
         <title>{title}</title>{}<style>{}</style></head><body{body_data}><main><section class=\"v v-bad\"><h1>{title}</h1>\
         <p>{text}</p><p><small>{}: <code id=\"uri\">{}</code></small></p></section>",
        lang.tag(),
        html::FAVICON,
        html::STYLE,
        lang.words().code_scanned,
        escape(req.path()),
    )
}

fn problem_response(status: actix_web::http::StatusCode, lang: Lang, body: String) -> HttpResponse {
    let mut response = HttpResponse::build(status);
    html::page_headers(&mut response);
    response
        .content_type("text/html; charset=utf-8")
        .insert_header((header::VARY, "Accept, Accept-Language"))
        .insert_header((header::CONTENT_LANGUAGE, lang.tag()))
        .body(body)
}

#[utoipa::path(
    get,
    path = "/api/reports",
    tag = "assets",
    summary = "Labels buyers reported",
    description = "The labels whose page warned a buyer (a failed check or a likely copy) and who reported them, \
        most recently checked first, at most 1,000: for the ledger's operator to follow up. Reports written in \
        the last half second may not be listed yet.",
    responses(
        (status = 200, description = "The reported labels.", body = ReportList, content_type = "application/json"),
        (status = 500, description = "`internal`: the server could not complete the request.", body = api::Problem, content_type = "application/problem+json"),
    )
)]
pub async fn reports(state: web::Data<AppState>) -> Result<HttpResponse, ApiError> {
    let list = state.labels.reports().await?;
    Ok(HttpResponse::Ok().insert_header((header::CACHE_CONTROL, "no-store")).json(list))
}

#[cfg(test)]
mod tests {
    use std::net::IpAddr;

    use super::client_address;

    fn from(peer: [u8; 4], forwarded: &[&str]) -> Option<IpAddr> {
        let mut req = actix_web::test::TestRequest::get().peer_addr((peer, 40_000).into());
        for f in forwarded {
            req = req.append_header(("x-forwarded-for", *f));
        }
        client_address(&req.to_http_request(), &[[10, 0, 0, 1].into(), [10, 0, 0, 2].into()])
    }

    #[test]
    fn a_client_is_named_by_the_proxies_trusted_and_no_one_else() {
        let ip = |s: &str| s.parse::<IpAddr>().ok();
        // Not a trusted proxy: its header is the client's own word.
        assert_eq!(from([192, 0, 2, 7], &["198.51.100.1"]), ip("192.0.2.7"));
        // A trusted proxy: the last hop it appended, past any proxy of ours and whatever the
        // client wrote to the left.
        assert_eq!(from([10, 0, 0, 1], &["203.0.113.9, 198.51.100.4"]), ip("198.51.100.4"));
        assert_eq!(from([10, 0, 0, 1], &["203.0.113.9", "198.51.100.4, 10.0.0.2"]), ip("198.51.100.4"));
        assert_eq!(from([10, 0, 0, 1], &["[2001:db8::5]:4711"]), ip("2001:db8::5"));
        // No header, only our proxies, or a hop that is not an address: the proxy itself.
        assert_eq!(from([10, 0, 0, 1], &[]), ip("10.0.0.1"));
        assert_eq!(from([10, 0, 0, 1], &["10.0.0.2"]), ip("10.0.0.1"));
        assert_eq!(from([10, 0, 0, 1], &["198.51.100.4, unknown"]), ip("10.0.0.1"));
    }
}
