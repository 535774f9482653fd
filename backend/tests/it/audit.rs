//! The audit over databases built by the real writer: a clean one passes, and every kind of
//! tampering with the stored entries, nodes or checkpoints is found and located.

use std::collections::BTreeSet;
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use diesel::prelude::*;
use diesel::sql_types::{BigInt, Binary, Text};
use diesel::sqlite::SqliteConnection;
use ed25519_dalek::SigningKey;
use terroir_backend::db;
use terroir_backend::service::audit::{AuditError, AuditFailure, AuditReport, audit};
use terroir_backend::service::ledger::{Clock, Ledger, LogIdentity, Outcome};
use terroir_shared::Hash;
use terroir_shared::asset::{AssetId, AssetRef, Packing, Product, Quantity, TeaLot, TeaOrigin, Unit};
use terroir_shared::calendar::{Date, Timestamp};
use terroir_shared::crypto::Keypair;
use terroir_shared::entry::LedgerEntry;
use terroir_shared::log::{EMPTY_ROOT, LogSigner, leaf_hash, stored_hash_count, stored_hash_index};
use terroir_shared::party::{PartyId, Role};
use terroir_shared::record::{
    Act, Commission, NewAsset, Part, Record, RegisterParty, Signed, Split, Transfer, Unsigned,
};
use terroir_shared::rules::{RuleViolation, Rules};

use crate::support::{key, party};

const ORIGIN: &str = "ledger.terroir.test/log";
const NOW: u64 = 1_790_000_000_000;
const LOG_SEED: [u8; 32] = [9; 32];

fn log_signer() -> LogSigner {
    LogSigner::new(ORIGIN, SigningKey::from_bytes(&LOG_SEED)).expect("valid origin")
}

fn sign(k: &Keypair, at: u64, act: Act) -> Signed<Record> {
    let record =
        Record { origin: ORIGIN.into(), party: party(k), signer: k.public(), at: Timestamp(at), act };
    Unsigned::new(record).sign(k).expect("signer named")
}

fn lot(garden: String, pieces: u64) -> NewAsset {
    NewAsset {
        product: Product::TeaLot(TeaLot {
            origin: TeaOrigin {
                garden,
                mountain: Some("Bulang".into()),
                harvest_season: "2026 spring".into(),
            },
            pressed_on: Date::from_ymd(2026, 4, 20).expect("date"),
            cake_weight_g: 357,
            packing: Packing::Lot,
        }),
        quantity: Quantity::new(pieces, Unit::Piece).expect("quantity"),
        gs1: None,
        part_of: None,
        units: None,
    }
}

fn register(operator: &Keypair, k: &Keypair, name: &str, at: u64) -> Signed<Record> {
    sign(
        operator,
        at,
        Act::RegisterParty(RegisterParty {
            id: party(k),
            name: name.into(),
            roles: BTreeSet::from([Role::Cooperative, Role::Trader]),
            contact: None,
        }),
    )
}

/// A ledger database written by the real writer, closed, and what it should audit to.
struct Built {
    _dir: tempfile::TempDir,
    path: PathBuf,
    vkey: String,
    operator: PartyId,
    entries: u64,
    checkpoints: u64,
    root: Hash,
}

impl Built {
    fn conn(&self) -> SqliteConnection {
        terroir_backend::db::open_writer(&self.path).expect("open the database")
    }

    fn audit(&self) -> Result<AuditReport, AuditError> {
        audit(&mut self.conn(), ORIGIN, self.operator, &self.vkey, &|_, _| {})
    }

    fn failure(&self) -> AuditFailure {
        match self.audit() {
            Ok(report) => panic!("the audit passed: {report:?}"),
            Err(AuditError::Failed(f)) => *f,
            Err(e) => panic!("the audit did not run: {e}"),
        }
    }

    fn exec(&self, sql: &str) {
        diesel::sql_query(sql).execute(&mut self.conn()).expect("tamper");
    }

    fn leaf(&self, idx: u64) -> Vec<u8> {
        db::entries::get(&mut self.conn(), idx as i64).expect("read").expect("entry exists").leaf
    }

    fn set_leaf(&self, idx: u64, leaf: &[u8]) {
        diesel::sql_query("UPDATE entries SET leaf = ? WHERE idx = ?")
            .bind::<Binary, _>(leaf)
            .bind::<BigInt, _>(idx as i64)
            .execute(&mut self.conn())
            .expect("tamper");
    }

