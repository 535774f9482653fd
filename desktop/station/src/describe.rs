//! Words for the window: one line per asset (also what the search matches) and the reason a
//! record is refused, in terms a clerk can act on.

use terroir_shared::asset::{Asset, AssetId, Product, Status, Unit};
use terroir_shared::rules::RuleViolation;

/// One line naming an asset: kind, identifiers and origin.
pub fn asset_label(asset: &Asset) -> String {
    let amount = asset.quantity.amount();
    let mut label = match &asset.product {
        Product::LiveCattle(c) => {
            format!(
                "Cattle {} · {} · {:?} · born {} · holding {}",
                c.ear_tag.code(),
                c.breed,
                c.sex,
                c.birth_date,
                c.holding
            )
        }
        Product::Carcass(c) => format!(
            "Carcass {} g{}",
            amount,
            c.grade.as_deref().map(|g| format!(" · grade {g}")).unwrap_or_default()
        ),
        Product::BeefCut(c) => format!("Beef cut {} · {} g", c.cut, amount),
        Product::TeaMaocha(m) => {
            format!("Maocha · {} · {} · {} g", m.origin.garden, m.origin.harvest_season, amount)
        }
        Product::TeaCake(c) => format!(
            "Tea cake {} g · {} · {} · pressed {}",
            c.weight_g, c.origin.garden, c.origin.harvest_season, c.pressed_on
        ),
        Product::TeaLot(l) => format!(
            "Tea lot of {} cakes ({} g) · {} · {} · pressed {}",
            amount, l.cake_weight_g, l.origin.garden, l.origin.harvest_season, l.pressed_on
        ),
        Product::TeaGarden(g) => format!(
            "Garden cap · {} · {} · {} of {} issued",
            g.garden,
            g.season,
            kilograms(g.issued_g),
            kilograms(amount)
        ),
        Product::Generic(g) => format!("{} · {} {}", g.name, amount, unit_name(asset.quantity.unit())),
    };
    if let Some(link) = &asset.gs1 {
        label.push_str(" · ");
        label.push_str(&crate::labels::human_readable(link));
    }
    label
}

pub fn unit_name(unit: Unit) -> &'static str {
    match unit {
        Unit::Head => "head",
        Unit::Piece => "pieces",
        Unit::Gram => "g",
    }
}

/// Grams as a clerk reads a harvest: kilograms with up to three decimals.
pub fn kilograms(grams: u64) -> String {
    let (kg, g) = (grams / 1000, grams % 1000);
    if g == 0 {
        format!("{kg} kg")
    } else {
        format!("{kg}.{}", format!("{g:03}").trim_end_matches('0')) + " kg"
    }
}

/// The first 8 hex digits of an id: enough for a clerk to tell assets apart on screen.
pub fn short(id: &AssetId) -> String {
    id.to_string().chars().take(8).collect()
}

