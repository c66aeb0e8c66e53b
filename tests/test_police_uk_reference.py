"""police.uk reference tables, the unknown-value threshold, missing months, duplicate Crime IDs
and location rejections (issue 10, items 1 and 4).

Fixtures are written by hand from the publisher's documented formats and the examples of
issue 10; every expected count is worked out by hand in the test.
"""

from __future__ import annotations

import pandas as pd
import pytest
from test_police_uk import (
    OUTCOMES_COLUMNS,
    STOP_SEARCH_COLUMNS,
    STREET_2010_COLUMNS,
    STREET_COLUMNS,
    csv_text,
    street_row,
    write,
)

from wmp_analysis.errors import SchemaError, UnknownCategoryError
from wmp_analysis.ingest import police_uk as reader
from wmp_analysis.ingest.police_uk import read_police_uk
from wmp_analysis.ingest.police_uk_reference import (
    FIELDS,
    VALUE_COLUMNS,
    census_code_group,
    default_value_table_path,
    load_value_table,
)
from wmp_analysis.periods import Period

WM = "West Midlands Police"
BOTH = pytest.mark.parametrize("as_arrow", [False, True], ids=["pandas", "arrow"])


def _frame(t) -> pd.DataFrame:
    """A result table as pandas with plain str columns (Arrow and pandas paths compared alike)."""
    df = t.to_pandas() if hasattr(t, "to_pandas") and not isinstance(t, pd.DataFrame) else t
    return df.astype({c: "str" for c in df.columns if df[c].dtype == "category"})


# --------------------------------------------------------------------- the 2016 West Midlands file


def _ss(
    date,
    sde,
    ode="",
    gender="",
    age="18-24",
    legis="Misuse of Drugs Act 1971 (section 23)",
    obj="Controlled drugs",
    outcome="Nothing found - no further action",
    typ="Person search",
    lat="52.48",
    lon="-1.89",
):
    return [
        typ,
        date,
        "False",
        "",
        lat,
        lon,
        gender,
        age,
        sde,
        ode,
        legis,
        obj,
        outcome,
        "False",
        "False",
    ]


#: A 2016-style West Midlands month: old-style self-defined labels with census codes, Gender blank
#: in every row, officer-defined ethnicity blank in 9 of 12 rows (as issue 10 describes).
OLD_STYLE_ROWS = [
    _ss("2016-03-01T10:00:00+00:00", "Asian or Asian British - Pakistani (A2)"),
    _ss("2016-03-01T11:00:00+00:00", "Asian or Asian British - Pakistani (A2)", ode="Asian"),
    _ss("2016-03-02T12:00:00+00:00", "Asian or Asian British - Pakistani (A2)", age="25-34"),
    _ss(
        "2016-03-02T13:00:00+00:00",
        "Asian or Asian British - Indian (A1)",
        outcome="Suspect arrested",
    ),
    _ss(
        "2016-03-03T14:00:00+00:00",
        "Black or Black British - Caribbean (B1)",
        ode="Black",
        legis="Police and Criminal Evidence Act 1984 (section 1)",
        obj="Stolen goods",
    ),
    _ss("2016-03-04T15:00:00+00:00", "Black or Black British - Caribbean (B1)", age="over 34"),
    _ss("2016-03-05T16:00:00+00:00", "Mixed - White and Black Caribbean (M1)", age="10-17"),
    _ss("2016-03-06T17:00:00+00:00", "Chinese or other ethnic group - Chinese (O1)"),
    _ss(
        "2016-03-07T18:00:00+00:00",
        "Chinese or other ethnic group - Any other ethnic group (O9)",
        outcome="Offender given drugs possession warning",
    ),
    _ss(
        "2016-03-08T19:00:00+00:00",
        "White - White British (W1)",
        ode="White",
        typ="Person and Vehicle search",
    ),
    _ss("2016-03-09T20:00:00+00:00", "White - White British (W1)", lat="", lon=""),
    _ss("2016-03-10T21:00:00+00:00", "Not Stated (NS)", age=""),
]
#: Worked out by hand from the codes: A1, A2 x3, O1 (Chinese, Asian in the 2011 Census) -> Asian 5;
#: B1 x2 -> Black 2; M1 -> Mixed 1; O9 -> Other 1; W1 x2 -> White 2; NS -> Not stated 1.
OLD_STYLE_GROUPS = {"Asian": 5, "Black": 2, "Mixed": 1, "Other": 1, "White": 2, "Not stated": 1}


