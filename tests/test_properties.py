"""Property-based tests (Hypothesis) of the readers and the statistics.

Readers: random *valid* ONS and police.uk files round-trip with every row accounted
for (kept, or listed as a rejection); random *invalid* ones (random bytes, permuted
headers, garbage in random cells) either read or raise an ``InputError`` subclass,
never anything else.

Statistics: proportions stay in [0, 1], intervals contain their estimates and stay
inside [0, 1] (Wilson), the Poisson rate-ratio interval contains the rate ratio,
rate ratios do not depend on the order of rows or of equal groups.

Reproducible: every test uses a derandomized, database-less profile with a modest
number of examples and no deadline (no timing assertions).
"""

from __future__ import annotations

import csv
import io
import math
import tempfile
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from wmp_analysis.errors import InputError

PROFILE = dict(
    max_examples=30,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.too_slow],
)
FAST = settings(**PROFILE)
FEW = settings(**{**PROFILE, "max_examples": 12})

# ----------------------------------------------------------------------------- generators

# Text a publisher might put in a name field: letters, digits, punctuation incl. commas,
# quotes and non-ASCII (written with csv quoting), but no line breaks or NULs.
name_text = (
    st.text(
        alphabet=st.characters(
            blacklist_categories=("Cs", "Cc"), blacklist_characters="\x00\r\n\u2028\u2029\x85"
        ),
        min_size=1,
        max_size=30,
    )
    .map(str.strip)
    .filter(bool)
)

ONS_COLUMNS = [
    "12 months ending",
    "PFA",
    "Region",
    "Offence",
    "Rolling year total number of offences",
]


def _csv_text(header: list[str], rows: list[list[str]]) -> str:
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(header)
    w.writerows(rows)
    return buf.getvalue()


@st.composite
def ons_rows(draw):
    # names come from the reference lists: an unknown force or offence is an error (issue 10)
    from wmp_analysis.ingest.ons import KNOWN_OFFENCES
    from wmp_analysis.names import force_index

    forces = draw(
        st.lists(
            st.sampled_from(sorted(set(force_index().values()))),
            min_size=1,
            max_size=3,
            unique=True,
        )
    )
    offences = draw(
        st.lists(st.sampled_from(sorted(KNOWN_OFFENCES)), min_size=1, max_size=3, unique=True)
    )
    ends = draw(
        st.lists(
            st.dates(
                min_value=pd.Timestamp("2002-01-01").date(),
                max_value=pd.Timestamp("2025-12-31").date(),
            ).map(lambda d: (pd.Timestamp(d) + pd.offsets.MonthEnd(0)).date()),
            min_size=1,
            max_size=4,
            unique=True,
        )
    )
    rows = []
    for f in forces:
        for o in offences:
            for e in ends:
                count = draw(st.integers(min_value=-5000, max_value=10**7))
                rows.append([e.strftime("%d-%m-%Y"), f, "Region", o, str(count)])
    order = draw(st.permutations(range(len(rows))))
    return [rows[i] for i in order]


def _write(tmp: Path, name: str, data: str | bytes) -> Path:
    p = tmp / name
    p.parent.mkdir(parents=True, exist_ok=True)
    p.write_bytes(data.encode("utf-8") if isinstance(data, str) else data)
    return p


# ----------------------------------------------------------------------------- ONS reader


@FAST
@given(rows=ons_rows(), bom=st.booleans(), crlf=st.booleans())
def test_ons_valid_files_round_trip(rows, bom, crlf):
    from wmp_analysis.ingest.ons import read_ons_pfa

    text = _csv_text(ONS_COLUMNS, rows)
    if crlf:
        text = text.replace("\n", "\r\n")
    with tempfile.TemporaryDirectory() as tmp:
        p = _write(Path(tmp), "ons.csv", ("\ufeff" if bom else "") + text)
        df = read_ons_pfa(p)
    assert len(df) == len(rows)
    got = sorted(
        zip(
            df["force"],
            df["offence"],
            df["period_end"].dt.strftime("%d-%m-%Y"),
            df["count"].astype(int),
        )
    )
    want = sorted((r[1], r[3], r[0], int(r[4])) for r in rows)
    assert got == want
    # line numbers point back at the source rows
    assert sorted(df["line"]) == list(range(2, len(rows) + 2))


