//! A GS1-conformant resolver for the GS1 Digital Link paths labels encode
//! (`/01/{gtin}/10/{lot}/21/{serial}`): the buyer's page for a phone's browser, the same answer
//! as JSON for apps (content negotiation on `Accept`), the item's links as a linkset (RFC 9264)
//! for `?linkType=linkset` (or `all`) or `Accept: application/linkset+json`, one link type
//! with `?linkType=gs1:pip` and the like, and a `Link` header on every answer about an item. A
//! GTIN and a serial without the lot lead to the item's full path; the short names
//! (`/gtin/…/lot/…`) to the numeric one. `/.well-known/gs1resolver` describes it.

use actix_web::http::{Method, StatusCode, header};
use actix_web::{HttpRequest, HttpResponse, web};
use terroir_shared::api;
use terroir_shared::asset::{AssetId, gs1_identity_key};
use terroir_shared::gs1::DigitalLink;
use terroir_shared::gs1::links::{self, LINKSET_MEDIA_TYPE, Link, LinkType};

use super::problem::ApiError;
use super::{AppState, label};

#[utoipa::path(
    get,
    path = "/01/{rest}",
    tag = "resolver",
    summary = "Resolve a GS1 Digital Link",
    description = "The path a label's QR code encodes, `/01/{gtin}` optionally followed by `/22/{cpv}`, \
        `/10/{lot}` and `/21/{serial}` (numeric AIs or their short names), as a GS1-conformant resolver. \
        Answers the asset it identifies: the buyer's page (in English or Chinese after `Accept-Language`, \
        with a script that checks every record, proof and checkpoint in the browser) when the `Accept` \
        header ranks `text/html` first (by quality, then by order); the item's linkset (RFC 9264) when it \
        ranks `application/linkset+json` first or `linkType` is `linkset` or `all`; otherwise JSON: the \
        asset's fields, its lineage, the journey of signed records, the parties named and the label's \
        check counts with the signs of a copy. `linkType=gs1:pip` or `gs1:defaultLink` answers the page, \
        `gs1:traceability` redirects (307) to the signed history, `gs1:epcis` to its EPCIS 2.0 events. A GTIN and a serial without the lot \
        redirect (307) to the item's full path. Every answer about an item carries a `Link` header \
        (its linkset and each link) and `Vary: Accept, Accept-Language`.",
    params(
        ("rest" = String, Path, description = "The GTIN and any qualifiers after `/01/`; may contain `/`.", example = "09506000134352/10/ABC123"),
        ("linkType" = Option<String>, Query, description = "`linkset` or `all` for the linkset; a GS1 link type (`gs1:pip`, `gs1:defaultLink`, `gs1:traceability`, `gs1:epcis`, as a CURIE or its URI) for that link."),
    ),
    responses(
        (status = 200, description = "The asset the link identifies, or its linkset.", content((api::LabelAnswer = "application/json"), (String = "text/html"), (serde_json::Value = "application/linkset+json"))),
        (status = 307, description = "To the link type asked for, or from a GTIN and serial to the item's full path.", headers(("Location" = String, description = "Where to go."))),
        (status = 400, description = "`bad_request`: the path is not a GS1 Digital Link.", body = api::Problem, content_type = "application/problem+json"),
        (status = 404, description = "`not_found`: no asset carries this identity, or it offers no link of the type asked for.", body = api::Problem, content_type = "application/problem+json"),
        (status = 500, description = "`internal`: the server could not complete the request.", body = api::Problem, content_type = "application/problem+json"),
    )
)]
pub async fn resolve(state: web::Data<AppState>, req: HttpRequest) -> Result<HttpResponse, ApiError> {
    if !matches!(*req.method(), Method::GET | Method::HEAD) {
        return Err(ApiError::MethodNotAllowed { method: req.method().to_string(), allow: "GET, HEAD" });
    }
    let wanted = wants(&req).map_err(|asked| {
        ApiError::NotFound(format!(
            "a link of type `{asked}`: this resolver offers {}, `linkset` and `all`",
            offered().iter().map(|t| format!("`{}`", t.curie())).collect::<Vec<_>>().join(", ")
        ))
    })?;
    // A phone that scanned a bad or unknown label gets a page that says so, not JSON.
    match answer(&state, &req, wanted).await {
        Err(ApiError::NotFound(_)) if wanted == Wanted::Page => Ok(label::not_issued_page(&state, &req)),
        Err(e) if wanted == Wanted::Page => Ok(label::error_page(&req, &e)),
        other => other,
    }
}