@BOTH
def test_2016_old_label_file_reads_whole_with_right_groups(tmp_path, as_arrow):
    write(
        tmp_path / "2016-03" / "2016-03-west-midlands-stop-and-search.csv",
        csv_text(STOP_SEARCH_COLUMNS, OLD_STYLE_ROWS),
    )
    res = read_police_uk(
        tmp_path, force="West Midlands", kinds=("stop-and-search",), as_arrow=as_arrow
    )
    s = _frame(res.tables["stop_search"])
    assert len(s) == 12 and res.rejections.empty  # no row lost
    assert s["self_defined_group"].value_counts().to_dict() == OLD_STYLE_GROUPS
    assert s["gender"].isna().all()
    assert s["officer_defined_ethnicity"].notna().sum() == 3
    # blanks kept as data and counted: Gender 12, officer-defined 9, age range 1
    assert res.not_recorded["stop-and-search"] == {
        "Gender": 12,
        "Officer-defined ethnicity": 9,
        "Age range": 1,
    }
    # the labels are stored as published
    assert (s["self_defined_ethnicity"] == "Asian or Asian British - Pakistani (A2)").sum() == 3


def test_2016_old_label_file_gives_the_right_search_counts_downstream(tmp_path):
    from wmp_analysis.analysis.stopsearch import search_counts

    write(
        tmp_path / "2016-03-west-midlands-stop-and-search.csv",
        csv_text(STOP_SEARCH_COLUMNS, OLD_STYLE_ROWS),
    )
    s = read_police_uk(tmp_path, force="West Midlands", kinds=("stop-and-search",)).tables[
        "stop_search"
    ]
    c = search_counts(s)
    sdg = c[c["dimension"] == "self_defined_group"].set_index("category")["searches"].to_dict()
    assert sdg == OLD_STYLE_GROUPS
    off = (
        c[c["dimension"] == "officer_defined_ethnicity"].set_index("category")["searches"].to_dict()
    )
    assert off == {"Asian": 1, "Black": 1, "White": 1, "Not recorded": 9}


def test_current_and_old_labels_map_to_the_same_groups_in_one_file(tmp_path):
    rows = [
        _ss("2016-03-01T10:00:00+00:00", "Asian or Asian British - Pakistani (A2)"),
        _ss("2016-03-01T11:00:00+00:00", "Asian/Asian British - Pakistani"),
        _ss("2016-03-01T12:00:00+00:00", "Black/African/Caribbean/Black British - Caribbean"),
        _ss("2016-03-01T13:00:00+00:00", "White - English/Welsh/Scottish/Northern Irish/British"),
        _ss(
            "2016-03-01T14:00:00+00:00", "Mixed/Multiple ethnic groups - White and Black Caribbean"
        ),
        _ss("2016-03-01T15:00:00+00:00", "Other ethnic group - Any other ethnic group"),
        _ss("2016-03-01T16:00:00+00:00", "Other ethnic group - Not stated"),
        _ss("2016-03-01T17:00:00+00:00", ""),
    ]
    write(
        tmp_path / "2016-03-west-midlands-stop-and-search.csv", csv_text(STOP_SEARCH_COLUMNS, rows)
    )
    res = read_police_uk(tmp_path, force="West Midlands", kinds=("stop-and-search",))
    assert res.tables["stop_search"]["self_defined_group"].tolist() == [
        "Asian",
        "Asian",
        "Black",
        "White",
        "Mixed",
        "Other",
        "Not stated",
        "Not stated",
    ]
    assert res.not_recorded["stop-and-search"]["Self-defined ethnicity"] == 1


# --------------------------------------------------------------------- threshold


