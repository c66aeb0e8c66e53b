"""Error messages stay bounded: at most 200 characters of any quoted value (issue 10)."""

from __future__ import annotations

from wmp_analysis.errors import VALUE_LIMIT, SchemaError, ValueFormatError, shorten


def test_shorten_keeps_short_values_whole():
    assert shorten("16.000") == "'16.000'"
    assert shorten(12) == "12"


def test_shorten_cuts_long_values_and_says_how_much():
    value = "a" * 1000
    text = shorten(value)
    # 200 kept characters inside quotes, then the count of the 800 left out
    assert text == "'" + "a" * 200 + "'... (+800 characters)"
    assert VALUE_LIMIT == 200


def test_a_50_mb_header_gives_a_short_message_naming_file_and_line():
    header = "Month," + "x" * 50_000_000
    err = SchemaError(
        f"unexpected header {header!r}",
        path="2016-01-west-midlands-street.csv",
        row=1,
        expected="the police.uk street columns",
    )
    text = str(err)
    assert len(text) < 2_500
    assert "2016-01-west-midlands-street.csv" in text and "line 1" in text
    assert "x" * 201 not in text
    # the structured form used in manifests is bounded too
    assert len(err.to_dict()["message"]) < 2_500


def test_expected_text_is_bounded_too():
    err = ValueFormatError("not a count", path="f.csv", row=3, field="Count", expected="y" * 10_000)
    assert len(str(err)) < 2_500
