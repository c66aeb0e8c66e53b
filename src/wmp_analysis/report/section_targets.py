"""Steps of the target comparison notebook (``03_target_comparison``) that are not one call.

Each takes the notebook's :class:`~wmp_analysis.report.section.Section` and shows and saves
exactly what the notebook did in its place (same calls, same order).
"""

from __future__ import annotations

import pandas as pd

from wmp_analysis.analysis import compare
from wmp_analysis.availability import not_supplied_note
from wmp_analysis.report.section import Section


def comparison(ctx: Section, tables: dict[str, pd.DataFrame]) -> pd.DataFrame:
    """Every target of the config's assessments judged (:func:`compare.compare_assessments`).

    Rows are marked real/synthetic by their source (:func:`compare.mark_origin`) and saved as
    ``tables/target_comparison.csv``; the config's periods are used when the notebook
    overrode one.
    """
    kw = dict(survey=ctx.table("survey"), use_config_periods=ctx.periods_overridden)
    result = compare.compare_assessments(ctx.registry, ctx.measures, tables, ctx.cfg, **kw)
    result = compare.mark_origin(result, ctx.origins)
    ctx.save_table(result, "target_comparison")
    return result


def count_series(
    ctx: Section, tables: dict[str, pd.DataFrame], result: pd.DataFrame
) -> pd.DataFrame | None:
    """The force's yearly series of each count measure judged in *result* (ONS by force area).

    Saved as ``tables/measure_series.csv`` and shown one row per measure; None (and the
    not-supplied note shown) without the ONS force-area table.
    """
    from IPython.display import display

    if "ons_pfa" not in tables:
        ctx.note(not_supplied_note("ons_pfa"))
        return None
    counts = ctx.measures.loc[ctx.measures["kind"] == "count", "measure_id"]
    counts = list(counts[counts.isin(result["measure_id"])])
    series = compare.measure_series(tables["ons_pfa"], ctx.measures, counts, ctx.cfg.force)
    series = series.assign(data=ctx.origins["ons_pfa"])
    ctx.save_table(series, "measure_series")
    display(series.pivot(index="measure_id", columns="year", values="value").reset_index())
    return series
