-- Fewer random-key rows per record: at a million entries every row written under a random
-- key dirties its own B-tree page, and the single writer spends its time writing pages.

-- A record that creates assets is found through its first output, whose id derives from the
-- record's own (and only that record can create it); only the records that create no asset
-- are indexed by their id. The index of existing records is kept whole.
CREATE TABLE record_index (
    record BINARY PRIMARY KEY NOT NULL,
    idx BIGINT NOT NULL
) WITHOUT ROWID;
INSERT INTO record_index (record, idx) SELECT record_id, idx FROM entries;
DROP INDEX entries_by_record;

-- An asset's history (the indexes of the entries that touched it, ascending, each after a
-- space) lives in its own row, which every touch rewrites anyway. Nothing looks assets up by
-- owner: the owner stays in the body only.
ALTER TABLE assets ADD COLUMN history TEXT NOT NULL DEFAULT '';
UPDATE assets SET history = coalesce(
    (SELECT group_concat(' ' || idx, '' ORDER BY idx) FROM asset_entries WHERE asset = assets.id), '');
DROP TABLE asset_entries;
DROP INDEX assets_by_owner;
ALTER TABLE assets DROP COLUMN owner;
