"""The plans' comparative claims, checked against the national view.

The Strategic Policing Plan 2012-15 compares West Midlands with other areas in
three sentences (seed ``000_ebc194bc38b034ec.txt``, section "5. STRATEGIC
PRIORITIES AND PERFORMANCE MILESTONES > To protect our communities from crime and
anti-social behaviour > How are we doing?", which opens "We have made some really
good steps forward in reducing crime in 2011/12"). They are not targets, so they are
not in the target registry; each is cited here as the registry cites (file,
section, sentence quoted exactly) and a test checks every sentence against the seed.

A level claim is judged on **rates per 1,000 residents** (counts alone reward
small forces) in the financial year the plan speaks about (2011-12), for the
configured force against a comparison group:

* ``comparators``: the run's configured comparator forces (the plan's "similar
  areas"; the Home Office "most similar groups" are not public data, see
  ``docs/national.md``);
* ``national``: every other territorial force of England and Wales.

"Clearly" below/above means the force's exact 95% interval lies wholly on one side
of the other force's interval (or of the pooled rate). Tests per claim (the rule is
:func:`wmp_analysis.analysis.status.claim_verdict`, the verdicts
:class:`wmp_analysis.analysis.status.ClaimVerdict`):

* ``below_all``: *supported* if the force is clearly below every member of the
  group; *partly supported* if only clearly below the group's pooled rate; else
  *not supported*.
* ``below_pooled``: *supported* if clearly below the group's pooled rate; *not
  supported* if clearly above; else *not distinguishable*.
* ``above_most``: *supported* if clearly above the group's pooled rate **and**
  clearly above more than half of its members; *partly supported* if one of the
  two; else *not supported*.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd

from wmp_analysis.analysis.national import _rate_ci, rank_with_range
from wmp_analysis.analysis.status import ClaimVerdict, claim_verdict

_SPP_FILE = "000_ebc194bc38b034ec.txt"
_SPP_SECTION = (
    "5. STRATEGIC PRIORITIES AND PERFORMANCE MILESTONES > To protect our communities from crime "
    "and anti-social behaviour > How are we doing?"
)

#: The comparative claims checked (citation as in data/raw/targets/registry.csv).
COMPARATIVE_CLAIMS: tuple[dict, ...] = (
    {
        "claim_id": "spp-claim-overall-crime-lower-than-similar-areas",
        "plan": "spp-2012-15",
        "claim": "levels of overall crime lower than similar areas",
        "measure_id": "total_crime",
        "period": "2011-12",
        "group": "comparators",
        "test": "below_all",
        "citation_file": _SPP_FILE,
        "citation_section": _SPP_SECTION,
        "citation_sentence": "We have levels of overall crime lower than similar areas in the country but we want "
        "to reduce crime further.",
    },
    {
        "claim_id": "spp-claim-robbery-higher-than-rest-of-country",
        "plan": "spp-2012-15",
        "claim": "robbery levels are generally higher than in other parts of the country",
        "measure_id": "robbery",
        "period": "2011-12",
        "group": "national",
        "test": "above_most",
        "citation_file": _SPP_FILE,
        "citation_section": _SPP_SECTION,
        "citation_sentence": "Robbery levels are generally higher than in other parts of the country.",
    },
    {
        "claim_id": "spp-claim-burglary-homes-compares-well",
        "plan": "spp-2012-15",
        "claim": "burglary of homes levels do compare well to similar parts of the country",
        "measure_id": "burglary_dwelling",
        "period": "2011-12",
        "group": "comparators",
        "test": "below_pooled",
        "citation_file": _SPP_FILE,
        "citation_section": _SPP_SECTION,
        "citation_sentence": "We also feel burglary of homes is so intrusive it should stay a priority, though levels "
        "do compare well to similar parts of the country.",
    },
)

#: Columns: those of :func:`wmp_analysis.analysis.compare.claims_check`, then the comparative ones.
CLAIM_COLUMNS = [
    "claim",
    "source",
    "plan_value",
    "computed_value",
    "difference",
    "baseline_count",
    "actual_count",
    "definition",
    "explanation",
    "recorded_crime_caveat",
    "claim_id",
    "verdict",
    "comparison_group",
    "period",
    "measure_id",
    "proxy",
    "evidence",
]


def levels(view: pd.DataFrame, measure_id: str, period: str) -> pd.DataFrame:
    """Per force: count, population and rate per 1,000 of a measure in one financial year.

    Taken from the national view's baseline (or, failing that, target) columns of
    the first milestone on *measure_id* that covers *period*.

    Returns
    -------
    DataFrame
        ``force``, ``count``, ``population``, ``rate`` (per 1,000), ``rate_ci_low``,
        ``rate_ci_high``, ``rank`` (1 = lowest rate), ``rank_best``, ``rank_worst``,
        ``proxy``; empty when no milestone covers the year.
    """
    d = view[view["measure_id"] == measure_id]
    for side in ("baseline", "target"):
        hit = d[d[f"{side}_period"] == period]
        if hit.empty:
            continue
        hit = hit[hit["target_id"] == hit["target_id"].iloc[0]]
        out = pd.DataFrame(
            {
                "force": hit["force"].to_numpy(),
                "count": hit[f"{side}_count"].to_numpy(),
                "population": hit[f"{side}_population"].to_numpy(),
                "rate": hit[f"{side}_rate_per_1000"].to_numpy(),
                "rate_ci_low": hit[f"{side}_rate_ci_low"].to_numpy(),
                "rate_ci_high": hit[f"{side}_rate_ci_high"].to_numpy(),
                "proxy": hit["proxy"].to_numpy(),
            }
        )
        rk = rank_with_range(out["rate"], out["rate_ci_low"], out["rate_ci_high"])
        return pd.concat([out, rk], axis=1)
    return pd.DataFrame(
        columns=[
            "force",
            "count",
            "population",
            "rate",
            "rate_ci_low",
            "rate_ci_high",
            "rank",
            "rank_best",
            "rank_worst",
            "proxy",
        ]
    )


def comparative_claims(
    view: pd.DataFrame,
    force: str,
    comparators: Sequence[str],
    claims: Sequence[dict] = COMPARATIVE_CLAIMS,
) -> pd.DataFrame:
    """Check each comparative claim on the national view.

    Parameters
    ----------
    view : DataFrame
        From :func:`wmp_analysis.analysis.national.national_view`.
    force : str
        The force the plan speaks for.
    comparators : sequence of str
        Its comparator forces (the claims' "similar areas").
    claims : sequence of dict
        Claim definitions (default :data:`COMPARATIVE_CLAIMS`).

    Returns
    -------
    DataFrame
        :data:`CLAIM_COLUMNS`. ``computed_value``: the force's rate per 1,000
        residents; ``difference``: that rate minus the group's pooled rate (per
        1,000); ``actual_count``: the force's count in the year; ``plan_value`` and
        ``baseline_count`` NaN (the plan states no figure); ``verdict``: see the
        module docstring, or ``insufficient data``.
    """
    rows = []
    for c in claims:
        lv = levels(view, c["measure_id"], c["period"])
        others, group_name = _claim_group(c, lv, force, comparators)
        row = _claim_row(c, lv, group_name)
        me = lv[lv["force"] == force]
        grp = lv[lv["force"].isin(others)]
        if me.empty or grp.empty or me["rate"].isna().any() or grp["rate"].isna().any():
            row.update(_insufficient_data(force, me, grp, others))
            rows.append(row)
            continue
        row.update(_measured_claim(c, force, me.iloc[0], grp, lv))
        rows.append(row)
    return pd.DataFrame(rows, columns=CLAIM_COLUMNS)


def _claim_group(c: Mapping, lv: pd.DataFrame, force: str, comparators: Sequence[str]):
    """The forces a claim compares *force* with, and the group's name in words."""
    others = (
        [x for x in comparators if x != force]
        if c["group"] == "comparators"
        else [x for x in lv["force"] if x != force]
    )
    group_name = (
        ("comparators: " + ", ".join(others))
        if c["group"] == "comparators"
        else f"the other {len(others)} territorial forces of England and Wales"
    )
    return others, group_name


