"""Every territorial force of England and Wales against the plans' milestones.

The national view applies the West Midlands plans' crime milestones (the same
registry rows, measure definitions and proxies as the force's own target
comparison) to each of the 43 territorial police forces in the ONS force table,
as counts and as rates per 1,000 residents, and ranks the forces with intervals.
No target applies to another force: the view is a like-for-like benchmark.

Definitions
-----------
* **Territorial force**: a force in ``rec-crime-pfa.csv`` whose ``Region`` is a
  region or nation of England and Wales. British Transport Police (region "British
  Transport Police") and the national fraud bodies (Action Fraud, CIFAS, UK Finance;
  region "Fraud: ...") are excluded: they have no resident population and their
  counts are not crime in a force area.
* **Milestone**: a registry row with ``target_kind = pct_change`` for a count
  measure with ONS offence groups, in the plan's own milestone year
  (:data:`PLAN_YEARS`). Values come from ``data/raw/targets``, never re-typed here.
* **Count**: offences in the 12 months ending 31 March of a financial year (ONS
  rolling-year total, via :func:`wmp_analysis.measures.series.ons_rolling_year`).
* **Rate per 1,000 residents**: count / mid-year population x 1,000. The
  population is the ONS mid-year estimate at 30 June inside the financial year
  (mid-2012 for 2012-13), summed over the areas the population file assigns to the
  force (:func:`force_population`).
* **Rate ratio** (``rate_ratio``): target-year count / baseline-year count (equal
  12-month exposures), with the exact conditional Poisson test and score interval of
  :func:`wmp_analysis.analysis.stats.poisson_rate_ratio_test` - the same as the target
  comparison. ``rate_ratio_per_head``: the ratio of the rates per resident, i.e.
  ``rate_ratio`` x baseline population / target population, with its interval
  scaled the same way (the populations are taken as known constants).
* **Ranks** (1 = largest fall, or lowest rate) and **rank ranges**: a force's
  best rank is 1 + the number of forces whose interval lies wholly below its own;
  its worst rank is n - the number of forces whose interval lies wholly above it.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd
from statsmodels.stats.rates import confint_poisson

from wmp_analysis.analysis import stats as S
from wmp_analysis.analysis.national_peers import beside_comparators  # re-exported
from wmp_analysis.analysis.status import status_for_target
from wmp_analysis.measures import series as M
from wmp_analysis.measures.population import (
    force_population,
    population_coverage,
    population_year,
)
from wmp_analysis.periods import Period

#: Each plan's milestone year (the year its crime milestones are set for).
PLAN_YEARS: dict[str, str] = {"spp-2012-15": "2012-13", "pcp-2014-15": "2014-15"}
#: Measures of the national view (the plans' crime milestones; MSV is a proxy).
NATIONAL_MEASURES = (
    "total_crime",
    "burglary_dwelling",
    "burglary",
    "robbery",
    "most_serious_violence",
)
#: Why the non-territorial "forces" of the ONS file are left out.
EXCLUDED_REASON = {
    "British Transport Police": "British Transport Police polices the railways across Great Britain: "
    "no force area and no resident population",
    "Fraud": "a national fraud reporting body (Action Fraud, CIFAS, UK Finance), not a force area",
}

#: Forces whose rates per resident mislead, and why (added to their rows' note).
RATE_CAVEATS: dict[str, str] = {
    "City of London": "rates per resident are not comparable: the City has under 10,000 residents but a "
    "working-day population of several hundred thousand, so crime per resident is "
    "inflated many times over",
}

VIEW_COLUMNS = [
    "plan",
    "target_id",
    "measure_id",
    "measure_name",
    "force",
    "region",
    "role",
    "baseline_period",
    "target_period",
    "baseline_count",
    "target_count",
    "abs_change",
    "pct_change",
    "target_value",
    "direction",
    "status",
    "rate_ratio",
    "rr_ci_low",
    "rr_ci_high",
    "p_value",
    "p_adjusted",
    "significant",
    "rank_change",
    "rank_change_best",
    "rank_change_worst",
    "baseline_population",
    "target_population",
    "baseline_rate_per_1000",
    "target_rate_per_1000",
    "target_rate_ci_low",
    "target_rate_ci_high",
    "baseline_rate_ci_low",
    "baseline_rate_ci_high",
    "rank_rate",
    "rank_rate_best",
    "rank_rate_worst",
    "rate_ratio_per_head",
    "rr_per_head_ci_low",
    "rr_per_head_ci_high",
    "n_forces",
    "proxy",
    "proxy_note",
    "source",
    "recorded_crime_caveat",
    "note",
]


# --------------------------------------------------------------------------- forces


def territorial_forces(ons_df: pd.DataFrame) -> tuple[list[str], pd.DataFrame]:
    """The territorial forces in an ONS force table, and those left out.

    Returns
    -------
    forces : list of str
        Sorted force names (43 in the real file).
    excluded : DataFrame
        ``force``, ``region``, ``reason``: British Transport Police and the fraud bodies.
    """
    pairs = ons_df[["force", "region"]].drop_duplicates().sort_values("force")
    region = pairs["region"].astype("str")
    is_btp = region.str.strip().str.lower() == "british transport police"
    is_fraud = region.str.lower().str.startswith("fraud")
    excluded = pairs[is_btp | is_fraud].assign(
        reason=np.where(
            is_btp[is_btp | is_fraud],
            EXCLUDED_REASON["British Transport Police"],
            EXCLUDED_REASON["Fraud"],
        )
    )
    forces = sorted(set(pairs.loc[~(is_btp | is_fraud), "force"].astype("str")))
    return forces, excluded.reset_index(drop=True)


def plan_milestones(
    registry: pd.DataFrame,
    measures: pd.DataFrame,
    plan_years: Mapping[str, str] | None = None,
    measure_ids: Sequence[str] = NATIONAL_MEASURES,
) -> pd.DataFrame:
    """The registry's percentage-change crime milestones for the national view.

    Parameters
    ----------
    registry, measures : DataFrame
        From :func:`wmp_analysis.measures.targets.load_registry` / ``load_measures``.
    plan_years : mapping plan -> financial-year label, optional
        Which milestone year of each plan (default :data:`PLAN_YEARS`).
    measure_ids : sequence of str
        Measures to keep; only force-wide count measures with ONS offence groups
        can be measured.

    Returns
    -------
    DataFrame
        The registry rows kept (registry columns), plus ``measure_name``, ``proxy``
        (registry or measure flag) and ``proxy_note`` joined once.
    """
    years = dict(PLAN_YEARS if plan_years is None else plan_years)
    r = registry[
        (registry["target_kind"] == "pct_change") & registry["measure_id"].isin(list(measure_ids))
    ]
    r = r[[years.get(p) == tp for p, tp in zip(r["plan"], r["target_period"])]]
    r = r[
        r["geography"]
        .astype("str")
        .str.strip()
        .str.lower()
        .isin({"", "force", "force area", "force-wide", "pfa"})
    ]
    mea = measures.set_index("measure_id")
    r = r[
        [
            m in mea.index
            and str(mea.at[m, "kind"]) == "count"
            and bool(M.split_list(mea.at[m, "ons_offences"]))
            for m in r["measure_id"]
        ]
    ]
    out = r.copy()
    out["measure_name"] = [str(mea.at[m, "name"]) for m in out["measure_id"]]
    out["proxy"] = [
        bool(p) or M._truthy(mea.at[m, "proxy"]) for p, m in zip(out["proxy"], out["measure_id"])
    ]
    out["proxy_note"] = [
        M.join_notes(M._text(a), M._text(mea.at[m, "proxy_note"]))
        for a, m in zip(out["proxy_note"], out["measure_id"])
    ]
    return out.reset_index(drop=True)


# --------------------------------------------------------------------------- the view


def _rate_ci(count: float, pop: float, per: float = 1000.0) -> tuple[float, float]:
    """Exact (Garwood) 95% interval of a Poisson rate per *per* persons."""
    if pd.isna(count) or pd.isna(pop) or pop <= 0 or count < 0:
        return np.nan, np.nan
    lo, hi = confint_poisson(count, pop, method="exact-c", alpha=0.05)
    return float(lo) * per, float(hi) * per


def milestone_population_years(milestones: pd.DataFrame) -> list[int]:
    """The mid-years whose population the milestones' rates use (see :func:`population_year`)."""
    labels = set(milestones["baseline_period"]) | set(milestones["target_period"])
    return sorted({population_year(Period.financial_year(p)) for p in labels})


