"""Target comparison, district caterpillar and peer-force figures. Return Figures only."""
from __future__ import annotations

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402

_STATUS_COLOUR = {"met": "#1a9850", "not met": "#d73027", "on track": "#91cf60", "off track": "#fc8d59",
                  "insufficient data": "0.6", "not measurable": "0.8"}


def target_figure(comparison: pd.DataFrame, *, title: str = "") -> plt.Figure:
    """Per target: change needed (target) against change achieved, with the RR 95% CI.

    x = percentage change (rate ratio - 1, in percent, with its CI as a bar);
    the target's required change is a vertical tick. Proxy measures are labelled.
    """
    d = comparison[comparison["rate_ratio"].notna()].reset_index(drop=True)
    fig, ax = plt.subplots(figsize=(9, 0.5 * max(3, len(d)) + 1.2))
    if d.empty:
        ax.text(0.5, 0.5, "No target could be measured", ha="center", va="center")
        ax.set_axis_off()
        return fig
    y = np.arange(len(d))[::-1]
    pc = 100 * (d["rate_ratio"] - 1)
    lo = 100 * (d["rr_ci_low"] - 1)
    hi = 100 * (d["rr_ci_high"] - 1)
    colours = [_STATUS_COLOUR.get(s, "0.5") for s in d["status"]]
    ax.errorbar(pc, y, xerr=[pc - lo, hi - pc], fmt="none", ecolor="0.3", capsize=3)
    ax.scatter(pc, y, c=colours, s=40, zorder=3)
    for yi, tv in zip(y, d["target_value"]):
        if pd.notna(tv):
            ax.plot([tv, tv], [yi - 0.3, yi + 0.3], color="k", lw=2)
    labels = [f"{r.target_id} / {r.geography}{' (proxy)' if r.proxy else ''}" for r in d.itertuples()]
    ax.set_yticks(y, labels, fontsize=7)
    ax.axvline(0, color="0.5", lw=0.8)
    ax.set_xlabel("change in rate, % (dot: actual with 95% CI; black tick: target)")
    ax.set_title(title or "Targets: actual change against target")
    handles = [plt.Line2D([], [], marker="o", ls="", color=c, label=s) for s, c in _STATUS_COLOUR.items()
               if s in set(d["status"])]
    ax.legend(handles=handles, fontsize=7, loc="best")
    fig.tight_layout()
    return fig


def caterpillar_figure(ranked: pd.DataFrame, *, title: str = "") -> plt.Figure:
    """Districts ordered by rate ratio with 95% CIs, against the force-wide RR (dashed)."""
    fig, ax = plt.subplots(figsize=(7, 0.45 * max(3, len(ranked)) + 1.2))
    if ranked.empty:
        ax.text(0.5, 0.5, "No district data", ha="center", va="center")
        ax.set_axis_off()
        return fig
    d = ranked.sort_values("rate_ratio").reset_index(drop=True)
    y = np.arange(len(d))
    ax.errorbar(d["rate_ratio"], y, xerr=[d["rate_ratio"] - d["rr_ci_low"], d["rr_ci_high"] - d["rate_ratio"]],
                fmt="o", color="k", capsize=3)
    ax.set_yticks(y, [f"{g}{' (proxy)' if p else ''}" for g, p in zip(d["geography"], d["proxy"])], fontsize=8)
    if d["force_rate_ratio"].notna().any():
        ax.axvline(float(d["force_rate_ratio"].iloc[0]), color="#b00020", ls="--", lw=1, label="force-wide RR")
    ax.axvline(1.0, color="0.5", lw=0.8)
    ax.set_xlabel("rate ratio, target year / baseline (95% CI)")
    ax.set_title(title or "Districts: rate ratio with 95% CI (overlapping intervals: not distinguishable)")
    ax.legend(fontsize=7)
    fig.tight_layout()
    return fig


def peer_figure(peers: pd.DataFrame, *, title: str = "", highlight: str | None = None) -> plt.Figure:
    """Rate ratio with 95% CI for the force and similar forces, one panel row per measure."""
    d = peers[peers["rate_ratio"].notna()].reset_index(drop=True)
    fig, ax = plt.subplots(figsize=(8, 0.4 * max(4, len(d)) + 1.2))
    if d.empty:
        ax.text(0.5, 0.5, "No peer data", ha="center", va="center")
        ax.set_axis_off()
        return fig
    y = np.arange(len(d))[::-1]
    colours = ["#b00020" if f == highlight else "k" for f in d["force"]]
    for yi, r, c in zip(y, d.itertuples(), colours):
        ax.errorbar(r.rate_ratio, yi, xerr=[[r.rate_ratio - r.rr_ci_low], [r.rr_ci_high - r.rate_ratio]],
                    fmt="o", color=c, capsize=3)
    ax.set_yticks(y, [f"{r.measure_id}{' (proxy)' if r.proxy else ''}: {r.force}" for r in d.itertuples()], fontsize=7)
    ax.axvline(1.0, color="0.5", lw=0.8)
    ax.set_xlabel("rate ratio, target year / baseline (95% CI)")
    ax.set_title(title or "The force against similar forces (context, not targets)")
    fig.tight_layout()
    return fig
