//! The buyer's page at a label's URI: readable without scripts at 360 px, no external resource,
//! a few kilobytes. Every line carries what it was rendered from, for the page's script to hold
//! it to the signed records: journey lines and lineage items their record or asset (`data-r`,
//! `data-asset`), each party name its party (`data-p`), each fact and the title the asset
//! fields they show (`data-c`, see [`Claim`]). The asset as shown is embedded as JSON too.

use std::fmt::Write as _;

use terroir_shared::asset::{Asset, Product, Quantity, Status, Unit};
use terroir_shared::calendar::Timestamp;
use terroir_shared::gs1::DigitalLink;
use terroir_shared::party::PartyId;
use terroir_shared::record::{Act, Event};

use super::words::{Gloss, Lang, Words, fill};
use crate::service::label::{Label, LabelEvent};

/// What the page needs besides the label.
pub struct PageContext<'a> {
    pub lang: Lang,
    pub link: &'a DigitalLink,
    pub base_url: &'a str,
    pub vkey: &'a str,
    /// The C2SP tlog-policy the page holds the checkpoint's cosignatures to (empty: none).
    pub policy: &'a str,
    /// How old a cosignature may be and still vouch for the checkpoint, in seconds.
    pub max_age: u64,
    /// The Ed25519 module the script loads where WebCrypto has no Ed25519.
    pub ed25519: &'a str,
}

pub const STYLE: &str = "*{box-sizing:border-box}body{font:16px/1.45 system-ui,sans-serif;margin:0 auto;\
max-width:40rem;padding:.75rem;color:#1d2a1f;overflow-wrap:anywhere}h1{font-size:1.35rem;margin:.2rem 0}\
h2{font-size:1.05rem;margin:1.3rem 0 .4rem}dl{display:grid;grid-template-columns:max-content 1fr;\
gap:.2rem .7rem;margin:.6rem 0}dt{color:#5b6b5e}dd{margin:0}ol,ul{padding-left:1.1rem;margin:.3rem 0}\
li{margin:.35rem 0}small,.k{color:#5b6b5e}.k,code{font-size:.75rem;font-family:ui-monospace,monospace}\
.v{border:2px solid #9aa79c;border-radius:.5rem;padding:.5rem .7rem;margin:.7rem 0;background:#f6f7f4}\
.v h2{margin:0;font-size:1.1rem}.v-ok{border-color:#2e7d32;background:#edf7ee}.v-bad{border-color:#c62828;\
background:#fdecea}.v-warn{border-color:#ef6c00;background:#fff4e5}li.ok::marker{content:'✓ ';color:#2e7d32}\
li.bad::marker{content:'✗ ';color:#c62828}li.bad,.bad{color:#b71c1c}li.info{list-style:none}\
.signed{color:#1d2a1f;background:#fdecea;padding:0 .2rem}.card{border:3px solid #9aa79c;border-radius:.6rem;padding:.5rem .8rem;\
margin:.6rem 0;background:#f6f7f4}.card p{margin:.25rem 0}#s-state{font-weight:700;font-size:1.15rem}\
.card-genuine{border-color:#2e7d32;background:#edf7ee}.card-failed,.card-copy{border-color:#c62828;\
background:#fdecea}.card-unchecked{border-color:#ef6c00;background:#fff4e5}.chain li{list-style:none;margin:.2rem 0}\
.chain li+li::before{content:'← ';color:#5b6b5e}button{font:inherit;padding:.4rem .7rem;margin:.3rem 0}\
details{margin:.2rem 0}pre{white-space:pre-wrap;font-size:.75rem;background:#f6f7f4;padding:.4rem}";

/// The page's icon, inline: a leaf, no request.
pub const FAVICON: &str = "<link rel=\"icon\" href=\"data:image/svg+xml,%3Csvg xmlns='http://www.w3.org/2000/svg' \
viewBox='0 0 16 16'%3E%3Cpath d='M2 14C2 6 8 2 14 2c0 8-5 12-12 12z' fill='%232e7d32'/%3E%3C/svg%3E\">";

