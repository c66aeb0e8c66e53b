"""Census ethnicity, population and geography lookups: real files and small bad files."""

from __future__ import annotations

import csv
import gzip

import pytest
from conftest import require_shared

from wmp_analysis.errors import (
    DuplicatePeriodError,
    EncodingError,
    SchemaError,
    UnknownForceError,
    ValueFormatError,
)
from wmp_analysis.ingest.census import (
    ETHNIC_CATEGORIES,
    FORCE_ETHNICITY_COLUMNS,
    LA_ETHNICITY_COLUMNS,
    force_districts,
    read_census_ethnicity_force,
    read_census_ethnicity_la,
    read_lad_lookup,
    read_lsoa_lookup,
    read_population,
)

WM = ["Birmingham", "Coventry", "Dudley", "Sandwell", "Solihull", "Walsall", "Wolverhampton"]
LA = "population/la-ethnic-groups.csv"
FORCE = "population/force-demographics.csv"
POP = "population/regionalpopulation.csv"
LSOA = "population/Lower_Layer_Super_Output_Area_2011_to_Ward_2018_Lookup_in_England_and_Wales_v3.csv.gz"
LAD = (
    "population/Local_Authority_District_to_Community_Safety_Partnerships_to_Police_Force_Areas__"
    "December_2016__Lookup_in_England_and_Wales.csv"
)


@pytest.fixture(scope="module")
def la_real():
    return read_census_ethnicity_la(require_shared(LA))


@pytest.fixture(scope="module")
def lad_real():
    return read_lad_lookup(require_shared(LAD))


# ------------------------------------------------------------------ real files


def test_la_ethnicity_real_shape(la_real):
    assert len(la_real) == 348 * 24
    assert set(la_real["level"]) == {"lad"}
    cats = la_real.loc[~la_real["is_group_total"], "category"].unique().tolist()
    assert cats == list(ETHNIC_CATEGORIES) and len(cats) == 18
    assert set(la_real["group"]) == {"White", "Mixed", "Asian", "Black", "Other", "All"}
    bham = la_real[(la_real.geography == "Birmingham")]
    assert bham["geography_code"].iloc[0] == "E08000025"
    assert bham.loc[bham.category == "All", "count"].item() == 1073045


def test_wm_residents_by_group_match_independent_sum(la_real):
    path = require_shared(LA)
    want: dict[str, int] = {}
    labels = {
        "All": "Ethnic Group: All categories: Ethnic group; measures: Value",
        **{
            g: f"Ethnic Group: {g}; measures: Value"
            for g in ("White", "Mixed", "Asian", "Black", "Other")
        },
    }
    with open(path, newline="", encoding="utf-8-sig") as fh:
        for row in csv.DictReader(fh):
            if row["geography"] in WM:
                for g, col in labels.items():
                    want[g] = want.get(g, 0) + int(row[col])
    got = (
        la_real[la_real.geography.isin(WM) & la_real.is_group_total]
        .groupby("group")["count"]
        .sum()
        .to_dict()
    )
    assert got == want
    assert want["All"] == sum(want[g] for g in ("White", "Mixed", "Asian", "Black", "Other"))
    # the force-level file agrees with the sum of the seven districts
    force = read_census_ethnicity_force(require_shared(FORCE))
    wm = (
        force[(force.geography == "West Midlands") & force.is_group_total]
        .set_index("group")["count"]
        .to_dict()
    )
    assert wm == want


def test_force_ethnicity_real():
    force = read_census_ethnicity_force(
        require_shared(FORCE), pfa_codes={"West Midlands": "E23000014"}
    )
    assert len(force) == 43 * 24 and set(force.level) == {"pfa"}
    wm = force[force.geography == "West Midlands"]
    assert (wm.geography_code == "E23000014").all()
    assert wm.loc[wm.category == "Chinese", "count"].item() == 21430
    assert (force.loc[force.geography == "Kent", "geography_code"] == "").all()


def test_population_real():
    pop = read_population(require_shared(POP))
    b = pop[pop.name == "Birmingham"].set_index("year")["population"]
    assert b[2011] == 1_074_283 and b[2015] == 1_114_932
    assert sorted(pop.year.unique()) == list(range(2011, 2024))
    assert pop["population"].dtype == "int64"
    assert len(pop) == 357 * 13
    met = pop[(pop.name == "West Midlands (Met County)") & (pop.year == 2011)]
    assert (
        met["pfa"].item() == "West Midlands"
        and met["geography_type"].item() == "Metropolitan County"
    )
    # names with commas inside quotes parse as one field
    assert "Kingston upon Hull, City of" in set(pop.name)


