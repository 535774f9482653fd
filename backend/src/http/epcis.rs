//! The EPCIS 2.0 REST binding's event queries: `GET /events` with the standard query
//! parameters, and `GET /epcs/{epc}/events` for one object.

use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse, web};
use terroir_shared::calendar::Timestamp;
use terroir_shared::epcis;

use super::AppState;
use super::problem::ApiError;
use crate::service::epcis::{DEFAULT_PER_PAGE, EVENT_TYPES, MAX_PER_PAGE, Query, Resume};

/// The parameters understood; any other is refused rather than ignored (a filter silently
/// dropped would answer more than was asked).
const PARAMETERS: [&str; 8] = [
    "eventType",
    "GE_eventTime",
    "LT_eventTime",
    "EQ_bizStep",
    "MATCH_epc",
    "MATCH_anyEPC",
    "perPage",
    "nextPageToken",
];

fn bad(what: String) -> ApiError {
    ApiError::BadRequest(format!("EPCIS query: {what}"))
}

fn time(name: &str, value: &str) -> Result<Timestamp, ApiError> {
    Timestamp::parse_rfc3339(value)
        .ok_or_else(|| bad(format!("{name} `{value}` is not an RFC 3339 time with its offset")))
}

/// The query a request's parameters make.
fn parse(query_string: &str) -> Result<Query, ApiError> {
    let pairs = web::Query::<Vec<(String, String)>>::from_query(query_string)
        .map_err(|e| bad(format!("the query string does not parse: {e}")))?
        .into_inner();
    let mut q = Query { per_page: DEFAULT_PER_PAGE, ..Query::default() };
    let list = |v: &str| {
        v.split(',').map(str::trim).filter(|s| !s.is_empty()).map(str::to_owned).collect::<Vec<_>>()
    };
    for (name, value) in pairs {
        match name.as_str() {
            "eventType" => {
                if list(&value).is_empty() {
                    return Err(bad("eventType names no event type".into()));
                }
                for t in list(&value) {
                    if !EVENT_TYPES.contains(&t.as_str()) {
                        return Err(bad(format!(
                            "`{t}` is not an EPCIS event type ({})",
                            EVENT_TYPES.join(", ")
                        )));
                    }
                    q.event_types.push(t);
                }
            }
            "GE_eventTime" => q.from = Some(time(&name, &value)?),
            "LT_eventTime" => q.before = Some(time(&name, &value)?),
            "EQ_bizStep" => q.biz_steps.extend(list(&value).iter().map(|s| epcis::bare_step(s))),
            "MATCH_epc" | "MATCH_anyEPC" => q.any_epc.extend(list(&value)),
            "perPage" => {
                q.per_page =
                    value.parse().ok().filter(|n| (1..=MAX_PER_PAGE).contains(n)).ok_or_else(|| {
                        bad(format!("perPage is a whole number from 1 to {MAX_PER_PAGE}, not `{value}`"))
                    })?;
            }
            "nextPageToken" => {
                q.resume = Some(
                    Resume::parse(&value)
                        .ok_or_else(|| bad(format!("`{value}` is not a page token this server gave")))?,
                )
            }
            other => {
                return Err(bad(format!(
                    "the parameter `{other}` is not supported (supported: {})",
                    PARAMETERS.join(", ")
                )));
            }
        }
    }
    Ok(q)
}

