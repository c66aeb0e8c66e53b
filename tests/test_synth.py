"""The synthetic sample: determinism, real layouts, real readers, calibration."""

from __future__ import annotations

import gzip
import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from conftest import require_shared

from wmp_analysis.errors import ConfigError
from wmp_analysis.ingest.census import (
    read_census_ethnicity_force,
    read_census_ethnicity_la,
    read_lad_lookup,
    read_lsoa_lookup,
    read_population,
)
from wmp_analysis.ingest.csp import read_csp
from wmp_analysis.ingest.ons import read_ons_pfa
from wmp_analysis.ingest.police_uk import read_police_uk
from wmp_analysis.periods import Period
from wmp_analysis.provenance import SYNTHETIC_MARKER, is_synthetic, sha256_file
from wmp_analysis.synth import GENERATOR_VERSION, ensure_sample, generate_sample, read_marker
from wmp_analysis.synth._common import DISTRICT_NAMES, LSOA_COUNTS, component_rng, lsoa_codes
from wmp_analysis.synth.ons import WM_LEVELS, monthly_series
from wmp_analysis.synth.police_uk import ASB_PER_MONTH, KEEP_RATE, SEARCH_RATE_RATIO

SEED = 20120401
SCALE = 0.01
SEVEN = {"Birmingham", "Coventry", "Dudley", "Sandwell", "Solihull", "Walsall", "Wolverhampton"}


@pytest.fixture(scope="module")
def sample(tmp_path_factory) -> tuple[Path, dict]:
    out = tmp_path_factory.mktemp("sample") / "sample"
    return out, generate_sample(out, seed=SEED, scale=SCALE)


@pytest.fixture(scope="module")
def police(sample):
    out, _ = sample
    lookup = read_lsoa_lookup(out / "lookups/synthetic-lsoa-ward-lad-lookup.csv")
    return read_police_uk(
        out / "synthetic-police-uk",
        force="West Midlands",
        months=Period.from_strings("2010-04-01", "2016-03-31"),
        lsoa_lookup=lookup,
    )


@pytest.fixture(scope="module")
def ons(sample):
    return read_ons_pfa(sample[0] / "ons/synthetic-rec-crime-pfa.csv")


# --- marker, naming, determinism ------------------------------------------------------------------


def test_marker_lists_every_file_with_its_hash(sample):
    out, marker = sample
    assert marker == json.loads((out / SYNTHETIC_MARKER).read_text(encoding="utf-8"))
    assert marker["synthetic"] is True and marker["seed"] == SEED and marker["scale"] == SCALE
    assert marker["generator_version"] == GENERATOR_VERSION
    on_disk = sorted(
        str(p.relative_to(out))
        for p in out.rglob("*")
        if p.is_file() and p.name != SYNTHETIC_MARKER
    )
    assert [r["path"] for r in marker["files"]] == on_disk
    for rec in marker["files"][:5] + marker["files"][-5:]:
        assert sha256_file(out / rec["path"]) == rec["sha256"]
    assert all("synthetic" in r["path"] for r in marker["files"])
    assert all(is_synthetic(out / r["path"]) for r in marker["files"][:3])


def test_survey_sample_is_generated(sample):
    paths = [r["path"] for r in sample[1]["files"]]
    assert "survey/synthetic-survey-respondents.csv" in paths


def test_same_seed_gives_identical_bytes(tmp_path):
    one = generate_sample(tmp_path / "one", seed=SEED, scale=SCALE, start="2011-03", end="2011-05")
    two = generate_sample(tmp_path / "two", seed=SEED, scale=SCALE, start="2011-03", end="2011-05")
    assert one == two
    for rel in (
        "ons/synthetic-rec-crime-pfa.csv",
        "synthetic-police-uk/2011-05/2011-05-west-midlands-street.csv",
        "synthetic-police-uk/2011-05/2011-05-west-midlands-outcomes.csv",
    ):
        assert (tmp_path / "one" / rel).read_bytes() == (tmp_path / "two" / rel).read_bytes()
    assert (tmp_path / "one" / SYNTHETIC_MARKER).read_bytes() == (
        tmp_path / "two" / SYNTHETIC_MARKER
    ).read_bytes()


