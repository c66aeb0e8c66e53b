"""SPC charts against hand-worked series."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from wmp_analysis.analysis.spc import c_chart, xmr_chart
from wmp_analysis.periods import Period


def test_xmr_limits_hand_worked():
    base = [10, 12, 11, 13, 9, 11]  # mean 11; MR 2,1,2,4,2 -> 2.2
    s = pd.Series(base + [30, 11], dtype=float)
    mask = [True] * 6 + [False] * 2
    out = xmr_chart(s, mask)
    assert out["centre"].iloc[0] == pytest.approx(11)
    assert out.attrs["mr_bar"] == pytest.approx(2.2)
    assert out["ucl"].iloc[0] == pytest.approx(11 + 2.66 * 2.2)
    assert out["lcl"].iloc[0] == pytest.approx(11 - 2.66 * 2.2)
    # limits from the baseline only: the later outlier does not move them
    assert out["rule_beyond_limits"].tolist() == [False] * 6 + [True, False]
    assert out["special_cause"].iloc[6]


def test_run_rule_configurable():
    s = pd.Series([10, 0] * 5 + [6] * 8 + [4], dtype=float)  # centre 5
    mask = [True] * 10 + [False] * 9
    out = xmr_chart(s, mask, run_length=8)
    assert out["rule_run"].iloc[10:18].all() and not out["rule_run"].iloc[18]
    out7 = xmr_chart(s.iloc[:17], mask[:17], run_length=8)
    assert not out7["rule_run"].any()  # only 7 above
    out7b = xmr_chart(s.iloc[:17], mask[:17], run_length=7)
    assert out7b["rule_run"].iloc[10:17].all()


def test_trend_rule_six_points():
    s = pd.Series([5, 5, 5, 5, 1, 2, 3, 4, 5, 6, 3, 5, 5], dtype=float)
    out = c_chart(s, [True] * 4 + [False] * 9)
    assert out["rule_trend"].tolist() == [False] * 4 + [True] * 6 + [False] * 3
    s5 = pd.Series([5, 5, 5, 5, 1, 2, 3, 4, 5, 3], dtype=float)  # only 5 rising points
    assert not c_chart(s5, [True] * 4 + [False] * 6)["rule_trend"].any()
    down = pd.Series([9, 8, 7, 6, 5, 4], dtype=float)
    assert xmr_chart(down)["rule_trend"].all()


def test_two_of_three_beyond_two_sigma():
    # c-chart with c-bar = 100: sigma 10, 2-sigma line 120, UCL 130
    s = pd.Series([100, 100, 100, 100, 125, 110, 124, 100], dtype=float)
    out = c_chart(s, [True] * 4 + [False] * 4)
    assert out["centre"].iloc[0] == 100 and out["ucl"].iloc[0] == pytest.approx(130)
    assert out["rule_two_of_three"].tolist() == [False] * 4 + [True, False, True, False]
    assert not out["rule_beyond_limits"].any()


def test_c_chart_floor_and_period_baseline():
    idx = pd.date_range("2011-04-01", periods=15, freq="MS")
    s = pd.Series([4, 5, 3, 4, 6, 2, 4, 5, 3, 4, 4, 4, 20, 4, np.nan], index=idx)
    out = c_chart(s, Period.financial_year("2011-12"))
    assert out["in_baseline"].sum() == 12
    assert out["centre"].iloc[0] == pytest.approx(4)
    assert out["lcl"].iloc[0] == 0.0  # 4 - 3*2 < 0 -> floored
    assert out["ucl"].iloc[0] == pytest.approx(10)
    assert out["rule_beyond_limits"].iloc[12]
    assert not out.iloc[14][
        ["rule_beyond_limits", "rule_run", "rule_trend", "rule_two_of_three"]
    ].any()
    assert math.isnan(out["value"].iloc[14])


def test_xmr_needs_two_points():
    with pytest.raises(ValueError):
        xmr_chart(pd.Series([1.0, 2.0]), [True, False])
