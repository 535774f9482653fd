-- The station's own store. Every act is signed and written here before anything else; the
-- sync sends `records` in `seq` order and settles each one as landed (with its receipt) or
-- refused (with the server's problem). `assets`, `parties`, `devices` and `identities` are the
-- station's view of the ledger: its own acts applied on top of what it last read from the server.

CREATE TABLE settings (
    key TEXT PRIMARY KEY NOT NULL,
    value TEXT NOT NULL
);

CREATE TABLE records (
    seq INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL,
    id TEXT NOT NULL UNIQUE,
    act TEXT NOT NULL,
    summary TEXT NOT NULL,
    envelope TEXT NOT NULL,
    state TEXT NOT NULL CHECK (state IN ('pending', 'landed', 'refused')),
    receipt TEXT,
    log_index BIGINT,
    problem_code TEXT,
    problem TEXT,
    signed_at BIGINT NOT NULL,
    settled_at BIGINT
);
CREATE INDEX records_by_state ON records (state, seq);

CREATE TABLE assets (
    id TEXT PRIMARY KEY NOT NULL,
    json TEXT NOT NULL,
    kind TEXT NOT NULL,
    label TEXT NOT NULL,
    state TEXT NOT NULL,
    created_seq BIGINT NOT NULL,
    updated_seq BIGINT NOT NULL
);
CREATE INDEX assets_by_kind ON assets (kind, created_seq);

CREATE TABLE asset_records (
    asset TEXT NOT NULL,
    record TEXT NOT NULL,
    PRIMARY KEY (asset, record)
) WITHOUT ROWID;

CREATE TABLE lineage (
    parent TEXT NOT NULL,
    child TEXT NOT NULL,
    PRIMARY KEY (parent, child)
) WITHOUT ROWID;
CREATE INDEX lineage_up ON lineage (child);

CREATE TABLE identities (
    key TEXT PRIMARY KEY NOT NULL,
    asset TEXT NOT NULL
) WITHOUT ROWID;

CREATE TABLE parties (
    id TEXT PRIMARY KEY NOT NULL,
    json TEXT NOT NULL,
    confirmed BOOLEAN NOT NULL
);

CREATE TABLE devices (
    key TEXT PRIMARY KEY NOT NULL,
    json TEXT NOT NULL
);

CREATE TABLE attachments (
    sha256 TEXT PRIMARY KEY NOT NULL,
    name TEXT NOT NULL,
    media_type TEXT NOT NULL,
    size BIGINT NOT NULL,
    bytes BLOB NOT NULL
);
