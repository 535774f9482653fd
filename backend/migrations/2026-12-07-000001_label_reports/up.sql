-- Buyers who reported a label their page warned about (a failed check or a likely copy), for the
-- ledger's operator to follow up. Nothing personal: a count per label.
ALTER TABLE scans ADD COLUMN reports BIGINT NOT NULL DEFAULT 0;