/// What the request asks for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Wanted {
    Page,
    Json,
    Linkset,
    Link(LinkType),
}

/// The `linkType` asked for, if any: `Err` names one this resolver does not know.
fn link_type(req: &HttpRequest) -> Result<Option<Wanted>, String> {
    let pairs = web::Query::<Vec<(String, String)>>::from_query(req.query_string()).map(|q| q.into_inner());
    let Some(value) = pairs.unwrap_or_default().into_iter().find(|(k, _)| k == "linkType").map(|(_, v)| v)
    else {
        return Ok(None);
    };
    match value.as_str() {
        "linkset" | "all" => Ok(Some(Wanted::Linkset)),
        other => LinkType::parse(other).map(|t| Some(Wanted::Link(t))).ok_or(value),
    }
}

/// `linkType` first, then `Accept`: HTML for a browser, a linkset for a client that ranks it
/// first, JSON for apps and anything else. `Err` names a link type this resolver does not know.
fn wants(req: &HttpRequest) -> Result<Wanted, String> {
    if let Some(w) = link_type(req)? {
        return Ok(w);
    }
    Ok(
        match super::preferred(
            req,
            &[("text", "html"), ("application", "json"), ("application", "linkset+json")],
            1,
        ) {
            0 => Wanted::Page,
            2 => Wanted::Linkset,
            _ => Wanted::Json,
        },
    )
}

async fn answer(state: &AppState, req: &HttpRequest, wanted: Wanted) -> Result<HttpResponse, ApiError> {
    let link = DigitalLink::parse(req.path())
        .map_err(|e| ApiError::BadRequest(format!("not a GS1 Digital Link: {e}")))?;
    let key = gs1_identity_key(&link);
    let id = match state.reads.holder(&key)? {
        Some(id) => id,
        None => return item_by_serial(state, req, &link),
    };
    let links = links_of(state, &link, &id);
    let linkset_href = format!("{}?linkType=linkset", link.to_uri(&state.base_url));
    let mut response = match wanted {
        Wanted::Page | Wanted::Link(LinkType::Pip | LinkType::DefaultLink) => {
            label::page(state, req, id, link.clone()).await?
        }
        Wanted::Json => label::json(state, id).await?,
        Wanted::Linkset => HttpResponse::Ok()
            .content_type(LINKSET_MEDIA_TYPE)
            .insert_header((header::VARY, "Accept, Accept-Language"))
            .body(links::linkset(&link.to_uri(&state.base_url), &links).to_string()),
        Wanted::Link(t) => match links.iter().find(|l| l.rel == t) {
            Some(l) => redirect(StatusCode::TEMPORARY_REDIRECT, &l.href),
            None => {
                return Err(ApiError::NotFound(format!(
                    "a link of type `{}` for {}",
                    t.curie(),
                    link.to_path()
                )));
            }
        },
    };
    if let Ok(value) = header::HeaderValue::from_str(&links::link_header(&linkset_href, &links)) {
        response.headers_mut().insert(header::LINK, value);
    }
    Ok(response)
}

/// A path no label claims: if it names a GTIN and a serial without the lot, the item that
/// carries them under any lot, by a redirect to its full path (the query kept).
fn item_by_serial(state: &AppState, req: &HttpRequest, link: &DigitalLink) -> Result<HttpResponse, ApiError> {
    let not_found = || ApiError::NotFound(format!("the item {}", link.to_path()));
    if link.serial().is_none() || link.lot().is_some() {
        return Err(not_found());
    }
    let found = state.reads.holders_of_serial(link)?;
    match found.as_slice() {
        [(key, _)] => {
            let path = key.strip_prefix("gs1:").ok_or_else(not_found)?;
            let query = req.query_string();
            let target = match query {
                "" => format!("{}{path}", state.base_url),
                q => format!("{}{path}?{q}", state.base_url),
            };
            Ok(redirect(StatusCode::TEMPORARY_REDIRECT, &target))
        }
        [] => Err(not_found()),
        _ => Err(ApiError::NotFound(format!(
            "one item {}: labels of more than one lot carry this serial; name the lot (/10/…)",
            link.to_path()
        ))),
    }
}