    fn set_column(&self, table: &str, column: &str, key: &str, at: i64, value: &[u8]) {
        diesel::sql_query(format!("UPDATE {table} SET {column} = ? WHERE {key} = ?"))
            .bind::<Binary, _>(value)
            .bind::<BigInt, _>(at)
            .execute(&mut self.conn())
            .expect("tamper");
    }

    fn checkpoint_sizes(&self) -> Vec<u64> {
        db::checkpoints::all(&mut self.conn()).expect("read").iter().map(|c| c.size as u64).collect()
    }
}

/// Registers two parties, then writes `groups` commits of `per_group` commissioned lots each;
/// from the second commit on, each commit also transfers one earlier lot and splits another.
/// Every commit is one group, so one checkpoint; the clock moves a second per commit.
fn build(groups: usize, per_group: usize) -> Built {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("ledger.db");
    let operator = key(0);
    let (coop, trader) = (key(1), key(2));
    let signer = log_signer();
    let vkey = signer.vkey();
    let clock_at = Arc::new(AtomicU64::new(NOW));
    let clock: Clock = {
        let at = clock_at.clone();
        Arc::new(move || Timestamp(at.fetch_add(1_000, Ordering::SeqCst)))
    };
    let identity = LogIdentity { origin: ORIGIN.into(), operator: party(&operator), signer };
    let (ledger, writer) = Ledger::open(
        &path,
        identity,
        &operator,
        clock,
        std::sync::Arc::new(terroir_backend::metrics::Metrics::default()),
    )
    .expect("open the ledger");
    let rt = tokio::runtime::Builder::new_current_thread().build().expect("runtime");
    let mut at = NOW - 3_600_000;
    let mut tick = || {
        at += 1;
        at
    };
    let mut commits: Vec<Vec<Signed<Record>>> = vec![vec![
        register(&operator, &coop, "Bulang co-op", tick()),
        register(&operator, &trader, "Menghai trading", tick()),
    ]];
    let mut lots: Vec<(AssetId, Hash)> = Vec::new();
    for g in 0..groups {
        let mut records = Vec::new();
        if g > 0 {
            let (id, head) = lots.remove(0);
            records.push(sign(
                &coop,
                tick(),
                Act::Transfer(Transfer { assets: vec![AssetRef { id, head }], to: party(&trader) }),
            ));
            let (id, head) = lots.remove(0);
            records.push(sign(
                &coop,
                tick(),
                Act::Split(Split {
                    asset: AssetRef { id, head },
                    parts: vec![
                        Part { amount: 40, gs1: None, units: vec![] },
                        Part { amount: 60, gs1: None, units: vec![] },
                    ],
                }),
            ));
        }
        for i in 0..per_group {
            let r = sign(
                &coop,
                tick(),
                Act::Commission(Commission::new(vec![lot(format!("garden {g}-{i}"), 100)])),
            );
            lots.push((AssetId::derive(&r.id(), 0), r.id()));
            records.push(r);
        }
        commits.push(records);
    }
    // Entry 0 opened the log.
    let mut entries = 1;
    for records in &commits {
        let outcomes = rt.block_on(ledger.submit(records.clone())).expect("the writer answers");
        for o in outcomes {
            assert!(matches!(o, Outcome::Accepted(_)), "accepted: {o:?}");
            entries += 1;
        }
    }
    let latest = ledger.latest_checkpoint().expect("a checkpoint");
    assert_eq!(latest.size, entries);
    drop(ledger);
    writer.join();
    Built {
        _dir: dir,
        path,
        vkey,
        operator: party(&operator),
        entries,
        // One per commit, and the opening's.
        checkpoints: commits.len() as u64 + 1,
        root: latest.root,
    }
}

fn small() -> Built {
    build(4, 10)
}

#[test]
fn a_clean_database_passes_with_the_right_counts() {
    let built = small();
    let calls = std::cell::RefCell::new(Vec::new());
    let report = audit(&mut built.conn(), ORIGIN, built.operator, &built.vkey, &|done, total| {
        calls.borrow_mut().push((done, total))
    })
    .expect("a clean database passes");
    assert_eq!(report.entries, built.entries);
    assert_eq!(report.entries, 1 + 2 + 4 * 10 + 3 * 2);
    assert_eq!(report.checkpoints, built.checkpoints);
    assert_eq!(report.nodes, stored_hash_count(built.entries));
    assert_eq!(report.root, built.root);
    assert_eq!(report.parties, 2);
    assert_eq!(report.assets, 40 + 3 * 2);
    let calls = calls.into_inner();
    assert_eq!(calls.first(), Some(&(0, built.entries)));
    assert_eq!(calls.last(), Some(&(built.entries, built.entries)));
}

