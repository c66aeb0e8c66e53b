"""police.uk crime-type harmonisation and district assignment."""

from __future__ import annotations

import pandas as pd
import pytest

from wmp_analysis.errors import SchemaError
from wmp_analysis.harmonise.police_uk import (
    STABLE_CATEGORIES,
    assign_districts,
    district_summary,
    harmonise_street,
    load_category_map,
    map_strings,
)

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


def frame(types, months):
    return pd.DataFrame(
        {
            "crime_type": pd.array(types, dtype="str"),
            "month": pd.to_datetime([m + "-01" for m in months]),
            "source_file": pd.array(["f.csv"] * len(types), dtype="str"),
            "_line": range(2, len(types) + 2),
        }
    )


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
    out, rej = harmonise_street(frame(types, months))
    assert rej.empty
    assert out["category"].tolist() == [
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
    assert out["category_stable"].tolist() == [
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
    assert out["category"].dtype == "str" and list(out.columns).index("category") == 1


def test_stable_totals_conserved():
    types = EARLY * 3 + SEPT_2011 + MAY_2013
    months = ["2011-01"] * 6 + ["2012-01"] * 6 + ["2014-01"] * 6 + ["2012-01"] * 5 + ["2014-01"] * 5
    out, rej = harmonise_street(frame(types, months))
    assert len(out) == len(types) and rej.empty
    assert out["category_stable"].isin(STABLE_CATEGORIES).all()


def test_unknown_and_missing_types_rejected():
    df = frame(["Burglary", "Cyber stuff", "Robbery"], ["2014-01"] * 3)
    df.loc[2, "crime_type"] = None
    out, rej = harmonise_street(df)
    assert out["crime_type"].tolist() == ["Burglary"]
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


def test_assign_districts_methods_and_summary():
    lookup = pd.DataFrame(
        {
            "lsoa_code": ["E01000001", "E01000002"],
            "lsoa_name": ["Dudley 001A", "Walsall 002B"],
            "lad_code": ["E08000027", "E08000030"],
            "lad_name": ["Dudley", "Walsall"],
        }
    )
    df = pd.DataFrame(
        {
            "month": pd.to_datetime(["2014-01-01"] * 5),
            "lsoa_code": pd.array(["E01000001", None, "E09999999", None, None], dtype="str"),
            "lsoa_name": pd.array(
                ["Dudley 001A", "Walsall 002B", "Walsall 099Z", "Cardiff 001A", None], dtype="str"
            ),
        }
    )
    out = assign_districts(df, lookup)
    assert out["district"].tolist() == ["Dudley", "Walsall", "Walsall", "unassigned", "unassigned"]
    assert out["district_method"].tolist() == [
        "lsoa_code",
        "lsoa_name",
        "lsoa_name",
        "none",
        "none",
    ]
    assert len(out) == len(df)
    s = district_summary(out)
    assert s["rows"].sum() == 5
    got = {(r.district_method, bool(r.assigned)): r.rows for r in s.itertuples()}
    assert got == {("lsoa_code", True): 1, ("lsoa_name", True): 2, ("none", False): 2}
    none = assign_districts(df, None)
    assert (none["district"] == "unassigned").all()


def test_map_strings_matches_pandas_map():
    s = pd.Series(["a", "b", None, "c", "a"], dtype="str")
    got = map_strings(s, {"a": "x", "c": "z"})
    exp = s.map({"a": "x", "c": "z"})
    assert got.tolist()[0] == "x" and got.tolist()[3] == "z"
    assert got.isna().tolist() == exp.isna().tolist()