def test_different_seed_gives_different_files(tmp_path):
    a = generate_sample(tmp_path / "a", seed=1, scale=SCALE, start="2011-04", end="2011-04")
    b = generate_sample(tmp_path / "b", seed=2, scale=SCALE, start="2011-04", end="2011-04")
    ha = {r["path"]: r["sha256"] for r in a["files"]}
    hb = {r["path"]: r["sha256"] for r in b["files"]}
    assert ha.keys() == hb.keys()
    for rel in (
        "ons/synthetic-rec-crime-pfa.csv",
        "csp/synthetic-prc-csp-tables.csv",
        "synthetic-police-uk/2011-04/2011-04-west-midlands-street.csv",
        "census/synthetic-la-ethnic-groups.csv",
    ):
        assert ha[rel] != hb[rel], rel
    # the month range and scale only change police.uk/CSP, not the ONS series
    c = generate_sample(tmp_path / "c", seed=1, scale=0.02, start="2011-05", end="2011-05")
    hc = {r["path"]: r["sha256"] for r in c["files"]}
    assert hc["ons/synthetic-rec-crime-pfa.csv"] == ha["ons/synthetic-rec-crime-pfa.csv"]


def test_bad_arguments_are_config_errors(tmp_path):
    with pytest.raises(ConfigError, match="outside"):
        generate_sample(tmp_path / "x", seed=1, start="2010-04", end="2017-03")
    with pytest.raises(ConfigError, match="scale"):
        generate_sample(tmp_path / "x", seed=1, scale=0)


# --- exact real layouts ------------------------------------------------------------------------------


def _first_line(path: Path) -> bytes:
    opener = gzip.open if path.suffix == ".gz" else open
    with opener(path, "rb") as fh:
        return fh.readline()


@pytest.mark.parametrize(
    "rel, real",
    [
        ("ons/synthetic-rec-crime-pfa.csv", "ons/rec-crime-pfa.csv"),
        ("census/synthetic-la-ethnic-groups.csv", "population/la-ethnic-groups.csv"),
        ("census/synthetic-force-demographics.csv", "population/force-demographics.csv"),
        ("population/synthetic-regionalpopulation.csv", "population/regionalpopulation.csv"),
        (
            "lookups/synthetic-lsoa-ward-lad-lookup.csv",
            "population/Lower_Layer_Super_Output_Area_2011_to_Ward_2018_Lookup_in_England_and_Wales_v3.csv.gz",
        ),
        (
            "lookups/synthetic-lad-csp-pfa-lookup.csv",
            "population/Local_Authority_District_to_Community_Safety_Partnerships_to_Police_Force_Areas__"
            "December_2016__Lookup_in_England_and_Wales.csv",
        ),
        (
            "synthetic-police-uk/2011-02/2011-02-west-midlands-street.csv",
            "police_uk/street/2011-02-west-midlands-street.csv.gz",
        ),
    ],
)
def test_header_bytes_equal_the_real_file(sample, rel, real):
    """Same header line, BOM and line ending as the real file."""
    assert _first_line(sample[0] / rel) == _first_line(require_shared(real))


def test_regionalpopulation_keeps_bom_crlf_and_trailing_column(sample):
    raw = (sample[0] / "population/synthetic-regionalpopulation.csv").read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")
    lines = raw.split(b"\r\n")
    assert lines[-1] == b"" and all(line.endswith(b",") for line in lines[:-1])
    assert b"\nBirmingham,,Metropolitan District," in raw
    assert b"\nWest Midlands (Met County),West Midlands,Metropolitan County," in raw


def test_synthetic_values_are_not_the_real_ones(ons):
    real = read_ons_pfa(require_shared("ons/rec-crime-pfa.csv"), forces=["West Midlands"])
    both = ons.merge(real, on=["force", "offence", "period_end"], suffixes=("_syn", "_real"))
    assert len(both) > 500
    same = (both["count_syn"] == both["count_real"]) & (both["count_real"] > 100)
    assert same.mean() < 0.02


# --- ONS ---------------------------------------------------------------------------------------------


def test_ons_rows_cover_forces_periods_and_groups(ons):
    assert set(ons["force"]) == {
        "West Midlands",
        "Greater Manchester",
        "West Yorkshire",
        "Merseyside",
    }
    ends = sorted(ons["period_end"].unique())
    assert pd.Timestamp(ends[0]) == pd.Timestamp("2007-06-30") and pd.Timestamp(
        ends[-1]
    ) == pd.Timestamp("2016-03-31")
    assert len(ends) == 36 and all(pd.Timestamp(e).month in (3, 6, 9, 12) for e in ends)
    wm = ons[ons["force"] == "West Midlands"]
    assert set(WM_LEVELS) <= set(wm["offence"])
    fraud = wm[wm["offence"] == "Fraud offences"]["period_end"]
    assert fraud.max() == pd.Timestamp("2013-12-31")
    resid = wm[wm["offence"] == "Residential burglary"]
    assert resid["period_end"].min() == pd.Timestamp("2014-12-31") and (resid["count"] == 0).all()


