//! The API's own description: the OpenAPI 3.1 document covers exactly the routes served, and
//! the HTML reference and problem pages are complete.

use std::collections::BTreeSet;

use serde_json::Value;
use terroir_backend::http::problem;

use crate::support::*;

/// Every route `http::routes` registers, as OpenAPI spells it (`{path:.*}` becomes `{path}`).
/// Add a route there and here together.
const ROUTES: &[(&str, &str)] = &[
    ("get", "/checkpoint"),
    ("get", "/tile/entries/{path}"),
    ("get", "/tile/{level}/{path}"),
    ("post", "/api/records"),
    ("post", "/api/records/batch"),
    ("get", "/api/log"),
    ("get", "/api/entries"),
    ("get", "/api/entries/{index}"),
    ("get", "/api/proofs/inclusion"),
    ("get", "/api/proofs/consistency"),
    ("get", "/api/assets/{id}"),
    ("get", "/api/assets/{id}/history"),
    ("get", "/api/assets/{id}/lineage"),
    ("get", "/api/assets/{id}/evidence"),
    ("post", "/api/assets/{id}/scans"),
    ("get", "/api/reports"),
    ("get", "/api/state/{kind}"),
    ("get", "/api/parties"),
    ("get", "/api/parties/{id}"),
    ("get", "/api/openapi.json"),
    ("get", "/api/docs"),
    ("get", "/api/problems"),
    ("get", "/metrics"),
    ("get", "/healthz"),
    ("get", "/01/{rest}"),
    ("get", "/gtin/{rest}"),
    ("get", "/.well-known/gs1resolver"),
    ("get", "/events"),
    ("get", "/epcs/{epc}/events"),
    ("get", "/.well-known/terroir-log-key"),
    ("get", "/static/{name}"),
];

const METHODS: [&str; 8] = ["get", "put", "post", "delete", "options", "head", "patch", "trace"];

async fn document() -> Value {
    let h = Harness::new();
    let app = app(h.state.clone()).await;
    let (status, doc) = get(&app, "/api/openapi.json").await;
    assert_eq!(status, 200);
    doc
}

#[actix_web::test]
async fn the_document_is_openapi_3_1_and_covers_every_route() {
    let doc = document().await;
    assert_eq!(doc["openapi"], "3.1.0");
    let paths = doc["paths"].as_object().expect("paths");
    let documented: BTreeSet<(String, String)> = paths
        .iter()
        .flat_map(|(path, item)| {
            METHODS.iter().filter(|m| item.get(**m).is_some()).map(move |m| (m.to_string(), path.clone()))
        })
        .collect();
    let served: BTreeSet<(String, String)> =
        ROUTES.iter().map(|(m, p)| (m.to_string(), p.to_string())).collect();
    assert_eq!(served.len(), ROUTES.len(), "a route is listed twice");
    let undocumented: Vec<_> = served.difference(&documented).collect();
    let unserved: Vec<_> = documented.difference(&served).collect();
    assert!(undocumented.is_empty(), "not in the document: {undocumented:?}");
    assert!(unserved.is_empty(), "documented but not served: {unserved:?}");
}

#[actix_web::test]
async fn every_operation_is_described() {
    let doc = document().await;
    let mut operation_ids = BTreeSet::new();
    for (path, item) in doc["paths"].as_object().expect("paths") {
        for method in METHODS {
            let Some(op) = item.get(method) else { continue };
            let at = format!("{method} {path}");
            assert!(op["summary"].as_str().is_some_and(|s| !s.is_empty()), "{at}: summary");
            assert!(op["tags"].as_array().is_some_and(|t| !t.is_empty()), "{at}: tag");
            assert!(
                operation_ids.insert(op["operationId"].as_str().expect("operationId").to_owned()),
                "{at}: operationId repeated"
            );
            // Every `{name}` in the path is a required path parameter.
            let params = op["parameters"].as_array().cloned().unwrap_or_default();
            for name in path.split('{').skip(1).filter_map(|s| s.split('}').next()) {
                assert!(
                    params.iter().any(|p| p["name"] == name && p["in"] == "path" && p["required"] == true),
                    "{at}: path parameter {name}"
                );
            }
            let responses = op["responses"].as_object().expect("responses");
            assert!(
                responses.keys().any(|s| s.starts_with('2') || s.starts_with('3')),
                "{at}: no success response"
            );
            for (status, r) in responses {
                if status.starts_with('3') {
                    // A redirect has no body; it says where it goes.
                    assert!(r["headers"]["Location"].is_object(), "{at} {status}: Location");
                    continue;
                }
                let content = r["content"].as_object().unwrap_or_else(|| panic!("{at} {status}: content"));
                assert!(!content.is_empty(), "{at} {status}: content");
                if status.starts_with('4') || status.starts_with('5') {
                    assert!(
                        content.contains_key("application/problem+json"),
                        "{at} {status}: errors are problem documents"
                    );
                }
            }
            if method == "post" {
                let body = &op["requestBody"]["content"]["application/json"]["schema"];
                assert!(!body.is_null(), "{at}: request body schema");
            }
        }
    }
}

