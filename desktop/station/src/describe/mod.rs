//! Words for the window, in both of its languages: one line per asset (also what the search
//! matches), kinds, states, events and acts; and, in `refusals`, the reason a record is
//! refused, in terms a clerk can act on.

use terroir_shared::asset::{Asset, Product, Sex, Unit};
use terroir_shared::record::Event;

use crate::words::{Said, said};

mod codes;
mod refusals;

pub use codes::{ear_tag_problem, gtin_problem};
pub use refusals::{explain, explain_code};

/// One line naming an asset: kind, identifiers and origin.
pub fn asset_label(asset: &Asset) -> Said {
    let amount = asset.quantity.amount();
    let mut label = match &asset.product {
        Product::LiveCattle(c) => {
            let (tag, born) = (c.ear_tag.code(), c.birth_date);
            let sex = sex_name(c.sex);
            said(
                format!("Cattle {tag} · {} · {} · born {born} · holding {}", c.breed, sex.en, c.holding),
                format!("肉牛 {tag} · {} · {} · {born} 出生 · 养殖场 {}", c.breed, sex.zh, c.holding),
            )
        }
        Product::Carcass(c) => said(
            format!(
                "Carcass {} g{}",
                amount,
                c.grade.as_deref().map(|g| format!(" · grade {g}")).unwrap_or_default()
            ),
            format!(
                "胴体 {} 克{}",
                amount,
                c.grade.as_deref().map(|g| format!(" · 等级 {g}")).unwrap_or_default()
            ),
        ),
        Product::BeefCut(c) => {
            said(format!("Beef cut {} · {} g", c.cut, amount), format!("牛肉 {} · {} 克", c.cut, amount))
        }
        Product::TeaMaocha(m) => {
            let (garden, season) = (&m.origin.garden, &m.origin.harvest_season);
            said(
                format!("Maocha · {garden} · {season} · {amount} g"),
                format!("毛茶 · {garden} · {season} · {amount} 克"),
            )
        }
        Product::TeaCake(c) => {
            let (garden, season, pressed) = (&c.origin.garden, &c.origin.harvest_season, c.pressed_on);
            said(
                format!("Tea cake {} g · {garden} · {season} · pressed {pressed}", c.weight_g),
                format!("茶饼 {} 克 · {garden} · {season} · {pressed} 压制", c.weight_g),
            )
        }
        Product::TeaLot(l) => {
            let (garden, season, pressed) = (&l.origin.garden, &l.origin.harvest_season, l.pressed_on);
            said(
                format!(
                    "Tea lot of {amount} cakes ({} g) · {garden} · {season} · pressed {pressed}",
                    l.cake_weight_g
                ),
                format!(
                    "茶叶批次 {amount} 饼（每饼 {} 克）· {garden} · {season} · {pressed} 压制",
                    l.cake_weight_g
                ),
            )
        }
        Product::TeaGarden(g) => {
            let (issued, cap) = (kilograms(g.issued_g), kilograms(amount));
            said(
                format!("Garden cap · {} · {} · {} of {} issued", g.garden, g.season, issued.en, cap.en),
                format!("茶园额度 · {} · {} · 已登记 {} / {}", g.garden, g.season, issued.zh, cap.zh),
            )
        }
        Product::Generic(g) => {
            let unit = unit_name(asset.quantity.unit());
            said(format!("{} · {amount} {}", g.name, unit.en), format!("{} · {amount} {}", g.name, unit.zh))
        }
    };
    if let Some(link) = &asset.gs1 {
        let code = crate::labels::human_readable(link);
        label.en.push_str(&format!(" · {code}"));
        label.zh.push_str(&format!(" · {code}"));
    }
    label
}

pub fn sex_name(sex: Sex) -> Said {
    match sex {
        Sex::Female => said("female", "母"),
        Sex::Male => said("male", "公"),
        Sex::Castrated => said("castrated", "阉"),
    }
}

pub fn unit_name(unit: Unit) -> Said {
    match unit {
        Unit::Head => said("head", "头"),
        Unit::Piece => said("pieces", "件"),
        Unit::Gram => said("g", "克"),
    }
}