def test_ons_rolling_totals_are_true_12_month_sums():
    monthly = monthly_series(component_rng(SEED, "ons"))
    wm = monthly[
        (monthly["force"] == "West Midlands") & (monthly["offence"] == "Domestic burglary")
    ]
    by_month = wm.set_index("month")["count"]
    year_to_march_2012 = by_month[pd.Period("2011-04", "M") : pd.Period("2012-03", "M")].sum()
    year_to_june_2012 = by_month[pd.Period("2011-07", "M") : pd.Period("2012-06", "M")].sum()
    assert year_to_june_2012 - year_to_march_2012 == (
        by_month[pd.Period("2012-04", "M") : pd.Period("2012-06", "M")].sum()
        - by_month[pd.Period("2011-04", "M") : pd.Period("2011-06", "M")].sum()
    )


def test_ons_file_equals_the_monthly_series(ons):
    monthly = monthly_series(component_rng(SEED, "ons"))
    sel = monthly[(monthly["force"] == "Merseyside") & (monthly["offence"] == "Robbery")].set_index(
        "month"
    )["count"]
    got = ons[(ons["force"] == "Merseyside") & (ons["offence"] == "Robbery")].set_index(
        "period_end"
    )["count"]
    for end in ("2009-09-30", "2012-03-31", "2016-03-31"):
        m = pd.Period(end, "M")
        assert got[pd.Timestamp(end)] == sel[m - 11 : m].sum()


def test_ons_levels_are_plausible_for_the_force(ons):
    wm = ons[ons["force"] == "West Midlands"].set_index(["offence", "period_end"])["count"]
    b12 = wm[("Domestic burglary", pd.Timestamp("2012-03-31"))]
    b13 = wm[("Domestic burglary", pd.Timestamp("2013-03-31"))]
    assert 14_500 < b12 < 18_000
    assert -0.20 < b13 / b12 - 1 < -0.05
    fy12 = ons[
        (ons["force"] == "West Midlands")
        & (ons["period_end"] == "2012-03-31")
        & (ons["offence"] != "Fraud offences")
    ]["count"].sum()
    assert 175_000 < fy12 < 205_000


# --- CSP ---------------------------------------------------------------------------------------------


def test_csp_quarters_sum_to_the_ons_series(sample, ons):
    csp = read_csp(sample[0] / "csp/synthetic-prc-csp-tables.csv")
    assert set(csp["csp_name"]) == SEVEN
    assert sorted(csp["financial_year"].unique()) == [
        "2010-11",
        "2011-12",
        "2012-13",
        "2013-14",
        "2014-15",
        "2015-16",
    ]
    assert (csp.groupby("financial_year")["quarter"].nunique() == 4).all()
    wm = ons[ons["force"] == "West Midlands"].set_index(["offence", "period_end"])["count"]
    for fy, end in (("2011-12", "2012-03-31"), ("2014-15", "2015-03-31")):
        sums = csp[csp["financial_year"] == fy].groupby("offence_subgroup")["count"].sum()
        for offence, total in sums.items():
            assert total == wm[(offence, pd.Timestamp(end))], (fy, offence)
    share = csp.groupby("csp_name")["count"].sum() / csp["count"].sum()
    assert 0.36 < share["Birmingham"] < 0.48
    assert share["Solihull"] < share["Sandwell"]


# --- police.uk ---------------------------------------------------------------------------------------


def test_police_uk_is_read_without_rejections(police):
    assert police.rejections.empty
    assert police.missing_months["street"] == [] and police.missing_months["stop-and-search"] == []
    assert police.missing_months["outcomes"] == [
        str(m) for m in pd.period_range("2010-04", "2011-04", freq="M")
    ]
    street = police.tables["street"]
    assert street["synthetic"].all()
    fmt = street.groupby("source_format")["month"].agg(["min", "max"])
    assert fmt.loc["street-2010", "max"] == pd.Timestamp("2011-03-01")
    assert fmt.loc["street", "min"] == pd.Timestamp("2011-04-01")


