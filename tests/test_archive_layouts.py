"""How police.uk sources are laid out by the people who hold them (issue 10, item 5).

Every fixture is built here with ``zipfile`` / ``os.symlink`` following the data.police.uk
archive layout (``YYYY-MM/YYYY-MM-<force>-street.csv``, the 12 documented street columns)
and what macOS Finder adds to a zip it makes (``__MACOSX/`` with AppleDouble ``._`` files,
``.DS_Store``). Row counts are the number of rows written by hand in each fixture.
"""

from __future__ import annotations

import io
import json
import os
import zipfile
from pathlib import Path

import pytest

from wmp_analysis.errors import ArchiveError
from wmp_analysis.ingest.archive import (
    SKIP_HIDDEN,
    SKIP_MACOS,
    SKIP_SAME_FILE,
    discover,
)
from wmp_analysis.ingest.police_uk import read_police_uk

# data.police.uk street CSV header, as documented at https://data.police.uk/about/#columns
HEADER = (
    "Crime ID,Month,Reported by,Falls within,Longitude,Latitude,Location,LSOA code,LSOA name,"
    "Crime type,Last outcome category,Context\n"
)


def rows(month: str, n: int, start: int = 0) -> str:
    return "".join(
        f"{i:064x},{month},West Midlands Police,West Midlands Police,-1.898,52.481,On or near Corporation Street,"
        "E01009308,Birmingham 138A,Burglary,Under investigation,\n"
        for i in range(start, start + n)
    )


def street(month: str, n: int, start: int = 0) -> bytes:
    return (HEADER + rows(month, n, start)).encode("utf-8")


def zip_bytes(entries: list[tuple[str, bytes]]) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, data in entries:
            zf.writestr(name, data)
    return buf.getvalue()


# AppleDouble header (magic 0x00051607, version 0x00020000) as Finder writes into __MACOSX/._x
APPLEDOUBLE = b"\x00\x05\x16\x07\x00\x02\x00\x00Mac OS X        " + b"\x00" * 40


def test_upper_case_csv_entries_are_read(tmp_path):
    z = tmp_path / "2016-01.zip"
    z.write_bytes(
        zip_bytes(
            [
                ("2016-01/2016-01-west-midlands-street.CSV", street("2016-01", 4)),
                ("2016-02/2016-02-West-Midlands-Street.csv", street("2016-02", 2, start=100)),
            ]
        )
    )
    res = read_police_uk(z, force="West Midlands")
    assert len(res.tables["street"]) == 6
    assert sorted(f["month"] for f in res.files) == ["2016-01", "2016-02"]
    assert {f["member"] for f in res.files} == {
        "2016-01/2016-01-west-midlands-street.CSV",
        "2016-02/2016-02-West-Midlands-Street.csv",
    }


def test_upper_case_csv_file_in_folder_is_read(tmp_path):
    d = tmp_path / "police-uk" / "2016-03"
    d.mkdir(parents=True)
    (d / "2016-03-west-midlands-street.CSV").write_bytes(street("2016-03", 3))
    res = read_police_uk(tmp_path / "police-uk", force="West Midlands")
    assert len(res.tables["street"]) == 3


def test_finder_zip_reads_and_lists_what_it_ignored(tmp_path):
    z = tmp_path / "police-uk.zip"
    z.write_bytes(
        zip_bytes(
            [
                ("2016-01/", b""),
                ("2016-01/2016-01-west-midlands-street.csv", street("2016-01", 5)),
                ("2016-01/.DS_Store", b"\x00\x00\x00\x01Bud1"),
                ("__MACOSX/", b""),
                ("__MACOSX/2016-01/", b""),
                ("__MACOSX/2016-01/._2016-01-west-midlands-street.csv", APPLEDOUBLE),
                ("__MACOSX/2016-01/._.DS_Store", APPLEDOUBLE),
            ]
        )
    )
    res = read_police_uk(z, force="West Midlands")
    assert len(res.tables["street"]) == 5
    found = discover(z, force_slug="west-midlands")
    assert [f.member for f in found] == ["2016-01/2016-01-west-midlands-street.csv"]
    listed = {(r["member"], r["reason"]) for r in found.skipped}
    assert listed == {
        ("2016-01/.DS_Store", SKIP_HIDDEN),
        ("__MACOSX/2016-01/._2016-01-west-midlands-street.csv", SKIP_MACOS),
        ("__MACOSX/2016-01/._.DS_Store", SKIP_MACOS),
    }
    assert all(r["path"] == str(z) for r in found.skipped)


def test_finder_copy_in_folder_lists_dot_files(tmp_path):
    src = tmp_path / "police-uk"
    (src / "2016-01").mkdir(parents=True)
    (src / "2016-01" / "2016-01-west-midlands-street.csv").write_bytes(street("2016-01", 2))
    (src / "2016-01" / "._2016-01-west-midlands-street.csv").write_bytes(APPLEDOUBLE)
    (src / ".DS_Store").write_bytes(b"Bud1")
    (src / "README.txt").write_text("downloaded from data.police.uk\n")
    found = discover(src, force_slug="west-midlands")
    assert len(found) == 1
    names = sorted(Path(r["path"]).name for r in found.skipped)
    assert names == [".DS_Store", "._2016-01-west-midlands-street.csv", "README.txt"]
    assert len(read_police_uk(src, force="West Midlands").tables["street"]) == 2


