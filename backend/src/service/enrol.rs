//! Enrolling an organisation: the operator signs its registration; the contact person's name
//! and phone, and their consent, go into the ledger only as a salted commitment, the clear data
//! stays off-ledger ([`super::personal`]).

use terroir_shared::calendar::Timestamp;
use terroir_shared::crypto::{Keypair, PublicKey};
use terroir_shared::party::{PartyId, Role};
use terroir_shared::record::{Act, Record, RegisterParty, Signed, Unsigned};

use super::ServiceError;
use super::personal::{Given, Taken};

/// What the operator is asked to register.
#[derive(Debug, Clone)]
pub struct Enrolment {
    pub key: PublicKey,
    pub name: String,
    pub roles: Vec<Role>,
    pub contact: Option<Given>,
}

/// The signed registration and the off-ledger contact data, if any.
pub struct Prepared {
    pub record: Signed<Record>,
    pub contact: Option<Taken>,
}

/// Signs the registration with the operator key; the salt is fresh randomness.
pub fn prepare(
    origin: &str,
    operator: &Keypair,
    at: Timestamp,
    enrolment: Enrolment,
) -> Result<Prepared, ServiceError> {
    let (commitment, contact) = match enrolment.contact {
        Some(given) => {
            let (commitment, taken) = super::personal::take(given, &PartyId(enrolment.key), at)?;
            (Some(commitment), Some(taken))
        }
        None => (None, None),
    };
    let act = Act::RegisterParty(RegisterParty {
        id: PartyId(enrolment.key),
        name: enrolment.name,
        roles: enrolment.roles.into_iter().collect(),
        contact: commitment,
    });
    let record = Record {
        origin: origin.into(),
        party: PartyId(operator.public()),
        signer: operator.public(),
        at,
        act,
    };
    let record = Unsigned::new(record)
        .sign(operator)
        .map_err(|e| ServiceError::Integrity(format!("cannot sign the registration: {e}")))?;
    Ok(Prepared { record, contact })
}
