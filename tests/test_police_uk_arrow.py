"""The Arrow path of the police.uk reader (what the ingest writes to Parquet)."""

from __future__ import annotations

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
from test_police_uk import STREET_COLUMNS, csv_text, street_row, write

from wmp_analysis.harmonise.police_uk import category_lookup, load_category_map
from wmp_analysis.ingest.police_uk import read_police_uk, tidy_dictionaries

LOOKUP = pd.DataFrame(
    {
        "lsoa_code": ["E01008881", "E01009999"],
        "lsoa_name": ["Birmingham 001A", "Coventry 001A"],
        "lad_code": ["E08000025", "E08000026"],
        "lad_name": ["Birmingham", "Coventry"],
    }
)


def _two_months(tmp_path):
    write(
        tmp_path / "2014-03" / "2014-03-west-midlands-street.csv",
        csv_text(
            STREET_COLUMNS,
            [
                street_row(),
                street_row(ctype="Alien abduction"),
                street_row(ctype="Shoplifting", lsoa=("", "")),
            ],
        ),
    )
    write(
        tmp_path / "2014-04" / "2014-04-west-midlands-street.csv",
        csv_text(
            STREET_COLUMNS,
            [street_row(month="2014-04", ctype="Other theft", lsoa=("E01009999", "Coventry 001A"))],
        ),
    )
    return tmp_path


def test_arrow_tables_equal_pandas_tables_and_round_trip_parquet(tmp_path):
    src = _two_months(tmp_path / "src")
    a = read_police_uk(
        src,
        force="West Midlands",
        lsoa_lookup=LOOKUP,
        kinds=("street",),
        as_arrow=True,
        max_unknown_share=1.0,
    )
    p = read_police_uk(
        src, force="West Midlands", lsoa_lookup=LOOKUP, kinds=("street",), max_unknown_share=1.0
    )
    t = a.tables["street"]
    assert isinstance(t, pa.Table) and t.num_rows == 3
    for name in (
        "crime_type",
        "category",
        "category_stable",
        "district",
        "district_method",
        "source_file",
        "reported_by",
        "falls_within",
        "source_format",
    ):
        assert pa.types.is_dictionary(t.schema.field(name).type), name
    assert a.rejections[["line", "value"]].values.tolist() == [[3, "Alien abduction"]]
    pq.write_table(t, tmp_path / "street.parquet")
    back = pd.read_parquet(tmp_path / "street.parquet")
    assert back["district"].dtype == "category"
    # only values that occur, sorted
    assert list(back["district"].cat.categories) == ["Birmingham", "Coventry", "unassigned"]
    pd.testing.assert_frame_equal(
        back.astype({c: "str" for c in back.columns if back[c].dtype == "category"}),
        p.tables["street"],
        check_dtype=False,
    )
    assert back["district"].tolist() == ["Birmingham", "unassigned", "Coventry"]


def test_tidy_dictionaries_unifies_drops_unused_and_sorts():
    d1 = pa.DictionaryArray.from_arrays(
        pa.array([1, 1, None], pa.int32()), pa.array(["z", "b", "unused"])
    )
    d2 = pa.DictionaryArray.from_arrays(pa.array([0], pa.int32()), pa.array(["a"]))
    t = tidy_dictionaries(pa.table({"x": pa.chunked_array([d1, d2])}))
    col = t.column("x")
    assert col.chunk(0).dictionary.to_pylist() == ["a", "b"]
    assert col.to_pylist() == ["b", "b", None, "a"]


def test_category_lookup_follows_the_windows_of_the_table():
    """Derived from the mapping table by its rule, by hand: a type's row is the one whose
    first_month is the latest not after the month (the first row before every window)."""
    cmap = load_category_map()
    types = [
        "Other crime",
        "Other theft",
        "Violent crime",
        "Public disorder and weapons",
        "Burglary",
    ]
    for month in ("2011-02", "2012-02", "2014-02"):
        lk = category_lookup(month)
        for t in types:
            rows = cmap[cmap["crime_type"] == t].sort_values("first_month")
            started = rows[rows["first_month"] <= month]
            row = (started if len(started) else rows).iloc[-1 if len(started) else 0]
            assert lk[t] == (row["category"], row["category_stable"]), (month, t)