def rank_with_range(value: pd.Series, low: pd.Series, high: pd.Series) -> pd.DataFrame:
    """Rank (1 = smallest value) and the range of ranks the intervals allow.

    Parameters
    ----------
    value, low, high : Series
        Point estimate and interval bounds, aligned. NaN values are not ranked.

    Returns
    -------
    DataFrame
        ``rank`` (min method), ``rank_best`` = 1 + #intervals wholly below this one,
        ``rank_worst`` = n - #intervals wholly above it (n = ranked rows); float, NaN
        where *value* is NaN.
    """
    ok = value.notna() & low.notna() & high.notna()
    out = pd.DataFrame(
        {"rank": np.nan, "rank_best": np.nan, "rank_worst": np.nan}, index=value.index
    )
    v, lo, hi = value[ok], low[ok].to_numpy(), high[ok].to_numpy()
    n = int(ok.sum())
    if n == 0:
        return out
    out.loc[ok, "rank"] = v.rank(method="min").to_numpy()
    below = (hi[None, :] < lo[:, None]).sum(axis=1)
    above = (lo[None, :] > hi[:, None]).sum(axis=1)
    out.loc[ok, "rank_best"] = 1 + below
    out.loc[ok, "rank_worst"] = n - above
    return out


def national_view(
    ons_df: pd.DataFrame,
    population: pd.DataFrame | None,
    milestones: pd.DataFrame,
    measures: pd.DataFrame,
    *,
    force: str = "",
    comparators: Sequence[str] = (),
    alpha: float = 0.05,
) -> pd.DataFrame:
    """Every territorial force against each milestone, with ranks and rates per 1,000.

    Parameters
    ----------
    ons_df : DataFrame
        Processed ``ons_pfa`` table (every force of the file).
    population : DataFrame or None
        Processed ``population`` table; None gives NaN rates with a note.
    milestones : DataFrame
        From :func:`plan_milestones`.
    measures : DataFrame
        The measures table.
    force, comparators : str, sequence of str
        The configured force and comparator forces (``role`` column).
    alpha : float
        Family-wise error rate for ``significant`` (Holm over the forces of one milestone).

    Returns
    -------
    DataFrame
        :data:`VIEW_COLUMNS`, one row per milestone and territorial force. Counts are
        offences in the 12 months ending 31 March; rates are per 1,000 residents;
        ``pct_change`` in percent; ``status`` as in the target comparison
        (:func:`wmp_analysis.analysis.status.status_for_target`; the
        milestone applied for comparison only).
    """
    forces, _ = territorial_forces(ons_df)
    regions = ons_df.drop_duplicates("force").set_index("force")["region"].astype("str")
    territorial = ons_df[ons_df["force"].isin(forces)]
    by_force = {f: g for f, g in territorial.groupby("force", sort=False)}
    # the zero flags of every force's series, worked out once (not once per force and measure)
    flags = {f: g for f, g in M.ons_zero_flags(territorial).groupby("force", sort=False)}
    series_cache: dict[tuple[str, str], pd.DataFrame] = {}
    pops = _population_lookup(population, forces)
    comps = set(comparators)

    frames = []
    for t in milestones.to_dict("records"):
        mrow = M.measure_row(measures, t["measure_id"])
        bp, tp = (
            Period.financial_year(t["baseline_period"]),
            Period.financial_year(t["target_period"]),
        )
        pb, pt = pops(population_year(bp)), pops(population_year(tp))
        rows = []
        for f in forces:
            key = (t["measure_id"], f)
            if key not in series_cache:
                series_cache[key] = M.ons_rolling_year(by_force[f], mrow, f, flagged=flags[f])
            role = "force" if f == force else ("comparator" if f in comps else "other")
            rows.append(
                _force_row(t, f, series_cache[key], bp, tp, pb, pt, regions.get(f, ""), role)
            )
        frames.append(_rank_milestone(pd.DataFrame(rows), alpha))
    if not frames:
        return pd.DataFrame(columns=VIEW_COLUMNS)
    out = pd.concat(frames, ignore_index=True)[VIEW_COLUMNS]
    return out.astype({"proxy": bool, "significant": bool})


