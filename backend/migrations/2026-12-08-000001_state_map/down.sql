DROP TABLE map_tip;
DROP TABLE map_values;
DROP TABLE map_nodes;
