-- Fewer random-key rows per record. At a million entries every row written under a random key
-- dirties its own B-tree page, and a wide row splits its page every few inserts, so the single
-- writer spends its time writing pages.

-- A record that creates assets is found through its first output, whose id derives from the
-- record's own (and only that record can create it); only the records that create no asset
-- are indexed by their id. The index of existing records is kept whole.
CREATE TABLE record_index (
    record BINARY PRIMARY KEY NOT NULL,
    idx BIGINT NOT NULL
) WITHOUT ROWID;
INSERT INTO record_index (record, idx) SELECT record_id, idx FROM entries;
DROP INDEX entries_by_record;

-- Assets in the order the log made them: `place` is the index of the entry that created the
-- asset times 2^20, plus what tells its outputs apart (its output position; for assets made
-- before this table, their order by id). New assets are appended; only the narrow index by id
-- takes random keys. An asset's history (the indexes of the entries that touched it,
-- ascending, each after a space) lives in its row, which every touch rewrites anyway. Nothing
-- looks assets up by owner.
CREATE TABLE assets_in_order (
    place INTEGER PRIMARY KEY NOT NULL,
    id BINARY NOT NULL,
    body TEXT NOT NULL,
    history TEXT NOT NULL
);
INSERT INTO assets_in_order (place, id, body, history)
    SELECT created * 1048576 + row_number() OVER (PARTITION BY created ORDER BY id) - 1, id, body, history
    FROM (
        SELECT id, body,
            (SELECT min(idx) FROM asset_entries WHERE asset = assets.id) AS created,
            coalesce((SELECT group_concat(' ' || idx, '' ORDER BY idx) FROM asset_entries
                WHERE asset = assets.id), '') AS history
        FROM assets
    )
    ORDER BY created;
DROP TABLE asset_entries;
DROP TABLE assets;
ALTER TABLE assets_in_order RENAME TO assets;
CREATE UNIQUE INDEX assets_by_id ON assets (id);
