-- Nodes of the state map that a later version replaced, in the order they were replaced. The
-- writer appends them in the group's transaction and deletes them from `map_nodes` (and here)
-- when no record waits, so a group never pays for deletes at random keys. Only the latest
-- version is ever proven; the audit skips the nodes listed here.
CREATE TABLE map_stale (
    id INTEGER PRIMARY KEY NOT NULL,
    key BINARY NOT NULL
);

-- The map's values are not kept beside it: every one is what the ledger's state gives (an
-- asset's head and status, a device's standing, the asset an identity names), worked out when
-- a proof is served and checked against the leaf's value hash before it is. A table of values
-- under random keys cost each group a page written per key.
DROP TABLE map_values;