/// Why the rules refuse an act, in a clerk's words. `name` turns an asset id into its label.
pub fn explain(v: &RuleViolation, name: impl Fn(&AssetId) -> String) -> String {
    match v {
        RuleViolation::HeadConflict { asset, .. } => format!(
            "{} was changed by another record since this station last saw it (someone split, moved or \
             recorded it elsewhere). Sync, look at its latest state, and try again.",
            name(asset)
        ),
        RuleViolation::NotActive { asset, status } => {
            format!("{} is {status}: it can no longer be moved, split or changed.", name(asset))
        }
        RuleViolation::Pledged { asset, .. } => format!(
            "{} is pledged as collateral: it cannot move until the financier releases it.",
            name(asset)
        ),
        RuleViolation::Contained { asset, holder } => format!(
            "{} is packed in {}: act on the lot instead; the cake travels with it.",
            name(asset),
            name(holder)
        ),
        RuleViolation::UnknownAsset(asset) => {
            format!("This station does not know asset {} yet: sync first.", short(asset))
        }
        RuleViolation::UnknownParty(p) => format!(
            "The organisation {} is not registered on the ledger (or this station has not seen it yet: sync first).",
            p.to_string().chars().take(8).collect::<String>()
        ),
        RuleViolation::QuantityNotConserved { expected, found, .. } => {
            format!("The parts add up to {found}, but the lot holds {expected}: they must add up exactly.")
        }
        RuleViolation::SingleUnit { kind } => {
            format!("A {} is a single unit: it cannot be split or merged.", kind.replace('_', " "))
        }
        RuleViolation::IdentityTaken { key } => format!("{key} is already registered to another asset."),
        RuleViolation::NotPermitted { why, .. } => format!("Not allowed: {why}."),
        RuleViolation::MissingRole { role, .. } => {
            format!("This needs an organisation with the {role} role.")
        }
        RuleViolation::Incompatible { why, .. } => format!("These lots cannot be merged: {why}."),
        RuleViolation::TransformNotAllowed { from, to } => {
            format!("A {} cannot be turned into a {}.", from.replace('_', " "), to.replace('_', " "))
        }
        RuleViolation::IssuanceCapExceeded { garden, season, cap, issued, requested } => format!(
            "{garden} is registered for at most {} of tea in {season}; {} are already registered, so \
             {} more would go over the garden's cap. Check the weight and count, or the garden's area \
             and yield.",
            kilograms(*cap),
            kilograms(*issued),
            kilograms(*requested)
        ),
        RuleViolation::AllowanceMissing { garden, season, .. } => format!(
            "{garden} has a registered cap for {season}, and this station does not have its latest \
             count: sync, then register the tea again."
        ),
        RuleViolation::EventNotYours { event, who } => {
            format!("A {} is recorded by {who}.", event.replace('_', " "))
        }
        other => {
            let mut text = other.to_string();
            if let Some(first) = text.get(..1) {
                text = first.to_uppercase() + &text[1..];
            }
            text
        }
    }
}

/// What a refusal the server sent back (during sync) means for the clerk.
pub fn explain_code(code: &str, detail: &str) -> String {
    let hint = match code {
        "head_conflict" => {
            "Another record changed this asset first (for example a trader split the lot while this \
             station was offline). The ledger keeps the first one."
        }
        "unknown_party" | "signer_not_authorised" | "unknown_device" => {
            "The ledger does not know this organisation or station yet: ask the operator to enrol it."
        }
        "asset_not_active" | "asset_pledged" | "asset_contained" => {
            "The asset can no longer be used that way."
        }
        "unknown_asset" => "The asset does not exist on the ledger (an earlier record about it was refused).",
        "identity_taken" => "That identifier is already registered to another asset.",
        "issuance_cap_exceeded" => {
            "The garden's registered cap for that season does not leave room for this tea."
        }
        "allowance_missing" => {
            "The garden has a registered cap for that season: sync, then register the tea again."
        }
        "from_the_future" => "This computer's clock is ahead of the ledger's: check the date and time.",
        "back_dated" => {
            "This computer's clock is behind the ledger's records of this asset: check the date and time."
        }
        "role_not_permitted" => {
            "This organisation's role does not allow this (ask the operator which roles it has)."
        }
        "mass_unknown" => {
            "Weigh the goods first (record a weighing event), and give what comes out in grams."
        }
        "bad_name" => {
            "A name holds an invisible character or letters of two look-alike scripts: type it again."
        }
        "custody_not_owner" => {
            "Goods held for their owner go back to the owner; only the owner sends them elsewhere."
        }
        "bad_units" => {
            "The cakes of the lot must all go to its parts: split by counts that add up to the lot."
        }
        "wrong_log" => "The record was signed for another ledger: check the station's settings.",
        _ => "",
    };
    if hint.is_empty() { detail.to_owned() } else { format!("{hint} ({detail})") }
}

/// The state word the window shows.
pub fn status_name(status: &Status) -> &'static str {
    match status {
        Status::Active => "active",
        Status::Pledged { .. } => "pledged",
        Status::Contained { .. } => "contained",
        Status::Consumed => "consumed",
        Status::Retired { .. } => "retired",
    }
}
