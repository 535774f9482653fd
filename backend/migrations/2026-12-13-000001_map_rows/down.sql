DROP TABLE map_nodes;
CREATE TABLE map_nodes (
    key BINARY PRIMARY KEY NOT NULL,
    version BIGINT NOT NULL,
    node BINARY NOT NULL,
    leaves BINARY NOT NULL
) WITHOUT ROWID;
DELETE FROM map_pending;
UPDATE map_tip SET size = 0, version = NULL;
