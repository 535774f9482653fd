-- An identity key (GS1 path, ear tag) names its asset by place, the asset table's own key: a
-- scan of a label then goes from the key to the asset's row without the index by id.
-- Identity keys never change holder, and an asset's place never changes.
CREATE TABLE identities_by_place (
    key TEXT PRIMARY KEY NOT NULL,
    place INTEGER NOT NULL
) WITHOUT ROWID;
INSERT INTO identities_by_place (key, place)
    SELECT identities.key, assets.place FROM identities JOIN assets ON assets.id = identities.asset;
DROP TABLE identities;
ALTER TABLE identities_by_place RENAME TO identities;
