//! The station's SQLite store (diesel, bundled SQLite, WAL, `synchronous=FULL`): the queue of
//! signed records, the station's view of the assets and parties it works with, settings and
//! attached files. Nothing outside `store/` touches `schema::`.

mod assets;
mod records;
#[rustfmt::skip]
mod schema;

use std::collections::HashMap;
use std::path::Path;

use diesel::connection::SimpleConnection;
use diesel::prelude::*;
use diesel::sqlite::SqliteConnection;
use diesel_migrations::{EmbeddedMigrations, MigrationHarness, embed_migrations};
use terroir_shared::asset::{Asset, AssetId};
use terroir_shared::crypto::PublicKey;
use terroir_shared::party::{Device, Party, PartyId};
use terroir_shared::record::{Record, Signed};
use terroir_shared::rules::{MemoryLedger, Needs};

pub use assets::{AssetFilter, AssetRow, AssetState};
pub use records::{RecordRow, RecordState, SyncCounts};

const MIGRATIONS: EmbeddedMigrations = embed_migrations!("migrations");

/// Every commit is durable before the clerk sees "saved"; the sync thread reads beside the
/// window's connection.
const PRAGMAS: &str = "PRAGMA busy_timeout = 10000; PRAGMA journal_mode = WAL; \
    PRAGMA synchronous = FULL; PRAGMA foreign_keys = ON;";

/// Why the store failed.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("station database: {0}")]
    Query(#[from] diesel::result::Error),
    #[error("cannot open the station database: {0}")]
    Connect(#[from] diesel::ConnectionError),
    #[error("station database upgrade failed: {0}")]
    Migration(String),
    #[error("the station database holds damaged data: {0}")]
    Corrupt(String),
}

/// Opens (creating if needed) the store at `path` and brings its schema up to date.
pub fn open(path: &Path) -> Result<SqliteConnection, StoreError> {
    let mut conn = SqliteConnection::establish(&path.to_string_lossy())?;
    conn.batch_execute(PRAGMAS)?;
    conn.run_pending_migrations(MIGRATIONS).map_err(|e| StoreError::Migration(e.to_string()))?;
    Ok(conn)
}

pub(crate) fn corrupt(what: &str, e: impl std::fmt::Display) -> StoreError {
    StoreError::Corrupt(format!("{what}: {e}"))
}

pub fn setting(conn: &mut SqliteConnection, key: &str) -> Result<Option<String>, StoreError> {
    use schema::settings::dsl as s;
    Ok(s::settings.filter(s::key.eq(key)).select(s::value).first(conn).optional()?)
}

/// Every setting, in one read.
pub fn all_settings(
    conn: &mut SqliteConnection,
) -> Result<std::collections::HashMap<String, String>, StoreError> {
    use schema::settings::dsl as s;
    Ok(s::settings.select((s::key, s::value)).load::<(String, String)>(conn)?.into_iter().collect())
}

pub fn set_setting(conn: &mut SqliteConnection, key: &str, value: &str) -> Result<(), StoreError> {
    use schema::settings::dsl as s;
    diesel::replace_into(s::settings).values((s::key.eq(key), s::value.eq(value))).execute(conn)?;
    Ok(())
}

/// Remembers `party`; `confirmed` when it was read from the ledger rather than assumed.
pub fn put_party(conn: &mut SqliteConnection, party: &Party, confirmed: bool) -> Result<(), StoreError> {
    use schema::parties::dsl as p;
    let json = serde_json::to_string(party).map_err(|e| corrupt("party", e))?;
    diesel::replace_into(p::parties)
        .values((p::id.eq(party.id.to_string()), p::json.eq(json), p::confirmed.eq(confirmed)))
        .execute(conn)?;
    Ok(())
}

pub fn party(conn: &mut SqliteConnection, id: &PartyId) -> Result<Option<(Party, bool)>, StoreError> {
    use schema::parties::dsl as p;
    let row: Option<(String, bool)> =
        p::parties.filter(p::id.eq(id.to_string())).select((p::json, p::confirmed)).first(conn).optional()?;
    row.map(|(json, confirmed)| {
        Ok((serde_json::from_str(&json).map_err(|e| corrupt("party", e))?, confirmed))
    })
    .transpose()
}

pub fn parties(conn: &mut SqliteConnection) -> Result<Vec<(Party, bool)>, StoreError> {
    use schema::parties::dsl as p;
    let rows: Vec<(String, bool)> = p::parties.select((p::json, p::confirmed)).load(conn)?;
    rows.into_iter()
        .map(|(json, confirmed)| {
            Ok((serde_json::from_str(&json).map_err(|e| corrupt("party", e))?, confirmed))
        })
        .collect()
}

pub fn put_device(conn: &mut SqliteConnection, device: &Device) -> Result<(), StoreError> {
    use schema::devices::dsl as d;
    let json = serde_json::to_string(device).map_err(|e| corrupt("device", e))?;
    diesel::replace_into(d::devices)
        .values((d::key.eq(device.key.to_string()), d::json.eq(json)))
        .execute(conn)?;
    Ok(())
}

pub fn device(conn: &mut SqliteConnection, key: &PublicKey) -> Result<Option<Device>, StoreError> {
    use schema::devices::dsl as d;
    let json: Option<String> =
        d::devices.filter(d::key.eq(key.to_string())).select(d::json).first(conn).optional()?;
    json.map(|j| serde_json::from_str(&j).map_err(|e| corrupt("device", e))).transpose()
}

/// A file kept beside the ledger, named by its SHA-256 in the records that cite it.
pub fn put_attachment(
    conn: &mut SqliteConnection,
    sha256: &str,
    name: &str,
    media_type: &str,
    bytes: &[u8],
) -> Result<(), StoreError> {
    use schema::attachments::dsl as a;
    diesel::insert_or_ignore_into(a::attachments)
        .values((
            a::sha256.eq(sha256),
            a::name.eq(name),
            a::media_type.eq(media_type),
            a::size.eq(bytes.len() as i64),
            a::bytes.eq(bytes),
        ))
        .execute(conn)?;
    Ok(())
}

/// The store as one act reads it: each asset once, whichever step asks (the form, the garden
/// caps, the units a split hands on, the summary, the rules' snapshot); the rest as stored.
/// The act's transaction holds the connection, so nothing changes under it.
pub struct Reads<'c> {
    conn: &'c mut SqliteConnection,
    assets: HashMap<AssetId, Option<Asset>>,
}

