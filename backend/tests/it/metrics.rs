//! Metrics as Prometheus expects them: the text format 0.0.4 by default and OpenMetrics when
//! `Accept` ranks it higher (as Prometheus's own scrapes do), every request counted by its
//! route's pattern (never its path) and status with its latency, the process and the build,
//! and an answer `promtool check metrics` (Prometheus's own checker) passes.

use actix_web::test as web_test;

use crate::support::*;

/// The Accept header Prometheus 2.x sends when it scrapes.
const PROMETHEUS_ACCEPT: &str = "application/openmetrics-text;version=1.0.0;q=0.5,application/openmetrics-text;version=0.0.1;q=0.4,text/plain;version=0.0.4;q=0.3,*/*;q=0.2";

async fn scrape<S>(app: &S, accept: Option<&str>) -> (String, String)
where
    S: actix_web::dev::Service<
            actix_http::Request,
            Response = actix_web::dev::ServiceResponse,
            Error = actix_web::Error,
        >,
{
    let mut req = web_test::TestRequest::get().uri("/metrics");
    if let Some(accept) = accept {
        req = req.insert_header(("accept", accept));
    }
    let resp = web_test::call_service(app, req.to_request()).await;
    assert_eq!(resp.status().as_u16(), 200);
    let content_type =
        resp.headers().get("content-type").and_then(|v| v.to_str().ok()).unwrap_or_default().to_owned();
    (content_type, String::from_utf8(web_test::read_body(resp).await.to_vec()).expect("utf-8"))
}

#[actix_web::test]
async fn metrics_count_requests_by_route_and_speak_both_formats() {
    let h = Harness::new();
    let app = app(h.state.clone()).await;
    for path in ["/api/assets/00", "/api/assets/11", "/no/such/thing", "/api/log"] {
        get(&app, path).await;
    }
    let (content_type, text) = scrape(&app, None).await;
    assert_eq!(content_type, "text/plain; version=0.0.4; charset=utf-8");
    for line in [
        // Two paths, one route: the pattern is the label, and each status its own series.
        "terroir_http_requests_total{method=\"GET\",route=\"/api/assets/{id}\",status=\"400\"} 2",
        "terroir_http_requests_total{method=\"GET\",route=\"unmatched\",status=\"404\"} 1",
        "terroir_http_requests_total{method=\"GET\",route=\"/api/log\",status=\"200\"} 1",
        "terroir_http_request_duration_seconds_count{method=\"GET\",route=\"/api/assets/{id}\"} 2",
        "# TYPE terroir_http_request_duration_seconds histogram",
        "# TYPE process_cpu_seconds_total counter",
        "# TYPE terroir_build_info gauge",
    ] {
        assert!(text.lines().any(|l| l == line), "{line} in\n{text}");
    }
    assert!(!text.contains("/api/assets/00"), "no path is a label");
    assert!(text.lines().any(|l| l.starts_with("terroir_build_info{version=\"")), "{text}");
    assert!(text.lines().any(|l| l.starts_with("process_resident_memory_bytes ")), "{text}");

    for accept in [PROMETHEUS_ACCEPT, "application/openmetrics-text"] {
        let (content_type, open) = scrape(&app, Some(accept)).await;
        assert_eq!(content_type, "application/openmetrics-text; version=1.0.0; charset=utf-8", "{accept}");
        assert!(open.ends_with("# EOF\n"));
        assert!(open.lines().any(|l| l == "# TYPE terroir_http_requests counter"), "{open}");
    }
    for accept in ["*/*", "text/plain", "text/plain;q=0.9, application/openmetrics-text;q=0.5"] {
        assert_eq!(
            scrape(&app, Some(accept)).await.0,
            "text/plain; version=0.0.4; charset=utf-8",
            "{accept}"
        );
    }

    // Prometheus's own checker takes the text format without a complaint.
    let promtool = tool("TERROIR_PROMTOOL", "promtool");
    let mut child = std::process::Command::new(&promtool)
        .args(["check", "metrics"])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("cannot run {}: {e}", promtool.display()));
    std::io::Write::write_all(&mut child.stdin.take().expect("stdin"), text.as_bytes()).expect("write");
    let out = child.wait_with_output().expect("promtool");
    let said = format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    assert!(out.status.success() && said.trim().is_empty(), "promtool check metrics:\n{said}\non\n{text}");
}
