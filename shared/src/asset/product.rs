//! What a token is: its kind and the typed attributes a co-op records for it.

use serde::{Deserialize, Serialize};

use super::Unit;
use crate::calendar::Date;
use crate::ear_tag::EarTag;

/// The kind of a token with its attributes. The kind decides the unit of its quantity and
/// which transformations make sense.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub enum Product {
    LiveCattle(Cattle),
    Carcass(Carcass),
    BeefCut(BeefCut),
    TeaMaocha(TeaMaocha),
    TeaCake(TeaCake),
    TeaLot(TeaLot),
    TeaGarden(TeaGarden),
    Generic(Generic),
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub enum Sex {
    Female,
    Male,
    Castrated,
}

/// One live animal.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Cattle {
    pub ear_tag: EarTag,
    pub breed: String,
    pub sex: Sex,
    pub birth_date: Date,
    /// The holding (farm) registration where the animal is kept.
    pub holding: String,
}

/// A slaughtered animal's carcass, weighed in grams.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Carcass {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub grade: Option<String>,
}

/// A cut of beef, weighed in grams.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct BeefCut {
    pub cut: String,
}

/// Where and when tea leaves were picked.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct TeaOrigin {
    pub garden: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mountain: Option<String>,
    /// For example "2026 spring".
    pub harvest_season: String,
}

/// Sun-dried leaf (maocha) before pressing, in grams.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct TeaMaocha {
    pub origin: TeaOrigin,
}

/// One pressed cake.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct TeaCake {
    pub origin: TeaOrigin,
    pub pressed_on: Date,
    pub weight_g: u32,
}

/// How cakes in a lot are packed.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub enum Packing {
    /// Loose cakes.
    Lot,
    /// A bamboo-wrapped stack, usually seven cakes.
    Tong,
    /// A basket of tongs, usually twelve.
    Jian,
}

/// A lot of pressed cakes, counted in pieces.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct TeaLot {
    pub origin: TeaOrigin,
    pub pressed_on: Date,
    pub cake_weight_g: u32,
    pub packing: Packing,
}

/// A garden's issuance cap for one season, registered by the co-op that picks it: no more tea
/// of that garden and season than its area times its yield, in grams. Its quantity is the
/// cap; `issuedG` is what tea registered since has drawn on it. It never moves: it stays with
/// the co-op that registered it, and every record creating tea from that garden and season
/// names it (the cap's head), so two stations can never both spend its last grams.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct TeaGarden {
    pub garden: String,
    /// The harvest season, written as tea from it writes `harvestSeason` ("2026 spring").
    pub season: String,
    pub area_m2: u64,
    pub yield_g_per_m2: u64,
    pub issued_g: u64,
}

/// Anything else, in the unit its record states.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Generic {
    pub name: String,
}

impl Product {
    /// The kind's name as it appears in JSON.
    pub fn kind(&self) -> &'static str {
        match self {
            Product::LiveCattle(_) => "live_cattle",
            Product::Carcass(_) => "carcass",
            Product::BeefCut(_) => "beef_cut",
            Product::TeaMaocha(_) => "tea_maocha",
            Product::TeaCake(_) => "tea_cake",
            Product::TeaLot(_) => "tea_lot",
            Product::TeaGarden(_) => "tea_garden",
            Product::Generic(_) => "generic",
        }
    }

    /// The unit its quantity must be in; `None` for generic goods, which state their own.
    pub fn unit(&self) -> Option<Unit> {
        match self {
            Product::LiveCattle(_) => Some(Unit::Head),
            Product::Carcass(_) | Product::BeefCut(_) | Product::TeaMaocha(_) | Product::TeaGarden(_) => {
                Some(Unit::Gram)
            }
            Product::TeaCake(_) | Product::TeaLot(_) => Some(Unit::Piece),
            Product::Generic(_) => None,
        }
    }

    /// One animal or one cake: always a quantity of exactly 1, never split or merged.
    pub fn is_single_unit(&self) -> bool {
        matches!(self, Product::LiveCattle(_) | Product::TeaCake(_))
    }

    /// Where and when the leaves of a tea were picked; `None` for anything that is not tea.
    pub fn tea_origin(&self) -> Option<&TeaOrigin> {
        match self {
            Product::TeaMaocha(t) => Some(&t.origin),
            Product::TeaCake(t) => Some(&t.origin),
            Product::TeaLot(t) => Some(&t.origin),
            _ => None,
        }
    }

    /// A garden's cap is a registration, not goods: it never moves, splits, merges, is pledged
    /// or transformed; it can only be retired (the season closed).
    pub fn stays_put(&self) -> bool {
        matches!(self, Product::TeaGarden(_))
    }

    /// Whether a process may turn this kind into `output`: slaughter (animal → carcass → cuts),
    /// pressing (maocha → cakes and lots), packing and unpacking. Anything may yield generic
    /// by-products, but generic goods never become cattle, beef or tea: that would launder
    /// an origin.
    pub fn may_become(&self, output: &Product) -> bool {
        use Product::*;
        if self.stays_put() || output.stays_put() {
            return false;
        }
        matches!(
            (self, output),
            (_, Generic(_))
                | (LiveCattle(_), Carcass(_) | BeefCut(_))
                | (Carcass(_) | BeefCut(_), BeefCut(_))
                | (TeaMaocha(_), TeaMaocha(_) | TeaCake(_) | TeaLot(_))
                | (TeaCake(_) | TeaLot(_), TeaLot(_) | TeaCake(_))
        )
    }
}
