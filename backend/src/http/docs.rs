//! The OpenAPI 3.1 description, generated from the handlers' annotations and the wire
//! contract's own types (`terroir_shared::api` and the records, entries, assets and parties
//! they carry), a self-contained HTML page rendered from it, and the list of problem codes.

use std::collections::BTreeSet;
use std::fmt::Write as _;
use std::sync::OnceLock;

use actix_web::{HttpResponse, ResponseError, web};
use serde_json::Value;
use utoipa::OpenApi;
use utoipa::openapi::RefOr;
use utoipa::openapi::schema::Schema;

use terroir_shared::api;
use terroir_shared::log::{ConsistencyProof, InclusionProof, Receipt};

use super::label::escape;
use super::problem::{self, ApiError};
use super::{AppState, assets, epcis, label, log, records, resolver};

#[derive(OpenApi)]
#[openapi(
    info(
        title = "Terroir ledger API",
        description = "Submit signed farm-produce records; read the transparency log, its proofs, assets and \
            parties. JSON keys are camelCase; hashes, keys and signatures lowercase hex; quantities \
            integers. Every error is an RFC 9457 problem document (`application/problem+json`) with a \
            stable `code`, listed at `/api/problems`."
    ),
    paths(
        records::submit_one,
        records::submit_batch,
        log::info,
        log::entries,
        log::entry,
        log::inclusion,
        log::consistency,
        assets::asset,
        assets::history,
        assets::lineage,
        label::evidence,
        label::count_check,
        label::reports,
        label::state_proof,
        assets::parties,
        assets::party,
        resolver::resolve,
        resolver::short_names,
        resolver::description,
        epcis::events,
        epcis::object_events,
        label::script,
        label::log_key,
        log::checkpoint,
        log::entry_bundle,
        log::tile,
        super::metrics,
        super::healthz,
        openapi,
        page,
        problems,
    ),
    components(schemas(
        Receipt,
        InclusionProof,
        ConsistencyProof,
        api::Problem,
        api::BatchResult,
        api::BatchItem,
        api::EntryView,
        api::EntryPage,
        api::ProvenEntry,
        api::AssetHistory,
        api::Direction,
        api::Lineage,
        api::PartyList,
        api::PartyView,
        api::LogInfo,
        api::ShownAsset,
        api::ProvenLeaf,
        api::Evidence,
        api::StateAnswer,
        api::CloneSign,
        api::Checks,
        api::JourneyItem,
        api::LabelAnswer,
        api::CheckRequest,
        api::ReportList,
        api::Reported,
    )),
    tags(
        (name = "records", description = "Submitting signed records."),
        (name = "log", description = "The log as JSON: its identity, entries and proofs between any two sizes."),
        (name = "assets", description = "Assets: current state, history with proofs, lineage."),
        (name = "parties", description = "Registered organisations and their device keys."),
        (name = "resolver", description = "GS1 Digital Link paths, as printed on labels: a GS1-conformant resolver."),
        (name = "epcis", description = "The ledger's history as GS1 EPCIS 2.0 events, through the EPCIS REST binding's queries."),
        (name = "tlog-tiles", description = "The C2SP tlog-tiles API, for mirrors and witnesses."),
        (name = "operations", description = "Health and metrics."),
        (name = "docs", description = "This description, its page and the problem codes."),
    )
)]
struct ApiDoc;

/// The OpenAPI document: the annotations, the wire contract's schemas from `shared`, plus what
/// the problem catalogue knows (the codes a refused record may carry, per status, and every code
/// in `Problem.code`). It depends on the code alone, so it is built once.
pub fn document() -> &'static utoipa::openapi::OpenApi {
    static DOCUMENT: OnceLock<utoipa::openapi::OpenApi> = OnceLock::new();
    DOCUMENT.get_or_init(build_document)
}

