"""police.uk crime-type harmonisation and district assignment."""

from __future__ import annotations

import pandas as pd
import pyarrow as pa
import pytest
from test_police_uk import WM, csv_text, street_row, write

from wmp_analysis.errors import SchemaError
from wmp_analysis.harmonise.police_uk import (
    DISTRICT_METHODS,
    STABLE_CATEGORIES,
    DistrictLookup,
    district_codes,
    harmonise_street_arrow,
    load_category_map,
)
from wmp_analysis.ingest.arrowtools import map_strings
from wmp_analysis.ingest.manifest import district_assignment
from wmp_analysis.ingest.police_uk import STREET_COLUMNS, STREET_OUT, read_police_uk

EARLY = [
    "Anti-social behaviour",
    "Burglary",
    "Robbery",
    "Vehicle crime",
    "Violent crime",
    "Other crime",
]
SEPT_2011 = [
    "Criminal damage and arson",
    "Shoplifting",
    "Other theft",
    "Drugs",
    "Public disorder and weapons",
]
MAY_2013 = [
    "Violence and sexual offences",
    "Public order",
    "Possession of weapons",
    "Bicycle theft",
    "Theft from the person",
]


def harmonise(types, months):
    """``(category, category_stable, known)`` per row, as the reader gets them: one
    :func:`harmonise_street_arrow` call per month (a file holds one month)."""
    cat, stable, known = [None] * len(types), [None] * len(types), [False] * len(types)
    for month in dict.fromkeys(months):
        rows = [i for i, m in enumerate(months) if m == month]
        c, st, k = harmonise_street_arrow(
            pa.chunked_array([pa.array([types[i] for i in rows], type=pa.string())]), month
        )
        for j, i in enumerate(rows):
            cat[i], stable[i], known[i] = c[j].as_py(), st[j].as_py(), bool(k[j])
    return cat, stable, known


def test_table_covers_every_published_type_once_per_window():
    cmap = load_category_map()
    assert set(cmap["crime_type"]) == set(EARLY + SEPT_2011 + MAY_2013)
    assert set(cmap["category_stable"]) == set(STABLE_CATEGORIES)
    first = cmap.groupby("crime_type")["first_month"].min()
    assert all(first[t] == "2010-12" for t in EARLY)
    assert all(first[t] == "2011-09" for t in SEPT_2011 if t != "Other theft")
    assert all(first[t] == "2013-05" for t in MAY_2013)
    ended = cmap.dropna(subset=["last_month"]).set_index(["crime_type", "first_month"])[
        "last_month"
    ]
    assert ended[("Violent crime", "2010-12")] == "2013-04"
    assert ended[("Public disorder and weapons", "2011-09")] == "2013-04"
    assert ended[("Other crime", "2010-12")] == "2011-08"


def test_hand_worked_mapping_across_the_two_changes():
    types = [
        "Other crime",
        "Other crime",
        "Violent crime",
        "Violence and sexual offences",
        "Other theft",
        "Other theft",
        "Public disorder and weapons",
        "Public order",
        "Bicycle theft",
        "Shoplifting",
    ]
    months = [
        "2011-02",
        "2012-02",
        "2012-02",
        "2014-02",
        "2012-02",
        "2014-02",
        "2012-02",
        "2014-02",
        "2014-02",
        "2014-02",
    ]
    cat, stable, known = harmonise(types, months)
    assert all(known)
    assert cat == [
        "Other crime (2010-11 broad group)",
        "Other crime",
        "Violence and sexual offences",
        "Violence and sexual offences",
        "Other theft incl. bicycle theft and theft from the person",
        "Other theft",
        "Public order or possession of weapons",
        "Public order",
        "Bicycle theft",
        "Shoplifting",
    ]
    assert stable == [
        "Other crime",
        "Other crime",
        "Violent crime",
        "Violent crime",
        "Other crime",
        "Other crime",
        "Other crime",
        "Other crime",
        "Other crime",
        "Other crime",
    ]
    # in the street table the two columns follow crime_type, as text dictionaries
    c, st, _ = harmonise_street_arrow(pa.chunked_array([pa.array(types, pa.string())]), "2014-02")
    assert c.type == st.type == pa.dictionary(pa.int32(), pa.string())
    assert STREET_OUT.index("category") == STREET_OUT.index("crime_type") + 1
    assert STREET_OUT.index("category_stable") == STREET_OUT.index("crime_type") + 2


def test_stable_totals_conserved():
    types = EARLY * 3 + SEPT_2011 + MAY_2013
    months = ["2011-01"] * 6 + ["2012-01"] * 6 + ["2014-01"] * 6 + ["2012-01"] * 5 + ["2014-01"] * 5
    _cat, stable, known = harmonise(types, months)
    assert all(known) and len(stable) == len(types)
    assert set(stable) <= set(STABLE_CATEGORIES)


