import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

from wmp_analysis.analysis.spc import c_chart
from wmp_analysis.report.plots.spc import spc_grid


def _chart(seed):
    rng = np.random.default_rng(seed)
    vals = pd.Series(
        rng.poisson(100, 36).astype(float),
        index=pd.period_range("2010-04", periods=36, freq="M").to_timestamp(),
    )
    mask = pd.Series([True] * 12 + [False] * 24, index=vals.index)
    return c_chart(vals, mask)


def test_spc_grid_one_panel_per_geography():
    charts = {g: _chart(i) for i, g in enumerate(["West Midlands", "Birmingham", "Coventry"])}
    fig = spc_grid(charts, title="robbery")
    visible = [ax for ax in fig.axes if ax.get_visible()]
    assert len(visible) == 3
    assert [ax.get_title().split(" - ")[0] for ax in visible] == list(charts)
    # the limits drawn are the chart's own (computed from the baseline)
    ucl_line = [ln for ln in visible[1].get_lines() if ln.get_linestyle() == "--"][0]
    assert np.allclose(ucl_line.get_ydata(), charts["Birmingham"]["ucl"].to_numpy())
    plt.close(fig)