/// The page's script: a plain ES module, no build step. It is written into the page itself, so
/// a phone on a slow network waits for one round trip fewer (measured in `docs/performance.md`).
pub const SCRIPT: &str = include_str!("scan.js");

/// What the buyer's pages may do: run their own script (named by its hash) and load scripts,
/// styles and data from this server only, be framed by nobody, and send no referrer to the
/// links they hold.
pub fn csp() -> &'static str {
    static CSP: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    CSP.get_or_init(|| {
        use base64::Engine as _;
        let hash = base64::engine::general_purpose::STANDARD.encode(terroir_shared::Hash::sha256(SCRIPT.as_bytes()).as_bytes());
        format!(
            "default-src 'none'; script-src 'self' 'sha256-{hash}'; connect-src 'self'; style-src 'unsafe-inline'; \
             img-src 'self' data:; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"
        )
    })
}

/// The security headers of a buyer's page.
pub fn page_headers(response: &mut actix_web::HttpResponseBuilder) {
    use actix_web::http::header;
    response
        .insert_header((header::CONTENT_SECURITY_POLICY, csp()))
        .insert_header((header::X_CONTENT_TYPE_OPTIONS, "nosniff"))
        .insert_header((header::REFERRER_POLICY, "no-referrer"));
}

/// The page, in a buffer of exactly its size: it is written in this thread's reusable buffer
/// first, so a page costs one allocation of the size it is kept at.
pub fn render(label: &Label, cx: &PageContext<'_>) -> Vec<u8> {
    thread_local! {
        static BUFFER: std::cell::RefCell<String> = std::cell::RefCell::new(String::with_capacity(16_384));
    }
    BUFFER.with(|buffer| {
        let mut out = buffer.borrow_mut();
        out.clear();
        write_page(&mut out, label, cx);
        out.as_bytes().to_vec()
    })
}

fn write_page(out: &mut String, label: &Label, cx: &PageContext<'_>) {
    let w = cx.lang.words();
    let names = Names { label, words: w };
    let asset = &label.asset;
    let title = title(&asset.product, w);
    let facts = facts(label, &names);
    let _ = write!(
        out,
        "<!doctype html><html lang=\"{lang}\"><head><meta charset=\"utf-8\">\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
         <title>{title}</title><meta name=\"description\" content=\"{description}\">{FAVICON}\
         <link rel=\"preload\" href=\"/api/assets/{id}/evidence\" as=\"fetch\" crossorigin>\
         <style>{STYLE}</style></head>\
         <body data-asset=\"{id}\" data-key=\"{key}\" data-policy=\"{policy}\" data-max-age=\"{max_age}\" data-ed=\"{ed}\"><main><h1 data-c=\"{product}\">{title}</h1>\
         <p class=\"k\" id=\"uri\">{uri}</p>\
         <section id=\"summary\" class=\"card\" aria-live=\"polite\"><p id=\"s-state\">{checking}</p>\
         <p id=\"s-what\">{what}</p><p id=\"s-checks\"></p><p id=\"s-todo\" hidden></p>\
         <noscript><p>{noscript}</p></noscript><details id=\"v-detail\"><summary>{checked}</summary>\
         <p id=\"v-title\"></p><ul id=\"v-list\"></ul></details></section><dl>",
        lang = cx.lang.tag(),
        title = escape(&title),
        product = escape(&claims(&[Claim::asset(asset, "product", &asset.product)])),
        id = asset.id,
        key = escape(cx.vkey),
        policy = escape(cx.policy),
        max_age = cx.max_age,
        ed = cx.ed25519,
        what = summary(&facts, w),
        description = w.description,
        uri = escape(&cx.link.to_uri(cx.base_url)),
        checking = w.checking,
        noscript = w.no_script,
        checked = w.checked,
    );
    for fact in &facts {
        let _ =
            write!(out, "<dt>{}</dt><dd data-c=\"{}\">{}</dd>", fact.term, escape(&fact.claims), fact.html);
    }
    out.push_str("</dl>");
    lineage(out, label, w);
    certificates(out, label, &names);
    journey(out, label, &names);
    let _ = write!(
        out,
        "<section id=\"scans\"><h2>{scans}</h2><p id=\"scan-text\">{pending}</p>\
         <p id=\"privacy\"><small>{privacy}</small></p></section>\
         <section><h2>{checked}</h2><p><small>{trust}</small></p>\
         <p>{log_key}: <code id=\"log-key\">{key}</code></p></section>\
         <p><a href=\"/api/assets/{id}/evidence\">{records}</a></p>\
         <script type=\"application/json\" id=\"shown\">",
        scans = w.scans,
        pending = w.scans_pending,
        privacy = w.privacy,
        checked = w.checked,
        trust = w.trust,
        log_key = w.log_key,
        key = escape(cx.vkey),
        id = asset.id,
        records = w.signed_records,
    );
    // The asset as stored (as the API serves it), `<` escaped so no text can close the element.
    for (n, part) in label.json.split('<').enumerate() {
        if n > 0 {
            out.push_str("\\u003c");
        }
        out.push_str(part);
    }
    out.push_str("</script></main><script type=\"module\">");
    out.push_str(SCRIPT);
    out.push_str("</script></body></html>");
}

