"""Exception types for bad input.

Every error raised for bad input names the file, the row (1-based line number in
the file, header = line 1) or the field, and what was expected, so that an analyst
can open the file and find the problem without reading a traceback.

All input errors derive from :class:`InputError` (itself a ``ValueError``) so that
callers can catch one type; the subclasses say *what kind* of problem it was and
tests assert on the exact kind.
"""

from __future__ import annotations

import re
from os import PathLike
from typing import Any

#: The most characters of an input value that any message quotes.
VALUE_LIMIT = 200


def shorten(value: Any, limit: int = VALUE_LIMIT) -> str:
    """``repr`` of *value* cut to at most *limit* characters, for quoting in a message.

    A value longer than that (a 50 MB "header", a runaway field) is cut and marked with
    the number of characters left out, e.g. ``'aaaa...' (+49999800 characters)``.

    Parameters
    ----------
    value : Any
        The offending value (usually a str).
    limit : int
        Characters of the value to keep (default 200).
    """
    text = value if isinstance(value, str) else repr(value)
    if len(text) <= limit:
        return repr(text) if isinstance(value, str) else text
    kept = text[:limit]
    return f"{kept!r}... (+{len(text) - limit} characters)"


#: The longest message printed on the console for one error. Messages quote at most
#: :data:`VALUE_LIMIT` characters of a value; this also bounds one built without :func:`shorten`.
MESSAGE_LIMIT = 2000


_LONG_QUOTED = re.compile(f"'([^'\\n]{{{VALUE_LIMIT + 1},}})'|\"([^\"\\n]{{{VALUE_LIMIT + 1},}})\"")


def bounded(text: Any, limit: int = MESSAGE_LIMIT) -> str:
    """A message fit for the console: every quoted value cut by :func:`shorten`, the whole
    cut to *limit* characters (saying how many were left out).

    Guards messages that quote a value without :func:`shorten` (a 50 MB header).
    """
    text = _LONG_QUOTED.sub(
        lambda m: shorten(m.group(1) if m.group(1) is not None else m.group(2)), str(text)
    )
    if len(text) <= limit:
        return text
    return f"{text[:limit]}... (message cut: {len(text) - limit} more characters)"


class InputError(ValueError):
    """A problem with an input file or value.

    Parameters
    ----------
    message : str
        What is wrong, in plain words.
    path : str or PathLike, optional
        The file the problem is in.
    row : int, optional
        1-based line number in the file (the header is line 1).
    field : str, optional
        Column or key name.
    expected : str, optional
        What was expected instead.
    """

    kind = "input"

    def __init__(
        self,
        message: str,
        *,
        path: str | PathLike | None = None,
        row: int | None = None,
        field: str | None = None,
        expected: str | None = None,
    ) -> None:
        # Bounded at the source: a message that quotes a runaway value (a 50 MB header)
        # is cut here, so no caller, manifest or log ever holds the whole of it.
        self.message = bounded(message)
        expected = None if expected is None else bounded(expected)
        self.path = None if path is None else str(path)
        self.row = row
        self.field = field
        self.expected = expected
        super().__init__(self._render())

    def _render(self) -> str:
        where = []
        if self.path is not None:
            where.append(f"file {self.path}")
        if self.row is not None:
            where.append(f"line {self.row}")
        if self.field is not None:
            where.append(f"field {self.field!r}")
        text = self.message
        if where:
            text = f"{', '.join(where)}: {text}"
        if self.expected:
            text += f" (expected {self.expected})"
        return text

    def to_dict(self) -> dict[str, Any]:
        """A JSON-serialisable description, used in manifests."""
        return {
            "kind": self.kind,
            "message": self.message,
            "path": self.path,
            "row": self.row,
            "field": self.field,
            "expected": self.expected,
        }


class SchemaError(InputError):
    """Missing, extra or reordered columns; wrong header; empty file."""

    kind = "schema"


class ValueFormatError(InputError):
    """A value that cannot be parsed (non-numeric count, impossible date...)."""

    kind = "value"


class EncodingError(InputError):
    """Bytes that are not valid in the expected text encoding."""

    kind = "encoding"


class ArchiveError(InputError):
    """A truncated/corrupt gzip or zip, a path-traversal entry, or a zip bomb."""

    kind = "archive"


class DuplicatePeriodError(InputError):
    """Two inputs (or rows) for the same period where only one may exist."""

    kind = "duplicate"


class UnknownCategoryError(InputError):
    """A category (crime type, offence, ethnicity...) outside the documented set."""

    kind = "category"


class UnknownForceError(InputError):
    """A force name that is not in the source, or a file of another force."""

    kind = "force"


class PeriodError(InputError):
    """A period outside the configured range, or an impossible period."""

    kind = "period"


class ConfigError(InputError):
    """A run configuration that is missing keys or has invalid values."""

    kind = "config"


class DownloadError(RuntimeError):
    """A download that failed after bounded retries. No partial file is kept."""
