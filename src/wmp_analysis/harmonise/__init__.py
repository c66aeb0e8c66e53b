"""Harmonise: police.uk categories over time, and districts (after ingest, before measures)."""