#[utoipa::path(
    get,
    path = "/events",
    tag = "epcis",
    summary = "EPCIS 2.0 events",
    description = "The ledger's history as GS1 EPCIS 2.0 events (JSON-LD) in an `EPCISQueryDocument`, in log order, \
        through the EPCIS 2.0 REST binding's `SimpleEventQuery` parameters. Commissioning is an ObjectEvent ADD, \
        transformations, splits and merges TransformationEvents, packing and unpacking AggregationEvents, \
        transfers and custody ObjectEvents with source and destination lists, observations ObjectEvents \
        OBSERVE (masses as sensor reports, lab certificates as `certificationInfo`), retirement an ObjectEvent \
        DELETE. Every event carries `terroir:recordId` and `terroir:entryIndex`, the record and the log entry \
        to check it against. A page holds at most `perPage` events; `Link: <…>; rel=\"next\"` continues. \
        Without an EPC a request reads at most 10,000 entries, so a page may be short before the end.",
    params(
        ("eventType" = Option<String>, Query, description = "Comma-separated EPCIS event types.", pattern = "^(ObjectEvent|AggregationEvent|TransactionEvent|TransformationEvent|AssociationEvent)(,(ObjectEvent|AggregationEvent|TransactionEvent|TransformationEvent|AssociationEvent))*$"),
        ("GE_eventTime" = Option<String>, Query, description = "Events at or after this RFC 3339 time (with its offset).", format = DateTime),
        ("LT_eventTime" = Option<String>, Query, description = "Events before this RFC 3339 time (with its offset).", format = DateTime),
        ("EQ_bizStep" = Option<String>, Query, description = "Comma-separated business steps (CBV names or URIs, or `terroir:` steps)."),
        ("MATCH_epc" = Option<String>, Query, description = "Comma-separated EPCs (GS1 Digital Link URIs, any domain, or asset URLs): events naming any, as an object, a class or a parent."),
        ("MATCH_anyEPC" = Option<String>, Query, description = "As `MATCH_epc`."),
        ("perPage" = Option<u32>, Query, description = "Events per page, 1–1,000 (default 30).", minimum = 1, maximum = 1000),
        ("nextPageToken" = Option<String>, Query, description = "From a previous page's `Link: rel=\"next\"`.", pattern = "^[0-9]{1,19}(\\.[0-9]{1,9})?$"),
    ),
    responses(
        (status = 200, description = "An EPCISQueryDocument.", body = serde_json::Value, content_type = "application/ld+json"),
        (status = 400, description = "`bad_request`: a parameter is unknown or its value is not valid.", body = terroir_shared::api::Problem, content_type = "application/problem+json"),
        (status = 500, description = "`internal`: the server could not complete the request.", body = terroir_shared::api::Problem, content_type = "application/problem+json"),
    )
)]
pub async fn events(state: web::Data<AppState>, req: HttpRequest) -> Result<HttpResponse, ApiError> {
    let query = parse(req.query_string())?;
    answer(&state, &req, query).await
}

#[utoipa::path(
    get,
    path = "/epcs/{epc}/events",
    tag = "epcis",
    summary = "EPCIS 2.0 events of one object",
    description = "As `GET /events?MATCH_anyEPC={epc}`: the events naming the object (a GS1 Digital Link URI, \
        percent-encoded, or an asset's URL), with the same other parameters.",
    params(
        ("epc" = String, Path, description = "The EPC, percent-encoded.", example = "https%3A%2F%2Fledger.example.org%2F01%2F09506000134352%2F10%2FBL26"),
    ),
    responses(
        (status = 200, description = "An EPCISQueryDocument.", body = serde_json::Value, content_type = "application/ld+json"),
        (status = 400, description = "`bad_request`: a parameter is unknown or its value is not valid.", body = terroir_shared::api::Problem, content_type = "application/problem+json"),
    )
)]
pub async fn object_events(
    state: web::Data<AppState>,
    req: HttpRequest,
    epc: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let mut query = parse(req.query_string())?;
    query.any_epc.push(epc.into_inner());
    answer(&state, &req, query).await
}

async fn answer(state: &AppState, req: &HttpRequest, query: Query) -> Result<HttpResponse, ApiError> {
    let page = state.events.page(state.base_url.clone(), query).await?;
    let created = Timestamp::from_system_time(std::time::SystemTime::now()).to_rfc3339();
    let mut response = HttpResponse::Ok();
    response
        .content_type("application/ld+json")
        .insert_header(("GS1-EPCIS-Version", "2.0.0"))
        .insert_header(("GS1-CBV-Version", "2.0.0"));
    if let Some(next) = page.next {
        let others: Vec<(String, String)> =
            web::Query::<Vec<(String, String)>>::from_query(req.query_string())
                .map(|q| q.into_inner())
                .unwrap_or_default()
                .into_iter()
                .filter(|(k, _)| k != "nextPageToken")
                .collect();
        let mut params = url_encode(&others);
        if !params.is_empty() {
            params.push('&');
        }
        let link = format!(
            "<{}{}?{params}nextPageToken={}>; rel=\"next\"",
            state.base_url.trim_end_matches('/'),
            req.path(),
            next.token()
        );
        response.insert_header((header::LINK, link));
    }
    Ok(response.body(epcis::query_document(page.events, &created).to_string()))
}

/// `k=v&…`, each part percent-encoded as a query component.
fn url_encode(pairs: &[(String, String)]) -> String {
    let encode = super::uri_component;
    pairs.iter().map(|(k, v)| format!("{}={}", encode(k), encode(v))).collect::<Vec<_>>().join("&")
}
