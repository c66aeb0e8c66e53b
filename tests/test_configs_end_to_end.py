"""Every configuration in ``configs/`` runs end to end, and so does every drop-one-source variant.

* ``configs/sample.yaml`` is the session's small sample pack (``_suite_run.sample_pack``, shared
  with the reproducibility and browser tests, so it costs nothing extra in a full run).
* Every other config is copied to a temporary project with its own ``processed/`` and
  ``reports/`` folders and its relative paths resolved as the real config resolves them
  (against the project root, so ``../shared/data`` is the real public data). In CI (``CI`` set)
  a missing ``../shared/data`` file is a failure, elsewhere a skip that names the file.
  ``configs/real-downloads.yaml`` points at a user's downloads (``data/raw/downloads/...``):
  those paths are filled from ``../shared/data`` copies where a real file exists (the one real
  police.uk month) and left out otherwise (no real CSP export exists), as a user would.
* Drop-one variants: the default config (``configs/sample.yaml``) once per source it lists,
  without that source (the list is read from the config, so the variants follow it). Its
  synthetic sources point at one sample generated at a tiny scale (:data:`DROP_SCALE`) and
  shared by every variant; its real public files stay where they are. No PDF or screenshots
  (``runner.pdf: false``), figures as PNG only (``runner.figure_formats: [png]``: nothing here
  reads an SVG), ``runner.parallel: 2``, written to a temporary project.

All runs go through the real command, ``wmp-analysis run --config ...``, two at a time, started in
the background when the tests are collected (``PREFETCH``, see ``_suite_run``) and waited for by two
module-scoped fixtures (the configs, the drop-one variants; each prints its runs' wall and CPU
seconds and the load average). Each run must exit 0 and publish a complete pack, and every source it
lacks must be named as "not supplied" (with what it would give) in the sections that need it,
in the briefing's source list, and never stand in as zeros in the tables.
"""

from __future__ import annotations

import html
import json
import os
import re
import shutil
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd
import pytest
import yaml
from conftest import PROJECT_ROOT, SHARED_DATA, require_shared

sys.path.insert(0, str(Path(__file__).parent))
from _suite_run import (
    background,
    once,
    require_suite,
    run_cli,
    sample_pack,
    start_sample_pack,
    suite_problem,
)

from wmp_analysis.availability import SOURCE_USES, not_supplied_note

pytestmark = pytest.mark.slow

CONFIGS = sorted(p.name for p in (PROJECT_ROOT / "configs").glob("*.yaml"))
EXE = Path(sys.executable).with_name("wmp-analysis")
#: Sample scale of the drop-one variants (the smallest that still gives every table rows).
DROP_SCALE = 0.005
#: The default config; its ``sources:`` decide the drop-one variants (read when the tests are
#: collected, so the variants follow whatever sources the default lists).
DEFAULT_CONFIG = PROJECT_ROOT / "configs" / "sample.yaml"
DEFAULT_SOURCES = sorted(yaml.safe_load(DEFAULT_CONFIG.read_text(encoding="utf-8"))["sources"])
#: Which sources each section's figures can depend on, read from the notebooks by hand (the
#: sources each one loads from the processed data, and the lookups that place records in
#: districts or forces). A section whose set does not hold the dropped source must keep
#: exactly the figures of the full pack.
FIGURE_SOURCES = {
    "02_baseline": {"ons_pfa", "csp", "police_uk", "lsoa_lookup", "lad_lookup"},
    "03_target_comparison": {"ons_pfa", "csp", "police_uk", "lsoa_lookup", "lad_lookup", "survey"},
    "04_equality_breakdowns": {
        "survey",
        "police_uk",
        "census_ethnicity_la",
        "census_ethnicity_force",
        "census_age_ethnicity_2021",
        "lsoa_lookup",
        "lad_lookup",
        "population",
    },
    "06_national_view": {"ons_pfa", "population"},
}
#: How target_comparison.csv names the source of a measured row (its ``source`` column), by source key.
SOURCE_LABELS = {
    "ons_pfa": "ONS PFA",
    "csp": "Home Office CSP",
    "police_uk": "police.uk",
    "survey": "survey extract",
}
#: Real files standing in for a user's downloads in configs/real-downloads.yaml, by source key:
#: (file under ../shared/data, where it goes below the configured path). A key not listed here
#: has no real file and is left out of the config.
DOWNLOAD_FILLS = {
    "police_uk": (
        "police_uk/street/2011-02-west-midlands-street.csv.gz",
        "2011-02/2011-02-west-midlands-street.csv.gz",
    ),
}