def test_zip_inside_zip_is_opened_one_level(tmp_path):
    # an archive of monthly archives, each laid out as data.police.uk's YYYY-MM.zip
    jan = zip_bytes(
        [
            ("2016-01/2016-01-west-midlands-street.csv", street("2016-01", 3)),
            ("2016-01/2016-01-staffordshire-street.csv", street("2016-01", 9, start=200)),
        ]
    )
    feb = zip_bytes([("2016-02/2016-02-west-midlands-street.csv", street("2016-02", 4, start=100))])
    outer = tmp_path / "police-uk-2016.zip"
    outer.write_bytes(zip_bytes([("2016-01.zip", jan), ("2016-02.zip", feb)]))
    res = read_police_uk(outer, force="West Midlands")
    assert len(res.tables["street"]) == 7  # 3 + 4; Staffordshire's 9 not read
    assert sorted(f["member"] for f in res.files) == [
        "2016-01.zip!2016-01/2016-01-west-midlands-street.csv",
        "2016-02.zip!2016-02/2016-02-west-midlands-street.csv",
    ]
    found = discover(outer, force_slug="west-midlands")
    other = [r for r in found.skipped if "other forces" in r["reason"]]
    assert len(other) == 1 and other[0]["count"] == 1 and "staffordshire" in other[0]["reason"]
    assert other[0]["member"] == "2016-01.zip"


def test_zip_nested_two_levels_is_refused_by_name(tmp_path):
    innermost = zip_bytes([("2016-01/2016-01-west-midlands-street.csv", street("2016-01", 1))])
    middle = zip_bytes([("deep-2016-01.zip", innermost)])
    outer = tmp_path / "outer.zip"
    outer.write_bytes(zip_bytes([("middle.zip", middle)]))
    with pytest.raises(ArchiveError) as ei:
        read_police_uk(outer, force="West Midlands")
    msg = str(ei.value)
    assert "deep-2016-01.zip" in msg and "middle.zip" in msg and "outer.zip" in msg
    assert ei.value.field == "deep-2016-01.zip"


def test_symlinked_month_folder_inside_source_is_followed(tmp_path):
    src = tmp_path / "police-uk"
    (src / "2016-01").mkdir(parents=True)
    (src / "2016-01" / "2016-01-west-midlands-street.csv").write_bytes(street("2016-01", 2))
    hidden = src / ".downloads" / "2016-02"
    hidden.mkdir(parents=True)
    (hidden / "2016-02-west-midlands-street.csv").write_bytes(street("2016-02", 6, start=100))
    os.symlink(Path(".downloads") / "2016-02", src / "2016-02")  # relative link, stays inside
    res = read_police_uk(src, force="West Midlands")
    assert len(res.tables["street"]) == 8
    assert sorted(f["month"] for f in res.files) == ["2016-01", "2016-02"]


def test_file_reached_twice_through_a_link_is_read_once(tmp_path):
    src = tmp_path / "police-uk"
    (src / "feb").mkdir(parents=True)
    (src / "feb" / "2016-02-west-midlands-street.csv").write_bytes(street("2016-02", 3))
    os.symlink("feb", src / "2016-02")
    found = discover(src, force_slug="west-midlands")
    assert len(found) == 1
    assert [r["reason"] for r in found.skipped] == [SKIP_SAME_FILE]
    assert len(read_police_uk(src, force="West Midlands").tables["street"]) == 3


def test_symlinked_month_folder_outside_source_is_refused_by_name(tmp_path):
    src = tmp_path / "police-uk"
    src.mkdir()
    elsewhere = tmp_path / "elsewhere" / "2016-02"
    elsewhere.mkdir(parents=True)
    (elsewhere / "2016-02-west-midlands-street.csv").write_bytes(street("2016-02", 1))
    os.symlink(elsewhere, src / "2016-02")
    with pytest.raises(ArchiveError) as ei:
        read_police_uk(src, force="West Midlands")
    assert "'2016-02'" in str(ei.value) and "outside" in str(ei.value)
    assert ei.value.path == str(src / "2016-02")


def test_dangling_symlink_is_refused_by_name(tmp_path):
    src = tmp_path / "police-uk"
    src.mkdir()
    os.symlink(src / "gone", src / "2016-03")
    with pytest.raises(ArchiveError, match="'2016-03' points to nothing"):
        read_police_uk(src, force="West Midlands")


def test_skipped_entries_reach_manifest_and_console(tmp_path, capsys):
    from wmp_analysis.cli import main

    raw = tmp_path / "raw"
    raw.mkdir()
    (raw / "police-uk.zip").write_bytes(
        zip_bytes(
            [
                ("2012-05/2012-05-west-midlands-street.csv", street("2012-05", 3)),
                ("__MACOSX/2012-05/._2012-05-west-midlands-street.csv", APPLEDOUBLE),
            ]
        )
    )
    cfg = tmp_path / "tiny.yaml"
    cfg.write_text(
        "name: tiny\nforce: West Midlands\nplan: spp-2012-15\n"
        "baseline: {start: 2011-04-01, end: 2012-03-31}\ntarget_period: {start: 2012-04-01, end: 2013-03-31}\n"
        "police_uk_months: {start: 2012-05-01, end: 2012-05-31}\n"
        "sources:\n  police_uk: raw/police-uk.zip\n",
        encoding="utf-8",
    )
    assert main(["ingest", "--config", str(cfg)]) == 0
    out = capsys.readouterr().out
    assert (
        "1 entry not read" in out and "__MACOSX/2012-05/._2012-05-west-midlands-street.csv" in out
    )
    manifest = json.loads(
        (tmp_path / "data" / "processed" / "tiny" / "ingest_manifest.json").read_text()
    )
    skipped = manifest["sources"]["police_uk"]["skipped"]
    assert skipped == [
        {
            "path": "raw/police-uk.zip",
            "member": "__MACOSX/2012-05/._2012-05-west-midlands-street.csv",
            "reason": SKIP_MACOS,
            "count": 1,
        }
    ]
    assert manifest["outputs"]["street"]["rows"] == 3
