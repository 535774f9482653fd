//! Enrolling an organisation: the operator signs its registration; the contact person's name
//! and phone go into the ledger only as a salted commitment, the clear data stays off-ledger.

use diesel::sqlite::SqliteConnection;
use rand_core::{OsRng, RngCore};
use terroir_shared::calendar::Timestamp;
use terroir_shared::commitment::{Commitment, PersonalData};
use terroir_shared::crypto::{Keypair, PublicKey};
use terroir_shared::party::{PartyId, Role};
use terroir_shared::record::{Act, Record, RegisterParty, Signed, Unsigned};

use super::ServiceError;
use crate::db;

/// What the operator is asked to register.
#[derive(Debug, Clone)]
pub struct Enrolment {
    pub key: PublicKey,
    pub name: String,
    pub roles: Vec<Role>,
    pub contact: Option<PersonalData>,
}

/// The signed registration and the off-ledger contact row, if any.
pub struct Prepared {
    pub record: Signed<Record>,
    pub contact: Option<db::contacts::ContactRow>,
}

/// Signs the registration with the operator key; the salt is fresh randomness.
pub fn prepare(
    origin: &str,
    operator: &Keypair,
    at: Timestamp,
    enrolment: Enrolment,
) -> Result<Prepared, ServiceError> {
    let (commitment, contact) = match enrolment.contact {
        Some(data) => {
            let mut salt = [0u8; 32];
            OsRng.fill_bytes(&mut salt);
            let commitment = Commitment::commit(&data, &salt);
            let row = db::contacts::ContactRow {
                commitment: commitment.0.0.to_vec(),
                name: data.name,
                phone: data.phone,
                salt: salt.to_vec(),
            };
            (Some(commitment), Some(row))
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

/// Keeps the clear contact data, once its registration is in the log.
pub fn keep_contact(conn: &mut SqliteConnection, row: &db::contacts::ContactRow) -> Result<(), ServiceError> {
    Ok(db::contacts::put(conn, row)?)
}

/// The clear contact data behind a commitment, checked against it.
pub fn contact(
    conn: &mut SqliteConnection,
    commitment: &Commitment,
) -> Result<Option<PersonalData>, ServiceError> {
    let Some(row) = db::contacts::get(conn, commitment.0.as_bytes())? else { return Ok(None) };
    let data = PersonalData { name: row.name, phone: row.phone };
    let salt: [u8; 32] = row
        .salt
        .as_slice()
        .try_into()
        .map_err(|_| ServiceError::Integrity("a stored salt is not 32 bytes".into()))?;
    if !commitment.opens(&data, &salt) {
        return Err(ServiceError::Integrity("stored contact data does not open its commitment".into()));
    }
    Ok(Some(data))
}

/// Erases the clear contact data behind a commitment. Returns whether there was any.
pub fn erase_contact(conn: &mut SqliteConnection, commitment: &Commitment) -> Result<bool, ServiceError> {
    Ok(db::contacts::erase(conn, commitment.0.as_bytes())?)
}
