"""The ingest pipeline on a tiny config written in a temporary folder."""

from __future__ import annotations

import json
import os

import pandas as pd
import pytest

from wmp_analysis.config import load_config
from wmp_analysis.errors import ConfigError, UnknownForceError, ValueFormatError
from wmp_analysis.ingest.census import LA_ETHNICITY_COLUMNS
from wmp_analysis.ingest.csp import COLUMNS as CSP_COLUMNS
from wmp_analysis.ingest.pipeline import (
    IngestLockError,
    NotIngestedError,
    ingest_fingerprint,
    ingest_is_current,
    ingest_lock,
    load_processed,
    run_ingest,
    store_root,
)
from wmp_analysis.provenance import sha256_file

FORCES = ["West Midlands", "Greater Manchester"]
QUARTER_ENDS = pd.date_range("2010-03-31", "2012-12-31", freq="QE-DEC")


def _ons_text(skip=()):
    lines = ["12 months ending,PFA,Region,Offence,Rolling year total number of offences"]
    for i, d in enumerate(QUARTER_ENDS):
        for f in FORCES + ["Merseyside"]:
            if (f, d) in skip:
                continue
            lines.append(f"{d:%d-%m-%Y},{f},North,Domestic burglary,{1000 + i}")
            lines.append(f"{d:%d-%m-%Y},{f},North,Robbery,{200 + i}")
    return "\n".join(lines) + "\n"


def _la_row(name, code, base):
    white, mixed, asian, black, other = (
        (base, 5, 1, 4),
        (1, 1, 1, 1),
        (1, 2, 1, 1, 1),
        (1, 1, 1),
        (1, 1),
    )
    groups = [white, mixed, asian, black, other]
    vals = [sum(sum(g) for g in groups)]
    for g in groups:
        vals += [sum(g), *g]
    return ",".join(['"2011"', f'"{name}"', f'"{code}"', '"Total"', *[str(v) for v in vals]])


def _write_project(tmp_path, *, synthetic_names=False):
    raw = tmp_path / "data" / "raw"
    raw.mkdir(parents=True)
    prefix = "synthetic-" if synthetic_names else ""
    ons = raw / f"{prefix}rec-crime-pfa.csv"
    ons.write_text(_ons_text(skip={("Greater Manchester", pd.Timestamp("2011-06-30"))}))
    la = raw / f"{prefix}la-ethnic-groups.csv"
    la.write_text(
        ",".join(f'"{c}"' for c in LA_ETHNICITY_COLUMNS)
        + "\n"
        + _la_row("Birmingham", "E08000025", 900)
        + "\n"
        + _la_row("Coventry", "E08000026", 300)
        + "\n"
    )
    csp = raw / f"{prefix}csp.csv"
    rows = [",".join(CSP_COLUMNS)]
    for q in (1, 2, 4):  # Q3 missing
        rows.append(
            f"2011/12,{q},West Midlands,Birmingham,Burglary in a dwelling,Theft offences,Domestic burglary,28A,{10 * q}"
        )
    csp.write_text("\n".join(rows) + "\n")
    cfg = tmp_path / "tiny.yaml"
    cfg.write_text(
        "name: tiny\n"
        "force: West Midlands\n"
        "plan: spp-2012-15\n"
        "baseline: {start: 2011-04-01, end: 2011-09-30}\n"  # the baseline must end before the target starts;
        "target_period: {start: 2011-10-01, end: 2012-03-31}\n"  # both in FY 2011-12, the CSP quarters checked
        "comparators: [Greater Manchester]\n"
        "sources:\n"
        f"  ons_pfa: data/raw/{ons.name}\n"
        f"  census_ethnicity_la: data/raw/{la.name}\n"
        f"  csp: data/raw/{csp.name}\n"
        "ingest: {lock_timeout: 5}\n"
    )
    return load_config(cfg), {"ons": ons, "la": la, "csp": csp}


