"""ONS recorded crime by PFA: real file figures, quirks kept visible, bad input."""

import gzip

import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from wmp_analysis.errors import (
    ArchiveError,
    DuplicatePeriodError,
    EncodingError,
    SchemaError,
    UnknownCategoryError,
    UnknownForceError,
    ValueFormatError,
)
from wmp_analysis.ingest.ons import COLUMNS, describe_quirks, read_ons_pfa

HEADER = ",".join(COLUMNS) + "\n"


def _wm(ons, offence, date):
    sel = ons[
        (ons.force == "West Midlands")
        & (ons.offence == offence)
        & (ons.period_end == pd.Timestamp(date))
    ]
    assert len(sel) == 1
    return int(sel["count"].iloc[0])


def test_real_file_shape_and_published_figures(ons_real):
    assert len(ons_real) == 46_469
    assert list(ons_real.columns) == [
        "period_end",
        "date_as_published",
        "force",
        "region",
        "offence",
        "count",
        "line",
    ]
    assert _wm(ons_real, "Domestic burglary", "2012-03-31") == 15_898
    assert _wm(ons_real, "Domestic burglary", "2013-03-31") == 13_571
    assert _wm(ons_real, "Domestic burglary", "2015-03-31") == 11_425
    assert _wm(ons_real, "Domestic burglary", "2016-03-31") == 11_966
    forces = set(ons_real.force)
    assert {"West Midlands", "Greater Manchester", "West Yorkshire", "Merseyside"} <= forces
    assert ons_real.period_end.min() == pd.Timestamp("2003-03-31")
    assert ons_real.period_end.max() == pd.Timestamp("2018-12-31")


def test_real_file_quirks_are_visible_not_repaired(ons_real):
    q = describe_quirks(ons_real)
    # the date typo is kept as published and snapped to the month end
    assert ("30-12-2017", "2017-12-31") in q["non_quarter_end_dates"]
    typo = ons_real[ons_real.date_as_published == "30-12-2017"]
    assert len(typo) > 0 and (typo.period_end == pd.Timestamp("2017-12-31")).all()
    # negative counts kept (fraud moving to Action Fraud)
    assert len(q["negative_counts"]) > 0
    assert (ons_real["count"] < 0).sum() == len(q["negative_counts"])
    assert any(r["offence"] == "Fraud offences" for r in q["negative_counts"])
    # offence groups that start or stop
    cov = q["offence_coverage"]
    assert "Residential burglary" in cov and cov["Residential burglary"]["first"] > "2012-01-01"


def test_force_filter_and_unknown_force(ons_real, shared_data):
    wm = read_ons_pfa(shared_data / "ons/rec-crime-pfa.csv", forces=["West Midlands"])
    assert set(wm.force) == {"West Midlands"}
    assert len(wm) == (ons_real.force == "West Midlands").sum()
    with pytest.raises(UnknownForceError) as ei:
        read_ons_pfa(shared_data / "ons/rec-crime-pfa.csv", forces=["West Midland"])
    assert "West Midlands" in str(ei.value)  # suggests the near miss
    assert "rec-crime-pfa.csv" in str(ei.value)


def _write(tmp_path, text, name="ons.csv", encoding="utf-8"):
    p = tmp_path / name
    p.write_bytes(text.encode(encoding) if isinstance(text, str) else text)
    return p


#: One-row files in each layout: header, then rows (force, offence, count) for 12 months
#: ending 31 March 2012. The wide table has the year ending in its own column.
WIDE_HEADER = "Area Code,Area Name,Year ending,"
CODE = {"West Midlands": "E23000014", "Staffordshire": "E23000015"}


def _small(layout, rows):
    if layout == "rolling":
        return HEADER + "".join(f'31-03-2012,{f},West Midlands,{o},"{c}"\n' for f, o, c in rows)
    offences = list(dict.fromkeys(o for _, o, _ in rows))
    text = WIDE_HEADER + ",".join(offences) + "\n"
    for force in dict.fromkeys(f for f, _, _ in rows):
        cells = {o: c for f, o, c in rows if f == force}
        text += (
            f"{CODE.get(force, '')},{force},March 2012,"
            + ",".join(f'"{cells[o]}"' for o in offences)
            + "\n"
        )
    return text


