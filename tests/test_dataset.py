"""The partitioned police.uk dataset: layout, manifest, readers, incremental ingest.

Fixtures are hand-written police.uk monthly files in the layouts data.police.uk
documents (https://data.police.uk/about/#columns): 12-column street files and
15-column stop-and-search files, one per month, named ``YYYY-MM-<force>-<kind>.csv``.
Expected counts are the rows written here.
"""

from __future__ import annotations

import pandas as pd
import pyarrow.dataset as pads
import pyarrow.parquet as pq
import pytest

from wmp_analysis.config import load_config
from wmp_analysis.ingest import police_uk
from wmp_analysis.ingest.dataset import ingest_police_uk, list_partitions, verify
from wmp_analysis.ingest.pipeline import load_processed, run_ingest
from wmp_analysis.ingest.police_uk import prefetch
from wmp_analysis.provenance import sha256_file

STREET_HEADER = (
    "Crime ID,Month,Reported by,Falls within,Longitude,Latitude,Location,LSOA code,LSOA name,"
    "Crime type,Last outcome category,Context"
)
SEARCH_HEADER = (
    "Type,Date,Part of a policing operation,Policing operation,Latitude,Longitude,Gender,Age range,"
    "Self-defined ethnicity,Officer-defined ethnicity,Legislation,Object of search,Outcome,"
    "Outcome linked to object of search,Removal of more than just outer clothing"
)
#: (month, crime types): one street record per type
STREET = {
    "2015-01": ["Burglary", "Burglary", "Anti-social behaviour"],
    "2015-02": ["Robbery", "Anti-social behaviour"],
}


def street_text(
    month: str, types: list[str], force: str = "West Midlands Police", tag: str = "a"
) -> str:
    lines = [STREET_HEADER]
    for i, t in enumerate(types):
        cid = (
            ""
            if t == "Anti-social behaviour"
            else f"{tag}{month}{i:04d}".replace("-", "") + "f" * 40
        )
        outcome = (
            "" if t == "Anti-social behaviour" else "Investigation complete; no suspect identified"
        )
        lines.append(
            f"{cid},{month},{force},{force},-1.9{i},52.48,On or near High Street,E01009000,"
            f"Birmingham 001A,{t},{outcome},"
        )
    return "\n".join(lines) + "\n"


def search_text(month: str, n: int) -> str:
    lines = [SEARCH_HEADER]
    for i in range(n):
        eth = "" if i == 0 else "White - English/Welsh/Scottish/Northern Irish/British"
        lines.append(
            f"Person search,{month}-0{i + 1}T10:00:00+00:00,False,,52.48,-1.9,Male,18-24,{eth},White,"
            "Misuse of Drugs Act 1971 (section 23),Controlled drugs,Nothing found - no further action,False,False"
        )
    return "\n".join(lines) + "\n"


def write_month(
    folder, month, types, slug="west-midlands", force="West Midlands Police", searches=0, tag="a"
):
    d = folder / month
    d.mkdir(parents=True, exist_ok=True)
    (d / f"{month}-{slug}-street.csv").write_text(street_text(month, types, force, tag))
    if searches:
        (d / f"{month}-{slug}-stop-and-search.csv").write_text(search_text(month, searches))


def make_project(tmp_path, extra: str = ""):
    pu = tmp_path / "data" / "raw" / "police"
    for month, types in STREET.items():
        write_month(pu, month, types, searches=2 if month == "2015-01" else 0)
    cfg = tmp_path / "tiny.yaml"
    cfg.write_text(
        "name: tiny\nforce: West Midlands\nplan: spp-2012-15\n"
        "baseline: {start: 2011-04-01, end: 2012-03-31}\n"
        "target_period: {start: 2012-04-01, end: 2013-03-31}\n"
        "comparators: [Greater Manchester]\n"
        "sources:\n  police_uk: data/raw/police\n"
        f"ingest: {{lock_timeout: 5{extra}}}\n"
    )
    return load_config(cfg), pu


def partition_state(folder):
    out = {}
    for table in ("street", "stop_search", "outcomes"):
        for p in list_partitions(folder, table):
            f = folder / p["file"]
            out[p["file"]] = (f.stat().st_mtime_ns, sha256_file(f))
    return out


def parsed_files(monkeypatch):
    seen = []
    real = police_uk.parse_csv

    def spy(data, display, *a, **kw):
        seen.append(display.rsplit("/", 1)[-1])
        return real(data, display, *a, **kw)

    monkeypatch.setattr(prefetch, "parse_csv", spy)  # the read loop's parse_csv
    return seen