/// Grams as a clerk reads a harvest: kilograms with up to three decimals.
pub fn kilograms(grams: u64) -> Said {
    let (kg, g) = (grams / 1000, grams % 1000);
    let number =
        if g == 0 { kg.to_string() } else { format!("{kg}.{}", format!("{g:03}").trim_end_matches('0')) };
    said(format!("{number} kg"), format!("{number} 千克"))
}

/// The first 8 hex digits of an id: enough for a clerk to tell assets apart on screen.
pub fn short(id: &impl ToString) -> String {
    id.to_string().chars().take(8).collect()
}

/// The name of an event, as a clerk records it.
pub fn event_name(e: &Event) -> Said {
    event_word(match e {
        Event::Vaccination { .. } => "vaccination",
        Event::Weighing { .. } => "weighing",
        Event::Movement { .. } => "movement",
        Event::Picking { .. } => "picking",
        Event::Pressing { .. } => "pressing",
        Event::Storage { .. } => "storage",
        Event::LabCertificate { .. } => "lab_certificate",
        Event::Note { .. } => "note",
    })
}

/// A kind of goods as the rules name it (`tea_lot`), in words.
pub fn kind_name(kind: &str) -> Said {
    match kind {
        "live_cattle" => said("live animal", "活牛"),
        "carcass" => said("carcass", "胴体"),
        "beef_cut" => said("beef cut", "牛肉分割件"),
        "tea_maocha" => said("maocha", "毛茶"),
        "tea_cake" => said("tea cake", "茶饼"),
        "tea_lot" => said("tea lot", "茶叶批次"),
        "tea_garden" => said("garden cap", "茶园额度"),
        other => Said::same(other.replace('_', " ")),
    }
}

/// A state's name in words.
pub fn status_word(state: &str) -> Said {
    match state {
        "active" => said("active", "在用"),
        "pledged" => said("pledged", "已质押"),
        "contained" => said("in a lot", "在批次中"),
        "consumed" => said("consumed", "已耗用"),
        "retired" => said("retired", "注销"),
        other => Said::same(other),
    }
}

pub(crate) fn role_name(role: &str) -> Said {
    match role {
        "cooperative" => said("co-op", "合作社"),
        "farm" => said("farm", "农场"),
        "processor" => said("processor", "加工厂"),
        "trader" => said("trader", "贸易商"),
        "warehouse" => said("warehouse", "仓库"),
        "financier" => said("financier", "金融机构"),
        "veterinarian" => said("veterinarian", "兽医"),
        "operator" => said("operator", "运营方"),
        other => Said::same(other),
    }
}

/// An event as the ledger names it (`lab_certificate`), in words.
pub(crate) fn event_word(event: &str) -> Said {
    match event {
        "vaccination" => said("vaccination", "疫苗接种"),
        "weighing" => said("weighing", "称重"),
        "movement" => said("movement", "转运"),
        "picking" => said("picking", "采摘"),
        "pressing" => said("pressing", "压制"),
        "storage" => said("storage", "仓储"),
        "lab_certificate" => said("lab certificate", "检测证书"),
        "note" => said("note", "备注"),
        other => Said::same(other.replace('_', " ")),
    }
}

/// An act as the ledger names it (`commission`, `split`, …), in words.
pub fn act_word(act: &str) -> Said {
    match act {
        "open_ledger" => said("opening of the ledger", "账本开启"),
        "register_party" => said("registration of an organisation", "组织登记"),
        "authorise_device" => said("authorisation of a station", "工作站授权"),
        "revoke_device" => said("revocation of a station", "工作站撤销"),
        "commission" => said("registration", "登记"),
        "observe" => said("event", "事件"),
        "transfer" => said("transfer", "转让"),
        "custody" => said("hand-over for keeping", "交付保管"),
        "split" => said("split", "拆分"),
        "merge" => said("merge", "合并"),
        "transform" => said("transformation", "加工"),
        "pledge" => said("pledge", "质押"),
        "release" => said("release of a pledge", "解除质押"),
        "retire" => said("retirement", "注销"),
        "unpack" => said("taking out of a lot", "从批次取出"),
        other => Said::same(other),
    }
}

#[cfg(test)]
mod tests {
    use super::kilograms;

    #[test]
    fn kilograms_read_as_a_clerk_writes_them() {
        assert_eq!(kilograms(20_000).en, "20 kg");
        assert_eq!(kilograms(17_850).zh, "17.85 千克");
    }
}
