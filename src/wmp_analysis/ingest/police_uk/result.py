"""What the police.uk reader returns: the report fields, one result for a read, one per month."""

from __future__ import annotations

from dataclasses import dataclass, field

import pandas as pd


@dataclass(kw_only=True)
class PoliceUkReport:
    """What a read of a force's police.uk files reports, besides the tables.

    Shared by :class:`PoliceUkResult` (:func:`~wmp_analysis.ingest.police_uk.read_police_uk`)
    and :class:`~wmp_analysis.ingest.dataset_ingest.DatasetIngest` (the partitioned dataset).

    Attributes
    ----------
    rejections : DataFrame
        ``path, line, field, value, reason``: rows dropped (a value outside its
        reference table, a duplicate Crime ID, a stop-search date outside its file's
        month) and locations rejected (reason starts "location rejected, record kept";
        the row stays in the table with null coordinates), sorted by file and line.
    files : list of dict
        Every file read: ``path, member, kind, format, month, rows_read, size,
        sha256, synthetic`` (for zip members, size and sha256 are of the member's
        bytes, and ``archive_sha256`` is the zip's).
    missing_months : dict of kind -> list of "YYYY-MM"
        Months in the configured range (or, without one, between the first and
        last file) with no file. Reported, never filled.
    out_of_range : list of dict
        Files whose month lies outside *months*: not read, listed here.
    empty_files : list of dict
        Files with a header and no rows (``path, member, kind, month, reason``): their
        month is in ``missing_months``, never a month of zero.
    not_recorded : dict of kind -> dict of field -> int
        Blank cells kept as data (e.g. ``{"stop-and-search": {"Gender": 120}}``), in
        rows read (before rejections of other fields).
    location_rejections : dict of kind -> int
        Records whose location was rejected (coordinates nulled, record kept); each
        is also a row of ``rejections``.
    """

    rejections: pd.DataFrame | None = None
    files: list[dict] = field(default_factory=list)
    missing_months: dict[str, list[str]] = field(default_factory=dict)
    out_of_range: list[dict] = field(default_factory=list)
    empty_files: list[dict] = field(default_factory=list)
    not_recorded: dict[str, dict[str, int]] = field(default_factory=dict)
    location_rejections: dict[str, int] = field(default_factory=dict)

    def rejection_counts(self) -> dict[str, int]:
        """Rejected rows by reason."""
        if self.rejections is None:
            return {}
        return {
            str(k): int(v) for k, v in self.rejections["reason"].value_counts().sort_index().items()
        }


@dataclass(kw_only=True)
class PoliceUkResult(PoliceUkReport):
    """What :func:`~wmp_analysis.ingest.police_uk.read_police_uk` returns: the tables and the
    report (:class:`PoliceUkReport`).

    Attributes
    ----------
    tables : dict of str -> DataFrame
        ``"street"``, ``"outcomes"``, ``"stop_search"`` (docs/CONTRACTS.md), one per
        kind read (an empty table with the right columns when no file was found).
    """

    tables: dict[str, pd.DataFrame]


@dataclass
class MonthResult:
    """One month of one force, as :func:`~wmp_analysis.ingest.police_uk.iter_police_uk_months`
    yields it.

    Attributes
    ----------
    month : str
        ``YYYY-MM``.
    tables : dict of str -> pyarrow.Table
        ``street``, ``outcomes``, ``stop_search`` of the kinds with a file this month
        (as :func:`read_police_uk` with ``as_arrow=True`` builds them).
    rejections : DataFrame
        This month's rejections (``path, line, field, value, reason``), sorted by file and line.
    files : list of dict
        This month's file records (as :attr:`PoliceUkReport.files`).
    not_recorded, location_rejections : dict
        This month's counts (as in :class:`PoliceUkReport`).
    """

    month: str
    tables: dict
    rejections: pd.DataFrame
    files: list
    not_recorded: dict
    location_rejections: dict
