"""Figures for equality breakdowns: every estimate is drawn with its interval.

Each function takes a table produced by :mod:`wmp_analysis.analysis.equality` or
:mod:`wmp_analysis.analysis.stopsearch` and returns a matplotlib Figure (point + error bar
or interval range; never bare bars). Nothing is read or written here.
"""

from __future__ import annotations

from collections.abc import Iterator

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

from wmp_analysis.report.plots.style import ACTUAL as _POINT
from wmp_analysis.report.plots.style import CONTEXT as _REF
from wmp_analysis.report.plots.style import TARGET as _SIG


def _err(est, lo, hi):
    """Error-bar lengths ``[[est - lo], [hi - est]]``, clipped at 0 (rounding of score limits)."""
    return [[max(0.0, float(est) - float(lo))], [max(0.0, float(hi) - float(est))]]


#: Captions (definition and source) of the house style, by kind of figure.
SURVEY_CAPTION = (
    "Source: the force's survey extract. Weighted proportion positive with a 95% Wilson interval on "
    "the Kish effective sample size; a group with too few respondents, or withheld so that one "
    "cannot be worked out by subtraction, is not shown (docs/equality.md)."
)
GAP_CAPTION = (
    "Source: the force's survey extract. Gap = group minus reference, percentage points, with a "
    "Newcombe 95% interval on effective counts; suppressed gaps are not drawn."
)
SEARCH_CAPTION = (
    "Source: police.uk stop and search records; residents from the 2011 Census (QS201EW). Rates "
    "use the residential population, not the population available to be stopped: an indicator "
    "for scrutiny, not a measure of bias. Exact Poisson / score intervals, 95%."
)


def _finish(fig: plt.Figure, suptitle: str | None = None, caption: str | None = None) -> plt.Figure:
    """Tight layout leaving ~0.4 inch free at the top (room for a synthetic-data banner),
    with an optional figure title placed below that strip, and the house caption and
    alt text (:mod:`wmp_analysis.report.plots.style`)."""
    from wmp_analysis.report.plots.style import CAPTION_SIZE, describe

    h = fig.get_size_inches()[1]
    if suptitle:
        fig.suptitle(suptitle, y=1 - 0.42 / h, va="top")
    from wmp_analysis.report.outputs import tight_layout

    tight_layout(fig, rect=(0, 0, 1, max(0.5, 1 - (0.75 if suptitle else 0.4) / h)))
    if caption:
        import textwrap

        fig.text(
            0.01,
            0.0,
            "\n".join(textwrap.wrap(caption, max(40, int(fig.get_size_inches()[0] * 15)))),
            ha="left",
            va="top",
            fontsize=CAPTION_SIZE,
            color="#333333",
            gid="caption",
        )
        fig._wmp_caption = caption  # type: ignore[attr-defined]
    fig._wmp_alt = describe(fig) + (f". {caption}" if caption else "")  # type: ignore[attr-defined]
    fig._wmp_title = suptitle or (fig.axes[0].get_title() if fig.axes else "")  # type: ignore[attr-defined]
    return fig


def _empty(message: str, title: str) -> plt.Figure:
    fig, ax = plt.subplots(figsize=(7, 2))
    ax.axis("off")
    ax.text(0.5, 0.5, message, ha="center", va="center", wrap=True)
    ax.set_title(title)
    return fig


def plot_group_estimates(
    est: pd.DataFrame, group_col: str, *, title: str = "", target: float | None = None
) -> plt.Figure:
    """Weighted proportion (percent) per group with its 95% interval, one panel per measure.

    Parameters
    ----------
    est : DataFrame
        From :func:`wmp_analysis.analysis.equality.survey_estimates` with ``group_col`` in
        its grouping. Suppressed rows are listed as "suppressed" (no base shown).
    target : float, optional
        Draws a dashed reference line (e.g. a plan target, percent).
    """
    if est.empty:
        return _empty("No survey estimates to show", title)
    if est.duplicated(["measure", group_col]).any():
        raise ValueError(
            "plot_group_estimates needs one row per measure and group: filter to one period first"
        )
    measures = list(dict.fromkeys(est["measure"]))
    fig, axes = plt.subplots(
        1,
        len(measures),
        figsize=(4.2 * len(measures), 0.45 * est[group_col].nunique() + 1.8),
        squeeze=False,
        sharey=True,
    )
    groups = list(dict.fromkeys(est[group_col].astype(str)))
    for ax, m in zip(axes[0], measures):
        sub = est[est["measure"] == m].set_index(
            est.loc[est["measure"] == m, group_col].astype(str)
        )
        for y, g in enumerate(groups):
            if g not in sub.index:
                continue
            r = sub.loc[g]
            if bool(r["suppressed"]):
                why = r.get("suppression")
                why = why if isinstance(why, str) and why else "too few respondents to publish"
                ax.text(
                    0.02,
                    y,
                    f"suppressed ({why})",
                    va="center",
                    transform=ax.get_yaxis_transform(),
                    fontsize=8,
                    color=_REF,
                )
                continue
            ax.errorbar(
                r["estimate"],
                y,
                xerr=_err(r["estimate"], r["ci_low"], r["ci_high"]),
                fmt="o",
                color=_POINT,
                capsize=3,
            )
        if target is not None:
            ax.axvline(target, ls="--", color=_SIG, lw=1, label=f"target {target:g}%")
            ax.legend(loc="lower left", fontsize=8)
        ax.set_yticks(range(len(groups)), groups)
        ax.set_title(m.replace("_", " "), fontsize=10)
        ax.set_xlabel("% positive (95% CI, Kish n_eff + Wilson)")
        ax.grid(axis="x", alpha=0.3)
    axes[0][0].invert_yaxis()
    return _finish(fig, title or None, SURVEY_CAPTION)


