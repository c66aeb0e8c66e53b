"""Plotting functions. Each takes DataFrames, returns a matplotlib Figure, and never
reads or writes files (saving is :class:`wmp_analysis.report.outputs.RunContext`'s job).

Submodules: ``trends`` (series, seasonal profiles), ``spc`` (control charts),
``targets`` (target comparison, district rankings, peer forces), ``equality``
(survey gaps, stop-and-search rates).
"""
