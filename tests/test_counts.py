"""The one strict integer rule for every count (issue 10 item 3).

A count is digits (``1234``) or digits grouped in exact thousands with commas
(``1,234,567``). The examples are worked by hand: what a person reading the cell
would take it to mean, and whether that is unambiguous.
"""

import pandas as pd
import pytest

from wmp_analysis.errors import ValueFormatError
from wmp_analysis.ingest.census import read_population
from wmp_analysis.ingest.csp import COLUMNS as CSP_COLUMNS
from wmp_analysis.ingest.csp import read_csp
from wmp_analysis.ingest.textio import parse_count, parse_int_column

GOOD = [
    ("0", 0),
    ("7", 7),
    ("1234", 1234),
    ("1,234", 1234),
    ("1,234,567", 1_234_567),
    ("12,000", 12_000),
    (" 42 ", 42),
    ("007", 7),
    ("9223372036854775807", 2**63 - 1),
    ("9,223,372,036,854,775,807", 2**63 - 1),
]

BAD = [
    "16.000",  # European thousands point, or 16 with three decimals: ambiguous
    "12,5",  # decimal comma, or a broken thousands group
    "1,23",
    "1,2345",
    ",123",
    "123,",
    "1,,234",
    "1e30",
    "1E3",
    "inf",
    "-inf",
    "Infinity",
    "NaN",
    "nan",
    "1 234",
    "1\u00a0234",
    "1_234",
    "+5",
    "0x10",
    "12.5",
    "1.0",
    "\uff11\uff12",  # full-width digits
    "\u0663",  # Arabic-Indic three
    "",
    "   ",
    "-",
    "n/a",
    "lots",
    "[x]",
    "..",
    "9223372036854775808",
    "99999999999999999999",
    "1" * 400,
]


@pytest.mark.parametrize("text,value", GOOD)
def test_good_counts(text, value):
    assert parse_count(text) == value
    df = pd.DataFrame({"n": [text], "_line": [2]})
    assert parse_int_column(df, "n", "f.csv").tolist() == [value]


@pytest.mark.parametrize("text", BAD)
def test_bad_counts_name_file_line_field_and_value(text):
    df = pd.DataFrame({"n": ["5", text], "_line": [2, 7]})
    with pytest.raises(ValueFormatError) as ei:
        parse_int_column(df, "n", "some/file.csv")
    e = ei.value
    assert (e.path, e.row, e.field) == ("some/file.csv", 7, "n")
    msg = str(e)
    assert "some/file.csv" in msg and "line 7" in msg and "'n'" in msg
    assert len(msg) < 700  # the value is quoted cut to 200 characters
    if text.strip():
        assert repr(text[:200]) in msg or repr(text)[:-1] in msg
    with pytest.raises(ValueFormatError):
        parse_count(text)


def test_sign_only_where_allowed():
    df = pd.DataFrame({"n": ["-120", "3"], "_line": [2, 3]})
    assert parse_int_column(df, "n", "f", allow_negative=True).tolist() == [-120, 3]
    with pytest.raises(ValueFormatError, match="negative count '-120'"):
        parse_int_column(df, "n", "f")
    assert parse_count("-1,234", allow_negative=True) == -1234
    with pytest.raises(ValueFormatError):
        parse_count("--5", allow_negative=True)


def test_zero_decimals_only_exactly_as_the_publisher_writes_them():
    df = pd.DataFrame({"n": ["1074283.00", "12"], "_line": [2, 3]})
    assert parse_int_column(df, "n", "f", zero_decimals=2).tolist() == [1_074_283, 12]
    for bad in ["1074283.50", "1074283.0", "1074283.000", "16.000"]:
        with pytest.raises(ValueFormatError):
            parse_int_column(pd.DataFrame({"n": [bad], "_line": [2]}), "n", "f", zero_decimals=2)


def test_result_dtype_and_index():
    df = pd.DataFrame({"n": ["1", "2,000"], "_line": [2, 3]}, index=[10, 11])
    out = parse_int_column(df, "n", "f")
    assert out.dtype == "int64" and out.index.tolist() == [10, 11] and out.tolist() == [1, 2000]


# ------------------------------------------------------------------- the readers use the rule


def _csp(tmp_path, count):
    p = tmp_path / "csp.csv"
    p.write_text(
        ",".join(CSP_COLUMNS) + "\n"
        f'2011/12,1,West Midlands,Birmingham,Robbery of personal property,Robbery,Robbery,34B,"{count}"\n'
    )
    return p


@pytest.mark.parametrize("count", ["16.000", "12,5", "1e30", "inf", "NaN", "-4"])
def test_csp_counts(tmp_path, count):
    with pytest.raises(ValueFormatError) as ei:
        read_csp(_csp(tmp_path, count))
    assert ei.value.row == 2 and ei.value.field == "Number of Offences"


def test_csp_thousands(tmp_path):
    assert read_csp(_csp(tmp_path, "1,200"))["count"].tolist() == [1200]


@pytest.mark.parametrize(
    "value,ok",
    [
        ("1,085,400.00", True),
        ("1085400.00", True),
        ("1085400", True),
        ("16.000", False),
        ("1085400.5", False),
        ("1e6", False),
        ("NaN", False),
    ],
)
def test_population_counts(tmp_path, value, ok):
    p = tmp_path / "pop.csv"
    p.write_text(
        f'Name,PFA,Geography,Mid-2012,\nBirmingham,West Midlands,Metropolitan District,"{value}",\n'
    )
    if ok:
        assert read_population(p)["population"].tolist() == [1_085_400]
    else:
        with pytest.raises(ValueFormatError) as ei:
            read_population(p)
        assert ei.value.row == 2 and ei.value.field == "Mid-2012"