/// The product's name in the buyer's language.
pub fn title(product: &Product, w: &Words) -> String {
    match product {
        Product::LiveCattle(c) => fill(w.cattle, &[("breed", &c.breed), ("tag", c.ear_tag.code())]),
        Product::Carcass(_) => w.carcass.into(),
        Product::BeefCut(c) => fill(w.cut, &[("cut", &w.lang.gloss(Gloss::Cut, &c.cut))]),
        Product::TeaMaocha(t) => fill(w.maocha, &[("garden", &t.origin.garden)]),
        Product::TeaCake(t) => {
            fill(w.cake, &[("weight", &t.weight_g.to_string()), ("garden", &t.origin.garden)])
        }
        Product::TeaLot(t) => fill(w.lot, &[("garden", &t.origin.garden)]),
        Product::TeaGarden(g) => {
            fill(w.garden_cap, &[("garden", &g.garden), ("season", &w.lang.gloss(Gloss::Season, &g.season))])
        }
        Product::Generic(g) => g.name.clone(),
    }
}

struct Names<'a> {
    label: &'a Label,
    words: &'a Words,
}

impl Names<'_> {
    /// The party's name as HTML, marked with its id for the script to hold to its signed
    /// registration.
    fn party(&self, id: &PartyId) -> String {
        let name = match self.label.party_name(id) {
            Some(name) => escape(name).into_owned(),
            None => {
                let hex = id.to_string();
                fill(self.words.unknown_party, &[("id", hex.get(..12).unwrap_or(&hex))])
            }
        };
        format!("<span data-p=\"{id}\">{name}</span>")
    }
}

/// What one line of the page was rendered from: a field of an asset's state (`["a", asset,
/// path, value]`, the path dotted in the JSON's own names) or of a record's body (`["r",
/// record id, path, value]`). The script compares each with what the signed records give.
struct Claim(serde_json::Value);

impl Claim {
    fn asset(a: &Asset, path: &str, value: &impl serde::Serialize) -> Self {
        Self(serde_json::json!(["a", a.id, path, value]))
    }

    fn record(id: &terroir_shared::Hash, path: &str, value: &impl serde::Serialize) -> Self {
        Self(serde_json::json!(["r", id, path, value]))
    }
}

/// Claims as the JSON a `data-c` attribute carries.
fn claims(list: &[Claim]) -> String {
    serde_json::to_string(&list.iter().map(|c| &c.0).collect::<Vec<_>>()).unwrap_or_default()
}

