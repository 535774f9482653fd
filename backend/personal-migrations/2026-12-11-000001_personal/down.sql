DROP TABLE contacts;
DROP INDEX subjects_party;
DROP TABLE subjects;
