"""Readers for every public source. Each returns a tidy ``pandas.DataFrame``.

Modules
-------
textio     Safe opening of CSV/gzip/zip inputs with clear errors.
ons        ONS recorded crime by police force area (rolling 12-month totals).
csp        Home Office recorded crime open data at CSP (district) level.
police_uk  data.police.uk street, outcomes and stop-and-search CSVs.
download   Fetching data.police.uk archives with retries and checksums.
census     2011 Census ethnicity, population totals and geography lookups.
pipeline   The ingest step: config -> validated Parquet tables + manifest.
"""