@dataclass
class Run:
    name: str
    folder: Path
    config: Path | None = None
    missing_shared: list[str] = field(default_factory=list)
    dropped: list[str] = field(default_factory=list)
    rc: int | None = None
    out: str = ""
    seconds: float = 0.0
    cpu: float = 0.0
    started: float = 0.0  # time.monotonic()
    ended: float = 0.0

    @property
    def sources(self) -> dict:
        return yaml.safe_load(self.config.read_text())["sources"]

    @property
    def pack(self) -> Path:
        return (
            self.folder / "reports" / yaml.safe_load(self.config.read_text())["name"] / "latest"
        ).resolve()

    def page(self, name: str) -> str:
        return html.unescape((self.pack / f"{name}.html").read_text(encoding="utf-8"))

    def table(self, section: str, name: str) -> pd.DataFrame:
        return pd.read_csv(self.pack / section / "tables" / f"{name}.csv")


def _resolve(value: str, key: str, run: Run, *, fill_downloads: bool) -> str | None:
    """The absolute path the real config means by *value*; None to leave the source out."""
    p = Path(value)
    p = p if p.is_absolute() else (PROJECT_ROOT / p).resolve()
    if p.is_relative_to(SHARED_DATA):
        if not p.exists():
            run.missing_shared.append(str(p.relative_to(SHARED_DATA)))
        return str(p)
    if p.exists():
        return str(p)
    if fill_downloads and key in DOWNLOAD_FILLS:
        shared, below = DOWNLOAD_FILLS[key]
        src = SHARED_DATA / shared
        if not src.exists():
            run.missing_shared.append(shared)
            return None
        dst = run.folder / "downloads" / key / below
        dst.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(src, dst)
        return str(run.folder / "downloads" / key)
    run.dropped.append(key)
    return None


def _real_run(name: str, base: Path) -> Run:
    run = Run(name=name.removesuffix(".yaml"), folder=base / name.removesuffix(".yaml"))
    run.folder.mkdir(parents=True)
    raw = yaml.safe_load((PROJECT_ROOT / "configs" / name).read_text(encoding="utf-8"))
    sources = {}
    for key, value in (raw.get("sources") or {}).items():
        got = _resolve(str(value), key, run, fill_downloads="downloads" in str(value))
        if got is not None:
            sources[key] = got
    raw["sources"] = sources
    raw["processed_dir"] = "processed"
    raw["reports_dir"] = "reports"
    run.config = run.folder / name
    run.config.write_text(yaml.safe_dump(raw, sort_keys=False), encoding="utf-8")
    return run


def _drop_runs(base: Path) -> list[Run]:
    """The default config with each of its sources left out in turn (one run per source).

    Sources below the default's ``sample.dir`` point at one sample generated here at
    :data:`DROP_SCALE` and shared read-only by every variant (``sample.generate: false``);
    the others (the real public files) are resolved against the project root, as the
    default config resolves them. Every variant is written below *base*, never into configs/.
    """
    from wmp_analysis.config import load_config
    from wmp_analysis.synth import ensure_sample

    raw = yaml.safe_load(DEFAULT_CONFIG.read_text(encoding="utf-8"))
    sample_dir = Path(raw.get("sample", {}).get("dir", "data/raw/sample"))
    sources, synthetic = {}, False
    for key, value in raw["sources"].items():
        p = Path(str(value))
        if not p.is_absolute() and p.is_relative_to(sample_dir):
            sources[key], synthetic = str(base / "sample" / p.relative_to(sample_dir)), True
        else:
            sources[key] = str(p if p.is_absolute() else (PROJECT_ROOT / p).resolve())
    raw["sources"] = sources
    raw["sample"] = {**raw.get("sample", {}), "scale": DROP_SCALE, "dir": str(base / "sample")}
    raw["processed_dir"], raw["reports_dir"] = "processed", "reports"
    if not synthetic:  # nothing of the default is generated: no sample to point at
        raw.pop("sample", None)
    else:
        gen = base / "generate.yaml"
        gen.write_text(yaml.safe_dump(raw, sort_keys=False), encoding="utf-8")
        ensure_sample(load_config(gen))  # once, shared read-only by every variant
    runs = []
    for key in DEFAULT_SOURCES:
        run = Run(name=f"default-without-{key}", folder=base / f"without-{key}", dropped=[key])
        run.folder.mkdir(parents=True)
        variant = {
            **raw,
            "sources": {k: v for k, v in sources.items() if k != key},
            **({"sample": {**raw["sample"], "generate": False}} if synthetic else {}),
            # the PDF and its screenshots do not depend on which sources are given (and
            # are checked by the reproducibility test): off, ~10 CPU seconds per run.
            # parallel 2: notebooks 02-04 and 06 two at a time, as the default does.
            # PNG only: these tests read the figures' PNGs, the tables and the pages (the SVGs,
            # which only the PDF prints, are checked by the reproducibility test).
            "runner": {
                **raw.get("runner", {}),
                "pdf": False,
                "parallel": 2,
                "figure_formats": ["png"],
            },
        }
        run.config = run.folder / "default-drop.yaml"
        run.config.write_text(yaml.safe_dump(variant, sort_keys=False), encoding="utf-8")
        runs.append(run)
    return runs


