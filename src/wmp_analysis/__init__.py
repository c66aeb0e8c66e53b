"""wmp-analysis: measure a police force against the targets its own plans set.

The package holds all of the suite's logic; the notebooks in ``notebooks/`` are
thin narratives that call it. Data flows one way::

    raw files -> ingest (validated tidy tables, Parquet) -> measures
      -> baseline / comparisons / equality estimates -> briefing pack

Public modules
--------------
errors      Exception types that name the file, row/field and what was expected.
periods     Financial years, quarters and month ranges (defined once, here).
config      Run configuration (YAML) loading and validation.
provenance  Checksums, versions and manifests.
outputs     Deterministic writing of tables and figures for a run.
ingest      Readers for every public source, each returning a tidy table.
"""

from importlib.metadata import PackageNotFoundError
from importlib.metadata import version as _version

try:
    __version__ = _version("wmp-analysis")
except PackageNotFoundError:  # running from a source tree without install
    __version__ = "0.0.0+unknown"

__all__ = ["__version__"]
