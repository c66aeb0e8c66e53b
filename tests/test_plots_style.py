"""House style of the figures (issue 12): structure, target lines, captions, alt text, palette.

Expectations are worked by hand from the inputs (the target level of an 8% fall from
15,898 is 15,898 x 0.92 = 14,626.16), and the palette is the published Okabe-Ito hex list.
"""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import pytest
from matplotlib.colors import to_hex

from wmp_analysis.report.plots import style
from wmp_analysis.report.plots import targets as tp

# Okabe & Ito (2008), "Color Universal Design", the eight colours
OKABE_ITO_HEX = {
    "#000000",
    "#e69f00",
    "#56b4e9",
    "#009e73",
    "#f0e442",
    "#0072b2",
    "#d55e00",
    "#cc79a7",
}

ROW = {
    "baseline_period": "2011-12",
    "target_period": "2012-13",
    "baseline_value": 15898.0,
    "actual_value": 13571.0,
    "rr_ci_low": 0.834299,
    "rr_ci_high": 0.873408,
    "target_kind": "pct_change",
    "target_value": -8.0,
    "status": "met",
}
SERIES = pd.DataFrame(
    {"year": ["2010-11", "2011-12", "2012-13", "2013-14"], "value": [17000, 15898, 13571, 13000]}
)


def _by_gid(fig, gid):
    return [
        a
        for ax in fig.axes
        for a in ax.get_children()
        if getattr(a, "get_gid", lambda: None)() == gid
    ]


def test_palette_is_okabe_ito():
    assert {c.lower() for c in style.PALETTE} == OKABE_ITO_HEX
    assert {c.lower() for c in style.OKABE_ITO.values()} == OKABE_ITO_HEX
    # statuses differ by marker too (grey-scale), and each status colour is distinct
    markers = [s["marker"] for s in style.STATUS_STYLE.values()]
    assert len(set(markers)) == len(markers)


def test_target_chart_structure_and_target_line():
    fig = tp.target_chart(
        ROW, SERIES, name="Burglary of homes", source="ONS, Crime in England and Wales"
    )
    assert len(fig.axes) == 2
    line = _by_gid(fig, "target-line")
    assert len(line) == 1
    assert line[0].get_ydata()[0] == pytest.approx(15898 * 0.92)  # 14,626.16
    traj = _by_gid(fig, "target-trajectory")[0]
    # from the baseline (2011-12 is the 2nd year) to the target level (2012-13, the 3rd)
    assert list(traj.get_xdata()) == [1, 2]
    assert list(traj.get_ydata()) == pytest.approx([15898, 15898 * 0.92])
    # the actual's interval: 15,898 x 0.834299 = 13,263.6 to 15,898 x 0.873408 = 13,885.5
    seg = [c for c in fig.axes[0].collections if len(getattr(c, "get_segments", list)())]
    ys = np.concatenate([np.asarray(s)[:, 1] for c in seg for s in c.get_segments()])
    assert ys.min() == pytest.approx(13263.6, abs=0.5) and ys.max() == pytest.approx(
        13885.5, abs=0.5
    )
    # title says what the figure shows; caption has source and definition; alt text has the numbers
    assert "fell 14.6%" in style.title_text(fig) and "met" in style.title_text(fig)
    assert style.caption_text(fig).startswith(
        "Source: ONS"
    ) and "95% interval" in style.caption_text(fig)
    alt = style.alt_text(fig)
    assert "15,898" in alt and "13,571" in alt and "14,626" in alt
    assert any(t.get_gid() == "caption" for t in fig.texts)
    # palette colours: actual in Okabe-Ito blue, target in vermillion
    assert to_hex(line[0].get_color()) == "#d55e00"
    assert to_hex(fig.axes[1].lines[0].get_color()) == "#0072b2"
    plt.close(fig)


def test_target_chart_without_series_has_one_panel():
    fig = tp.target_chart(
        {**ROW, "target_kind": "level", "target_value": 14000.0}, None, name="X", source="S"
    )
    assert len(fig.axes) == 1
    assert _by_gid(fig, "target-line")[0].get_ydata()[0] == 14000.0
    plt.close(fig)