def _execute(run: Run) -> Run:
    """Run the config through the CLI (``_suite_run.run_cli``: niced, in the background pool);
    records exit code, output, wall and CPU seconds (the run's whole process tree)."""
    got = run_cli(["run", "--config", str(run.config)], run.folder, run.folder / "run.log")
    run.rc, run.out, run.seconds, run.cpu = got.rc, got.out, got.seconds, got.cpu
    run.started, run.ended = got.started, got.ended
    return run


def _start(what: str, todo: list[Run]) -> list[Run]:
    """Start every run of *todo* whose real files are all there (``_suite_run.background``)."""
    for r in todo:
        if not r.missing_shared:
            background(f"{what}:{r.name}", lambda r=r: _execute(r))
    return todo


def start_config_runs(tmp_path_factory) -> tuple[Path, list[Run]]:
    """Every config of configs/ except the default (the session's sample pack), started once."""
    base = once("configs-e2e-base", lambda: tmp_path_factory.mktemp("configs-e2e"))
    todo = once("configs-e2e", lambda: [_real_run(n, base) for n in CONFIGS if n != "sample.yaml"])
    return base, _start("config", todo)


def start_drop_runs(tmp_path_factory) -> tuple[Path, list[Run]]:
    """The drop-one variants (:func:`_drop_runs`), started once; the full pack beside them."""
    start_sample_pack(tmp_path_factory)  # the reference every variant is compared with
    base = once("drop-one-base", lambda: tmp_path_factory.mktemp("drop-one"))
    return base, _start("drop-one", once("drop-one", lambda: _drop_runs(base)))


def _wait_all(started: tuple[Path, list[Run]], what: str) -> dict[str, Run]:
    """Wait for the runs; write and print each run's wall and CPU seconds."""
    base, todo = started
    ready = [
        background(f"{what}:{r.name}", lambda r=r: _execute(r)).result()
        for r in todo
        if not r.missing_shared
    ]
    timings = {r.name: {"wall": round(r.seconds, 1), "cpu": round(r.cpu, 1)} for r in ready}
    wall = round(max(r.ended for r in ready) - min(r.started for r in ready), 1) if ready else 0.0
    load = [round(x, 2) for x in os.getloadavg()]
    (base / f"timings-{what}.json").write_text(
        json.dumps({"wall": wall, "load": load, "runs": timings}, indent=1)
    )
    print(
        f"\n{what} runs (seconds, niced, beside the other tests): {timings}; first start to "
        f"last end {wall}, cpu {round(sum(r.cpu for r in ready), 1)}, load average after {load}"
    )
    return {r.name: r for r in todo}


@pytest.fixture(scope="module")
def runs(tmp_path_factory) -> dict[str, Run]:
    """Every config of configs/ except the default (the session's sample pack), run end to end."""
    require_suite()
    return _wait_all(start_config_runs(tmp_path_factory), "config")


@pytest.fixture(scope="module")
def drop_runs(tmp_path_factory) -> dict[str, Run]:
    """The default config without each of its sources in turn (:func:`_drop_runs`), run end to end."""
    require_suite()
    return _wait_all(start_drop_runs(tmp_path_factory), "drop-one")


def _prefetch_configs(tmp_path_factory) -> None:
    if suite_problem() is None:
        start_sample_pack(tmp_path_factory)  # [sample.yaml]; first: its two runs take longest
        start_config_runs(tmp_path_factory)


def _prefetch_drops(tmp_path_factory) -> None:
    if suite_problem() is None:
        start_drop_runs(tmp_path_factory)


#: Runs started in the background when the tests are collected (``_suite_run.prefetch``).
PREFETCH = {"runs": [_prefetch_configs], "drop_runs": [_prefetch_drops]}


