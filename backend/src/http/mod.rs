//! The HTTP API: thin handlers that extract, call a service and map the result. Routes are
//! listed here; one module per resource.

pub mod admission;
mod assets;
pub mod body;
mod docs;
mod epcis;
mod home;
mod label;
mod log;
pub mod problem;
mod records;
mod resolver;

use std::sync::Arc;

use actix_web::{HttpResponse, web};

use crate::metrics::Metrics;
use crate::service::epcis::Events;
use crate::service::intake::Intake;
use crate::service::labels::Labels;
use crate::service::ledger::Ledger;
use crate::service::reader::Reader;
use crate::service::reads::Reads;
use crate::service::scans::ScanCounter;
use problem::ApiError;

/// What every handler can reach: the services it calls and how the server is set up.
pub struct AppState {
    pub ledger: Ledger,
    pub reads: Reads,
    pub labels: Labels,
    pub events: Events,
    pub intake: Intake,
    pub metrics: Arc<Metrics>,
    pub base_url: String,
    pub max_body_bytes: usize,
    /// What the request bodies held at once may add up to.
    pub bodies: body::BodyBudget,
    pub admission: admission::Admission,
    /// The reverse proxies whose `X-Forwarded-For` names the client.
    pub trusted_proxies: Vec<std::net::IpAddr>,
    /// The C2SP tlog-policy label pages require, as its file says it.
    pub policy: Option<String>,
}

/// How the server answers, beside its services.
pub struct Setup {
    pub base_url: String,
    pub max_body_bytes: usize,
    pub trusted_proxies: Vec<std::net::IpAddr>,
    pub policy: Option<String>,
}

impl AppState {
    /// The services over one ledger, reading its database through `reader`.
    pub fn new(
        ledger: Ledger,
        reader: Reader,
        scans: ScanCounter,
        metrics: Arc<Metrics>,
        setup: Setup,
    ) -> Self {
        let reads = Reads::new(ledger.clone(), reader);
        Self {
            labels: Labels::new(reads.clone(), scans),
            events: Events::new(reads.clone()),
            intake: Intake::new(ledger.clone(), metrics.clone()),
            reads,
            ledger,
            metrics,
            base_url: setup.base_url,
            max_body_bytes: setup.max_body_bytes,
            bodies: body::BodyBudget::new(setup.max_body_bytes.saturating_mul(body::BODIES_HELD)),
            admission: admission::Admission::default(),
            trusted_proxies: setup.trusted_proxies,
            policy: setup.policy,
        }
    }
}

pub fn routes(cfg: &mut web::ServiceConfig) {
    // Bad query strings and path segments answer with problem documents too.
    cfg.app_data(
        web::QueryConfig::default().error_handler(|e, _| ApiError::BadRequest(e.to_string()).into()),
    )
    .app_data(web::PathConfig::default().error_handler(|e, _| ApiError::BadRequest(e.to_string()).into()));
    // Every path: a problem document for one nothing is routed to.
    cfg.service(
        web::scope("")
            // Innermost, so that refusals are counted and carry CORS headers.
            .wrap(actix_web::middleware::from_fn(admission::admit))
            .wrap(actix_web::middleware::from_fn(observe))
            .wrap(read_cors())
            // Labels first: the scan is the most frequent request, and a scope's prefix is
            // matched without the regular expression a tail pattern needs (the resolver reads
            // the whole path). The buyer's page and its evidence are compressed (a phone on a
            // slow network); the scripts are served gzipped as stored.
            .service(
                web::scope("/01")
                    .wrap(actix_web::middleware::Compress::default())
                    .default_service(web::to(resolver::resolve)),
            )
            .service(get("/checkpoint", log::checkpoint))
            // Entry bundles are JSON and shrink about fivefold; hash tiles are random bytes.
            .service(
                get("/tile/entries/{path:.*}", log::entry_bundle)
                    .wrap(actix_web::middleware::Compress::default()),
            )
            .service(get("/tile/{level}/{path:.*}", log::tile))
            .service(
                web::scope("/api")
                    .service(post("/records", records::submit_one))
                    .service(post("/records/batch", records::submit_batch))
                    .service(get("/log", log::info))
                    .service(get("/entries", log::entries))
                    .service(get("/entries/{index}", log::entry))
                    .service(get("/proofs/inclusion", log::inclusion))
                    .service(get("/proofs/consistency", log::consistency))
                    .service(get("/assets/{id}", assets::asset))
                    .service(get("/assets/{id}/history", assets::history))
                    .service(get("/assets/{id}/lineage", assets::lineage))
                    .service(
                        get("/assets/{id}/evidence", label::evidence)
                            .wrap(actix_web::middleware::Compress::default()),
                    )
                    .service(post("/assets/{id}/scans", label::count_check))
                    .service(get("/reports", label::reports))
                    .service(get("/state/{kind}", label::state_proof))
                    .service(get("/parties", assets::parties))
                    .service(get("/parties/{id}", assets::party))
                    .service(get("/openapi.json", docs::openapi))
                    .service(get("/docs", docs::page))
                    .service(get("/problems", docs::problems))
                    .default_service(web::to(unrouted)),
            )
            .service(get("/", home::home))
            .service(get("/metrics", metrics))
            .service(get("/healthz", healthz))
            .service(get("/.well-known/terroir-log-key", label::log_key))
            .service(get("/.well-known/gs1resolver", resolver::description))
            .service(get("/gtin/{rest:.*}", resolver::short_names))
            .service(get("/events", epcis::events).wrap(actix_web::middleware::Compress::default()))
            .service(
                get("/epcs/{epc}/events", epcis::object_events)
                    .wrap(actix_web::middleware::Compress::default()),
            )
            .service(get("/static/{name}", label::script))
            .default_service(web::to(unrouted)),
    );
}

