//! Quantities in integer base units: heads, pieces, grams. Never floating point.

use std::fmt;

use serde::{Deserialize, Serialize};

use crate::canonical::MAX_SAFE_INTEGER;

/// The base unit of a quantity.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub enum Unit {
    Head,
    Piece,
    Gram,
}

/// An amount of base units, between 1 and 2^53 − 1 so that every JSON reader agrees on it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(deny_unknown_fields, try_from = "RawQuantity")]
pub struct Quantity {
    amount: u64,
    unit: Unit,
}

/// Why a quantity is not acceptable.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum QuantityError {
    #[error("a quantity must be at least 1 {0}")]
    Zero(Unit),
    #[error("{0} is more than the largest quantity a record can carry (2^53 − 1)")]
    TooLarge(u64),
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawQuantity {
    amount: u64,
    unit: Unit,
}

impl TryFrom<RawQuantity> for Quantity {
    type Error = QuantityError;
    fn try_from(raw: RawQuantity) -> Result<Self, Self::Error> {
        Quantity::new(raw.amount, raw.unit)
    }
}

impl Quantity {
    pub fn new(amount: u64, unit: Unit) -> Result<Self, QuantityError> {
        match amount {
            0 => Err(QuantityError::Zero(unit)),
            a if a > MAX_SAFE_INTEGER => Err(QuantityError::TooLarge(a)),
            a => Ok(Self { amount: a, unit }),
        }
    }

    pub fn amount(&self) -> u64 {
        self.amount
    }

    pub fn unit(&self) -> Unit {
        self.unit
    }
}

impl fmt::Display for Unit {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Unit::Head => "head",
            Unit::Piece => "piece",
            Unit::Gram => "g",
        })
    }
}

impl fmt::Display for Quantity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}", self.amount, self.unit)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn zero_and_oversized_are_refused_on_input() {
        assert!(serde_json::from_str::<Quantity>(r#"{"amount":0,"unit":"piece"}"#).is_err());
        assert!(serde_json::from_str::<Quantity>(r#"{"amount":9007199254740992,"unit":"gram"}"#).is_err());
        assert!(serde_json::from_str::<Quantity>(r#"{"amount":1.5,"unit":"gram"}"#).is_err());
        assert!(serde_json::from_str::<Quantity>(r#"{"amount":3,"unit":"gram","x":1}"#).is_err());
        let q: Quantity = serde_json::from_str(r#"{"amount":357,"unit":"gram"}"#).expect("valid");
        assert_eq!(q.to_string(), "357 g");
    }
}