def test_layout_manifest_and_readers(tmp_path):
    cfg, _ = make_project(tmp_path)
    res = run_ingest(cfg)
    link = cfg.processed_dir
    files = sorted(
        p.relative_to(link).as_posix() for p in (link / "police_uk").rglob("part-0.parquet")
    )
    assert files == [
        "police_uk/stop_search/force=west-midlands/month=2015-01/part-0.parquet",
        "police_uk/street/force=west-midlands/month=2015-01/part-0.parquet",
        "police_uk/street/force=west-midlands/month=2015-02/part-0.parquet",
    ]
    out = res.manifest["outputs"]["street"]
    assert [(p["month"], p["rows"]) for p in out["partitions"]] == [("2015-01", 3), ("2015-02", 2)]
    assert all(p["sha256"] == sha256_file(link / p["file"]) for p in out["partitions"])
    assert out["rows"] == 5 and res.manifest["outputs"]["stop_search"]["rows"] == 2
    assert res.manifest["outputs"]["outcomes"]["rows"] == 0  # no outcomes file: no partition
    assert verify(link, res.manifest["outputs"]) == []
    # the partition keys live in the path, not in the files
    assert "month" not in pq.read_schema(link / out["partitions"][0]["file"]).names
    # pyarrow's hive partition discovery: counts per partition equal the manifest's
    ds = pads.dataset(link / "police_uk" / "street", format="parquet", partitioning="hive")
    t = ds.to_table(columns=["force", "month"]).to_pandas()
    got = t.groupby(["force", "month"]).size().to_dict()
    assert got == {("west-midlands", p["month"]): p["rows"] for p in out["partitions"]}
    # the table rebuilt for pandas: month from the path, first day of the month
    street = load_processed(cfg).table("street")
    assert list(street.columns) == police_uk.STREET_OUT
    assert street["month"].dtype == "datetime64[ns]"
    assert street.groupby("month").size().to_dict() == {
        pd.Timestamp("2015-01-01"): 3,
        pd.Timestamp("2015-02-01"): 2,
    }
    assert street["crime_type"].astype(str).tolist() == STREET["2015-01"] + STREET["2015-02"]
    ss = load_processed(cfg).table("stop_search")
    assert set(ss["force"]) == {"West Midlands"} and len(ss) == 2


def test_duckdb_reads_the_dataset(tmp_path):
    import duckdb

    cfg, _ = make_project(tmp_path)
    run_ingest(cfg)
    glob = str(cfg.processed_dir / "police_uk" / "street" / "*" / "*" / "*.parquet")
    rows = duckdb.sql(
        f"SELECT force, month, count(*) AS n FROM read_parquet('{glob}', hive_partitioning = true) "
        "GROUP BY ALL ORDER BY ALL"
    ).fetchall()
    assert rows == [("west-midlands", "2015-01", 3), ("west-midlands", "2015-02", 2)]


def test_incremental_ingest_reads_only_the_new_month(tmp_path, monkeypatch):
    cfg, pu = make_project(tmp_path)
    run_ingest(cfg)
    before = partition_state(cfg.processed_dir)
    write_month(pu, "2015-03", ["Burglary", "Robbery", "Robbery", "Anti-social behaviour"])
    seen = parsed_files(monkeypatch)
    res = run_ingest(cfg)
    assert seen == ["2015-03-west-midlands-street.csv"]
    after = partition_state(cfg.processed_dir)
    assert {k: after[k] for k in before} == before  # same mtimes and bytes: not rewritten
    new = "police_uk/street/force=west-midlands/month=2015-03/part-0.parquet"
    assert set(after) - set(before) == {new}
    parts = res.manifest["outputs"]["street"]["partitions"]
    assert [(p["month"], p["rows"]) for p in parts] == [
        ("2015-01", 3),
        ("2015-02", 2),
        ("2015-03", 4),
    ]
    assert res.manifest["outputs"]["street"]["rows"] == 9
    last = res.manifest["police_uk_dataset"]["last_ingest"]["west-midlands"]
    assert last == {"read_months": ["2015-03"], "reused_months": ["2015-01", "2015-02"]}
    assert len(load_processed(cfg).table("street")) == 9
    assert verify(cfg.processed_dir, res.manifest["outputs"]) == []