def _population_lookup(population: pd.DataFrame | None, forces: list[str]):
    """A cached ``year -> population per force`` lookup (NaN with a note without a source)."""
    pop_cache: dict[int, pd.DataFrame] = {}

    def pops(year: int) -> pd.DataFrame:
        if year not in pop_cache:
            if population is None:
                pop_cache[year] = pd.DataFrame(
                    {"force": forces, "population": np.nan, "note": "no population source supplied"}
                ).set_index("force")
            else:
                pop_cache[year] = force_population(population, forces, year).set_index("force")
        return pop_cache[year]

    return pops


def _force_row(
    t: Mapping,
    f: str,
    s: pd.DataFrame,
    bp: Period,
    tp: Period,
    pb: pd.DataFrame,
    pt: pd.DataFrame,
    region: str,
    role: str,
) -> dict:
    """One force's row of the view for milestone *t*: counts, change, test, rates, notes."""
    b, a = M.measure_value(s, bp), M.measure_value(s, tp)
    bv, av = b["value"], a["value"]
    ok = bool(b["complete"] and a["complete"])
    row = {
        "plan": t["plan"],
        "target_id": t["target_id"],
        "measure_id": t["measure_id"],
        "measure_name": t["measure_name"],
        "force": f,
        "region": region,
        "role": role,
        "baseline_period": bp.label,
        "target_period": tp.label,
        "baseline_count": bv,
        "target_count": av,
        "abs_change": av - bv if ok else np.nan,
        "pct_change": S.pct_change(bv, av) if ok else np.nan,
        "target_value": t["target_value"],
        "direction": t["direction"],
        "status": status_for_target(
            t["target_kind"], t["direction"], t["target_value"], bv, av, complete=ok
        ),
        "proxy": bool(t["proxy"]),
        "proxy_note": t["proxy_note"],
        "source": "ONS PFA",
        "recorded_crime_caveat": _caveat(bp, tp),
    }
    rt = S.poisson_rate_ratio_test(av, tp.n_months, bv, bp.n_months) if ok else S._nan_result("")
    row.update(
        rate_ratio=rt["rate_ratio"],
        rr_ci_low=rt["ci_low"],
        rr_ci_high=rt["ci_high"],
        p_value=rt["p_value"],
    )
    nb, nt = pb.at[f, "population"], pt.at[f, "population"]
    row.update(
        baseline_population=nb,
        target_population=nt,
        baseline_rate_per_1000=bv / nb * 1000 if nb > 0 else np.nan,
        target_rate_per_1000=av / nt * 1000 if nt > 0 else np.nan,
    )
    row["baseline_rate_ci_low"], row["baseline_rate_ci_high"] = _rate_ci(bv, nb)
    row["target_rate_ci_low"], row["target_rate_ci_high"] = _rate_ci(av, nt)
    # per head: the populations are known constants, so the ratio and its interval scale by nb / nt
    k = nb / nt if ok and nb > 0 and nt > 0 else np.nan
    row.update(
        rate_ratio_per_head=rt["rate_ratio"] * k,
        rr_per_head_ci_low=rt["ci_low"] * k,
        rr_per_head_ci_high=rt["ci_high"] * k,
    )
    row["note"] = _row_note(f, b["note"], a["note"], pb, pt)
    return row


