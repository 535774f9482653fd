//! What a label says about an asset: the product in Chinese and English, then its origin,
//! harvest and pressing, and the co-op. Text from the records (a garden, a mountain, a breed)
//! is printed as it was written.

use terroir_shared::asset::{Asset, Product};

use super::{Label, human_readable};

/// The label of `asset` as the co-op named `coop` prints it, its QR pointing under `base_url`;
/// `None` for an asset without a GS1 key.
pub fn label_of(asset: &Asset, base_url: &str, coop: &str) -> Option<Label> {
    let link = asset.gs1.as_ref()?;
    let grams = |g: u64| if g >= 10_000 { format!("{:.1} kg", g as f64 / 1000.0) } else { format!("{g} g") };
    let amount = asset.quantity.amount();
    let (title, mut lines) = match &asset.product {
        Product::TeaCake(c) => (
            format!("普洱茶饼 Pu'er tea cake {} g", c.weight_g),
            vec![origin(&c.origin), pressed(&c.origin.harvest_season, &c.pressed_on.to_string())],
        ),
        Product::TeaLot(l) => (
            format!("普洱茶 Pu'er tea · {amount} × {} g", l.cake_weight_g),
            vec![origin(&l.origin), pressed(&l.origin.harvest_season, &l.pressed_on.to_string())],
        ),
        Product::TeaMaocha(m) => (
            format!("晒青毛茶 Maocha · {}", grams(amount)),
            vec![origin(&m.origin), format!("{} 采摘 harvest", m.origin.harvest_season)],
        ),
        Product::TeaGarden(g) => (format!("茶园额度 Garden cap · {}", g.garden), vec![g.season.clone()]),
        Product::LiveCattle(c) => {
            (format!("肉牛 Cattle {}", c.ear_tag.code()), vec![c.breed.clone(), c.holding.clone()])
        }
        Product::Carcass(c) => (
            format!("牛胴体 Beef carcass · {}", grams(amount)),
            c.grade.iter().map(|g| format!("等级 grade {g}")).collect(),
        ),
        Product::BeefCut(c) => (format!("牛肉 Beef · {}", c.cut), vec![grams(amount)]),
        Product::Generic(g) => (g.name.clone(), vec![]),
    };
    if !coop.trim().is_empty() {
        lines.push(coop.trim().to_owned());
    }
    Some(Label { uri: link.to_uri(base_url), title, lines, hri: human_readable(link) })
}

fn origin(o: &terroir_shared::asset::TeaOrigin) -> String {
    match &o.mountain {
        Some(m) if !m.trim().is_empty() => format!("{} · {}", o.garden, m),
        _ => o.garden.clone(),
    }
}

fn pressed(season: &str, date: &str) -> String {
    format!("{season} · 压制 pressed {date}")
}
