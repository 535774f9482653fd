CREATE TABLE identities_by_id (
    key TEXT PRIMARY KEY NOT NULL,
    asset BINARY NOT NULL
) WITHOUT ROWID;
INSERT INTO identities_by_id (key, asset)
    SELECT identities.key, assets.id FROM identities JOIN assets ON assets.place = identities.place;
DROP TABLE identities;
ALTER TABLE identities_by_id RENAME TO identities;
