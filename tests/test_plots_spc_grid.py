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


def _svg_text_y(svg_path, group_id: str) -> list[float]:
    """Baseline y (SVG user units, downwards) of every <text> inside the group *group_id*."""
    import re
    import xml.etree.ElementTree as ET

    ns = {"svg": "http://www.w3.org/2000/svg"}
    group = ET.parse(svg_path).getroot().find(f".//svg:g[@id='{group_id}']", ns)
    assert group is not None, f"no group {group_id} in {svg_path}"
    ys = []
    for t in group.iter("{http://www.w3.org/2000/svg}text"):
        if t.get("y") is not None:
            ys.append(float(t.get("y")))
        else:
            ys.append(float(re.search(r"translate\(\S+ (\S+)\)", t.get("transform")).group(1)))
    return ys


def test_figure_legend_stays_above_the_caption_in_the_saved_file(tmp_path):
    # a figure legend placed by loc alone is placed again against the tight box savefig crops
    # to, i.e. down onto the caption under the figure (seen in the pack's SPC figures); the
    # saved SVG is where a reader sees it, so the positions are read back from the file
    from wmp_analysis.report.outputs import write_figure

    charts = {g: _chart(i) for i, g in enumerate(["A", "B", "C", "D"])}
    fig = spc_grid(charts, title="robbery", source="ONS")
    (svg,) = write_figure(fig, tmp_path / "spc", formats=("svg",))
    plt.close(fig)
    legend_y = _svg_text_y(svg, "legend_1")
    caption_y = _svg_text_y(svg, "caption")
    assert legend_y and caption_y
    caption_top = min(caption_y) - 7.5  # the first caption line's baseline less its font size
    assert max(legend_y) < caption_top, (legend_y, caption_y)
