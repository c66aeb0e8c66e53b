"""The target registry and the measures table: the plans' targets as data, with citations.

Two CSV files under ``data/raw/targets/`` (see ``docs/registry.md``):

``registry.csv``
    One row per target (milestone, aim, planned figure or figure the plan reports as fact)
    of the Strategic Policing Plan 2012-15 (``spp-2012-15``) and the Police and Crime
    Plan 2014-15 (``pcp-2014-15``). Columns, in order (:data:`REGISTRY_COLUMNS`):

    * ``target_id`` - stable slug, unique (``spp-total-crime``, ``pcp1415-burglary``).
    * ``plan`` - ``spp-2012-15`` or ``pcp-2014-15``.
    * ``section`` - the plan's objective or section the target sits under.
    * ``measure_id`` - a ``measure_id`` of ``measures.csv``.
    * ``wording`` - the plan's own words (or a faithful label for a table line).
    * ``target_kind`` - ``pct_change`` (change on the baseline year, percent),
      ``level`` (a value to reach or a planned figure), ``direction`` (up/down only),
      ``qualitative`` (no number) or ``reported_figure`` (a figure the plan states
      as fact, to be checked).
    * ``target_value`` - float; in ``target_unit``. Negative for a planned reduction
      (``-5`` = 5% reduction). Required for ``pct_change``, ``level`` and
      ``reported_figure``; blank (NaN) for ``direction`` and ``qualitative``.
    * ``target_unit`` - ``percent_change``, ``percent`` (a proportion, 0-100),
      ``percent_of_total_crime``, ``count``, ``rank``, ``gbp``, ``gbp_thousands``,
      ``gbp_millions``; blank when there is no value.
    * ``direction`` - ``up``, ``down`` or blank; required for ``pct_change`` and
      ``direction`` targets.
    * ``baseline_period``, ``target_period`` - financial-year labels (``"2011-12"``)
      or blank.
    * ``baseline_value`` - float or NaN: the baseline the plan itself states (e.g. 84
      for confidence 84% -> 88%). Never computed here.
    * ``geography`` - ``force``, a district name or ``priority_areas``.
    * ``citation_file``, ``citation_section``, ``citation_sentence`` - the seed file,
      the section heading path (``" > "``-separated) and the sentence quoted exactly.
    * ``data_source`` - ``ons_pfa``, ``csp``, ``police_uk``, ``survey``,
      ``workforce`` or ``none``.
    * ``definition`` - what is counted, and any ambiguity in the text.
    * ``proxy`` (bool), ``proxy_note`` - whether the measure stands in for one with no
      public series.
    * ``measurable`` (bool), ``not_measurable_reason`` (starts ``"not measurable from
      public data"``), ``would_measure_with`` - what data would measure it.

``measures.csv``
    One row per measure: its definition in each public source (:data:`MEASURE_COLUMNS`).
    ``ons_offences`` (ONS offence groups of ``rec-crime-pfa.csv``), ``csp_offence_codes``
    (Home Office offence codes; ``*`` = every code except fraud), ``police_uk_categories``
    and ``police_uk_stable`` are ``;``-separated lists. Per-source notes starting with
    ``PROXY`` mark the source's definition as a proxy even when the measure is not.

Every reader here is strict: a wrong header is a :class:`~wmp_analysis.errors.SchemaError`,
a bad value a :class:`~wmp_analysis.errors.ValueFormatError` naming the line and field, and a
``measure_id`` that ``measures.csv`` lacks an :class:`~wmp_analysis.errors.UnknownCategoryError`.
"""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pandas as pd

from wmp_analysis.config import PLANS, find_project_root
from wmp_analysis.errors import UnknownCategoryError
from wmp_analysis.ingest.ons import KNOWN_OFFENCES
from wmp_analysis.ingest.textio import read_csv_strict
from wmp_analysis.measures.targets_checks import _bool, _check_in, _err, _float, _fy, _split