def test_lsoa_lookup_real_wm_counts():
    lk = read_lsoa_lookup(require_shared(LSOA))
    assert len(lk) == 34_753
    wm = lk[lk.lad_name.isin(WM)]
    assert len(wm) == 1680
    assert wm.lad_name.value_counts().to_dict() == {
        "Birmingham": 639,
        "Dudley": 201,
        "Coventry": 195,
        "Sandwell": 186,
        "Walsall": 167,
        "Wolverhampton": 158,
        "Solihull": 134,
    }
    assert list(lk.columns) == [
        "lsoa_code",
        "lsoa_name",
        "ward_code",
        "ward_name",
        "lad_code",
        "lad_name",
    ]


def test_lad_lookup_real(lad_real):
    assert len(lad_real) == 348
    wm = lad_real[lad_real.lad_name.isin(WM)]
    assert len(wm) == 7 and set(wm.pfa_code) == {"E23000014"}
    assert force_districts(lad_real, "West Midlands") == WM
    with pytest.raises(UnknownForceError):
        force_districts(lad_real, "West Midland")


# ------------------------------------------------------------------ small bad files


def _la_row(
    name="Testshire",
    code="E06999999",
    white=(90, 5, 1, 4),
    mixed=(1, 1, 1, 1),
    asian=(1, 1, 1, 1, 1),
    black=(1, 1, 1),
    other=(1, 1),
    all_=None,
    rural="Total",
):
    groups = [white, mixed, asian, black, other]
    total = sum(sum(g) for g in groups) if all_ is None else all_
    vals = [total]
    for g in groups:
        vals += [sum(g), *g]
    return ["2011", name, code, rural, *[str(v) for v in vals]]


def _write_csv(path, header, rows, *, bom=False):
    with open(path, "w", newline="", encoding="utf-8-sig" if bom else "utf-8") as fh:
        w = csv.writer(fh, quoting=csv.QUOTE_MINIMAL)
        w.writerow(header)
        w.writerows(rows)
    return path


def test_la_small_file_with_bom(tmp_path):
    p = _write_csv(tmp_path / "la.csv", LA_ETHNICITY_COLUMNS, [_la_row()], bom=True)
    df = read_census_ethnicity_la(p)
    assert len(df) == 24
    assert df.loc[df.category == "All", "count"].item() == 100 + 4 + 5 + 3 + 2
    assert df.loc[df.category == "White British", "count"].item() == 90


def test_la_group_total_mismatch(tmp_path):
    row = _la_row()
    row[5] = str(int(row[5]) + 1)  # White total off by one
    p = _write_csv(tmp_path / "la.csv", LA_ETHNICITY_COLUMNS, [_la_row(code="E1"), row])
    with pytest.raises(ValueFormatError, match="White total") as exc:
        read_census_ethnicity_la(p)
    assert exc.value.row == 3


def test_la_all_mismatch(tmp_path):
    p = _write_csv(tmp_path / "la.csv", LA_ETHNICITY_COLUMNS, [_la_row(all_=1)])
    with pytest.raises(ValueFormatError, match="All categories") as exc:
        read_census_ethnicity_la(p)
    assert exc.value.row == 2


def test_la_wrong_header_non_numeric_rural_duplicate(tmp_path):
    bad_header = LA_ETHNICITY_COLUMNS[:-1]
    with pytest.raises(SchemaError):
        read_census_ethnicity_la(_write_csv(tmp_path / "a.csv", bad_header, [_la_row()[:-1]]))
    row = _la_row()
    row[10] = "n/a"
    with pytest.raises(ValueFormatError) as exc:
        read_census_ethnicity_la(_write_csv(tmp_path / "b.csv", LA_ETHNICITY_COLUMNS, [row]))
    assert exc.value.row == 2 and exc.value.field == LA_ETHNICITY_COLUMNS[10]
    with pytest.raises(ValueFormatError, match="Rural Urban"):
        read_census_ethnicity_la(
            _write_csv(tmp_path / "c.csv", LA_ETHNICITY_COLUMNS, [_la_row(rural="Urban")])
        )
    with pytest.raises(DuplicatePeriodError):
        read_census_ethnicity_la(
            _write_csv(tmp_path / "d.csv", LA_ETHNICITY_COLUMNS, [_la_row(), _la_row()])
        )
    neg = _la_row(other=(-1, 1))
    with pytest.raises(ValueFormatError, match="negative"):
        read_census_ethnicity_la(_write_csv(tmp_path / "e.csv", LA_ETHNICITY_COLUMNS, [neg]))


def test_force_small_file(tmp_path):
    # force names are matched to the 43 police force areas after normalisation (issue 10):
    # capitals and the '&' spelling read as the reference names
    row = _la_row()[3:]
    row[0] = "WARWICKSHIRE"
    row2 = _la_row()[3:]
    row2[0] = "Devon & Cornwall"
    p = _write_csv(tmp_path / "f.csv", FORCE_ETHNICITY_COLUMNS, [row, row2])
    df = read_census_ethnicity_force(p)
    assert set(df.level) == {"pfa"} and list(dict.fromkeys(df.geography)) == [
        "Warwickshire",
        "Devon and Cornwall",
    ]
    assert (df.geography_code == "").all()
    # codes from a lookup that spells the name differently
    df = read_census_ethnicity_force(
        p, pfa_codes={"Devon and Cornwall": "E23000035", "Warwickshire": "E23000017"}
    )
    assert list(dict.fromkeys(df.geography_code)) == ["E23000017", "E23000035"]


