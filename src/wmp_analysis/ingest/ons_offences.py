"""The offence columns of the ONS tables: ``data/raw/reference/ons_offence_columns.csv``.

Maps each header of the wide force table to the rolling file's offence group (a cut-short
header matching the one known column it begins; note markers and footnote digits ignored),
checks that every total column can be split into groups and equals the sum of its parts,
and lists the offence groups both layouts may use (:data:`KNOWN_OFFENCES`).
"""

from __future__ import annotations

import functools
import re
from pathlib import Path

import pandas as pd

from wmp_analysis.errors import SchemaError, ValueFormatError, shorten
from wmp_analysis.names import normalise_name, suggestions

#: The offence-column mapping table (wide layout) and offence-group list (both layouts).
OFFENCE_TABLE = (
    Path(__file__).resolve().parents[3] / "data" / "raw" / "reference" / "ons_offence_columns.csv"
)


_NOTE = re.compile(r"\[\s*(?:note|notes)\b[^\]]*\]", re.IGNORECASE)


_FOOTNOTE_DIGITS = re.compile(r"(?<=[A-Za-z)])\d+(?:,\d+)*$")


#: Shortest cut-short header matched to a known column by prefix (characters).
MIN_PREFIX = 8


@functools.lru_cache(maxsize=2)
def offence_table(path: str | None = None) -> pd.DataFrame:
    """``data/raw/reference/ons_offence_columns.csv`` as a DataFrame.

    Columns: ``wide_column`` (header of the wide force table; ``""`` for groups of the
    rolling file only), ``offence_group`` (the rolling file's group, ``""`` for a
    total), ``kind`` (``group``, ``total`` or ``rolling_only``), ``total_of`` (for a
    total: its parts, ``;``-separated; ``|`` separates alternative sets of parts),
    ``notes``.
    """
    df = pd.read_csv(path or OFFENCE_TABLE, dtype=str, keep_default_na=False)
    bad = ~df["kind"].isin(["group", "total", "rolling_only"])
    if bad.any():
        raise ValueError(f"{OFFENCE_TABLE}: unknown kind {df.loc[bad, 'kind'].iloc[0]!r}")
    return df


def known_offences() -> frozenset[str]:
    """Every offence group the ONS files use (the rolling file's spelling)."""
    t = offence_table()
    return frozenset(t.loc[t["kind"].isin(["group", "rolling_only"]), "offence_group"])


#: Offence groups found in the ONS files (from ``ons_offence_columns.csv``). A value
#: outside this set is an error with the nearest names, never a new group.
KNOWN_OFFENCES = known_offences()


def clean_header(text: str) -> str:
    """A header cell as compared: note markers and footnote digits removed, spaces collapsed.

    ``"Total recorded crime (excluding fraud)\\n [note 2]"`` -> ``"Total recorded crime
    (excluding fraud)"``; ``"Homicide4"`` -> ``"Homicide"``.
    """
    t = _NOTE.sub(" ", text)
    t = re.sub(r"\s+", " ", t).strip()
    return _FOOTNOTE_DIGITS.sub("", t).strip()


def _column_index() -> tuple[dict[str, dict], list[str]]:
    """Normal form of each known wide column -> its table row; and the display names."""
    t = offence_table()
    rows = t[t["kind"].isin(["group", "total"])]
    idx = {normalise_name(r.wide_column): r._asdict() for r in rows.itertuples(index=False)}
    return idx, rows["wide_column"].tolist()