@FAST
@given(data=st.binary(max_size=400))
def test_ons_random_bytes_only_input_errors(data):
    from wmp_analysis.ingest.ons import read_ons_pfa

    with tempfile.TemporaryDirectory() as tmp:
        p = _write(Path(tmp), "ons.csv", data)
        try:
            read_ons_pfa(p)
        except InputError:
            pass


@FAST
@given(perm=st.permutations(ONS_COLUMNS), rows=ons_rows())
def test_ons_header_permutations_are_schema_errors(perm, rows):
    from wmp_analysis.errors import SchemaError
    from wmp_analysis.ingest.ons import read_ons_pfa

    assume(list(perm) != ONS_COLUMNS)
    with tempfile.TemporaryDirectory() as tmp:
        p = _write(Path(tmp), "ons.csv", _csv_text(list(perm), rows))
        with pytest.raises(SchemaError) as info:
            read_ons_pfa(p)
    assert info.value.row == 1 and "ons.csv" in str(info.value)


garbage = st.one_of(
    st.text(max_size=12),
    st.sampled_from(["", "n/a", "-", "1e3", "12.5", "NaN", "31-02-2012", '"', ",", "\t"]),
)


@FAST
@given(rows=ons_rows(), data=st.data())
def test_ons_cell_garbage_reads_or_raises_input_error(rows, data):
    from wmp_analysis.ingest.ons import read_ons_pfa

    n = data.draw(st.integers(min_value=1, max_value=3))
    for _ in range(n):
        i = data.draw(st.integers(0, len(rows) - 1))
        j = data.draw(st.integers(0, 4))
        rows[i][j] = data.draw(garbage)
    with tempfile.TemporaryDirectory() as tmp:
        p = _write(Path(tmp), "ons.csv", _csv_text(ONS_COLUMNS, rows))
        try:
            df = read_ons_pfa(p)
        except InputError as exc:
            assert exc.path is not None and "ons.csv" in str(exc)
        else:
            assert len(df) == len(rows)


# ----------------------------------------------------------------------------- police.uk reader

STREET_COLUMNS = [
    "Crime ID",
    "Month",
    "Reported by",
    "Falls within",
    "Longitude",
    "Latitude",
    "Location",
    "LSOA code",
    "LSOA name",
    "Crime type",
    "Last outcome category",
    "Context",
]
STREET_2010_COLUMNS = [
    "Month",
    "Reported by",
    "Falls within",
    "Easting",
    "Northing",
    "Location",
    "Crime type",
    "Context",
]
# crime types valid in 2012-05 (after the Sept 2011 split, before May 2013)
TYPES_2012 = [
    "Anti-social behaviour",
    "Burglary",
    "Robbery",
    "Vehicle crime",
    "Violent crime",
    "Other crime",
    "Criminal damage and arson",
    "Shoplifting",
    "Drugs",
    "Other theft",
    "Public disorder and weapons",
]
TYPES_2011 = [
    "Anti-social behaviour",
    "Burglary",
    "Robbery",
    "Vehicle crime",
    "Violent crime",
    "Other crime",
]


@st.composite
def street_rows(draw, fmt: str):
    n = draw(st.integers(min_value=1, max_value=25))
    rows = []
    for i in range(n):
        loc = "On or near " + draw(name_text)
        if fmt == "street":
            ctype = draw(st.sampled_from(TYPES_2012))
            # unique per row (a repeated Crime ID within a month is a duplicate, rejected)
            cid = (
                ""
                if ctype == "Anti-social behaviour"
                else f"{i:08x}{draw(st.integers(0, 2**63)):056x}"
            )
            lon = draw(st.one_of(st.just(""), st.floats(-3.5, 0.5).map(lambda x: f"{x:.6f}")))
            lat = "" if lon == "" else f"{draw(st.floats(51.5, 53.5)):.6f}"
            rows.append(
                [
                    cid,
                    "2012-05",
                    "West Midlands Police",
                    "West Midlands Police",
                    lon,
                    lat,
                    loc,
                    "E01009308",
                    "Birmingham 138A",
                    ctype,
                    "Under investigation",
                    "",
                ]
            )
        else:
            ctype = draw(st.sampled_from(TYPES_2011))
            e = draw(st.one_of(st.just(""), st.integers(300000, 450000).map(lambda x: f"{x}.0")))
            nn = "" if e == "" else f"{draw(st.integers(250000, 320000))}.0"
            rows.append(
                ["2011-02", "West Midlands Police", "West Midlands Police", e, nn, loc, ctype, ""]
            )
    return rows