@pytest.mark.parametrize("layout", ["rolling", "wide"])
def test_small_file_and_bom(tmp_path, layout):
    p = _write(tmp_path, "\ufeff" + _small(layout, [("West Midlands", "Robbery", "7,260")]))
    df = read_ons_pfa(p)
    assert df["count"].tolist() == [7260] and df["line"].tolist() == [2]
    assert df.period_end.tolist() == [pd.Timestamp("2012-03-31")]


@pytest.mark.parametrize(
    "body,exc,row,field",
    [
        (
            "31-03-2012,West Midlands,West Midlands,Robbery,lots\n",
            ValueFormatError,
            2,
            "Rolling year total number of offences",
        ),
        (
            "31-03-2012,West Midlands,West Midlands,Robbery,\n",
            ValueFormatError,
            2,
            "Rolling year total number of offences",
        ),
        (
            "31-02-2012,West Midlands,West Midlands,Robbery,5\n",
            ValueFormatError,
            2,
            "12 months ending",
        ),
        (
            "2012-03-31,West Midlands,West Midlands,Robbery,5\n",
            ValueFormatError,
            2,
            "12 months ending",
        ),
        (
            "31-03-2012,West Midlands,West Midlands,Robbery,5\n31-03-2012,West Midlands,West Midlands,Robbery,6\n",
            DuplicatePeriodError,
            3,
            "12 months ending",
        ),
    ],
)
def test_bad_values_name_line_and_field(tmp_path, body, exc, row, field):
    p = _write(tmp_path, HEADER + body)
    with pytest.raises(exc) as ei:
        read_ons_pfa(p)
    assert ei.value.row == row and ei.value.field == field and str(p) in str(ei.value)


@pytest.mark.parametrize(
    "text,exc",
    [
        ("", SchemaError),
        ("12 months ending,PFA,Region,Offence\n31-03-2012,a,b,c\n", SchemaError),
        (
            "PFA,12 months ending,Region,Offence,Rolling year total number of offences\n",
            SchemaError,
        ),
        (HEADER.replace(",", ";"), SchemaError),
    ],
)
def test_bad_headers(tmp_path, text, exc):
    p = _write(tmp_path, text)
    with pytest.raises(exc) as ei:
        read_ons_pfa(p)
    assert str(p) in str(ei.value)


def test_reordered_header_is_named(tmp_path):
    p = _write(
        tmp_path, "PFA,12 months ending,Region,Offence,Rolling year total number of offences\n"
    )
    with pytest.raises(SchemaError, match="wrong order"):
        read_ons_pfa(p)


@pytest.mark.parametrize("layout", ["rolling", "wide"])
def test_non_utf8_names_line(tmp_path, layout):
    text = _small(layout, [("West Midlands", "Robbery", "5"), ("Staffordshire", "Robbery", "5")])
    raw = text.replace("Staffordshire", "G\xf6ttingen").encode("latin-1")
    p = _write(tmp_path, raw)
    with pytest.raises(EncodingError) as ei:
        read_ons_pfa(p)
    assert ei.value.row == 3


@pytest.mark.parametrize("layout", ["rolling", "wide"])
def test_gzip_input_and_truncated_gzip(tmp_path, layout):
    data = _small(layout, [("West Midlands", "Robbery", "5")]).encode()
    good = tmp_path / "ons.csv.gz"
    good.write_bytes(gzip.compress(data))
    assert read_ons_pfa(good)["count"].tolist() == [5]
    bad = tmp_path / "trunc.csv.gz"
    bad.write_bytes(gzip.compress(data * 50)[:-20])
    with pytest.raises(ArchiveError):
        read_ons_pfa(bad)
    notgz = tmp_path / "plain.csv.gz"
    notgz.write_bytes(data)
    with pytest.raises(ArchiveError, match="gzip"):
        read_ons_pfa(notgz)


