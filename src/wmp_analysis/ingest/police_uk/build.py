"""One builder per kind: a parsed, checked police.uk file -> its output table.

This is the one module of the police.uk reader that imports :mod:`wmp_analysis.harmonise`:
the street builder maps crime types to categories (``harmonise_street_arrow``) and every
builder places records in districts (``district_codes``) as each file is read, so that a
month is harmonised once, in Arrow, and never held twice. Parsing
(:mod:`~wmp_analysis.ingest.police_uk.parse`) and validation
(:mod:`~wmp_analysis.ingest.police_uk.validate`) know nothing of harmonising.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from wmp_analysis.harmonise.police_uk import (
    DISTRICT_METHODS,
    DistrictLookup,
    district_codes,
    harmonise_street_arrow,
)
from wmp_analysis.ingest.archive import PoliceUkFile
from wmp_analysis.ingest.police_uk.arrays import (
    _as_dict,
    _column_or_null,
    _const_dict,
    _const_str,
    _dict_codes,
    _month_array,
)
from wmp_analysis.ingest.police_uk.parse import Lines
from wmp_analysis.ingest.police_uk.schema import _STOP_SEARCH_FIELDS, EW_LAT_LON_BOX, EW_OSGB_BOX
from wmp_analysis.ingest.police_uk.validate import (
    _check_force_column,
    _check_location,
    _check_month_column,
    _check_values,
    _Context,
    _reject_duplicates,
    _rejections_frame,
    _to_float,
)
from wmp_analysis.ingest.police_uk_reference import check_unknown_share


@dataclass
class _BuildContext(_Context):
    """:class:`~wmp_analysis.ingest.police_uk.validate._Context` plus the LSOA -> district lookup."""

    districts: DistrictLookup | None = None


def new_context(lsoa_lookup, max_unknown_share: float) -> _BuildContext:
    """A fresh context for one read: the district lookup of *lsoa_lookup* (a DataFrame or
    None) and the unknown-value threshold."""
    return _BuildContext(
        districts=DistrictLookup(lsoa_lookup), max_unknown_share=float(max_unknown_share)
    )


def _street_location(ctx: _Context, fmt: str, table, lines: Lines, d: str, keep: np.ndarray):
    """``(longitude, latitude, easting, northing)`` of a street file, each location checked
    (the current format has degrees, the 2010-11 format OSGB36 metres; the other pair null)."""
    n = table.num_rows
    if fmt == "street":
        lon, lat = _check_location(
            ctx,
            "street",
            d,
            lines,
            _to_float(table, "longitude", d, lines),
            _to_float(table, "latitude", d, lines),
            ("longitude", "latitude"),
            EW_LAT_LON_BOX,
            keep,
        )
        east = north = pa.nulls(n, pa.float64())
    else:
        lon = lat = pa.nulls(n, pa.float64())
        east, north = _check_location(
            ctx,
            "street",
            d,
            lines,
            _to_float(table, "easting", d, lines),
            _to_float(table, "northing", d, lines),
            ("easting", "northing"),
            EW_OSGB_BOX,
            keep,
        )
    return lon, lat, east, north


def _street_table(
    fmt, table, lines: Lines, f: PoliceUkFile, slug: str, synthetic: bool, ctx: _Context
) -> pa.Table:
    d = f.display
    _check_month_column(table, f.month, d, lines)
    _check_force_column(table, slug, d, lines)
    n = table.num_rows
    crime_type = _as_dict(table.column("crime_type"))
    category, stable, known = harmonise_street_arrow(crime_type, f.month)
    if not known.all():  # threshold first: a thinned file never gets further
        rows = np.flatnonzero(~known)
        values = pc.take(crime_type, pa.array(rows)).cast(pa.large_string()).to_pylist()
        check_unknown_share(
            d, "Crime type", values, n, ctx.max_unknown_share, "police_uk_categories.csv"
        )
    keep = known.copy()
    if fmt == "street":
        _check_values(ctx, "street", "Last outcome category", table, lines, d, keep)
    keep &= ~_reject_duplicates(ctx, table, lines, d, ["crime_id"], "Crime ID", keep)
    lon, lat, east, north = _street_location(ctx, fmt, table, lines, d, keep)
    lsoa_code = _column_or_null(table, "lsoa_code")
    lsoa_name = _column_or_null(table, "lsoa_name")
    has_lsoa = "lsoa_code" in table.column_names
    dist, method = district_codes(
        lsoa_code if has_lsoa else None, lsoa_name if has_lsoa else None, ctx.districts, n
    )
    out = pa.table(
        {
            "crime_id": _column_or_null(table, "crime_id"),
            "month": _month_array(f.month, n),
            "reported_by": _as_dict(table.column("reported_by")),
            "falls_within": _as_dict(table.column("falls_within")),
            "longitude": lon,
            "latitude": lat,
            "easting": east,
            "northing": north,
            "location": table.column("location"),
            "lsoa_code": lsoa_code,
            "lsoa_name": lsoa_name,
            "crime_type": crime_type,
            "category": category,
            "category_stable": stable,
            "last_outcome": _column_or_null(table, "last_outcome"),
            "context": table.column("context"),
            "district": _dict_codes(dist, ctx.districts.labels),
            "district_method": _dict_codes(method, DISTRICT_METHODS),
            "source_format": _const_dict(fmt, n),
            "source_file": _const_dict(d, n),
            "synthetic": pa.array(np.full(n, synthetic)),
        }
    )
    if not known.all():
        rows = np.flatnonzero(~known)
        values = pc.take(crime_type, pa.array(rows)).cast(pa.large_string()).to_pylist()
        ctx.rejections.append(
            _rejections_frame(
                d, lines, rows, values, "crime_type", "crime type not in police_uk_categories.csv"
            )
        )
    return out if keep.all() else out.filter(pa.array(keep))


def _outcomes_table(
    fmt, table, lines: Lines, f: PoliceUkFile, slug: str, synthetic: bool, ctx: _Context
) -> pa.Table:
    d = f.display
    _check_month_column(table, f.month, d, lines)
    _check_force_column(table, slug, d, lines)
    n = table.num_rows
    keep = np.ones(n, dtype=bool)
    _check_values(ctx, "outcomes", "Outcome type", table, lines, d, keep)
    keep &= ~_reject_duplicates(
        ctx, table, lines, d, ["crime_id", "outcome_type"], "Crime ID and Outcome type", keep
    )
    lon, lat = _check_location(
        ctx,
        "outcomes",
        d,
        lines,
        _to_float(table, "longitude", d, lines),
        _to_float(table, "latitude", d, lines),
        ("longitude", "latitude"),
        EW_LAT_LON_BOX,
        keep,
    )
    dist, _method = district_codes(
        table.column("lsoa_code"), table.column("lsoa_name"), ctx.districts, n
    )
    out = pa.table(
        {
            "crime_id": table.column("crime_id"),
            "month": _month_array(f.month, n),
            "reported_by": _as_dict(table.column("reported_by")),
            "falls_within": _as_dict(table.column("falls_within")),
            "longitude": lon,
            "latitude": lat,
            "location": table.column("location"),
            "lsoa_code": table.column("lsoa_code"),
            "lsoa_name": table.column("lsoa_name"),
            "outcome_type": table.column("outcome_type"),
            "district": _dict_codes(dist, ctx.districts.labels),
            "source_file": _const_dict(d, n),
            "synthetic": pa.array(np.full(n, synthetic)),
        }
    )
    return out if keep.all() else out.filter(pa.array(keep))


def _stop_search_table(
    fmt, table, lines: Lines, f: PoliceUkFile, slug: str, synthetic: bool, ctx: _Context
) -> pa.Table:
    d = f.display
    n = table.num_rows
    cols = {
        name: _column_or_null(table, name)
        for name in (
            "type",
            "date_text",
            "part_of_policing_operation",
            "policing_operation",
            "gender",
            "age_range",
            "self_defined_ethnicity",
            "officer_defined_ethnicity",
            "legislation",
            "object_of_search",
            "outcome",
            "outcome_linked_to_object",
            "removal_of_more_than_outer_clothing",
        )
    }
    keep = np.ones(n, dtype=bool)
    for field_name in _STOP_SEARCH_FIELDS:
        _check_values(ctx, "stop-and-search", field_name, table, lines, d, keep)
    cols["latitude"], cols["longitude"] = _check_location(
        ctx,
        "stop-and-search",
        d,
        lines,
        _to_float(table, "latitude", d, lines),
        _to_float(table, "longitude", d, lines),
        ("latitude", "longitude"),
        EW_LAT_LON_BOX,
        keep,
    )
    cols["month"] = _month_array(f.month, n)
    cols["file_month"] = _const_str(f.month, n)
    cols["source_file"] = _const_str(d, n)
    cols["synthetic"] = pa.array(np.full(n, synthetic))
    cols["_line"] = pa.array(lines.array())
    out = pa.table(cols)
    return out if keep.all() else out.filter(pa.array(keep))


_BUILDERS = {
    "street": _street_table,
    "outcomes": _outcomes_table,
    "stop-and-search": _stop_search_table,
}