def _read_street(tmp: Path, month: str, text: str | bytes):
    from wmp_analysis.ingest.police_uk import read_police_uk

    _write(tmp, f"src/{month}/{month}-west-midlands-street.csv", text)
    # up to 3 unknown crime types in 1-25 rows: rejections, not the 0.5% default stop
    return read_police_uk(
        tmp / "src", force="West Midlands", kinds=["street"], max_unknown_share=1.0
    )


@FAST
@given(rows=street_rows("street"), n_bad=st.integers(0, 3), data=st.data())
def test_street_valid_files_round_trip(rows, n_bad, data):
    """Every row is either in the table or in the rejections, never lost."""
    for _ in range(n_bad):  # unknown crime types: rejected, counted
        i = data.draw(st.integers(0, len(rows) - 1))
        rows[i][9] = "Unknown type " + data.draw(st.text(alphabet="abcxyz", max_size=5))
    bad_lines = sorted({i + 2 for i, r in enumerate(rows) if r[9].startswith("Unknown type")})
    with tempfile.TemporaryDirectory() as tmp:
        res = _read_street(Path(tmp), "2012-05", _csv_text(STREET_COLUMNS, rows))
    street = res.tables["street"]
    assert len(street) + len(res.rejections) == len(rows)
    assert sorted(res.rejections["line"].astype(int)) == bad_lines
    assert res.files[0]["rows_read"] == len(rows)
    kept = [r for r in rows if not r[9].startswith("Unknown type")]
    assert sorted(street["location"].astype(str)) == sorted(r[6] for r in kept)
    assert set(street["category_stable"]) <= {
        "Anti-social behaviour",
        "Burglary",
        "Robbery",
        "Vehicle crime",
        "Violent crime",
        "Other crime",
    }


@FEW
@given(rows=street_rows("street-2010"))
def test_street_2010_files_round_trip(rows):
    with tempfile.TemporaryDirectory() as tmp:
        res = _read_street(Path(tmp), "2011-02", _csv_text(STREET_2010_COLUMNS, rows))
    street = res.tables["street"]
    assert len(street) == len(rows) and len(res.rejections) == 0
    assert set(street["source_format"]) == {"street-2010"}
    assert (street["district"] == "unassigned").all()  # no LSOA in the 2010 format: never guessed


@FAST
@given(data=st.binary(max_size=400))
def test_street_random_bytes_only_input_errors(data):
    with tempfile.TemporaryDirectory() as tmp:
        try:
            _read_street(Path(tmp), "2012-05", data)
        except InputError as exc:
            assert "2012-05-west-midlands-street.csv" in str(exc)


@FEW
@given(perm=st.permutations(STREET_COLUMNS), rows=street_rows("street"))
def test_street_header_permutations_are_schema_errors(perm, rows):
    from wmp_analysis.errors import SchemaError

    assume(list(perm) != STREET_COLUMNS)
    with tempfile.TemporaryDirectory() as tmp, pytest.raises(SchemaError) as info:
        _read_street(Path(tmp), "2012-05", _csv_text(list(perm), rows))
    assert info.value.row == 1


LOCATION_ONLY = "location rejected, record kept"