def test_district_small_multiples_share_one_scale():
    rows = pd.DataFrame(
        {
            "geography": ["Birmingham", "Coventry", "Dudley", "Solihull", "Walsall"],
            "baseline_value": [6000.0, 1800.0, 1500.0, 900.0, 1400.0],
            "actual_value": [5000.0, 1700.0, 1550.0, 700.0, 1300.0],
            "rr_ci_low": [0.80, 0.88, 0.96, 0.70, 0.86],
            "rr_ci_high": [0.87, 1.01, 1.10, 0.86, 1.00],
            "target_kind": "pct_change",
            "target_value": -8.0,
            "status": "met",
        }
    )
    fig = tp.district_small_multiples(rows, name="Burglary", source="CSP", ncols=3)
    panels = [ax for ax in fig.axes if ax.axison]
    assert len(panels) == 5 and len(fig.axes) == 6  # 2 x 3 grid, the last one empty
    lims = {ax.get_ylim() for ax in panels}
    assert len(lims) == 1  # one shared y scale
    lo, hi = lims.pop()
    assert lo <= 700 and hi >= 6000 * 0.87
    lines = sorted(line.get_ydata()[0] for line in _by_gid(fig, "target-line"))
    assert lines == pytest.approx(sorted(b * 0.92 for b in rows["baseline_value"]))
    assert "Birmingham" in style.alt_text(fig) and "one scale" in style.title_text(fig)
    plt.close(fig)


def test_comparator_chart_highlights_the_force():
    peers = pd.DataFrame(
        {
            "force": ["West Midlands", "Greater Manchester", "Merseyside"],
            "rate_ratio": [0.85, 0.90, 0.95],
            "rr_ci_low": [0.83, 0.88, 0.92],
            "rr_ci_high": [0.87, 0.92, 0.98],
            "pct_change": [-15.0, -10.0, -5.0],
        }
    )
    fig = tp.comparator_chart(
        peers, name="Burglary", force="West Midlands", source="ONS", target_value=-8
    )
    ax = fig.axes[0]
    assert len(fig.axes) == 1
    assert _by_gid(fig, "target-line")[0].get_xdata()[0] == -8
    colours = [to_hex(c.lines[0].get_color()) for c in ax.containers]
    assert colours.count("#e69f00") == 1  # the force, in Okabe-Ito orange; comparators grey
    labels = [t.get_text() for t in ax.get_yticklabels()]
    assert "West Midlands (this force)" in labels
    assert "-15.0%" in style.alt_text(fig)
    plt.close(fig)


def test_alt_text_reaches_the_saved_files_and_re_saves_are_identical(tmp_path):
    from PIL import Image

    from wmp_analysis.report.outputs import write_figure

    fig = tp.target_chart(ROW, SERIES, name="Burglary of homes", source="ONS")
    a = write_figure(fig, tmp_path / "a")
    b = write_figure(fig, tmp_path / "b")
    assert [p.read_bytes() for p in a] == [p.read_bytes() for p in b]
    assert Image.open(a[0]).text["Description"] == style.alt_text(fig)
    svg = a[1].read_text(encoding="utf-8")
    assert (
        "<title>Burglary of homes fell 14.6%" in svg
        and "Date" not in svg.split("</metadata>")[0].split("<metadata>")[-1]
    )
    plt.close(fig)


def _pixels(path):
    from PIL import Image

    return np.asarray(Image.open(path).convert("RGB"))


def test_saved_area_is_matplotlibs_own_tight_box(tmp_path):
    """write_figure measures the tight box once; the PNG must be matplotlib's own "tight" save."""
    from wmp_analysis.report.outputs import (
        apply_deterministic_style,
        mark_figure_synthetic,
        write_figure,
    )

    apply_deterministic_style()
    fig = tp.target_chart(ROW, SERIES, name="Burglary of homes", source="ONS")
    mark_figure_synthetic(fig)  # the banner sits above the axes: the box must grow to hold it
    (png, svg) = write_figure(fig, tmp_path / "ours")
    fig.savefig(tmp_path / "mpl.png", format="png", bbox_inches="tight")
    ours, theirs = _pixels(png), _pixels(tmp_path / "mpl.png")
    assert ours.shape == theirs.shape
    assert np.array_equal(ours, theirs)
    # the SVG covers the same area to within a point (its text is measured by the Agg renderer)
    import re

    w, h = (
        float(v)
        for v in re.search(r'width="([\d.]+)pt" height="([\d.]+)pt"', svg.read_text()).groups()
    )
    dpi = matplotlib.rcParams["savefig.dpi"]
    assert abs(w - theirs.shape[1] * 72 / dpi) < 1.5 and abs(h - theirs.shape[0] * 72 / dpi) < 1.5
    plt.close(fig)


def test_a_figure_with_a_live_layout_engine_is_laid_out_when_saved(tmp_path):
    from wmp_analysis.report.outputs import apply_deterministic_style, write_figure

    apply_deterministic_style()

    def build():
        fig, axes = plt.subplots(1, 2, figsize=(6, 3), layout="constrained")
        for ax in axes:
            ax.plot([0, 1], [0, 1])
            ax.set_ylabel("a long label that the layout must make room for")
        return fig

    ours, theirs = build(), build()
    (png,) = write_figure(ours, tmp_path / "ours", ("png",))
    theirs.savefig(tmp_path / "mpl.png", format="png", bbox_inches="tight")
    assert np.array_equal(_pixels(png), _pixels(tmp_path / "mpl.png"))
    assert ours.get_layout_engine() is not None  # the figure's own engine is left in place
    plt.close(ours)
    plt.close(theirs)