def test_ingest_writes_parquet_and_manifest(tmp_path):
    cfg, files = _write_project(tmp_path)
    res = run_ingest(cfg)
    assert not res.skipped
    link = tmp_path / "data" / "processed" / "tiny"
    assert link.is_symlink() and link.resolve().parent == store_root(cfg).resolve()
    assert link.resolve().name == f"tiny-{res.manifest['fingerprint'][:12]}"
    assert sorted(p.name for p in link.iterdir()) == [
        "census_ethnicity.parquet",
        "csp.parquet",
        "ingest_manifest.json",
        "ons_pfa.parquet",
    ]
    ons = pd.read_parquet(link / "ons_pfa.parquet")
    assert set(ons.force) == set(FORCES) | {
        "Merseyside"
    }  # every force kept: the national view needs them
    assert ons["synthetic"].dtype == bool and not ons["synthetic"].any()
    census = pd.read_parquet(link / "census_ethnicity.parquet")
    assert (
        len(census) == 48
        and census.loc[
            (census.geography == "Coventry") & (census.category == "White British"), "count"
        ].item()
        == 300
    )

    m = json.loads((link / "ingest_manifest.json").read_text())
    assert m == res.manifest
    inputs = {i["source"]: i for i in m["inputs"]}
    assert inputs["ons_pfa"]["sha256"] == sha256_file(files["ons"])
    assert inputs["ons_pfa"]["size"] == files["ons"].stat().st_size
    assert inputs["ons_pfa"]["rows_read"] == len(QUARTER_ENDS) * 3 * 2 - 2
    assert inputs["ons_pfa"]["path"] == "data/raw/rec-crime-pfa.csv"
    assert inputs["census_ethnicity_la"]["rows_read"] == 2
    assert inputs["csp"]["rows_read"] == 3
    out = m["outputs"]["ons_pfa"]
    assert out["rows"] == len(ons) and out["sha256"] == sha256_file(link / "ons_pfa.parquet")
    assert m["periods"]["ons_pfa"] == {
        "unit": "12 months ending",
        "first": "2010-03-31",
        "last": "2012-12-31",
    }
    assert (
        m["periods"]["csp"]["first"] == "2011-12 Q1" and m["periods"]["csp"]["last"] == "2011-12 Q4"
    )
    assert m["missing_periods"]["ons_pfa"]["by_force"] == {
        "West Midlands": [],
        "Greater Manchester": ["2011-06-30"],
    }
    assert m["missing_periods"]["csp"]["by_csp"] == {"Birmingham": ["2011-12 Q3"]}
    assert m["sources"]["police_uk"] == {"status": "not supplied"}
    assert m["sources"]["population"] == {"status": "not supplied"}
    assert m["rejections"]["total"] == 0
    assert m["synthetic"] is False
    assert m["config"]["raw"]["name"] == "tiny" and m["config"]["path"] == "tiny.yaml"
    assert m["environment"]["packages"]["pandas"] == pd.__version__
    assert [q["count"] for q in m["ons_quirks"]["negative_counts"]] == []
    assert "started_at" in m["timings"] and "finished_at" in m["timings"]
    # the result's tables come from the manifest
    assert set(res.inputs_table()["source"]) == {"ons_pfa", "census_ethnicity_la", "csp"}
    miss = res.missing_table()
    assert set(miss["missing"]) == {"2011-06-30", "2011-12 Q3"}
    assert "ons_pfa" in res.summary() and "not supplied" in res.summary()


def test_skip_when_unchanged_force_and_symlink_switch(tmp_path):
    cfg, files = _write_project(tmp_path)
    first = run_ingest(cfg)
    link = cfg.processed_dir
    target1 = link.resolve()
    assert ingest_is_current(cfg)
    again = run_ingest(cfg)
    assert again.skipped and again.manifest["fingerprint"] == first.manifest["fingerprint"]
    assert link.resolve() == target1
    assert (store_root(cfg) / "hash-cache.json").is_file()

    forced = run_ingest(cfg, force=True)
    assert not forced.skipped
    assert link.resolve() != target1 and link.resolve().name == target1.name + "-2"
    assert target1.is_dir()  # previous kept (two newest)

    files["csp"].write_text(files["csp"].read_text().replace(",10\n", ",11\n"))
    assert not ingest_is_current(cfg)
    changed = run_ingest(cfg)
    assert changed.manifest["fingerprint"] != first.manifest["fingerprint"]
    assert pd.read_parquet(link / "csp.parquet")["count"].tolist()[0] == 11
    kept = sorted(p.name for p in store_root(cfg).iterdir() if p.is_dir())
    assert len(kept) == 2 and link.resolve().name in kept and target1.name not in kept


def test_failing_source_leaves_previous_folder_intact(tmp_path):
    cfg, files = _write_project(tmp_path)
    run_ingest(cfg)
    link = cfg.processed_dir
    before_target = link.resolve()
    before = (link / "ingest_manifest.json").read_text()
    files["la"].write_text(files["la"].read_text().replace(",900,", ",9x0,", 1))
    with pytest.raises(ValueFormatError) as exc:
        run_ingest(cfg)
    assert exc.value.row == 2 and "la-ethnic-groups.csv" in str(exc.value)
    assert link.resolve() == before_target
    assert (link / "ingest_manifest.json").read_text() == before
    assert sorted(p.name for p in store_root(cfg).iterdir() if p.is_dir()) == [before_target.name]