@pytest.mark.parametrize("layout", ["rolling", "wide"])
def test_raw_input_not_modified_wide_and_rolling(tmp_path, layout):
    p = _write(
        tmp_path,
        "\ufeff" + _small(layout, [("West Midlands", "Robbery", "1,203")]).replace("\n", "\r\n"),
    )
    before = p.read_bytes()
    df = read_ons_pfa(p)
    assert p.read_bytes() == before
    assert df["count"].tolist() == [1203]


def test_raw_input_not_modified(tmp_path):
    p = _write(tmp_path, "\ufeff" + HEADER + "30-12-2017,West Midlands,West Midlands,Robbery,-3\n")
    before = p.read_bytes()
    df = read_ons_pfa(p)
    assert p.read_bytes() == before
    assert df["count"].tolist() == [-3] and df.period_end.iloc[0] == pd.Timestamp("2017-12-31")


# ----------------------------------------------------------------------------- both layouts
#
# The same hand-written figures written in the two layouts the ONS has published:
#   rolling  "12 months ending,PFA,Region,Offence,Rolling year total number of offences"
#            (rec-crime-pfa.csv), one row per period, force and offence group;
#   wide     "Area Code,Area Name,<period>,<one column per offence group>" (Table P1 of the
#            "Police force area data tables"), one row per area and year ending, with the
#            country and the region in the same column as the forces.
# Codes: E23000014 West Midlands, E23000015 Staffordshire (ONS Open Geography PFA codes),
# E12000005 West Midlands Region, K04000001 England and Wales.

CODES = {
    "West Midlands": "E23000014",
    "Staffordshire": "E23000015",
    "Greater Manchester": "E23000005",
}
REGION = {
    "West Midlands": "West Midlands",
    "Staffordshire": "West Midlands",
    "Greater Manchester": "North West",
}
MONTHS = {"03": "March", "06": "June", "09": "September", "12": "December"}

#: (12 months ending, force, offence, count as written): hand-written figures.
SPEC = [
    ("31-03-2012", "West Midlands", "Robbery", "7,260"),
    ("31-03-2012", "West Midlands", "Domestic burglary", "15,898"),
    ("31-03-2013", "West Midlands", "Robbery", "5,417"),
    ("31-03-2013", "West Midlands", "Domestic burglary", "13,571"),
    ("31-03-2012", "Staffordshire", "Robbery", "612"),
    ("31-03-2012", "Staffordshire", "Domestic burglary", "3,998"),
    ("31-03-2013", "Staffordshire", "Robbery", "540"),
    ("31-03-2013", "Staffordshire", "Domestic burglary", "3,611"),
]


def _rolling_text(spec):
    lines = [",".join(COLUMNS)]
    for end, force, offence, count in spec:
        lines.append(f'{end},{force},{REGION.get(force, "West Midlands")},{offence},"{count}"')
    return "\n".join(lines) + "\n"


def _wide_text(spec, *, with_codes=True):
    """The same figures as a wide table: country and region rows beside the forces."""
    offences = list(dict.fromkeys(o for _, _, o, _ in spec))
    periods = list(dict.fromkeys(e for e, *_ in spec))
    cell = {(e, f, o): c for e, f, o, c in spec}
    head = (["Area Code"] if with_codes else []) + ["Area Name", "Year ending"] + offences
    lines = [
        '"Table P1: Police recorded crime by offence group and police force area, England and Wales"',
        ",".join(f'"{h}"' for h in head),
    ]
    for end in periods:
        label = f"{MONTHS[end[3:5]]} {end[6:]}"
        # country and region rows (any numbers would do: they are left out)
        for code, name in (
            ("K04000001", "England and Wales"),
            ("E12000005", "West Midlands Region"),
        ):
            vals = ['"99,999"' for _ in offences]
            lines.append(",".join(([code] if with_codes else []) + [name, label] + vals))
        for force in dict.fromkeys(f for e, f, _, _ in spec if e == end):
            vals = [f'"{cell[(end, force, off)]}"' for off in offences]
            lines.append(",".join(([CODES[force]] if with_codes else []) + [force, label] + vals))
    return "\n".join(lines) + "\n"