impl<'c> Reads<'c> {
    pub fn new(conn: &'c mut SqliteConnection) -> Self {
        Reads { conn, assets: HashMap::new() }
    }

    pub fn asset(&mut self, id: &AssetId) -> Result<Option<Asset>, StoreError> {
        if let Some(known) = self.assets.get(id) {
            return Ok(known.clone());
        }
        let read = assets::asset(self.conn, id)?;
        self.assets.insert(*id, read.clone());
        Ok(read)
    }

    pub fn holder_of(&mut self, identity_key: &str) -> Result<Option<AssetId>, StoreError> {
        assets::holder_of(self.conn, identity_key)
    }

    /// An organisation and whether the ledger confirmed it.
    pub fn party(&mut self, id: &PartyId) -> Result<Option<(Party, bool)>, StoreError> {
        party(self.conn, id)
    }

    /// Exactly the state the rules will read for `record`, whose needs are `wanted` (see
    /// `rules::needs`).
    pub fn snapshot(&mut self, record: &Signed<Record>, wanted: &Needs) -> Result<MemoryLedger, StoreError> {
        terroir_shared::rules::snapshot(self, record.body(), wanted)
    }

    /// The connection again, to write what the act did.
    pub fn into_conn(self) -> &'c mut SqliteConnection {
        self.conn
    }
}

