"""The ingest's sources: one registry entry per config key (reader, output table, rows read).

:data:`SOURCES` lists, in the order the ingest reads them (lookups first: the police.uk
reader needs the LSOA lookup, the force census the PFA codes), every source the ingest
turns into processed tables. Each :class:`Source` names its config key, its output table,
how it is read and how its rows are counted; a source with more to report (missing
periods, quirks) has an ``after`` step. A key that is not configured is recorded as
``"not supplied"``; the keys of :data:`NOT_INGESTED` are configured for other steps.

The police.uk source is the one ``dataset`` entry: it is read month by month and written
as partitions while it is read (:func:`wmp_analysis.ingest.dataset_ingest.ingest_police_uk`, the
place where reading and harmonising run together).
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd
import pyarrow as pa

from wmp_analysis.config import SOURCE_KEYS, RunConfig
from wmp_analysis.errors import ConfigError
from wmp_analysis.ingest import census, census2021
from wmp_analysis.ingest.csp import csp_files, missing_quarters, read_csp
from wmp_analysis.ingest.ons import describe_quirks, read_ons_pfa
from wmp_analysis.ingest.textio import decode_utf8, read_bytes
from wmp_analysis.periods import financial_year_start
from wmp_analysis.provenance import is_synthetic, relative_path

if TYPE_CHECKING:
    from wmp_analysis.ingest.fingerprint import HashCache

#: Tables the ingest can write (whichever sources were supplied), in the manifest's order.
TABLES = (
    "ons_pfa",
    "csp",
    "street",
    "outcomes",
    "stop_search",
    "census_ethnicity",
    census2021.TABLE,
    "population",
    "lsoa_lookup",
    "lad_lookup",
    "survey",
)
#: ONS quarter-ends checked for gaps (the file is quarterly from 2007 to 2018).
ONS_CHECK_RANGE = (pd.Timestamp("2007-03-31"), pd.Timestamp("2018-12-31"))
#: Sources that configure something but are not turned into a table by this step.
NOT_INGESTED = {
    "registry": "target registry: read by the target-comparison step, not ingested here",
}


@dataclass
class Collected:
    """What the ingest gathered while reading: tables, manifest sections, rejections."""

    cfg: RunConfig
    cache: HashCache
    staging: Path | None = None
    tables: dict[str, list[pd.DataFrame]] = field(default_factory=dict)
    table_synthetic: dict[str, bool] = field(default_factory=dict)
    #: config key -> the DataFrame its reader returned (a later source may need it)
    frames: dict[str, pd.DataFrame] = field(default_factory=dict)
    sources: dict[str, dict] = field(default_factory=dict)
    inputs: list[dict] = field(default_factory=list)
    missing: dict[str, Any] = field(default_factory=dict)
    rejections: list[tuple[str, pd.DataFrame]] = field(default_factory=list)
    ons_quirks: dict | None = None
    notes: list[str] = field(default_factory=list)
    #: police.uk tables written as partitions: table -> partition entries (manifest order)
    datasets: dict[str, list[dict]] = field(default_factory=dict)
    police_uk_dataset: dict = field(default_factory=dict)

    def rel(self, path: Path | str) -> str:
        """*path* relative to the project root, as the manifest names it."""
        return relative_path(path, self.cfg.root)

    def add(self, name: str, df: pd.DataFrame, synthetic: bool) -> None:
        self.tables.setdefault(name, []).append(_with_synthetic(df, synthetic))
        self.table_synthetic[name] = self.table_synthetic.get(name, False) or synthetic

    def table(self, name: str) -> pd.DataFrame | pa.Table | None:
        parts = self.tables.get(name)
        if not parts:
            return None
        if len(parts) == 1:
            return parts[0]
        if any(isinstance(p, pa.Table) for p in parts):
            parts = [
                p if isinstance(p, pa.Table) else pa.Table.from_pandas(p, preserve_index=False)
                for p in parts
            ]
            return pa.concat_tables(parts, promote_options="permissive").unify_dictionaries()
        return pd.concat(parts, ignore_index=True)

    def input_record(self, key: str, path: Path, rows: int | None) -> dict:
        from wmp_analysis.ingest.fingerprint import source_digest

        dig = source_digest(path, self.cache)
        return {
            "source": key,
            "path": self.rel(path),
            "kind": dig["kind"],
            "size": dig["size"],
            "sha256": dig["sha256"],
            "files": dig["files"],
            "rows_read": rows,
            "synthetic": is_synthetic(path),
        }


def _with_synthetic(df: pd.DataFrame | pa.Table, synthetic: bool) -> pd.DataFrame | pa.Table:
    if isinstance(df, pa.Table):  # police.uk tables stay in Arrow until written
        col = pa.array(np.full(df.num_rows, bool(synthetic)), type=pa.bool_())
        if "synthetic" in df.column_names:
            return df.set_column(df.column_names.index("synthetic"), "synthetic", col)
        return df.append_column("synthetic", col)
    out = df.copy()
    out.attrs = {}
    out["synthetic"] = bool(synthetic)
    return out


def count_rows(path: Path) -> int:
    """Data records in a CSV file (header excluded), counted with the csv module."""
    text = decode_utf8(read_bytes(path), path)
    n = sum(1 for row in csv.reader(io.StringIO(text)) if row)
    return max(n - 1, 0)


def ons_missing_quarter_ends(df: pd.DataFrame, forces: list[str]) -> dict[str, list[str]]:
    """Quarter-ends with no ONS row for a force, within 2007-03-31..2018-12-31 and the
    span the data cover (so a file that simply starts later is not a gap)."""
    if df.empty:
        return {f: [] for f in forces}
    lo = max(ONS_CHECK_RANGE[0], df.period_end.min())
    hi = min(ONS_CHECK_RANGE[1], df.period_end.max())
    want = pd.date_range(lo, hi, freq="QE-DEC") if lo <= hi else pd.DatetimeIndex([])
    out = {}
    for f in forces:
        seen = set(df.loc[df.force == f, "period_end"])
        out[f] = [f"{d:%Y-%m-%d}" for d in want if d not in seen]
    return out


# ------------------------------------------------------------------------- the registry


@dataclass(frozen=True)
class Source:
    """One source of the ingest.

    Attributes
    ----------
    key : str
        Config key (``sources.<key>``).
    table : str or None
        Output table (``None`` for the police.uk dataset, which writes several).
    kind : str
        ``"table"`` (read into one DataFrame, written as ``<table>.parquet``) or
        ``"dataset"`` (the police.uk partitions, written while read).
    read : callable
        ``read(got, path) -> DataFrame`` for a table; ``read(got, path) -> None`` for the
        dataset (it records everything itself).
    rows : callable, optional
        ``rows(path, df) -> int``: records read from the input (the manifest's ``rows_read``).
    after : callable, optional
        ``after(got, df)``: what else the manifest says of the source (missing periods, quirks).
    """

    key: str
    table: str | None
    read: Callable[..., Any]
    rows: Callable[[Path, Any], int] | None = None
    kind: str = "table"
    after: Callable[[Collected, pd.DataFrame], None] | None = None


def _forces(cfg: RunConfig) -> list[str]:
    return [cfg.force] + [c for c in cfg.comparators if c != cfg.force]


def _read_ons(got: Collected, path: Path) -> pd.DataFrame:
    # the national view needs every force; the configured ones must be there
    forces = _forces(got.cfg)
    df = read_ons_pfa(path)
    return df if set(forces) <= set(df["force"]) else read_ons_pfa(path, forces=forces)  # raises


def _after_ons(got: Collected, df: pd.DataFrame) -> None:
    got.ons_quirks = describe_quirks(df)
    got.missing["ons_pfa"] = {
        "unit": "quarter-end",
        "by_force": ons_missing_quarter_ends(df, _forces(got.cfg)),
    }


def _after_csp(got: Collected, df: pd.DataFrame) -> None:
    first = financial_year_start(got.cfg.baseline.start)
    last = financial_year_start(got.cfg.target_period.end)
    got.missing["csp"] = {
        "unit": "financial quarter",
        "checked": f"FY starting {first} to FY starting {last}",
        "by_csp": missing_quarters(df, first, last),
    }


def _read_census_force(got: Collected, path: Path) -> pd.DataFrame:
    lad = got.frames.get("lad_lookup")
    codes = None if lad is None else dict(zip(lad.pfa_name, lad.pfa_code))
    return census.read_census_ethnicity_force(path, pfa_codes=codes)


def _read_survey(got: Collected, path: Path) -> pd.DataFrame:
    from wmp_analysis.ingest.survey import read_survey

    return read_survey(path)


def _ingest_police_uk(got: Collected, path: Path) -> None:
    from wmp_analysis.ingest.police_uk_source import ingest_police_uk_source

    ingest_police_uk_source(got, path)


def _n(path: Path, df: pd.DataFrame) -> int:
    return len(df)


def _csv_rows(path: Path, df: pd.DataFrame) -> int:
    return count_rows(path)


def _census_rows(path: Path, df: pd.DataFrame) -> int:
    return len(df) // 24


def _plain(reader: Callable[[Path], pd.DataFrame]) -> Callable[[Collected, Path], pd.DataFrame]:
    return lambda got, path: reader(path)


#: Every source the ingest reads, in reading order (lookups first).
SOURCES: tuple[Source, ...] = (
    Source("lad_lookup", "lad_lookup", _plain(census.read_lad_lookup), _n),
    Source("lsoa_lookup", "lsoa_lookup", _plain(census.read_lsoa_lookup), _n),
    Source("ons_pfa", "ons_pfa", _read_ons, _csv_rows, after=_after_ons),
    Source(
        "csp",
        "csp",
        lambda got, p: read_csp(p, forces=[got.cfg.force]),
        lambda p, d: sum(count_rows(f) for f in csp_files(p)),
        after=_after_csp,
    ),
    Source(
        "census_ethnicity_la",
        "census_ethnicity",
        _plain(census.read_census_ethnicity_la),
        _census_rows,
    ),
    Source("census_ethnicity_force", "census_ethnicity", _read_census_force, _census_rows),
    Source(
        census2021.SOURCE_KEY,
        census2021.TABLE,
        _plain(census2021.read_census2021_age_ethnicity),
        _csv_rows,
    ),
    Source("population", "population", _plain(census.read_population), _csv_rows),
    Source("police_uk", None, _ingest_police_uk, kind="dataset"),
    Source("survey", "survey", _read_survey, _n),
)


def _read_table_source(got: Collected, source: Source, path: Path) -> None:
    df = source.read(got, path)
    syn = is_synthetic(path)
    got.frames[source.key] = df
    got.add(source.table, df, syn)
    n = source.rows(path, df) if source.rows is not None else None
    got.inputs.append(got.input_record(source.key, path, n))
    got.sources[source.key] = {
        "status": "read",
        "path": got.rel(path),
        "table": source.table,
        "rows": int(len(df)),
        "synthetic": syn,
    }
    if source.after is not None:
        source.after(got, df)


def read_all(cfg: RunConfig, cache: HashCache, staging: Path | None = None) -> Collected:
    """Read every configured source of :data:`SOURCES` (in order) into a :class:`Collected`.

    Raises
    ------
    ConfigError
        A configured source path that does not exist.
    InputError subclasses
        From the readers (naming file, line, field).
    """
    got = Collected(cfg=cfg, cache=cache, staging=staging)
    src = {k: v for k, v in cfg.sources.items() if v is not None}
    for key in SOURCE_KEYS:
        if key not in src:
            got.sources[key] = {"status": "not supplied"}
    for key, path in src.items():
        if not path.exists():
            raise ConfigError(
                "source file or folder not found",
                path=path,
                field=f"sources.{key}",
                expected=SOURCE_KEYS.get(key, "an existing path"),
            )
    for source in SOURCES:
        if source.key not in src:
            continue
        if source.kind == "dataset":
            source.read(got, src[source.key])
        else:
            _read_table_source(got, source, src[source.key])
    for key, note in NOT_INGESTED.items():
        if key in src:
            got.sources[key] = {"status": "not ingested", "path": got.rel(src[key]), "note": note}
    return got