/// The query parameters each handler's `web::Query` accepts.
#[actix_web::test]
async fn query_parameters_are_documented() {
    let doc = document().await;
    for (path, expected) in [
        ("/api/entries", &[("start", false), ("end", false)][..]),
        ("/api/proofs/inclusion", &[("index", true), ("size", false)]),
        ("/api/proofs/consistency", &[("from", true), ("to", false)]),
        ("/api/assets/{id}/lineage", &[("direction", false), ("limit", false)]),
    ] {
        let query: BTreeSet<(String, bool)> = doc["paths"][path]["get"]["parameters"]
            .as_array()
            .expect("parameters")
            .iter()
            .filter(|p| p["in"] == "query")
            .map(|p| (p["name"].as_str().expect("name").to_owned(), p["required"] == true))
            .collect();
        let expected: BTreeSet<(String, bool)> = expected.iter().map(|(n, r)| (n.to_string(), *r)).collect();
        assert_eq!(query, expected, "{path}");
    }
}

#[actix_web::test]
async fn the_schemas_mirror_the_wire_format() {
    let doc = document().await;
    let schemas = &doc["components"]["schemas"];
    let hex64 = "^[0-9a-f]{64}$";
    assert_eq!(schemas["Hash"]["pattern"], hex64);
    assert_eq!(schemas["PublicKey"]["pattern"], hex64);
    assert_eq!(schemas["Signature"]["pattern"], "^[0-9a-f]{128}$");
    let keys = |name: &str| -> BTreeSet<String> {
        schemas[name]["properties"]
            .as_object()
            .unwrap_or_else(|| panic!("{name} properties"))
            .keys()
            .cloned()
            .collect()
    };
    let set = |ks: &[&str]| ks.iter().map(|k| k.to_string()).collect::<BTreeSet<_>>();
    assert_eq!(keys("Envelope"), set(&["record", "signature"]));
    assert_eq!(keys("Record"), set(&["origin", "party", "signer", "at", "act"]));
    assert_eq!(keys("Receipt"), set(&["index", "leafHash", "prev", "checkpoint", "inclusion"]));
    assert_eq!(keys("InclusionProof"), set(&["index", "size", "path"]));
    assert_eq!(keys("ConsistencyProof"), set(&["oldSize", "newSize", "path"]));
    assert_eq!(keys("EntryView"), set(&["index", "leafHash", "recordId", "entry"]));
    assert_eq!(keys("Quantity"), set(&["amount", "unit"]));
    assert_eq!(schemas["Quantity"]["properties"]["amount"]["type"], "integer");
    let codes: Vec<Value> = problem::catalogue().iter().map(|e| Value::from(e.code())).collect();
    assert_eq!(schemas["Problem"]["properties"]["code"]["enum"], Value::from(codes));
}

#[actix_web::test]
async fn the_pages_list_every_path_and_code() {
    let h = Harness::new();
    let app = app(h.state.clone()).await;

    let (status, page) = get_bytes(&app, "/api/docs", "text/html").await;
    assert_eq!(status, 200);
    let page = String::from_utf8(page).expect("utf-8");
    assert!(page.starts_with("<!doctype html>"));
    for (method, path) in ROUTES {
        assert!(page.contains(&format!("<code>{path}</code>")), "{path}");
        assert!(page.contains(&format!("id=\"{method}")), "{method}");
    }
    for needle in ["application/problem+json", "application/octet-stream", "text/html", "Envelope"] {
        assert!(page.contains(needle), "{needle}");
    }
    for e in problem::catalogue() {
        assert!(page.contains(&format!("<code>&quot;{}&quot;</code>", e.code())), "{}", e.code());
    }
    assert!(!page.contains("<script"), "self-contained, no scripts");
    for external in ["src=\"http", "href=\"http", "url(http", "@import"] {
        assert!(!page.contains(external), "nothing external is loaded ({external})");
    }

    let (status, page) = get_bytes(&app, "/api/problems", "text/html").await;
    assert_eq!(status, 200);
    let page = String::from_utf8(page).expect("utf-8");
    let catalogue = problem::catalogue();
    assert!(catalogue.len() >= 40);
    for e in &catalogue {
        let code = e.code();
        assert!(page.contains(&format!("id=\"{code}\"")), "{code}");
    }
    // Codes a client relies on by name.
    for code in ["malformed", "bad_signature", "head_conflict", "not_found", "internal"] {
        assert!(page.contains(&format!("<code>{code}</code>")), "{code}");
    }
}

/// Extractor failures (a query or path segment that does not parse) are problem documents too.
#[actix_web::test]
async fn extractor_errors_are_problem_documents() {
    let h = Harness::new();
    let app = app(h.state.clone()).await;
    for path in [
        "/api/entries?start=x",
        "/api/entries/x",
        "/api/proofs/inclusion?index=-1",
        "/api/assets/00/lineage?direction=sideways",
    ] {
        let (status, problem) = get(&app, path).await;
        assert_eq!((status, problem["code"].as_str()), (400, Some("bad_request")), "{path}: {problem}");
    }
    let doc = document().await;
    let content = |path: &str, status: &str| {
        doc["paths"][path]["get"]["responses"][status]["content"]
            .as_object()
            .expect("content")
            .keys()
            .cloned()
            .collect::<BTreeSet<_>>()
    };
    assert_eq!(content("/api/entries", "400"), BTreeSet::from(["application/problem+json".to_owned()]));
    assert_eq!(
        content("/api/entries/{index}", "400"),
        BTreeSet::from(["application/problem+json".to_owned()])
    );
}