#[test]
fn an_empty_database_passes() {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("ledger.db");
    let identity = LogIdentity { origin: ORIGIN.into(), operator: party(&key(0)), signer: log_signer() };
    let clock: Clock = Arc::new(|| Timestamp(NOW));
    let (ledger, writer) = Ledger::open(
        &path,
        identity,
        &key(0),
        clock,
        std::sync::Arc::new(terroir_backend::metrics::Metrics::default()),
    )
    .expect("open");
    let vkey = ledger.vkey().to_owned();
    drop(ledger);
    writer.join();
    let mut conn = terroir_backend::db::open_writer(&path).expect("open");
    let report = audit(&mut conn, ORIGIN, party(&key(0)), &vkey, &|_, _| {}).expect("passes");
    // A new log holds its opening alone: entry 0 names the rules it runs.
    assert_eq!((report.entries, report.checkpoints, report.nodes, report.rules), (1, 1, 1, Rules::CURRENT));
    assert_ne!(report.root, EMPTY_ROOT);
}

#[test]
fn one_flipped_byte_of_a_leaf_names_its_entry() {
    let built = small();
    let original = built.leaf(7);
    let signature_at = original.windows(13).position(|w| w == b"\"signature\":\"").expect("a signature") + 13;
    for at in [0, 1, original.len() / 2, signature_at, original.len() - 1] {
        let mut leaf = original.clone();
        leaf[at] ^= 0x01;
        built.set_leaf(7, &leaf);
        let failure = built.failure();
        assert_eq!(failure.entry(), Some(7), "byte {at}: {failure}");
    }
    // A hex digit changed to another hex digit: still canonical, but not the hashed leaf.
    let mut leaf = original.clone();
    leaf[signature_at] = if leaf[signature_at] == b'0' { b'1' } else { b'0' };
    built.set_leaf(7, &leaf);
    assert!(
        matches!(
            built.failure(),
            AuditFailure::LeafHashMismatch { index: 7, computed, .. } if computed == leaf_hash(&leaf)
        ),
        "{}",
        built.failure()
    );
    // The same change with the leaf hash column updated to match: the signature fails.
    built.set_column("entries", "leaf_hash", "idx", 7, leaf_hash(&leaf).as_bytes());
    assert!(
        matches!(built.failure(), AuditFailure::SignatureInvalid { index: 7, .. }),
        "{}",
        built.failure()
    );
    // Put back, it passes again.
    built.set_leaf(7, &original);
    built.set_column("entries", "leaf_hash", "idx", 7, leaf_hash(&original).as_bytes());
    built.audit().expect("restored");
}

#[test]
fn the_stored_columns_must_match_the_leaf() {
    let built = small();
    built.set_column("entries", "record_id", "idx", 12, &[7; 32]);
    assert!(matches!(built.failure(), AuditFailure::RecordIdMismatch { index: 12, .. }));
    let built = small();
    built.set_column("entries", "leaf_hash", "idx", 3, &[7; 31]);
    assert!(matches!(built.failure(), AuditFailure::LeafHashMismatch { index: 3, .. }));
}

#[test]
fn swapped_or_missing_entries_are_found() {
    let built = small();
    let (a, b) = (built.leaf(4), built.leaf(5));
    built.set_leaf(4, &b);
    built.set_leaf(5, &a);
    assert_eq!(built.failure(), AuditFailure::IndexMismatch { index: 4, claimed: 5 });
    let built = small();
    built.exec("DELETE FROM entries WHERE idx = 9");
    assert_eq!(built.failure(), AuditFailure::EntryMissing { index: 9 });
    let built = small();
    built.exec(&format!("DELETE FROM entries WHERE idx = {}", built.entries - 1));
    assert_eq!(
        built.failure(),
        AuditFailure::CheckpointOutOfRange { size: built.entries as i64, entries: built.entries - 1 }
    );
}

#[test]
fn a_validly_signed_record_the_rules_refuse_is_named() {
    let built = small();
    let original = LedgerEntry::from_leaf_bytes(&built.leaf(20)).expect("canonical");
    let stranger = key(77);
    let forged = sign(&stranger, NOW, Act::Commission(Commission::new(vec![lot("nowhere".into(), 5)])));
    let entry = LedgerEntry { index: 20, prev: original.prev, record: forged.envelope() };
    let leaf = entry.leaf_bytes().expect("canonical");
    built.set_leaf(20, &leaf);
    built.set_column("entries", "leaf_hash", "idx", 20, leaf_hash(&leaf).as_bytes());
    built.set_column("entries", "record_id", "idx", 20, forged.id().as_bytes());
    assert_eq!(
        built.failure(),
        AuditFailure::RuleRefused { index: 20, violation: RuleViolation::UnknownParty(party(&stranger)) }
    );
}