def _assert_every_street_row_accounted_for(rows, cells):
    """Read *rows* with *cells* ((row, column, value)) overwritten; check the accounting.

    Every row is kept or dropped (a dropped row is one rejection); a location-only
    rejection nulls the coordinates of a row that stays in the table, so it is
    counted among the kept rows, never twice.
    """
    for i, j, value in cells:
        rows[i][j] = value
    with tempfile.TemporaryDirectory() as tmp:
        try:
            res = _read_street(Path(tmp), "2012-05", _csv_text(STREET_COLUMNS, rows))
        except InputError as exc:
            assert "2012-05-west-midlands-street.csv" in str(exc)
            return
    street = res.tables["street"]
    reasons = res.rejections["reason"].astype(str)
    location_only = reasons.str.startswith(LOCATION_ONLY)
    assert len(street) + int((~location_only).sum()) == len(rows)
    assert int(location_only.sum()) <= len(street)
    assert int(location_only.sum()) == res.location_rejections.get("street", 0)
    kept_lines = set(res.rejections.loc[location_only, "line"].astype(int))
    dropped_lines = set(res.rejections.loc[~location_only, "line"].astype(int))
    assert not kept_lines & dropped_lines


@FAST
@given(rows=street_rows("street"), data=st.data())
def test_street_cell_garbage_reads_or_raises_input_error(rows, data):
    n = data.draw(st.integers(min_value=1, max_value=3))
    cells = [
        (
            data.draw(st.integers(0, len(rows) - 1)),
            data.draw(st.integers(0, len(STREET_COLUMNS) - 1)),
            data.draw(garbage),
        )
        for _ in range(n)
    ]
    _assert_every_street_row_accounted_for(rows, cells)


def test_street_half_given_location_is_kept_with_its_location_rejected():
    """The case CI's Hypothesis run found: longitude "0", latitude blank.

    The record stays (coordinates nulled) and is listed once as a location rejection;
    the earlier form of the property counted it twice (kept + rejected).
    """
    row = [
        "",
        "2012-05",
        "West Midlands Police",
        "West Midlands Police",
        "",
        "",
        "On or near 0",
        "E01009308",
        "Birmingham 138A",
        "Anti-social behaviour",
        "Under investigation",
        "",
    ]
    lon = STREET_COLUMNS.index("Longitude")
    with tempfile.TemporaryDirectory() as tmp:
        text = _csv_text(STREET_COLUMNS, [[*row[:lon], "0", *row[lon + 1 :]]])
        res = _read_street(Path(tmp), "2012-05", text)
    assert len(res.tables["street"]) == 1
    assert res.tables["street"]["longitude"].isna().all()
    assert list(res.rejections["reason"].str.startswith(LOCATION_ONLY)) == [True]
    _assert_every_street_row_accounted_for([list(row)], [(0, lon, "0")])


# ----------------------------------------------------------------------------- statistics

counts = st.integers(min_value=0, max_value=200_000)
pos_counts = st.integers(min_value=1, max_value=200_000)
exposures = st.floats(min_value=0.5, max_value=1e6, allow_nan=False, allow_infinity=False)


@FEW
@given(ct=pos_counts, et=exposures, cb=pos_counts, eb=exposures)
def test_poisson_rate_ratio_ci_contains_estimate(ct, et, cb, eb):
    from wmp_analysis.analysis.stats import poisson_rate_ratio_test

    r = poisson_rate_ratio_test(ct, et, cb, eb)
    rr = r["rate_ratio"]
    assert rr == pytest.approx((ct / et) / (cb / eb))
    assert r["ci_low"] <= rr * (1 + 1e-9) and rr <= r["ci_high"] * (1 + 1e-9)
    assert r["ci_low"] >= 0 and 0 <= r["p_value"] <= 1


@FAST
@given(ct=pos_counts, et=exposures, cb=pos_counts, eb=exposures)
def test_poisson_rate_ratio_swapping_groups_inverts(ct, et, cb, eb):
    from wmp_analysis.analysis.stats import poisson_rate_ratio_test

    a = poisson_rate_ratio_test(ct, et, cb, eb)
    b = poisson_rate_ratio_test(cb, eb, ct, et)
    assert a["rate_ratio"] * b["rate_ratio"] == pytest.approx(1.0)
    assert a["ci_low"] == pytest.approx(1 / b["ci_high"], rel=2e-3)  # root-finding tolerance
    assert a["p_value"] == pytest.approx(b["p_value"], rel=1e-6, abs=1e-12)


