"""data.police.uk readers: the real 2011-02 file, written files in every format, bad input."""

from __future__ import annotations

import gzip
import io
import zipfile
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from conftest import require_shared

from wmp_analysis.errors import (
    ArchiveError,
    DuplicatePeriodError,
    EncodingError,
    PeriodError,
    SchemaError,
    UnknownForceError,
    ValueFormatError,
)
from wmp_analysis.ingest.police_uk import (
    OUTCOMES_COLUMNS,
    OUTCOMES_OUT,
    SELF_DEFINED_GROUPS,
    STOP_SEARCH_2014_COLUMNS,
    STOP_SEARCH_COLUMNS,
    STOP_SEARCH_OUT,
    STREET_2010_COLUMNS,
    STREET_COLUMNS,
    STREET_OUT,
    force_slug,
    read_police_uk,
)
from wmp_analysis.periods import Period

WM = "West Midlands Police"


def csv_text(header, rows) -> str:
    out = io.StringIO()
    import csv

    w = csv.writer(out, lineterminator="\n")
    w.writerow(header)
    w.writerows(rows)
    return out.getvalue()


_IDS = iter(range(1, 10**9))


def street_row(
    month="2014-03", ctype="Burglary", lsoa=("E01008881", "Birmingham 001A"), falls=WM, cid=None
):
    """One street row; each gets its own Crime ID unless *cid* is given (a repeated
    Crime ID within a month is a duplicate, rejected)."""
    if cid is None:
        cid = f"{next(_IDS):064x}"
    return [
        cid,
        month,
        WM,
        falls,
        "-1.89",
        "52.48",
        "On or near High Street",
        lsoa[0],
        lsoa[1],
        ctype,
        "Under investigation",
        "",
    ]


def write(path: Path, text: str | bytes) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(text, str):
        text = text.encode("utf-8")
    if path.suffix == ".gz":
        text = gzip.compress(text)
    path.write_bytes(text)
    return path


@pytest.fixture()
def lookup():
    return pd.DataFrame(
        {
            "lsoa_code": ["E01008881", "E01009999"],
            "lsoa_name": ["Birmingham 001A", "Coventry 010B"],
            "lad_code": ["E08000025", "E08000026"],
            "lad_name": ["Birmingham", "Coventry"],
        }
    )


# --------------------------------------------------------------------------- real file


def test_real_feb_2011_street_file():
    p = require_shared("police_uk/street/2011-02-west-midlands-street.csv.gz")
    res = read_police_uk(p, force="West Midlands", months=None, lsoa_lookup=None, kinds=("street",))
    df = res.tables["street"]
    assert len(df) == 25_558
    counts = df["crime_type"].value_counts().to_dict()
    assert counts == {
        "Anti-social behaviour": 8728,
        "Other crime": 8184,
        "Violent crime": 3037,
        "Burglary": 2444,
        "Vehicle crime": 2358,
        "Robbery": 807,
    }
    assert list(df.columns) == STREET_OUT
    assert (df["source_format"] == "street-2010").all()
    assert (df["district"] == "unassigned").all() and (df["district_method"] == "none").all()
    assert df["easting"].notna().all() and df["longitude"].isna().all()
    assert (df["month"] == pd.Timestamp("2011-02-01")).all()
    assert (
        df["category_stable"].value_counts().to_dict() == counts
    )  # early types are the stable six
    assert res.files[0]["rows_read"] == 25_558
    assert (
        res.files[0]["sha256"] == "90b3f843573f9e6094e5271d987989e0742954b99ea19394108ec0b885553ad9"
    )
    assert not res.files[0]["synthetic"] and not df["synthetic"].any()
    assert len(res.rejections) == 0
    assert df["month"].dtype == "datetime64[ns]" and df["crime_type"].dtype == "str"


# --------------------------------------------------------------------------- formats