def test_plotting_functions_read_no_files(monkeypatch):
    import builtins

    def refuse(*a, **k):
        raise AssertionError("a plotting function opened a file")

    monkeypatch.setattr(builtins, "open", refuse)
    fig = tp.target_chart(ROW, SERIES, name="B", source="S")
    plt.close(fig)


def test_the_older_figures_use_the_house_palette():
    from wmp_analysis.report.plots import equality as ep
    from wmp_analysis.report.plots import national as npl
    from wmp_analysis.report.plots import spc as sp

    def ok(c):
        h = to_hex(c)
        r, g, b = h[1:3], h[3:5], h[5:7]
        return h in OKABE_ITO_HEX or r == g == b  # Okabe-Ito or a grey

    colours = [
        ep._POINT,
        ep._SIG,
        ep._REF,
        npl._FORCE,
        npl._COMPARATOR,
        npl._OTHER,
        *[v[1] for v in sp._RULE_STYLE.values()],
        *tp._STATUS_COLOUR.values(),
    ]
    assert all(ok(c) for c in colours), [c for c in colours if not ok(c)]


def test_equality_figures_carry_caption_and_alt_text():
    from wmp_analysis.report.plots import equality as ep

    est = pd.DataFrame(
        {
            "measure": ["confidence"] * 2,
            "group": ["White", "Black"],
            "estimate": [80.0, np.nan],
            "ci_low": [78.0, np.nan],
            "ci_high": [82.0, np.nan],
            "n": [500, pd.NA],
            "suppressed": [False, True],
        }
    )
    fig = ep.plot_group_estimates(est, "group", title="Confidence by ethnic group, 2011-12")
    assert style.caption_text(fig).startswith("Source: the force's survey extract")
    assert "Confidence by ethnic group" in style.alt_text(fig)
    assert any(t.get_gid() == "caption" for t in fig.texts)
    plt.close(fig)


def test_series_seasonal_spc_national_figures_have_house_captions():
    """Issue 12: source (with its origin) and definition under the series, seasonal, SPC and
    national figures, and alt text carrying the numbers."""
    from wmp_analysis.report.plots import national as npl
    from wmp_analysis.report.plots import spc as spl
    from wmp_analysis.report.plots import trends

    ends = pd.to_datetime(["2011-03-31", "2012-03-31"])
    series = pd.DataFrame(
        {
            "measure_id": "burglary",
            "geography": ["Force", "Force", "Dudley", "Dudley"],
            "period_end": list(ends) * 2,
            "value": [1000.0, 900.0, 100.0, 90.0],
            "proxy": False,
            "source": ["ONS PFA", "ONS PFA", "Home Office CSP", "Home Office CSP"],
            "data": ["real", "real", "synthetic", "synthetic"],
        }
    )
    fig = trends.series_panels(series, force="Force", title="Burglary")
    cap = style.caption_text(fig)
    assert cap.startswith("Source: Home Office CSP (synthetic data); ONS PFA (real data). ")
    assert trends.SERIES_CAPTION in cap
    assert "1,000 in the period to 2011-03-31" in style.alt_text(fig)
    assert "900 in the period to 2012-03-31" in style.alt_text(fig)
    plt.close(fig)

    prof = pd.DataFrame(
        {
            "measure_id": "burglary",
            "geography": "Dudley",
            "unit": "quarter",
            "position": [1, 2, 3, 4],
            "share": [0.2, 0.3, 0.25, 0.25],
            "years_used": "2011-12",
        }
    )
    fig = trends.seasonal_figure(prof, title="Burglary", source="Home Office CSP")
    assert style.caption_text(fig) == "Source: Home Office CSP. " + trends.SEASONAL_CAPTION
    assert "Dudley: 1 20.0%, 2 30.0%, 3 25.0%, 4 25.0%." in style.alt_text(fig)
    plt.close(fig)

    chart = pd.DataFrame(
        {
            "value": [10.0, 12.0, 30.0],
            "centre": 11.0,
            "ucl": 20.0,
            "lcl": 2.0,
            "in_baseline": [True, True, False],
            "rule_beyond_limits": [False, False, True],
            "rule_run": False,
            "rule_trend": False,
            "rule_two_of_three": False,
        }
    )
    fig = spl.spc_grid({"Dudley": chart}, title="Burglary", source="Home Office CSP")
    assert style.caption_text(fig) == "Source: Home Office CSP. " + spl.SPC_CAPTION
    assert "Dudley: 3 points, centre 11, 1 beyond the limits." in style.alt_text(fig)
    plt.close(fig)

    view = pd.DataFrame(
        {
            "target_id": "t1",
            "force": ["Force", "Other"],
            "pct_change": [-10.0, 5.0],
            "rr_ci_low": [0.88, 1.03],
            "rr_ci_high": [0.92, 1.07],
            "target_period": "2012-13",
            "baseline_period": "2011-12",
            "target_value": -5.0,
            "direction": "down",
            "proxy": False,
            "rank_change": [1, 2],
        }
    )
    fig = npl.national_figure(view, "Force", source="ONS (real data)")
    assert style.caption_text(fig) == "Source: ONS (real data). " + npl.NATIONAL_CAPTION["change"]
    assert "t1: Force -10.0%, rank 1 of 2." in style.alt_text(fig)
    plt.close(fig)


