//! A GS1-conformant resolver: the item's links as a linkset (RFC 9264) by `linkType` or by
//! `Accept`, one link type by `linkType`, a `Link` header on every answer about an item, a
//! GTIN and a serial without the lot, the short names, the description file, and CORS for the
//! reads.

use actix_web::test as web_test;
use serde_json::Value;

use crate::label::cakes;
use crate::support::*;

const LOT: &str = "/01/09506000134352/10/BL-1";
const CAKE: &str = "/01/09506000134352/10/BL-1/21/007";
const BASE: &str = "http://labels.test";

struct Answer {
    status: u16,
    headers: actix_web::http::header::HeaderMap,
    body: Vec<u8>,
}

impl Answer {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }

    fn json(&self) -> Value {
        serde_json::from_slice(&self.body).expect("json")
    }
}

async fn call<S>(app: &S, req: web_test::TestRequest) -> Answer
where
    S: actix_web::dev::Service<
            actix_http::Request,
            Response = actix_web::dev::ServiceResponse,
            Error = actix_web::Error,
        >,
{
    let resp = web_test::call_service(app, req.to_request()).await;
    let (status, headers) = (resp.status().as_u16(), resp.headers().clone());
    Answer { status, headers, body: web_test::read_body(resp).await.to_vec() }
}

fn get_with(path: &str, accept: &str) -> web_test::TestRequest {
    web_test::TestRequest::get().uri(path).insert_header(("accept", accept))
}

#[actix_web::test]
async fn an_item_answers_its_linkset_its_links_and_a_link_header() {
    let mut h = Harness::new();
    let app = app(h.state.clone()).await;
    let (cake, _) = cakes(&mut h, &app).await;
    let anchor = format!("{BASE}{CAKE}");
    let history = format!("{BASE}/api/assets/{cake}/history");

    // The linkset, asked for by linkType or by Accept.
    for req in [
        get_with(&format!("{CAKE}?linkType=linkset"), "*/*"),
        get_with(&format!("{CAKE}?linkType=all"), "text/html"),
        get_with(CAKE, "application/linkset+json"),
        get_with(CAKE, "application/json;q=0.5, application/linkset+json"),
    ] {
        let answer = call(&app, req).await;
        assert_eq!(answer.status, 200);
        assert_eq!(answer.header("content-type"), Some("application/linkset+json"));
        let set = answer.json();
        let context = &set["linkset"][0];
        assert_eq!(context["anchor"], anchor.as_str(), "{set}");
        assert_eq!(context["https://gs1.org/voc/pip"][0]["href"], anchor.as_str());
        assert_eq!(context["https://gs1.org/voc/pip"][0]["type"], "text/html");
        assert_eq!(context["https://gs1.org/voc/defaultLink"][0]["href"], anchor.as_str());
        assert_eq!(context["https://gs1.org/voc/traceability"][0]["href"], history.as_str());
        for (rel, targets) in context.as_object().expect("object").iter().filter(|(k, _)| *k != "anchor") {
            for target in targets.as_array().expect("targets") {
                assert!(target["href"].as_str().is_some_and(|h| h.starts_with("http")), "{rel}: {target}");
                assert!(target["title"].as_str().is_some_and(|t| !t.is_empty()), "{rel}: {target}");
            }
        }
    }
    // The page and the JSON answer carry the links in their Link header.
    for accept in ["text/html", "application/json"] {
        let answer = call(&app, get_with(CAKE, accept)).await;
        assert_eq!(answer.status, 200, "{accept}");
        let link = answer.header("link").expect("a Link header");
        assert!(
            link.contains(&format!(
                "<{anchor}?linkType=linkset>; rel=\"linkset\"; type=\"application/linkset+json\""
            )),
            "{link}"
        );
        assert!(link.contains(&format!("<{history}>; rel=\"https://gs1.org/voc/traceability\"")), "{link}");
    }
    // One link type: the page itself, or a redirect to the link.
    for pip in ["gs1:pip", "https://gs1.org/voc/pip", "gs1:defaultLink"] {
        let answer = call(&app, get_with(&format!("{CAKE}?linkType={pip}"), "*/*")).await;
        assert_eq!(answer.status, 200, "{pip}");
        assert!(answer.header("content-type").is_some_and(|t| t.starts_with("text/html")), "{pip}");
    }
    let answer = call(&app, get_with(&format!("{CAKE}?linkType=gs1:traceability"), "*/*")).await;
    assert_eq!((answer.status, answer.header("location")), (307, Some(history.as_str())));
    // The item's EPCIS events, each naming it.
    let answer = call(&app, get_with(&format!("{CAKE}?linkType=gs1:epcis"), "*/*")).await;
    assert_eq!(answer.status, 307);
    let events = answer.header("location").expect("location").strip_prefix(BASE).expect("here").to_owned();
    let (status, document) = get(&app, &events).await;
    let list =
        document["epcisBody"]["queryResults"]["resultsBody"]["eventList"].as_array().expect("events").clone();
    assert_eq!(status, 200);
    assert!(
        !list.is_empty() && list.iter().all(|e| terroir_shared::epcis::named(e).contains(&anchor.as_str())),
        "{document}"
    );
    let (status, followed) = get(&app, &format!("/api/assets/{cake}/history")).await;
    assert_eq!((status, followed["asset"]["id"].as_str()), (200, Some(cake.to_string().as_str())));
    // A link type it does not offer, and one nobody defined.
    for other in ["gs1:recallStatus", "gs1:nonsense", "pip"] {
        let answer = call(&app, get_with(&format!("{CAKE}?linkType={other}"), "text/html")).await;
        assert_eq!(answer.status, 404, "{other}");
        assert_eq!(answer.json()["code"], "not_found");
        assert!(answer.json()["detail"].as_str().is_some_and(|d| d.contains("gs1:traceability")));
    }
}

