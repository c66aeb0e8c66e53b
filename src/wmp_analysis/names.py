"""Matching force, offence and district names as people and publishers write them.

A name read from a file or a configuration is compared with the known names only
after :func:`normalise_name`: Unicode NFKC (so a non-breaking space or a
full-width letter reads as the plain character), case folding (``WEST MIDLANDS``
reads as ``West Midlands``, ``robbery`` as ``Robbery``) and runs of white space
collapsed to one space, ends stripped. Nothing else is forgiven: a name that still
does not equal a known one is an error that lists the nearest known names ("did
you mean ..."), never a silent drop and never a new group.

A name holding a control character (NUL, a tab inside a name, any Unicode
category ``Cc``/``Cf`` other than the plain space) is an error, not silently
cleaned: such bytes are a sign of a damaged export.
"""

from __future__ import annotations

import csv
import difflib
import functools
import re
import unicodedata
from collections.abc import Iterable, Mapping
from os import PathLike
from pathlib import Path

from wmp_analysis.errors import (
    InputError,
    UnknownCategoryError,
    UnknownForceError,
    ValueFormatError,
    shorten,
)

__all__ = [
    "FORCES_TABLE",
    "force_index",
    "match_name",
    "name_index",
    "normalise_name",
    "reference_areas",
    "suggestions",
]

_SPACE_RUN = re.compile(r"\s+")

#: ``what`` values whose failures are :class:`UnknownForceError`.
_FORCE_WORDS = frozenset(
    {"force", "forces", "pfa", "police force", "police force area", "comparator", "comparators"}
)


def _control_chars(text: str) -> list[str]:
    """Control and format characters in *text* (ordinary spaces excluded)."""
    return [ch for ch in text if unicodedata.category(ch) in ("Cc", "Cf", "Zl", "Zp") and ch != " "]


def normalise_name(
    text: str,
    *,
    path: str | PathLike | None = None,
    row: int | None = None,
    field: str | None = None,
) -> str:
    """The comparison form of a name: NFKC, case folded, white space collapsed.

    Parameters
    ----------
    text : str
        A force, offence group or district name as written.
    path, row, field : optional
        Where the name came from, used only in the error message.

    Returns
    -------
    str
        ``unicodedata.normalize("NFKC", text).casefold()`` with every run of white
        space replaced by one space and the ends stripped. Two names are "the same"
        exactly when their normal forms are equal.

    Raises
    ------
    ValueFormatError
        *text* is not a str, or holds a control character (e.g. NUL, a tab, a
        line break, a zero-width or bidi format character): these are reported,
        not removed.

    Examples
    --------
    >>> normalise_name("  WEST\\u00a0Midlands ")
    'west midlands'
    """
    if not isinstance(text, str):
        raise ValueFormatError(
            f"{shorten(text)} is not a text name",
            path=path,
            row=row,
            field=field,
            expected="a name as text",
        )
    bad = _control_chars(text)
    if bad:
        codes = ", ".join(f"U+{ord(c):04X}" for c in dict.fromkeys(bad))
        raise ValueFormatError(
            f"name {shorten(text)} contains control character(s) {codes}",
            path=path,
            row=row,
            field=field,
            expected="a name of printable characters",
        )
    folded = unicodedata.normalize("NFKC", text).casefold()
    return _SPACE_RUN.sub(" ", folded).strip()


def name_index(known: Iterable[str]) -> dict[str, str]:
    """Map each known name's normal form to the known name itself.

    Raises
    ------
    ValueError
        Two known names share one normal form (the reference list is ambiguous).
    """
    index: dict[str, str] = {}
    for name in known:
        key = normalise_name(name)
        if key in index and index[key] != name:
            raise ValueError(
                f"known names {index[key]!r} and {name!r} are the same after normalisation"
            )
        index[key] = name
    return index


def suggestions(value: str, known: Iterable[str], *, n: int = 3, cutoff: float = 0.6) -> list[str]:
    """Up to *n* known names nearest to *value* (difflib ratio on the normal forms).

    A known name that contains the value's normal form as a whole word sequence
    (``West Midlands`` for ``midlands``) is offered even if the ratio is low.
    """
    try:
        key = normalise_name(value)
    except InputError:
        cleaned = "".join(
            ch for ch in str(value) if not _control_chars(ch)
        )  # only to suggest, never to match
        key = _SPACE_RUN.sub(" ", unicodedata.normalize("NFKC", cleaned).casefold()).strip()
    index = {normalise_name(k): k for k in known}
    close = difflib.get_close_matches(key, list(index), n=n, cutoff=cutoff)
    if len(close) < n and key:
        for k in sorted(index):
            if k not in close and (f" {key} " in f" {k} " or f" {k} " in f" {key} "):
                close.append(k)
            if len(close) >= n:
                break
    return [index[k] for k in close]


