"""Synthetic Home Office police recorded crime open data at CSP level.

One row per financial year, financial quarter, force, CSP and offence code, counts in
that quarter, for the seven West Midlands CSPs, FY 2010-11 to 2015-16, in the layout
of the Home Office "prc-csp" open data tables.

Each month's West Midlands count of every ONS offence group (the sample's underlying
monthly series, see :mod:`.ons`) is split multinomially over the seven districts (the
shared district shares) and over a realistic subset of Home Office offence codes
(:data:`OFFENCE_CODES`, fixed within-group shares), then summed to quarters. So the
CSP rows of an offence subgroup sum exactly to the ONS monthly series, and a year's
CSP total equals the difference-free ONS rolling total at the March period end.
Fraud is not included (recorded centrally by Action Fraud from 2013).

The codes and descriptions follow the Home Office counting-rules numbering; the
subset and the within-group shares are synthetic.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from wmp_analysis.periods import financial_quarter, financial_year_start, fy_label
from wmp_analysis.synth._common import (
    DISTRICTS,
    FORCE,
    frame_to_csv_text,
    months,
    multinomial_rows,
    write_text,
)
from wmp_analysis.synth.geography import Geography
from wmp_analysis.synth.ons import FRAUD

RELPATH = "csp/synthetic-prc-csp-tables.csv"
COLUMNS = [
    "Financial Year",
    "Financial Quarter",
    "Force Name",
    "CSP Name",
    "Offence Description",
    "Offence Group",
    "Offence Subgroup",
    "Offence Code",
    "Number of Offences",
]

#: (code, description, offence group, offence subgroup = ONS group, share within subgroup)
OFFENCE_CODES: tuple[tuple[str, str, str, str, float], ...] = (
    ("1", "Murder", "Violence against the person", "Homicide", 0.9),
    ("4.1", "Manslaughter", "Violence against the person", "Homicide", 0.1),
    ("2", "Attempted murder", "Violence against the person", "Violence with injury", 0.01),
    (
        "5D",
        "Assault with intent to cause serious harm",
        "Violence against the person",
        "Violence with injury",
        0.07,
    ),
    ("5E", "Endangering life", "Violence against the person", "Violence with injury", 0.01),
    ("8N", "Assault with injury", "Violence against the person", "Violence with injury", 0.88),
    (
        "8P",
        "Racially or religiously aggravated assault with injury",
        "Violence against the person",
        "Violence with injury",
        0.03,
    ),
    ("3B", "Threats to kill", "Violence against the person", "Violence without injury", 0.08),
    (
        "11A",
        "Cruelty to children/young persons",
        "Violence against the person",
        "Violence without injury",
        0.05,
    ),
    (
        "105A",
        "Assault without injury",
        "Violence against the person",
        "Violence without injury",
        0.80,
    ),
    (
        "105B",
        "Racially or religiously aggravated assault without injury",
        "Violence against the person",
        "Violence without injury",
        0.07,
    ),
    ("8L", "Harassment", "Violence against the person", "Stalking and harassment", 0.85),
    (
        "8M",
        "Racially or religiously aggravated harassment",
        "Violence against the person",
        "Stalking and harassment",
        0.10,
    ),
    ("8Q", "Stalking", "Violence against the person", "Stalking and harassment", 0.05),
    (
        "4.4",
        "Causing death or serious injury by dangerous driving",
        "Violence against the person",
        "Death or serious injury caused by illegal driving",
        1.0,
    ),
    (
        "17A",
        "Sexual assault on a male aged 13 and over",
        "Sexual offences",
        "Sexual offences",
        0.06,
    ),
    ("19C", "Rape of a female aged 16 and over", "Sexual offences", "Sexual offences", 0.25),
    ("19D", "Rape of a female child under 16", "Sexual offences", "Sexual offences", 0.09),
    (
        "20A",
        "Sexual assault on a female aged 13 and over",
        "Sexual offences",
        "Sexual offences",
        0.45,
    ),
    (
        "22B",
        "Sexual activity involving a child under 16",
        "Sexual offences",
        "Sexual offences",
        0.15,
    ),
    ("34A", "Robbery of business property", "Robbery", "Robbery", 0.12),
    ("34B", "Robbery of personal property", "Robbery", "Robbery", 0.88),
    ("28A", "Burglary in a dwelling", "Theft offences", "Domestic burglary", 0.70),
    ("28B", "Attempted burglary in a dwelling", "Theft offences", "Domestic burglary", 0.22),
    ("28C", "Distraction burglary in a dwelling", "Theft offences", "Domestic burglary", 0.06),
    (
        "28D",
        "Attempted distraction burglary in a dwelling",
        "Theft offences",
        "Domestic burglary",
        0.02,
    ),
    (
        "30A",
        "Burglary in a building other than a dwelling",
        "Theft offences",
        "Non-domestic burglary",
        0.80,
    ),
    (
        "30B",
        "Attempted burglary in a building other than a dwelling",
        "Theft offences",
        "Non-domestic burglary",
        0.20,
    ),
    ("37.2", "Aggravated vehicle taking", "Theft offences", "Vehicle offences", 0.02),
    ("45", "Theft from a vehicle", "Theft offences", "Vehicle offences", 0.55),
    (
        "48",
        "Theft or unauthorised taking of a motor vehicle",
        "Theft offences",
        "Vehicle offences",
        0.28,
    ),
    ("126", "Interfering with a motor vehicle", "Theft offences", "Vehicle offences", 0.15),
    ("39", "Theft from the person", "Theft offences", "Theft from the person", 1.0),
    ("44", "Theft or unauthorised taking of a pedal cycle", "Theft offences", "Bicycle theft", 1.0),
    ("46", "Shoplifting", "Theft offences", "Shoplifting", 1.0),
    (
        "40",
        "Theft in a dwelling other than from an automatic machine or meter",
        "Theft offences",
        "All other theft offences",
        0.12,
    ),
    ("41", "Theft by an employee", "Theft offences", "All other theft offences", 0.03),
    ("49", "Other theft", "Theft offences", "All other theft offences", 0.83),
    ("43", "Dishonest use of electricity", "Theft offences", "All other theft offences", 0.02),
    (
        "56A",
        "Arson endangering life",
        "Criminal damage and arson",
        "Criminal damage and arson",
        0.01,
    ),
    (
        "56B",
        "Arson not endangering life",
        "Criminal damage and arson",
        "Criminal damage and arson",
        0.07,
    ),
    (
        "58A",
        "Criminal damage to a dwelling",
        "Criminal damage and arson",
        "Criminal damage and arson",
        0.30,
    ),
    (
        "58B",
        "Criminal damage to a building other than a dwelling",
        "Criminal damage and arson",
        "Criminal damage and arson",
        0.14,
    ),
    (
        "58C",
        "Criminal damage to a vehicle",
        "Criminal damage and arson",
        "Criminal damage and arson",
        0.36,
    ),
    (
        "58D",
        "Other criminal damage",
        "Criminal damage and arson",
        "Criminal damage and arson",
        0.12,
    ),
    ("92A", "Trafficking in controlled drugs", "Drug offences", "Drug offences", 0.14),
    (
        "92D",
        "Possession of controlled drugs (excluding cannabis)",
        "Drug offences",
        "Drug offences",
        0.12,
    ),
    ("92E", "Possession of controlled drugs (cannabis)", "Drug offences", "Drug offences", 0.74),
    (
        "10A",
        "Possession of firearms with intent",
        "Possession of weapons offences",
        "Possession of weapons offences",
        0.05,
    ),
    (
        "10C",
        "Possession of other weapons",
        "Possession of weapons offences",
        "Possession of weapons offences",
        0.25,
    ),
    (
        "10D",
        "Possession of article with blade or point",
        "Possession of weapons offences",
        "Possession of weapons offences",
        0.70,
    ),
    (
        "9A",
        "Public fear, alarm or distress",
        "Public order offences",
        "Public order offences",
        0.80,
    ),
    (
        "9B",
        "Racially or religiously aggravated public fear, alarm or distress",
        "Public order offences",
        "Public order offences",
        0.12,
    ),
    ("62A", "Violent disorder", "Public order offences", "Public order offences", 0.03),
    (
        "66",
        "Other offences against the State or public order",
        "Public order offences",
        "Public order offences",
        0.05,
    ),
    (
        "33",
        "Going equipped for stealing, etc.",
        "Miscellaneous crimes against society",
        "Miscellaneous crimes against society",
        0.20,
    ),
    (
        "802",
        "Dangerous driving",
        "Miscellaneous crimes against society",
        "Miscellaneous crimes against society",
        0.15,
    ),
    (
        "81",
        "Other firearms offences",
        "Miscellaneous crimes against society",
        "Miscellaneous crimes against society",
        0.10,
    ),
    (
        "99",
        "Other notifiable offences",
        "Miscellaneous crimes against society",
        "Miscellaneous crimes against society",
        0.55,
    ),
)


def code_table() -> pd.DataFrame:
    """:data:`OFFENCE_CODES` as a DataFrame (``code, description, group, subgroup, share``)."""
    return pd.DataFrame(
        OFFENCE_CODES, columns=["code", "description", "group", "subgroup", "share"]
    )


def csp_table(
    rng: np.random.Generator,
    geo: Geography,
    wm_monthly: pd.DataFrame,
    *,
    start: str = "2010-04",
    end: str = "2016-03",
) -> pd.DataFrame:
    """Quarterly CSP x offence-code counts in the Home Office layout (see module docstring)."""
    codes = code_table()
    wm = wm_monthly[(wm_monthly["offence"] != FRAUD)]
    wanted = set(months(start, end))
    wm = wm[wm["month"].isin(wanted)]
    parts = []
    for offence, g in wm.groupby("offence", sort=True):
        sub = codes[codes["subgroup"] == offence]
        p = np.outer(geo.group_shares[offence], sub["share"].to_numpy()).ravel()
        split = multinomial_rows(rng, g["count"].to_numpy(), np.tile(p, (len(g), 1)))
        n_d, n_c = len(DISTRICTS), len(sub)
        frame = pd.DataFrame(
            {
                "month": np.repeat(g["month"].to_numpy(), n_d * n_c),
                "district": np.tile(np.repeat(np.arange(n_d), n_c), len(g)),
                "code_row": np.tile(np.tile(sub.index.to_numpy(), n_d), len(g)),
                "count": split.ravel(),
            }
        )
        parts.append(frame)
    allm = pd.concat(parts, ignore_index=True)
    ts = pd.PeriodIndex(allm["month"]).to_timestamp()
    allm["fy"] = [fy_label(int(y), sep="/") for y in financial_year_start(ts)]  # Home Office style
    allm["quarter"] = financial_quarter(ts)
    q = (
        allm.groupby(["fy", "quarter", "district", "code_row"], sort=True)["count"]
        .sum()
        .reset_index()
    )
    c = codes.loc[q["code_row"]].reset_index(drop=True)
    out = pd.DataFrame(
        {
            "Financial Year": q["fy"],
            "Financial Quarter": q["quarter"].astype("int64"),
            "Force Name": FORCE,
            "CSP Name": np.array([d.name for d in DISTRICTS], dtype=object)[
                q["district"].to_numpy()
            ],
            "Offence Description": c["description"],
            "Offence Group": c["group"],
            "Offence Subgroup": c["subgroup"],
            "Offence Code": c["code"],
            "Number of Offences": q["count"].astype("int64"),
        },
        columns=COLUMNS,
    )
    return out.sort_values(
        ["Financial Year", "Financial Quarter", "CSP Name", "Offence Subgroup", "Offence Code"],
        kind="mergesort",
    ).reset_index(drop=True)


def write_csp_sample(
    out_dir: Path,
    rng: np.random.Generator,
    geo: Geography,
    wm_monthly: pd.DataFrame,
    *,
    start: str = "2010-04",
    end: str = "2016-03",
) -> list[Path]:
    """Write ``csp/synthetic-prc-csp-tables.csv`` under *out_dir*."""
    table = csp_table(rng, geo, wm_monthly, start=start, end=end)
    return [write_text(Path(out_dir) / RELPATH, frame_to_csv_text(table))]
