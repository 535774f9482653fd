-- The state map is written back, not written through: each group logs the changes it made to
-- the map here, in its own transaction (one row per version of the tree, appended), and the
-- tree's nodes are written to `map_nodes` in bulk now and then (when the log of changes has
-- grown to about the map's size, when the writer has been idle a while, and when it stops),
-- after which the versions written back are deleted here. `map_nodes` holds the tree at the
-- version before the first row here; at start-up the server replays these rows on top of it.
-- `size` is the log's size once the version had taken its entries in, for whoever reads the
-- table; the replay needs only the versions and their changes.
CREATE TABLE map_pending (
    version BIGINT PRIMARY KEY NOT NULL,
    size BIGINT NOT NULL,
    changes BINARY NOT NULL
);

-- The tree's nodes are keyed by their nibble path alone, with the version that made each: a
-- node that replaces another is written over it, so no replaced node is left to delete later
-- (`map_stale` goes). The nodes stored the old way are dropped, and the server builds the map
-- again from its log, once, at its next start (as for a ledger from before the map).
DROP TABLE map_stale;
DROP TABLE map_nodes;
CREATE TABLE map_nodes (
    key BINARY PRIMARY KEY NOT NULL,
    version BIGINT NOT NULL,
    node BINARY NOT NULL
) WITHOUT ROWID;
UPDATE map_tip SET size = 0, version = NULL;
