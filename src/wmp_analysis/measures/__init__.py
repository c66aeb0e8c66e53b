"""Measures: the plans' targets as data and the series each measure needs."""
