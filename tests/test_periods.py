import pandas as pd
import pytest

from wmp_analysis import periods as P


@pytest.mark.parametrize(
    "date,fy,q",
    [
        ("2011-04-01", "2011-12", 1),
        ("2011-06-30", "2011-12", 1),
        ("2011-07-01", "2011-12", 2),
        ("2011-12-31", "2011-12", 3),
        ("2012-01-01", "2011-12", 4),
        ("2012-03-31", "2011-12", 4),
        ("2012-04-01", "2012-13", 1),
        ("1999-03-31", "1998-99", 4),
        ("2099-04-01", "2099-00", 1),
    ],
)
def test_financial_year_and_quarter_scalar(date, fy, q):
    assert P.financial_year(date) == fy
    assert P.financial_quarter(date) == q


def test_financial_year_series_matches_scalar():
    s = pd.Series(pd.date_range("2010-01-01", "2016-12-01", freq="MS"))
    fy = P.financial_year(s)
    q = P.financial_quarter(s)
    # by hand: the financial year starts in April; Q1 = April-June ... Q4 = January-March
    start = [x.year if x.month >= 4 else x.year - 1 for x in s]
    assert list(fy) == [f"{y}-{(y + 1) % 100:02d}" for y in start]
    assert list(q) == [(x.month - 4) % 12 // 3 + 1 for x in s]


@pytest.mark.parametrize(
    "label,start", [("2011-12", 2011), ("2011/12", 2011), ("2011/2012", 2011), ("1999-00", 1999)]
)
def test_parse_fy_label(label, start):
    assert P.parse_fy_label(label) == start


@pytest.mark.parametrize("bad", ["2011-13", "2011", "11-12", "2011-2013", ""])
def test_parse_fy_label_rejects(bad):
    with pytest.raises(ValueError):
        P.parse_fy_label(bad)


def test_period_from_strings_and_label():
    p = P.Period.from_strings("2011-04-01", "2012-03-31")
    assert p.label == "2011-12"
    assert p.n_months == 12
    assert P.Period.financial_year("2012-13") == P.Period.from_strings("2012-04-01", "2013-03-31")
    q = P.Period.from_strings("2012-04-01", "2012-09-30")
    assert q.label == "2012-04-01 to 2012-09-30" and q.n_months == 6
    assert p.contains("2012-03-31") and not p.contains("2012-04-01")


@pytest.mark.parametrize(
    "s,e",
    [("2012-02-30", "2012-03-01"), ("2012-04-01", "2012-03-31"), ("12/04/2012", "2013-03-31")],
)
def test_period_rejects_bad_dates(s, e):
    with pytest.raises(ValueError):
        P.Period.from_strings(s, e)


def test_missing_months_reports_gaps_not_zero():
    expected = pd.period_range("2011-01", "2011-06", freq="M")
    got = P.missing_months(["2011-01", "2011-02", "2011-04", "2011-06"], expected)
    assert got == ["2011-03", "2011-05"]


def test_index_inputs_match_scalars():
    months = pd.period_range("2010-01", "2013-12", freq="M")
    stamps = months.to_timestamp()
    for idx in (months, stamps):
        assert list(P.financial_year_start(idx)) == [
            m.year if m.month >= 4 else m.year - 1 for m in stamps
        ]
        assert list(P.financial_month(idx)) == [((m.month - 4) % 12) + 1 for m in stamps]
        assert list(P.financial_quarter(idx)) == [(m.month - 4) % 12 // 3 + 1 for m in stamps]
    assert (
        P.financial_month("2012-04-15") == 1 and P.financial_month(pd.Period("2013-03", "M")) == 12
    )
    assert list(P.financial_month(pd.Series(stamps[:3]))) == [10, 11, 12]
    assert P.fy_label(2011, sep="/") == "2011/12"