def _write_layout(tmp_path, layout, spec, **kw):
    text = _rolling_text(spec) if layout == "rolling" else _wide_text(spec, **kw)
    return _write(tmp_path, text, name=f"{layout}.csv")


def _line_of(path, force, end_text, offence=None):
    """Line (1-based) of the source row for force/period (and offence in the rolling layout)."""
    for n, line in enumerate(path.read_text().splitlines(), 1):
        parts = line.split(",")
        if force in parts and (end_text in line) and (offence is None or offence in line):
            return n
    raise AssertionError("row not found")


LAYOUTS = ["rolling", "wide"]


@pytest.mark.parametrize("layout", LAYOUTS)
def test_both_layouts_same_tidy_table(tmp_path, layout):
    p = _write_layout(tmp_path, layout, SPEC)
    df = read_ons_pfa(p)
    assert df.attrs["layout"] == layout
    assert list(df.columns) == [
        "period_end",
        "date_as_published",
        "force",
        "region",
        "offence",
        "count",
        "line",
    ]
    assert len(df) == 8  # the country and region rows of the wide table are not forces
    assert set(df.force) == {"West Midlands", "Staffordshire"}
    assert set(df.region) == {"West Midlands"}
    got = {(r.force, r.offence, f"{r.period_end:%Y-%m-%d}"): int(r.count) for r in df.itertuples()}
    assert got[("West Midlands", "Domestic burglary", "2012-03-31")] == 15_898
    assert got[("West Midlands", "Domestic burglary", "2013-03-31")] == 13_571
    assert got[("West Midlands", "Robbery", "2013-03-31")] == 5_417
    assert got[("Staffordshire", "Robbery", "2012-03-31")] == 612
    assert df["count"].dtype == "int64" and pd.api.types.is_datetime64_dtype(df["period_end"])
    # line numbers point at the source row
    wm = df[
        (df.force == "West Midlands") & (df.offence == "Robbery") & (df.period_end == "2013-03-31")
    ]
    end_text = "31-03-2013" if layout == "rolling" else "March 2013"
    assert int(wm["line"].iloc[0]) == _line_of(
        p, "West Midlands", end_text, "Robbery" if layout == "rolling" else None
    )


def test_both_layouts_agree_row_for_row(tmp_path):
    a = read_ons_pfa(_write_layout(tmp_path, "rolling", SPEC))
    b = read_ons_pfa(_write_layout(tmp_path, "wide", SPEC))
    cols = ["period_end", "force", "region", "offence", "count"]
    pd.testing.assert_frame_equal(a[cols], b[cols])


@pytest.mark.parametrize("layout", LAYOUTS)
@pytest.mark.parametrize(
    "bad",
    [
        "16.000",
        "12,5",
        "1,23",
        "1e30",
        "inf",
        "NaN",
        "1 234",
        "lots",
        "",
        "+5",
        "99999999999999999999",
    ],
)
def test_both_layouts_strict_counts(tmp_path, layout, bad):
    spec = [row if i != 2 else (*row[:3], bad) for i, row in enumerate(SPEC)]
    p = _write_layout(tmp_path, layout, spec)
    with pytest.raises(ValueFormatError) as ei:
        read_ons_pfa(p)
    e = ei.value
    assert e.row == _line_of(
        p,
        "West Midlands",
        "31-03-2013" if layout == "rolling" else "March 2013",
        "Robbery" if layout == "rolling" else None,
    )
    assert e.field == (
        "Rolling year total number of offences" if layout == "rolling" else "Robbery"
    )
    assert str(p) in str(e) and (repr(bad) in str(e) if bad else "empty" in str(e))


@pytest.mark.parametrize("layout", LAYOUTS)
def test_both_layouts_match_names_after_normalisation(tmp_path, layout):
    spec = [
        ("31-03-2012", "WEST MIDLANDS", "robbery", "7"),
        ("31-03-2012", "staffordshire", "ROBBERY", "3"),
    ]
    if layout == "rolling":
        p = _write(tmp_path, _rolling_text(spec), name="rolling.csv")
    else:  # names only (no codes): matched against the reference list of forces
        p = _write(
            tmp_path,
            "Area Name,Year ending,robbery\nWEST MIDLANDS,March 2012,7\nstaffordshire,March 2012,3\n",
            name="wide.csv",
        )
    df = read_ons_pfa(p, forces=["west midlands"])
    assert df[["force", "offence", "count"]].values.tolist() == [["West Midlands", "Robbery", 7]]