/// A template of the page's words filled with values already written as HTML.
fn fill_html(template: &str, values: &[(&str, &str)]) -> String {
    fill(&escape(template), values)
}

/// One fact of the list: its term, its value as HTML, and the claims it was rendered from
/// (`server` for a line the records cannot prove on the phone).
struct Fact {
    term: &'static str,
    html: String,
    claims: String,
}

impl Fact {
    fn new(term: &'static str, text: &str, list: &[Claim]) -> Self {
        Self { term, html: escape(text).into_owned(), claims: claims(list) }
    }
}

/// The first screen's line under the title: who made it and where and when it was grown, each
/// part with the claims of the fact it repeats.
fn summary(facts: &[Fact], w: &Words) -> String {
    let mut parts = Vec::new();
    for term in [w.registered_by, w.origin, w.harvest] {
        if let Some(f) = facts.iter().find(|f| f.term == term) {
            parts.push(format!("<span data-c=\"{}\">{}</span>", escape(&f.claims), f.html));
        }
    }
    parts.join(" · ")
}

/// The facts list: origin first, then where the item stands today.
fn facts(label: &Label, names: &Names<'_>) -> Vec<Fact> {
    let w = names.words;
    let asset = &label.asset;
    let mut out = Vec::new();
    let tea = std::iter::once(asset).chain(&label.ancestors).find_map(|a| match &a.product {
        Product::TeaMaocha(t) => Some((a, &t.origin, None)),
        Product::TeaCake(t) => Some((a, &t.origin, Some(t.pressed_on))),
        Product::TeaLot(t) => Some((a, &t.origin, Some(t.pressed_on))),
        _ => None,
    });
    if let Some((a, origin, pressed)) = tea {
        out.push(Fact::new(
            w.origin,
            &origin.garden,
            &[Claim::asset(a, "product.origin.garden", &origin.garden)],
        ));
        if let Some(m) = &origin.mountain {
            out.push(Fact::new(w.mountain, m, &[Claim::asset(a, "product.origin.mountain", m)]));
        }
        let season = &origin.harvest_season;
        let shown = w.lang.gloss(Gloss::Season, season);
        out.push(Fact::new(w.harvest, &shown, &[Claim::asset(a, "product.origin.harvestSeason", season)]));
        if let Some(p) = pressed {
            out.push(Fact::new(w.pressed, &p.to_string(), &[Claim::asset(a, "product.pressedOn", &p)]));
        }
        for (cap, g) in label.caps.iter().filter_map(|c| match &c.product {
            Product::TeaGarden(g) => Some((c.quantity.amount(), g)),
            _ => None,
        }) {
            let (cap, issued) = (kilograms(cap), kilograms(g.issued_g));
            let season = w.lang.gloss(Gloss::Season, &g.season);
            let blanks =
                [("garden", g.garden.as_str()), ("cap", &cap), ("season", &season), ("issued", &issued)];
            let line = format!("{} {}", fill(w.cap_line, &blanks), w.ledger_figure);
            out.push(Fact { term: w.cap, html: escape(&line).into_owned(), claims: "server".into() });
        }
    }
    let animal = std::iter::once(asset).chain(&label.ancestors).find_map(|a| match &a.product {
        Product::LiveCattle(c) => Some((a, c)),
        _ => None,
    });
    if let Some((a, c)) = animal {
        out.push(Fact::new(w.holding, &c.holding, &[Claim::asset(a, "product.holding", &c.holding)]));
        out.push(Fact::new(w.breed, &c.breed, &[Claim::asset(a, "product.breed", &c.breed)]));
        let born = c.birth_date;
        out.push(Fact::new(w.born, &born.to_string(), &[Claim::asset(a, "product.birthDate", &born)]));
    }
    let root = label.ancestors.iter().rev().find(|a| a.parents.is_empty()).unwrap_or(asset);
    if let Some(e) = label.events.iter().find(|e| e.record_id == root.created_by) {
        let party = &e.record().party;
        out.push(Fact {
            term: w.registered_by,
            html: names.party(party),
            claims: claims(&[
                Claim::asset(root, "createdBy", &root.created_by),
                Claim::record(&e.record_id, "party", party),
            ]),
        });
    }
    let q = quantity(&asset.quantity, &asset.product, names.words);
    out.push(Fact::new(w.quantity, &q, &[Claim::asset(asset, "quantity", &asset.quantity)]));
    out.push(Fact {
        term: w.status,
        html: status(&asset.status, names),
        claims: claims(&[Claim::asset(asset, "status", &asset.status)]),
    });
    for (term, party, field) in
        [(w.owner, &asset.owner, "owner"), (w.custodian, &asset.custodian, "custodian")]
    {
        out.push(Fact {
            term,
            html: names.party(party),
            claims: claims(&[Claim::asset(asset, field, party)]),
        });
    }
    // A unit packed in a lot is pledged with it (rules version 2): the lot's pledge binds it.
    let mut holder = asset;
    let mut chain = vec![Claim::asset(asset, "status", &asset.status)];
    while let Status::Contained { holder: lot } = &holder.status
        && let Some(lot) = label.ancestors.iter().find(|a| a.id == *lot)
    {
        holder = lot;
        chain.push(Claim::asset(holder, "status", &holder.status));
    }
    let pledge = match (&holder.status, std::ptr::eq(holder, asset)) {
        (Status::Pledged { financier }, true) => {
            fill_html(w.pledged_to, &[("party", &names.party(financier))])
        }
        (Status::Pledged { financier }, false) => {
            fill_html(w.pledged_with_lot, &[("party", &names.party(financier))])
        }
        _ => escape(w.no_pledge).into_owned(),
    };
    out.push(Fact { term: w.pledge, html: pledge, claims: claims(&chain) });
    out
}