def _ready(run: Run) -> Run:
    for rel in run.missing_shared:
        require_shared(rel)  # fails in CI, skips (naming the file) elsewhere
    return run


def _assert_complete(run: Run) -> None:
    assert run.rc == 0, f"{run.name}: exit {run.rc}\n{run.out[-4000:]}"
    assert "Traceback" not in run.out
    man = json.loads((run.pack / "manifest.json").read_text())
    assert man["status"] == "complete" and run.pack.name == man["run_id"]
    for name, sec in man["sections"].items():
        assert sec["status"] == "ran", (name, sec)
        assert (run.pack / f"{name}.html").is_file(), name
        nb = json.loads((run.pack / "notebooks" / f"{name}.ipynb").read_text())
        errors = [
            o for c in nb["cells"] for o in c.get("outputs", []) if o.get("output_type") == "error"
        ]
        assert not errors, (name, errors[:1])
    assert (run.pack / "index.html").is_file()


def _source_row(index: str, key: str) -> bool:
    """The briefing's data-sources table lists *key* as not supplied."""
    tail = index[index.find('id="sources"') :]
    return any(key in row and "not supplied" in row for row in re.split(r"<tr\b", tail))


def _assert_not_supplied(run: Run, absent: set[str]) -> None:
    """Every absent source is named, with what it would give, where it is needed; no zeros instead."""
    index_raw = (run.pack / "index.html").read_text(encoding="utf-8")
    for key in sorted(absent & set(SOURCE_USES)):
        assert _source_row(index_raw, key), f"{run.name}: index does not list {key} as not supplied"
    ingest = re.sub(r"<[^>]+>", " ", run.page("01_ingest"))  # the sources table's cells as text
    for key in sorted(absent & set(SOURCE_USES) - {"census_age_ethnicity_2021"}):
        assert re.search(rf"{key}\s+\W*\s*not supplied", ingest), f"{run.name}: ingest page, {key}"
    eq_page = run.page("04_equality_breakdowns")
    if "survey" in absent:
        note = not_supplied_note("survey")
        assert (
            note in eq_page
            and note in run.page("index")
            and note in run.page("05_briefing_summary")
        )
        for section, name in (
            ("04_equality_breakdowns", "equality_gaps"),
            ("04_equality_breakdowns", "survey_estimates"),
        ):
            assert len(run.table(section, name)) == 0, (
                f"{name}: rows without a survey"
            )  # blank, not 0%
        assert not (
            run.pack / "04_equality_breakdowns" / "tables" / "survey_target_estimates.csv"
        ).exists()
        comp = run.table("03_target_comparison", "target_comparison")
        survey_rows = comp[comp["source"].astype(str).str.startswith("survey")]
        assert (survey_rows["status"] == "not measurable").all()
        assert survey_rows["actual_value"].isna().all()
    else:
        assert "Not supplied: sources.survey" not in eq_page
    if "police_uk" in absent:
        assert not_supplied_note("police_uk") in eq_page
        assert len(run.table("04_equality_breakdowns", "stop_search_rates")) == 0
        assert not (
            run.pack / "04_equality_breakdowns" / "tables" / "stop_search_age_rates.csv"
        ).exists()
    for key in ("census_ethnicity_la", "census_ethnicity_force"):
        if key in absent:
            assert not_supplied_note(key) in eq_page
    if {"csp", "police_uk"} <= absent:
        both = not_supplied_note("csp", "police_uk")
        assert both in run.page("02_baseline") and both in run.page("03_target_comparison")
    elif (
        "csp" in absent
    ):  # police.uk stands in for the districts (or holds none), and the pages say so
        assert not_supplied_note("csp") in run.page("02_baseline")
        assert not_supplied_note("csp") in run.page("03_target_comparison")
    if "ons_pfa" in absent:
        assert not_supplied_note("ons_pfa") in run.page("02_baseline")
        assert not_supplied_note("ons_pfa") in run.page("03_target_comparison")
    if (
        "census_age_ethnicity_2021" in absent
        and "police_uk" not in absent
        and len(run.table("04_equality_breakdowns", "stop_search_rates"))
    ):
        assert not_supplied_note("census_age_ethnicity_2021") in eq_page