@pytest.mark.parametrize("layout", LAYOUTS)
def test_both_layouts_nul_in_force_name_is_an_error(tmp_path, layout):
    spec = [("31-03-2012", "West\x00Midlands", "Robbery", "7")]
    if layout == "rolling":
        p = _write(tmp_path, _rolling_text(spec), name="rolling.csv")
        field = "PFA"
    else:
        p = _write(
            tmp_path,
            "Area Name,Year ending,Robbery\nWest\x00Midlands,March 2012,7\n",
            name="wide.csv",
        )
        field = "Area Name"
    with pytest.raises(ValueFormatError) as ei:
        read_ons_pfa(p)
    assert ei.value.row == 2 and ei.value.field == field and "U+0000" in str(ei.value)


@pytest.mark.parametrize("layout", LAYOUTS)
def test_both_layouts_unknown_force_suggests(tmp_path, layout):
    if layout == "rolling":
        p = _write(tmp_path, HEADER + "31-03-2012,West Midland,West Midlands,Robbery,7\n")
        field = "PFA"
    else:
        p = _write(tmp_path, "Area Name,Year ending,Robbery\nWest Midland,March 2012,7\n")
        field = "Area Name"
    with pytest.raises(UnknownForceError) as ei:
        read_ons_pfa(p)
    assert ei.value.row == 2 and ei.value.field == field
    assert "did you mean 'West Midlands'" in str(ei.value)


def test_rolling_unknown_offence_is_an_error_not_a_new_group(tmp_path):
    p = _write(
        tmp_path,
        HEADER + "31-03-2012,West Midlands,West Midlands,Robbery,7\n"
        "31-03-2013,West Midlands,West Midlands,Robery,6\n",
    )
    with pytest.raises(UnknownCategoryError) as ei:
        read_ons_pfa(p)
    assert (
        ei.value.row == 3
        and ei.value.field == "Offence"
        and "did you mean 'Robbery'" in str(ei.value)
    )


@pytest.mark.parametrize("layout", LAYOUTS)
def test_both_layouts_duplicate_period(tmp_path, layout):
    spec = SPEC + [("31-03-2013", "West Midlands", "Robbery", "1")] if layout == "rolling" else SPEC
    if layout == "rolling":
        p = _write_layout(tmp_path, layout, spec)
    else:  # a force row written twice for one year
        text = _wide_text(SPEC)
        row = next(
            ln for ln in text.splitlines() if ln.startswith("E23000014") and "March 2013" in ln
        )
        p = _write(tmp_path, text + row + "\n", name="wide.csv")
    with pytest.raises(DuplicatePeriodError) as ei:
        read_ons_pfa(p)
    assert ei.value.row == len(p.read_text().splitlines())


@pytest.mark.parametrize("layout", LAYOUTS)
def test_both_layouts_force_filter_and_missing_force(tmp_path, layout):
    p = _write_layout(tmp_path, layout, SPEC)
    assert set(read_ons_pfa(p, forces=["STAFFORDSHIRE"]).force) == {"Staffordshire"}
    with pytest.raises(UnknownForceError) as ei:
        read_ons_pfa(p, forces=["Greater Manchester"])  # a real force, not in this file
    assert "not in file" in str(ei.value) and str(p) in str(ei.value)
    with pytest.raises(UnknownForceError, match="did you mean 'Staffordshire'"):
        read_ons_pfa(p, forces=["Stafordshire"])


# ----------------------------------------------------------------------------- wide layout only

