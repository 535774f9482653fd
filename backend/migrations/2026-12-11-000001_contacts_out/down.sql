CREATE TABLE contacts (
    commitment BINARY PRIMARY KEY NOT NULL,
    name TEXT NOT NULL,
    phone TEXT,
    salt BINARY NOT NULL
) WITHOUT ROWID;