/// An asset's status as HTML.
fn status(status: &Status, names: &Names<'_>) -> String {
    let w = names.words;
    match status {
        Status::Active => escape(w.active).into_owned(),
        Status::Pledged { financier } => fill_html(w.pledged, &[("party", &names.party(financier))]),
        Status::Contained { .. } => escape(w.contained).into_owned(),
        Status::Consumed => escape(w.consumed).into_owned(),
        Status::Retired { reason } => fill_html(w.retired, &[("reason", &escape(reason))]),
    }
}

fn quantity(q: &Quantity, product: &Product, w: &Words) -> String {
    let zh = std::ptr::eq(w, Lang::Zh.words());
    match q.unit() {
        Unit::Gram => format!("{} {}", kilograms(q.amount()), if zh { "公斤" } else { "kg" }),
        Unit::Head => format!("{} {}", q.amount(), if zh { "头" } else { "head" }),
        Unit::Piece => {
            let cakes = matches!(product, Product::TeaCake(_) | Product::TeaLot(_));
            let unit = match (zh, cakes, q.amount()) {
                (true, true, _) => "饼",
                (true, false, _) => "件",
                (false, true, 1) => "cake",
                (false, true, _) => "cakes",
                (false, false, 1) => "piece",
                (false, false, _) => "pieces",
            };
            format!("{} {unit}", q.amount())
        }
    }
}

/// Grams as kilograms with at most one decimal.
fn kilograms(grams: u64) -> String {
    let tenths = (grams + 50) / 100;
    if tenths.is_multiple_of(10) {
        (tenths / 10).to_string()
    } else {
        format!("{}.{}", tenths / 10, tenths % 10)
    }
}

