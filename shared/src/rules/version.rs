//! Which rules a ledger runs. A ledger keeps the rules it was opened under for good: a ledger
//! opened by this version of Terroir starts with an `open_ledger` entry naming them (entry 0,
//! signed by the operator, so anyone can tell from the log itself which rules judged it); a
//! ledger whose first entry opens nothing was started before there was a choice and runs
//! [`Rules::V1`]. An auditor replays every entry under its ledger's rules.

use std::fmt;

use serde::{Deserialize, Serialize};

/// A set of ledger rules. Each version's differences are listed in `docs/records.md`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(try_from = "u32", into = "u32")]
pub enum Rules {
    /// The first rules: what ledgers started before `open_ledger` existed run.
    V1,
    /// Roles decide who may create goods; transformations conserve mass through stated
    /// weights; the units in a lot follow it; names that carry rights are compared as people
    /// read them; no record is dated before the state it changes; a custodian hands goods only
    /// back to their owner.
    V2,
}

impl Rules {
    /// The rules a new ledger opens under.
    pub const CURRENT: Rules = Rules::V2;

    pub fn number(self) -> u32 {
        match self {
            Rules::V1 => 1,
            Rules::V2 => 2,
        }
    }

    /// Whether these rules include everything version 2 added.
    pub fn v2(self) -> bool {
        self >= Rules::V2
    }
}

/// A rules version this build does not know.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("rules version {0} is not known to this version of Terroir (it knows 1 and 2)")]
pub struct UnknownRules(pub u32);

impl TryFrom<u32> for Rules {
    type Error = UnknownRules;
    fn try_from(n: u32) -> Result<Self, Self::Error> {
        match n {
            1 => Ok(Rules::V1),
            2 => Ok(Rules::V2),
            other => Err(UnknownRules(other)),
        }
    }
}

impl From<Rules> for u32 {
    fn from(r: Rules) -> u32 {
        r.number()
    }
}

impl fmt::Display for Rules {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.number())
    }
}