def test_street_categories_follow_the_real_eras(police):
    street = police.tables["street"]
    types = street.groupby("month")["crime_type"].agg(set)
    six = {
        "Anti-social behaviour",
        "Burglary",
        "Robbery",
        "Vehicle crime",
        "Violent crime",
        "Other crime",
    }
    assert types[pd.Timestamp("2011-02-01")] == six
    assert types[pd.Timestamp("2011-08-01")] <= six
    assert {
        "Criminal damage and arson",
        "Shoplifting",
        "Other theft",
        "Drugs",
        "Public disorder and weapons",
        "Violent crime",
    } <= types[pd.Timestamp("2012-06-01")]
    late = types[pd.Timestamp("2014-06-01")]
    assert {
        "Violence and sexual offences",
        "Public order",
        "Possession of weapons",
        "Bicycle theft",
        "Theft from the person",
    } <= late
    assert not late & {"Violent crime", "Public disorder and weapons"}
    ref = pd.read_csv(
        Path(__file__).resolve().parents[1] / "data/raw/reference/police_uk_categories.csv",
        dtype=str,
        keep_default_na=False,
    )
    assert set(street["crime_type"]) <= set(ref["crime_type"])


def test_street_ids_lsoas_and_districts(police):
    street = police.tables["street"]
    new = street[street["source_format"] == "street"]
    asb = new["crime_type"] == "Anti-social behaviour"
    ids = new.loc[~asb, "crime_id"]
    assert ids.str.fullmatch(r"[0-9a-f]{64}").all() and ids.is_unique
    assert (new.loc[asb, "crime_id"].fillna("") == "").all()
    assert (new["district"].isin(SEVEN)).all()
    real = {c for codes in lsoa_codes().values() for c in codes}
    assert set(new["lsoa_code"]) <= real
    old = street[street["source_format"] == "street-2010"]
    assert (
        old["easting"].between(380_000, 445_000).all()
        and old["northing"].between(265_000, 310_000).all()
    )
    share = new["district"].value_counts(normalize=True)
    assert 0.35 < share["Birmingham"] < 0.48


def test_police_uk_volumes_and_seasonality(police):
    street = police.tables["street"]
    crimes = street[street["crime_type"] != "Anti-social behaviour"].groupby("month").size()
    asb = street[street["crime_type"] == "Anti-social behaviour"].groupby("month").size()
    fy = (crimes.index >= "2011-04-01") & (crimes.index <= "2012-03-01")
    assert 13_000 < crimes[fy].mean() / SCALE < 17_000
    assert 6_800 < asb[fy].mean() / SCALE < 9_200
    summer = asb[asb.index.month.isin([6, 7, 8])].sum() / 18
    winter = asb[asb.index.month.isin([12, 1, 2])].sum() / 18
    assert summer > winter * 1.1
    outcomes = police.tables["outcomes"]
    assert set(outcomes["crime_id"]) <= set(street["crime_id"].dropna())
    assert 0.3 < len(outcomes) / (crimes[crimes.index >= "2011-05-01"].sum()) < 1.0


def test_volume_at_scale_one_is_about_15000_a_month():
    """Analytic: the expected monthly crime count at scale 1 is KEEP_RATE x the ONS series."""
    monthly = monthly_series(component_rng(SEED, "ons"))
    wm = monthly[(monthly["force"] == "West Midlands") & (monthly["offence"] != "Fraud offences")]
    per_month = wm.groupby("month")["count"].sum() * KEEP_RATE
    fy = per_month[pd.Period("2011-04", "M") : pd.Period("2012-03", "M")]
    assert 14_000 < fy.mean() < 16_000
    assert ASB_PER_MONTH == 8_000


