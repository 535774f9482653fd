//! The personal store: `personal.sqlite`, a file of its own beside the ledger's database, so
//! that the ledger's busy WAL never holds a byte of a person's name or phone. It runs with
//! `secure_delete` (freed bytes are zeroed) and a rollback journal deleted at each commit, and
//! an erasure ends with `VACUUM`, which rewrites every page and cuts the file to what is live.

use std::path::{Path, PathBuf};

use diesel::connection::SimpleConnection;
use diesel::prelude::*;
use diesel::sql_types::{Binary, Nullable, Text};
use diesel::sqlite::SqliteConnection;
use diesel_migrations::{EmbeddedMigrations, MigrationHarness, embed_migrations};

use super::DbError;

const MIGRATIONS: EmbeddedMigrations = embed_migrations!("personal-migrations");

/// The store's file name in the data directory.
pub const FILE: &str = "personal.sqlite";

const PRAGMAS: &str = "PRAGMA busy_timeout = 10000; PRAGMA journal_mode = DELETE; \
    PRAGMA synchronous = FULL; PRAGMA secure_delete = ON; PRAGMA temp_store = MEMORY;";

mod schema {
    diesel::table! {
        subjects (commitment) {
            commitment -> Binary,
            party -> Nullable<Binary>,
            version -> Integer,
            collected_at -> Nullable<BigInt>,
            consent -> Nullable<Text>,
            consent_salt -> Nullable<Binary>,
            data_half -> Nullable<Binary>,
            erased_at -> Nullable<BigInt>,
        }
    }

    diesel::table! {
        contacts (commitment) {
            commitment -> Binary,
            name -> Text,
            phone -> Nullable<Text>,
            salt -> Binary,
        }
    }
}

use schema::{contacts, subjects};

/// What is kept about a commitment whether or not its data still is: nothing personal.
#[derive(Debug, Clone, PartialEq, Eq, Queryable, Selectable, Insertable)]
#[diesel(table_name = subjects)]
pub struct Subject {
    pub commitment: Vec<u8>,
    pub party: Option<Vec<u8>>,
    pub version: i32,
    pub collected_at: Option<i64>,
    pub consent: Option<String>,
    pub consent_salt: Option<Vec<u8>>,
    pub data_half: Option<Vec<u8>>,
    pub erased_at: Option<i64>,
}

/// The personal data itself, until it is erased.
#[derive(Debug, Clone, PartialEq, Eq, Queryable, Selectable, Insertable)]
#[diesel(table_name = contacts)]
pub struct Contact {
    pub commitment: Vec<u8>,
    pub name: String,
    pub phone: Option<String>,
    pub salt: Vec<u8>,
}

/// The store beside a ledger's database.
pub fn beside(ledger: &Path) -> PathBuf {
    ledger.with_file_name(FILE)
}

/// Opens the store (creating it readable by its owner alone) and brings its schema up to date.
pub fn open(path: &Path) -> Result<SqliteConnection, DbError> {
    // SQLite gives its journal the database's mode, so the journal is private too.
    crate::private::file(path)
        .map_err(|e| DbError::Corrupt(format!("cannot create {}: {e}", path.display())))?;
    let mut conn = SqliteConnection::establish(&path.to_string_lossy())?;
    conn.batch_execute(PRAGMAS)?;
    conn.run_pending_migrations(MIGRATIONS).map_err(|e| DbError::Migration(e.to_string()))?;
    Ok(conn)
}

/// Keeps a subject and its data, in one transaction.
pub fn keep(conn: &mut SqliteConnection, subject: &Subject, contact: &Contact) -> Result<(), DbError> {
    conn.immediate_transaction(|conn| {
        diesel::replace_into(subjects::table).values(subject).execute(conn)?;
        diesel::replace_into(contacts::table).values(contact).execute(conn)?;
        Ok(())
    })
}

/// What is kept about a commitment: the subject, and the data unless it was erased.
pub fn get(
    conn: &mut SqliteConnection,
    commitment: &[u8],
) -> Result<Option<(Subject, Option<Contact>)>, DbError> {
    let Some(subject) =
        subjects::table.find(commitment).select(Subject::as_select()).get_result(conn).optional()?
    else {
        return Ok(None);
    };
    let contact =
        contacts::table.find(commitment).select(Contact::as_select()).get_result(conn).optional()?;
    Ok(Some((subject, contact)))
}

/// The commitments kept for a party, oldest first.
pub fn of_party(conn: &mut SqliteConnection, party: &[u8]) -> Result<Vec<Vec<u8>>, DbError> {
    Ok(subjects::table
        .filter(subjects::party.eq(party))
        .order((subjects::collected_at.asc(), subjects::commitment.asc()))
        .select(subjects::commitment)
        .load(conn)?)
}

/// The commitments whose data is held.
pub fn held(conn: &mut SqliteConnection) -> Result<Vec<Vec<u8>>, DbError> {
    Ok(contacts::table.select(contacts::commitment).load(conn)?)
}

/// What an erasure found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Erased {
    /// The data was held and is gone now.
    Now,
    /// It had been erased before, at this time (milliseconds).
    Before(Option<i64>),
    /// Nothing is kept under this commitment.
    Unknown,
}

