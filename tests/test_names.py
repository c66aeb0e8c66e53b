"""Name matching: normal form, "did you mean", control characters (issue 10 item 3).

Expectations are written by hand: the normal form of each example is worked out from
the Unicode rules (NFKC, case folding) and the suggestions are the names a reader
would pick.
"""

import pytest

from wmp_analysis.errors import (
    InputError,
    UnknownCategoryError,
    UnknownForceError,
    ValueFormatError,
)
from wmp_analysis.names import match_name, normalise_name

FORCES = ["West Midlands", "West Mercia", "West Yorkshire", "Staffordshire", "Greater Manchester"]
OFFENCES = ["Robbery", "Homicide", "Domestic burglary", "Theft from the person"]


@pytest.mark.parametrize(
    "raw, expected",
    [
        ("West Midlands", "west midlands"),
        ("  WEST   MIDLANDS ", "west midlands"),
        ("West\u00a0Midlands", "west midlands"),  # no-break space -> space (NFKC)
        ("\uff37est Midlands", "west midlands"),  # full-width W -> W (NFKC)
        ("STRASSE", "strasse"),
        ("Stra\u00dfe", "strasse"),  # casefold: sharp s -> ss
    ],
)
def test_normal_form(raw, expected):
    assert normalise_name(raw) == expected


@pytest.mark.parametrize(
    "raw", ["West\x00Midlands", "West\tMidlands", "Robbery\n", "Rob\u200bbery", "\x07"]
)
def test_control_characters_are_errors_not_removed(raw):
    with pytest.raises(ValueFormatError) as exc:
        normalise_name(raw, path="f.csv", row=4, field="PFA")
    msg = str(exc.value)
    assert "control character" in msg and "f.csv" in msg and "line 4" in msg and "'PFA'" in msg


def test_not_text_is_an_error():
    with pytest.raises(ValueFormatError):
        normalise_name(12)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    "raw, canonical",
    [
        ("WEST MIDLANDS", "West Midlands"),
        ("west midlands", "West Midlands"),
        ("  West  Midlands", "West Midlands"),
        ("greater manchester", "Greater Manchester"),
    ],
)
def test_force_matches_after_normalisation(raw, canonical):
    assert match_name(raw, FORCES, what="force") == canonical


def test_offence_lowercase_matches():
    assert match_name("robbery", OFFENCES, what="offence") == "Robbery"
    assert match_name("THEFT FROM THE PERSON", OFFENCES, what="offence") == "Theft from the person"


def test_unknown_force_suggests_nearest():
    with pytest.raises(UnknownForceError) as exc:
        match_name("West Midland", FORCES, what="force", path="ons.csv", row=7, field="PFA")
    e = exc.value
    assert isinstance(e, InputError)
    assert e.path == "ons.csv" and e.row == 7 and e.field == "PFA"
    assert "did you mean 'West Midlands'" in str(e)


def test_region_is_not_a_force():
    with pytest.raises(UnknownForceError) as exc:
        match_name("West Midlands Region", FORCES, what="force")
    assert "'West Midlands'" in str(exc.value)


def test_unknown_offence_is_category_error_with_suggestion():
    with pytest.raises(UnknownCategoryError) as exc:
        match_name("Robery", OFFENCES, what="offence")
    assert "did you mean 'Robbery'" in str(exc.value)


def test_unknown_district_is_category_error():
    with pytest.raises(UnknownCategoryError) as exc:
        match_name(
            "Birmingam", ["Birmingham", "Coventry", "Dudley"], what="district", field="districts"
        )
    assert "Birmingham" in str(exc.value)


def test_nothing_close_says_so():
    with pytest.raises(UnknownForceError) as exc:
        match_name("Zzzz", FORCES, what="force")
    assert "no known name is close" in str(exc.value)


def test_nul_in_value_is_format_error_not_unknown():
    with pytest.raises(ValueFormatError) as exc:
        match_name("West Midlands\x00", FORCES, what="force", field="PFA")
    assert "U+0000" in str(exc.value)


def test_long_value_is_shortened_in_message():
    with pytest.raises(UnknownForceError) as exc:
        match_name("x" * 5000, FORCES, what="force")
    assert len(str(exc.value)) < 600


def test_ambiguous_known_list_is_refused():
    with pytest.raises(ValueError):
        match_name("a", ["Robbery", "ROBBERY"], what="offence")