# Table P1 as the ONS publishes it: a title line naming the year ending, a header with note
# markers (and a line break inside one quoted header), country, region and force rows.
WIDE_P1 = (
    '"Table P1: Police recorded crime by offence group and police force area, England and Wales, '
    'year ending September 2024 [note 1]",,,,,,\n'
    'Area Code,Area Name,"Total recorded crime (excluding fraud)\n [note 2]",Violence against the person,'
    "Homicide,Death or serious injury caused by unlawful driving,Violence with injury,Violence without injury,"
    "Stalking and harassment,Sexual offences,Robbery,Theft offences,Burglary,Residential burglary,"
    "Non-residential burglary,Vehicle offences,Theft from the person,Bicycle theft,Shoplifting,"
    "All other theft offences,Criminal damage and arson,Other crimes against society,Drug offences,"
    "Possession of weapons offences,Public order offences,Miscellaneous crimes against society\n"
    # hand-worked: VAP = 20+5+300+400+275 = 1000; burglary = 150+50 = 200;
    # theft = 200+100+40+10+120+30 = 500; other = 60+15+100+25 = 200;
    # total = 1000 + 70 (sexual) + 30 (robbery) + 500 + 200 (damage) + 200 = 2000
    "E12000005,West Midlands Region,4000,2000,40,10,600,800,550,140,60,1000,400,300,100,200,80,20,240,60,400,400,120,30,200,50\n"
    "E23000014,West Midlands,2000,1000,20,5,300,400,275,70,30,500,200,150,50,100,40,10,120,30,200,200,60,15,100,25\n"
)


def test_wide_p1_title_period_notes_totals_region_beside_force(tmp_path):
    p = _write(tmp_path, WIDE_P1)
    df = read_ons_pfa(p)
    assert set(df.force) == {"West Midlands"}
    assert (df.period_end == pd.Timestamp("2024-09-30")).all()
    assert set(df.date_as_published) == {"Year ending September 2024"}
    # the 19 offence groups, no totals (no double counting)
    assert len(df) == 19
    assert "Burglary" not in set(df.offence) and "Theft offences" not in set(df.offence)
    got = dict(zip(df.offence, df["count"]))
    assert got["Residential burglary"] == 150 and got["Non-residential burglary"] == 50
    assert (
        got["Death or serious injury caused by illegal driving"] == 5
    )  # 'unlawful' column, rolling spelling
    assert got["Miscellaneous crimes against society"] == 25
    assert sum(got.values()) == 2000  # the published total excluding fraud
    assert df.attrs["areas_not_forces"] == [
        {"line": 4, "code": "E12000005", "name": "West Midlands Region", "kind": "region"}
    ]
    assert (df.line == 5).all()  # the quoted line break in the header makes the header lines 2-3
    q = describe_quirks(df)  # what goes into the ingest manifest
    assert q["layout"] == "wide" and q["areas_not_forces"] == df.attrs["areas_not_forces"]
    assert q["non_quarter_end_dates"] == [] and q["negative_counts"] == []


def test_wide_total_that_disagrees_with_its_parts(tmp_path):
    p = _write(
        tmp_path,
        WIDE_P1.replace("E23000014,West Midlands,2000,1000,", "E23000014,West Midlands,2000,1001,"),
    )
    with pytest.raises(ValueFormatError) as ei:
        read_ons_pfa(p)
    assert ei.value.row == 5 and ei.value.field == "Violence against the person"
    assert "1001" in str(ei.value) and "1000" in str(ei.value)


def test_wide_total_without_its_parts_cannot_be_split(tmp_path):
    p = _write(
        tmp_path,
        "Area Code,Area Name,Year ending,Robbery,Burglary\nE23000014,West Midlands,March 2013,30,200\n",
    )
    with pytest.raises(SchemaError) as ei:
        read_ons_pfa(p)
    assert ei.value.row == 1 and ei.value.field == "Burglary" and "cannot be split" in str(ei.value)