impl terroir_shared::rules::StateSource for Reads<'_> {
    type Error = StoreError;

    fn party(&mut self, id: &PartyId) -> Result<Option<Party>, StoreError> {
        Ok(Reads::party(self, id)?.map(|(p, _)| p))
    }

    fn device(&mut self, key: &PublicKey) -> Result<Option<Device>, StoreError> {
        device(self.conn, key)
    }

    fn asset(&mut self, id: &AssetId) -> Result<Option<Asset>, StoreError> {
        Reads::asset(self, id)
    }

    fn holder_of(&mut self, identity_key: &str) -> Result<Option<AssetId>, StoreError> {
        Reads::holder_of(self, identity_key)
    }
}

pub use assets::{asset, assets_of, children, holder_of, put_asset, remove_asset, rows_of};
pub use records::{
    counts, insert_record, pending, record, records, records_of_asset, settle_landed, settle_refused,
};

#[cfg(test)]
mod tests {
    use diesel::{QueryableByName, RunQueryDsl};
    use diesel_migrations::MigrationHarness;

    use super::{MIGRATIONS, open};

    #[derive(QueryableByName)]
    struct Name {
        #[diesel(sql_type = diesel::sql_types::Text)]
        name: String,
    }

    fn tables(conn: &mut diesel::SqliteConnection) -> Vec<String> {
        diesel::sql_query(
            "SELECT name FROM sqlite_master WHERE type IN ('table', 'index') \
             AND name NOT LIKE 'sqlite_%' AND name != '__diesel_schema_migrations' ORDER BY name",
        )
        .load::<Name>(conn)
        .expect("the schema")
        .into_iter()
        .map(|n| n.name)
        .collect()
    }

    #[test]
    fn every_migration_reverts_and_reapplies() {
        let dir = tempfile::tempdir().expect("dir");
        let mut conn = open(&dir.path().join("station.sqlite")).expect("open and migrate");
        let created = tables(&mut conn);
        assert!(
            created.contains(&"records".to_owned()) && created.contains(&"attachments".to_owned()),
            "{created:?}"
        );
        conn.revert_all_migrations(MIGRATIONS).expect("revert");
        assert_eq!(tables(&mut conn), Vec::<String>::new(), "nothing left behind");
        conn.run_pending_migrations(MIGRATIONS).expect("reapply");
        assert_eq!(tables(&mut conn), created);
    }

    #[derive(QueryableByName, Debug, PartialEq)]
    struct Words {
        #[diesel(sql_type = diesel::sql_types::Text)]
        summary: String,
        #[diesel(sql_type = diesel::sql_types::Nullable<diesel::sql_types::Text>)]
        problem: Option<String>,
    }

    fn words(conn: &mut diesel::SqliteConnection) -> Words {
        diesel::sql_query("SELECT summary, problem FROM records").get_result(conn).expect("the record")
    }

    #[test]
    fn records_an_older_station_wrote_keep_their_words_in_both_languages() {
        let dir = tempfile::tempdir().expect("dir");
        let mut conn = open(&dir.path().join("station.sqlite")).expect("open and migrate");
        conn.revert_last_migration(MIGRATIONS).expect("back to one language");
        diesel::sql_query(
            "INSERT INTO records (id, act, summary, envelope, state, problem, signed_at) \
             VALUES ('r1', 'merge', 'Merge: lot \"A\"', '{}', 'refused', 'head_conflict', 1)",
        )
        .execute(&mut conn)
        .expect("a record as an older station wrote it");
        conn.run_pending_migrations(MIGRATIONS).expect("forward");
        let both = words(&mut conn);
        let summary: serde_json::Value = serde_json::from_str(&both.summary).expect("JSON");
        assert_eq!(summary, serde_json::json!({"en": "Merge: lot \"A\"", "zh": "Merge: lot \"A\""}));
        assert!(both.problem.as_deref().is_some_and(|p| p.contains(r#""zh":"head_conflict""#)), "{both:?}");
        // Applying it twice changes nothing; reverting gives the words back as they were.
        conn.revert_last_migration(MIGRATIONS).expect("back");
        assert_eq!(
            words(&mut conn),
            Words { summary: "Merge: lot \"A\"".into(), problem: Some("head_conflict".into()) }
        );
    }
}