@pytest.mark.parametrize("name", CONFIGS)
def test_every_config_runs_end_to_end(name, runs, tmp_path_factory):
    if name == "sample.yaml":
        pack = sample_pack(tmp_path_factory)
        assert pack["rc"] == (0, 0), pack["log"][-4000:]
        run = Run(name="sample", folder=pack["reports"].parent, config=pack["config"])
        _assert_complete(Run(**{**run.__dict__, "rc": 0}))
        absent = set(SOURCE_USES) - set(run.sources)
        assert absent == {"census_age_ethnicity_2021"}
        _assert_not_supplied(run, absent)
        return
    run = _ready(runs[name.removesuffix(".yaml")])
    _assert_complete(run)
    _assert_not_supplied(run, set(SOURCE_USES) - set(run.sources))


def test_real_downloads_filled_from_shared_data(runs):
    """configs/real-downloads.yaml with the user's download paths filled where a real file exists."""
    run = _ready(runs["real-downloads"])
    assert run.dropped == [
        "csp"
    ]  # no real CSP export in ../shared/data: left out, so "not supplied"
    assert "police_uk" in run.sources
    _assert_complete(run)
    man = json.loads((run.folder / "processed" / "ingest_manifest.json").read_text())
    # the only real police.uk month (2011-02) lies outside the config's months: listed, not read as zero
    out_of_range = man["missing_periods"]["police_uk"]["out_of_range_files"]
    assert [f["month"] for f in out_of_range] == ["2011-02"]
    assert len(man["missing_periods"]["police_uk"]["by_kind"]["stop-and-search"]) == 12
    eq_page = run.page("04_equality_breakdowns")
    assert "no stop-and-search records for the months configured" in eq_page
    assert len(run.table("04_equality_breakdowns", "stop_search_rates")) == 0
    assert not (
        run.pack / "04_equality_breakdowns" / "tables" / "stop_search_age_rates.csv"
    ).exists()


def _rows(run: Run, section: str, name: str) -> int:
    """Rows of a pack table; 0 when the section did not write it."""
    path = run.pack / section / "tables" / f"{name}.csv"
    return len(pd.read_csv(path)) if path.is_file() and path.stat().st_size else 0


def _figures(pack: Path, section: str) -> set[str]:
    return {p.name for p in (pack / section / "figures").glob("*.png")}


def test_every_default_source_is_left_out_of_one_run(drop_runs):
    runs = drop_runs
    drops = sorted(r.dropped[0] for r in runs.values())
    assert (
        drops == DEFAULT_SOURCES and len(DEFAULT_SOURCES) >= 1
    )  # each source of the default, once
    for run in runs.values():
        assert not run.config.is_relative_to(
            PROJECT_ROOT / "configs"
        )  # a temporary project, never configs/
        assert sorted(run.sources) == sorted(set(DEFAULT_SOURCES) - set(run.dropped))