def _gender_file(tmp_path, n_good: int, bad: list[str]):
    rows = [
        _ss(f"2016-03-{1 + i % 28:02d}T10:00:00+00:00", "White - White British (W1)", gender="Male")
        for i in range(n_good)
    ]
    rows += [_ss("2016-03-15T10:00:00+00:00", "White - White British (W1)", gender=g) for g in bad]
    return write(
        tmp_path / "2016-03-west-midlands-stop-and-search.csv", csv_text(STOP_SEARCH_COLUMNS, rows)
    )


@BOTH
def test_unknown_values_under_the_threshold_are_counted_rejections(tmp_path, as_arrow):
    # 2 unknown in 402 rows = 0.498% <= 0.5%: read, the 2 rows rejected and listed
    _gender_file(tmp_path, 400, ["Walrus", "male"])
    res = read_police_uk(
        tmp_path, force="West Midlands", kinds=("stop-and-search",), as_arrow=as_arrow
    )
    assert len(res.tables["stop_search"]) == 400
    assert res.rejections[["line", "field", "value"]].values.tolist() == [
        [402, "Gender", "Walrus"],
        [403, "Gender", "male"],
    ]


@BOTH
def test_unknown_values_over_the_threshold_stop_the_ingest(tmp_path, as_arrow):
    # 3 unknown in 403 rows = 0.744% > 0.5%
    _gender_file(tmp_path, 400, ["Walrus", "male", "Walrus"])
    with pytest.raises(UnknownCategoryError) as info:
        read_police_uk(
            tmp_path, force="West Midlands", kinds=("stop-and-search",), as_arrow=as_arrow
        )
    e = info.value
    assert e.field == "Gender" and e.path.endswith("2016-03-west-midlands-stop-and-search.csv")
    msg = str(e)
    assert "3 of 403 rows" in msg and "'Walrus' (2), 'male' (1)" in msg and "0.5%" in msg


def test_threshold_is_configurable(tmp_path):
    _gender_file(tmp_path, 400, ["Walrus", "male", "Walrus"])
    res = read_police_uk(
        tmp_path, force="West Midlands", kinds=("stop-and-search",), max_unknown_share=0.01
    )
    assert len(res.tables["stop_search"]) == 400 and len(res.rejections) == 3
    with pytest.raises(UnknownCategoryError):  # 0: any unknown value stops
        _gender_file(tmp_path / "z", 400, ["Walrus"])
        read_police_uk(
            tmp_path / "z", force="West Midlands", kinds=("stop-and-search",), max_unknown_share=0
        )
    with pytest.raises(ValueError):
        read_police_uk(
            tmp_path, force="West Midlands", kinds=("stop-and-search",), max_unknown_share=5
        )


def test_threshold_message_quotes_at_most_200_characters_of_a_value(tmp_path):
    long = "x" * 5000
    write(
        tmp_path / "2014-03-west-midlands-street.csv",
        csv_text(
            STREET_COLUMNS,
            [
                street_row(),
                street_row(ctype=long),
                street_row(ctype="Jaywalking"),
                street_row(ctype=long),
            ],
        ),
    )
    with pytest.raises(UnknownCategoryError) as info:
        read_police_uk(tmp_path, force="West Midlands", kinds=("street",))
    msg = str(info.value)
    assert info.value.field == "Crime type"
    assert "(+4800 characters) (2)" in msg and "'Jaywalking' (1)" in msg and long not in msg


def test_every_field_is_checked_with_the_threshold(tmp_path):
    base = _ss("2016-03-01T10:00:00+00:00", "White - White British (W1)")
    columns = {
        "Type": 0,
        "Age range": 7,
        "Officer-defined ethnicity": 9,
        "Legislation": 10,
        "Object of search": 11,
        "Outcome": 12,
    }
    for field_name, i in columns.items():
        row = list(base)
        row[i] = "Not a published value"
        folder = tmp_path / field_name.replace(" ", "_")
        write(
            folder / "2016-03-west-midlands-stop-and-search.csv",
            csv_text(STOP_SEARCH_COLUMNS, [base, row]),
        )
        with pytest.raises(UnknownCategoryError) as info:
            read_police_uk(folder, force="West Midlands", kinds=("stop-and-search",))
        assert info.value.field == field_name