def _row_note(f: str, baseline_note: str, target_note: str, pb, pt) -> str:
    """A force row's note: the series notes, missing or noted populations, rate caveats."""
    notes = [n for n in (baseline_note, target_note) if n]
    for lbl, frame in (("baseline", pb), ("target", pt)):
        pn = str(frame.at[f, "note"]) if "note" in frame else ""
        if pd.isna(frame.at[f, "population"]):
            notes.append(f"no {lbl}-year population: {pn}")
        elif pn:
            notes.append(f"population: {pn}")
    if f in RATE_CAVEATS:
        notes.append(RATE_CAVEATS[f])
    return M.join_notes(*notes)


def _rank_milestone(d: pd.DataFrame, alpha: float) -> pd.DataFrame:
    """Add one milestone's ranks with ranges, the force count and Holm-adjusted p-values."""
    rc = rank_with_range(d["pct_change"], 100 * (d["rr_ci_low"] - 1), 100 * (d["rr_ci_high"] - 1))
    rr = rank_with_range(
        d["target_rate_per_1000"], d["target_rate_ci_low"], d["target_rate_ci_high"]
    )
    d[["rank_change", "rank_change_best", "rank_change_worst"]] = rc.to_numpy()
    d[["rank_rate", "rank_rate_best", "rank_rate_worst"]] = rr.to_numpy()
    d["n_forces"] = int(d["pct_change"].notna().sum())
    adj = S.adjust_pvalues(d["p_value"].to_numpy(dtype="float64"), alpha=alpha, method="holm")
    d["p_adjusted"], d["significant"] = adj["p_adjusted"].to_numpy(), adj["reject"].to_numpy()
    return d


def _caveat(*periods: Period) -> str:
    from wmp_analysis.analysis.compare import (
        recorded_crime_caveat,  # imported late: compare imports national lazily too
    )

    return recorded_crime_caveat(*periods)


__all__ = [
    "NATIONAL_MEASURES",
    "PLAN_YEARS",
    "VIEW_COLUMNS",
    "beside_comparators",
    "force_population",
    "milestone_population_years",
    "national_view",
    "plan_milestones",
    "population_coverage",
    "population_year",
    "rank_with_range",
    "territorial_forces",
]
