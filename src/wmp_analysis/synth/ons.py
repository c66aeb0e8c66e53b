"""Synthetic ONS "Recorded crime data at Police Force Area level" rows.

Each force x offence group gets an underlying *monthly* series (trend + seasonality +
Poisson noise) from July 2006 to March 2016; the file holds its true rolling
12-month sums at every quarter end 30-06-2007 ... 31-03-2016, so quarterly rolling
totals are internally consistent (the difference of two rolling totals three months
apart is the difference of two quarters).

Calibration (invented, plausible, not real figures): :data:`WM_LEVELS` gives each
group's West Midlands level in the year to March 2012 and its log growth rates per
year before April 2012, April 2012 - March 2014 and from April 2014. Total excluding
fraud is about 190,000 a year; domestic burglary about 16,000 in 2011-12, falling about
12% a year for two years. Comparator forces are scaled copies with random per-group
factors and slopes. Layout quirks of the real file that are reproduced: CRLF line
endings, dd-mm-yyyy dates, fraud offences stopping after 31-12-2013 (with Action Fraud
transfer adjustments that can make late monthly values negative), and the
Residential / Non-residential burglary groups appearing from 31-12-2014 with zero
counts.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from wmp_analysis.synth._common import (
    COMPARATORS,
    FORCE,
    FORCE_REGIONS,
    frame_to_csv_text,
    months,
    seasonal,
    write_text,
)

RELPATH = "ons/synthetic-rec-crime-pfa.csv"
COLUMNS = ["12 months ending", "PFA", "Region", "Offence", "Rolling year total number of offences"]

#: offence -> (West Midlands level in FY 2011-12, growth/yr to 2012-03, 2012-04..2014-03,
#: from 2014-04 (log rates), seasonal amplitude, peak month). Synthetic calibration.
WM_LEVELS: dict[str, tuple[float, float, float, float, float, int]] = {
    "All other theft offences": (27_000, -0.04, -0.14, -0.03, 0.05, 8),
    "Bicycle theft": (3_400, -0.02, -0.08, -0.02, 0.30, 8),
    "Criminal damage and arson": (31_000, -0.07, -0.12, 0.02, 0.08, 7),
    "Death or serious injury caused by illegal driving": (18, 0.0, -0.10, 0.05, 0.0, 1),
    "Domestic burglary": (16_200, -0.06, -0.13, -0.01, 0.12, 12),
    "Drug offences": (9_000, 0.02, -0.08, -0.08, 0.04, 3),
    "Fraud offences": (2_800, -0.05, -0.25, 0.0, 0.03, 3),
    "Homicide": (40, 0.0, 0.0, 0.0, 0.0, 1),
    "Miscellaneous crimes against society": (2_300, -0.02, -0.03, 0.05, 0.03, 3),
    "Non-domestic burglary": (12_000, -0.05, -0.10, -0.04, 0.08, 12),
    "Possession of weapons offences": (1_450, -0.08, -0.15, 0.08, 0.06, 7),
    "Public order offences": (5_400, -0.05, 0.00, 0.25, 0.10, 7),
    "Robbery": (7_100, -0.05, -0.22, -0.05, 0.10, 12),
    "Sexual offences": (2_700, 0.02, 0.05, 0.22, 0.05, 7),
    "Shoplifting": (13_600, 0.00, 0.00, 0.02, 0.05, 12),
    "Stalking and harassment": (2_900, 0.04, 0.08, 0.30, 0.04, 7),
    "Theft from the person": (3_700, -0.02, -0.05, -0.06, 0.06, 12),
    "Vehicle offences": (24_800, -0.08, -0.10, -0.02, 0.08, 11),
    "Violence with injury": (19_800, -0.05, -0.09, 0.12, 0.10, 7),
    "Violence without injury": (7_600, 0.04, 0.12, 0.30, 0.10, 7),
}
#: Groups published only from this quarter end, as zeros (a quirk of the real file).
ZERO_FROM_2014Q4 = ("Residential burglary", "Non-residential burglary")
FRAUD = "Fraud offences"
LAST_FRAUD_PERIOD = pd.Period("2013-12", "M")

#: Comparator force size relative to West Midlands (synthetic).
FORCE_SCALE = {FORCE: 1.0, "Greater Manchester": 1.30, "Merseyside": 0.55, "West Yorkshire": 1.05}

FIRST_PERIOD_END = "2007-06"
LAST_PERIOD_END = "2016-03"


def _log_trend(x: np.ndarray, r1: float, r2: float, r3: float) -> np.ndarray:
    """Piecewise-linear log index; x = years since October 2011 (mid FY 2011-12)."""
    return r1 * np.minimum(x, 0.5) + r2 * np.clip(x - 0.5, 0.0, 2.0) + r3 * np.maximum(x - 2.5, 0.0)


def monthly_series(rng: np.random.Generator, *, end: str = LAST_PERIOD_END) -> pd.DataFrame:
    """Underlying monthly recorded-crime counts for the four forces.

    Parameters
    ----------
    rng : numpy.random.Generator
        The ``ons`` stream.
    end : str
        Last month (``YYYY-MM``).

    Returns
    -------
    DataFrame
        ``force`` (str), ``offence`` (ONS group, str), ``month`` (Period[M]),
        ``count`` (int64, offences recorded in the month; fraud may be negative after
        March 2013, an Action Fraud transfer adjustment). From 11 months before the
        first period end (July 2006) to *end*.
    """
    first = pd.Period(FIRST_PERIOD_END, "M") - 11
    idx = months(str(first), end)
    x = np.array([((p.year - 2011) * 12 + (p.month - 10)) / 12.0 for p in idx])
    moy = np.array([p.month for p in idx])
    days = np.array([p.days_in_month for p in idx]) / (365.25 / 12)
    frames = []
    for force in (FORCE, *sorted(COMPARATORS)):
        scale = FORCE_SCALE[force]
        for offence, (level, r1, r2, r3, amp, peak) in WM_LEVELS.items():
            if force == FORCE:
                f_level, d1, d2, d3 = level, 0.0, 0.0, 0.0
            else:
                f_level = level * scale * float(np.exp(rng.normal(0.0, 0.12)))
                d1, d2, d3 = rng.normal(0.0, 0.02, size=3)
            mean = (f_level / 12.0) * np.exp(_log_trend(x, r1 + d1, r2 + d2, r3 + d3))
            mean = (
                mean
                * seasonal(moy, amp, peak)
                * days
                * np.exp(rng.normal(0.0, 0.03, size=len(idx)))
            )
            counts = rng.poisson(mean).astype(np.int64)
            if offence == FRAUD:
                after = np.array([p > pd.Period("2013-03", "M") for p in idx])
                march = mean[
                    [i for i, p in enumerate(idx) if p.year == 2013 and p.month <= 3]
                ].mean()
                adj = -rng.poisson(march / 3.0, size=int(after.sum()))
                counts[after] = adj
            frames.append(
                pd.DataFrame({"force": force, "offence": offence, "month": idx, "count": counts})
            )
    return pd.concat(frames, ignore_index=True)


def rolling_table(monthly: pd.DataFrame) -> pd.DataFrame:
    """Rolling 12-month sums at quarter ends, in the real file's row order.

    Returns
    -------
    DataFrame
        The five columns of the ONS layout (dates as ``dd-mm-yyyy`` text), sorted by
        period end, force, offence.
    """
    wide = monthly.set_index(["month", "force", "offence"])["count"].unstack(["force", "offence"])
    roll = wide.rolling(12).sum()
    roll = roll[[p.month % 3 == 0 and p >= pd.Period(FIRST_PERIOD_END, "M") for p in roll.index]]
    long = roll.stack(["force", "offence"], future_stack=True).rename("count").reset_index()
    long = long[(long["offence"] != FRAUD) | (long["month"] <= LAST_FRAUD_PERIOD)]
    zero_months = [p for p in roll.index if p >= pd.Period("2014-12", "M")]
    zeros = pd.DataFrame(
        [(p, f, o, 0) for p in zero_months for f in sorted(FORCE_SCALE) for o in ZERO_FROM_2014Q4],
        columns=["month", "force", "offence", "count"],
    )
    long = pd.concat([long, zeros], ignore_index=True).sort_values(
        ["month", "force", "offence"], kind="mergesort"
    )
    return pd.DataFrame(
        {
            COLUMNS[0]: long["month"]
            .map({p: p.end_time.strftime("%d-%m-%Y") for p in roll.index})
            .to_numpy(),
            COLUMNS[1]: long["force"].to_numpy(),
            COLUMNS[2]: long["force"].map(FORCE_REGIONS).to_numpy(),
            COLUMNS[3]: long["offence"].to_numpy(),
            COLUMNS[4]: long["count"].astype("int64").to_numpy(),
        }
    )


def write_ons_sample(out_dir: Path, monthly: pd.DataFrame) -> list[Path]:
    """Write ``ons/synthetic-rec-crime-pfa.csv`` (CRLF, as the real file) under *out_dir*."""
    table = rolling_table(monthly)
    return [write_text(Path(out_dir) / RELPATH, frame_to_csv_text(table, lineterminator="\r\n"))]