def test_force_unknown_or_nul_name_is_an_error(tmp_path):
    row = _la_row()[3:]
    row[0] = "Testshire Police"
    p = _write_csv(tmp_path / "f.csv", FORCE_ETHNICITY_COLUMNS, [row])
    with pytest.raises(UnknownForceError) as exc:
        read_census_ethnicity_force(p)
    assert (
        exc.value.row == 2 and exc.value.field == "PFA16NM" and "Testshire Police" in str(exc.value)
    )
    row[0] = "West Mercia\x00"
    p = _write_csv(tmp_path / "g.csv", FORCE_ETHNICITY_COLUMNS, [row])
    with pytest.raises(ValueFormatError, match="U\\+0000"):
        read_census_ethnicity_force(p)


def test_population_small_files(tmp_path):
    p = tmp_path / "pop.csv"
    p.write_bytes(
        "\ufeffName,PFA,Geography,Mid-2012,Mid-2011,\r\nTestby,,District,101.00,100.00,\r\n".encode()
    )
    df = read_population(p)
    assert df[["year", "population"]].values.tolist() == [[2011, 100], [2012, 101]]
    p.write_text("Name,PFA,Geography,Mid-2012,Mid-2011\nTestby,,District,101,100\n")
    assert len(read_population(p)) == 2  # no trailing column is fine too
    p.write_text("Name,Force,Geography,Mid-2012,\nTestby,,District,101,\n")
    with pytest.raises(SchemaError):
        read_population(p)
    p.write_text("Name,PFA,Geography,Mid-2012,\nTestby,,District,10.5,\n")
    with pytest.raises(ValueFormatError) as exc:
        read_population(p)
    assert exc.value.row == 2 and exc.value.field == "Mid-2012"
    p.write_text("Name,PFA,Geography,Mid-2012,\nTestby,,District,10,oops\n")
    with pytest.raises(ValueFormatError, match="unnamed"):
        read_population(p)
    p.write_bytes(b"")
    with pytest.raises(SchemaError, match="empty"):
        read_population(p)


def test_lookups_small_files(tmp_path):
    p = tmp_path / "lsoa.csv.gz"
    p.write_bytes(
        gzip.compress(
            b"\xef\xbb\xbfLSOA11CD,LSOA11NM,WD17CD,WD17NM,LAD17CD,LAD17NM\n"
            b"E01000001,Test 001A,E05000001,Ward A,E08000025,Birmingham\n"
        )
    )
    df = read_lsoa_lookup(p)
    assert df.iloc[0].tolist() == [
        "E01000001",
        "Test 001A",
        "E05000001",
        "Ward A",
        "E08000025",
        "Birmingham",
    ]
    p.write_bytes(
        gzip.compress(
            b"LSOA11CD,LSOA11NM,WD17CD,WD17NM,LAD17CD,LAD17NM\n"
            b"E01000001,A,W,W,L,L\nE01000001,A,W,W,L,L\n"
        )
    )
    with pytest.raises(ValueFormatError, match="twice") as exc:
        read_lsoa_lookup(p)
    assert exc.value.row == 3
    p.write_bytes(gzip.compress(b"LSOA11CD,LSOA11NM,WD17CD,LAD17CD,LAD17NM\nE1,A,W,L,L\n"))
    with pytest.raises(SchemaError, match="WD"):
        read_lsoa_lookup(p)
    p.write_bytes(gzip.compress(b"LSOA11CD,LSOA11NM,WD17CD,WD17NM,LAD17CD,LAD17NM\n")[:20])
    with pytest.raises(Exception) as exc:
        read_lsoa_lookup(p)
    assert exc.value.__class__.__name__ == "ArchiveError"
    q = tmp_path / "lad.csv"
    q.write_bytes(
        "LAD16CD,LAD16NM,CSP16CD,CSP16NM,PFA16CD,PFA16NM,FID\nE1,D\xe9,C,C,P,P,1\n".encode(
            "latin-1"
        )
    )
    with pytest.raises(EncodingError):
        read_lad_lookup(q)
    q.write_text("LAD16CD,LAD16NM,CSP16CD,CSP16NM,PFA16CD,PFA16NM,Extra\nE1,D,C,C,P,P,1\n")
    with pytest.raises(SchemaError, match="Extra"):
        read_lad_lookup(q)
    q.write_text("LAD16CD,LAD16NM,CSP16CD,CSP16NM,PFA16CD,PFA16NM\nE1,D,C,C,,P\n")
    with pytest.raises(ValueFormatError) as exc:
        read_lad_lookup(q)
    assert exc.value.field == "PFA16CD"