#[test]
fn a_broken_hash_link_is_named() {
    let built = small();
    let mut entry = LedgerEntry::from_leaf_bytes(&built.leaf(15)).expect("canonical");
    entry.prev = Hash([1; 32]);
    let leaf = entry.leaf_bytes().expect("canonical");
    built.set_leaf(15, &leaf);
    assert!(matches!(
        built.failure(),
        AuditFailure::HashLinkBroken { index: 15, found, .. } if found == Hash([1; 32])
    ));
}

#[test]
fn a_changed_missing_or_extra_node_is_found() {
    let built = small();
    let node = stored_hash_index(1, 3);
    built.set_column("nodes", "hash", "idx", node as i64, &[0; 32]);
    assert!(
        matches!(
            built.failure(),
            AuditFailure::NodeMismatch { entry: 7, node: n, level: 1, n: 3, .. } if n == node
        ),
        "{}",
        built.failure()
    );
    let built = small();
    let leaf_node = stored_hash_index(0, 30);
    built.exec(&format!("DELETE FROM nodes WHERE idx = {leaf_node}"));
    assert!(matches!(built.failure(), AuditFailure::NodeMissing { entry: 30, level: 0, n: 30, .. }));
    let built = small();
    built.exec("INSERT INTO nodes (idx, hash) VALUES (100000, x'00')");
    assert!(matches!(built.failure(), AuditFailure::UnexpectedNodes { highest: Some(100000), .. }));
}

#[test]
fn a_changed_checkpoint_note_or_root_is_found() {
    let built = small();
    let size = built.checkpoint_sizes()[2] as i64;
    let note: String = db::checkpoints::all(&mut built.conn()).expect("read")[2].note.clone();
    let lines: Vec<&str> = note.split('\n').collect();
    let other_size = note.replacen(&format!("\n{}\n", lines[1]), "\n1\n", 1);
    assert_ne!(other_size, note);
    diesel::sql_query("UPDATE checkpoints SET note = ? WHERE size = ?")
        .bind::<Text, _>(&other_size)
        .bind::<BigInt, _>(size)
        .execute(&mut built.conn())
        .expect("tamper");
    assert!(
        matches!(
            built.failure(),
            AuditFailure::CheckpointSignatureInvalid { size: s, .. } if s == size as u64
        ),
        "{}",
        built.failure()
    );

    let built = small();
    let size = built.checkpoint_sizes()[1] as i64;
    built.set_column("checkpoints", "root", "size", size, &[3; 32]);
    assert!(matches!(
        built.failure(),
        AuditFailure::CheckpointRootColumnMismatch { size: s, .. } if s == size as u64
    ));
}

#[test]
fn a_checkpoint_the_log_key_signed_over_another_root_is_found() {
    let built = small();
    let size = built.checkpoint_sizes()[3];
    let wrong = Hash([5; 32]);
    let note = log_signer().sign(size, &wrong).to_text();
    diesel::sql_query("UPDATE checkpoints SET note = ?, root = ? WHERE size = ?")
        .bind::<Text, _>(&note)
        .bind::<Binary, _>(wrong.as_bytes().as_slice())
        .bind::<BigInt, _>(size as i64)
        .execute(&mut built.conn())
        .expect("tamper");
    assert!(matches!(
        built.failure(),
        AuditFailure::CheckpointRootDiffers { size: s, signed, .. } if s == size && signed == wrong
    ));
}

#[test]
fn a_deleted_checkpoint_is_found() {
    let built = small();
    let sizes = built.checkpoint_sizes();
    built.exec(&format!("DELETE FROM checkpoints WHERE size = {}", sizes[2]));
    assert_eq!(built.failure(), AuditFailure::CheckpointMissing { size: sizes[2] });
    let built = small();
    built.exec(&format!("DELETE FROM checkpoints WHERE size = {}", built.entries));
    assert_eq!(
        built.failure(),
        AuditFailure::EntriesNotCheckpointed { entries: built.entries, checkpointed: sizes[sizes.len() - 2] }
    );
}

