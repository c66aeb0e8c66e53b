"""Readers for every public source, and the ingest step that runs them.

Readers (each returns a tidy ``pandas.DataFrame`` or Arrow tables; none imports
:mod:`wmp_analysis.harmonise` except ``police_uk.build``, where each police.uk file is
harmonised as it is read)
-------
textio               Safe opening of CSV/gzip/zip inputs with clear errors.
arrowtools           Vectorised set tests and mappings over Arrow string columns.
ons                  ONS recorded crime by police force area (rolling 12-month totals).
ons_rolling,         ... its rolling-year CSV, its wide force table (Table P1)
  ons_wide,
  ons_offences       and the offence-column mapping.
csp                  Home Office recorded crime open data at CSP (district) level.
police_uk            data.police.uk street, outcomes and stop-and-search CSVs (a package).
police_uk_reference  The published values of every police.uk categorical field.
archive, download    police.uk archives: finding files, zip safety, fetching
  archive_zip,       (archive_zip: safe reading and size limits; archive_skipped: the
  archive_skipped    record of what was left unread).
census               2011 Census ethnicity and population totals.
lookups              ONS geography lookups (LSOA, LAD -> CSP -> force), re-exported by census.
census2021           2021 Census ethnic group by single year of age (proxy denominator).
survey               The force's survey extract (survey_respondent, survey_aggregated: the
                     two contracts; survey_categories, survey_checks: value sets, checks).

The ingest step (config -> validated Parquet tables + manifest)
---------------------------------------------------------------
pipeline             Entry point: run_ingest, load_processed and the names notebooks use.
sources              The source registry: one entry per config key (reader, table, rows).
police_uk_source     The police.uk entry: the partitioned dataset and its manifest sections.
dataset              The partitioned police.uk dataset: layout, writing, reading.
dataset_ingest       The incremental police.uk ingest (months unchanged are not read again).
fingerprint          Input hashes (cached) and the fingerprint of an ingest.
manifest             ingest_manifest.json: built, read, checked.
store                Store folders, the ingest lock, pruning.
results              IngestResult, ProcessedData, NotIngestedError.
"""