def test_unknown_force_and_missing_source(tmp_path):
    cfg, _files = _write_project(tmp_path)
    bad = cfg.path.read_text().replace("force: West Midlands", "force: West Midland")
    cfg.path.write_text(bad)
    with pytest.raises(UnknownForceError):
        run_ingest(load_config(cfg.path))
    assert not cfg.processed_dir.exists()
    cfg.path.write_text(
        bad.replace("force: West Midland\n", "force: West Midlands\n").replace(
            "csp: data/raw/csp.csv", "csp: data/raw/nope.csv"
        )
    )
    with pytest.raises(ConfigError) as exc:
        run_ingest(load_config(cfg.path))
    assert exc.value.field == "sources.csp"
    assert not [p for p in store_root(cfg).iterdir() if p.is_dir()]


def test_synthetic_inputs_are_marked(tmp_path):
    cfg, _ = _write_project(tmp_path, synthetic_names=True)
    res = run_ingest(cfg)
    assert res.manifest["synthetic"] is True and res.synthetic
    data = load_processed(cfg)
    assert data.synthetic
    assert data.table("ons_pfa")["synthetic"].all()
    assert "[SYNTHETIC SAMPLE]" in res.summary()
    # the folder is named from the project root: no path of this machine in the notebook's output
    head = res.summary().splitlines()[0]
    assert head.startswith(f"ingest {cfg.name}: done -> data/processed/{cfg.name} ")
    assert str(tmp_path) not in res.summary()


def test_load_processed(tmp_path):
    cfg, _ = _write_project(tmp_path)
    with pytest.raises(NotIngestedError, match="run ingest"):
        load_processed(cfg)
    run_ingest(cfg)
    data = load_processed(cfg)
    assert data.has("csp") and not data.has("street")
    assert not data.synthetic
    assert len(data.table("csp")) == 3
    with pytest.raises(NotIngestedError, match="street") as exc:
        data.table("street")
    assert "run ingest" in str(exc.value)
    summary = data.sources_summary()
    assert list(summary.columns) == ["source", "description", "path", "period", "synthetic", "rows"]
    row = summary.set_index("source").loc["ons_pfa"]
    assert row["period"] == "2010-03-31 to 2012-12-31" and row["rows"] == len(QUARTER_ENDS) * 6 - 2
    assert summary.set_index("source").loc["census_ethnicity_la", "period"] == "2011-03-27"


def test_lock_blocks_second_ingest(tmp_path):
    cfg, _ = _write_project(tmp_path)
    with ingest_lock(cfg), pytest.raises(IngestLockError, match="another ingest"):
        run_ingest(cfg, lock_timeout=0.2)
    assert not cfg.processed_dir.exists()
    assert run_ingest(cfg, lock_timeout=0.2).skipped is False


def test_fingerprint_depends_on_inputs_and_params(tmp_path):
    cfg, files = _write_project(tmp_path)
    fp = ingest_fingerprint(cfg)
    assert fp == ingest_fingerprint(cfg) and len(fp) == 64
    cfg.path.write_text(
        cfg.path.read_text().replace("comparators: [Greater Manchester]", "comparators: []")
    )
    assert ingest_fingerprint(load_config(cfg.path)) != fp
    # same bytes rewritten (new mtime): the hash cache re-hashes, fingerprint unchanged
    cfg2 = load_config(cfg.path)
    fp2 = ingest_fingerprint(cfg2)
    files["ons"].write_bytes(files["ons"].read_bytes())
    os.utime(files["ons"], ns=(1, 1))
    assert ingest_fingerprint(cfg2) == fp2


def test_real_folder_in_place_of_symlink_is_refused(tmp_path):
    cfg, _ = _write_project(tmp_path)
    cfg.processed_dir.mkdir(parents=True)
    with pytest.raises(ConfigError, match="symlink"):
        run_ingest(cfg)


def test_notebook_parameters_cell_and_no_outputs(project_root):
    import nbformat

    nb = nbformat.read(project_root / "notebooks" / "01_ingest.ipynb", as_version=4)
    tagged = [i for i, c in enumerate(nb.cells) if "parameters" in c.metadata.get("tags", [])]
    assert tagged == [0]
    src = nb.cells[0].source
    for name in ("config_path", "output_dir", "force_ingest"):
        assert f"{name} =" in src
    assert all(
        not c.get("outputs") and c.get("execution_count") is None
        for c in nb.cells
        if c.cell_type == "code"
    )