#[test]
fn another_key_or_another_log_is_refused() {
    let built = small();
    let other = LogSigner::new(ORIGIN, SigningKey::from_bytes(&[10; 32])).expect("signer");
    let failure = match audit(&mut built.conn(), ORIGIN, built.operator, &other.vkey(), &|_, _| {}) {
        Err(AuditError::Failed(f)) => *f,
        other => panic!("expected a failure, got {other:?}"),
    };
    assert_eq!(failure.checkpoint(), Some(built.checkpoint_sizes()[0]));
    assert!(matches!(
        audit(&mut built.conn(), "elsewhere", built.operator, &built.vkey, &|_, _| {}),
        Err(AuditError::KeyNotForOrigin { .. })
    ));
}

/// What the server serves must be what the log gives: edits to the derived tables that the
/// log's checks alone would not see.
#[test]
fn the_served_state_is_held_to_the_log_row_by_row() {
    let expect = |built: &Built, table: &str, what: &str| match built.failure() {
        AuditFailure::StateDiffers { table: t, what: w, .. } => {
            assert_eq!(t, table);
            assert!(w.contains(what), "{w}");
        }
        other => panic!("expected a state difference in {table}, got {other}"),
    };
    let built = small();
    let (coop, trader) = (party(&key(1)).to_string(), party(&key(2)).to_string());
    // A sold lot's owner put back (the first transfer's lot).
    built.exec(&format!(
        "UPDATE assets SET body = replace(body, '\"owner\":\"{trader}\"', '\"owner\":\"{coop}\"') \
         WHERE body LIKE '%\"owner\":\"{trader}\"%' AND place = (SELECT min(place) FROM assets WHERE body LIKE '%\"owner\":\"{trader}\"%')"
    ));
    expect(&built, "assets", "`owner`");
    let built = small();
    built.exec("UPDATE assets SET body = replace(body, '\"amount\":100,', '\"amount\":1000,') WHERE place = (SELECT max(place) FROM assets)");
    expect(&built, "assets", "`quantity`");
    let built = small();
    built.exec("UPDATE parties SET body = replace(body, 'Bulang co-op', 'Bulang Royal Estate (Official)')");
    expect(&built, "parties", "`name`");
    let built = small();
    built.exec("DELETE FROM asset_parents WHERE (parent, child) IN (SELECT parent, child FROM asset_parents LIMIT 1)");
    expect(&built, "asset_parents", "no row holds it");
    let built = small();
    built.exec("UPDATE assets SET history = history || ' 3' WHERE place = (SELECT max(place) FROM assets)");
    expect(&built, "assets", "history");
    // An asset no entry creates.
    let built = small();
    built.exec(
        "INSERT INTO assets (place, id, body, history) SELECT place + 900, randomblob(32), body, history FROM assets \
         WHERE place = (SELECT max(place) FROM assets)",
    );
    expect(&built, "assets", "no entry of the log creates it");
}

/// Cuts the log back to its third-to-last checkpoint: its entries, nodes and checkpoints after
/// it deleted, the derived tables left as they are.
fn cut_back(built: &Built) {
    let sizes = built.checkpoint_sizes();
    let cut = sizes[sizes.len() - 3];
    built.exec(&format!("DELETE FROM entries WHERE idx >= {cut}"));
    built.exec(&format!("DELETE FROM nodes WHERE idx >= {}", stored_hash_index(0, cut)));
    built.exec(&format!("DELETE FROM checkpoints WHERE size > {cut}"));
}

/// A log cut back to an earlier checkpoint, with its nodes and later checkpoints: the log's own
/// checks pass, but the goods its lost entries made are still served, so the audit fails.
#[test]
fn a_log_cut_back_to_an_earlier_checkpoint_is_found() {
    let built = small();
    cut_back(&built);
    // The first row found names what a lost entry made or changed.
    assert!(
        matches!(built.failure(), AuditFailure::StateDiffers { table: "assets", .. }),
        "the served state is found ahead of the log"
    );
}

/// The server refuses to start on such a database: it would serve what no record proves.
#[test]
fn a_server_refuses_state_ahead_of_its_log() {
    let built = small();
    cut_back(&built);
    let identity = LogIdentity { origin: ORIGIN.into(), operator: built.operator, signer: log_signer() };
    let clock: Clock = Arc::new(|| Timestamp(NOW));
    let refused = Ledger::open(
        &built.path,
        identity,
        &key(0),
        clock,
        Arc::new(terroir_backend::metrics::Metrics::default()),
    );
    let said = refused.err().map(|e| e.to_string()).unwrap_or_default();
    assert!(said.contains("ahead of its log"), "{said}");
}

