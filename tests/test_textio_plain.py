"""``read_csv_strict``'s fast path for plain files (pyarrow) against the strict stdlib reader.

A plain file (no quotes, no NUL, no blank line, every line the header's field count) is
parsed by pyarrow; anything else by the standard library's strict ``csv`` reader. Both
must give the same frame - values, dtypes and line numbers - and errors must still name
their line.
"""

from __future__ import annotations

import pandas as pd
import pytest

from wmp_analysis.errors import SchemaError, ValueFormatError
from wmp_analysis.ingest import textio

COLS = ["id", "age", "answer"]


def _strict_only(monkeypatch, text: str, cols=COLS) -> pd.DataFrame:
    with monkeypatch.context() as m:
        m.setattr(textio, "_read_plain_csv", lambda *a: None)
        return textio.read_csv_strict("x.csv", cols, text=text)


def test_plain_file_by_hand():
    text = "id,age,answer\n1,16-24,Very satisfied\n2,,Fairly dissatisfied\n3,65+, \n"
    assert textio._read_plain_csv(textio.normalise_newlines(text), COLS, "x.csv") is not None
    got = textio.read_csv_strict("x.csv", COLS, text=text)
    assert got["id"].tolist() == ["1", "2", "3"]
    assert got["age"].tolist() == ["16-24", "", "65+"]  # an empty cell stays "" (never NaN)
    assert got["answer"].tolist() == ["Very satisfied", "Fairly dissatisfied", " "]
    assert got["_line"].tolist() == [2, 3, 4]


@pytest.mark.parametrize(
    "text,fast",
    [
        ("id,age,answer\n1,16-24,yes\n2,25-34,no\n", True),
        ("id,age,answer\r\n1,16-24,yes\r\n2,25-34,no\r\n", True),  # CRLF, as police.uk
        ("id,age,answer\r1,16-24,yes\r2,25-34,no", True),  # CR only, no final newline
        ("id,age,answer\n1,é,ñ\n", True),
        ('id,age,answer\n1,16-24,"quoted, with comma"\n2,x,y\n', False),
        ('id,age,answer\n1,16-24,"two\nlines"\n2,x,y\n', False),  # line numbers move
        ("id,age,answer\n1,16-24,yes\n\n2,25-34,no\n", False),  # a blank line
        ("id,age,answer\n1,16-24,yes\n   \n2,25-34,no\n", False),  # whitespace only
        ("id,age,answer\n1,16-24,yes\n\n\n", False),  # trailing blank lines
    ],
)
def test_fast_and_strict_readers_agree(monkeypatch, text, fast):
    used = textio._read_plain_csv(textio.normalise_newlines(text), COLS, "x.csv") is not None
    assert used is fast
    pd.testing.assert_frame_equal(
        textio.read_csv_strict("x.csv", COLS, text=text), _strict_only(monkeypatch, text)
    )


def test_line_numbers_after_a_quoted_line_break_come_from_the_strict_reader():
    got = textio.read_csv_strict("x.csv", COLS, text='id,age,answer\n1,a,"x\ny"\n2,b,z\n')
    assert got["_line"].tolist() == [2, 4]


def test_wrong_field_count_in_an_unquoted_file_names_its_line():
    text = "id,age,answer\n1,a,b\n2,c,d\n3,e\n4,f,g\n"
    with pytest.raises(SchemaError) as exc:
        textio.read_csv_strict("x.csv", COLS, text=text)
    assert exc.value.row == 4 and "2 fields" in str(exc.value)


def test_overlong_field_in_an_unquoted_file_names_line_and_column():
    text = f"id,age,answer\n1,a,b\n2,{'x' * (textio.MAX_FIELD_CHARS + 1)},d\n"
    with pytest.raises(ValueFormatError) as exc:
        textio.read_csv_strict("x.csv", COLS, text=text)
    assert exc.value.row == 3 and exc.value.field == "age"


def test_wrong_header_is_refused_before_any_parsing():
    with pytest.raises(SchemaError) as exc:
        textio.read_csv_strict("x.csv", COLS, text="id,answer,age\n1,a,b\n")
    assert exc.value.row == 1 and "wrong order" in str(exc.value)
