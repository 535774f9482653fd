//! Who may create goods, by role (rules version 2 on). Every other act is decided by the
//! asset's state (its owner, its custodian, its financier), not by role; the whole matrix is
//! written down in `docs/records.md`.
//!
//! | act | who |
//! | --- | --- |
//! | commission live cattle, tea (maocha, cakes, lots) or a garden's cap | a cooperative or a farm |
//! | commission a carcass or a cut of beef | a processor |
//! | commission generic goods | a cooperative, a farm or a processor |
//! | transform | the owner of every input, being a cooperative, a farm or a processor |
//!
//! A trader, a warehouse, a financier, a veterinarian, an inspector or a regulator creates
//! nothing: its goods come to it by transfer or custody.

use super::RuleViolation;
use crate::asset::Product;
use crate::party::{Party, Role};

const GROWERS: &[Role] = &[Role::Cooperative, Role::Farm];
const PROCESSORS: &[Role] = &[Role::Processor];
const MAKERS: &[Role] = &[Role::Cooperative, Role::Farm, Role::Processor];

/// The roles of which one lets a party commission this kind of goods.
pub fn may_commission(product: &Product) -> &'static [Role] {
    match product {
        Product::LiveCattle(_)
        | Product::TeaMaocha(_)
        | Product::TeaCake(_)
        | Product::TeaLot(_)
        | Product::TeaGarden(_) => GROWERS,
        Product::Carcass(_) | Product::BeefCut(_) => PROCESSORS,
        Product::Generic(_) => MAKERS,
    }
}

/// `party` may commission `product`.
pub(super) fn commission(party: &Party, product: &Product) -> Result<(), RuleViolation> {
    require(party, "commission", product.kind(), may_commission(product))
}

/// `party` may transform goods it owns.
pub(super) fn transform(party: &Party) -> Result<(), RuleViolation> {
    require(party, "transform", "goods", MAKERS)
}

fn require(
    party: &Party,
    act: &'static str,
    what: &'static str,
    roles: &'static [Role],
) -> Result<(), RuleViolation> {
    if roles.iter().any(|r| party.has_role(*r)) {
        return Ok(());
    }
    Err(RuleViolation::RoleNotPermitted { party: party.id, act, what, roles })
}