fn redirect(status: StatusCode, to: &str) -> HttpResponse {
    HttpResponse::build(status).insert_header((header::LOCATION, to)).finish()
}

/// The link types every item here offers.
fn offered() -> [LinkType; 4] {
    [LinkType::DefaultLink, LinkType::Pip, LinkType::Traceability, LinkType::Epcis]
}

/// The links asset `id`, labelled `link`, offers.
fn links_of(state: &AppState, link: &DigitalLink, id: &AssetId) -> Vec<Link> {
    let page = link.to_uri(&state.base_url);
    let base = state.base_url.trim_end_matches('/');
    offered()
        .into_iter()
        .map(|rel| match rel {
            LinkType::DefaultLink | LinkType::Pip => Link {
                rel,
                href: page.clone(),
                title: "What this label's item is and where it has been, proven on the phone".into(),
                media_type: "text/html",
                hreflang: &["en", "zh"],
            },
            LinkType::Traceability => Link {
                rel,
                href: format!("{base}/api/assets/{id}/history"),
                title: "The item's signed records, each with its receipt from the log".into(),
                media_type: "application/json",
                hreflang: &["en"],
            },
            LinkType::Epcis => Link {
                rel,
                href: format!("{base}/epcs/{}/events", super::uri_component(&page)),
                title: "The item's events as GS1 EPCIS 2.0".into(),
                media_type: "application/ld+json",
                hreflang: &["en"],
            },
        })
        .collect()
}

#[utoipa::path(
    get,
    path = "/gtin/{rest}",
    tag = "resolver",
    summary = "A GS1 Digital Link with short names",
    description = "`/gtin/{gtin}` with `/cpv/`, `/lot/` and `/ser/` qualifiers, the short names GS1 Digital \
        Link 1.1 defines: a permanent redirect (301) to the same link with numeric AIs, query kept.",
    params(
        ("rest" = String, Path, description = "The GTIN and any qualifiers after `/gtin/`; may contain `/`.", example = "09506000134352/lot/ABC123"),
    ),
    responses(
        (status = 301, description = "To the same link with numeric AIs (`/01/…`).", headers(("Location" = String, description = "The same link with numeric AIs."))),
        (status = 400, description = "`bad_request`: the path is not a GS1 Digital Link.", body = api::Problem, content_type = "application/problem+json"),
    )
)]
pub async fn short_names(state: web::Data<AppState>, req: HttpRequest) -> Result<HttpResponse, ApiError> {
    let link = DigitalLink::parse(req.path())
        .map_err(|e| ApiError::BadRequest(format!("not a GS1 Digital Link: {e}")))?;
    let target = match req.query_string() {
        "" => link.to_uri(&state.base_url),
        q => format!("{}?{q}", link.to_uri(&state.base_url)),
    };
    Ok(redirect(StatusCode::MOVED_PERMANENTLY, &target))
}

#[utoipa::path(
    get,
    path = "/.well-known/gs1resolver",
    tag = "resolver",
    summary = "The resolver's description",
    description = "The GS1-Conformant Resolver description file: the resolver's name and root, the primary key \
        it resolves (GTIN, AI 01) and the link type namespace it speaks (GS1 Web Vocabulary, `gs1:`).",
    responses(
        (status = 200, description = "The description file.", body = serde_json::Value, content_type = "application/json"),
    )
)]
pub async fn description(state: web::Data<AppState>) -> HttpResponse {
    HttpResponse::Ok().insert_header((header::CACHE_CONTROL, "public, max-age=3600")).json(
        serde_json::json!({
            "name": format!("Terroir ledger {}", state.ledger.identity().origin),
            "resolverRoot": state.base_url.trim_end_matches('/'),
            "supportedPrimaryKeys": ["01"],
            "supportedLinkType": [{ "namespace": links::VOCABULARY, "prefix": "gs1:" }],
            "linkTypeDefaultCanBeLinkset": false,
        }),
    )
}
