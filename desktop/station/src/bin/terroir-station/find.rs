//! Which asset a clerk means by what they typed.

use terroir_station::store::AssetFilter;
use terroir_station::view::AssetView;
use terroir_station::words::said;
use terroir_station::{Station, StationError};

/// The one asset `query` names: an id, or words that find exactly one (cakes packed in a lot
/// are left out first, so a lot number names the lot).
pub fn find_asset(station: &Station, query: &str) -> Result<AssetView, StationError> {
    let search = |hide_contained| {
        station.assets(&AssetFilter { search: query.to_owned(), hide_contained, ..AssetFilter::default() })
    };
    let mut rows = search(true)?;
    if rows.is_empty() {
        rows = search(false)?;
    }
    // The asset whose id, lot or serial is exactly what was typed comes before any that only
    // contains it (`LBZ26-L01` is not `LBZ26-L012`).
    let exact: Vec<_> = rows
        .iter()
        .filter(|r| {
            let link = r.asset.gs1.as_ref();
            r.id == query
                || link.is_some_and(|l| {
                    l.serial() == Some(query) || (l.lot() == Some(query) && l.serial().is_none())
                })
        })
        .collect();
    if let [one] = exact.as_slice() {
        return Ok((*one).clone());
    }
    match rows.as_slice() {
        [one] => Ok(one.clone()),
        [] => Err(StationError::input(
            "asset",
            said(format!("no asset matches `{query}`"), format!("没有货品与 `{query}` 相符")),
        )),
        many => {
            let listed: Vec<String> =
                many.iter().take(5).map(|r| format!("{} {}", &r.id[..12], r.label)).collect();
            Err(StationError::input(
                "asset",
                said(
                    format!("`{query}` matches {} assets; name one: {}", many.len(), listed.join("; ")),
                    format!("`{query}` 与 {} 件货品相符；请指定一件：{}", many.len(), listed.join("；")),
                ),
            ))
        }
    }
}
