//! What a GS1-conformant resolver says about an item: the links it offers, each typed by the
//! GS1 Web Vocabulary (`gs1:pip`, …), as a linkset (RFC 9264, `application/linkset+json`, the
//! form the GS1-Conformant Resolver standard gives it) and as an HTTP `Link` header (RFC 8288).

use serde_json::{Map, Value, json};

/// The GS1 Web Vocabulary's namespace; a link type's URI is this and its name.
pub const VOCABULARY: &str = "https://gs1.org/voc/";

/// The media type of a linkset in JSON (RFC 9264).
pub const LINKSET_MEDIA_TYPE: &str = "application/linkset+json";

/// The link types a Terroir ledger offers for an item.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LinkType {
    /// Where a link with no type asked for goes: the buyer's page.
    DefaultLink,
    /// The product information page: the buyer's page, which proves what it shows.
    Pip,
    /// The item's history as signed records, each with its receipt.
    Traceability,
    /// The item's events as EPCIS 2.0.
    Epcis,
}

impl LinkType {
    pub const ALL: [LinkType; 4] =
        [LinkType::DefaultLink, LinkType::Pip, LinkType::Traceability, LinkType::Epcis];

    fn name(self) -> &'static str {
        match self {
            LinkType::DefaultLink => "defaultLink",
            LinkType::Pip => "pip",
            LinkType::Traceability => "traceability",
            LinkType::Epcis => "epcis",
        }
    }

    /// `https://gs1.org/voc/pip`: the relation type in a linkset and a `Link` header.
    pub fn uri(self) -> String {
        format!("{VOCABULARY}{}", self.name())
    }

    /// `gs1:pip`: how a `linkType` query names it.
    pub fn curie(self) -> String {
        format!("gs1:{}", self.name())
    }

    /// A `linkType` value: the CURIE or the URI (`http` or `https`).
    pub fn parse(value: &str) -> Option<LinkType> {
        let name = value
            .strip_prefix("gs1:")
            .or_else(|| value.strip_prefix(VOCABULARY))
            .or_else(|| value.strip_prefix("http://gs1.org/voc/"))?;
        Self::ALL.into_iter().find(|t| t.name() == name)
    }
}

/// One link an item offers.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Link {
    pub rel: LinkType,
    /// Absolute.
    pub href: String,
    pub title: String,
    /// The media type of what `href` answers.
    pub media_type: &'static str,
    /// The languages it is offered in (BCP 47).
    pub hreflang: &'static [&'static str],
}

/// The item's linkset: one context object anchored at the item's GS1 Digital Link URI, each
/// link type a member holding its target objects (`href`, `title`, `type`, `hreflang`).
pub fn linkset(anchor: &str, links: &[Link]) -> Value {
    let mut context = Map::new();
    context.insert("anchor".into(), Value::String(anchor.to_owned()));
    for link in links {
        let target = json!({
            "href": link.href,
            "title": link.title,
            "type": link.media_type,
            "hreflang": link.hreflang,
        });
        match context.entry(link.rel.uri()).or_insert_with(|| Value::Array(Vec::new())) {
            Value::Array(targets) => targets.push(target),
            other => *other = Value::Array(vec![target]),
        }
    }
    json!({ "linkset": [Value::Object(context)] })
}

/// The `Link` header of an answer about the item: its linkset (at `linkset_href`) and each
/// link (RFC 8288, titles as quoted strings).
pub fn link_header(linkset_href: &str, links: &[Link]) -> String {
    let quoted = |s: &str| s.replace('\\', "\\\\").replace('"', "\\\"");
    let mut parts = vec![format!("<{linkset_href}>; rel=\"linkset\"; type=\"{LINKSET_MEDIA_TYPE}\"")];
    for link in links {
        parts.push(format!(
            "<{}>; rel=\"{}\"; type=\"{}\"; hreflang=\"{}\"; title=\"{}\"",
            link.href,
            link.rel.uri(),
            link.media_type,
            link.hreflang.join(","),
            quoted(&link.title)
        ));
    }
    parts.join(", ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn link_types_read_as_curies_and_uris() {
        for t in LinkType::ALL {
            assert_eq!(LinkType::parse(&t.curie()), Some(t));
            assert_eq!(LinkType::parse(&t.uri()), Some(t));
        }
        assert_eq!(LinkType::parse("http://gs1.org/voc/pip"), Some(LinkType::Pip));
        for other in ["pip", "gs1:PIP", "gs1:recallStatus", "all", "linkset", ""] {
            assert_eq!(LinkType::parse(other), None, "{other}");
        }
    }

    #[test]
    fn a_linkset_groups_targets_by_link_type() {
        let page = |rel| Link {
            rel,
            href: "https://l.example/01/09506000134352/10/A".into(),
            title: "The \"page\"".into(),
            media_type: "text/html",
            hreflang: &["en", "zh"],
        };
        let links = [page(LinkType::DefaultLink), page(LinkType::Pip)];
        let set = linkset("https://l.example/01/09506000134352/10/A", &links);
        assert_eq!(set["linkset"][0]["anchor"], "https://l.example/01/09506000134352/10/A");
        assert_eq!(set["linkset"][0]["https://gs1.org/voc/pip"][0]["hreflang"], json!(["en", "zh"]));
        let header = link_header("https://l.example/x?linkType=linkset", &links);
        assert!(header.starts_with("<https://l.example/x?linkType=linkset>; rel=\"linkset\""), "{header}");
        assert!(header.contains("rel=\"https://gs1.org/voc/defaultLink\""), "{header}");
        assert!(header.contains("title=\"The \\\"page\\\"\""), "{header}");
    }
}
