-- The ledger: entries (Merkle leaves), tree nodes, signed checkpoints.
CREATE TABLE entries (
    idx BIGINT PRIMARY KEY NOT NULL,
    record_id BINARY NOT NULL,
    leaf_hash BINARY NOT NULL,
    -- RFC 8785 canonical JSON of the ledger entry: exactly the bytes hashed into the tree.
    leaf BINARY NOT NULL,
    -- Server time of acceptance (ms since the epoch); not part of the leaf.
    received_at BIGINT NOT NULL
) WITHOUT ROWID;
CREATE UNIQUE INDEX entries_by_record ON entries (record_id);

-- Stored hashes in the tlog layout (c2sp.org/tlog-tiles, golang.org/x/mod/sumdb/tlog).
CREATE TABLE nodes (
    idx BIGINT PRIMARY KEY NOT NULL,
    hash BINARY NOT NULL
) WITHOUT ROWID;

CREATE TABLE checkpoints (
    size BIGINT PRIMARY KEY NOT NULL,
    root BINARY NOT NULL,
    note TEXT NOT NULL,
    signed_at BIGINT NOT NULL
) WITHOUT ROWID;

-- Current state derived from the entries (rebuildable by replaying them).
CREATE TABLE parties (
    id BINARY PRIMARY KEY NOT NULL,
    body TEXT NOT NULL
) WITHOUT ROWID;

CREATE TABLE devices (
    key BINARY PRIMARY KEY NOT NULL,
    party BINARY NOT NULL,
    body TEXT NOT NULL
) WITHOUT ROWID;

CREATE TABLE assets (
    id BINARY PRIMARY KEY NOT NULL,
    owner BINARY NOT NULL,
    body TEXT NOT NULL
) WITHOUT ROWID;
CREATE INDEX assets_by_owner ON assets (owner);

-- Unique identity keys (GS1 paths, ear tags) and the asset holding each.
CREATE TABLE identities (
    key TEXT PRIMARY KEY NOT NULL,
    asset BINARY NOT NULL
) WITHOUT ROWID;

-- Which entries touched or created an asset, for its history.
CREATE TABLE asset_entries (
    asset BINARY NOT NULL,
    idx BIGINT NOT NULL,
    PRIMARY KEY (asset, idx)
) WITHOUT ROWID;

-- Lineage edges, for "where did this lot go".
CREATE TABLE asset_parents (
    parent BINARY NOT NULL,
    child BINARY NOT NULL,
    PRIMARY KEY (parent, child)
) WITHOUT ROWID;

-- Personal data behind party commitments: off-ledger and erasable.
CREATE TABLE contacts (
    commitment BINARY PRIMARY KEY NOT NULL,
    name TEXT NOT NULL,
    phone TEXT,
    salt BINARY NOT NULL
) WITHOUT ROWID;
