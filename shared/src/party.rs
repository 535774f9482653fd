//! Parties (organisations identified by an Ed25519 key), their roles and their device keys.

use std::collections::BTreeSet;
use std::fmt;

use serde::{Deserialize, Serialize};

use crate::Hash;
use crate::commitment::Commitment;
use crate::crypto::PublicKey;

/// A party's identity: its own Ed25519 public key.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct PartyId(pub PublicKey);

/// What an organisation is; some acts need a role (only a financier takes a pledge).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub enum Role {
    Cooperative,
    Farm,
    Processor,
    Warehouse,
    Trader,
    Financier,
    Veterinarian,
    Inspector,
    Regulator,
}

/// A registered organisation as the ledger knows it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Party {
    pub id: PartyId,
    pub name: String,
    pub roles: BTreeSet<Role>,
    /// Commitment to the contact person's name and phone; the clear data is kept off-ledger.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub contact: Option<Commitment>,
    /// The record that registered it.
    pub registered_by: Hash,
}

/// A station's key, authorised by a party to sign on its behalf.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Device {
    pub key: PublicKey,
    pub party: PartyId,
    pub label: String,
    pub authorised_by: Hash,
    /// The record that revoked it, if any. A revoked key can sign nothing more, whatever date
    /// its records claim.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub revoked_by: Option<Hash>,
}

impl Party {
    pub fn has_role(&self, role: Role) -> bool {
        self.roles.contains(&role)
    }
}

impl fmt::Display for PartyId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let s = match self {
            Role::Cooperative => "cooperative",
            Role::Farm => "farm",
            Role::Processor => "processor",
            Role::Warehouse => "warehouse",
            Role::Trader => "trader",
            Role::Financier => "financier",
            Role::Veterinarian => "veterinarian",
            Role::Inspector => "inspector",
            Role::Regulator => "regulator",
        };
        f.write_str(s)
    }
}