@FAST
@given(c=pos_counts, e=exposures)
def test_equal_groups_have_rate_ratio_one(c, e):
    from wmp_analysis.analysis.stats import poisson_rate_ratio_test
    from wmp_analysis.analysis.stopsearch import rate_ratio

    r = poisson_rate_ratio_test(c, e, c, e)
    assert r["rate_ratio"] == pytest.approx(1.0)
    assert r["ci_low"] <= 1.0 <= r["ci_high"] and r["p_value"] == pytest.approx(1.0)
    s = rate_ratio(c, e, c, e)
    assert s["rr"] == pytest.approx(1.0) and s["ci_low"] <= 1.0 <= s["ci_high"]


@FAST
@given(y=st.lists(st.booleans(), min_size=1, max_size=60), data=st.data())
def test_weighted_proportion_wilson_in_unit_interval(y, data):
    from wmp_analysis.analysis.equality import weighted_proportion

    w = data.draw(st.lists(st.floats(0.05, 20, allow_nan=False), min_size=len(y), max_size=len(y)))
    r = weighted_proportion(y, w)
    assert 0.0 <= r["ci_low"] <= r["p"] + 1e-12 and r["p"] <= r["ci_high"] + 1e-12 <= 1.0 + 1e-12
    assert 0.0 <= r["p"] <= 1.0
    assert 0 < r["n_eff"] <= len(y) + 1e-9
    # order of respondents does not matter
    perm = data.draw(st.permutations(range(len(y))))
    r2 = weighted_proportion([y[i] for i in perm], [w[i] for i in perm])
    assert r2["p"] == pytest.approx(r["p"]) and r2["ci_low"] == pytest.approx(r["ci_low"])


@FAST
@given(rows=st.lists(st.tuples(st.integers(1, 5000), st.floats(0, 1)), min_size=1, max_size=12))
def test_aggregated_estimates_proportions_and_intervals(rows):
    from wmp_analysis.analysis.equality import aggregated_estimates

    base = [b for b, _ in rows]
    npos = [int(round(f * b)) for b, f in rows]
    agg = pd.DataFrame(
        {
            "group_type": "all",
            "group": [f"g{i}" for i in range(len(rows))],
            "measure": "confidence",
            "period_start": pd.Timestamp("2011-04-01"),
            "period_end": pd.Timestamp("2012-03-31"),
            "base_n": base,
            "n_positive": npos,
            "weighted_proportion": np.nan,
        }
    )
    out = aggregated_estimates(agg, min_base=1)
    assert ((out["estimate"] >= 0) & (out["estimate"] <= 100)).all()
    assert ((out["ci_low"] >= 0) & (out["ci_high"] <= 100)).all()
    assert (
        (out["ci_low"] <= out["estimate"] + 1e-9) & (out["estimate"] <= out["ci_high"] + 1e-9)
    ).all()


@FAST
@given(p1=st.floats(0, 1), n1=st.integers(1, 3000), p2=st.floats(0, 1), n2=st.integers(1, 3000))
def test_proportion_gap_interval_contains_gap(p1, n1, p2, n2):
    from wmp_analysis.analysis.equality import proportion_gap

    # proportions observed on whole respondents
    p1, p2 = round(p1 * n1) / n1, round(p2 * n2) / n2
    r = proportion_gap(p1, n1, p2, n2)
    assert -1 <= r["ci_low"] <= r["gap"] + 1e-9 and r["gap"] <= r["ci_high"] + 1e-9 <= 1 + 1e-9
    assert r["significant"] == (r["ci_low"] > 0 or r["ci_high"] < 0)


@FAST
@given(c=counts, e=exposures)
def test_poisson_rate_ci_contains_rate(c, e):
    from wmp_analysis.analysis.stopsearch import poisson_rate_ci

    lo, hi = poisson_rate_ci(c, e)
    rate = c / e * 1000
    assert 0 <= lo <= rate * (1 + 1e-12) and rate <= hi


@FEW
@given(
    p=st.lists(st.one_of(st.floats(0, 1), st.just(float("nan"))), min_size=1, max_size=20),
    data=st.data(),
)
def test_adjust_pvalues_bounds_and_order(p, data):
    from wmp_analysis.analysis.stats import adjust_pvalues

    out = adjust_pvalues(p)
    raw = np.asarray(p, dtype=float)
    adj = out["p_adjusted"].to_numpy()
    ok = ~np.isnan(raw)
    assert (np.isnan(adj) == ~ok).all()
    assert (adj[ok] >= raw[ok] - 1e-12).all() and (adj[ok] <= 1).all()
    perm = list(data.draw(st.permutations(range(len(p)))))
    out2 = adjust_pvalues([p[i] for i in perm])
    np.testing.assert_allclose(out2["p_adjusted"].to_numpy(), adj[perm])


