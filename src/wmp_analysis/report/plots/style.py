"""One house style for every figure of the pack.

* **Palette**: Okabe & Ito (2008), "Color Universal Design" - eight colours told apart
  with the common colour-vision deficiencies (protanopia, deuteranopia, tritanopia);
  statuses also differ by marker and line style, so figures read in grey-scale.
* **Title** says what the figure shows (a sentence, not a variable name).
* **Caption** under the figure: the source and the definition (and the interval).
* **Alt text** stored on the figure (:func:`alt_text`); :func:`wmp_analysis.report.outputs.write_figure`
  writes it into the PNG and SVG metadata (``Description``) and the notebook's image
  output carries it, so the page's ``<img alt>`` is that text.

Functions here only style a Figure; they never read or write files.
"""

from __future__ import annotations

import textwrap
from contextlib import contextmanager

import matplotlib as mpl
import matplotlib.pyplot as plt
from cycler import cycler

from wmp_analysis.analysis.status import Status
from wmp_analysis.report.outputs import FONT_RC, tight_layout

#: Okabe-Ito colours (hex, as published by Okabe & Ito 2008).
OKABE_ITO: dict[str, str] = {
    "black": "#000000",
    "orange": "#E69F00",
    "sky_blue": "#56B4E9",
    "bluish_green": "#009E73",
    "yellow": "#F0E442",
    "blue": "#0072B2",
    "vermillion": "#D55E00",
    "reddish_purple": "#CC79A7",
}
#: Series colours in order of use (yellow last: weak on white).
PALETTE = [
    OKABE_ITO[k]
    for k in (
        "blue",
        "orange",
        "bluish_green",
        "vermillion",
        "reddish_purple",
        "sky_blue",
        "black",
        "yellow",
    )
]
#: Roles used across the figures.
ACTUAL = OKABE_ITO["blue"]
BASELINE = OKABE_ITO["black"]
TARGET = OKABE_ITO["vermillion"]
HIGHLIGHT = OKABE_ITO["orange"]
CONTEXT = "#777777"
#: Status colours and markers (colour plus shape: readable without colour).
STATUS_STYLE: dict[str, dict] = {
    Status.MET: {"color": OKABE_ITO["bluish_green"], "marker": "o"},
    Status.NOT_MET: {"color": OKABE_ITO["vermillion"], "marker": "X"},
    Status.ON_TRACK: {"color": OKABE_ITO["sky_blue"], "marker": "s"},
    Status.OFF_TRACK: {"color": OKABE_ITO["orange"], "marker": "D"},
    Status.INSUFFICIENT_DATA: {"color": "#999999", "marker": "^"},
    Status.NOT_MEASURABLE: {"color": "#BBBBBB", "marker": "v"},
}

#: Matplotlib settings of the house style (applied inside :func:`house_style`).
HOUSE_RC = {
    "axes.prop_cycle": cycler(color=PALETTE),
    "axes.spines.top": False,
    "axes.spines.right": False,
    "axes.titlesize": 10,
    "axes.labelsize": 9,
    "xtick.labelsize": 8,
    "ytick.labelsize": 8,
    "legend.fontsize": 8,
    "legend.frameon": False,
    "axes.grid": True,
    "grid.alpha": 0.3,
    **FONT_RC,
}

CAPTION_SIZE = 7.5


@contextmanager
def house_style():
    """Draw inside this context to get :data:`HOUSE_RC` (rcParams restored afterwards)."""
    with mpl.rc_context(HOUSE_RC):
        yield


def figure_legend(fig: plt.Figure, handles, labels, *, ncol: int):
    """A legend for the whole figure at its lower centre, above the caption.

    Anchored in figure coordinates (``bbox_to_anchor`` with ``fig.transFigure``), so that it
    keeps its place when the figure is saved with a tight bounding box: a legend placed by
    ``loc`` alone is placed again against the cropped box, i.e. down on the caption that
    :func:`finish` writes under the figure. Leave room for it with ``finish(bottom=...)``.
    """
    return fig.legend(
        handles,
        labels,
        loc="lower center",
        bbox_to_anchor=(0.5, 0.0),
        bbox_transform=fig.transFigure,
        ncol=ncol,
        fontsize=7,
        frameon=False,
    )


def finish(
    fig: plt.Figure,
    *,
    title: str,
    caption: str,
    alt: str,
    source: str | None = None,
    bottom: float = 0.0,
) -> plt.Figure:
    """Give *fig* the house title, a caption (source and definition) and its alt text.

    Parameters
    ----------
    title : str
        What the figure shows, as a sentence.
    caption : str
        Definition (what is measured, units, what the interval is).
    alt : str
        Text alternative: what a reader who cannot see the figure needs (the numbers).
    source : str, optional
        Publisher and data set; printed first in the caption as "Source: ...".
    bottom : float, default 0
        Fraction of the figure's height kept free under the axes (for a figure legend
        placed at the lower centre); the caption goes below it.
    """
    width_in = fig.get_size_inches()[0]
    chars = max(40, int(width_in * 15))
    fig.suptitle(
        "\n".join(textwrap.wrap(title, int(chars * 0.75))),
        fontsize=11,
        fontweight="bold",
        x=0.01,
        ha="left",
    )
    text = (f"Source: {source}. " if source else "") + caption
    tight_layout(fig, rect=(0, bottom, 1, 0.94 if len(title) <= chars * 0.75 else 0.9))
    fig.text(
        0.01,
        0.0,
        "\n".join(textwrap.wrap(text, chars)),
        ha="left",
        va="top",
        fontsize=CAPTION_SIZE,
        color="#333333",
        gid="caption",
    )
    fig._wmp_title = title  # type: ignore[attr-defined]
    fig._wmp_caption = text  # type: ignore[attr-defined]
    fig._wmp_alt = alt  # type: ignore[attr-defined]
    return fig


def alt_text(fig: plt.Figure) -> str | None:
    """The alt text given by :func:`finish` (None for a figure outside the house style)."""
    return getattr(fig, "_wmp_alt", None)


def caption_text(fig: plt.Figure) -> str | None:
    """The caption given by :func:`finish`."""
    return getattr(fig, "_wmp_caption", None)


def title_text(fig: plt.Figure) -> str | None:
    """The title given by :func:`finish`."""
    return getattr(fig, "_wmp_title", None)


def describe(fig: plt.Figure) -> str:
    """A fallback alt text for a figure not finished with :func:`finish`: its titles and axis labels."""
    parts = []
    sup = getattr(fig, "_suptitle", None)
    if sup is not None and sup.get_text():
        parts.append(sup.get_text().replace("\n", " "))
    for ax in fig.axes:
        bits = [t for t in (ax.get_title(), ax.get_xlabel(), ax.get_ylabel()) if t]
        if bits:
            parts.append(
                ": ".join(bits[:1]) + (f" ({'; '.join(bits[1:])})" if len(bits) > 1 else "")
            )
    return ". ".join(dict.fromkeys(parts)) or "Figure"