#[actix_web::test]
async fn a_gtin_and_serial_without_the_lot_and_the_short_names_lead_to_the_item() {
    let mut h = Harness::new();
    let app = app(h.state.clone()).await;
    cakes(&mut h, &app).await;
    let answer = call(&app, get_with("/01/09506000134352/21/007?linkType=linkset", "*/*")).await;
    assert_eq!(answer.status, 307);
    assert_eq!(answer.header("location"), Some(format!("{BASE}{CAKE}?linkType=linkset").as_str()));
    let answer = call(&app, get_with("/01/09506000134352/21/999", "*/*")).await;
    assert_eq!(answer.status, 404, "no cake 999");
    for (short, long) in [
        ("/gtin/09506000134352/lot/BL-1", LOT.to_owned()),
        ("/gtin/09506000134352/lot/BL-1/ser/007", CAKE.to_owned()),
        ("/gtin/09506000134352/lot/BL-1?linkType=linkset", format!("{LOT}?linkType=linkset")),
    ] {
        let answer = call(&app, get_with(short, "*/*")).await;
        assert_eq!(
            (answer.status, answer.header("location")),
            (301, Some(format!("{BASE}{long}").as_str())),
            "{short}"
        );
    }
    assert_eq!(
        call(&app, get_with("/gtin/0950600013435/lot/BL-1", "*/*")).await.status,
        400,
        "a bad check digit"
    );

    let answer = call(&app, get_with("/.well-known/gs1resolver", "application/json")).await;
    assert_eq!(answer.status, 200);
    let description = answer.json();
    assert_eq!(description["resolverRoot"], BASE);
    assert_eq!(description["supportedPrimaryKeys"], serde_json::json!(["01"]));
    assert_eq!(description["supportedLinkType"][0]["prefix"], "gs1:");
    assert_eq!(description["supportedLinkType"][0]["namespace"], "https://gs1.org/voc/");
}

#[actix_web::test]
async fn any_web_page_may_read_but_not_write() {
    let h = Harness::new();
    let app = app(h.state.clone()).await;
    let origin = ("origin", "https://partner.example");
    let answer = call(&app, web_test::TestRequest::get().uri("/api/log").insert_header(origin)).await;
    assert_eq!((answer.status, answer.header("access-control-allow-origin")), (200, Some("*")));
    let preflight = |method: &str| {
        web_test::TestRequest::default()
            .method(actix_web::http::Method::OPTIONS)
            .uri("/api/log")
            .insert_header(origin)
            .insert_header(("access-control-request-method", method.to_owned()))
    };
    let answer = call(&app, preflight("GET")).await;
    assert!(answer.status < 300, "{}", answer.status);
    assert!(answer.header("access-control-allow-methods").is_some_and(|m| m.contains("GET")));
    let answer = call(&app, preflight("POST")).await;
    assert!(answer.header("access-control-allow-origin").is_none(), "no POST from another site");
}
