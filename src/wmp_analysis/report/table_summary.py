"""Which columns a summarised long table shows (:func:`wmp_analysis.report.tables.summary_view`).

A long table on a page is a short summary above a link to its full CSV. Its rows are cut by
:func:`~wmp_analysis.report.tables.summary_view`; its columns here: a wide table (more than
:data:`WIDE` columns) keeps only the columns a reader needs to see what each row says - what
is measured, where and when, the value, the change, the target, the status, whether the row
is real or synthetic - in the table's own order. Notes, definitions, sources, intervals'
inner workings and caveats stay in the CSV (every row and column) and in the section's notes.
"""

from __future__ import annotations

import pandas as pd

#: More columns than this and a summary keeps only :data:`KEY_COLUMNS`.
WIDE = 10
#: The columns a summary of a wide table keeps (in the table's order), when it has enough.
KEY_COLUMNS = frozenset(
    {
        # what and where
        "plan",
        "target_id",
        "target",
        "measure_id",
        "measure",
        "force",
        "geography",
        "district",
        "group_type",
        "group",
        "reference",
        "dimension",
        "chart",
        # when
        "period",
        "financial_year",
        "baseline_period",
        "target_period",
        # the numbers
        "value",
        "baseline_value",
        "actual_value",
        "pct_change",
        "target_value",
        "estimate",
        "reference_estimate",
        "gap",
        "centre",
        "lcl",
        "ucl",
        "searches",
        "rate_per_1000",
        "rr_vs_white",
        "arrest_rate",
        "find_rate",
        "rate_ratio",
        "versus_force",
        # the verdict and the labels
        "status",
        "significant",
        "suppressed",
        "suppression",  # why a suppressed row shows no number
        "data",
    }
)
#: A summary narrows the columns only when at least this many are key columns.
MIN_KEY = 4


def summary_columns(full: pd.DataFrame) -> list[str]:
    """The columns a summary of *full* shows: all of them, or its key columns when it is wide.

    Parameters
    ----------
    full : DataFrame
        The table as shown (raw column names, before the headers are put into words).

    Returns
    -------
    list of str
        Every column when *full* has at most :data:`WIDE` columns or fewer than
        :data:`MIN_KEY` key columns; otherwise its :data:`KEY_COLUMNS`, in its order.
    """
    cols = [str(c) for c in full.columns]
    keys = [c for c in cols if c in KEY_COLUMNS]
    if len(cols) <= WIDE or len(keys) < MIN_KEY:
        return cols
    return keys
