"""What the config check needs to know of source files, without the ingest's readers.

The configuration is validated before any data is read (:mod:`wmp_analysis.config_schema`),
and it must not depend on the ingest (data flows ingest -> harmonise -> measures ->
analysis -> report; the core sits above all of them). Two small pieces live here:

* the police.uk file naming scheme (``YYYY-MM-<force>-<kind>.csv[.gz]``), which the
  archive reader (:mod:`wmp_analysis.ingest.archive`) uses too;
* :func:`lookup_names`: the distinct names in the name columns of an ONS geography lookup
  (``LAD..NM``, ``PFA..NM``), read with the ``csv`` module only, so that the force,
  comparators and districts of a config can be checked against them. Any problem gives
  ``None``: the ingest's reader then reports the file's own problem with its line.
"""

from __future__ import annotations

import csv
import gzip
import io
import re
from pathlib import Path

from wmp_analysis.names import normalise_name

#: A police.uk monthly file name: month, force slug, kind (lower case).
POLICE_UK_FILE_RE = re.compile(
    r"^(?P<month>\d{4}-\d{2})-(?P<slug>[a-z0-9]+(?:-[a-z0-9]+)*?)-(?P<kind>street|outcomes|stop-and-search)"
    r"\.csv(?P<gz>\.gz)?$"
)

#: Name columns of the lookups, by config key: output name -> header pattern (any vintage).
LOOKUP_NAME_COLUMNS: dict[str, dict[str, str]] = {
    "lad_lookup": {"pfa_name": r"PFA\d\dNM", "lad_name": r"LAD\d\dNM"},
    "lsoa_lookup": {"lad_name": r"LAD\d\dNM"},
}
#: The other columns that make a file that lookup (each must be there once, as its reader
#: requires), by config key.
LOOKUP_OTHER_COLUMNS: dict[str, tuple[str, ...]] = {
    "lad_lookup": (r"LAD\d\dCD", r"CSP\d\dCD", r"CSP\d\dNM", r"PFA\d\dCD"),
    "lsoa_lookup": (r"LSOA11CD", r"LSOA11NM", r"WD\d\dCD", r"WD\d\dNM", r"LAD\d\dCD"),
}


def parse_file_name(name: str) -> tuple[str, str, str] | None:
    """``"2011-02-west-midlands-street.csv"`` -> ``("2011-02", "west-midlands", "street")``.

    Case is ignored (``2011-02-West-Midlands-Street.CSV`` gives the same); the slug and
    kind are returned in lower case. Returns ``None`` when *name* does not follow the
    police.uk naming scheme.
    """
    m = POLICE_UK_FILE_RE.match(name.lower())
    if not m:
        return None
    return m.group("month"), m.group("slug"), m.group("kind")


def lookup_names(
    path: Path, key: str, limit_bytes: int = 256 * 1024**2
) -> dict[str, set[str]] | None:
    """Distinct names in the name columns of lookup *key* (``lad_lookup``, ``lsoa_lookup``).

    Parameters
    ----------
    path : Path
        The lookup (``.csv`` or ``.csv.gz``).
    key : str
        Which lookup: its columns are :data:`LOOKUP_NAME_COLUMNS` ``[key]``.
    limit_bytes : int
        Larger files (compressed or not) are not read here (``None``).

    Returns
    -------
    dict of str -> set of str, or None
        Output column -> the names (stripped). ``None`` when the file cannot be used:
        not UTF-8, no header row, not exactly one column per pattern (of the name columns
        and of :data:`LOOKUP_OTHER_COLUMNS`), a record with
        another number of fields than the header, an empty name or a name with a
        control character. The ingest's reader reports those, naming the line.
    """
    columns = LOOKUP_NAME_COLUMNS[key]
    try:
        if path.stat().st_size > limit_bytes:
            return None
        raw = path.read_bytes()
        data = gzip.decompress(raw) if path.name.lower().endswith(".gz") else raw
        if len(data) > limit_bytes:
            return None
        rows = csv.reader(io.StringIO(data.decode("utf-8-sig"), newline=""), strict=True)
        header = [h.strip() for h in next(rows, [])]
        for pattern in LOOKUP_OTHER_COLUMNS[key]:
            if sum(1 for h in header if re.fullmatch(pattern, h)) != 1:
                return None
        index = {}
        for out, pattern in columns.items():
            hits = [i for i, h in enumerate(header) if re.fullmatch(pattern, h)]
            if len(hits) != 1:
                return None
            index[out] = hits[0]
        names: dict[str, set[str]] = {out: set() for out in columns}
        for row in rows:
            if not row:
                continue
            if len(row) != len(header):
                return None
            for out, i in index.items():
                value = row[i].strip()
                if not value:
                    return None
                normalise_name(value)  # a control character: the reader names the line
                names[out].add(value)
    except (OSError, ValueError, csv.Error, EOFError):
        return None
    return names