def test_frozen_ticks_draw_what_the_live_locators_draw(tmp_path):
    """write_figure fixes each axis' ticks once the layout is final; the files must not change.

    Date axes (AutoDateLocator), a log axis with minor ticks, an offset on a scalar axis and
    axes that share x: matplotlib's own tight save of the same figure is the expectation.
    """
    import pandas as pd
    from matplotlib.ticker import AutoLocator, LogLocator

    from wmp_analysis.report.outputs import apply_deterministic_style, tight_layout, write_figure

    apply_deterministic_style()

    def build(layout):
        fig, axes = plt.subplots(2, 2, figsize=(7, 5), sharex="col")
        months = pd.date_range("2010-04-01", periods=60, freq="MS")
        for ax in axes[:, 0]:
            ax.plot(months, np.linspace(1_000_000, 1_000_050, 60))  # offset text "+1e6"
        axes[0, 1].plot([1, 10, 1000], [3, 2, 1])
        axes[0, 1].set_xscale("log")
        axes[1, 1].plot([0.5, 2.5], [1, 2])
        fig.suptitle("frozen ticks")
        layout(fig)
        return fig

    # ours laid out with the frozen-tick layout (rect: matplotlib measures twice), theirs plain
    ours = build(lambda f: tight_layout(f, rect=(0, 0.05, 1, 0.94)))
    theirs = build(lambda f: f.tight_layout(rect=(0, 0.05, 1, 0.94)))
    before = [
        (type(a.xaxis.get_major_locator()), type(a.yaxis.get_major_locator())) for a in ours.axes
    ]
    (png,) = write_figure(ours, tmp_path / "ours", ("png",))
    theirs.savefig(tmp_path / "mpl.png", format="png", bbox_inches="tight")
    assert np.array_equal(_pixels(png), _pixels(tmp_path / "mpl.png"))
    # the figure keeps its own locators afterwards (it can still be zoomed or redrawn)
    after = [
        (type(a.xaxis.get_major_locator()), type(a.yaxis.get_major_locator())) for a in ours.axes
    ]
    assert after == before
    assert isinstance(ours.axes[1].xaxis.get_minor_locator(), LogLocator)
    assert isinstance(ours.axes[3].yaxis.get_major_locator(), AutoLocator)
    # the same layout, and every axes has matplotlib's own tight-box method again
    for a, b in zip(ours.axes, theirs.axes):
        assert np.allclose(a.get_position().bounds, b.get_position().bounds)
        assert "get_tightbbox" not in a.__dict__
    plt.close(ours)
    plt.close(theirs)


def test_tight_layout_measures_each_axes_once(monkeypatch):
    """With a rect, matplotlib's own tight layout measures each axes twice; the wrapper once."""
    import matplotlib.pyplot as plt
    from matplotlib.axes import Axes

    from wmp_analysis.report.outputs import tight_layout

    calls = []
    method = Axes.get_tightbbox

    def counting(self, *args, **kwargs):
        calls.append(id(self))
        return method(self, *args, **kwargs)

    monkeypatch.setattr(Axes, "get_tightbbox", counting)
    counts = []
    for lay_out in (
        lambda f: f.tight_layout(rect=(0, 0.05, 1, 0.94)),
        lambda f: tight_layout(f, rect=(0, 0.05, 1, 0.94)),
    ):
        fig, axes = plt.subplots(1, 3)
        for ax in axes:
            ax.plot([0, 1], [0, 1000])
        calls.clear()
        lay_out(fig)
        counts.append(len(calls))
        plt.close(fig)
    assert counts == [6, 3]  # 3 axes: measured twice by matplotlib, once here