def test_current_street_format_folder_with_districts(tmp_path, lookup):
    rows = [
        street_row(),
        street_row(
            ctype="Violence and sexual offences", lsoa=("E01099999", "Coventry 010B")
        ),  # name only
        street_row(ctype="Anti-social behaviour", lsoa=("", ""), cid=""),  # no location
        street_row(ctype="Shoplifting", lsoa=("W01000001", "Cardiff 001A")),  # outside lookup
    ]
    write(tmp_path / "2014-03" / "2014-03-west-midlands-street.csv", csv_text(STREET_COLUMNS, rows))
    res = read_police_uk(
        tmp_path, force="West Midlands", months=None, lsoa_lookup=lookup, kinds=("street",)
    )
    df = res.tables["street"]
    assert list(df["district"]) == ["Birmingham", "Coventry", "unassigned", "unassigned"]
    assert list(df["district_method"]) == ["lsoa_code", "lsoa_name", "none", "none"]
    assert list(df["category"]) == [
        "Burglary",
        "Violence and sexual offences",
        "Anti-social behaviour",
        "Shoplifting",
    ]
    assert list(df["category_stable"]) == [
        "Burglary",
        "Violent crime",
        "Anti-social behaviour",
        "Other crime",
    ]
    assert pd.isna(df.loc[2, "crime_id"]) and pd.isna(df.loc[2, "lsoa_code"])
    assert df.loc[0, "longitude"] == pytest.approx(-1.89)
    assert (df["source_format"] == "street").all()
    assert res.missing_months == {"street": []}


def test_outcomes_and_stop_search(tmp_path, lookup):
    out_rows = [
        [
            "abc",
            "2016-01",
            WM,
            WM,
            "-1.89",
            "52.48",
            "On or near X",
            "E01008881",
            "Birmingham 001A",
            "Investigation complete; no suspect identified",
        ]
    ]
    write(
        tmp_path / "2016-01" / "2016-01-west-midlands-outcomes.csv",
        csv_text(OUTCOMES_COLUMNS, out_rows),
    )
    ss_rows = [
        [
            "Person search",
            "2016-01-05T14:30:00+00:00",
            "False",
            "",
            "52.48",
            "-1.89",
            "Male",
            "18-24",
            "Asian/Asian British - Pakistani",
            "Asian",
            "Misuse of Drugs Act 1971 (section 23)",
            "Controlled drugs",
            "Arrest",
            "True",
            "False",
        ],
        [
            "Person search",
            "2016-01-06T09:00:00+00:00",
            "",
            "",
            "",
            "",
            "Female",
            "25-34",
            "Other ethnic group - Not stated",
            "White",
            "Police and Criminal Evidence Act 1984 (section 1)",
            "Stolen goods",
            "A no further action disposal",
            "",
            "",
        ],
        [
            "Vehicle search",
            "2016-01-07T10:00:00+00:00",
            "",
            "",
            "",
            "",
            "",
            "",
            "",
            "",
            "",
            "",
            "",
            "",
            "",
        ],
        [
            "Person search",
            "2016-01-08T10:00:00+00:00",
            "",
            "",
            "",
            "",
            "Male",
            "over 34",
            "Martian",
            "White",
            "",
            "",
            "",
            "",
            "",
        ],  # unknown category -> rejected
    ]
    write(
        tmp_path / "2016-01" / "2016-01-west-midlands-stop-and-search.csv",
        csv_text(STOP_SEARCH_COLUMNS, ss_rows),
    )
    res = read_police_uk(
        tmp_path, force="west-midlands", months=None, lsoa_lookup=lookup, max_unknown_share=0.5
    )
    o = res.tables["outcomes"]
    assert list(o.columns) == OUTCOMES_OUT and list(o["district"]) == ["Birmingham"]
    s = res.tables["stop_search"]
    assert list(s.columns) == STOP_SEARCH_OUT
    assert list(s["self_defined_group"]) == ["Asian", "Not stated", "Not stated"]
    assert bool(s["outcome_linked_to_object"].iloc[0]) is True
    assert pd.isna(s["outcome_linked_to_object"].iloc[1])
    assert s["datetime"].iloc[0] == pd.Timestamp("2016-01-05 14:30")
    assert (s["force"] == "west-midlands").all()
    assert len(res.rejections) == 1
    r = res.rejections.iloc[0]
    assert r["line"] == 5 and r["field"] == "Self-defined ethnicity" and r["value"] == "Martian"
    assert r["path"].endswith("2016-01-west-midlands-stop-and-search.csv")
    assert res.tables["street"].empty and list(res.tables["street"].columns) == STREET_OUT
    # the 2016-01 folder holds no street file: a missing street month, never zero
    assert res.missing_months["street"] == ["2016-01"]