def test_wide_cut_short_headers(tmp_path):
    p = _write(
        tmp_path,
        "Area Code,Area Name,Year ending September,Miscellaneous crimes,Possession of weap,Rob\n"
        "E23000014,West Midlands,2024,25,15,30\n",
    )
    with pytest.raises(SchemaError) as ei:  # 'Rob' is too short to say which column it was
        read_ons_pfa(p)
    assert "Rob" in str(ei.value)
    p = _write(
        tmp_path,
        "Area Code,Area Name,Year ending September,Miscellaneous crimes,Possession of weap,Robbery\n"
        "E23000014,West Midlands,2024,25,15,30\n",
    )
    df = read_ons_pfa(p)
    assert dict(zip(df.offence, df["count"])) == {
        "Miscellaneous crimes against society": 25,
        "Possession of weapons offences": 15,
        "Robbery": 30,
    }
    assert (df.period_end == pd.Timestamp("2024-09-30")).all()
    assert set(df.date_as_published) == {"Year ending September 2024"}


def test_wide_ambiguous_cut_short_header(tmp_path):
    p = _write(
        tmp_path,
        "Area Code,Area Name,Year ending,Violence with\nE23000014,West Midlands,March 2013,1\n",
    )
    with pytest.raises(SchemaError) as ei:
        read_ons_pfa(p)
    assert "Violence with injury" in str(ei.value) and "Violence without injury" in str(ei.value)


def test_wide_unknown_column_suggests(tmp_path):
    p = _write(
        tmp_path, "Area Code,Area Name,Year ending,Robery\nE23000014,West Midlands,March 2013,1\n"
    )
    with pytest.raises(SchemaError, match="did you mean 'Robbery'"):
        read_ons_pfa(p)


def test_wide_names_only_regions_and_countries_are_not_forces(tmp_path):
    p = _write(
        tmp_path,
        "Area Name,Year ending,Robbery\nEngland and Wales,March 2013,100\n"
        "West Midlands Region,March 2013,40\nWest Midlands,March 2013,30\nWales,March 2013,5\n",
    )
    df = read_ons_pfa(p)
    assert df[["force", "count"]].values.tolist() == [["West Midlands", 30]]
    assert [a["name"] for a in df.attrs["areas_not_forces"]] == [
        "England and Wales",
        "West Midlands Region",
        "Wales",
    ]


def test_wide_code_decides_not_the_name(tmp_path):
    # a region row whose name reads exactly like the force: its E12 code keeps it out
    p = _write(
        tmp_path,
        "Area Code,Area Name,Year ending,Robbery\nE12000005,West Midlands,March 2013,40\n"
        "E23000014,West Midlands,March 2013,30\n",
    )
    df = read_ons_pfa(p)
    assert df["count"].tolist() == [30]
    # a force code with another force's name is an error, not a guess
    p = _write(
        tmp_path, "Area Code,Area Name,Year ending,Robbery\nE23000014,Staffordshire,March 2013,30\n"
    )
    with pytest.raises(ValueFormatError) as ei:
        read_ons_pfa(p)
    assert ei.value.row == 2 and "E23000014" in str(ei.value)
    # a code that is neither a force, a region nor a country
    p = _write(
        tmp_path, "Area Code,Area Name,Year ending,Robbery\nE08000025,Birmingham,March 2013,30\n"
    )
    with pytest.raises(ValueFormatError, match="E08000025"):
        read_ons_pfa(p)


def test_wide_without_period_is_refused(tmp_path):
    p = _write(tmp_path, "Area Code,Area Name,Robbery\nE23000014,West Midlands,30\n")
    with pytest.raises(SchemaError, match="no period"):
        read_ons_pfa(p)


@pytest.mark.parametrize(
    "text,row,field",
    [
        (
            "Area Code,Area Name,Year ending,Robbery\nE23000014,West Midlands,Spring 2013,30\n",
            2,
            "Year ending",
        ),
        (
            "Area Code,Area Name,Year ending September,Robbery\nE23000014,West Midlands,24,30\n",
            2,
            "Year ending September",
        ),
        (
            "Area Code,Area Name,Year ending September,Robbery\nE23000014,West Midlands,March 2024,30\n",
            2,
            "Year ending September",
        ),
        (
            "Area Code,Area Name,Year ending,Robbery\nE23000014,West Midlands,March 2013,-3\n",
            2,
            "Robbery",
        ),
        (
            "Area Code,Area Name,Year ending,Robbery\nE23000014,West Midlands,March 2013,[x]\n",
            2,
            "Robbery",
        ),
    ],
)
def test_wide_bad_values(tmp_path, text, row, field):
    p = _write(tmp_path, text)
    with pytest.raises(ValueFormatError) as ei:
        read_ons_pfa(p)
    assert ei.value.row == row and ei.value.field == field


