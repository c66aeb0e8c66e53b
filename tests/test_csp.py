"""Home Office CSP-level recorded crime reader, on small files written in the published layout."""

from __future__ import annotations

import gzip

import pandas as pd
import pytest

from wmp_analysis.errors import (
    DuplicatePeriodError,
    EncodingError,
    SchemaError,
    UnknownForceError,
    ValueFormatError,
)
from wmp_analysis.ingest.csp import COLUMNS, COLUMNS_2016, missing_quarters, read_csp

HEADER = ",".join(COLUMNS)
ROWS = [
    "2011/12,1,West Midlands,Birmingham,Burglary in a dwelling,Theft offences,Domestic burglary,28A,1234",
    "2011/12,1,West Midlands,Birmingham,Aggravated burglary in a dwelling,Theft offences,Domestic burglary,29,7",
    "2011/12,2,West Midlands,Coventry,Burglary in a dwelling,Theft offences,Domestic burglary,28A,300",
    '2011/12,4,West Midlands,Coventry,Burglary in a dwelling,Theft offences,Domestic burglary,28A,"1,001"',
    "2012/13,1,Staffordshire,Stafford,Burglary in a dwelling,Theft offences,Domestic burglary,28A,55",
]


def write(tmp_path, lines, name="prc-csp.csv", *, bom=False, encoding="utf-8"):
    p = tmp_path / name
    text = "\n".join(lines) + "\n"
    data = text.encode(encoding)
    if bom:
        data = b"\xef\xbb\xbf" + data
    p.write_bytes(data)
    return p


def test_reads_layout_and_normalises(tmp_path):
    df = read_csp(write(tmp_path, [HEADER, *ROWS]))
    assert list(df.columns) == [
        "financial_year",
        "quarter",
        "quarter_end",
        "force",
        "csp_name",
        "csp_code",
        "offence_code",
        "offence_description",
        "offence_group",
        "offence_subgroup",
        "count",
    ]
    assert len(df) == 5
    assert set(df["financial_year"]) == {"2011-12", "2012-13"}
    assert df["count"].dtype == "int64" and df["quarter"].dtype == "int64"
    cov = df[(df.csp_name == "Coventry") & (df.quarter == 4)].iloc[0]
    assert cov["count"] == 1001
    assert cov["quarter_end"] == pd.Timestamp("2012-03-31")
    q2 = df[(df.csp_name == "Coventry") & (df.quarter == 2)].iloc[0]
    assert q2["quarter_end"] == pd.Timestamp("2011-09-30")
    assert (df["csp_code"] == "").all()
    b = df[df.csp_name == "Birmingham"]
    assert b["quarter_end"].eq(pd.Timestamp("2011-06-30")).all()
    assert b["count"].sum() == 1241


def test_force_filter_and_unknown_force(tmp_path):
    p = write(tmp_path, [HEADER, *ROWS])
    df = read_csp(p, forces=["West Midlands"])
    assert set(df["force"]) == {"West Midlands"} and len(df) == 4
    with pytest.raises(UnknownForceError) as exc:
        read_csp(p, forces=["West Midland"])
    assert "West Midland" in str(exc.value)


def test_2016_layout_and_q_prefix_and_bom_and_gzip(tmp_path):
    lines = [
        ",".join(COLUMNS_2016),
        "2016/17,Q3,West Midlands,Solihull,Robbery of personal property,Robbery,Robbery of personal property,34B,40",
    ]
    p = tmp_path / "new.csv.gz"
    p.write_bytes(gzip.compress(b"\xef\xbb\xbf" + ("\n".join(lines) + "\n").encode()))
    df = read_csp(p)
    assert df.loc[0, "financial_year"] == "2016-17"
    assert df.loc[0, "quarter"] == 3
    assert df.loc[0, "quarter_end"] == pd.Timestamp("2016-12-31")
    assert df.loc[0, "force"] == "West Midlands"


