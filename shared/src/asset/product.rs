//! What a token is: its kind and the typed attributes a co-op records for it.

use serde::{Deserialize, Serialize};

use super::Unit;
use crate::calendar::Date;
use crate::ear_tag::EarTag;

/// The kind of a token with its attributes. The kind decides the unit of its quantity and
/// which transformations make sense.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Product {
    LiveCattle(Cattle),
    Carcass(Carcass),
    BeefCut(BeefCut),
    TeaMaocha(TeaMaocha),
    TeaCake(TeaCake),
    TeaLot(TeaLot),
    Generic(Generic),
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Sex {
    Female,
    Male,
    Castrated,
}

/// One live animal.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
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
pub struct Carcass {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub grade: Option<String>,
}

/// A cut of beef, weighed in grams.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct BeefCut {
    pub cut: String,
}

/// Where and when tea leaves were picked.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
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
pub struct TeaMaocha {
    pub origin: TeaOrigin,
}

/// One pressed cake.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct TeaCake {
    pub origin: TeaOrigin,
    pub pressed_on: Date,
    pub weight_g: u32,
}

/// How cakes in a lot are packed.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
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
pub struct TeaLot {
    pub origin: TeaOrigin,
    pub pressed_on: Date,
    pub cake_weight_g: u32,
    pub packing: Packing,
}

/// Anything else, in the unit its record states.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
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
            Product::Generic(_) => "generic",
        }
    }

    /// The unit its quantity must be in; `None` for generic goods, which state their own.
    pub fn unit(&self) -> Option<Unit> {
        match self {
            Product::LiveCattle(_) => Some(Unit::Head),
            Product::Carcass(_) | Product::BeefCut(_) | Product::TeaMaocha(_) => Some(Unit::Gram),
            Product::TeaCake(_) | Product::TeaLot(_) => Some(Unit::Piece),
            Product::Generic(_) => None,
        }
    }

    /// One animal or one cake: always a quantity of exactly 1, never split or merged.
    pub fn is_single_unit(&self) -> bool {
        matches!(self, Product::LiveCattle(_) | Product::TeaCake(_))
    }

    /// Whether a process may turn this kind into `output`: slaughter (animal → carcass → cuts),
    /// pressing (maocha → cakes and lots), packing and unpacking. Anything may yield generic
    /// by-products, but generic goods never become cattle, beef or tea: that would launder
    /// an origin.
    pub fn may_become(&self, output: &Product) -> bool {
        use Product::*;
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
