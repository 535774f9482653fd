//! HTTP as RFC 9110 and RFC 9457 want it: every GET route answers HEAD with the same status and
//! headers and no body, a method a route does not take is a 405 problem with `Allow`, and a path
//! nothing is routed to is a 404 problem document, not an empty answer.

use actix_web::test as web_test;
use serde_json::Value;

use crate::crash::{free_port, init_ledger, start};
use crate::support::*;

#[actix_web::test]
async fn unrouted_paths_and_wrong_methods_answer_with_problem_documents() {
    let h = Harness::new();
    let app = app(h.state.clone()).await;
    for (method, path, status, allow) in [
        ("GET", "/no/such/thing", 404, None),
        ("GET", "/api/no-such-route", 404, None),
        ("DELETE", "/checkpoint", 405, Some("GET, HEAD")),
        ("POST", "/api/assets/00/history", 405, Some("GET, HEAD")),
        ("GET", "/api/records", 405, Some("POST")),
        ("PUT", "/api/records/batch", 405, Some("POST")),
        ("POST", "/01/09506000134352/10/BL26", 405, Some("GET, HEAD")),
    ] {
        let req =
            web_test::TestRequest::default().method(method.parse().expect("method")).uri(path).to_request();
        let resp = web_test::call_service(&app, req).await;
        assert_eq!(resp.status().as_u16(), status, "{method} {path}");
        let header = |name: &str| resp.headers().get(name).and_then(|v| v.to_str().ok()).map(str::to_owned);
        assert_eq!(header("allow").as_deref(), allow, "{method} {path}");
        assert_eq!(header("content-type").as_deref(), Some("application/problem+json"), "{method} {path}");
        let problem: Value =
            serde_json::from_slice(&web_test::read_body(resp).await).expect("a problem document");
        let code = if status == 404 { "not_found" } else { "method_not_allowed" };
        assert_eq!((problem["status"].as_u64(), problem["code"].as_str()), (Some(status as u64), Some(code)));
        assert!(
            problem["detail"].as_str().is_some_and(|d| d.contains(path) || d.contains(method)),
            "{problem}"
        );
    }
}

#[test]
fn every_get_route_answers_head_without_a_body() {
    let (dir, _) = init_ledger();
    let port = free_port();
    let mut server = start(dir.path(), port);
    let base = format!("http://127.0.0.1:{port}");
    let log: Value = ureq::get(&format!("{base}/api/log")).call().expect("log").into_json().expect("json");
    let operator = log["operator"].as_str().expect("operator").to_owned();
    for path in [
        "/".to_owned(),
        "/checkpoint".to_owned(),
        "/tile/0/000.p/1".to_owned(),
        "/tile/entries/000.p/1".to_owned(),
        "/api/log".to_owned(),
        "/api/entries".to_owned(),
        "/api/entries/0".to_owned(),
        "/api/proofs/inclusion?index=0&size=1".to_owned(),
        format!("/api/parties/{operator}"),
        "/api/parties".to_owned(),
        "/api/openapi.json".to_owned(),
        "/api/problems".to_owned(),
        "/metrics".to_owned(),
        "/healthz".to_owned(),
        "/.well-known/terroir-log-key".to_owned(),
        "/api/assets/0000000000000000000000000000000000000000000000000000000000000000".to_owned(),
    ] {
        let url = format!("{base}{path}");
        let status = |r: Result<ureq::Response, ureq::Error>| match r {
            Ok(r) => {
                (r.status(), r.header("content-type").map(str::to_owned), r.into_string().unwrap_or_default())
            }
            Err(ureq::Error::Status(s, r)) => {
                (s, r.header("content-type").map(str::to_owned), r.into_string().unwrap_or_default())
            }
            Err(e) => panic!("{path}: {e}"),
        };
        let (get_status, get_type, get_body) = status(ureq::get(&url).call());
        let (head_status, head_type, head_body) = status(ureq::head(&url).call());
        assert_eq!((head_status, &head_type), (get_status, &get_type), "{path}");
        assert!(!get_body.is_empty() && head_body.is_empty(), "{path}: HEAD sent {} bytes", head_body.len());
    }
    let _ = server.kill();
    let _ = server.wait();
}