def test_unknown_and_missing_types_rejected(tmp_path):
    _, _, known = harmonise(["Burglary", "Cyber stuff", None], ["2014-01"] * 3)
    assert known == [True, False, False]
    # as the ingest uses it: the rows are dropped and listed with their line and value
    rows = [street_row(month="2014-01", ctype=t) for t in ("Burglary", "Cyber stuff", "")]
    write(tmp_path / "2014-01" / "2014-01-west-midlands-street.csv", csv_text(STREET_COLUMNS, rows))
    res = read_police_uk(tmp_path, force=WM, kinds=["street"], max_unknown_share=1.0)
    assert res.tables["street"]["crime_type"].tolist() == ["Burglary"]
    rej = res.rejections
    assert rej["line"].tolist() == [3, 4] and rej["value"].tolist() == ["Cyber stuff", ""]
    assert list(rej.columns) == ["path", "line", "field", "value", "reason"]


def test_bad_mapping_table(tmp_path):
    p = tmp_path / "m.csv"
    p.write_text(
        "crime_type,first_month,last_month,category,category_stable,note\n"
        "Burglary,2010-12,,Burglary,Housebreaking,\n"
    )
    with pytest.raises(SchemaError) as e:
        load_category_map(p)
    assert e.value.row == 2 and e.value.field == "category_stable"
    p.write_text(
        "crime_type,first_month,last_month,category,category_stable,note\n"
        "Other crime,2010-12,2012-01,A,Other crime,\nOther crime,2011-09,,B,Other crime,\n"
    )
    with pytest.raises(SchemaError, match="overlapping"):
        load_category_map(p)


def test_district_codes_methods_and_summary():
    lookup = pd.DataFrame(
        {
            "lsoa_code": ["E01000001", "E01000002"],
            "lsoa_name": ["Dudley 001A", "Walsall 002B"],
            "lad_code": ["E08000027", "E08000030"],
            "lad_name": ["Dudley", "Walsall"],
        }
    )
    codes = pa.chunked_array([pa.array(["E01000001", None, "E09999999", None, None])])
    names = pa.chunked_array(
        [pa.array(["Dudley 001A", "Walsall 002B", "Walsall 099Z", "Cardiff 001A", None])]
    )
    lk = DistrictLookup(lookup)
    dist, method = district_codes(codes, names, lk, 5)
    district = [lk.labels[c] for c in dist]
    methods = [DISTRICT_METHODS[c] for c in method]
    assert district == ["Dudley", "Walsall", "Walsall", "unassigned", "unassigned"]
    assert methods == ["lsoa_code", "lsoa_name", "lsoa_name", "none", "none"]
    # the manifest's district_assignment counts them (what district_summary counted)
    table = pa.table({"district": district, "district_method": methods})
    s = district_assignment({"street": table})["street"]
    assert s["records"] == 5 and s["unassigned"] == 2
    assert s["by_method"] == {"lsoa_code": 1, "lsoa_name": 2, "none": 2}
    assert s["by_district"] == {"Dudley": 1, "Walsall": 2, "unassigned": 2}
    none_dist, _ = district_codes(codes, names, DistrictLookup(None), 5)
    assert [DistrictLookup(None).labels[c] for c in none_dist] == ["unassigned"] * 5


def test_district_assignment_counts_dictionary_columns_with_missing_values():
    # as the partitions hold them: dictionary columns, a missing district, several formats
    district = ["Dudley", "unassigned", None, "Walsall", "unassigned", "Dudley", "unassigned"]
    method = ["lsoa_code", "none", None, "lsoa_name", "none", "lsoa_code", "none"]
    fmt = ["street", "street-2010", "street", "street", "street-2010", "street", "street"]
    table = pa.table(
        {
            "district": pa.array(district).dictionary_encode(),
            "district_method": pa.array(method).dictionary_encode(),
            "source_format": pa.array(fmt).dictionary_encode(),
        }
    )
    s = district_assignment({"street": table, "outcomes": None})["street"]
    assert s["records"] == 7 and s["unassigned"] == 3
    assert s["unassigned_share"] == pytest.approx(3 / 7)
    assert s["by_district"] == {
        "Dudley": 2,
        "Walsall": 1,
        "unassigned": 3,
    }  # missing: not a district
    assert list(s["by_district"]) == ["Dudley", "Walsall", "unassigned"]
    assert s["by_method"] == {"lsoa_code": 2, "lsoa_name": 1, "none": 3}
    assert s["unassigned_by_format"] == {"street": 1, "street-2010": 2}
    # the same counts from a pandas table of the same rows
    df = pd.DataFrame({"district": district, "district_method": method, "source_format": fmt})
    p = district_assignment({"street": df})["street"]
    assert {k: p[k] for k in s} == s


def test_map_strings_matches_pandas_map():
    s = pd.Series(["a", "b", None, "c", "a"], dtype="str")
    got = map_strings(s, {"a": "x", "c": "z"})
    exp = s.map({"a": "x", "c": "z"})
    assert got.tolist()[0] == "x" and got.tolist()[3] == "z"
    assert got.isna().tolist() == exp.isna().tolist()
