"""Analysis: change against targets, statistics, SPC, equality, stop and search, the national view."""