def test_stop_search_has_the_built_in_disproportionality(police, sample):
    ss = police.tables["stop_search"]
    assert 1_400 < len(ss) / 72 / SCALE < 2_600
    assert (
        ss["age_range"].dropna().isin(["under 10", "10-17", "18-24", "25-34", "over 34", ""]).all()
    )
    assert set(ss["officer_defined_ethnicity"].dropna()) <= {"White", "Black", "Asian", "Other", ""}
    assert {"Arrest", "A no further action disposal"} <= set(ss["outcome"])
    not_stated = (ss["self_defined_group"] == "Not stated").mean()
    assert 0.05 < not_stated < 0.2
    census = read_census_ethnicity_la(sample[0] / "census/synthetic-la-ethnic-groups.csv")
    pop = (
        census[census["geography"].isin(SEVEN) & census["is_group_total"]]
        .groupby("group")["count"]
        .sum()
    )
    counts = ss["self_defined_group"].value_counts()
    rate = counts[["White", "Black", "Asian"]] / pop[["White", "Black", "Asian"]]
    assert (
        SEARCH_RATE_RATIO["Black"] * 0.7
        < rate["Black"] / rate["White"]
        < SEARCH_RATE_RATIO["Black"] * 1.4
    )
    assert 1.1 < rate["Asian"] / rate["White"] < 2.1


# --- census, population, lookups ---------------------------------------------------------------------


def test_census_population_and_lookups(sample):
    out = sample[0]
    la = read_census_ethnicity_la(out / "census/synthetic-la-ethnic-groups.csv")
    wm = la[la["geography"].isin(SEVEN)]
    total = wm[wm["group"] == "All"]["count"].sum()
    white = wm[(wm["group"] == "White") & wm["is_group_total"]]["count"].sum()
    assert 2_600_000 < total < 2_850_000
    assert 0.26 < 1 - white / total < 0.34
    force = read_census_ethnicity_force(out / "census/synthetic-force-demographics.csv")
    f_total = force[(force["geography"] == "West Midlands") & (force["group"] == "All")][
        "count"
    ].sum()
    assert f_total == total
    pop = read_population(out / "population/synthetic-regionalpopulation.csv")
    p11 = pop[pop["year"] == 2011].set_index("name")["population"]
    assert p11["West Midlands (Met County)"] == p11[sorted(SEVEN)].sum()
    lad = read_lad_lookup(out / "lookups/synthetic-lad-csp-pfa-lookup.csv")
    wm_lad = lad[lad["pfa_name"] == "West Midlands"]
    assert sorted(wm_lad["lad_code"]) == [f"E080000{n}" for n in range(25, 32)]
    assert set(wm_lad["pfa_code"]) == {"E23000014"}
    lsoa = read_lsoa_lookup(out / "lookups/synthetic-lsoa-ward-lad-lookup.csv")
    assert len(lsoa) == 1680 and lsoa["lsoa_code"].is_unique
    assert lsoa.groupby("lad_name").size().to_dict() == LSOA_COUNTS


def test_lsoa_codes_are_the_real_2011_codes():
    real = read_lsoa_lookup(
        require_shared(
            "population/Lower_Layer_Super_Output_Area_2011_to_Ward_2018_Lookup_in_England_and_Wales_v3.csv.gz"
        )
    )
    codes = lsoa_codes()
    for name in DISTRICT_NAMES:
        assert sorted(real.loc[real["lad_name"] == name, "lsoa_code"]) == codes[name], name


def test_lad_csp_pfa_codes_are_the_real_ones(sample):
    real = read_lad_lookup(
        require_shared(
            "population/Local_Authority_District_to_Community_Safety_Partnerships_to_Police_Force_Areas__"
            "December_2016__Lookup_in_England_and_Wales.csv"
        )
    )
    syn = read_lad_lookup(sample[0] / "lookups/synthetic-lad-csp-pfa-lookup.csv")
    cols = ["lad_code", "lad_name", "csp_code", "pfa_code", "pfa_name"]
    merged = syn[cols].merge(real[cols], how="left", indicator=True)
    assert (merged["_merge"] == "both").all()


# --- ensure_sample -----------------------------------------------------------------------------------


def _config(tmp_path: Path, **sample_opts) -> Path:
    import yaml

    opts = {"generate": True, "seed": 7, "dir": "data/raw/sample", "scale": SCALE, **sample_opts}
    cfg = {
        "name": "t",
        "force": "West Midlands",
        "plan": "spp-2012-15",
        "baseline": {"start": "2011-04-01", "end": "2012-03-31"},
        "target_period": {"start": "2012-04-01", "end": "2013-03-31"},
        "police_uk_months": {"start": "2011-03-01", "end": "2011-05-31"},
        "sample": opts,
        "sources": {},
    }
    path = tmp_path / "cfg.yaml"
    path.write_text(yaml.safe_dump(cfg), encoding="utf-8")
    return path


