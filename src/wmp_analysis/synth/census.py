"""Synthetic census, population and lookup files in the real layouts.

Files (under the sample folder):

* ``census/synthetic-la-ethnic-groups.csv``: Nomis QS201EW layout of
  ``la-ethnic-groups.csv`` (quoted text, 28 columns), one row per district of the four
  forces (7 West Midlands + 20 comparator districts);
* ``census/synthetic-force-demographics.csv``: layout of ``force-demographics.csv``
  (25 columns), the four forces, each the sum of its districts above;
* ``population/synthetic-regionalpopulation.csv``: layout of ``regionalpopulation.csv``
  (UTF-8 BOM, CRLF, values with two decimals, trailing empty column), the four
  metropolitan counties and their districts, Mid-2011 ... Mid-2023;
* ``lookups/synthetic-lsoa-ward-lad-lookup.csv``: layout of the ONS LSOA 2011 -> ward
  2018 -> LAD lookup (BOM), the 1,680 *real* West Midlands LSOA codes with synthetic
  LSOA names and synthetic ward codes (``E0599xxxx``, a range ONS has not used) and
  names;
* ``lookups/synthetic-lad-csp-pfa-lookup.csv``: layout of the LAD -> CSP -> PFA
  lookup (December 2016, BOM), with the real public codes of the 27 districts.

Populations and ethnic compositions are synthetic: plausible (West Midlands about
2.7 million residents, about 30% from Black and minority ethnic groups) but not the
census figures.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from wmp_analysis.synth._common import (
    COMPARATORS,
    DISTRICTS,
    FORCE,
    FORCE_PFA_CODE,
    frame_to_csv_text,
    lsoa_codes,
    synthetic_lsoa_names,
    write_text,
)

LA_RELPATH = "census/synthetic-la-ethnic-groups.csv"
FORCE_RELPATH = "census/synthetic-force-demographics.csv"
POP_RELPATH = "population/synthetic-regionalpopulation.csv"
LSOA_RELPATH = "lookups/synthetic-lsoa-ward-lad-lookup.csv"
LAD_RELPATH = "lookups/synthetic-lad-csp-pfa-lookup.csv"

#: (group label in the header, [(subcategory label, West Midlands-like share within group)])
CATEGORIES: tuple[tuple[str, str, tuple[tuple[str, float], ...]], ...] = (
    (
        "White",
        "White",
        (
            ("English/Welsh/Scottish/Northern Irish/British", 0.94),
            ("Irish", 0.02),
            ("Gypsy or Irish Traveller", 0.001),
            ("Other White", 0.039),
        ),
    ),
    (
        "Mixed",
        "Mixed/multiple ethnic group",
        (
            ("White and Black Caribbean", 0.55),
            ("White and Black African", 0.06),
            ("White and Asian", 0.23),
            ("Other Mixed", 0.16),
        ),
    ),
    (
        "Asian",
        "Asian/Asian British",
        (
            ("Indian", 0.36),
            ("Pakistani", 0.39),
            ("Bangladeshi", 0.09),
            ("Chinese", 0.04),
            ("Other Asian", 0.12),
        ),
    ),
    (
        "Black",
        "Black/African/Caribbean/Black British",
        (("African", 0.34), ("Caribbean", 0.49), ("Other Black", 0.17)),
    ),
    ("Other", "Other ethnic group", (("Arab", 0.38), ("Any other ethnic group", 0.62))),
)
GROUPS = tuple(g for g, _, _ in CATEGORIES)


def value_columns() -> list[str]:
    """The 24 count column labels of QS201EW, in file order."""
    cols = ["Ethnic Group: All categories: Ethnic group; measures: Value"]
    for group, long, subs in CATEGORIES:
        cols.append(f"Ethnic Group: {group}; measures: Value")
        cols += [f"Ethnic Group: {long}: {s}; measures: Value" for s, _ in subs]
    return cols


#: district -> (synthetic 2011 population, shares of Mixed, Asian, Black, Other).
_LA_PROFILE: dict[str, tuple[int, tuple[float, float, float, float]]] = {
    **{
        d.name: (d.population, s)
        for d, s in zip(
            DISTRICTS,
            (
                (0.045, 0.265, 0.090, 0.020),
                (0.026, 0.160, 0.056, 0.018),
                (0.018, 0.060, 0.015, 0.007),
                (0.033, 0.190, 0.060, 0.017),
                (0.022, 0.068, 0.016, 0.004),
                (0.025, 0.150, 0.025, 0.010),
                (0.050, 0.180, 0.070, 0.020),
            ),
        )
    },
    "Bolton": (277_000, (0.017, 0.150, 0.012, 0.004)),
    "Bury": (185_000, (0.016, 0.080, 0.008, 0.004)),
    "Manchester": (500_000, (0.046, 0.170, 0.085, 0.035)),
    "Oldham": (225_000, (0.016, 0.190, 0.012, 0.003)),
    "Rochdale": (212_000, (0.015, 0.150, 0.010, 0.004)),
    "Salford": (235_000, (0.020, 0.040, 0.030, 0.010)),
    "Stockport": (283_000, (0.016, 0.050, 0.007, 0.004)),
    "Tameside": (219_000, (0.013, 0.070, 0.007, 0.003)),
    "Trafford": (227_000, (0.026, 0.090, 0.030, 0.006)),
    "Wigan": (318_000, (0.009, 0.011, 0.006, 0.002)),
    "Knowsley": (146_000, (0.012, 0.007, 0.005, 0.002)),
    "Liverpool": (467_000, (0.025, 0.042, 0.026, 0.018)),
    "St. Helens": (176_000, (0.009, 0.008, 0.003, 0.001)),
    "Sefton": (274_000, (0.010, 0.010, 0.003, 0.002)),
    "Wirral": (320_000, (0.011, 0.016, 0.004, 0.002)),
    "Bradford": (523_000, (0.025, 0.265, 0.018, 0.008)),
    "Calderdale": (204_000, (0.013, 0.085, 0.005, 0.002)),
    "Kirklees": (423_000, (0.022, 0.160, 0.022, 0.006)),
    "Leeds": (751_000, (0.026, 0.077, 0.035, 0.010)),
    "Wakefield": (326_000, (0.010, 0.025, 0.008, 0.002)),
}


def _la_table() -> pd.DataFrame:
    """``force, lad_code, lad_name, csp_code`` for the 27 districts."""
    rows = [(FORCE, d.lad_code, d.name, d.csp_code) for d in DISTRICTS]
    for force, (_, _, lads) in sorted(COMPARATORS.items()):
        rows += [(force, code, name, csp) for code, name, csp in lads]
    return pd.DataFrame(rows, columns=["force", "lad_code", "lad_name", "csp_code"])


def ethnic_counts(rng: np.random.Generator) -> pd.DataFrame:
    """Synthetic 2011 census counts by district and the 18 categories.

    Returns
    -------
    DataFrame
        ``force, lad_code, lad_name, csp_code`` then one int64 column per subcategory
        (``"<Group>: <subcategory>"``), 18 in all. Totals are perturbed (about +-2%)
        synthetic populations; group shares are the profile above with noise;
        subcategory shares are Dirichlet draws around the West Midlands-like template.
    """
    las = _la_table()
    cols: dict[str, list[int]] = {f"{g}: {s}": [] for g, _, subs in CATEGORIES for s, _ in subs}
    for name in las["lad_name"]:
        pop, (mixed, asian, black, other) = _LA_PROFILE[name]
        total = int(round(pop * float(np.exp(rng.normal(0.0, 0.02)))))
        bme = np.array([mixed, asian, black, other]) * np.exp(rng.normal(0.0, 0.05, size=4))
        gshares = np.concatenate([[1.0 - bme.sum()], bme])
        group_n = rng.multinomial(total, gshares / gshares.sum())
        for (g, _, subs), n in zip(CATEGORIES, group_n):
            template = np.array([p for _, p in subs])
            sub_p = rng.dirichlet(template * 300.0 + 0.5)
            for (s, _), k in zip(subs, rng.multinomial(n, sub_p)):
                cols[f"{g}: {s}"].append(int(k))
    return pd.concat([las, pd.DataFrame(cols, dtype="int64")], axis=1)


def _value_frame(counts: pd.DataFrame) -> pd.DataFrame:
    """The 24 QS201EW values (All, group totals and subcategories) of each row."""
    out = {}
    sub_cols = [c for c in counts.columns if ": " in c]
    out["all"] = counts[sub_cols].sum(axis=1)
    labels = value_columns()
    values = [out["all"]]
    for g, _, subs in CATEGORIES:
        parts = [counts[f"{g}: {s}"] for s, _ in subs]
        values.append(sum(parts))
        values += parts
    return pd.DataFrame(dict(zip(labels, values))).astype("int64")


def write_census_sample(out_dir: Path, rng: np.random.Generator) -> tuple[list[Path], pd.DataFrame]:
    """Write the five census/population/lookup files.

    Returns
    -------
    paths : list of Path
    counts : DataFrame
        :func:`ethnic_counts` (used to calibrate stop-and-search disproportionality).
    """
    out_dir = Path(out_dir)
    counts = ethnic_counts(rng)
    values = _value_frame(counts)
    paths = []

    la = pd.concat(
        [
            pd.DataFrame(
                {
                    "date": "2011",
                    "geography": counts["lad_name"],
                    "geography code": counts["lad_code"],
                    "Rural Urban": "Total",
                }
            ),
            values,
        ],
        axis=1,
    ).sort_values("geography code", kind="mergesort")
    paths.append(write_text(out_dir / LA_RELPATH, frame_to_csv_text(la, quote_all_strings=True)))

    force = (
        pd.concat([counts[["force"]], values], axis=1)
        .groupby("force", sort=True)
        .sum()
        .reset_index()
    )
    force = force.rename(columns={"force": "PFA16NM"})
    paths.append(write_text(out_dir / FORCE_RELPATH, frame_to_csv_text(force)))

    paths.append(_write_population(out_dir, counts, values, rng))
    paths.append(_write_lsoa_lookup(out_dir))
    paths.append(_write_lad_lookup(out_dir, counts))
    return paths, counts


def _write_population(
    out_dir: Path, counts: pd.DataFrame, values: pd.DataFrame, rng: np.random.Generator
) -> Path:
    years = list(range(2023, 2010, -1))
    base = values.iloc[:, 0].to_numpy(dtype=float)
    growth = rng.normal(0.007, 0.002, size=len(base))
    rows = []
    for force in [FORCE, *sorted(COMPARATORS)]:
        sel = (counts["force"] == force).to_numpy()
        series = {}
        for i in np.flatnonzero(sel):
            noise = np.exp(rng.normal(0.0, 0.002, size=len(years)))
            series[counts.at[i, "lad_name"]] = [
                round(base[i] * (1 + growth[i]) ** (y - 2011) * e) for y, e in zip(years, noise)
            ]
        county = [sum(v[k] for v in series.values()) for k in range(len(years))]
        rows.append((f"{force} (Met County)", force, "Metropolitan County", county))
        rows += [(name, "", "Metropolitan District", vals) for name, vals in series.items()]
    header = ["Name", "PFA", "Geography", *[f"Mid-{y}" for y in years], ""]
    lines = [",".join(header)]
    for name, pfa, geo, vals in rows:
        lines.append(",".join([name, pfa, geo, *[f"{v:.2f}" for v in vals], ""]))
    return write_text(out_dir / POP_RELPATH, "\r\n".join(lines) + "\r\n", bom=True)


def _write_lsoa_lookup(out_dir: Path) -> Path:
    frames = []
    ward_no = 1
    for d in DISTRICTS:
        codes = lsoa_codes()[d.name]
        n_wards = max(1, round(len(codes) / 6))
        ward_of = np.arange(len(codes)) * n_wards // len(codes)
        frames.append(
            pd.DataFrame(
                {
                    "LSOA11CD": codes,
                    "LSOA11NM": synthetic_lsoa_names(d.name, len(codes)),
                    "WD18CD": [f"E0599{ward_no + w:04d}" for w in ward_of],
                    "WD18NM": [f"{d.name} Synthetic Ward {w + 1:02d}" for w in ward_of],
                    "WD18NMW": "",
                    "LAD18CD": d.lad_code,
                    "LAD18NM": d.name,
                }
            )
        )
        ward_no += n_wards
    table = pd.concat(frames, ignore_index=True)
    table["FID"] = np.arange(1, len(table) + 1)
    return write_text(out_dir / LSOA_RELPATH, frame_to_csv_text(table), bom=True)


def _write_lad_lookup(out_dir: Path, counts: pd.DataFrame) -> Path:
    pfa_codes = {FORCE: FORCE_PFA_CODE, **{k: v[0] for k, v in COMPARATORS.items()}}
    table = pd.DataFrame(
        {
            "LAD16CD": counts["lad_code"],
            "LAD16NM": counts["lad_name"],
            "CSP16CD": counts["csp_code"],
            "CSP16NM": counts["lad_name"],
            "PFA16CD": counts["force"].map(pfa_codes),
            "PFA16NM": counts["force"],
        }
    )
    table["FID"] = np.arange(1, len(table) + 1)
    return write_text(out_dir / LAD_RELPATH, frame_to_csv_text(table), bom=True)