def test_notebook_runs_with_papermill(tmp_path, project_root):
    papermill = pytest.importorskip("papermill")
    from jupyter_client.kernelspec import KernelSpecManager

    if "wmp-analysis" not in KernelSpecManager().find_kernel_specs():
        msg = "Jupyter kernel 'wmp-analysis' is not registered (make kernel)"
        if os.environ.get("CI"):
            pytest.fail(msg)
        pytest.skip(msg)
    cfg, _ = _write_project(tmp_path, synthetic_names=True)
    out = tmp_path / "report"
    papermill.execute_notebook(
        str(project_root / "notebooks" / "01_ingest.ipynb"),
        str(tmp_path / "out.ipynb"),
        parameters={"config_path": str(cfg.path), "output_dir": str(out), "force_ingest": False},
        cwd=str(project_root / "notebooks"),
        kernel_name="wmp-analysis",
        progress_bar=False,
    )
    inputs = pd.read_csv(out / "tables" / "ingest_inputs.csv")
    assert set(inputs["source"]) == {"ons_pfa", "census_ethnicity_la", "csp"}
    assert inputs["synthetic"].all() and inputs["data_note"].str.contains("SYNTHETIC").all()
    assert (out / "tables" / "ingest_rejections.csv").is_file()
    missing = pd.read_csv(out / "tables" / "ingest_missing_periods.csv")
    assert set(missing["missing"]) == {"2011-06-30", "2011-12 Q3"}
    assert load_processed(cfg).has("ons_pfa")


def _census2021_text():
    """Two LA-age rows of the census.csv layout: 3 fixed columns, 19 ethnic groups; one
    suppressed cell ("c")."""
    groups = (
        [f"Asian or Asian British: A{i}" for i in range(5)]
        + [f"Black or Black British: B{i}" for i in range(3)]
        + [f"Mixed or Multiple ethnic groups: M{i}" for i in range(4)]
        + [f"White: W{i}" for i in range(5)]
        + [f"Other ethnic group: O{i}" for i in range(2)]
    )
    header = ",".join(["Geography Code", "Geography Name", "Age", *groups])
    row0 = ",".join(["E08000025", "Birmingham", "0", *[str(10 + i) for i in range(19)]])
    row1 = ",".join(["E08000025", "Birmingham", "100 or over", "c", *["5"] * 18])
    return header + "\n" + row0 + "\n" + row1 + "\n"


def test_census2021_is_ingested_as_a_table_and_listed_in_the_manifest(tmp_path):
    from wmp_analysis.ingest.census2021 import load_census2021_age_ethnicity

    cfg, _ = _write_project(tmp_path)
    run_ingest(cfg)
    # not configured: "not supplied", and the loader says so with None (never a table of zeros)
    data = load_processed(cfg)
    assert data.manifest["sources"]["census_age_ethnicity_2021"] == {"status": "not supplied"}
    assert load_census2021_age_ethnicity(data) is None
    assert load_census2021_age_ethnicity(None) is None

    c21 = tmp_path / "data" / "raw" / "census.csv"
    c21.write_text(_census2021_text(), encoding="utf-8")
    text = cfg.path.read_text().replace(
        "  csp: data/raw/csp.csv\n",
        "  csp: data/raw/csp.csv\n  census_age_ethnicity_2021: data/raw/census.csv\n",
    )
    cfg.path.write_text(text)
    cfg = load_config(cfg.path)
    assert not ingest_is_current(cfg)  # a new input: the fingerprint changed
    res = run_ingest(cfg)
    m = res.manifest
    assert m["sources"]["census_age_ethnicity_2021"] == {
        "status": "read",
        "path": "data/raw/census.csv",
        "table": "census2021_age_ethnicity",
        "rows": 38,  # 2 rows x 19 groups, long
        "synthetic": False,
    }
    inp = {i["source"]: i for i in m["inputs"]}["census_age_ethnicity_2021"]
    assert inp["rows_read"] == 2 and inp["sha256"] == sha256_file(c21)
    out = m["outputs"]["census2021_age_ethnicity"]
    assert out["file"] == "census2021_age_ethnicity.parquet" and out["rows"] == 38
    assert m["periods"]["census2021_age_ethnicity"] == {
        "unit": "census day",
        "first": "2021-03-21",
        "last": "2021-03-21",
    }
    got = load_census2021_age_ethnicity(load_processed(cfg))
    assert list(got.columns) == ["geography_code", "geography", "age", "category", "group", "count"]
    assert sorted(set(got["age"])) == [0, 100]
    age0 = got[got["age"] == 0]
    assert age0["count"].sum() == sum(10 + i for i in range(19))  # 352, by hand
    assert age0.groupby("group")["count"].sum().to_dict() == {
        "Asian": 10 + 11 + 12 + 13 + 14,
        "Black": 15 + 16 + 17,
        "Mixed": 18 + 19 + 20 + 21,
        "White": 22 + 23 + 24 + 25 + 26,
        "Other": 27 + 28,
    }
    old = got[got["age"] == 100]
    assert old["count"].isna().sum() == 1  # the suppressed cell: missing, never 0
    assert old["count"].sum() == 5 * 18
