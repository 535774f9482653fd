//! The `contacts` table: the personal data behind party commitments, kept off the ledger so it
//! can be erased without breaking any proof.

use diesel::prelude::*;
use diesel::sqlite::SqliteConnection;

use super::DbError;
use super::schema::contacts;

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = contacts)]
pub struct ContactRow {
    pub commitment: Vec<u8>,
    pub name: String,
    pub phone: Option<String>,
    pub salt: Vec<u8>,
}

pub fn put(conn: &mut SqliteConnection, row: &ContactRow) -> Result<(), DbError> {
    diesel::replace_into(contacts::table).values(row).execute(conn)?;
    Ok(())
}

pub fn get(conn: &mut SqliteConnection, commitment: &[u8]) -> Result<Option<ContactRow>, DbError> {
    Ok(contacts::table.find(commitment).select(ContactRow::as_select()).first(conn).optional()?)
}

/// Erases the clear data; the commitment in the ledger stays and still verifies nothing else.
pub fn erase(conn: &mut SqliteConnection, commitment: &[u8]) -> Result<bool, DbError> {
    Ok(diesel::delete(contacts::table.find(commitment)).execute(conn)? > 0)
}