# --------------------------------------------------------------------- months


def _ss_file(path, month, n):
    rows = [
        _ss(f"{month}-{d + 1:02d}T10:00:00+00:00", "White - White British (W1)") for d in range(n)
    ]
    return write(path, csv_text(STOP_SEARCH_COLUMNS, rows))


@BOTH
@pytest.mark.parametrize("configured", [True, False], ids=["months-configured", "no-months"])
def test_header_only_file_and_missing_kind_are_missing_months_not_zero(
    tmp_path, as_arrow, configured
):
    for m in ("2016-01", "2016-02", "2016-03"):
        write(
            tmp_path / m / f"{m}-west-midlands-street.csv",
            csv_text(STREET_COLUMNS, [street_row(month=m)]),
        )
    _ss_file(tmp_path / "2016-01" / "2016-01-west-midlands-stop-and-search.csv", "2016-01", 2)
    _ss_file(
        tmp_path / "2016-02" / "2016-02-west-midlands-stop-and-search.csv", "2016-02", 0
    )  # header only
    # 2016-03: no stop-and-search file at all
    months = Period.from_strings("2016-01-01", "2016-03-31") if configured else None
    res = read_police_uk(
        tmp_path,
        force="West Midlands",
        months=months,
        kinds=("street", "stop-and-search"),
        as_arrow=as_arrow,
    )
    assert res.missing_months == {"street": [], "stop-and-search": ["2016-02", "2016-03"]}
    assert [(e["kind"], e["month"]) for e in res.empty_files] == [("stop-and-search", "2016-02")]
    ss = _frame(res.tables["stop_search"])
    assert ss["month"].dt.strftime("%Y-%m").tolist() == ["2016-01", "2016-01"]  # no zero month
    assert len(_frame(res.tables["street"])) == 3


def test_header_only_street_and_outcomes_files(tmp_path):
    write(tmp_path / "2014-03" / "2014-03-west-midlands-street.csv", csv_text(STREET_COLUMNS, []))
    write(
        tmp_path / "2014-03" / "2014-03-west-midlands-outcomes.csv", csv_text(OUTCOMES_COLUMNS, [])
    )
    res = read_police_uk(
        tmp_path,
        force="West Midlands",
        months=Period.from_strings("2014-03-01", "2014-03-31"),
        kinds=("street", "outcomes"),
    )
    assert res.missing_months == {"street": ["2014-03"], "outcomes": ["2014-03"]}
    assert len(res.empty_files) == 2 and res.tables["street"].empty and res.tables["outcomes"].empty


# --------------------------------------------------------------------- duplicate Crime IDs


@BOTH
def test_duplicate_crime_ids_within_a_month_are_rejected_first_kept(tmp_path, as_arrow):
    a, b = "a" * 64, "b" * 64
    rows = [
        street_row(cid=a),
        street_row(cid=b, ctype="Robbery"),
        street_row(cid=a, ctype="Drugs"),
        street_row(cid="", ctype="Anti-social behaviour"),
        street_row(cid="", ctype="Anti-social behaviour"),
        street_row(cid=b),
    ]
    write(tmp_path / "2014-03" / "2014-03-west-midlands-street.csv", csv_text(STREET_COLUMNS, rows))
    # the same Crime ID in another month is not a duplicate
    write(
        tmp_path / "2014-04" / "2014-04-west-midlands-street.csv",
        csv_text(STREET_COLUMNS, [street_row(month="2014-04", cid=a)]),
    )
    res = read_police_uk(tmp_path, force="West Midlands", kinds=("street",), as_arrow=as_arrow)
    st = _frame(res.tables["street"])
    # lines 2 (a), 3 (b), 5 and 6 (blank ASB ids) kept in March; 4 and 7 are repeats
    assert st["crime_type"].tolist() == [
        "Burglary",
        "Robbery",
        "Anti-social behaviour",
        "Anti-social behaviour",
        "Burglary",
    ]
    assert res.rejections[["line", "field", "value"]].values.tolist() == [
        [4, "Crime ID", a],
        [7, "Crime ID", b],
    ]
    assert res.rejections["reason"].str.contains("duplicate").all()