GROUPS = ["White", "Mixed", "Asian", "Black", "Other"]


@st.composite
def searches(draw):
    n = draw(st.integers(1, 40))
    groups = draw(st.lists(st.sampled_from(GROUPS + ["Not stated"]), min_size=n, max_size=n))
    outcomes = draw(
        st.lists(
            st.sampled_from(["Arrest", "A no further action disposal", ""]), min_size=n, max_size=n
        )
    )
    linked = draw(st.lists(st.sampled_from([True, False, None]), min_size=n, max_size=n))
    return pd.DataFrame(
        {
            "self_defined_group": pd.Series(groups, dtype="str"),
            "officer_defined_ethnicity": pd.Series(["White"] * n, dtype="str"),
            "age_range": pd.Series(["18-24"] * n, dtype="str"),
            "outcome": pd.Series(outcomes, dtype="str"),
            "outcome_linked_to_object": pd.array(linked, dtype="boolean"),
        }
    )


def _population(pop_asian_black: int) -> pd.Series:
    pop = pd.Series(
        {
            "White": 1_000_000,
            "Mixed": 50_000,
            "Asian": pop_asian_black,
            "Black": pop_asian_black,
            "Other": 20_000,
        }
    )
    pop["BME"] = pop[["Mixed", "Asian", "Black", "Other"]].sum()
    pop["All"] = pop["BME"] + pop["White"]
    return pop.astype("int64")


@FEW
@given(df=searches(), data=st.data())
def test_search_rates_invariant_to_row_order(df, data):
    from wmp_analysis.analysis.stopsearch import outcome_rates, search_rates

    pop = _population(100_000)
    perm = list(data.draw(st.permutations(range(len(df)))))
    shuffled = df.iloc[perm].reset_index(drop=True)
    a, b = search_rates(df, pop), search_rates(shuffled, pop)
    pd.testing.assert_frame_equal(a, b)
    oa, ob = outcome_rates(df), outcome_rates(shuffled)
    pd.testing.assert_frame_equal(oa, ob)
    for col, lo, hi in (
        ("arrest_rate", "arrest_ci_low", "arrest_ci_high"),
        ("find_rate", "find_ci_low", "find_ci_high"),
    ):
        ok = oa[col].notna()
        assert ((oa.loc[ok, col] >= 0) & (oa.loc[ok, col] <= 100)).all()
        assert (
            (oa.loc[ok, lo] <= oa.loc[ok, col] + 1e-9) & (oa.loc[ok, col] <= oa.loc[ok, hi] + 1e-9)
        ).all()
        assert ((oa.loc[ok, lo] >= 0) & (oa.loc[ok, hi] <= 100 + 1e-9)).all()


@FEW
@given(k=st.integers(1, 60), white=st.integers(1, 200), pop=st.integers(1000, 500_000))
def test_equal_groups_get_equal_rate_ratios(k, white, pop):
    """Asian and Black with equal searches and equal populations: identical rates and RRs."""
    from wmp_analysis.analysis.stopsearch import search_rates

    groups = ["Asian"] * k + ["Black"] * k + ["White"] * white
    df = pd.DataFrame({"self_defined_group": pd.Series(groups, dtype="str")})
    out = search_rates(df, _population(pop)).set_index("group")
    cols = [
        "searches",
        "rate_per_1000",
        "rate_ci_low",
        "rate_ci_high",
        "rr_vs_white",
        "rr_ci_low",
        "rr_ci_high",
        "rr_p_value",
    ]
    pd.testing.assert_series_equal(
        out.loc["Asian", cols], out.loc["Black", cols], check_names=False
    )
    rr = out.loc["Asian", "rr_vs_white"]
    assert rr == pytest.approx((k / pop) / (white / 1_000_000))
    assert out.loc["Asian", "rr_ci_low"] <= rr <= out.loc["Asian", "rr_ci_high"]


