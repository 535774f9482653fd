CREATE TABLE asset_entries (
    asset BINARY NOT NULL,
    idx BIGINT NOT NULL,
    PRIMARY KEY (asset, idx)
) WITHOUT ROWID;
INSERT INTO asset_entries (asset, idx)
    SELECT assets.id, CAST(value AS INTEGER)
    FROM assets, json_each('[' || replace(trim(assets.history), ' ', ',') || ']');

CREATE TABLE assets_by_key (
    id BINARY PRIMARY KEY NOT NULL,
    owner BINARY NOT NULL,
    body TEXT NOT NULL
) WITHOUT ROWID;
INSERT INTO assets_by_key (id, owner, body)
    SELECT id, unhex(json_extract(body, '$.owner')), body FROM assets;
DROP TABLE assets;
ALTER TABLE assets_by_key RENAME TO assets;
CREATE INDEX assets_by_owner ON assets (owner);

CREATE UNIQUE INDEX entries_by_record ON entries (record_id);
DROP TABLE record_index;