/// Deletes the data, stamps the subject erased at `at` (milliseconds), and rewrites the file so
/// that no byte of the data is left in it.
pub fn erase(conn: &mut SqliteConnection, commitment: &[u8], at: i64) -> Result<Erased, DbError> {
    let erased = conn.immediate_transaction(|conn| {
        let deleted = diesel::delete(contacts::table.find(commitment)).execute(conn)? > 0;
        let stamp =
            subjects::table.find(commitment).select(subjects::erased_at).get_result(conn).optional()?;
        Ok::<_, DbError>(match (deleted, stamp) {
            (true, Some(None)) | (true, None) => {
                diesel::update(subjects::table.find(commitment))
                    .set(subjects::erased_at.eq(Some(at)))
                    .execute(conn)?;
                Erased::Now
            }
            (true, Some(Some(before))) => Erased::Before(Some(before)),
            (false, Some(before)) => Erased::Before(before),
            (false, None) => Erased::Unknown,
        })
    })?;
    if erased != Erased::Unknown {
        vacuum(conn)?;
    }
    Ok(erased)
}

/// Rewrites every page of the file and cuts it to what is live; the rollback journal that held
/// the old pages is deleted when it commits.
pub fn vacuum(conn: &mut SqliteConnection) -> Result<(), DbError> {
    conn.batch_execute("VACUUM;")?;
    Ok(())
}

/// Adds what the store at `other` (a snapshot) keeps and this one does not: subjects this store
/// has never seen, with their data unless this store knows them erased. Returns how many
/// subjects were added.
pub fn merge_from(conn: &mut SqliteConnection, other: &Path) -> Result<usize, DbError> {
    diesel::sql_query("ATTACH DATABASE ? AS other").bind::<Text, _>(other.to_string_lossy()).execute(conn)?;
    let merged = conn.immediate_transaction(|conn| {
        let added = diesel::sql_query("INSERT OR IGNORE INTO main.subjects SELECT * FROM other.subjects")
            .execute(conn)?;
        diesel::sql_query(
            "INSERT OR IGNORE INTO main.contacts SELECT c.* FROM other.contacts c WHERE NOT EXISTS \
             (SELECT 1 FROM main.subjects s WHERE s.commitment = c.commitment AND s.erased_at IS NOT NULL)",
        )
        .execute(conn)?;
        Ok::<_, DbError>(added)
    });
    diesel::sql_query("DETACH DATABASE other").execute(conn)?;
    merged
}

#[derive(QueryableByName)]
struct LegacyRow {
    #[diesel(sql_type = Binary)]
    commitment: Vec<u8>,
    #[diesel(sql_type = Text)]
    name: String,
    #[diesel(sql_type = Nullable<Text>)]
    phone: Option<String>,
    #[diesel(sql_type = Binary)]
    salt: Vec<u8>,
    #[diesel(sql_type = Nullable<Binary>)]
    party: Option<Vec<u8>>,
}

/// Whether the ledger's database still has the `contacts` table that ledgers kept their
/// contact data in before this store.
pub(crate) fn has_legacy_table(ledger: &mut SqliteConnection) -> Result<bool, DbError> {
    #[derive(QueryableByName)]
    struct Count {
        #[diesel(sql_type = diesel::sql_types::BigInt)]
        n: i64,
    }
    let found = diesel::sql_query(
        "SELECT count(*) AS n FROM sqlite_master WHERE type = 'table' AND name = 'contacts'",
    )
    .get_result::<Count>(ledger)?;
    Ok(found.n > 0)
}

/// Moves the contact rows an older ledger kept in its own database into the store beside it
/// (commitments of version 1, their party found among the registrations). The caller then drops
/// the old table and vacuums the ledger. Returns how many rows were moved.
pub(crate) fn move_out_of(ledger: &mut SqliteConnection, ledger_path: &Path) -> Result<usize, DbError> {
    let rows = diesel::sql_query(
        "SELECT c.commitment AS commitment, c.name AS name, c.phone AS phone, c.salt AS salt, \
         (SELECT p.id FROM parties p WHERE instr(p.body, lower(hex(c.commitment))) > 0 LIMIT 1) AS party \
         FROM contacts c",
    )
    .load::<LegacyRow>(ledger)?;
    if rows.is_empty() {
        return Ok(0);
    }
    let mut store = open(&beside(ledger_path))?;
    for row in &rows {
        if get(&mut store, &row.commitment)?.is_some() {
            continue; // moved by an earlier open that stopped before dropping the table
        }
        let subject = Subject {
            commitment: row.commitment.clone(),
            party: row.party.clone(),
            version: 1,
            collected_at: None,
            consent: None,
            consent_salt: None,
            data_half: None,
            erased_at: None,
        };
        let contact = Contact {
            commitment: row.commitment.clone(),
            name: row.name.clone(),
            phone: row.phone.clone(),
            salt: row.salt.clone(),
        };
        keep(&mut store, &subject, &contact)?;
    }
    Ok(rows.len())
}
