"""DuckDB aggregates over the partitioned dataset equal the pandas path (and hand counts)."""

from __future__ import annotations

import pandas as pd
from test_dataset import STREET, make_project, write_month

from wmp_analysis.analysis import stopsearch as S
from wmp_analysis.analysis.baseline import build_baseline
from wmp_analysis.ingest.dataset import ingest_police_uk
from wmp_analysis.ingest.pipeline import load_processed, run_ingest
from wmp_analysis.measures import queries as Q
from wmp_analysis.measures import series as M
from wmp_analysis.measures.targets import load_measures
from wmp_analysis.periods import Period


def ingested(tmp_path):
    cfg, pu = make_project(tmp_path)
    write_month(
        pu, "2015-04", ["Violence and sexual offences", "Burglary"]
    )  # 2015-03 missing: a gap
    run_ingest(cfg)
    return cfg, load_processed(cfg)


def test_street_counts_equal_pandas_and_hand_counts(tmp_path):
    _cfg, data = ingested(tmp_path)
    sql = Q.street_month_counts(data)
    pandas = M.street_month_counts(data.table("street"))
    pd.testing.assert_frame_equal(sql, pandas)
    jan = 2015 * 12
    burglary = sql[(sql.month_code == jan) & (sql.category_stable == "Burglary")]["n"].sum()
    assert burglary == STREET["2015-01"].count("Burglary") == 2
    assert sql["n"].sum() == 7 and set(sql["district"]) == {
        "unassigned"
    }  # no LSOA lookup configured


def test_monthly_counts_by_force_and_category(tmp_path):
    _cfg, data = ingested(tmp_path)
    got = Q.monthly_counts(data, by=("force", "category"))
    assert got[got.category == "Burglary"][["month", "n"]].values.tolist() == [
        ["2015-01", 2],
        ["2015-04", 1],
    ]
    assert set(got["force"]) == {"west-midlands"}


def test_force_filter_prunes_other_forces(tmp_path):
    src = tmp_path / "src"
    write_month(src, "2015-01", ["Burglary", "Robbery"])
    write_month(
        src, "2015-01", ["Burglary"], slug="greater-manchester", force="Greater Manchester Police"
    )
    out = tmp_path / "national"
    for force in ("West Midlands", "Greater Manchester"):
        ingest_police_uk(src, out, force=force)
    allf = Q.national_monthly(out)
    assert allf.groupby("force")["n"].sum().to_dict() == {
        "greater-manchester": 1,
        "west-midlands": 2,
    }
    one = Q.monthly_counts(out, by=("force",), forces=["greater-manchester"])
    assert one.values.tolist() == [["2015-01", "greater-manchester", 1]]


def test_search_counts_equal_pandas(tmp_path):
    _cfg, data = ingested(tmp_path)
    sql = Q.search_counts(data)
    pandas = S.search_counts(data.table("stop_search"))
    pd.testing.assert_frame_equal(sql, pandas)
    grp = sql[sql.dimension == "self_defined_group"].set_index("category")["searches"].to_dict()
    assert grp == {
        "Not stated": 1,
        "White": 1,
    }  # one blank self-defined ethnicity of the two written
    pd.testing.assert_frame_equal(S.search_counts(data), pandas)  # the dispatch on processed data


def test_baseline_series_equal_from_dataset_and_from_tables(tmp_path):
    cfg, data = ingested(tmp_path)
    measures = load_measures()
    measures = measures[
        measures.measure_id == "burglary_dwelling"
    ]  # police.uk stable category: Burglary
    months = Period(pd.Timestamp("2015-01-01"), pd.Timestamp("2015-04-30"))
    base = Period(pd.Timestamp("2015-01-01"), pd.Timestamp("2015-04-30"))
    from_sql = build_baseline(
        measures, data, cfg.force, base, ["unassigned"], police_uk_months=months
    )
    from_pandas = build_baseline(
        measures,
        {"street": data.table("street")},
        cfg.force,
        base,
        ["unassigned"],
        police_uk_months=months,
    )
    pd.testing.assert_frame_equal(from_sql.series, from_pandas.series)
    vals = from_sql.series.set_index("period_start")["value"]
    assert vals[pd.Timestamp("2015-01-01")] == 2 and vals[pd.Timestamp("2015-02-01")] == 0
    assert pd.isna(vals[pd.Timestamp("2015-03-01")])  # no file that month: a gap, never zero


def test_target_comparison_equal_from_counts_rows_and_dataset(tmp_path):
    """The pack passes DuckDB counts ("street_counts"), never the street records: same table."""
    import dataclasses

    from wmp_analysis.analysis import compare
    from wmp_analysis.measures.targets import load_registry

    cfg, data = ingested(tmp_path)
    jan, apr = (
        Period.from_strings("2015-01-01", "2015-01-31"),
        Period.from_strings("2015-04-01", "2015-04-30"),
    )
    cfg = dataclasses.replace(
        cfg,
        districts=["unassigned"],
        baseline=jan,
        target_period=apr,
        police_uk_months=Period.from_strings("2015-01-01", "2015-04-30"),
    )
    measures = load_measures()
    registry = load_registry(None, measures=measures)
    kw = dict(use_config_periods=True)
    rows = compare.compare_targets(registry, measures, {"street": data.table("street")}, cfg, **kw)
    counts = {"street_counts": Q.street_month_counts(data)}
    pd.testing.assert_frame_equal(
        compare.compare_targets(registry, measures, counts, cfg, **kw), rows
    )
    pd.testing.assert_frame_equal(
        compare.compare_targets(registry, measures, data, cfg, **kw), rows
    )
    district = rows[rows.geography == "unassigned"].set_index("measure_id")
    # hand counts of the files written above: January two burglaries and an anti-social
    # behaviour record, not a crime (STREET["2015-01"]); April one burglary, one violence
    assert district.loc["burglary_dwelling", ["baseline_value", "actual_value"]].tolist() == [2, 1]
    assert district.loc["total_crime", ["baseline_value", "actual_value"]].tolist() == [2, 2]
    assert district.loc["burglary_dwelling", "status"] == "met"


def _hive(folder):
    """A police.uk table read with pyarrow's own hive partition discovery (not the project's
    reader), ``month`` back to the first day of the month as the ingest builds it."""
    import pyarrow.dataset as ds

    part = ds.partitioning(flavor="hive")
    df = ds.dataset(folder, format="parquet", partitioning=part).to_table().to_pandas()
    return df.assign(month=pd.to_datetime(df["month"].astype(str) + "-01"))


def test_sample_street_and_search_counts_equal_pandas(tmp_path):
    """On the synthetic sample's police.uk files (a year, small scale): DuckDB = pandas."""
    from wmp_analysis.synth import generate_sample

    sample = tmp_path / "sample"
    generate_sample(sample, seed=20120401, scale=0.02, start="2012-04", end="2013-03")
    out = tmp_path / "processed"
    ingest_police_uk(sample / "synthetic-police-uk", out, force="West Midlands")
    root = out / "police_uk"
    assert len(list((root / "street").rglob("*.parquet"))) == 12  # one partition per month
    street = _hive(root / "street")
    sql = Q.street_month_counts(out)
    pd.testing.assert_frame_equal(sql, M.street_month_counts(street))
    assert int(sql["n"].sum()) == len(street) > 1000
    searches = _hive(root / "stop_search")
    pd.testing.assert_frame_equal(Q.search_counts(out), S.search_counts(searches))
