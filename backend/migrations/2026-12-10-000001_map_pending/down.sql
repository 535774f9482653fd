DROP TABLE map_pending;
DROP TABLE map_nodes;
CREATE TABLE map_nodes (
    key BINARY PRIMARY KEY NOT NULL,
    node BINARY NOT NULL
) WITHOUT ROWID;
CREATE TABLE map_stale (
    id INTEGER PRIMARY KEY NOT NULL,
    key BINARY NOT NULL
);
UPDATE map_tip SET size = 0, version = NULL;