def _claim_row(c: Mapping, lv: pd.DataFrame, group_name: str) -> dict:
    """A claim's row before it is measured: the claim, its citation, group and definition."""
    return {
        "claim": c["claim"],
        "plan_value": np.nan,
        "baseline_count": np.nan,
        "source": f"{c['citation_file']}: {c['citation_section']}: '{c['citation_sentence']}'",
        "claim_id": c["claim_id"],
        "comparison_group": group_name,
        "period": c["period"],
        "measure_id": c["measure_id"],
        "computed_value": np.nan,
        "difference": np.nan,
        "actual_count": np.nan,
        "proxy": bool(lv["proxy"].any()) if len(lv) else False,
        "recorded_crime_caveat": "",
        "definition": f"{c['measure_id']} per 1,000 residents (ONS mid-year population), "
        f"12 months to 31 March of {c['period']}, against {group_name}",
    }


def _insufficient_data(force: str, me: pd.DataFrame, grp: pd.DataFrame, others) -> dict:
    """Verdict, evidence and explanation of a claim without a rate for the force or a member."""
    missing = sorted(set(others) - set(grp.dropna(subset=["rate"])["force"]))
    return dict(
        verdict=ClaimVerdict.INSUFFICIENT_DATA,
        evidence="no rate for "
        + (force if me.empty or me["rate"].isna().any() else ", ".join(missing)),
        explanation="A comparison needs the count and population of the force and of every "
        "member of the group.",
    )


