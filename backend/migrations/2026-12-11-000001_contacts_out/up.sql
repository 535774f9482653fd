-- Contact data lives in its own file (personal.sqlite) from now on; the rows were moved there
-- before this runs (db::personal::move_out_of), and the database is vacuumed after it.
DROP TABLE contacts;