def _match_column(header: str, idx: dict[str, dict], names: list[str], path, col_no: int) -> dict:
    """The known column a (possibly cut-short) wide header denotes."""
    cleaned = clean_header(header)
    key = normalise_name(cleaned, path=path, row=None, field=f"column {col_no}")
    if key in idx:
        return idx[key]
    starts = [k for k in idx if k.startswith(key)] if len(key) >= MIN_PREFIX else []
    if len(starts) == 1:
        return idx[starts[0]]
    if len(starts) > 1:
        raise SchemaError(
            f"header {shorten(header)} (column {col_no}) is cut short and could be any of "
            f"{sorted(idx[k]['wide_column'] for k in starts)}",
            field=header,
            expected="a header that names one offence column",
        )
    near = suggestions(cleaned, names)
    raise SchemaError(
        f"unexpected column {shorten(header)} (column {col_no})"
        + (f"; did you mean {' or '.join(repr(n) for n in near)}?" if near else ""),
        field=header,
        expected="Area Code, Area Name, a period column and offence columns listed in "
        "data/raw/reference/ons_offence_columns.csv",
    )


def _totals_spec() -> dict[str, list[list[str]]]:
    t = offence_table()
    return {
        r.wide_column: [alt.split(";") for alt in r.total_of.split("|")]
        for r in t[t["kind"] == "total"].itertuples()
    }


def _check_structure(
    offence_cols: dict[int, dict], header: list[str], path, line: int
) -> dict[str, str]:
    """Group columns of the table (wide column -> group); totals must be splittable.

    A total column present whose parts cannot all be found (directly or through
    other totals) is a SchemaError: its offences would be lost, or counted twice
    if the total were kept as a group.
    """
    present = {spec["wide_column"]: spec for spec in offence_cols.values()}
    groups = {w: s["offence_group"] for w, s in present.items() if s["kind"] == "group"}
    if len(set(groups.values())) != len(groups):
        dup = next(g for g in set(groups.values()) if list(groups.values()).count(g) > 1)
        cols = [w for w, g in groups.items() if g == dup]
        raise SchemaError(
            f"columns {cols} are the same offence group {dup!r}",
            path=path,
            row=line,
            expected="each offence group once",
        )
    have_groups = set(groups.values())
    totals = _totals_spec()

    def resolvable(part: str) -> bool:
        if part in totals:
            return part in present or any(all(resolvable(p) for p in alt) for alt in totals[part])
        return part in have_groups

    for w, spec in present.items():
        if spec["kind"] != "total":
            continue
        if not any(all(resolvable(p) for p in alt) for alt in totals[w]):
            missing = sorted({p for alt in totals[w] for p in alt if not resolvable(p)})
            raise SchemaError(
                f"column {w!r} is a total of several offence groups, but the table lacks {missing}: "
                "it cannot be split into offence groups",
                path=path,
                row=line,
                field=w,
                expected="the parts of every total column (see data/raw/reference/ons_offence_columns.csv)",
            )
    return groups


def _check_totals(
    values: dict[str, pd.Series], frame: pd.DataFrame, offence_cols, header, path
) -> None:
    """Each total column equals the sum of its parts (ValueFormatError naming the line)."""
    totals = _totals_spec()
    group_of = {
        spec["offence_group"]: spec["wide_column"]
        for spec in offence_cols.values()
        if spec["kind"] == "group"
    }
    col_of = {spec["wide_column"]: header[j] for j, spec in offence_cols.items()}

    def value(part: str):
        if part in totals:
            if part in values:
                return values[part]
            for alt in totals[part]:
                vs = [value(p) for p in alt]
                if all(v is not None for v in vs):
                    return sum(vs)
            return None
        return values.get(group_of.get(part, ""))

    def depth(name: str) -> int:
        return 1 + max(depth(p) for alt in totals[name] for p in alt) if name in totals else 0

    # innermost totals first, so a wrong figure is named where it is wrong
    for w in sorted((w for w in values if w in totals), key=depth):
        for alt in totals[w]:
            vs = [value(p) for p in alt]
            if all(v is not None for v in vs):
                s = sum(vs)
                bad = s != values[w]
                if bad.any():
                    i = bad.idxmax()
                    raise ValueFormatError(
                        f"{w} {int(values[w][i])} differs from the sum of its parts {int(s[i])} "
                        f"({', '.join(alt)})",
                        path=path,
                        row=int(frame.at[i, "_line"]),
                        field=col_of[w],
                        expected="a total equal to the sum of its offence groups",
                    )
                break