def test_duplicate_outcome_records_are_rejected(tmp_path):
    a = "a" * 64

    def row(otype):
        return [
            a,
            "2014-03",
            WM,
            WM,
            "-1.89",
            "52.48",
            "On or near X",
            "E01008881",
            "Birmingham 001A",
            otype,
        ]

    rows = [row("Local resolution"), row("Offender fined"), row("Local resolution")]
    write(tmp_path / "2014-03-west-midlands-outcomes.csv", csv_text(OUTCOMES_COLUMNS, rows))
    res = read_police_uk(tmp_path, force="West Midlands", kinds=("outcomes",))
    assert res.tables["outcomes"]["outcome_type"].tolist() == ["Local resolution", "Offender fined"]
    assert res.rejections[["line", "field"]].values.tolist() == [[4, "Crime ID"]]


# --------------------------------------------------------------------- locations


def _loc_row(lon, lat, ctype="Burglary"):
    r = street_row(ctype=ctype)
    r[4], r[5] = lon, lat
    return r


@BOTH
def test_locations_outside_england_and_wales_or_nan_are_rejected_record_kept(tmp_path, as_arrow):
    rows = [
        _loc_row("-1.890", "52.480"),  # Birmingham: fine
        _loc_row("52.481", "-1.891"),  # swapped
        _loc_row("-1.892", "NaN"),  # NaN latitude
        _loc_row("-1.893", ""),  # only one coordinate
        _loc_row("-3.19", "55.95"),  # Edinburgh: north of the box
        _loc_row("", ""),  # no location: allowed
        _loc_row("-6.30", "49.92"),
    ]  # Isles of Scilly: inside
    write(tmp_path / "2014-03-west-midlands-street.csv", csv_text(STREET_COLUMNS, rows))
    res = read_police_uk(tmp_path, force="West Midlands", kinds=("street",), as_arrow=as_arrow)
    st = _frame(res.tables["street"])
    assert len(st) == 7  # every record kept
    assert st["latitude"].notna().tolist() == [True, False, False, False, False, False, True]
    assert st["longitude"].notna().tolist() == st["latitude"].notna().tolist()
    assert res.rejections[["line", "field", "value"]].values.tolist() == [
        [3, "Longitude", "52.481"],
        [4, "Latitude", "nan"],
        [5, "Longitude", "-1.893"],
        [6, "Latitude", "55.95"],
    ]
    assert res.rejections["reason"].str.startswith("location rejected, record kept").all()
    assert res.location_rejections == {"street": 4}


def test_stop_search_swapped_coordinates_and_2010_grid_references(tmp_path):
    rows = [
        _ss("2016-03-01T10:00:00+00:00", "White - White British (W1)"),
        _ss("2016-03-01T11:00:00+00:00", "White - White British (W1)", lat="-1.89", lon="52.48"),
    ]
    write(
        tmp_path / "a" / "2016-03-west-midlands-stop-and-search.csv",
        csv_text(STOP_SEARCH_COLUMNS, rows),
    )
    res = read_police_uk(tmp_path / "a", force="West Midlands", kinds=("stop-and-search",))
    s = res.tables["stop_search"]
    assert len(s) == 2 and s["latitude"].isna().tolist() == [False, True]
    assert res.rejections[["line", "field", "value"]].values.tolist() == [[3, "Latitude", "-1.89"]]
    # 8-column format: easting/northing in metres; 900 km north is outside England and Wales
    r2010 = [
        ["2011-02", WM, WM, "408811.0", "286942.0", "On or near X", "Burglary", ""],
        ["2011-02", WM, WM, "408811.0", "900000.0", "On or near Y", "Robbery", ""],
    ]
    write(tmp_path / "b" / "2011-02-west-midlands-street.csv", csv_text(STREET_2010_COLUMNS, r2010))
    res = read_police_uk(tmp_path / "b", force="West Midlands", kinds=("street",))
    st = res.tables["street"]
    assert len(st) == 2 and st["northing"].isna().tolist() == [False, True]
    assert res.rejections[["line", "field"]].values.tolist() == [[3, "Northing"]]