REGISTRY_COLUMNS = [
    "target_id",
    "plan",
    "section",
    "measure_id",
    "wording",
    "target_kind",
    "target_value",
    "target_unit",
    "direction",
    "baseline_period",
    "baseline_value",
    "target_period",
    "geography",
    "citation_file",
    "citation_section",
    "citation_sentence",
    "data_source",
    "definition",
    "proxy",
    "proxy_note",
    "measurable",
    "not_measurable_reason",
    "would_measure_with",
]
MEASURE_COLUMNS = [
    "measure_id",
    "name",
    "unit",
    "kind",
    "definition",
    "ons_offences",
    "ons_note",
    "csp_offence_codes",
    "csp_note",
    "police_uk_categories",
    "police_uk_stable",
    "police_uk_note",
    "survey_measure",
    "proxy",
    "proxy_note",
]
TARGET_KINDS = ("pct_change", "level", "direction", "qualitative", "reported_figure")
#: Kinds that must carry a numeric ``target_value``.
VALUED_KINDS = ("pct_change", "level", "reported_figure")
DIRECTIONS = ("up", "down")
DATA_SOURCES = ("ons_pfa", "csp", "police_uk", "survey", "workforce", "none")
MEASURE_KINDS = ("count", "survey_proportion", "detection_rate", "workforce", "finance", "other")
#: The six police.uk categories of the 2010-11 scheme (docs/CONTRACTS.md).
POLICE_UK_STABLE = (
    "Anti-social behaviour",
    "Burglary",
    "Robbery",
    "Vehicle crime",
    "Violent crime",
    "Other crime",
)
SURVEY_MEASURES = ("crime_satisfaction", "asb_satisfaction", "confidence", "good_job")
#: Sources :func:`measure_definition` answers for.
MEASURE_SOURCES = ("ons_pfa", "csp", "police_uk", "survey")
NOT_MEASURABLE_PREFIX = "not measurable from public data"

_SLUG = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
_MEASURE_ID = re.compile(r"^[a-z][a-z0-9_]*$")
_REL = Path("data") / "raw" / "targets"


def _default_path(name: str) -> Path:
    """``data/raw/targets/<name>`` of the project (cwd's project root, else the package's)."""
    root = find_project_root() or find_project_root(Path(__file__).resolve().parent)
    if root is None:  # installed without the project: the package sits in <root>/src/wmp_analysis
        root = Path(__file__).resolve().parents[3]
    return root / _REL / name


def _check_measure_ids(df: pd.DataFrame, path) -> None:
    """Every ``measure_id`` lower_case_with_underscores and unique."""
    bad_id = ~df["measure_id"].str.match(_MEASURE_ID)
    if bad_id.any():
        i = bad_id.idxmax()
        raise _err(
            df,
            i,
            "measure_id",
            f"{df.at[i, 'measure_id']!r} is not a measure id",
            "lower_case_with_underscores",
            path,
        )
    dup = df["measure_id"].duplicated()
    if dup.any():
        i = dup.idxmax()
        raise _err(
            df,
            i,
            "measure_id",
            f"duplicate measure_id {df.at[i, 'measure_id']!r}",
            "unique ids",
            path,
        )


def _check_measure_categories(df: pd.DataFrame, path) -> None:
    """Every ONS offence group and police.uk stable category one the sources have."""
    for i, text in df["ons_offences"].items():
        for g in _split(text):
            if g not in KNOWN_OFFENCES:
                raise _err(
                    df,
                    i,
                    "ons_offences",
                    f"unknown ONS offence group {g!r}",
                    "groups exactly as in rec-crime-pfa.csv",
                    path,
                    cls=UnknownCategoryError,
                )
    for i, text in df["police_uk_stable"].items():
        for c in _split(text):
            if c not in POLICE_UK_STABLE:
                raise _err(
                    df,
                    i,
                    "police_uk_stable",
                    f"unknown police.uk stable category {c!r}",
                    "one of " + ", ".join(POLICE_UK_STABLE),
                    path,
                    cls=UnknownCategoryError,
                )


def load_measures(path: str | Path | None = None) -> pd.DataFrame:
    """Read and validate ``measures.csv``.

    Parameters
    ----------
    path : path-like, optional
        Defaults to the project's ``data/raw/targets/measures.csv``.

    Returns
    -------
    DataFrame
        The :data:`MEASURE_COLUMNS` as ``str`` except ``proxy`` (bool), plus
        ``line`` (int64, line in the file). List columns stay ``;``-separated text;
        :func:`measure_definition` splits them.

    Raises
    ------
    SchemaError
        Wrong header or empty file.
    ValueFormatError
        Bad or duplicate ``measure_id``, unknown ``kind``, non-boolean ``proxy``,
        unknown police.uk stable category or survey measure (line and field named).
    UnknownCategoryError
        An ONS offence group that the ONS PFA file does not have.
    """
    path = Path(path) if path is not None else _default_path("measures.csv")
    df = read_csv_strict(path, MEASURE_COLUMNS)
    for col in MEASURE_COLUMNS:
        df[col] = df[col].astype(str).str.strip()
    _check_measure_ids(df, path)
    _check_in(df, "kind", MEASURE_KINDS, path)
    _check_in(df, "survey_measure", SURVEY_MEASURES, path, allow_blank=True)
    _check_measure_categories(df, path)
    df["proxy"] = _bool(df, "proxy", path)
    df = df.rename(columns={"_line": "line"})
    df["line"] = df["line"].astype("int64")
    return df.reset_index(drop=True)


