DROP TABLE scan_regions;
DROP TABLE scans;