fn lineage(out: &mut String, label: &Label, w: &Words) {
    let _ = write!(out, "<h2>{}</h2><ol class=\"chain\" id=\"lineage\">", w.lineage);
    for (i, a) in std::iter::once(&label.asset).chain(&label.ancestors).enumerate() {
        let name = escape(&title(&a.product, w)).into_owned();
        let tag = if i == 0 { format!(" <small>({})</small>", w.this_item) } else { String::new() };
        let label_path =
            a.gs1.as_ref().map(|l| format!(" <span class=\"k\">{}</span>", escape(&l.to_path())));
        let _ = write!(out, "<li data-asset=\"{}\">{name}{tag}{}</li>", a.id, label_path.unwrap_or_default());
    }
    out.push_str("</ol>");
}

fn certificates(out: &mut String, label: &Label, names: &Names<'_>) {
    let w = names.words;
    let _ = write!(out, "<h2>{}</h2><ul id=\"certificates\">", w.certificates);
    let mut any = false;
    for e in &label.events {
        let Act::Observe(o) = &e.record().act else { continue };
        let line = match &o.event {
            Event::LabCertificate { laboratory, certificate, result } => fill_html(
                w.certificate,
                &[
                    ("certificate", &escape(certificate)),
                    ("laboratory", &escape(laboratory)),
                    ("result", &escape(&w.lang.gloss(Gloss::Result, result))),
                ],
            ),
            Event::Vaccination { vaccine, withdrawal_until } => {
                let until = withdrawal_until.to_string();
                let vaccine = w.lang.gloss(Gloss::Vaccine, vaccine);
                let mut line = fill_html(w.vaccination, &[("vaccine", &escape(&vaccine)), ("until", &until)]);
                // For an animal that was slaughtered: did the withdrawal period end first?
                let slaughter = label.events.iter().find(|later| {
                    later.index > e.index
                        && matches!(&later.record().act, Act::Transform(t)
                            if t.inputs.iter().any(|i| o.assets.iter().any(|a| a.id == i.id)))
                });
                if let Some(s) = slaughter {
                    let over = terroir_shared::calendar::Date::of(s.record().at) > *withdrawal_until;
                    line.push_str(" — ");
                    line.push_str(&escape(if over { w.withdrawal_over } else { w.withdrawal_running }));
                }
                line
            }
            _ => continue,
        };
        any = true;
        let _ = write!(out, "<li data-r=\"{}\">{line}</li>", e.record_id);
    }
    if !any {
        let _ = write!(out, "<li>{}</li>", w.no_certificates);
    }
    out.push_str("</ul>");
}

fn journey(out: &mut String, label: &Label, names: &Names<'_>) {
    let w = names.words;
    let _ = write!(out, "<h2>{}</h2><ol id=\"journey\">", w.journey);
    for e in &label.events {
        let r = e.record();
        let about = about(label, e)
            .map(|a| format!(" <small>({})</small>", escape(&title(&a.product, w))))
            .unwrap_or_default();
        let _ = write!(
            out,
            "<li data-r=\"{}\"><time>{}</time> {}{about} <small>{}</small></li>",
            e.record_id,
            date(r.at),
            describe(e, names),
            fill_html(w.by, &[("party", &names.party(&r.party))]),
        );
    }
    out.push_str("</ol>");
}

/// The ancestor a record is about, when it is not about the scanned item itself.
fn about<'a>(label: &'a Label, e: &LabelEvent) -> Option<&'a Asset> {
    let concerns =
        |a: &Asset| a.created_by == e.record_id || e.record().act.touches().iter().any(|t| t.id == a.id);
    if concerns(&label.asset) {
        return None;
    }
    label.ancestors.iter().find(|a| concerns(a))
}

