-- The log's tables keyed by their integer as the rowid. A WITHOUT ROWID table is a B-tree
-- whose inner pages hold whole rows; an entry is about 700 bytes, so each inner page of
-- `entries` held five, and a read of one entry went down seven levels at a million entries
-- (three as a rowid table, whose inner pages hold only integers). Appending to a rowid table
-- at its largest key also splits no more than its right edge.
CREATE TABLE entries_by_rowid (
    idx INTEGER PRIMARY KEY NOT NULL,
    record_id BINARY NOT NULL,
    leaf_hash BINARY NOT NULL,
    -- RFC 8785 canonical JSON of the ledger entry: exactly the bytes hashed into the tree.
    leaf BINARY NOT NULL,
    -- Server time of acceptance (ms since the epoch); not part of the leaf.
    received_at BIGINT NOT NULL
);
INSERT INTO entries_by_rowid (idx, record_id, leaf_hash, leaf, received_at)
    SELECT idx, record_id, leaf_hash, leaf, received_at FROM entries ORDER BY idx;
DROP TABLE entries;
ALTER TABLE entries_by_rowid RENAME TO entries;

-- Stored hashes in the tlog layout (c2sp.org/tlog-tiles, golang.org/x/mod/sumdb/tlog).
CREATE TABLE nodes_by_rowid (
    idx INTEGER PRIMARY KEY NOT NULL,
    hash BINARY NOT NULL
);
INSERT INTO nodes_by_rowid (idx, hash) SELECT idx, hash FROM nodes ORDER BY idx;
DROP TABLE nodes;
ALTER TABLE nodes_by_rowid RENAME TO nodes;

CREATE TABLE checkpoints_by_rowid (
    size INTEGER PRIMARY KEY NOT NULL,
    root BINARY NOT NULL,
    note TEXT NOT NULL,
    signed_at BIGINT NOT NULL
);
INSERT INTO checkpoints_by_rowid (size, root, note, signed_at)
    SELECT size, root, note, signed_at FROM checkpoints ORDER BY size;
DROP TABLE checkpoints;
ALTER TABLE checkpoints_by_rowid RENAME TO checkpoints;