def _error_class(what: str) -> type[InputError]:
    return UnknownForceError if what.strip().casefold() in _FORCE_WORDS else UnknownCategoryError


def match_name(
    value: str,
    known: Iterable[str] | Mapping[str, str],
    *,
    what: str,
    path: str | PathLike | None = None,
    row: int | None = None,
    field: str | None = None,
) -> str:
    """The known name that *value* denotes, after :func:`normalise_name`.

    Parameters
    ----------
    value : str
        The name as written in a file or a configuration.
    known : iterable of str, or a mapping from :func:`name_index`
        The canonical names (e.g. the 43 police force areas of England and Wales,
        the ONS offence groups, the districts of the lookup).
    what : str
        What kind of name it is, used in the message and to choose the error:
        ``"force"`` (also ``"pfa"``, ``"comparator"``) raises
        :class:`~wmp_analysis.errors.UnknownForceError`; anything else
        (``"offence"``, ``"district"``, ...) raises
        :class:`~wmp_analysis.errors.UnknownCategoryError`.
    path, row, field : optional
        Where *value* came from (file, 1-based line with header = line 1, column
        or config key), named in the error.

    Returns
    -------
    str
        The canonical spelling from *known*.

    Raises
    ------
    ValueFormatError
        *value* holds a control character (e.g. NUL) or is not text.
    UnknownForceError, UnknownCategoryError
        No known name has the same normal form; the message lists the nearest
        known names ("did you mean ...") or says that none is close.
    """
    if isinstance(known, Mapping):
        index = dict(known)
        names = list(dict.fromkeys(index.values()))
    else:
        names = list(known)
        index = name_index(names)
    key = normalise_name(value, path=path, row=row, field=field)
    if key in index:
        return index[key]
    near = suggestions(value, names)
    hint = (
        f"; did you mean {' or '.join(repr(n) for n in near)}?"
        if near
        else "; no known name is close"
    )
    raise _error_class(what)(
        f"unknown {what} {shorten(value)}{hint}",
        path=path,
        row=row,
        field=field,
        expected=f"one of the {len(names)} known {what} names (case and spacing are ignored)",
    )


# ----------------------------------------------------------------------------- reference list of areas

#: The reference list of police force areas (and the other areas ONS tables carry).
FORCES_TABLE = Path(__file__).resolve().parents[2] / "data" / "raw" / "reference" / "forces.csv"

#: Kinds of area in :data:`FORCES_TABLE`.
AREA_KINDS = ("pfa", "other", "fraud_body", "region", "country")


@functools.lru_cache(maxsize=4)
def reference_areas(path: str | None = None) -> tuple[dict, ...]:
    """Rows of ``data/raw/reference/forces.csv`` (name, code, kind, region, aliases).

    One row per area: the 43 territorial police force areas of England and Wales
    (``kind = pfa``, with their ONS codes: E23 in England, W15 in Wales), the other
    bodies the ONS rolling-year file carries as "PFA" (British Transport Police,
    Action Fraud, CIFAS, UK Finance) and the regions (E12) and countries (E92,
    W92, K04) that ONS force tables list beside the forces. ``name`` is the spelling
    of the ONS rolling-year file; ``aliases`` (``|``-separated) are other spellings
    publishers use (``Devon & Cornwall``, ``London, City of``).

    Returns
    -------
    tuple of dict
        ``aliases`` as a tuple of str; other fields as str.
    """
    src = Path(path) if path else FORCES_TABLE
    with open(src, encoding="utf-8", newline="") as fh:
        rows = list(csv.DictReader(fh))
    out = []
    for r in rows:
        if r["kind"] not in AREA_KINDS:
            raise ValueError(
                f"{src}: kind {r['kind']!r} of {r['name']!r} is not one of {AREA_KINDS}"
            )
        out.append({**r, "aliases": tuple(a for a in r["aliases"].split("|") if a)})
    return tuple(out)


def force_index(kinds: Iterable[str] = ("pfa", "other", "fraud_body")) -> dict[str, str]:
    """Normal form of every name and alias of the areas of *kinds* -> canonical name.

    Use with :func:`match_name` (``match_name(v, force_index(), what="force")``).
    """
    kinds = tuple(kinds)
    index: dict[str, str] = {}
    for r in reference_areas():
        if r["kind"] in kinds:
            for n in (r["name"], *r["aliases"]):
                key = normalise_name(n)
                if index.get(key, r["name"]) != r["name"]:
                    raise ValueError(
                        f"{FORCES_TABLE}: {n!r} names both {index[key]!r} and {r['name']!r}"
                    )
                index[key] = r["name"]
    return index