# --------------------------------------------------------------------- the table itself


def test_table_covers_every_categorical_field_and_old_labels():
    t = load_value_table()
    assert set(t) == set(FIELDS)
    sde = t[("stop-and-search", "Self-defined ethnicity")]
    for label in (
        "Asian or Asian British - Pakistani (A2)",
        "Black or Black British - Caribbean (B1)",
        "White - White British (W1)",
        "Mixed - White and Black Caribbean (M1)",
        "Chinese or other ethnic group - Chinese (O1)",
        "Not Stated (NS)",
        "Asian/Asian British - Pakistani",
        "Black/African/Caribbean/Black British - Caribbean",
        "White - English/Welsh/Scottish/Northern Irish/British",
        "Mixed/Multiple ethnic groups - White and Black Caribbean",
        "Other ethnic group - Any other ethnic group",
        "Other ethnic group - Not stated",
    ):
        assert label in sde.groups, label
    for field_name in (
        "Gender",
        "Age range",
        "Officer-defined ethnicity",
        "Self-defined ethnicity",
    ):
        assert t[("stop-and-search", field_name)].blank_group is not None  # a blank is data
    assert t[("outcomes", "Outcome type")].blank_group is None  # a blank outcome type is not
    df = pd.read_csv(default_value_table_path(), dtype=str, keep_default_na=False)
    assert (
        list(df.columns) == VALUE_COLUMNS
        and (df["source"] != "").all()
        and (df["note"] != "").all()
    )


def test_census_codes_decide_the_group():
    # the 2001 census codes: W White, M Mixed, A Asian, B Black, O Chinese or other; NS not stated
    assert census_code_group("Asian or Asian British - Pakistani (A2)") == "Asian"
    assert census_code_group("Black or Black British - African (B2)") == "Black"
    assert census_code_group("Mixed - White and Asian (M3)") == "Mixed"
    assert census_code_group("White - Any other White ethnic background (W9)") == "White"
    assert (
        census_code_group("Chinese or other ethnic group - Chinese (O1)") == "Asian"
    )  # 2011 convention
    assert census_code_group("Chinese or other ethnic group - Chinese (01)") == "Asian"
    assert (
        census_code_group("Chinese or other ethnic group - Any other ethnic group (O9)") == "Other"
    )
    assert census_code_group("Not Stated (NS)") == "Not stated"
    assert census_code_group("Asian/Asian British - Pakistani") is None
    t = load_value_table()[("stop-and-search", "Self-defined ethnicity")]
    coded = {v: g for v, g in t.groups.items() if census_code_group(v) is not None}
    assert len(coded) == 19 and all(census_code_group(v) == g for v, g in coded.items())


def _table_text(extra: str) -> str:
    return default_value_table_path().read_text(encoding="utf-8") + extra


def test_table_validation(tmp_path):
    bad_code = tmp_path / "code.csv"
    bad_code.write_text(
        _table_text(
            "stop-and-search,Self-defined ethnicity,Asian or Asian British - Kashmiri (A9x),Asian,2015-01,,x,y\n"
            "stop-and-search,Self-defined ethnicity,Black or Black British - Somali (B3),Asian,2015-01,,x,y\n"
        ),
        encoding="utf-8",
    )
    with pytest.raises(SchemaError) as info:
        load_value_table(bad_code)
    assert info.value.field == "group" and info.value.expected == "Black"
    dup = tmp_path / "dup.csv"
    dup.write_text(_table_text("stop-and-search,Gender,Male,Male,2015-01,,x,y\n"), encoding="utf-8")
    with pytest.raises(SchemaError, match="listed twice"):
        load_value_table(dup)
    month = tmp_path / "month.csv"
    month.write_text(
        _table_text("stop-and-search,Gender,Unknown,Other,2015-13,,x,y\n"), encoding="utf-8"
    )
    with pytest.raises(SchemaError, match="not a month"):
        load_value_table(month)
    field = tmp_path / "field.csv"
    field.write_text(_table_text("stop-and-search,Shoe size,9,9,2015-01,,x,y\n"), encoding="utf-8")
    with pytest.raises(SchemaError, match="unknown kind/field"):
        load_value_table(field)


