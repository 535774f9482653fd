-- How often each label was checked. Not ledger data: no addresses and nothing personal; a
-- region (a one-degree cell worked out on the buyer's phone) only when the buyer sends one.
CREATE TABLE scans (
    asset BINARY PRIMARY KEY NOT NULL,
    count BIGINT NOT NULL,
    -- Checks made after the ledger said the asset had left the chain (retired or used up).
    late BIGINT NOT NULL,
    first_at BIGINT NOT NULL,
    last_at BIGINT NOT NULL
) WITHOUT ROWID;

CREATE TABLE scan_regions (
    asset BINARY NOT NULL,
    region TEXT NOT NULL,
    count BIGINT NOT NULL,
    first_at BIGINT NOT NULL,
    last_at BIGINT NOT NULL,
    PRIMARY KEY (asset, region)
) WITHOUT ROWID;
