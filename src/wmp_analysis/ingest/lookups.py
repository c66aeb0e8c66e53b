"""ONS Open Geography lookups: LSOA 2011 -> ward -> district, and district -> CSP -> force.

Column names carry a two-digit vintage (``LAD16NM``, ``WD18CD``); any vintage is accepted,
and ``FID``/``ObjectId`` and Welsh-name columns are ignored. :func:`force_districts` lists
the districts of one force. The name check (a control character in a name is an error
naming the line) is shared with the census readers of :mod:`wmp_analysis.ingest.census`.
"""

from __future__ import annotations

import re
from pathlib import Path

import pandas as pd

from wmp_analysis.errors import (
    InputError,
    SchemaError,
    UnknownForceError,
    ValueFormatError,
    shorten,
)
from wmp_analysis.ingest.textio import decode_utf8, header_fields, read_bytes, read_csv_strict
from wmp_analysis.names import force_index, match_name, normalise_name


def _norm_or_none(name) -> str | None:
    try:
        return normalise_name(name)
    except InputError:
        return None


def _check_names(df: pd.DataFrame, col: str, path) -> None:
    """A control character (e.g. NUL) in a name is an error naming the line, not removed."""
    first = df.drop_duplicates(col)  # the first line of each name (one pass, not one scan per name)
    for value, line in zip(first[col], first["_line"]):
        normalise_name(value, path=path, row=int(line), field=col)


def _read_vintage_lookup(
    path, spec: list[tuple[str, str]], optional: list[str]
) -> tuple[pd.DataFrame, dict[str, str]]:
    """Read an ONS Open Geography lookup whose column names carry a 2-digit vintage.

    *spec* lists (output name, regex) pairs that must each match exactly one column;
    columns matching a pattern in *optional* (e.g. ``FID``, Welsh names) may also be
    present. Any other column is a SchemaError.
    """
    text = decode_utf8(read_bytes(path), path)
    if not text.strip():
        raise SchemaError("file is empty", path=path, row=1, expected="an ONS lookup header")
    header = header_fields(text)
    mapping: dict[str, str] = {}
    for out_name, pattern in spec:
        hits = [h for h in header if re.fullmatch(pattern, h)]
        if len(hits) != 1:
            raise SchemaError(
                f"wrong header: {'no' if not hits else 'more than one'} column matching {pattern}",
                path=path,
                row=1,
                expected=f"columns like {[p for _, p in spec]}",
            )
        mapping[out_name] = hits[0]
    known = set(mapping.values())
    extra = [h for h in header if h not in known and not any(re.fullmatch(p, h) for p in optional)]
    if extra:
        raise SchemaError(
            f"unexpected columns {extra}",
            path=path,
            row=1,
            expected=f"columns like {[p for _, p in spec]}",
        )
    df = read_csv_strict(path, header, text=text)
    for col in mapping.values():
        empty = df[col].str.strip() == ""
        if empty.any():
            i = empty.idxmax()
            raise ValueFormatError(
                "empty value",
                path=path,
                row=int(df.at[i, "_line"]),
                field=col,
                expected="a code or name",
            )
    for out_name, col in mapping.items():
        if out_name.endswith("_name"):
            _check_names(
                df, col, path
            )  # a NUL in a district or force name is an error, not a silent miss
    out = pd.DataFrame({name: df[col].str.strip() for name, col in mapping.items()})
    out["_line"] = df["_line"]
    return out, mapping


LSOA_OUTPUT_COLUMNS = ["lsoa_code", "lsoa_name", "ward_code", "ward_name", "lad_code", "lad_name"]