def test_changed_month_rewrites_only_that_month(tmp_path, monkeypatch):
    cfg, pu = make_project(tmp_path)
    run_ingest(cfg)
    before = partition_state(cfg.processed_dir)
    write_month(pu, "2015-02", ["Robbery", "Anti-social behaviour", "Burglary"], tag="b")
    seen = parsed_files(monkeypatch)
    res = run_ingest(cfg)
    assert seen == ["2015-02-west-midlands-street.csv"]
    after = partition_state(cfg.processed_dir)
    feb = "police_uk/street/force=west-midlands/month=2015-02/part-0.parquet"
    unchanged = [k for k in before if k != feb]
    assert {k: after[k] for k in unchanged} == {k: before[k] for k in unchanged}
    assert after[feb][1] != before[feb][1]
    rows = {p["month"]: p["rows"] for p in res.manifest["outputs"]["street"]["partitions"]}
    assert rows == {"2015-01": 3, "2015-02": 3}


def test_rejections_of_a_reused_month_are_kept(tmp_path, monkeypatch):
    cfg, pu = make_project(tmp_path, extra=", max_unknown_share: 0.5")
    write_month(pu, "2015-01", ["Burglary", "Jaywalking", "Anti-social behaviour"], searches=2)
    first = run_ingest(cfg).manifest
    assert first["rejections"]["total"] == 1
    write_month(pu, "2015-03", ["Burglary"])
    again = run_ingest(cfg).manifest
    assert again["police_uk_dataset"]["last_ingest"]["west-midlands"]["read_months"] == ["2015-03"]
    assert again["rejections"] == first["rejections"]  # counted once, from the stored month
    ex = again["rejections"]["examples"][0]
    assert ex["line"] == 3 and ex["value"] == "Jaywalking"


def test_same_inputs_give_byte_identical_partitions(tmp_path):
    src = tmp_path / "src"
    for month, types in STREET.items():
        write_month(src, month, types, searches=1)
    a = ingest_police_uk(src, tmp_path / "a", force="West Midlands")
    b = ingest_police_uk(src, tmp_path / "b", force="West Midlands")
    for table in ("street", "stop_search"):
        pa_, pb = a.partitions(table), b.partitions(table)
        assert [p["sha256"] for p in pa_] == [p["sha256"] for p in pb] and pa_
    # in place: a second run with the first's record reads nothing and keeps the files
    c = ingest_police_uk(src, tmp_path / "a", force="West Midlands", previous=a.manifest_entry())
    assert c.read_months == [] and c.reused_months == ["2015-01", "2015-02"]
    assert c.partitions("street") == a.partitions("street")


def test_two_forces_in_one_dataset(tmp_path):
    src = tmp_path / "src"
    write_month(src, "2015-01", ["Burglary", "Robbery"])
    write_month(
        src, "2015-01", ["Burglary"], slug="greater-manchester", force="Greater Manchester Police"
    )
    out = tmp_path / "national"
    for force in ("West Midlands", "Greater Manchester"):
        ingest_police_uk(src, out, force=force)
    ds = pads.dataset(out / "police_uk" / "street", format="parquet", partitioning="hive")
    counts = ds.to_table(columns=["force"]).to_pandas()["force"].value_counts().to_dict()
    assert counts == {"west-midlands": 2, "greater-manchester": 1}


def test_unchanged_inputs_skip_and_a_lost_partition_is_read_again(tmp_path, monkeypatch):
    cfg, _ = make_project(tmp_path)
    first = run_ingest(cfg)
    assert run_ingest(cfg).skipped  # nothing changed: the current folder is kept as it is
    lost = cfg.processed_dir / first.manifest["outputs"]["street"]["partitions"][1]["file"]
    lost.unlink()  # the folder no longer matches its manifest: not current, and that month is re-read
    seen = parsed_files(monkeypatch)
    again = run_ingest(cfg)
    assert not again.skipped and seen == ["2015-02-west-midlands-street.csv"]
    assert [p["sha256"] for p in again.manifest["outputs"]["street"]["partitions"]] == [
        p["sha256"] for p in first.manifest["outputs"]["street"]["partitions"]
    ]


def test_a_bad_new_month_leaves_the_previous_dataset_intact(tmp_path):
    from wmp_analysis.errors import InputError

    cfg, pu = make_project(tmp_path)
    run_ingest(cfg)
    before = partition_state(cfg.processed_dir)
    (pu / "2015-03").mkdir()
    (pu / "2015-03" / "2015-03-west-midlands-street.csv").write_text(
        STREET_HEADER
        + "\nabc,2015-04,West Midlands Police,West Midlands Police,-1.9,52.48,On or near X,"
        "E01009000,Birmingham 001A,Burglary,,\n"
    )  # a record of another month in the 2015-03 file
    with pytest.raises(InputError) as exc:
        run_ingest(cfg)
    assert exc.value.row == 2 and "2015-03-west-midlands-street.csv" in str(exc.value)
    assert partition_state(cfg.processed_dir) == before


