"""ONS recorded crime by PFA: real file figures, quirks kept visible, bad input."""
import gzip

import pandas as pd
import pytest

from wmp_analysis.errors import (
    ArchiveError, DuplicatePeriodError, EncodingError, SchemaError, UnknownForceError, ValueFormatError,
)
from wmp_analysis.ingest.ons import COLUMNS, describe_quirks, read_ons_pfa

HEADER = ",".join(COLUMNS) + "\n"


def _wm(ons, offence, date):
    sel = ons[(ons.force == "West Midlands") & (ons.offence == offence) & (ons.period_end == pd.Timestamp(date))]
    assert len(sel) == 1
    return int(sel["count"].iloc[0])


def test_real_file_shape_and_published_figures(ons_real):
    assert len(ons_real) == 46_469
    assert list(ons_real.columns) == ["period_end", "date_as_published", "force", "region", "offence", "count", "line"]
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


def test_small_file_and_bom(tmp_path):
    p = _write(tmp_path, "\ufeff" + HEADER + "31-03-2012,West Midlands,West Midlands,Robbery,\"7,260\"\n")
    df = read_ons_pfa(p)
    assert df["count"].tolist() == [7260] and df["line"].tolist() == [2]


@pytest.mark.parametrize(
    "body,exc,row,field",
    [
        ("31-03-2012,West Midlands,West Midlands,Robbery,lots\n", ValueFormatError, 2, "Rolling year total number of offences"),
        ("31-03-2012,West Midlands,West Midlands,Robbery,\n", ValueFormatError, 2, "Rolling year total number of offences"),
        ("31-02-2012,West Midlands,West Midlands,Robbery,5\n", ValueFormatError, 2, "12 months ending"),
        ("2012-03-31,West Midlands,West Midlands,Robbery,5\n", ValueFormatError, 2, "12 months ending"),
        ("31-03-2012,West Midlands,West Midlands,Robbery,5\n31-03-2012,West Midlands,West Midlands,Robbery,6\n",
         DuplicatePeriodError, 3, "12 months ending"),
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
        ("PFA,12 months ending,Region,Offence,Rolling year total number of offences\n", SchemaError),
        (HEADER.replace(",", ";"), SchemaError),
    ],
)
def test_bad_headers(tmp_path, text, exc):
    p = _write(tmp_path, text)
    with pytest.raises(exc) as ei:
        read_ons_pfa(p)
    assert str(p) in str(ei.value)


def test_reordered_header_is_named(tmp_path):
    p = _write(tmp_path, "PFA,12 months ending,Region,Offence,Rolling year total number of offences\n")
    with pytest.raises(SchemaError, match="wrong order"):
        read_ons_pfa(p)


def test_non_utf8_names_line(tmp_path):
    raw = (HEADER + "31-03-2012,West Midlands,West Midlands,Robbery,5\n31-03-2012,G\xf6ttingen,X,Robbery,5\n").encode("latin-1")
    p = _write(tmp_path, raw)
    with pytest.raises(EncodingError) as ei:
        read_ons_pfa(p)
    assert ei.value.row == 3


def test_gzip_input_and_truncated_gzip(tmp_path):
    data = (HEADER + "31-03-2012,West Midlands,West Midlands,Robbery,5\n" * 1).encode()
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


def test_raw_input_not_modified(tmp_path):
    p = _write(tmp_path, "\ufeff" + HEADER + "30-12-2017,West Midlands,West Midlands,Robbery,-3\n")
    before = p.read_bytes()
    df = read_ons_pfa(p)
    assert p.read_bytes() == before
    assert df["count"].tolist() == [-3] and df.period_end.iloc[0] == pd.Timestamp("2017-12-31")
