-- The state map's leaves move into their parents' rows: a row holds an internal node and,
-- beside it, the leaves among its children (each with its value), so a write-back writes one
-- row per internal node instead of one per node (about a quarter of the rows). Only the root,
-- when the map holds a single key, is a leaf in a row of its own. The map is rebuilt from the
-- log at the next start (as for a ledger from before the map).
DROP TABLE map_nodes;
CREATE TABLE map_nodes (
    key BINARY PRIMARY KEY NOT NULL,
    version BIGINT NOT NULL,
    node BINARY NOT NULL,
    leaves BINARY NOT NULL
) WITHOUT ROWID;
DELETE FROM map_pending;
UPDATE map_tip SET size = 0, version = NULL;