def _measured_claim(c: Mapping, force: str, f: pd.Series, grp: pd.DataFrame, lv) -> dict:
    """The force's rate against the group's: value, difference, verdict, evidence, explanation."""
    pooled = float(grp["count"].sum() / grp["population"].sum() * 1000)
    plo, phi = _rate_ci(float(grp["count"].sum()), float(grp["population"].sum()))
    verdict = claim_verdict(
        c["test"],
        f["rate_ci_low"],
        f["rate_ci_high"],
        grp["rate_ci_low"],
        grp["rate_ci_high"],
        pooled,
    )
    parts = [
        (
            f"{force} {f['rate']:.2f} per 1,000 (95% CI {f['rate_ci_low']:.2f} to {f['rate_ci_high']:.2f}; "
            f"{int(f['count']):,} offences, population {int(f['population']):,})"
        )
    ]
    parts += [
        f"{r.force} {r.rate:.2f}"
        for r in grp.sort_values("rate", ascending=c["test"] != "above_most").itertuples()
    ][:8]
    if len(grp) > 8:
        parts.append(f"... ({len(grp) - 8} more forces)")
    parts.append(f"group pooled {pooled:.2f} (95% CI {plo:.2f} to {phi:.2f})")
    n = int(lv["rate"].notna().sum())
    parts.append(
        f"{force} ranks {int(f['rank'])} of {n} territorial forces by rate, 1 = lowest "
        f"(range the intervals allow {int(f['rank_best'])} to {int(f['rank_worst'])})"
    )
    below = int((grp["rate_ci_low"] > f["rate_ci_high"]).sum())
    above = int((grp["rate_ci_high"] < f["rate_ci_low"]).sum())
    return dict(
        computed_value=float(f["rate"]),
        difference=float(f["rate"]) - pooled,
        actual_count=float(f["count"]),
        verdict=verdict,
        evidence="; ".join(parts),
        explanation=(
            f"Clearly lower than {below} and clearly higher than {above} of the "
            f"{len(grp)} forces of the group (non-overlapping 95% intervals). The plan was "
            f"written before {c['period']} ended, so it spoke from part-year figures; the "
            "ONS file holds the later full-year, revised counts. The 'similar areas' the plan "
            "meant are not named: the run's comparator forces stand in."
            if c["group"] == "comparators"
            else f"Clearly higher than {above} and clearly lower than {below} of the {len(grp)} "
            f"other forces (non-overlapping 95% intervals). The plan was written before "
            f"{c['period']} ended; the ONS file holds the later full-year, revised counts."
        ),
    )