#[test]
fn every_checkpoint_commits_to_the_state_map_the_replay_rebuilds() {
    use terroir_backend::service::audit::StoredMap;
    use terroir_shared::log::verify_checkpoint;
    let built = small();
    let report = audit(&mut built.conn(), ORIGIN, built.operator, &built.vkey, &|_, _| {}).expect("passes");
    assert_eq!(report.stored_map, StoredMap::Checked);
    // Every asset, every party and each lot's GS1 identity is a key.
    assert!(report.state_keys >= report.assets + report.parties, "{report:?}");
    let latest: String = diesel::sql_query("SELECT note FROM checkpoints ORDER BY size DESC LIMIT 1")
        .get_result::<Note>(&mut built.conn())
        .expect("note")
        .note;
    let cp = verify_checkpoint(&latest, &built.vkey).expect("verifies");
    assert_eq!(cp.state, Some(report.state_root));
}

#[derive(diesel::QueryableByName)]
struct Note {
    #[diesel(sql_type = Text)]
    note: String,
}

#[test]
fn a_checkpoint_signed_over_another_state_root_is_found() {
    let built = small();
    let size = built.checkpoint_sizes()[2];
    let wrong = Hash([6; 32]);
    let note = log_signer().sign_with_state(size, &root_at(&built, size), Some(wrong)).to_text();
    diesel::sql_query("UPDATE checkpoints SET note = ? WHERE size = ?")
        .bind::<Text, _>(&note)
        .bind::<BigInt, _>(size as i64)
        .execute(&mut built.conn())
        .expect("tamper");
    assert!(
        matches!(built.failure(), AuditFailure::StateRootDiffers { size: s, signed, .. } if s == size && signed == wrong),
        "{}",
        built.failure()
    );
    // A checkpoint that drops the line after others carried it is found too.
    let built = small();
    let size = built.checkpoint_sizes()[2];
    let note = log_signer().sign(size, &root_at(&built, size)).to_text();
    diesel::sql_query("UPDATE checkpoints SET note = ? WHERE size = ?")
        .bind::<Text, _>(&note)
        .bind::<BigInt, _>(size as i64)
        .execute(&mut built.conn())
        .expect("tamper");
    assert!(matches!(built.failure(), AuditFailure::StateLineMissing { size: s, .. } if s == size));
}

fn root_at(built: &Built, size: u64) -> Hash {
    #[derive(diesel::QueryableByName)]
    struct Root {
        #[diesel(sql_type = Binary)]
        root: Vec<u8>,
    }
    let row: Root = diesel::sql_query("SELECT root FROM checkpoints WHERE size = ?")
        .bind::<BigInt, _>(size as i64)
        .get_result(&mut built.conn())
        .expect("root");
    Hash(row.root.try_into().expect("32 bytes"))
}

#[test]
fn a_changed_or_missing_stored_map_value_is_found() {
    // A row with leaves beside its node (the last byte of its leaves is a value's).
    let leaves = "(SELECT min(key) FROM map_nodes WHERE length(leaves) > 0)";
    let built = small();
    built.exec(&format!(
        "UPDATE map_nodes SET leaves = substr(leaves, 1, length(leaves) - 1) || CASE WHEN substr(leaves, -1) = x'00' THEN x'01' ELSE x'00' END WHERE key = {leaves}"
    ));
    assert!(matches!(built.failure(), AuditFailure::StoredMapDiffers { .. }), "{}", built.failure());
    // Its leaves gone, or cut short by a byte.
    for tamper in ["x''", "substr(leaves, 1, length(leaves) - 1)"] {
        let built = small();
        built.exec(&format!("UPDATE map_nodes SET leaves = {tamper} WHERE key = {leaves}"));
        assert!(matches!(built.failure(), AuditFailure::StoredMapDiffers { .. }), "{}", built.failure());
    }
    // The root node gone (the empty path: the shortest key).
    let built = small();
    built.exec(
        "DELETE FROM map_nodes WHERE key = (SELECT key FROM map_nodes ORDER BY length(key), key LIMIT 1)",
    );
    assert!(matches!(built.failure(), AuditFailure::StoredMapDiffers { .. }), "{}", built.failure());
    // A version logged but not written back that does not lead to the tip.
    let built = small();
    built.exec("INSERT INTO map_pending (version, size, changes) SELECT version + 1, size, x'' FROM map_tip");
    assert!(matches!(built.failure(), AuditFailure::StoredMapDiffers { .. }), "{}", built.failure());
}
