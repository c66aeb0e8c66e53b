"""Resident population of each police force area, from the ONS mid-year estimates.

The population file (``regionalpopulation.csv`` layout, read by
:func:`wmp_analysis.ingest.census.read_population`) lists countries, regions,
counties, metropolitan counties and local authorities, one column per mid-year.
Its ``PFA`` column was added by hand by the file's author: it labels, with a force
name, the areas that tile each force area (a county or unitary authority, a
metropolitan county, the London boroughs) and leaves the districts inside a labelled
county blank, so that summing the labelled rows gives each force once. In the real
file the 43 forces' sums equal the ENGLAND AND WALES row exactly in every year once
the one misspelt label ("Chesire", Warrington) is read as Cheshire;
:func:`population_coverage` checks this on every run.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from wmp_analysis.periods import Period

#: Spellings in the population file's PFA column that name a force differently
#: (the file's author added the column by hand). Applied and reported, never silent.
POPULATION_PFA_CORRECTIONS: dict[str, str] = {"Chesire": "Cheshire"}
#: Rows of the population file that are totals, not force areas.
_TOTAL_TYPES = {"Country", "Region"}


def population_year(period: Period) -> int:
    """The mid-year (30 June) estimate inside a financial year: its start year."""
    return int(period.start.year if period.start.month <= 6 else period.start.year + 1)


def force_population(population: pd.DataFrame, forces: Sequence[str], year: int) -> pd.DataFrame:
    """Resident population of each force area at mid-*year*.

    The population file (``regionalpopulation.csv``) gives each local area a ``PFA``
    label (added by hand by the file's author, on the areas that tile each force: a
    county or unitary authority, a metropolitan county, London boroughs). A force's
    population is the sum over the rows labelled with its name, after the
    corrections in :data:`POPULATION_PFA_CORRECTIONS`. A force with no labelled row
    gets NaN and a note - never 0.

    Returns
    -------
    DataFrame
        ``force``, ``year``, ``population`` (float, persons; NaN if none),
        ``areas`` (int, rows summed), ``note`` (str).
    """
    p = population[population["year"] == int(year)]
    p = p[~p["geography_type"].isin(_TOTAL_TYPES)]
    label = p["pfa"].astype("str").str.strip()
    fixed = label.replace(POPULATION_PFA_CORRECTIONS)
    rows = []
    for f in forces:
        hit = p[fixed == f]
        notes = [
            f"'{a}' in the file's PFA column read as '{b}' ({int((label[fixed == f] == a).sum())} area)"
            for a, b in POPULATION_PFA_CORRECTIONS.items()
            if b == f and (label[fixed == f] == a).any()
        ]
        if hit.empty:
            why = (
                "no area of the population file is labelled with this force"
                if (population["year"] == int(year)).any()
                else f"no mid-{year} column in the population file"
            )
            rows.append(
                {"force": f, "year": int(year), "population": np.nan, "areas": 0, "note": why}
            )
            continue
        rows.append(
            {
                "force": f,
                "year": int(year),
                "population": float(hit["population"].sum()),
                "areas": len(hit),
                "note": "; ".join(notes),
            }
        )
    return pd.DataFrame(rows, columns=["force", "year", "population", "areas", "note"])


def population_coverage(population: pd.DataFrame, forces: Sequence[str], year: int) -> dict:
    """Check the force populations against the file's ENGLAND AND WALES total.

    Returns
    -------
    dict
        ``year``, ``forces_total`` (sum of the forces' populations), ``england_and_wales``
        (the file's total row, NaN if absent), ``difference`` (persons,
        forces_total - total), ``missing`` (forces with no population),
        ``unmatched_labels`` (PFA labels of local areas that name no force).
    """
    fp = force_population(population, forces, year)
    p = population[(population["year"] == int(year))]
    ew = p.loc[p["name"].astype("str").str.upper() == "ENGLAND AND WALES", "population"]
    local = p[~p["geography_type"].isin(_TOTAL_TYPES)]
    labels = set(local["pfa"].astype("str").str.strip().replace(POPULATION_PFA_CORRECTIONS)) - {""}
    total = float(fp["population"].sum(min_count=1))
    ewv = float(ew.iloc[0]) if len(ew) else np.nan
    return {
        "year": int(year),
        "forces_total": total,
        "england_and_wales": ewv,
        "difference": total - ewv if not np.isnan(ewv) else np.nan,
        "missing": fp.loc[fp["population"].isna(), "force"].tolist(),
        "unmatched_labels": sorted(labels - set(forces)),
    }


def population_summary(
    population: pd.DataFrame | None, forces: Sequence[str], years: Sequence[int]
) -> pd.DataFrame:
    """One row per mid-year: the coverage check of :func:`population_coverage` in words.

    Returns
    -------
    DataFrame
        ``year``, ``forces_total``, ``england_and_wales`` (persons), ``difference``
        (persons), ``forces_without_population`` (str, "; "-joined, with the reason),
        ``labels_corrected`` (str), ``unmatched_labels`` (str). With no population
        source every force is listed as without population.
    """
    rows = []
    for y in sorted({int(v) for v in years}):
        if population is None:
            rows.append(
                {
                    "year": y,
                    "forces_total": np.nan,
                    "england_and_wales": np.nan,
                    "difference": np.nan,
                    "forces_without_population": "all: no population source supplied",
                    "labels_corrected": "",
                    "unmatched_labels": "",
                }
            )
            continue
        cov = population_coverage(population, forces, y)
        fp = force_population(population, forces, y).set_index("force")
        rows.append(
            {
                "year": y,
                "forces_total": cov["forces_total"],
                "england_and_wales": cov["england_and_wales"],
                "difference": cov["difference"],
                "forces_without_population": "; ".join(
                    f"{f} ({fp.at[f, 'note']})" for f in cov["missing"]
                ),
                "labels_corrected": "; ".join(n for n in fp["note"] if "read as" in str(n)),
                "unmatched_labels": "; ".join(cov["unmatched_labels"]),
            }
        )
    return pd.DataFrame(rows)