def test_folder_of_files_and_duplicate_across_files(tmp_path):
    d = tmp_path / "csp"
    d.mkdir()
    write(d, [HEADER, ROWS[0]], "a.csv")
    write(d, [HEADER, ROWS[2]], "b.csv")
    assert len(read_csp(d)) == 2
    write(d, [HEADER, ROWS[0].replace("1234", "99")], "c.csv")
    with pytest.raises(DuplicatePeriodError) as exc:
        read_csp(d)
    assert "28A" in str(exc.value) and "Birmingham" in str(exc.value)


def test_duplicate_row_names_line(tmp_path):
    p = write(tmp_path, [HEADER, ROWS[0], ROWS[1], ROWS[0].replace("1234", "5")])
    with pytest.raises(DuplicatePeriodError) as exc:
        read_csp(p)
    assert exc.value.row == 4


def test_wrong_header(tmp_path):
    bad = HEADER.replace("CSP Name", "CSP")
    with pytest.raises(SchemaError) as exc:
        read_csp(write(tmp_path, [bad, ROWS[0]]))
    assert exc.value.row == 1 and "CSP Name" in str(exc.value)


def test_semicolon_header(tmp_path):
    with pytest.raises(SchemaError, match="delimited"):
        read_csp(write(tmp_path, [HEADER.replace(",", ";")]))


def test_empty_file(tmp_path):
    p = tmp_path / "empty.csv"
    p.write_bytes(b"")
    with pytest.raises(SchemaError, match="empty"):
        read_csp(p)


def test_non_numeric_count_names_line_and_field(tmp_path):
    p = write(tmp_path, [HEADER, ROWS[0], ROWS[1].replace(",7", ",seven")])
    with pytest.raises(ValueFormatError) as exc:
        read_csp(p)
    assert exc.value.row == 3 and exc.value.field == "Number of Offences"


def test_empty_count_is_not_zero(tmp_path):
    p = write(tmp_path, [HEADER, ROWS[1].replace(",7", ",")])
    with pytest.raises(ValueFormatError) as exc:
        read_csp(p)
    assert exc.value.row == 2


def test_negative_count(tmp_path):
    p = write(tmp_path, [HEADER, ROWS[0], ROWS[2].replace(",300", ",-3")])
    with pytest.raises(ValueFormatError, match="negative") as exc:
        read_csp(p)
    assert exc.value.row == 3


@pytest.mark.parametrize(
    "fy,quarter", [("2011/13", "1"), ("2011", "1"), ("2011/12", "5"), ("2011/12", "")]
)
def test_bad_year_or_quarter(tmp_path, fy, quarter):
    row = f"{fy},{quarter},West Midlands,Dudley,Robbery of business property,Robbery,Robbery of business property,34A,2"
    with pytest.raises(ValueFormatError) as exc:
        read_csp(write(tmp_path, [HEADER, row]))
    assert exc.value.row == 2
    assert exc.value.field in {"Financial Year", "Financial Quarter"}


def test_non_utf8(tmp_path):
    p = write(
        tmp_path, [HEADER, ROWS[0].replace("Birmingham", "Birmingh\u00e4m")], encoding="latin-1"
    )
    with pytest.raises(EncodingError) as exc:
        read_csp(p)
    assert exc.value.row == 2


def test_spreadsheet_refused_with_advice(tmp_path):
    p = tmp_path / "prc-csp-1112-1415-tables.ods"
    p.write_bytes(b"PK\x03\x04")
    with pytest.raises(SchemaError, match="CSV"):
        read_csp(p)


def test_missing_quarters(tmp_path):
    df = read_csp(write(tmp_path, [HEADER, *ROWS]), forces=["West Midlands"])
    gaps = missing_quarters(df, 2011, 2011)
    assert gaps["Birmingham"] == ["2011-12 Q2", "2011-12 Q3", "2011-12 Q4"]
    assert gaps["Coventry"] == ["2011-12 Q1", "2011-12 Q3"]