fn build_document() -> utoipa::openapi::OpenApi {
    let mut doc = ApiDoc::openapi();
    let catalogue = problem::catalogue();
    let rule_codes = |status: u16| -> Vec<&'static str> {
        catalogue
            .iter()
            .filter(|e| matches!(e, ApiError::Refused(_)) && e.status_code().as_u16() == status)
            .map(|e| e.code())
            .collect()
    };
    for item in doc.paths.paths.values_mut() {
        let Some(op) = item.post.as_mut() else {
            continue;
        };
        for (status, response) in op.responses.responses.iter_mut() {
            let (Ok(status), RefOr::T(response)) = (status.parse::<u16>(), response) else {
                continue;
            };
            let codes = rule_codes(status);
            if matches!(status, 403 | 409 | 422) && !codes.is_empty() {
                let list: Vec<String> = codes.iter().map(|c| format!("`{c}`")).collect();
                write!(response.description, " Codes: {}.", list.join(", ")).ok();
            }
        }
    }
    if let Some(components) = doc.components.as_mut() {
        components.schemas.extend(terroir_shared::schema::wire_schemas());
        terroir_shared::schema::close(&mut components.schemas);
    }
    if let Some(components) = doc.components.as_mut()
        && let Some(RefOr::T(Schema::Object(problem))) = components.schemas.get_mut("Problem")
        && let Some(RefOr::T(Schema::Object(code))) = problem.properties.get_mut("code")
    {
        code.enum_values = Some(catalogue.iter().map(|e| Value::from(e.code())).collect());
    }
    doc
}

#[utoipa::path(
    get,
    path = "/api/openapi.json",
    tag = "docs",
    summary = "This OpenAPI 3.1 description",
    responses(
        (status = 200, description = "The OpenAPI document.", body = Object, content_type = "application/json"),
    )
)]
pub async fn openapi() -> HttpResponse {
    static JSON: OnceLock<web::Bytes> = OnceLock::new();
    let json = JSON.get_or_init(|| serde_json::to_vec(document()).unwrap_or_default().into());
    HttpResponse::Ok().content_type("application/json").body(json.clone())
}

#[utoipa::path(
    get,
    path = "/api/docs",
    tag = "docs",
    summary = "The API reference as a page",
    description = "Every operation with its parameters, request body and responses, and every schema, rendered \
        on the server from the OpenAPI document; no scripts.",
    responses(
        (status = 200, description = "The page.", body = String, content_type = "text/html"),
    )
)]
pub async fn page(_state: web::Data<AppState>) -> HttpResponse {
    // The document depends on the code alone: rendered once.
    static PAGE: OnceLock<web::Bytes> = OnceLock::new();
    let page = PAGE.get_or_init(|| {
        let doc = serde_json::to_value(document()).unwrap_or(Value::Null);
        render_reference(&doc).into()
    });
    HttpResponse::Ok().content_type("text/html; charset=utf-8").body(page.clone())
}

#[utoipa::path(
    get,
    path = "/api/problems",
    tag = "docs",
    summary = "Every problem code",
    description = "The stable codes of the problem documents the API answers with, their HTTP status and title. \
        A problem's `type` is this page with the code as fragment.",
    responses(
        (status = 200, description = "The page.", body = String, content_type = "text/html"),
    )
)]
pub async fn problems() -> HttpResponse {
    static PAGE: OnceLock<web::Bytes> = OnceLock::new();
    let page = PAGE.get_or_init(|| render_problems().into());
    HttpResponse::Ok().content_type("text/html; charset=utf-8").body(page.clone())
}

const STYLE: &str = "body{font:15px/1.5 system-ui,sans-serif;max-width:60rem;margin:2rem auto;padding:0 1rem;color:#222}\
    code,pre{font-family:ui-monospace,monospace;font-size:13px}\
    pre{background:#f5f5f0;padding:.6rem;overflow:auto}\
    table{border-collapse:collapse;width:100%;margin:.4rem 0}\
    th,td{border:1px solid #ddd;padding:.25rem .5rem;text-align:left;vertical-align:top}\
    th{background:#f5f5f0}\
    section.op{border-top:2px solid #ccc;margin-top:1.5rem}\
    .method{display:inline-block;min-width:3.5rem;font-weight:bold;text-transform:uppercase}\
    .get{color:#1a6b2f}.post{color:#8a4b00}\
    h3{margin-bottom:.2rem}";

const METHODS: [&str; 8] = ["get", "put", "post", "delete", "options", "head", "patch", "trace"];

fn is_problem_code(s: &str) -> bool {
    static CODES: OnceLock<BTreeSet<&'static str>> = OnceLock::new();
    CODES.get_or_init(|| problem::catalogue().iter().map(|e| e.code()).collect()).contains(s)
}

