-- The personal store (personal.sqlite), apart from the ledger's database.

-- Who gave contact data, under which consent, and whether it was erased: nothing personal,
-- kept after erasure.
CREATE TABLE subjects (
    commitment BINARY PRIMARY KEY NOT NULL,
    -- the party whose registration carries the commitment
    party BINARY,
    -- 1: the commitment covers the data alone (taken before consent was recorded); 2: the
    -- data half and the consent half
    version INTEGER NOT NULL,
    -- milliseconds since the epoch; unknown for data moved from an older ledger
    collected_at BIGINT,
    -- the consent's JSON, its salt and the data half (version 2)
    consent TEXT,
    consent_salt BINARY,
    data_half BINARY,
    erased_at BIGINT
) WITHOUT ROWID;

CREATE INDEX subjects_party ON subjects (party);

-- The personal data itself, deleted on erasure.
CREATE TABLE contacts (
    commitment BINARY PRIMARY KEY NOT NULL,
    name TEXT NOT NULL,
    phone TEXT,
    salt BINARY NOT NULL
) WITHOUT ROWID;