/// Any web page may read what the server answers (labels, evidence, the log, the API's
/// reads): nothing it serves is private, and what matters is proven, not trusted. Writes are
/// left to clients that are not browsers on another site (a preflight for POST is refused).
fn read_cors() -> actix_cors::Cors {
    actix_cors::Cors::default()
        .allow_any_origin()
        .send_wildcard()
        .allowed_methods(["GET", "HEAD"])
        .allowed_headers([actix_web::http::header::ACCEPT, actix_web::http::header::ACCEPT_LANGUAGE])
        .expose_headers([actix_web::http::header::LINK, actix_web::http::header::LOCATION])
        .max_age(86_400)
}

/// A resource that answers GET and HEAD (the same answer without its body); any other method
/// is a 405 problem with `Allow`.
fn get<F, Args>(path: &str, handler: F) -> actix_web::Resource
where
    F: actix_web::Handler<Args>,
    Args: actix_web::FromRequest + 'static,
    F::Output: actix_web::Responder + 'static,
{
    let get_or_head = actix_web::guard::Any(actix_web::guard::Get()).or(actix_web::guard::Head());
    web::resource(path)
        .route(web::route().guard(get_or_head).to(handler))
        .default_service(web::to(|req: actix_web::HttpRequest| async move { not_allowed(&req, "GET, HEAD") }))
}

/// A resource that answers POST alone; any other method is a 405 problem with `Allow`.
fn post<F, Args>(path: &str, handler: F) -> actix_web::Resource
where
    F: actix_web::Handler<Args>,
    Args: actix_web::FromRequest + 'static,
    F::Output: actix_web::Responder + 'static,
{
    web::resource(path)
        .route(web::post().to(handler))
        .default_service(web::to(|req: actix_web::HttpRequest| async move { not_allowed(&req, "POST") }))
}

fn not_allowed(req: &actix_web::HttpRequest, allow: &'static str) -> Result<HttpResponse, ApiError> {
    Err(ApiError::MethodNotAllowed { method: req.method().to_string(), allow })
}

/// Which of the `offered` media types (type, subtype) the request's `Accept` ranks first. As
/// RFC 9110 (section 12.5.1) has it, a type takes the quality of the most specific range that
/// matches it (`text/html`, then `text/*`, then `*/*`). At equal quality a type the client
/// named beats one it reached only through a wildcard, and of two it named the first wins; a
/// tie through wildcards alone, no type acceptable, or no `Accept`, goes to `default`.
pub(crate) fn preferred(req: &actix_web::HttpRequest, offered: &[(&str, &str)], default: usize) -> usize {
    use actix_web::http::header::{Accept, Header as _, Quality};
    let Ok(Accept(ranges)) = Accept::parse(req) else { return default };
    // (specificity, quality, position) of the range that decides for a type. A subtype may
    // carry a structured-syntax suffix (`linkset+json`), which must match too.
    let rate = |ty: &str, sub: &str| {
        let (base, suffix) = sub.split_once('+').map_or((sub, None), |(b, s)| (b, Some(s)));
        ranges
            .iter()
            .enumerate()
            .filter_map(|(i, range)| {
                let (t, s) = (range.item.type_().as_str(), range.item.subtype().as_str());
                let same = s == base && range.item.suffix().map(|x| x.as_str()) == suffix;
                let specificity = match (t == ty, same, t == "*" && s == "*", s == "*") {
                    (true, true, _, _) => 2,
                    (true, false, _, true) => 1,
                    (_, _, true, _) => 0,
                    _ => return None,
                };
                Some((specificity, range.quality, i))
            })
            .max_by_key(|(specificity, _, _)| *specificity)
    };
    let rated: Vec<(usize, u8, Quality, usize)> = offered
        .iter()
        .enumerate()
        .filter_map(|(n, (ty, sub))| rate(ty, sub).map(|(s, q, i)| (n, s, q, i)))
        .filter(|(_, _, q, _)| *q > Quality::ZERO)
        .collect();
    let Some(best) = rated.iter().map(|(_, _, q, _)| *q).max() else { return default };
    let top: Vec<&(usize, u8, Quality, usize)> = rated.iter().filter(|(_, _, q, _)| *q == best).collect();
    match top.as_slice() {
        [(n, ..)] => *n,
        tied => tied
            .iter()
            .filter(|(_, s, _, _)| *s == 2)
            .min_by_key(|(_, _, _, i)| *i)
            .map_or(default, |(n, ..)| *n),
    }
}