def read_lsoa_lookup(path: str | Path) -> pd.DataFrame:
    """LSOA 2011 -> ward -> local authority district lookup (ONS Open Geography).

    Parameters
    ----------
    path : path-like
        E.g. ``Lower_Layer_Super_Output_Area_2011_to_Ward_2018_Lookup_in_England_and_Wales_v3.csv.gz``:
        ``LSOA11CD, LSOA11NM, WD18CD, WD18NM, WD18NMW, LAD18CD, LAD18NM, FID``. Any
        two-digit ward/LAD vintage is accepted (``WD17CD``...); ``FID``/``ObjectId``
        and Welsh-name columns are ignored.

    Returns
    -------
    DataFrame
        ``lsoa_code``, ``lsoa_name``, ``ward_code``, ``ward_name``, ``lad_code``,
        ``lad_name`` (all str), one row per LSOA. ``attrs["vintage"]`` names the
        source columns used.

    Raises
    ------
    SchemaError, EncodingError, ArchiveError, ValueFormatError
        ValueFormatError also for an LSOA listed twice.
    """
    spec = [
        ("lsoa_code", r"LSOA11CD"),
        ("lsoa_name", r"LSOA11NM"),
        ("ward_code", r"WD\d\dCD"),
        ("ward_name", r"WD\d\dNM"),
        ("lad_code", r"LAD\d\dCD"),
        ("lad_name", r"LAD\d\dNM"),
    ]
    df, mapping = _read_vintage_lookup(
        path, spec, [r"WD\d\dNMW", r"LAD\d\dNMW", r"FID", r"Object[Ii][Dd]"]
    )
    _refuse_duplicates(df, "lsoa_code", "LSOA", path, mapping)
    out = df[LSOA_OUTPUT_COLUMNS].reset_index(drop=True)
    out.attrs["vintage"] = mapping
    return out


def _refuse_duplicates(df: pd.DataFrame, key: str, what: str, path, mapping: dict) -> None:
    """ValueFormatError naming both lines when a lookup lists the same *key* twice."""
    dup = df[key].duplicated(keep=False)
    if dup.any():
        lines = df.loc[dup, "_line"].tolist()
        raise ValueFormatError(
            f"{what} {df.loc[dup, key].iloc[0]} listed twice (lines {lines[0]} and {lines[1]})",
            path=path,
            row=int(lines[1]),
            field=mapping[key],
            expected=f"one row per {what}",
        )


LAD_OUTPUT_COLUMNS = ["lad_code", "lad_name", "csp_code", "csp_name", "pfa_code", "pfa_name"]


def read_lad_lookup(path: str | Path) -> pd.DataFrame:
    """Local authority district -> Community Safety Partnership -> police force area.

    Parameters
    ----------
    path : path-like
        E.g. ``Local_Authority_District_to_Community_Safety_Partnerships_to_Police_Force_Areas__December_2016__Lookup_in_England_and_Wales.csv``:
        ``LAD16CD, LAD16NM, CSP16CD, CSP16NM, PFA16CD, PFA16NM, FID`` (any two-digit
        vintage accepted; ``FID``/``ObjectId`` ignored).

    Returns
    -------
    DataFrame
        ``lad_code``, ``lad_name``, ``csp_code``, ``csp_name``, ``pfa_code``,
        ``pfa_name`` (str), one row per district.

    Raises
    ------
    SchemaError, EncodingError, ValueFormatError
        ValueFormatError also for a district listed twice.
    """
    spec = [
        ("lad_code", r"LAD\d\dCD"),
        ("lad_name", r"LAD\d\dNM"),
        ("csp_code", r"CSP\d\dCD"),
        ("csp_name", r"CSP\d\dNM"),
        ("pfa_code", r"PFA\d\dCD"),
        ("pfa_name", r"PFA\d\dNM"),
    ]
    df, mapping = _read_vintage_lookup(path, spec, [r"FID", r"Object[Ii][Dd]", r"LAD\d\dNMW"])
    _refuse_duplicates(df, "lad_code", "district", path, mapping)
    out = df[LAD_OUTPUT_COLUMNS].reset_index(drop=True)
    out.attrs["vintage"] = mapping
    return out


def force_districts(lad_lookup: pd.DataFrame, force: str) -> list[str]:
    """Names of the local authority districts in police force area *force*, sorted.

    *force* is matched after normalisation and the spellings of
    ``data/raw/reference/forces.csv`` (``west midlands``, ``Devon and Cornwall`` for the
    lookup's ``Devon & Cornwall``).

    Raises
    ------
    UnknownForceError
        *force* is not a ``pfa_name`` of the lookup (the message lists the nearest).
    ValueFormatError
        *force* holds a control character.
    """
    ref = force_index(("pfa",))

    def canon(name: str) -> str | None:
        key = _norm_or_none(name)
        return ref.get(key, key) if key is not None else None

    normalise_name(force, field="pfa_name")  # a control character is an error, not a miss
    target = canon(force)
    rows = lad_lookup[lad_lookup["pfa_name"].map(canon) == target]
    if rows.empty:
        match_name(force, sorted(lad_lookup["pfa_name"].unique()), what="force", field="pfa_name")
        raise UnknownForceError(
            f"force {shorten(force)} not in the district lookup", field="pfa_name"
        )
    return sorted(rows["lad_name"].unique().tolist())