def test_table_agrees_with_the_other_project_lists():
    from wmp_analysis.harmonise.police_uk import load_outcome_types
    from wmp_analysis.synth import police_uk as synth

    t = load_value_table()
    sde = t[("stop-and-search", "Self-defined ethnicity")].groups
    assert all(sde[v] == g for v, g in reader.SELF_DEFINED_GROUPS.items())
    assert set(reader.GENDERS) == t[("stop-and-search", "Gender")].values
    assert set(reader.AGE_RANGES) == t[("stop-and-search", "Age range")].values
    assert (
        set(reader.OFFICER_DEFINED_ETHNICITIES)
        == t[("stop-and-search", "Officer-defined ethnicity")].values
    )
    assert load_outcome_types() == t[("outcomes", "Outcome type")].values
    # what the synthetic generator writes is all published (else the sample would stop at the threshold)
    assert set(synth.SEARCH_OUTCOMES) <= t[("stop-and-search", "Outcome")].values
    assert {o for o, _, _, _ in synth.LAST_OUTCOMES} <= t[
        ("street", "Last outcome category")
    ].values
    # the 2011 Census groups are the ones the denominators use
    assert set(sde.values()) == {"White", "Mixed", "Asian", "Black", "Other", "Not stated"}


# --------------------------------------------------------------------- the whole ingest


def test_ingest_reports_header_only_file_as_missing_month_in_manifest_and_console(tmp_path, capsys):
    import json

    from test_bad_inputs import _ingest, _write_project

    cfg = _write_project(tmp_path)  # police_uk_months 2012-05 .. 2015-05; one street file, 2012-05
    write(
        tmp_path / "raw" / "police_uk" / "2012-05" / "2012-05-west-midlands-stop-and-search.csv",
        csv_text(STOP_SEARCH_COLUMNS, []),
    )
    rc, output = _ingest(cfg, capsys)
    assert rc == 0, output
    m = json.loads((tmp_path / "data" / "processed" / "tiny" / "ingest_manifest.json").read_text())
    pol = m["missing_periods"]["police_uk"]
    assert [(e["kind"], e["month"]) for e in pol["empty_files"]] == [("stop-and-search", "2012-05")]
    assert pol["empty_files"][0]["path"].endswith("2012-05-west-midlands-stop-and-search.csv")
    assert (
        "2012-05" in pol["by_kind"]["stop-and-search"] and "2012-05" not in pol["by_kind"]["street"]
    )
    assert len(pol["by_kind"]["stop-and-search"]) == 37  # May 2012 .. May 2015, none with data
    assert "stop-and-search 2012-05: header and no rows -> missing month" in output
    assert "stop-and-search: 2012-05, 2012-06" in output
    assert (
        "not_recorded" in m["sources"]["police_uk"]
        and "location_rejections" in m["sources"]["police_uk"]
    )


def test_ingest_console_separates_location_rejections(tmp_path, capsys):
    from test_bad_inputs import _ingest, _write_project

    cfg = _write_project(tmp_path)
    street = tmp_path / "raw" / "police_uk" / "2012-05" / "2012-05-west-midlands-street.csv"
    rows = [
        [
            f"{i:064x}",
            "2012-05",
            WM,
            WM,
            lon,
            lat,
            "On or near X",
            "E01009308",
            "Birmingham 138A",
            "Burglary",
            "Under investigation",
            "",
        ]
        for i, (lon, lat) in enumerate([("-1.89", "52.48"), ("52.48", "-1.89")])
    ]
    write(street, csv_text(STREET_COLUMNS, rows))
    rc, output = _ingest(cfg, capsys)
    assert rc == 0, output
    assert "rejected rows: 1" in output
    assert "of which police.uk locations only (coordinates nulled, records kept): 1" in output