/// Text with `code spans` shown as code, problem codes linked to their entry in
/// `/api/problems`; everything else escaped.
fn prose(s: &str) -> String {
    let mut out = String::new();
    for (i, part) in s.split('`').enumerate() {
        if i % 2 == 1 {
            if is_problem_code(part) {
                write!(out, "<a href=\"/api/problems#{0}\"><code>{0}</code></a>", escape(part)).ok();
            } else {
                write!(out, "<code>{}</code>", escape(part)).ok();
            }
        } else {
            out.push_str(&escape(part));
        }
    }
    out
}

fn anchor(method: &str, path: &str) -> String {
    let slug: String = path.chars().map(|c| if c.is_ascii_alphanumeric() { c } else { '-' }).collect();
    format!("{method}{slug}")
}

/// A short description of a schema, with named schemas linked to their definitions.
fn schema_label(schema: &Value) -> String {
    if let Some(r) = schema.get("$ref").and_then(Value::as_str) {
        let name = r.rsplit('/').next().unwrap_or(r);
        return format!("<a href=\"#schema-{0}\">{0}</a>", escape(name));
    }
    for key in ["oneOf", "anyOf", "allOf"] {
        if let Some(items) = schema.get(key).and_then(Value::as_array) {
            let parts: Vec<String> = items.iter().map(schema_label).collect();
            return parts.join(if key == "allOf" { " &amp; " } else { " | " });
        }
    }
    let types: Vec<String> = match schema.get("type") {
        Some(Value::String(t)) => vec![t.clone()],
        Some(Value::Array(ts)) => ts.iter().filter_map(|t| t.as_str().map(String::from)).collect(),
        _ => vec![],
    };
    let mut label = if types.iter().any(|t| t == "array") {
        let items = schema.get("items").map(schema_label).unwrap_or_default();
        format!("array of {items}")
    } else if types.is_empty() {
        "any".to_owned()
    } else {
        escape(&types.join(" | ")).into_owned()
    };
    if let Some(values) = schema.get("enum").and_then(Value::as_array) {
        let values: Vec<String> =
            values.iter().map(|v| format!("<code>{}</code>", escape(&v.to_string()))).collect();
        write!(label, ": one of {}", values.join(", ")).ok();
    }
    if let Some(p) = schema.get("pattern").and_then(Value::as_str) {
        write!(label, " matching <code>{}</code>", escape(p)).ok();
    }
    if let Some(f) = schema.get("format").and_then(Value::as_str) {
        write!(label, " ({})", escape(f)).ok();
    }
    for (key, word) in [("minimum", "≥"), ("maximum", "≤")] {
        if let Some(n) = schema.get(key) {
            write!(label, " {word} {n}").ok();
        }
    }
    label
}

/// `content` of a request body or response: each media type and its schema.
fn content_list(content: Option<&Value>) -> String {
    let Some(content) = content.and_then(Value::as_object) else {
        return "—".to_owned();
    };
    content
        .iter()
        .map(|(media, c)| {
            let schema = c.get("schema").map(schema_label).unwrap_or_default();
            format!("<code>{}</code> {schema}", escape(media))
        })
        .collect::<Vec<_>>()
        .join("<br>")
}

fn str_at<'a>(v: &'a Value, key: &str) -> &'a str {
    v.get(key).and_then(Value::as_str).unwrap_or_default()
}

