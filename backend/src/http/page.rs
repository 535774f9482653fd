//! The plain asset page a phone's browser gets at a label's URI: legible at 360 px, no
//! script, no external resource. (The buyer's verifying page builds on it.)

use std::fmt::Write as _;

use terroir_shared::asset::{Asset, Product, Status};
use terroir_shared::gs1::DigitalLink;

use crate::service::reads::PageFacts;

const STYLE: &str = "body{font:16px/1.45 system-ui,sans-serif;margin:0 auto;max-width:40rem;padding:1rem;\
    color:#1d2a1f;overflow-wrap:anywhere}h1{font-size:1.5rem;margin:.2rem 0}h2{font-size:1.1rem;margin-top:1.5rem}\
    dl{display:grid;grid-template-columns:max-content 1fr;gap:.25rem .75rem}dt{color:#5b6b5e}dd{margin:0}\
    ol{padding-left:1.2rem}li{margin:.3rem 0}small,code{color:#5b6b5e}code{font-size:.8rem}";

pub fn render(asset: &Asset, facts: &PageFacts, link: &DigitalLink, base_url: &str) -> String {
    let name =
        |p| facts.names.get(p).map_or_else(|| format!("party {}", short(&p.to_string())), |n| escape(n));
    let mut out = String::with_capacity(4_096);
    let _ = write!(
        out,
        "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\">\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
         <title>{title}</title><style>{STYLE}</style></head><body>\
         <h1>{title}</h1><p><small>{uri}</small></p><dl>",
        title = escape(&title(&asset.product)),
        uri = escape(&link.to_uri(base_url)),
    );
    for (label, value) in details(asset) {
        let _ = write!(out, "<dt>{}</dt><dd>{}</dd>", label, escape(&value));
    }
    let _ = write!(
        out,
        "<dt>Quantity</dt><dd>{}</dd><dt>Status</dt><dd>{}</dd><dt>Owner</dt><dd>{}</dd>\
         <dt>Held by</dt><dd>{}</dd></dl><h2>History</h2><ol>",
        escape(&asset.quantity.to_string()),
        escape(&status(&asset.status, facts)),
        name(&asset.owner),
        name(&asset.custodian),
    );
    for (at, what, by) in &facts.events {
        let _ = write!(
            out,
            "<li>{} — {} <small>by {}</small></li>",
            &at.to_rfc3339()[..10],
            escape(what),
            name(by)
        );
    }
    out.push_str("</ol>");
    if !facts.parents.is_empty() {
        out.push_str("<h2>Made from</h2><ul>");
        for p in &facts.parents {
            let _ = write!(
                out,
                "<li><a href=\"/api/assets/{}\">{}</a> ({})</li>",
                p.id,
                escape(&title(&p.product)),
                escape(&p.quantity.to_string())
            );
        }
        out.push_str("</ul>");
    }
    let _ = write!(
        out,
        "<p><a href=\"/api/assets/{id}/history\">Every record with its proof</a> · \
         <a href=\"/api/assets/{id}/lineage\">Lineage</a></p></body></html>",
        id = asset.id
    );
    out
}

fn title(product: &Product) -> String {
    match product {
        Product::LiveCattle(c) => format!("{} cattle, ear tag {}", c.breed, c.ear_tag.code()),
        Product::Carcass(_) => "Beef carcass".into(),
        Product::BeefCut(c) => format!("Beef: {}", c.cut),
        Product::TeaMaocha(t) => format!("Maocha from {}", t.origin.garden),
        Product::TeaCake(t) => format!("Pu'er tea cake, {} g, {}", t.weight_g, t.origin.garden),
        Product::TeaLot(t) => format!("Lot of Pu'er cakes, {}", t.origin.garden),
        Product::Generic(g) => g.name.clone(),
    }
}

fn details(asset: &Asset) -> Vec<(&'static str, String)> {
    match &asset.product {
        Product::LiveCattle(c) => vec![("Born", c.birth_date.to_string()), ("Holding", c.holding.clone())],
        Product::TeaCake(t) => {
            vec![("Harvest", t.origin.harvest_season.clone()), ("Pressed", t.pressed_on.to_string())]
        }
        Product::TeaLot(t) => {
            vec![("Harvest", t.origin.harvest_season.clone()), ("Pressed", t.pressed_on.to_string())]
        }
        Product::TeaMaocha(t) => vec![("Harvest", t.origin.harvest_season.clone())],
        _ => vec![],
    }
}

fn status(status: &Status, facts: &PageFacts) -> String {
    match status {
        Status::Pledged { financier } => {
            format!(
                "pledged to {}",
                facts.names.get(financier).cloned().unwrap_or_else(|| "a financier".into())
            )
        }
        Status::Contained { .. } => "packed in its lot".into(),
        Status::Retired { reason } => format!("retired: {reason}"),
        other => other.to_string(),
    }
}

fn short(s: &str) -> &str {
    &s[..s.len().min(12)]
}

pub fn escape(s: &str) -> String {
    s.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;").replace('"', "&quot;")
}
