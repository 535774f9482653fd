//! Records: signed statements that change the ledger's state, their canonical bytes and the
//! `Unsigned` → `Signed` typestate that keeps an unchecked record out of the rules.

mod act;
mod parse;
mod signed;

use serde::{Deserialize, Serialize};

pub use act::{
    Act, Attachment, AuthoriseDevice, Commission, Custody, Event, Merge, NewAsset, Observe, OpenLedger, Part,
    Pledge, RegisterParty, Release, Retire, RevokeDevice, Split, Transfer, Transform, UnitTokens, Unpack,
};
pub use parse::ParseError;
pub(crate) use parse::{parse_strict, parse_with_path};
pub use signed::{
    Envelope, Prepared, SignError, Signable, Signed, Unsigned, VerifyError, verify_batch, verify_each,
};

use crate::calendar::Timestamp;
use crate::crypto::PublicKey;
use crate::party::PartyId;

/// A statement by `party`, signed by `signer` (the party's own key or one of its devices'),
/// for the log named `origin`: a record signed for one log cannot be replayed into another.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Record {
    pub origin: String,
    pub party: PartyId,
    pub signer: PublicKey,
    /// When the signer says it signed; the rules refuse records from the future.
    pub at: Timestamp,
    pub act: Act,
}

impl Signable for Record {
    const DOMAIN: &'static [u8] = b"terroir-record-v1\n";

    fn signer(&self) -> &PublicKey {
        &self.signer
    }
}