def _check_target_ids(df: pd.DataFrame, path) -> None:
    """Every ``target_id`` a slug (``spp-total-crime``) and unique."""
    bad = ~df["target_id"].str.match(_SLUG)
    if bad.any():
        i = bad.idxmax()
        raise _err(
            df,
            i,
            "target_id",
            f"{df.at[i, 'target_id']!r} is not a slug",
            "e.g. spp-total-crime",
            path,
        )
    dup = df["target_id"].duplicated()
    if dup.any():
        i = dup.idxmax()
        raise _err(
            df, i, "target_id", f"duplicate target_id {df.at[i, 'target_id']!r}", "unique ids", path
        )


def _check_measures_known(df: pd.DataFrame, measures: pd.DataFrame, path) -> None:
    """Every ``measure_id`` one of the measures table."""
    known = set(measures["measure_id"])
    unknown = ~df["measure_id"].isin(known)
    if unknown.any():
        i = unknown.idxmax()
        raise _err(
            df,
            i,
            "measure_id",
            f"unknown measure_id {df.at[i, 'measure_id']!r}",
            "a measure_id of measures.csv",
            path,
            cls=UnknownCategoryError,
        )


def _check_values_and_citations(df: pd.DataFrame, value: pd.Series, path) -> None:
    """Each row's value, unit and direction as its ``target_kind`` needs, and its citation."""
    for i in df.index:
        kind = df.at[i, "target_kind"]
        if kind in VALUED_KINDS and np.isnan(value[i]):
            raise _err(df, i, "target_value", f"a {kind} target needs a value", "a number", path)
        if kind in ("direction", "qualitative") and not np.isnan(value[i]):
            raise _err(df, i, "target_value", f"a {kind} target has no value", "blank", path)
        if kind in VALUED_KINDS and df.at[i, "target_unit"] == "":
            raise _err(
                df,
                i,
                "target_unit",
                "a value needs a unit",
                "e.g. percent_change, percent, count",
                path,
            )
        if kind in ("pct_change", "direction") and df.at[i, "direction"] == "":
            raise _err(df, i, "direction", f"a {kind} target needs a direction", "up or down", path)
        if not df.at[i, "citation_sentence"] or not df.at[i, "citation_file"]:
            raise _err(
                df,
                i,
                "citation_sentence",
                "every target needs a citation",
                "the quoted sentence",
                path,
            )


def _check_reasons_and_notes(
    df: pd.DataFrame, measurable: pd.Series, proxy: pd.Series, path
) -> None:
    """A not-measurable row says why and what would measure it; a proxy says what stands in."""
    for i in df.index[~measurable]:
        if not df.at[i, "not_measurable_reason"].startswith(NOT_MEASURABLE_PREFIX):
            raise _err(
                df,
                i,
                "not_measurable_reason",
                "a target that is not measurable needs a reason",
                f"text starting '{NOT_MEASURABLE_PREFIX}'",
                path,
            )
        if not df.at[i, "would_measure_with"]:
            raise _err(
                df, i, "would_measure_with", "say what data would measure it", "a description", path
            )
    for i in df.index[proxy]:
        if not df.at[i, "proxy_note"]:
            raise _err(
                df,
                i,
                "proxy_note",
                "a proxy needs a note",
                "what stands in for what, and why",
                path,
            )