def test_ensure_sample_generates_reuses_and_regenerates(tmp_path, monkeypatch):
    from wmp_analysis import synth
    from wmp_analysis.config import load_config

    cfg = load_config(_config(tmp_path))
    out = ensure_sample(cfg)
    assert out == tmp_path / "data/raw/sample"
    marker = read_marker(out)
    assert marker["seed"] == 7 and marker["start"] == "2011-03" and marker["end"] == "2011-05"
    assert (out / "synthetic-police-uk/2011-05/2011-05-west-midlands-outcomes.csv").is_file()

    calls = []
    real_generate = synth.generate_sample
    monkeypatch.setattr(
        synth, "generate_sample", lambda *a, **k: calls.append(k) or real_generate(*a, **k)
    )
    assert ensure_sample(cfg) == out and calls == []  # current: nothing to do
    (out / "ons/synthetic-rec-crime-pfa.csv").unlink()
    ensure_sample(cfg)
    assert len(calls) == 1 and (out / "ons/synthetic-rec-crime-pfa.csv").is_file()
    ensure_sample(load_config(_config(tmp_path, seed=8)))
    assert len(calls) == 2 and read_marker(out)["seed"] == 8
    assert not [p for p in out.parent.iterdir() if p.name.startswith(".sample")]


def test_ensure_sample_refuses_foreign_folder_and_disabled_generation(tmp_path):
    from wmp_analysis.config import load_config

    foreign = tmp_path / "data/raw/sample"
    foreign.mkdir(parents=True)
    (foreign / "mine.csv").write_text("keep me\n")
    with pytest.raises(ConfigError, match="refusing"):
        ensure_sample(load_config(_config(tmp_path)))
    assert (foreign / "mine.csv").read_text() == "keep me\n"
    with pytest.raises(ConfigError, match="generate"):
        ensure_sample(load_config(_config(tmp_path, generate=False, dir="elsewhere")))
    with pytest.raises(ConfigError, match="seed"):
        opts = _config(tmp_path)
        import yaml

        raw = yaml.safe_load(opts.read_text())
        del raw["sample"]["seed"]
        opts.write_text(yaml.safe_dump(raw))
        ensure_sample(load_config(opts))


def test_sample_config_points_at_generated_files(sample):
    """Every synthetic source path in configs/sample.yaml (under sample.dir) is a file the generator
    writes; the others are the project's real public files, which exist."""
    import yaml

    root = Path(__file__).resolve().parents[1]
    cfg = yaml.safe_load((root / "configs/sample.yaml").read_text(encoding="utf-8"))
    base = cfg["sample"]["dir"].rstrip("/") + "/"
    written = {r["path"] for r in sample[1]["files"]}
    synthetic = {k: p for k, p in cfg["sources"].items() if p.startswith(base)}
    assert set(synthetic) == {"csp", "police_uk", "survey"}
    for key, path in cfg["sources"].items():
        if key not in synthetic:
            assert path.startswith("data/raw/public/") and (root / path).is_file(), key
            continue
        rel = path.removeprefix(base)
        assert rel in written or any(w.startswith(rel + "/") for w in written), key


def test_monthly_noise_is_poisson_like():
    """The monthly series is noisy but not wildly so: the residual of a month against the mean of its
    neighbours is of the order of sqrt(count)."""
    monthly = monthly_series(component_rng(SEED, "ons"))
    s = monthly[(monthly["force"] == "West Midlands") & (monthly["offence"] == "Shoplifting")][
        "count"
    ].to_numpy()
    resid = s[1:-1] - (s[:-2] + s[2:]) / 2
    ratio = resid.std() / np.sqrt(s.mean() * 1.5)
    assert 0.5 < ratio < 3.0


def test_missing_survey_module_is_skipped_with_a_warning(tmp_path, monkeypatch):
    import importlib

    from wmp_analysis import synth

    real_import = importlib.import_module

    def fake_import(name, *args):
        if name == "wmp_analysis.synth.survey":
            raise ModuleNotFoundError("no survey", name=name)
        return real_import(name, *args)

    monkeypatch.setattr(synth.importlib, "import_module", fake_import)
    with pytest.warns(RuntimeWarning, match="survey"):
        marker = generate_sample(
            tmp_path / "s", seed=1, scale=SCALE, start="2011-04", end="2011-04"
        )
    assert not any(r["path"].startswith("survey/") for r in marker["files"])
    assert any(r["path"].startswith("ons/") for r in marker["files"])
