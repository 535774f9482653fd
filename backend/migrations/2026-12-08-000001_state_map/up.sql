-- The state map (ARCHITECTURE.md, "The state map"): the Jellyfish Merkle tree's nodes under
-- their key (the version, big-endian, then the nibble path, so a version's nodes are appended
-- after the last one's; nodes a later version replaced are deleted), the latest value of every
-- key, and how far into the log the map has taken (`size` entries; `version` is the tree's own
-- version counter, NULL while the map is empty). A ledger from before the map has entries and
-- a map at size 0: the server builds the map from its replay once, at start-up.
CREATE TABLE map_nodes (
    key BINARY PRIMARY KEY NOT NULL,
    node BINARY NOT NULL
) WITHOUT ROWID;
CREATE TABLE map_values (
    key BINARY PRIMARY KEY NOT NULL,
    value BINARY NOT NULL
) WITHOUT ROWID;
CREATE TABLE map_tip (
    id INTEGER PRIMARY KEY NOT NULL CHECK (id = 0),
    size BIGINT NOT NULL,
    version BIGINT
);
INSERT INTO map_tip (id, size, version) VALUES (0, 0, NULL);