/// Whether the request's `Accept-Encoding` takes gzip (RFC 9110 §12.5.3: named or `*`, with a
/// quality above zero, and ranked above the body as it is).
pub(crate) fn accepts_gzip(req: &actix_web::HttpRequest) -> bool {
    use actix_web::http::header::{AcceptEncoding, Encoding, Header as _};
    let offered = [Encoding::gzip(), Encoding::identity()];
    AcceptEncoding::parse(req).ok().and_then(|a| a.negotiate(offered.iter())) == Some(Encoding::gzip())
}

/// Whether the request's `Accept` ranks HTML above JSON ([`preferred`]).
pub(crate) fn prefers_html(req: &actix_web::HttpRequest, default_html: bool) -> bool {
    preferred(req, &[("text", "html"), ("application", "json")], usize::from(!default_html)) == 0
}

/// `s` percent-encoded as a URI path segment or query component (RFC 3986: all but the
/// unreserved characters).
pub(crate) fn uri_component(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' => (b as char).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}

/// A path nothing is routed to.
async fn unrouted(req: actix_web::HttpRequest) -> Result<HttpResponse, ApiError> {
    Err(ApiError::NotFound(format!("a resource at {}", req.path())))
}

#[utoipa::path(
    get,
    path = "/metrics",
    tag = "operations",
    summary = "Metrics",
    description = "Records, group commits, HTTP requests by route and status with their latency, label checks, \
        the process and the build, for Prometheus: the text format 0.0.4 unless `Accept` ranks OpenMetrics \
        (`application/openmetrics-text`) higher, as Prometheus's own scrapes do.",
    responses(
        (status = 200, description = "The metrics.", body = String, content_type = "text/plain; version=0.0.4; charset=utf-8"),
    )
)]
async fn metrics(req: actix_web::HttpRequest, state: web::Data<AppState>) -> HttpResponse {
    use crate::metrics::Format;
    let format = match preferred(&req, &[("application", "openmetrics-text"), ("text", "plain")], 1) {
        0 => Format::OpenMetrics,
        _ => Format::Text,
    };
    HttpResponse::Ok().content_type(format.content_type()).body(state.metrics.render(format))
}

/// Counts every request by method, route pattern and status, with its latency.
async fn observe(
    req: actix_web::dev::ServiceRequest,
    next: actix_web::middleware::Next<impl actix_web::body::MessageBody>,
) -> Result<actix_web::dev::ServiceResponse<impl actix_web::body::MessageBody>, actix_web::Error> {
    let started = std::time::Instant::now();
    let metrics = req.app_data::<web::Data<AppState>>().map(|s| s.metrics.clone());
    // Methods as HTTP defines them; anything else one label, so that no client can mint series.
    let method = match req.method().as_str() {
        m @ ("GET" | "HEAD" | "POST" | "PUT" | "DELETE" | "PATCH" | "OPTIONS" | "TRACE" | "CONNECT") => {
            m.to_owned()
        }
        _ => "other".to_owned(),
    };
    let res = next.call(req).await?;
    if let Some(metrics) = metrics {
        let route = res.request().match_pattern().unwrap_or_else(|| "unmatched".into());
        metrics.request(&method, &route, res.status().as_u16(), started.elapsed().as_secs_f64());
    }
    Ok(res)
}

#[utoipa::path(
    get,
    path = "/healthz",
    tag = "operations",
    summary = "Liveness",
    description = "Answers `ok` while the server is up. The answer carries no `Content-Type` header; it is plain text.",
    responses(
        (status = 200, description = "`ok` and a newline.", body = String, content_type = "text/plain"),
    )
)]
async fn healthz() -> HttpResponse {
    HttpResponse::Ok().content_type("text/plain; charset=utf-8").body("ok\n")
}

#[cfg(test)]
mod tests {
    use super::prefers_html;

    #[test]
    fn accept_is_ranked_by_quality_then_by_what_was_named() {
        let html = |accept: Option<&str>, default_html| {
            let mut req = actix_web::test::TestRequest::default();
            if let Some(a) = accept {
                req = req.insert_header(("accept", a));
            }
            prefers_html(&req.to_http_request(), default_html)
        };
        let browser = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8";
        for (accept, default_html, expected) in [
            (Some(browser), false, true),
            (Some("application/json;q=0.1, text/html;q=0.9"), false, true),
            (Some("text/html;q=0.2, application/json"), false, false),
            (Some("application/json, text/html"), true, false),
            (Some("text/html, application/json"), false, true),
            (Some("text/html, */*"), false, true),
            (Some("application/json, */*"), true, false),
            (Some("text/*;q=0.5, application/*;q=0.4"), false, true),
            (Some("text/html;q=0, */*"), true, false),
            (Some("*/*"), false, false),
            (Some("*/*"), true, true),
            (Some("image/png"), true, true),
            (None, false, false),
            (None, true, true),
        ] {
            assert_eq!(html(accept, default_html), expected, "{accept:?} (default html: {default_html})");
        }
    }
}