def test_real_file_is_recognised_as_rolling(ons_real):
    assert ons_real.attrs["layout"] == "rolling"
    # the fraud-body rows and BTP are kept (rolling layout keeps every row), with canonical names
    assert {"Action Fraud", "CIFAS", "UK Finance", "British Transport Police"} <= set(
        ons_real.force
    )
    # published negative counts still read (minus allowed for this publisher's rolling file)
    assert (ons_real["count"] < 0).sum() > 0


def test_wide_workbook_is_refused_with_advice(tmp_path):
    p = _write(
        tmp_path,
        b"PK\x03\x04 not really a workbook",
        name="policeforceareatablesyearendingseptember2024.xlsx",
    )
    with pytest.raises(SchemaError, match="save the table of counts"):
        read_ons_pfa(p)


# ----------------------------------------------------------------------------- property: wide round trip

_LEAF_COLUMNS = [
    "Homicide",
    "Robbery",
    "Domestic burglary",
    "Shoplifting",
    "Drug offences",
    "Bicycle theft",
]


@settings(
    max_examples=40,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(data=st.data())
def test_wide_round_trip_property(tmp_path, data):
    """Any wide table of known forces, groups and counts reads back cell for cell.

    The expectation is the drawn table itself: each force row x offence column is one
    tidy row with that count, period and line; country and region rows never appear.
    """
    forces = data.draw(
        st.lists(st.sampled_from(sorted(CODES)), min_size=1, max_size=3, unique=True)
    )
    cols = data.draw(st.lists(st.sampled_from(_LEAF_COLUMNS), min_size=1, max_size=4, unique=True))
    month, year = (
        data.draw(st.sampled_from(["March", "June", "September", "December"])),
        data.draw(st.integers(2003, 2030)),
    )
    with_codes = data.draw(st.booleans())
    thousands = data.draw(st.booleans())
    lines = [
        f'"Table P1: Police recorded crime, year ending {month} {year}"',
        ",".join((["Area Code"] if with_codes else []) + ["Area Name"] + cols),
    ]
    want = {}
    areas = (
        [("K04000001", "England and Wales")]
        + [(CODES[f], f) for f in forces]
        + [("E12000005", "West Midlands Region")]
    )
    for code, name in areas:
        counts = [data.draw(st.integers(0, 10**9)) for _ in cols]
        cells = [f'"{c:,}"' if thousands else str(c) for c in counts]
        lines.append(",".join(([code] if with_codes else []) + [name] + cells))
        if name in CODES:
            for col, c in zip(cols, counts):
                want[(name, col)] = (c, len(lines))
    p = tmp_path / "wide.csv"
    p.write_text("\n".join(lines) + "\n", encoding="utf-8")
    df = read_ons_pfa(p)
    got = {(r.force, r.offence): (int(r.count), int(r.line)) for r in df.itertuples()}
    assert got == want
    end = pd.Timestamp(
        year=year, month=["March", "June", "September", "December"].index(month) * 3 + 3, day=1
    )
    assert (df.period_end == end + pd.offsets.MonthEnd(0)).all()
    assert [a["name"] for a in df.attrs["areas_not_forces"]] == [
        "England and Wales",
        "West Midlands Region",
    ]


@pytest.mark.parametrize(
    "value", ["2024", "September 2024", "Sep 2024", "Sept 2024", "Year ending September 2024"]
)
def test_wide_year_ending_month_column(tmp_path, value):
    p = _write(
        tmp_path,
        f"Area Code,Area Name,Year ending September,Robbery\nE23000014,West Midlands,{value},30\n",
    )
    df = read_ons_pfa(p)
    assert df.period_end.tolist() == [pd.Timestamp("2024-09-30")]
    assert df.date_as_published.tolist() == ["Year ending September 2024"]