@FAST
@given(base=st.floats(-1e6, 1e6, allow_nan=False), actual=st.floats(-1e6, 1e6, allow_nan=False))
def test_pct_change_sign_and_zero_base(base, actual):
    from wmp_analysis.analysis.stats import pct_change

    r = pct_change(base, actual)
    if base == 0:
        assert math.isnan(r)
    else:
        assert r == pytest.approx(100 * (actual - base) / base)
        if base > 0:
            assert (r > 0) == (actual > base)


# ----------------------------------------------------------------------------- every other reader


def _other_readers():
    from wmp_analysis.config import load_config
    from wmp_analysis.ingest import census, csp
    from wmp_analysis.ingest.survey import read_survey

    return {
        "csp.csv": csp.read_csp,
        "la-ethnic-groups.csv": census.read_census_ethnicity_la,
        "force-demographics.csv": census.read_census_ethnicity_force,
        "regionalpopulation.csv": census.read_population,
        "lsoa-lookup.csv": census.read_lsoa_lookup,
        "lad-lookup.csv": census.read_lad_lookup,
        "survey.csv": read_survey,
        "config.yaml": load_config,
    }


# Seeds that look like each format's header, so that mutations reach the row checks.
_SEEDS = {
    "csp.csv": "Financial Year,Financial Quarter,Force Name,CSP Name,Offence Description,Offence Group,"
    "Offence Subgroup,Offence Code,Number of Offences\n2011/12,1,West Midlands,Birmingham,B,B,B,28A,12\n",
    "regionalpopulation.csv": "Name,PFA,Geography,Mid-2012,Mid-2011,\nB,West Midlands,District,10.00,9.00,\n",
    "lsoa-lookup.csv": "LSOA11CD,LSOA11NM,WD18CD,WD18NM,LAD18CD,LAD18NM\nE01,B 001A,E05,W,E08,B\n",
    "lad-lookup.csv": "LAD16CD,LAD16NM,CSP16CD,CSP16NM,PFA16CD,PFA16NM\nE08,B,E22,B,E23,West Midlands\n",
    "survey.csv": "group_type,group,measure,period_start,period_end,base_n,n_positive\n"
    "all,All,confidence,2011-04-01,2012-03-31,100,50\n",
    "config.yaml": "name: x\nforce: West Midlands\nplan: spp-2012-15\nbaseline: {start: 2011-04-01, end: 2012-03-31}\n"
    "target_period: {start: 2012-04-01, end: 2013-03-31}\nsources: {}\n",
}


@st.composite
def mutated(draw, seed: str):
    data = bytearray(seed.encode("utf-8"))
    for _ in range(draw(st.integers(1, 4))):
        op = draw(st.sampled_from(["flip", "insert", "delete", "truncate"]))
        if not data:
            break
        i = draw(st.integers(0, len(data) - 1))
        if op == "flip":
            data[i] = draw(st.integers(0, 255))
        elif op == "insert":
            data[i:i] = draw(
                st.sampled_from(
                    [b",", b'"', b"\n", b"\r", b"-1", b"x", b"\xef\xbb\xbf", b":", b"[", b"*"]
                )
            )
        elif op == "delete":
            del data[i]
        else:
            del data[i:]
    return bytes(data)


@pytest.mark.parametrize(
    "name",
    [
        "csp.csv",
        "la-ethnic-groups.csv",
        "force-demographics.csv",
        "regionalpopulation.csv",
        "lsoa-lookup.csv",
        "lad-lookup.csv",
        "survey.csv",
        "config.yaml",
    ],
)
@FEW
@given(data=st.data())
def test_other_readers_random_input_only_input_errors(name, data):
    reader = _other_readers()[name]
    seed = _SEEDS.get(name)
    blob = data.draw(
        st.one_of(st.binary(max_size=300), mutated(seed)) if seed else st.binary(max_size=300)
    )
    with tempfile.TemporaryDirectory() as tmp:
        p = _write(Path(tmp), name, blob)
        try:
            reader(p)
        except InputError as exc:
            assert exc.path is not None and name in str(exc)
