CREATE TABLE entries_without_rowid (
    idx BIGINT PRIMARY KEY NOT NULL,
    record_id BINARY NOT NULL,
    leaf_hash BINARY NOT NULL,
    leaf BINARY NOT NULL,
    received_at BIGINT NOT NULL
) WITHOUT ROWID;
INSERT INTO entries_without_rowid (idx, record_id, leaf_hash, leaf, received_at)
    SELECT idx, record_id, leaf_hash, leaf, received_at FROM entries ORDER BY idx;
DROP TABLE entries;
ALTER TABLE entries_without_rowid RENAME TO entries;

CREATE TABLE nodes_without_rowid (
    idx BIGINT PRIMARY KEY NOT NULL,
    hash BINARY NOT NULL
) WITHOUT ROWID;
INSERT INTO nodes_without_rowid (idx, hash) SELECT idx, hash FROM nodes ORDER BY idx;
DROP TABLE nodes;
ALTER TABLE nodes_without_rowid RENAME TO nodes;

CREATE TABLE checkpoints_without_rowid (
    size BIGINT PRIMARY KEY NOT NULL,
    root BINARY NOT NULL,
    note TEXT NOT NULL,
    signed_at BIGINT NOT NULL
) WITHOUT ROWID;
INSERT INTO checkpoints_without_rowid (size, root, note, signed_at)
    SELECT size, root, note, signed_at FROM checkpoints ORDER BY size;
DROP TABLE checkpoints;
ALTER TABLE checkpoints_without_rowid RENAME TO checkpoints;