def plot_gaps(
    gaps: pd.DataFrame, *, title: str = "Gap against reference group (percentage points)"
) -> plt.Figure:
    """Forest plot of gaps with their 95% intervals; significant gaps in red.

    ``gaps`` as from :func:`wmp_analysis.analysis.equality.gaps` or ``equality_gaps`` (one
    period). Rows are labelled "group vs reference - measure".
    """
    g = gaps[~gaps["suppressed"].astype(bool)].reset_index(drop=True)
    if g.empty:
        return _empty("All gaps suppressed (bases below the minimum) or no data", title)
    labels = [
        f"{r.group} vs {r.reference} - {str(r.measure).replace('_', ' ')}" for r in g.itertuples()
    ]
    fig, ax = plt.subplots(figsize=(8, 0.32 * len(g) + 1.5))
    for y, r in enumerate(g.itertuples()):
        colour = _SIG if r.significant else _POINT
        ax.errorbar(
            r.gap,
            y,
            xerr=_err(r.gap, r.gap_ci_low, r.gap_ci_high),
            fmt="o",
            color=colour,
            capsize=3,
        )
    ax.axvline(0, color="black", lw=0.8)
    ax.set_yticks(range(len(g)), labels, fontsize=8)
    ax.invert_yaxis()
    ax.set_xlabel("gap, percentage points (95% CI, Newcombe); red = interval excludes 0")
    ax.set_title(title)
    ax.grid(axis="x", alpha=0.3)
    return _finish(fig, caption=GAP_CAPTION)


def plot_gaps_over_time(
    gaps: pd.DataFrame,
    *,
    period_col: str = "period",
    title: str = "Gaps over time (percentage points, 95% CI)",
) -> plt.Figure:
    """Gap per period for each comparison, as points with interval ranges (one line per comparison)."""
    g = gaps[~gaps["suppressed"].astype(bool)]
    if g.empty:
        return _empty("No unsuppressed gaps to show", title)
    periods = sorted(g[period_col].astype(str).unique())
    x = {p: i for i, p in enumerate(periods)}
    keys = list(dict.fromkeys(zip(g["group"], g["reference"], g["measure"])))
    fig, ax = plt.subplots(figsize=(8, 4.5))
    offsets = np.linspace(-0.25, 0.25, len(keys)) if len(keys) > 1 else [0.0]
    for off, (grp, ref, m) in zip(offsets, keys):
        s = g[(g["group"] == grp) & (g["reference"] == ref) & (g["measure"] == m)].sort_values(
            period_col
        )
        xs = np.array([x[str(p)] for p in s[period_col]]) + off
        ax.errorbar(
            xs,
            s["gap"],
            yerr=[
                (s["gap"] - s["gap_ci_low"]).clip(lower=0),
                (s["gap_ci_high"] - s["gap"]).clip(lower=0),
            ],
            fmt="o-",
            capsize=3,
            label=f"{grp} vs {ref} ({str(m).replace('_', ' ')})",
        )
    ax.axhline(0, color="black", lw=0.8)
    ax.set_xticks(range(len(periods)), periods, rotation=30)
    ax.set_ylabel("gap, percentage points")
    ax.set_title(title)
    ax.legend(fontsize=7, loc="best")
    ax.grid(axis="y", alpha=0.3)
    return _finish(fig, caption=GAP_CAPTION)


def plot_relative_rates(
    rates: pd.DataFrame, *, title: str = "Stop and search: relative rate against White"
) -> plt.Figure:
    """Relative rate per group (log scale) with its 95% interval, and the missing-ethnicity bounds as a band."""
    r = rates[rates["rr_vs_white"] > 0].reset_index(
        drop=True
    )  # a zero RR has no place on a log scale
    if r.empty:
        return _empty("No relative rates (no searches of White people, or no data)", title)
    labels = [
        f"{row.group} ({row.geography})" if "geography" in r else str(row.group)
        for row in r.itertuples()
    ]
    fig, ax = plt.subplots(figsize=(8, 0.5 * len(r) + 1.6))
    for y, row in enumerate(r.itertuples()):
        ax.hlines(
            y,
            row.rr_min_missing,
            row.rr_max_missing,
            color="#d9b3b3",
            lw=8,
            label="range if all missing ethnicity went to one group" if y == 0 else None,
        )
        ax.errorbar(
            row.rr_vs_white,
            y,
            xerr=_err(row.rr_vs_white, row.rr_ci_low, row.rr_ci_high),
            fmt="o",
            color=_POINT,
            capsize=3,
            label="relative rate (95% CI, score)" if y == 0 else None,
        )
    ax.axvline(1, color="black", lw=0.8)
    ax.set_xscale("log")
    ax.set_yticks(range(len(r)), labels)
    ax.invert_yaxis()
    ax.set_xlabel("searches per 1,000 residents, relative to White (log scale)")
    ax.set_title(title)
    ax.legend(fontsize=8, loc="lower right")
    return _finish(fig, caption=SEARCH_CAPTION)


