"""The record of what a police.uk source holds but the reader leaves unread.

Every entry :func:`~wmp_analysis.ingest.archive.discover` does not read is one ``skipped``
record (``path``, ``member``, ``reason``: one of the ``SKIP_*`` texts, ``count``), never a
silent drop; :func:`collect_skipped` gathers them across reader calls and
:func:`describe_skipped` writes them for the console.
"""

from __future__ import annotations

import contextlib
import contextvars
from collections.abc import Iterator, Sequence
from pathlib import Path

#: Why an entry was left unread (the ``reason`` of a skipped record).
SKIP_MACOS = "macOS metadata (__MACOSX/), ignored"


SKIP_HIDDEN = "hidden file or folder (name starts with '.'), ignored"


SKIP_NOT_DATA = "not a police.uk data file (.csv, .csv.gz or .zip), ignored"


SKIP_SAME_FILE = "the same file as one already found (reached through a link), read once"


SKIP_OTHER_FORCE = "files of other forces, not read"


SKIP_OTHER_KIND = "files of kinds not asked for, not read"


_COLLECTOR: contextvars.ContextVar[list | None] = contextvars.ContextVar(
    "police_uk_skipped", default=None
)


@contextlib.contextmanager
def collect_skipped() -> Iterator[list[dict]]:
    """Gather the ``skipped`` records of every :func:`discover` call made inside the block.

    Lets a caller that reaches :func:`discover` through a reader (the ingest pipeline
    through ``read_police_uk``) list what was not read without scanning the source twice::

        with collect_skipped() as skipped:
            result = read_police_uk(path, force="West Midlands")
    """
    out: list[dict] = []
    token = _COLLECTOR.set(out)
    try:
        yield out
    finally:
        _COLLECTOR.reset(token)


def describe_skipped(skipped: Sequence[dict], limit: int = 5) -> list[str]:
    """Console lines for *skipped* records: a count by reason, then up to *limit* names."""
    if not skipped:
        return []
    by_reason: dict[str, int] = {}
    for r in skipped:
        by_reason[r["reason"]] = by_reason.get(r["reason"], 0) + int(r.get("count") or 1)
    total = sum(by_reason.values())
    lines = [
        f"{total} entr{'y' if total == 1 else 'ies'} not read: "
        + "; ".join(f"{n} {reason}" for reason, n in sorted(by_reason.items()))
    ]
    for r in list(skipped)[:limit]:
        name = f"{r['path']}!{r['member']}" if r.get("member") else str(r["path"])
        lines.append(f"  {name}: {r['reason']}")
    if len(skipped) > limit:
        lines.append(f"  ... and {len(skipped) - limit} more (all listed in the ingest manifest)")
    return lines


def _skip(
    skipped: list[dict], path: Path | str, member: str | None, reason: str, count: int = 1
) -> None:
    skipped.append({"path": str(path), "member": member, "reason": reason, "count": int(count)})


class _Tally:
    """Counts files of other forces / unwanted kinds in one folder or zip, for one skipped line each."""

    def __init__(self) -> None:
        self.slugs: dict[str, int] = {}
        self.kinds: dict[str, int] = {}

    def other(self, slug: str) -> None:
        self.slugs[slug] = self.slugs.get(slug, 0) + 1

    def kind(self, kind: str) -> None:
        self.kinds[kind] = self.kinds.get(kind, 0) + 1

    def flush(self, skipped: list[dict], path: Path | str, member: str | None) -> None:
        if self.slugs:
            names = sorted(self.slugs)
            more = f" and {len(names) - 10} more" if len(names) > 10 else ""
            _skip(
                skipped,
                path,
                member,
                f"{SKIP_OTHER_FORCE} ({', '.join(names[:10])}{more})",
                sum(self.slugs.values()),
            )
        if self.kinds:
            _skip(
                skipped,
                path,
                member,
                f"{SKIP_OTHER_KIND} ({', '.join(sorted(self.kinds))})",
                sum(self.kinds.values()),
            )