def test_stop_search_summer_time_and_2014_variant(tmp_path):
    rows = [
        [
            "Person search",
            "2014-07-01T00:30:00+01:00",
            "",
            "",
            "",
            "",
            "Male",
            "10-17",
            "White - Irish",
            "White",
            "",
            "",
            "",
        ]
    ]
    write(
        tmp_path / "2014-07-west-midlands-stop-and-search.csv",
        csv_text(STOP_SEARCH_2014_COLUMNS, rows),
    )
    res = read_police_uk(tmp_path, force="West Midlands", kinds=("stop-and-search",))
    s = res.tables["stop_search"]
    # 00:30 BST on 1 July is 23:30 UTC on 30 June: kept in July as local time
    assert s["datetime"].iloc[0] == pd.Timestamp("2014-07-01 00:30")
    assert pd.isna(s["removal_of_more_than_outer_clothing"].iloc[0])
    assert res.files[0]["format"] == "stop-and-search-2014"


def test_self_defined_groups_cover_18_census_categories():
    groups = pd.Series(SELF_DEFINED_GROUPS)
    census = groups[groups != "Not stated"]
    assert len(census) == 18
    assert census.value_counts().to_dict() == {
        "White": 4,
        "Mixed": 4,
        "Asian": 5,
        "Black": 3,
        "Other": 2,
    }


def test_force_slug():
    assert force_slug("West Midlands") == "west-midlands"
    assert force_slug("West Midlands Police") == "west-midlands"
    assert force_slug("Avon and Somerset Constabulary") == "avon-and-somerset"
    assert force_slug("Metropolitan Police Service") == "metropolitan"
    assert force_slug("west-midlands") == "west-midlands"