def plot_rates(
    rates: pd.DataFrame,
    category_col: str = "group",
    *,
    title: str = "Searches per 1,000 residents (95% CI)",
) -> plt.Figure:
    """Rate per 1,000 with its exact Poisson interval for each category (groups or age ranges)."""
    r = rates[rates["rate_per_1000"].notna()].reset_index(drop=True)
    if r.empty:
        return _empty("No rates to show", title)
    fig, ax = plt.subplots(figsize=(7, 0.45 * len(r) + 1.6))
    for y, row in r.iterrows():
        ax.errorbar(
            row["rate_per_1000"],
            y,
            xerr=_err(row["rate_per_1000"], row["rate_ci_low"], row["rate_ci_high"]),
            fmt="o",
            color=_POINT,
            capsize=3,
        )
    ax.set_yticks(range(len(r)), r[category_col].astype(str))
    ax.invert_yaxis()
    ax.set_xlabel("searches per 1,000 residents")
    ax.set_title(title)
    ax.grid(axis="x", alpha=0.3)
    return _finish(fig, caption=SEARCH_CAPTION)


def plot_outcome_rates(
    out: pd.DataFrame, *, title: str = "Outcome test: arrest and find rates (95% Wilson CI)"
) -> plt.Figure:
    """Arrest rate and find rate per group, points with intervals, side by side."""
    o = out.reset_index(drop=True)
    if o.empty:
        return _empty("No searches", title)
    fig, axes = plt.subplots(1, 2, figsize=(10, 0.45 * len(o) + 1.8), sharey=True)
    for ax, (col, lo, hi, lab) in zip(
        axes,
        (
            ("arrest_rate", "arrest_ci_low", "arrest_ci_high", "arrest rate %"),
            ("find_rate", "find_ci_low", "find_ci_high", "find rate %"),
        ),
    ):
        for y, row in o.iterrows():
            if pd.isna(row[col]):
                continue
            ax.errorbar(
                row[col], y, xerr=_err(row[col], row[lo], row[hi]), fmt="o", color=_POINT, capsize=3
            )
        ax.set_xlabel(lab)
        ax.grid(axis="x", alpha=0.3)
    axes[0].set_yticks(range(len(o)), o["group"].astype(str))
    axes[0].invert_yaxis()
    return _finish(fig, title, SEARCH_CAPTION)


# --------------------------------------------------------------------------- the section's figures
def group_estimate_figures(
    estimates: pd.DataFrame, groups: list[str]
) -> Iterator[tuple[str, plt.Figure]]:
    """``{"survey_estimates_<column>": figure}``: each grouping of the first period's estimates."""
    whole = estimates["period"].iloc[0]
    return (
        (
            f"survey_estimates_{col}",
            plot_group_estimates(
                estimates[(estimates["group_type"] == col) & (estimates["period"] == whole)],
                "group",
                title=f"By {col.replace('_', ' ')}, {whole}",
            ),
        )
        for col in groups
    )


def gap_figures(gap_table: pd.DataFrame, headline: pd.DataFrame) -> dict[str, plt.Figure]:
    """``{"equality_gaps": the first period's gaps, "equality_gaps_over_time": *headline*}``."""
    first = gap_table["period"].iloc[0]
    return {
        "equality_gaps": plot_gaps(
            gap_table[gap_table["period"] == first], title=f"Gap against reference, {first}"
        ),
        "equality_gaps_over_time": plot_gaps_over_time(headline),
    }


def stop_search_figures(rates: pd.DataFrame, outcomes: pd.DataFrame) -> dict[str, plt.Figure]:
    """The last financial year's relative rates, rates and outcome test (self-defined groups)."""
    last = rates["period"].iloc[-1]
    now = rates[rates["period"] == last]
    sd = outcomes[(outcomes["period"] == last) & (outcomes["dimension"] == "self_defined_group")]
    return {
        "stop_search_relative_rates": plot_relative_rates(
            now, title=f"Relative rate against White, {last}"
        ),
        "stop_search_rates": plot_rates(
            now, "group", title=f"Searches per 1,000 residents, {last}"
        ),
        "stop_search_outcomes": plot_outcome_rates(sd, title=f"Outcome test, {last}"),
    }


def age_rate_figure(age: pd.DataFrame) -> plt.Figure:
    """Searches per 1,000 residents by age range (the 2021 Census proxy denominator, so titled)."""
    return plot_rates(
        age, "age_range", title="Searches per 1,000 residents by age (PROXY: 2021 Census)"
    )