/// The whole reference: operations grouped by tag, then the schemas.
pub fn render_reference(doc: &Value) -> String {
    let mut ops: Vec<(String, &str, &str, &Value)> = Vec::new();
    if let Some(paths) = doc.pointer("/paths").and_then(Value::as_object) {
        for (path, item) in paths {
            for method in METHODS {
                if let Some(op) = item.get(method) {
                    let tag = op.pointer("/tags/0").and_then(Value::as_str).unwrap_or("other").to_owned();
                    ops.push((tag, method, path, op));
                }
            }
        }
    }
    let tags: Vec<(String, String)> = doc
        .get("tags")
        .and_then(Value::as_array)
        .map(|ts| {
            ts.iter().map(|t| (str_at(t, "name").to_owned(), str_at(t, "description").to_owned())).collect()
        })
        .unwrap_or_default();

    let title = escape(doc.pointer("/info/title").and_then(Value::as_str).unwrap_or("API"));
    let version = escape(doc.pointer("/info/version").and_then(Value::as_str).unwrap_or(""));
    let mut out = format!(
        "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\">\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
         <title>{title}</title><style>{STYLE}</style></head><body>\
         <h1>{title} <small>{version}</small></h1><p>{}</p>\
         <p><a href=\"/api/openapi.json\">OpenAPI {} document</a> · \
         <a href=\"/api/problems\">Problem codes</a></p><h2>Operations</h2>",
        prose(doc.pointer("/info/description").and_then(Value::as_str).unwrap_or("")),
        escape(str_at(doc, "openapi")),
    );

    // Contents.
    out.push_str("<ul>");
    for (tag, description) in &tags {
        write!(out, "<li><strong>{}</strong> — {}<ul>", escape(tag), prose(description)).ok();
        for (_, method, path, op) in ops.iter().filter(|o| &o.0 == tag) {
            write!(
                out,
                "<li><a href=\"#{}\"><span class=\"method {method}\">{method}</span> <code>{}</code></a> {}</li>",
                anchor(method, path),
                escape(path),
                prose(str_at(op, "summary")),
            )
            .ok();
        }
        out.push_str("</ul></li>");
    }
    out.push_str("</ul>");

    for (_, method, path, op) in &ops {
        write!(
            out,
            "<section class=\"op\" id=\"{}\"><h3><span class=\"method {method}\">{method}</span> <code>{}</code></h3>\
             <p><strong>{}</strong></p>",
            anchor(method, path),
            escape(path),
            prose(str_at(op, "summary")),
        )
        .ok();
        let description = str_at(op, "description");
        if !description.is_empty() {
            write!(out, "<p>{}</p>", prose(description)).ok();
        }
        if let Some(params) = op.get("parameters").and_then(Value::as_array)
            && !params.is_empty()
        {
            out.push_str(
                "<h4>Parameters</h4><table><tr><th>Name</th><th>In</th><th>Required</th><th>Type</th><th>Description</th></tr>",
            );
            for p in params {
                let required = p.get("required").and_then(Value::as_bool).unwrap_or(false);
                write!(
                    out,
                    "<tr><td><code>{}</code></td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
                    escape(str_at(p, "name")),
                    escape(str_at(p, "in")),
                    if required { "yes" } else { "no" },
                    p.get("schema").map(schema_label).unwrap_or_default(),
                    prose(str_at(p, "description")),
                )
                .ok();
            }
            out.push_str("</table>");
        }
        if let Some(body) = op.get("requestBody") {
            let required = body.get("required").and_then(Value::as_bool).unwrap_or(false);
            write!(
                out,
                "<h4>Request body{}</h4><p>{}</p><p>{}</p>",
                if required { " (required)" } else { "" },
                content_list(body.get("content")),
                prose(str_at(body, "description")),
            )
            .ok();
        }
        out.push_str("<h4>Responses</h4><table><tr><th>Status</th><th>Content</th><th>Description</th></tr>");
        if let Some(responses) = op.get("responses").and_then(Value::as_object) {
            for (status, r) in responses {
                write!(
                    out,
                    "<tr><td><strong>{}</strong></td><td>{}</td><td>{}</td></tr>",
                    escape(status),
                    content_list(r.get("content")),
                    prose(str_at(r, "description")),
                )
                .ok();
            }
        }
        out.push_str("</table></section>");
    }

    out.push_str("<h2>Schemas</h2>");
    if let Some(schemas) = doc.pointer("/components/schemas").and_then(Value::as_object) {
        for (name, schema) in schemas {
            write!(out, "<section id=\"schema-{0}\"><h3>{0}</h3>", escape(name)).ok();
            let description = str_at(schema, "description");
            if !description.is_empty() {
                write!(out, "<p>{}</p>", prose(description)).ok();
            }
            let one_key =
                |m: &Value| m.get("properties").and_then(Value::as_object).is_some_and(|p| p.len() == 1);
            match schema.get("oneOf").and_then(Value::as_array) {
                // Tagged from outside (an act): exactly one of these keys.
                Some(members) if members.iter().all(one_key) => {
                    out.push_str(
                        "<p>Exactly one of these keys:</p><table><tr><th>Key</th><th>Type</th></tr>",
                    );
                    for (key, p) in members.iter().filter_map(|m| m["properties"].as_object()).flatten() {
                        write!(
                            out,
                            "<tr><td><code>{}</code></td><td>{}</td></tr>",
                            escape(key),
                            schema_label(p)
                        )
                        .ok();
                    }
                    out.push_str("</table>");
                }
                Some(members) if members.iter().all(|m| m.get("properties").is_some()) => {
                    out.push_str("<p>One of:</p>");
                    for member in members {
                        write!(out, "<h4>{}</h4>", member_name(member)).ok();
                        let description = str_at(member, "description");
                        if !description.is_empty() {
                            write!(out, "<p>{}</p>", prose(description)).ok();
                        }
                        out.push_str(&properties_table(member));
                    }
                }
                _ if schema.get("properties").is_some() => out.push_str(&properties_table(schema)),
                _ => {
                    write!(out, "<p>{}</p>", schema_label(schema)).ok();
                }
            }
            let json = serde_json::to_string_pretty(schema).unwrap_or_default();
            write!(
                out,
                "<details><summary>JSON Schema</summary><pre>{}</pre></details></section>",
                escape(&json)
            )
            .ok();
        }
    }
    out.push_str("</body></html>");
    out
}