def load_registry(
    path: str | Path | None = None, *, measures: pd.DataFrame | None = None
) -> pd.DataFrame:
    """Read and validate the target registry.

    Parameters
    ----------
    path : path-like, optional
        Defaults to the project's ``data/raw/targets/registry.csv``.
    measures : DataFrame, optional
        From :func:`load_measures`; defaults to the ``measures.csv`` beside *path*
        (or the project's), used to check every ``measure_id``.

    Returns
    -------
    DataFrame
        The :data:`REGISTRY_COLUMNS`: text as ``str``; ``target_value`` and
        ``baseline_value`` float64 (NaN when blank; units in ``target_unit``);
        ``proxy`` and ``measurable`` bool; plus ``line`` (int64).

    Raises
    ------
    SchemaError
        Wrong header or empty file.
    ValueFormatError
        Bad ``target_id`` (or duplicate), unknown ``plan``/``target_kind``/``direction``/
        ``data_source``, a non-numeric or missing ``target_value``, a period that is not
        a financial-year label, a non-boolean flag, a not-measurable row without a reason.
    UnknownCategoryError
        A ``measure_id`` that is not in the measures table.
    """
    path = Path(path) if path is not None else _default_path("registry.csv")
    if measures is None:
        beside = path.parent / "measures.csv"
        measures = load_measures(beside if beside.is_file() else None)
    df = read_csv_strict(path, REGISTRY_COLUMNS)
    for col in REGISTRY_COLUMNS:
        df[col] = df[col].astype(str).str.strip()
    _check_target_ids(df, path)
    _check_in(df, "plan", PLANS, path)
    _check_in(df, "target_kind", TARGET_KINDS, path)
    _check_in(df, "direction", DIRECTIONS, path, allow_blank=True)
    _check_in(df, "data_source", DATA_SOURCES, path)
    _check_measures_known(df, measures, path)
    value = _float(df, "target_value", path)
    base = _float(df, "baseline_value", path)
    _check_values_and_citations(df, value, path)
    baseline_period = _fy(df, "baseline_period", path)
    target_period = _fy(df, "target_period", path)
    proxy = _bool(df, "proxy", path)
    measurable = _bool(df, "measurable", path)
    _check_reasons_and_notes(df, measurable, proxy, path)
    out = df.drop(columns=["_line"]).copy()
    out["target_value"] = value
    out["baseline_value"] = base
    out["baseline_period"] = baseline_period
    out["target_period"] = target_period
    out["proxy"] = proxy
    out["measurable"] = measurable
    out["line"] = df["_line"].astype("int64")
    return out.reset_index(drop=True)


def registry_for_plan(registry: pd.DataFrame, plan: str) -> pd.DataFrame:
    """Rows of one plan (``"spp-2012-15"`` or ``"pcp-2014-15"``), in file order.

    Raises
    ------
    UnknownCategoryError
        For a plan id that is not one of :data:`wmp_analysis.config.PLANS`.
    """
    if plan not in PLANS:
        raise UnknownCategoryError(
            f"unknown plan {plan!r}", field="plan", expected=" or ".join(PLANS)
        )
    return registry[registry["plan"] == plan].reset_index(drop=True)


def measure_definition(measures: pd.DataFrame, measure_id: str, source: str) -> dict:
    """How *measure_id* is counted in *source*.

    Parameters
    ----------
    measures : DataFrame
        From :func:`load_measures`.
    measure_id : str
    source : {"ons_pfa", "csp", "police_uk", "survey"}

    Returns
    -------
    dict
        ``measure_id``, ``source``, ``name``, ``unit``, ``kind``;
        ``categories`` - list of ONS offence groups (``ons_pfa``), Home Office offence
        codes (``csp``; ``["*"]`` = every code except fraud), police.uk categories
        (``police_uk``) or ``[survey_measure]`` (``survey``), empty when the source has
        no series for the measure; ``stable_categories`` - police.uk six-category
        names (``police_uk`` only, else empty); ``available`` - whether
        ``categories`` is non-empty; ``proxy`` - True when the measure is a proxy or
        the source's note starts with ``PROXY``; ``note`` - the source's note;
        ``proxy_note`` - the measure's proxy note.

    Raises
    ------
    UnknownCategoryError
        Unknown measure id or source.
    """
    if source not in MEASURE_SOURCES:
        raise UnknownCategoryError(
            f"unknown source {source!r}",
            field="source",
            expected="one of " + ", ".join(MEASURE_SOURCES),
        )
    hit = measures[measures["measure_id"] == measure_id]
    if hit.empty:
        raise UnknownCategoryError(
            f"unknown measure_id {measure_id!r}",
            field="measure_id",
            expected="a measure_id of measures.csv",
        )
    r = hit.iloc[0]
    col, note_col = {
        "ons_pfa": ("ons_offences", "ons_note"),
        "csp": ("csp_offence_codes", "csp_note"),
        "police_uk": ("police_uk_categories", "police_uk_note"),
        "survey": ("survey_measure", "proxy_note"),
    }[source]
    cats = _split(r[col])
    note = str(r[note_col])
    source_proxy = note.upper().startswith("PROXY")
    return {
        "measure_id": measure_id,
        "source": source,
        "name": str(r["name"]),
        "unit": str(r["unit"]),
        "kind": str(r["kind"]),
        "categories": cats,
        "stable_categories": _split(r["police_uk_stable"]) if source == "police_uk" else [],
        "available": bool(cats),
        "proxy": bool(r["proxy"]) or source_proxy,
        "note": note,
        "proxy_note": str(r["proxy_note"]),
    }