@pytest.mark.parametrize("key", DEFAULT_SOURCES)
def test_a_run_without_each_source_completes_and_says_not_supplied(
    key, drop_runs, tmp_path_factory
):
    """The default config without *key*: a complete pack, *key* named "not supplied" on the index,
    the ingest page and the sections that need it, its tables empty rather than zero, and every
    section that cannot depend on it keeping exactly the figures of the full pack."""
    run = drop_runs[f"default-without-{key}"]
    _assert_complete(run)
    assert key not in run.sources
    _assert_not_supplied(run, set(SOURCE_USES) - set(run.sources))
    # the full pack (configs/sample.yaml with every source, the session's sample pack) as reference
    full = sample_pack(tmp_path_factory)
    assert full["rc"] == (0, 0), full["log"][-2000:]
    ref = (full["reports"] / "sample" / "latest").resolve()
    for section, uses in FIGURE_SOURCES.items():
        got, want = _figures(run.pack, section), _figures(ref, section)
        if key not in uses:
            assert got == want, f"{run.name}: {section} figures changed: lost {sorted(want - got)}"
    for section in (
        "02_baseline",
        "03_target_comparison",
        "04_equality_breakdowns",
    ):  # another source remains
        assert _figures(run.pack, section), f"{run.name}: no figures in {section}"
    assert bool(_figures(run.pack, "06_national_view")) == ("ons_pfa" in run.sources)
    comp = run.table("03_target_comparison", "target_comparison")
    # nothing is measured from the dropped source (a 0 count from a supplied source is data: at this
    # scale a district can hold no police.uk robbery in a year)
    label = SOURCE_LABELS.get(key)
    if label is not None:
        assert not comp.loc[comp["source"].eq(label), "actual_value"].notna().any(), (
            f"{run.name}: {label} rows"
        )
    if key == "ons_pfa":  # no force-level ONS series: no table of zeros in its place
        for section, name in (
            ("03_target_comparison", "measure_series"),
            ("03_target_comparison", "peer_comparison"),
            ("03_target_comparison", "claims_check"),
            ("06_national_view", "national_view"),
        ):
            assert _rows(run, section, name) == 0, f"{run.name}: {name} has rows without ons_pfa"
    if key == "csp":  # police.uk districts stand in: ranked, and labelled a proxy
        ranked = run.table("03_target_comparison", "district_ranking")
        assert len(ranked) and "police.uk monthly counts instead" in run.page(
            "03_target_comparison"
        )
    if (
        key == "population"
    ):  # the national view keeps its counts; no force has a rate (never a rate of 0)
        view = run.table("06_national_view", "national_view")
        assert len(view) and view["target_count"].gt(0).any()
        for col in (
            "baseline_population",
            "target_population",
            "baseline_rate_per_1000",
            "target_rate_per_1000",
        ):
            assert view[col].isna().all(), f"{run.name}: national_view.{col} without population"
    if (
        key == "lsoa_lookup"
    ):  # dependency: police.uk records cannot be placed in districts - said so
        ingest = re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", run.page("01_ingest")))
        got = re.search(r"street: ([\d,]+) of ([\d,]+) records without a district", ingest)
        assert got and got.group(1) == got.group(2) and got.group(1) != "0", (
            f"{run.name}: {got and got.group(0)}"
        )
        assert "police.uk monthly counts instead" not in run.page(
            "03_target_comparison"
        )  # CSP gives the districts
    if key in (
        "census_ethnicity_force",
        "census_ethnicity_la",
    ):  # the other table is the denominator
        rates = run.table("04_equality_breakdowns", "stop_search_rates")
        assert len(rates)
        stated = rates[rates["group"] != "Not stated"]  # the census has no "Not stated" residents
        assert len(stated) and stated["population"].gt(0).all(), (
            f"{run.name}: a census group without residents"
        )
        assert (
            rates.loc[rates["population"].fillna(0).le(0), "rate_per_1000"].isna().all()
        )  # never a rate of 0


def test_a_50_mb_header_gives_a_bounded_message_through_the_cli(tmp_path):
    """``wmp-analysis ingest`` on an ONS file whose header is 50 MB: exit 2, a short message."""
    big = tmp_path / "rec-crime-pfa.csv"
    with big.open("w", encoding="utf-8") as f:
        f.write("x" * 50_000_000 + "\n")
        f.write("2012-03-31,West Midlands,West Midlands,Robbery,100\n")
    cfg = tmp_path / "big.yaml"
    cfg.write_text(
        yaml.safe_dump(
            {
                "name": "big-header",
                "force": "West Midlands",
                "plan": "spp-2012-15",
                "baseline": {"start": "2011-04-01", "end": "2012-03-31"},
                "target_period": {"start": "2012-04-01", "end": "2013-03-31"},
                "sources": {"ons_pfa": str(big)},
                "processed_dir": "processed",
            }
        ),
        encoding="utf-8",
    )
    p = subprocess.run(
        [str(EXE), "ingest", "--config", str(cfg)],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert p.returncode == 2, p.stderr[:2000]
    assert "Traceback" not in p.stderr
    assert len(p.stdout) + len(p.stderr) < 3000, len(p.stderr)  # not 50 million characters
    assert "rec-crime-pfa.csv" in p.stderr  # still names the file
    runs_of_x = [len(m) for m in re.findall(r"x+", p.stderr)]
    assert runs_of_x and max(runs_of_x) <= 200  # at most 200 characters of the value are quoted


def test_bounded_cuts_each_quoted_value_and_the_whole_message():
    from wmp_analysis.errors import VALUE_LIMIT, bounded

    short = "file a.csv, line 3, field 'count': 'n/a' is not a count"
    assert bounded(short) == short  # nothing to cut
    text = "file a.csv, line 1: unexpected ['" + "y" * 5000 + "'] (expected 'PFA')"
    out = bounded(text)
    assert (
        "'" + "y" * VALUE_LIMIT + "'... (+4800 characters)" in out
    )  # 5000 - 200 left out, and said so
    assert out.startswith("file a.csv, line 1: unexpected [") and out.endswith("(expected 'PFA')")
    long_unquoted = "z" * 10_000
    assert len(bounded(long_unquoted, limit=100)) < 160 and "9900 more characters" in bounded(
        long_unquoted, limit=100
    )