/// An object schema's keys as a table: whether each is required, its type and description.
fn properties_table(schema: &Value) -> String {
    let Some(props) = schema.get("properties").and_then(Value::as_object) else {
        return String::new();
    };
    let required: Vec<&str> = schema
        .get("required")
        .and_then(Value::as_array)
        .map(|r| r.iter().filter_map(Value::as_str).collect())
        .unwrap_or_default();
    let mut out =
        String::from("<table><tr><th>Key</th><th>Required</th><th>Type</th><th>Description</th></tr>");
    for (key, p) in props {
        write!(
            out,
            "<tr><td><code>{}</code></td><td>{}</td><td>{}</td><td>{}</td></tr>",
            escape(key),
            if required.contains(&key.as_str()) { "yes" } else { "no" },
            schema_label(p),
            prose(str_at(p, "description")),
        )
        .ok();
    }
    out.push_str("</table>");
    out
}

/// What tells one member of a union from the others: its tag (a key with a single allowed
/// value, such as `kind: "tea_cake"`), its only key (an act's name), or its title.
fn member_name(member: &Value) -> String {
    let props = member.get("properties").and_then(Value::as_object);
    for (key, p) in props.into_iter().flatten() {
        if let Some([value]) = p.get("enum").and_then(Value::as_array).map(Vec::as_slice) {
            return format!("<code>{}: {}</code>", escape(key), escape(&value.to_string()));
        }
    }
    match (props, member.get("title").and_then(Value::as_str)) {
        (_, Some(title)) => escape(title).into_owned(),
        (Some(props), None) if props.len() == 1 => {
            format!("<code>{}</code>", escape(props.keys().next().map_or("", String::as_str)))
        }
        _ => schema_label(member),
    }
}

/// The problem codes page, from the catalogue.
pub fn render_problems() -> String {
    let mut rows = String::new();
    for e in problem::catalogue() {
        let code = e.code();
        write!(
            rows,
            "<tr id=\"{code}\"><td><code>{code}</code></td><td>{}</td><td>{}</td><td>{}</td></tr>",
            e.status_code().as_u16(),
            escape(e.title()),
            escape(&e.to_string()),
        )
        .ok();
    }
    format!(
        "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\">\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
         <title>Terroir problem codes</title><style>{STYLE}</style></head><body>\
         <h1>Problem codes</h1>\
         <p>Every error is an RFC 9457 problem document, <code>application/problem+json</code>: \
         <code>type</code> (this page and the code as fragment), <code>title</code>, <code>status</code>, \
         <code>detail</code> (a sentence about this request) and a stable <code>code</code>. Act on the \
         code, not on the text. A batch answers a refused item with the same document in its result.</p>\
         <p>Some codes carry more members: <code>malformed</code> has <code>path</code>, the JSON path of \
         the offending value; <code>head_conflict</code> has <code>asset</code>, <code>namedHead</code> \
         (the head the record named) and <code>winner</code> (the asset's current head).</p>\
         <p><a href=\"/api/docs\">API reference</a> · <a href=\"/api/openapi.json\">OpenAPI document</a></p>\
         <table><tr><th>Code</th><th>Status</th><th>Title</th><th>Example detail</th></tr>{rows}</table>\
         </body></html>"
    )
}
