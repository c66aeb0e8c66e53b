"""ONS "Recorded crime data at Police Force Area level" (rec-crime-pfa.csv).

Layout (one row per 12-month period end, force and offence group)::

    12 months ending,PFA,Region,Offence,Rolling year total number of offences
    31-03-2012,West Midlands,West Midlands,Domestic burglary,15898

Quirks of the real file are kept visible, not silently repaired:

* counts may be **negative** (fraud moving to Action Fraud in 2013); they are kept
  and listed in :func:`describe_quirks`;
* one date reads ``30-12-2017``: it parses as a real date that is not a quarter
  end; ``period_end`` snaps it to the month end (31-12-2017) and the published text
  is kept in ``date_as_published``; the quirk is listed;
* offence groups start and stop (residential burglary replaces domestic burglary in
  later years); :func:`describe_quirks` lists each group's first and last period.
"""
from __future__ import annotations

from pathlib import Path

import pandas as pd

from ..errors import DuplicatePeriodError, UnknownForceError, ValueFormatError
from .textio import parse_int_column, read_csv_strict

COLUMNS = ["12 months ending", "PFA", "Region", "Offence", "Rolling year total number of offences"]

#: Offence groups found in the ONS file (any other is reported, not rejected:
#: ONS adds groups over time).
KNOWN_OFFENCES = frozenset({
    "All other theft offences", "Bicycle theft", "Criminal damage and arson",
    "Death or serious injury caused by illegal driving", "Domestic burglary",
    "Non-domestic burglary", "Residential burglary", "Non-residential burglary",
    "Drug offences", "Fraud offences", "Homicide", "Miscellaneous crimes against society",
    "Possession of weapons offences", "Public order offences", "Robbery", "Sexual offences",
    "Shoplifting", "Stalking and harassment", "Theft from the person", "Vehicle offences",
    "Violence with injury", "Violence without injury",
})


def read_ons_pfa(path: str | Path, *, forces: list[str] | None = None) -> pd.DataFrame:
    """Read the ONS police-force-area recorded crime CSV into a tidy table.

    Parameters
    ----------
    path : path-like
        ``rec-crime-pfa.csv`` or a file in the same layout (``.gz`` accepted).
    forces : list of str, optional
        Keep only these PFA names. Each must occur in the file, else
        :class:`~wmp_analysis.errors.UnknownForceError`.

    Returns
    -------
    DataFrame
        ``period_end`` (datetime64, last day of the 12-month window),
        ``date_as_published`` (str), ``force`` (str), ``region`` (str),
        ``offence`` (str, ONS offence group), ``count`` (int64, offences recorded in
        the 12 months; may be negative where the publisher made adjustments),
        ``line`` (int64, line in the source file). Sorted by force, offence,
        period_end.

    Raises
    ------
    SchemaError, EncodingError, ValueFormatError, DuplicatePeriodError, UnknownForceError
    """
    df = read_csv_strict(path, COLUMNS)
    dates = pd.to_datetime(df["12 months ending"], format="%d-%m-%Y", errors="coerce")
    if dates.isna().any():
        i = dates.isna().idxmax()
        raise ValueFormatError(
            f"{df.at[i, '12 months ending']!r} is not a date", path=path,
            row=int(df.at[i, "_line"]), field="12 months ending", expected="dd-mm-yyyy",
        )
    counts = parse_int_column(df, "Rolling year total number of offences", path, allow_negative=True)
    out = pd.DataFrame({
        "period_end": dates + pd.offsets.MonthEnd(0),
        "date_as_published": df["12 months ending"].astype(str),
        "force": df["PFA"].str.strip(),
        "region": df["Region"].str.strip(),
        "offence": df["Offence"].str.strip(),
        "count": counts,
        "line": df["_line"].astype("int64"),
    })
    if forces is not None:
        present = set(out["force"].unique())
        unknown = [f for f in forces if f not in present]
        if unknown:
            close = sorted(p for p in present if any(w.lower() in p.lower() for u in unknown for w in u.split()))
            raise UnknownForceError(
                f"force(s) {unknown} not in file" + (f"; similar names: {close[:5]}" if close else ""),
                path=path, field="PFA", expected="a PFA name exactly as in the file",
            )
        out = out[out["force"].isin(forces)]
    dup = out.duplicated(["force", "offence", "period_end"], keep=False)
    if dup.any():
        rows = out.loc[dup].sort_values("line")
        first = rows.iloc[0]
        raise DuplicatePeriodError(
            f"two rows for {first['force']} / {first['offence']} / {first['period_end']:%Y-%m-%d} "
            f"(lines {', '.join(str(x) for x in rows['line'].head(2))})",
            path=path, row=int(rows['line'].iloc[1]), field="12 months ending",
            expected="one row per force, offence and period",
        )
    return out.sort_values(["force", "offence", "period_end"], kind="mergesort").reset_index(drop=True)


def describe_quirks(df: pd.DataFrame) -> dict:
    """Quirks worth reporting in the ingest manifest.

    Returns a dict with ``negative_counts`` (rows with count < 0),
    ``non_quarter_end_dates`` (published dates that are not the last day of a
    quarter) and ``offence_coverage`` (first and last period of each offence group).
    """
    neg = df[df["count"] < 0]
    published = pd.to_datetime(df["date_as_published"], format="%d-%m-%Y")
    odd = df[(published != df["period_end"]) | (~df["period_end"].dt.month.isin([3, 6, 9, 12]))]
    cov = df.groupby("offence")["period_end"].agg(["min", "max"]).reset_index()
    return {
        "negative_counts": [
            {"force": r.force, "offence": r.offence, "period_end": f"{r.period_end:%Y-%m-%d}",
             "count": int(r.count), "line": int(r.line)}
            for r in neg.itertuples()
        ],
        "non_quarter_end_dates": sorted(
            {(str(r.date_as_published), f"{r.period_end:%Y-%m-%d}") for r in odd.itertuples()}
        ),
        "offence_coverage": {
            r.offence: {"first": f"{r.min:%Y-%m-%d}", "last": f"{r.max:%Y-%m-%d}"} for r in cov.itertuples()
        },
    }
