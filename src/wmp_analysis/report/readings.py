"""One plain-English sentence per target, generated from its numbers.

:func:`target_reading` turns one row of ``tables/target_comparison.csv`` (columns of
:data:`wmp_analysis.analysis.compare.COMPARISON_COLUMNS`) into a sentence such as

    "Burglary of homes fell 14.6% against a target of 8%: met; a fall this large is
    very unlikely to be chance (p < 0.001)."

It is a pure function of the row (and an optional display name for the measure): it reads
no files and never recomputes a status - the status, change and p-value are the ones the
comparison produced.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from typing import Any

from wmp_analysis.analysis.status import Status

#: Below this p-value a change is "unlikely to be chance"; below :data:`P_VERY_UNLIKELY`,
#: "very unlikely". The p-value used is Holm-adjusted when the row has one (``p_adjusted``),
#: so the wording agrees with the comparison's ``significant`` column at alpha 0.05.
P_UNLIKELY = 0.05
P_VERY_UNLIKELY = 0.001


def _num(value: Any) -> float | None:
    """A finite float, or None for missing/blank/NaN/non-numeric."""
    if value is None or isinstance(value, bool):
        return None
    try:
        x = float(value)
    except (TypeError, ValueError):
        return None
    return None if math.isnan(x) or math.isinf(x) else x


def _text(value: Any) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return ""
    return str(value).strip()


def _truthy(value: Any) -> bool:
    if isinstance(value, str):
        return value.strip().lower() in ("true", "1", "yes", "y")
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return False
    return bool(value)


def format_p(p: float | None) -> str:
    """A p-value as a reader sees it: ``p < 0.001``, ``p = 0.012``, ``p = 0.41``.

    Parameters
    ----------
    p : float or None
        Probability in [0, 1].

    Returns
    -------
    str
        ``""`` when *p* is missing.
    """
    p = _num(p)
    if p is None:
        return ""
    if p < P_VERY_UNLIKELY:
        return "p < 0.001"
    if p < 0.01:
        return f"p = {p:.3f}"
    return f"p = {p:.2f}"


def _pct(x: float) -> str:
    """A percentage to one decimal (``14.6%``); the sign is said in words elsewhere."""
    return f"{abs(x):.1f}%"


def _target_pct(x: float) -> str:
    return f"{abs(x):g}%"


def measure_label(row: Mapping[str, Any], name: str | None = None) -> str:
    """The measure's name for a sentence: *name*, else the ``measure_id`` in words.

    A trailing ``(PROXY)`` is dropped (proxies are said in words by :func:`target_reading`),
    and so is a trailing parenthesis that only restates the name - one sharing a word of four
    or more letters with it (``"Burglary of homes (domestic burglary)"`` -> ``"Burglary of
    homes"``). A parenthesis that qualifies the name is kept (``"Satisfaction with the
    overall service (anti-social behaviour)"``, ``"Total recorded crime (excluding fraud)"``).
    """
    label = (
        _text(name)
        or _text(row.get("measure_name"))
        or _text(row.get("measure_id")).replace("_", " ")
    )
    label = re.sub(r"\s*\(\s*proxy\s*\)\s*$", "", label, flags=re.IGNORECASE).strip()
    m = re.match(r"^(?P<main>.*?)\s*\((?P<paren>[^()]*)\)\s*$", label)
    if m:

        def words(t: str) -> set[str]:
            return {w for w in re.findall(r"[a-z]+", t.lower()) if len(w) >= 4}

        if words(m.group("main")) & words(m.group("paren")):
            label = m.group("main").strip()
    label = label or "This measure"
    return label[0].upper() + label[1:]


def _chance_clause(row: Mapping[str, Any], moved: str) -> str:
    """``"; a fall this large is very unlikely to be chance (p < 0.001)"`` or ``""``."""
    p = _num(row.get("p_adjusted"))
    if p is None:
        p = _num(row.get("p_value"))
    if p is None:
        return ""
    if p < P_VERY_UNLIKELY:
        out = f"; a {moved} this large is very unlikely to be chance ({format_p(p)})"
    elif p < P_UNLIKELY:
        out = f"; a {moved} this large is unlikely to be chance ({format_p(p)})"
    else:
        return f"; a change this size could be chance ({format_p(p)})"
    od = _num(row.get("p_value_overdispersed"))
    if od is not None and od >= P_UNLIKELY:
        out += (
            f", but allowing for the extra year-to-year variation seen in the series it could be "
            f"chance ({format_p(od)})"
        )
    return out


def _movement(change: float) -> tuple[str, str]:
    """(verb phrase, noun) for a percentage change: ('fell 14.6%', 'fall')."""
    if change < 0:
        return f"fell {_pct(change)}", "fall"
    if change > 0:
        return f"rose {_pct(change)}", "rise"
    return "was unchanged (0.0%)", "change"


def target_reading(row: Mapping[str, Any], name: str | None = None) -> str:
    """One sentence stating what happened to a target and how sure we can be.

    Parameters
    ----------
    row : mapping
        One row of the target comparison (``dict`` or pandas ``Series``). Columns read:
        ``status``, ``target_kind`` (``pct_change`` / ``level`` / ``direction`` /
        ``reported_figure`` / ``qualitative``), ``direction`` (``up``/``down``),
        ``target_value`` (percent for ``pct_change``; the level otherwise),
        ``baseline_value``, ``actual_value`` (counts, or percentages for survey
        measures), ``pct_change`` (percent), ``projected``, ``p_value``, ``p_adjusted``
        (Holm), ``p_value_overdispersed``, ``proxy``, ``source``, ``note``. Missing
        columns are treated as missing values.
    name : str, optional
        The measure's name as a reader knows it (e.g. from ``measures.csv``).

    Returns
    -------
    str
        A sentence ending in a full stop. The status words are the comparison's own.
    """
    label = measure_label(row, name)
    status = _text(row.get("status")) or Status.NO_RESULT
    kind = _text(row.get("target_kind")).lower()
    direction = _text(row.get("direction")).lower()
    tv = _num(row.get("target_value"))
    bv, av = _num(row.get("baseline_value")), _num(row.get("actual_value"))
    change = _num(row.get("pct_change"))
    proxy = _truthy(row.get("proxy"))
    subject = f"{label} (measured by a proxy)" if proxy else label
    percent_level = _text(row.get("source")).lower().startswith("survey")
    note = _text(row.get("note")).rstrip(".")

    if status == Status.NOT_MEASURABLE:
        why = f": {note}" if note else ""
        return f"{subject}: not measurable from the data supplied{why}."
    if status in (Status.INSUFFICIENT_DATA, Status.NO_RESULT):
        why = note or "a baseline or target-period value is missing"
        return f"{subject}: not judged ({status}) - {why}."
    if status in (Status.CONSISTENT_WITH_PLAN, Status.DIFFERS_FROM_PLAN):
        claimed = f"{tv:g}%" if tv is not None else "a figure"
        est = f"{av:.1f}%" if av is not None else "no estimate"
        return f"The plan reported {claimed} for {label[0].lower() + label[1:]}; the survey estimate is {est}: {status}."

    if status in (Status.ON_TRACK, Status.OFF_TRACK):
        proj = _num(row.get("projected"))
        if proj is not None and bv not in (None, 0.0):
            pc = (proj - bv) / bv * 100.0
            verb = f"is projected to {'fall' if pc < 0 else 'rise'} {_pct(pc)} by the year end"
        else:
            verb = "is projected to the year end"
        target = (
            f" against a target of {_target_pct(tv)}"
            if tv is not None and kind == "pct_change"
            else ""
        )
        return f"{subject} {verb}{target}: {status} (the target year is not complete)."

    if kind == "pct_change" and change is not None:
        verb, noun = _movement(change)
        if tv is None:
            target = ""
        else:
            wanted = "down" if direction == "down" or (not direction and tv < 0) else "up"
            with_target = (change < 0 and wanted == "down") or (change > 0 and wanted == "up")
            target = (
                f" against a target of {_target_pct(tv)}"
                if with_target
                else f" against a target {'fall' if wanted == 'down' else 'rise'} of {_target_pct(tv)}"
            )
        return f"{subject} {verb}{target}: {status}{_chance_clause(row, noun)}."
    if kind == "level" and av is not None:
        unit = "%" if percent_level else ""
        fmt = (lambda x: f"{x:.1f}%") if percent_level else (lambda x: f"{x:,.0f}")
        start = f" from {fmt(bv)}" if bv is not None else ""
        moved = "" if bv is None else ("rose" if av > bv else "fell" if av < bv else "stayed")
        target = f"{tv:g}{unit}" if tv is not None else "the plan's level"
        if moved:
            return f"{subject} {moved}{start} to {fmt(av)} against a target of {target}: {status}."
        return f"{subject} was {fmt(av)} against a target of {target}: {status}."
    if kind == "direction" and change is not None:
        verb, noun = _movement(change)
        wanted = {"down": "a fall", "up": "a rise"}.get(direction, "a change")
        return (
            f"{subject} {verb} (the plan asked for {wanted}): {status}{_chance_clause(row, noun)}."
        )
    return f"{subject}: {status}."