def test_zip_read_in_place_only_configured_force(tmp_path):
    zpath = tmp_path / "2014-03.zip"
    with zipfile.ZipFile(zpath, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr(
            "2014-03/2014-03-west-midlands-street.csv",
            csv_text(STREET_COLUMNS, [street_row() for _ in range(3)]),
        )
        zf.writestr(
            "2014-03/2014-03-staffordshire-street.csv",
            csv_text(STREET_COLUMNS, [street_row(falls="Staffordshire Police")]),
        )
        zf.writestr(
            "2014-02/2014-02-west-midlands-street.csv",
            csv_text(STREET_COLUMNS, [street_row(month="2014-02")]),
        )
    before = set(tmp_path.rglob("*"))
    res = read_police_uk(
        zpath,
        force="West Midlands",
        months=Period.from_strings("2014-03-01", "2014-04-30"),
        kinds=("street",),
    )
    assert set(tmp_path.rglob("*")) == before  # nothing extracted
    assert len(res.tables["street"]) == 3
    assert res.files[0]["member"] == "2014-03/2014-03-west-midlands-street.csv"
    assert (
        res.tables["street"]["source_file"]
        .iloc[0]
        .endswith("2014-03.zip!2014-03/2014-03-west-midlands-street.csv")
    )
    assert [o["month"] for o in res.out_of_range] == ["2014-02"]
    assert res.missing_months["street"] == ["2014-04"]


def test_synthetic_flag_from_marker(tmp_path):
    from wmp_analysis.provenance import SYNTHETIC_MARKER

    write(
        tmp_path / "real" / "2014-03" / "2014-03-west-midlands-street.csv",
        csv_text(STREET_COLUMNS, [street_row()]),
    )
    res = read_police_uk(tmp_path / "real", force="West Midlands", kinds=("street",))
    assert not res.tables["street"]["synthetic"].any() and not res.files[0]["synthetic"]
    write(
        tmp_path / "sample" / "2014-03" / "2014-03-west-midlands-street.csv",
        csv_text(STREET_COLUMNS, [street_row()]),
    )
    write(tmp_path / "sample" / SYNTHETIC_MARKER, "{}")
    res = read_police_uk(tmp_path / "sample", force="West Midlands", kinds=("street",))
    assert res.tables["street"]["synthetic"].all() and res.files[0]["synthetic"]


def test_missing_months_reported_not_filled(tmp_path):
    for m in ("2014-01", "2014-03"):
        write(
            tmp_path / m / f"{m}-west-midlands-street.csv",
            csv_text(STREET_COLUMNS, [street_row(month=m)]),
        )
    res = read_police_uk(tmp_path, force="West Midlands", kinds=("street",))
    assert res.missing_months["street"] == ["2014-02"]
    assert sorted(res.tables["street"]["month"].dt.month.unique()) == [1, 3]


def test_unknown_crime_type_is_rejected_not_fatal(tmp_path):
    rows = [street_row(), street_row(ctype="Alien abduction"), street_row()]
    write(tmp_path / "2014-03-west-midlands-street.csv", csv_text(STREET_COLUMNS, rows))
    res = read_police_uk(tmp_path, force="West Midlands", kinds=("street",), max_unknown_share=1.0)
    assert len(res.tables["street"]) == 2
    assert res.rejections[["line", "field", "value"]].values.tolist() == [
        [3, "crime_type", "Alien abduction"]
    ]
    assert res.rejection_counts() == {"crime type not in police_uk_categories.csv": 1}
    assert res.files[0]["rows_read"] == 3


def test_line_numbers_exact_with_blank_lines_and_quoted_newlines(tmp_path):
    text = csv_text(STREET_COLUMNS, [street_row()])
    text += "\n"  # blank line 3
    bad = street_row(ctype="Nope")
    bad[6] = "On or near\nTwo Line Road"
    text += csv_text(STREET_COLUMNS, [bad]).split("\n", 1)[1]  # lines 4-5
    text += csv_text(STREET_COLUMNS, [street_row(ctype="Also bad")]).split("\n", 1)[1]  # line 6
    write(tmp_path / "2014-03-west-midlands-street.csv", text)
    res = read_police_uk(tmp_path, force="West Midlands", kinds=("street",), max_unknown_share=1.0)
    assert res.rejections["line"].tolist() == [4, 6]


# --------------------------------------------------------------------------- bad input


def _one(tmp_path, text, name="2014-03-west-midlands-street.csv"):
    p = write(tmp_path / name, text)
    return lambda: read_police_uk(
        p, force="West Midlands", kinds=("street", "outcomes", "stop-and-search")
    )


def test_wrong_header(tmp_path):
    cols = STREET_COLUMNS[:]
    cols[9], cols[8] = cols[8], cols[9]
    with pytest.raises(SchemaError, match="wrong order") as e:
        _one(tmp_path, csv_text(cols, [street_row()]))()
    assert e.value.row == 1 and "2014-03-west-midlands-street.csv" in str(e.value)


def test_semicolon_header(tmp_path):
    with pytest.raises(SchemaError, match="delimited"):
        _one(tmp_path, ";".join(STREET_COLUMNS) + "\n")()


def test_empty_file(tmp_path):
    with pytest.raises(SchemaError, match="empty"):
        _one(tmp_path, "")()


def test_bad_month_value(tmp_path):
    with pytest.raises(ValueFormatError) as e:
        _one(tmp_path, csv_text(STREET_COLUMNS, [street_row(), street_row(month="2014-13")]))()
    assert e.value.row == 3 and e.value.field == "Month"


def test_month_differs_from_file_name(tmp_path):
    with pytest.raises(PeriodError) as e:
        _one(tmp_path, csv_text(STREET_COLUMNS, [street_row(month="2014-04")]))()
    assert e.value.row == 2 and "2014-03" in str(e.value)


def test_impossible_month_in_file_name(tmp_path):
    with pytest.raises(PeriodError, match="impossible month"):
        _one(
            tmp_path,
            csv_text(STREET_COLUMNS, [street_row()]),
            name="2014-13-west-midlands-street.csv",
        )()


def test_other_force_by_name_and_by_falls_within(tmp_path):
    with pytest.raises(UnknownForceError, match="staffordshire"):
        _one(
            tmp_path,
            csv_text(STREET_COLUMNS, [street_row()]),
            name="2014-03-staffordshire-street.csv",
        )()
    with pytest.raises(UnknownForceError) as e:
        _one(
            tmp_path / "b",
            csv_text(STREET_COLUMNS, [street_row(), street_row(falls="Staffordshire Police")]),
        )()
    assert e.value.row == 3 and e.value.field == "Falls within"


def test_folder_of_other_force_only(tmp_path):
    write(
        tmp_path / "2014-03" / "2014-03-staffordshire-street.csv",
        csv_text(STREET_COLUMNS, [street_row()]),
    )
    with pytest.raises(UnknownForceError, match="no files for force"):
        read_police_uk(tmp_path, force="West Midlands")


def test_duplicate_month_folder_and_zip(tmp_path):
    text = csv_text(STREET_COLUMNS, [street_row()])
    write(tmp_path / "2014-03" / "2014-03-west-midlands-street.csv", text)
    with zipfile.ZipFile(tmp_path / "2014-03.zip", "w") as zf:
        zf.writestr("2014-03/2014-03-west-midlands-street.csv", text)
    with pytest.raises(DuplicatePeriodError, match="2 street files for 2014-03"):
        read_police_uk(tmp_path, force="West Midlands")


def test_duplicate_csv_and_gz(tmp_path):
    text = csv_text(STREET_COLUMNS, [street_row()])
    write(tmp_path / "2014-03-west-midlands-street.csv", text)
    write(tmp_path / "2014-03-west-midlands-street.csv.gz", text)
    with pytest.raises(DuplicatePeriodError):
        read_police_uk(tmp_path, force="West Midlands")


def test_non_utf8(tmp_path):
    text = csv_text(STREET_COLUMNS, [street_row(), street_row()]).encode("utf-8")
    text = text.replace(b"High Street", b"H\xe9gh Street", 2)
    with pytest.raises(EncodingError) as e:
        _one(tmp_path, text)()
    assert e.value.row == 2


def test_non_numeric_coordinate(tmp_path):
    row = street_row()
    row[4] = "west-ish"
    with pytest.raises(ValueFormatError) as e:
        _one(tmp_path, csv_text(STREET_COLUMNS, [street_row(), row]))()
    assert e.value.row == 3 and e.value.field == "Longitude"


def test_ragged_row(tmp_path):
    text = csv_text(STREET_COLUMNS, [street_row()]) + "a,b,c\n"
    with pytest.raises(SchemaError) as e:
        _one(tmp_path, text)()
    assert e.value.row == 3


def test_huge_field(tmp_path):
    row = street_row()
    row[6] = "x" * 20_000
    with pytest.raises(ValueFormatError, match="longer") as e:
        _one(tmp_path, csv_text(STREET_COLUMNS, [street_row(), row]))()
    assert e.value.row == 3 and e.value.field == "Location"


def test_truncated_gzip(tmp_path):
    data = gzip.compress(csv_text(STREET_COLUMNS, [street_row()] * 200).encode())
    p = tmp_path / "2014-03-west-midlands-street.csv.gz"
    p.write_bytes(data[: len(data) // 2])
    with pytest.raises(ArchiveError, match="truncated or corrupt"):
        read_police_uk(p, force="West Midlands")


def test_gzip_that_is_not_gzip(tmp_path):
    p = tmp_path / "2014-03-west-midlands-street.csv.gz"
    p.write_bytes(csv_text(STREET_COLUMNS, [street_row()]).encode())
    with pytest.raises(ArchiveError):
        read_police_uk(p, force="West Midlands")


def test_bad_file_name_in_folder(tmp_path):
    write(tmp_path / "crimes.csv", csv_text(STREET_COLUMNS, [street_row()]))
    with pytest.raises(ValueFormatError, match=r"naming|scheme"):
        read_police_uk(tmp_path, force="West Midlands")


def test_8_column_format_written(tmp_path):
    rows = [
        ["2011-01", WM, WM, "408811.0", "284398.0", "On or near Alfred Road", "Robbery", ""],
        ["2011-01", WM, WM, "", "", "No location", "Anti-social behaviour", ""],
    ]
    write(tmp_path / "2011-01-west-midlands-street.csv", csv_text(STREET_2010_COLUMNS, rows))
    df = read_police_uk(tmp_path, force="West Midlands", kinds=("street",)).tables["street"]
    assert df["easting"].iloc[0] == 408811.0 and np.isnan(df["easting"].iloc[1])
    assert (df["district"] == "unassigned").all()


# --------------------------------------------------------------------------- line endings


@pytest.mark.parametrize("eol", ["\r", "\r\n"])
def test_cr_only_and_crlf_files_read_like_lf(tmp_path, eol):
    rows = [street_row(cid="a"), street_row(cid="b", ctype="Nope"), street_row(cid="c")]
    text = csv_text(STREET_COLUMNS, rows)
    write(tmp_path / "lf" / "2014-03-west-midlands-street.csv", text)
    lf = read_police_uk(
        tmp_path / "lf", force="West Midlands", kinds=("street",), max_unknown_share=1.0
    )
    write(tmp_path / "other" / "2014-03-west-midlands-street.csv", text.replace("\n", eol))
    res = read_police_uk(
        tmp_path / "other", force="West Midlands", kinds=("street",), max_unknown_share=1.0
    )
    assert res.tables["street"]["crime_id"].tolist() == ["a", "c"]
    pd.testing.assert_frame_equal(
        res.tables["street"].drop(columns="source_file"),
        lf.tables["street"].drop(columns="source_file"),
    )
    # line numbers unchanged: the unknown type is on line 3 in every variant
    assert res.rejections[["line", "value"]].values.tolist() == [[3, "Nope"]]


def test_stray_cr_in_header_is_a_schema_error_on_line_1(tmp_path):
    text = csv_text(STREET_COLUMNS, [street_row()]).replace("Location", "Loca\rtion", 1)
    with pytest.raises(SchemaError) as e:
        _one(tmp_path, text)()
    assert e.value.row == 1 and "2014-03-west-midlands-street.csv" in str(e.value)


@pytest.mark.parametrize("eol", ["\n", "\r\n"])
def test_bare_cr_in_unquoted_field_names_its_line(tmp_path, eol):
    bad = street_row()
    bad[2] = "West Mid\rlands Police"
    text = csv_text(STREET_COLUMNS, [street_row(), street_row(), bad, street_row()]).replace(
        "\n", eol
    )
    with pytest.raises(SchemaError) as e:
        _one(tmp_path, text)()
    assert e.value.row == 4


def test_cr_in_quoted_field_keeps_line_numbers(tmp_path):
    quoted = street_row()
    quoted[6] = "On or near QUOTED"
    rows = [quoted, street_row(ctype="Nope")]
    text = csv_text(STREET_COLUMNS, rows).replace(
        "On or near QUOTED", '"On or near\rTwo Line Road"'
    )
    write(tmp_path / "2014-03-west-midlands-street.csv", text)
    res = read_police_uk(tmp_path, force="West Midlands", kinds=("street",), max_unknown_share=1.0)
    assert len(res.tables["street"]) == 1
    # the quoted record spans lines 2-3 (its CR read as a line break); the bad type is on line 4
    assert res.rejections["line"].tolist() == [4]


# --------------------------------------------------------------------------- published sets


def _search(gender="Male", age="18-24", officer="White", self_defined="White - Irish"):
    return [
        "Person search",
        "2016-01-05T14:30:00+00:00",
        "False",
        "",
        "52.48",
        "-1.89",
        gender,
        age,
        self_defined,
        officer,
        "Misuse of Drugs Act 1971 (section 23)",
        "Controlled drugs",
        "Arrest",
        "True",
        "False",
    ]


@pytest.mark.parametrize("as_arrow", [False, True])
def test_stop_search_person_fields_outside_published_sets_are_rejected(tmp_path, as_arrow):
    rows = [
        _search(),  # line 2: kept
        _search(gender="Walrus"),  # line 3
        _search(age="35-44"),  # line 4
        _search(officer="Martian"),  # line 5
        _search(gender="", age="", officer=""),  # line 6: blanks are missing, kept
        _search(gender="male"),  # line 7: exact match only
        _search(gender="Walrus", age="old", officer="X"),  # line 8: one rejection, first field
        _search(gender="Other", age="under 10", officer="Mixed"),  # line 9: kept
    ]
    write(
        tmp_path / "2016-01-west-midlands-stop-and-search.csv", csv_text(STOP_SEARCH_COLUMNS, rows)
    )
    res = read_police_uk(
        tmp_path,
        force="West Midlands",
        kinds=("stop-and-search",),
        as_arrow=as_arrow,
        max_unknown_share=1.0,
    )
    s = res.tables["stop_search"]
    s = s.to_pandas() if as_arrow else s
    assert len(s) == 3
    assert s["gender"].tolist()[::2] == ["Male", "Other"] and pd.isna(s["gender"].iloc[1])
    assert res.rejections[["line", "field", "value"]].values.tolist() == [
        [3, "Gender", "Walrus"],
        [4, "Age range", "35-44"],
        [5, "Officer-defined ethnicity", "Martian"],
        [7, "Gender", "male"],
        [8, "Gender", "Walrus"],
    ]
    assert res.rejection_counts() == {
        "age range not in police_uk_values.csv": 1,
        "gender not in police_uk_values.csv": 3,
        "officer-defined ethnicity not in police_uk_values.csv": 1,
    }
    assert res.files[0]["rows_read"] == 8


@pytest.mark.parametrize("as_arrow", [False, True])
def test_unknown_or_missing_outcome_type_is_rejected(tmp_path, as_arrow):
    def row(otype, cid):
        return [
            cid,
            "2016-01",
            WM,
            WM,
            "-1.89",
            "52.48",
            "On or near X",
            "E01008881",
            "Birmingham 001A",
            otype,
        ]

    rows = [
        row("Offender sent to prison", "a"),
        row("Offender sent to the moon", "b"),
        row("", "c"),
        row("Suspect charged as part of another case", "d"),
        row("offender fined", "e"),
    ]
    write(tmp_path / "2016-01-west-midlands-outcomes.csv", csv_text(OUTCOMES_COLUMNS, rows))
    res = read_police_uk(
        tmp_path,
        force="West Midlands",
        kinds=("outcomes",),
        as_arrow=as_arrow,
        max_unknown_share=1.0,
    )
    o = res.tables["outcomes"]
    o = o.to_pandas() if as_arrow else o
    assert o["crime_id"].tolist() == ["a", "d"]
    assert res.rejections[["line", "field", "value"]].values.tolist() == [
        [3, "Outcome type", "Offender sent to the moon"],
        [4, "Outcome type", ""],
        [6, "Outcome type", "offender fined"],
    ]
    assert res.rejection_counts() == {"outcome type not in police_uk_values.csv": 3}


def test_synthetic_generator_values_are_all_published():
    from wmp_analysis.harmonise.police_uk import load_outcome_types
    from wmp_analysis.ingest import police_uk as reader
    from wmp_analysis.synth import police_uk as synth

    outcome_types = load_outcome_types()
    emitted = {t for *_, t in synth.LAST_OUTCOMES if t}
    assert emitted <= outcome_types, emitted - outcome_types
    assert set(synth.OFFICER_DEFINED) <= set(reader.OFFICER_DEFINED_ETHNICITIES)
    assert {a for a, _ in synth.AGE_RANGES if a} == set(reader.AGE_RANGES)
    assert (
        len(outcome_types) >= 25
        and "Investigation complete; no suspect identified" in outcome_types
    )


def test_outcome_reference_table_is_validated(tmp_path):
    from wmp_analysis.harmonise.police_uk import load_outcome_types

    good = write(tmp_path / "good.csv", "outcome_type,note\nLocal resolution,x\nOffender fined,\n")
    assert load_outcome_types(good) == {"Local resolution", "Offender fined"}
    dup = write(tmp_path / "dup.csv", "outcome_type,note\nLocal resolution,x\nLocal resolution,y\n")
    with pytest.raises(SchemaError) as e:
        load_outcome_types(dup)
    assert e.value.row == 3 and e.value.field == "outcome_type"
    with pytest.raises(SchemaError) as e:
        load_outcome_types(write(tmp_path / "hdr.csv", "outcome,note\nLocal resolution,x\n"))
    assert e.value.row == 1