def test_incremental_over_a_zip_archive_keys_entries_without_reading_them(tmp_path, monkeypatch):
    import zipfile

    src = tmp_path / "archive.zip"

    def write_zip(months):
        with zipfile.ZipFile(src, "w") as zf:
            for month, types in months.items():
                zf.writestr(f"{month}/{month}-west-midlands-street.csv", street_text(month, types))

    write_zip(STREET)
    out = tmp_path / "out"
    first = ingest_police_uk(src, out, force="West Midlands")
    write_zip({**STREET, "2015-03": ["Robbery"]})  # a new archive: the old entries unchanged
    seen = parsed_files(monkeypatch)
    again = ingest_police_uk(src, out, force="West Midlands", previous=first.manifest_entry())
    assert seen == ["2015-03-west-midlands-street.csv"]
    assert again.reused_months == ["2015-01", "2015-02"] and again.rows("street") == 6


def test_summary_is_run_independent_and_manifest_names_months_read_and_kept(tmp_path):
    # The summary is shown on the ingest page, which must be identical on a re-run, so it says
    # what the dataset holds; which months this run read or kept (cache state) is in the manifest.
    cfg, pu = make_project(tmp_path)
    run_ingest(cfg)
    write_month(pu, "2015-03", ["Burglary"])
    result = run_ingest(cfg)
    summary = result.summary()
    assert "police.uk dataset police_uk/ (west-midlands): 4 partitions, 3 months" in summary
    last = result.manifest["police_uk_dataset"]["last_ingest"]["west-midlands"]
    assert sorted(last["read_months"]) == ["2015-03"]
    assert sorted(last["reused_months"]) == ["2015-01", "2015-02"]


def test_each_month_keeps_its_own_rejections_and_counts(tmp_path):
    # 2015-01: three records, one ASB with a blank outcome, no rejection; 2015-02: two records,
    # one ASB (blank outcome) and one robbery placed at latitude 12.48 (outside England and
    # Wales: a location rejection, record kept). The 2015-02 rejection and counts must be
    # recorded with 2015-02, not with the month read before it.
    src = tmp_path / "src"
    write_month(src, "2015-01", STREET["2015-01"])
    write_month(src, "2015-02", STREET["2015-02"])
    feb = src / "2015-02" / "2015-02-west-midlands-street.csv"
    lines = feb.read_text().splitlines()
    lines[1] = lines[1].replace(",52.48,", ",12.48,")  # the robbery, line 2
    feb.write_text("\n".join(lines) + "\n")
    res = ingest_police_uk(src, tmp_path / "out", force="West Midlands")
    jan, feb_entry = res.months["2015-01"], res.months["2015-02"]
    assert jan["rejections"] is None and jan["location_rejections"] == {}
    assert jan["not_recorded"] == {"street": {"Last outcome category": 1}}
    assert feb_entry["rejections"]["rows"] == 1
    assert feb_entry["location_rejections"] == {"street": 1}
    assert feb_entry["not_recorded"] == {"street": {"Last outcome category": 1}}
    rej = pd.read_parquet(tmp_path / "out" / feb_entry["rejections"]["file"])
    assert rej["path"].str.endswith("2015-02-west-midlands-street.csv").all()
    assert rej["line"].tolist() == [2] and rej["field"].tolist() == ["Latitude"]
    assert res.location_rejections == {"street": 1}
    assert res.not_recorded == {"street": {"Last outcome category": 2}}


def test_the_first_bad_file_in_order_is_the_one_reported(tmp_path):
    # Files are parsed two at a time; when several are bad the error is still the first one's
    # in file order (2015-01: a record of 2014-12, line 3), as a one-at-a-time read reports it,
    # and nothing of the month after is written.
    from wmp_analysis.errors import PeriodError, UnknownForceError

    src = tmp_path / "src"
    for month in ("2015-01", "2015-02", "2015-03"):
        write_month(src, month, ["Burglary", "Robbery", "Anti-social behaviour"])
    jan = src / "2015-01" / "2015-01-west-midlands-street.csv"
    lines = jan.read_text().splitlines()
    lines[2] = lines[2].replace(",2015-01,", ",2014-12,")
    jan.write_text("\n".join(lines) + "\n")
    feb = src / "2015-02" / "2015-02-west-midlands-street.csv"
    feb.write_text(feb.read_text().replace("West Midlands Police", "Kent Police"))
    for _ in range(3):
        with pytest.raises(PeriodError) as err:
            ingest_police_uk(src, tmp_path / "out", force="West Midlands")
        assert not isinstance(err.value, UnknownForceError)
        assert err.value.row == 3 and "2015-01-west-midlands-street.csv" in str(err.value)
    assert not (tmp_path / "out" / "police_uk" / "street").exists()