/// A journey line as HTML: the page's words, the record's own text escaped, party names marked.
fn describe(e: &LabelEvent, names: &Names<'_>) -> String {
    let w = names.words;
    let t = |s: &str| escape(s).into_owned();
    match &e.record().act {
        Act::OpenLedger(_)
        | Act::Commission(_)
        | Act::RegisterParty(_)
        | Act::AuthoriseDevice(_)
        | Act::RevokeDevice(_) => t(w.registered),
        Act::Observe(o) => match &o.event {
            Event::Vaccination { vaccine, withdrawal_until } => fill_html(
                w.vaccination,
                &[
                    ("vaccine", &t(&w.lang.gloss(Gloss::Vaccine, vaccine))),
                    ("until", &withdrawal_until.to_string()),
                ],
            ),
            Event::Weighing { mass_g } => fill_html(w.weighed, &[("kg", &kilograms(*mass_g))]),
            Event::Movement { from, to } => fill_html(w.moved, &[("from", &t(from)), ("to", &t(to))]),
            Event::Picking { garden, mass_g } => {
                fill_html(w.picked, &[("garden", &t(garden)), ("kg", &kilograms(*mass_g))])
            }
            Event::Pressing { press } => fill_html(w.pressing, &[("press", &t(press))]),
            Event::Storage { location } => fill_html(w.stored, &[("location", &t(location))]),
            Event::LabCertificate { laboratory, certificate, result } => fill_html(
                w.certificate,
                &[
                    ("certificate", &t(certificate)),
                    ("laboratory", &t(laboratory)),
                    ("result", &t(&w.lang.gloss(Gloss::Result, result))),
                ],
            ),
            Event::Note { text } => fill_html(w.note, &[("text", &t(text))]),
        },
        Act::Transfer(x) => fill_html(w.sold_to, &[("party", &names.party(&x.to))]),
        Act::Custody(c) => fill_html(w.handed_to, &[("party", &names.party(&c.to))]),
        Act::Split(s) => {
            // Where the parts went: each part's own label, as the signed record names it.
            let mut line = fill_html(w.split_into, &[("n", &s.parts.len().to_string())]);
            let links: Vec<String> = s
                .parts
                .iter()
                .filter_map(|p| p.gs1.as_ref())
                .map(|l| {
                    let path = l.to_path();
                    let name = l.lot().or(l.serial()).unwrap_or(&path);
                    format!("<a href=\"{}\">{}</a>", escape(&path), escape(name))
                })
                .collect();
            if !links.is_empty() {
                line.push_str(": ");
                line.push_str(&links.join(", "));
            }
            line
        }
        Act::Merge(m) => fill_html(w.merged, &[("n", &m.assets.len().to_string())]),
        Act::Transform(x) => fill_html(w.processed, &[("process", &t(&x.process))]),
        Act::Pledge(p) => fill_html(w.pledged_to, &[("party", &names.party(&p.financier))]),
        Act::Release(_) => t(w.released),
        Act::Retire(r) => fill_html(w.left_chain, &[("reason", &t(&r.reason))]),
        Act::Unpack(u) => fill_html(w.unpacked, &[("count", &u.units.len().to_string())]),
    }
}

fn date(at: Timestamp) -> String {
    let s = at.to_rfc3339();
    s.get(..10).unwrap_or(&s).to_owned()
}

/// `s` as HTML text or attribute value: `&`, `<`, `>` and `"` escaped in one pass; borrowed when
/// there is nothing to escape (nearly always).
pub fn escape(s: &str) -> std::borrow::Cow<'_, str> {
    if !s.contains(['&', '<', '>', '"']) {
        return std::borrow::Cow::Borrowed(s);
    }
    let mut out = String::with_capacity(s.len() + 16);
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            c => out.push(c),
        }
    }
    std::borrow::Cow::Owned(out)
}

#[cfg(test)]
mod tests {
    use super::SCRIPT;

    #[test]
    fn the_script_cannot_end_its_element_early() {
        // Written into the page as it is: the HTML parser would end the element at the first
        // `</script`, and `<!--` would change how it looks for the end.
        let lower = SCRIPT.to_ascii_lowercase();
        assert!(!lower.contains("</script") && !lower.contains("<!--"));
    }
}
