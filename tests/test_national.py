"""The national view: every territorial force against the plans' milestones.

Real-data tests read ../shared/data (see conftest.require_shared) and check the
view against plain pandas sums over the raw CSVs, never against the functions
under test. The ranking and the rate per 1,000 are also hand-worked on a made-up
three-force frame.
"""

from __future__ import annotations

import os
import re

import numpy as np
import pandas as pd
import pytest
import yaml
from conftest import PROJECT_ROOT, SEEDS, require_shared

from wmp_analysis.analysis import compare, national
from wmp_analysis.analysis import national_claims as NC
from wmp_analysis.measures.population import force_population, population_summary
from wmp_analysis.measures.targets import load_measures, load_registry

WM = "West Midlands"
COMPARATORS = ["Greater Manchester", "West Yorkshire", "Merseyside"]


# --------------------------------------------------------------------------- fixtures


@pytest.fixture(scope="module")
def reference():
    measures = load_measures()
    return load_registry(measures=measures), measures


@pytest.fixture(scope="module")
def raw_ons():
    df = pd.read_csv(require_shared("ons/rec-crime-pfa.csv"))
    df.columns = ["end", "force", "region", "offence", "count"]
    return df


@pytest.fixture(scope="module")
def raw_pop():
    # plain pandas read; the file ends every line with a comma (an unnamed empty column)
    df = pd.read_csv(require_shared("population/regionalpopulation.csv"), encoding="utf-8-sig")
    return df.loc[:, ~df.columns.str.startswith("Unnamed")]


@pytest.fixture(scope="module")
def real(reference, ons_real):
    from wmp_analysis.ingest.census import read_population

    registry, measures = reference
    pop = read_population(require_shared("population/regionalpopulation.csv"))
    milestones = national.plan_milestones(registry, measures)
    view = national.national_view(
        ons_real, pop, milestones, measures, force=WM, comparators=COMPARATORS
    )
    return {"view": view, "pop": pop, "milestones": milestones, "ons": ons_real}


def _row(view, target_id, force=WM):
    hit = view[(view["target_id"] == target_id) & (view["force"] == force)]
    assert len(hit) == 1
    return hit.iloc[0]


# --------------------------------------------------------------------------- milestones from the registry


def test_milestones_come_from_the_registry(reference):
    registry, measures = reference
    ms = national.plan_milestones(registry, measures).set_index("target_id")
    # the plans' own figures (SPP section 5; PCP 4.6 Deliverables and Milestones for 2014-15)
    assert ms["target_value"].to_dict() == {
        "spp-total-crime": -5,
        "spp-burglary-dwelling": -8,
        "spp-robbery": -8,
        "spp-most-serious-violence": -8,
        "pcp1415-burglary": -2,
        "pcp1415-robbery": -5,
    }
    assert set(ms.loc[ms["plan"] == "spp-2012-15", "baseline_period"]) == {"2011-12"}
    assert set(ms.loc[ms["plan"] == "pcp-2014-15", "target_period"]) == {"2014-15"}
    assert ms["proxy"].to_dict()["spp-most-serious-violence"] and not ms.loc["spp-robbery", "proxy"]
    assert "PROXY" in ms.loc["spp-most-serious-violence", "proxy_note"]


# --------------------------------------------------------------------------- real ONS file


@pytest.mark.realdata
def test_every_territorial_force_once_per_milestone(real, raw_ons):
    view = real["view"]
    raw_forces = set(raw_ons["force"])
    expected = {
        f
        for f in raw_forces
        if f not in {"British Transport Police", "Action Fraud", "CIFAS", "UK Finance"}
    }
    assert len(expected) == 43
    for tid, g in view.groupby("target_id"):
        assert set(g["force"]) == expected and len(g) == 43, tid
        assert g["n_forces"].iloc[0] == 43
    _, excluded = national.territorial_forces(real["ons"])
    assert set(excluded["force"]) == {
        "British Transport Police",
        "Action Fraud",
        "CIFAS",
        "UK Finance",
    }
    assert excluded["reason"].str.len().min() > 20
    roles = view[view["target_id"] == "spp-robbery"].set_index("force")["role"]
    assert roles[WM] == "force" and set(roles[roles == "comparator"].index) == set(COMPARATORS)


@pytest.mark.realdata
@pytest.mark.parametrize(
    "target_id,offences,base,actual",
    [
        ("spp-total-crime", None, 190818, 168770),
        ("spp-burglary-dwelling", ["Domestic burglary"], 15898, 13571),
        ("spp-robbery", ["Robbery"], 7260, 5461),
        (
            "spp-most-serious-violence",
            [
                "Homicide",
                "Violence with injury",
                "Death or serious injury caused by illegal driving",
            ],
            None,
            None,
        ),
    ],
)
def test_west_midlands_row_equals_raw_sums_and_target_comparison(
    real, raw_ons, reference, target_id, offences, base, actual
):
    def raw_sum(end):
        rows = raw_ons[(raw_ons["force"] == WM) & (raw_ons["end"] == end)]
        rows = (
            rows[rows["offence"] != "Fraud offences"]
            if offences is None
            else rows[rows["offence"].isin(offences)]
        )
        return int(rows["count"].sum())

    b, a = raw_sum("31-03-2012"), raw_sum("31-03-2013")
    if base is not None:  # the figures quoted in the brief
        assert (b, a) == (base, actual)
    row = _row(real["view"], target_id)
    assert (row["baseline_count"], row["target_count"]) == (b, a)
    assert row["pct_change"] == pytest.approx(100 * (a - b) / b)
    if target_id == "spp-total-crime":
        assert round(row["pct_change"], 1) == -11.6
    # the same figures as the force's own target comparison
    registry, measures = reference
    from wmp_analysis.config import load_config

    cfg = load_config(PROJECT_ROOT / "configs" / "real-ons.yaml")
    tc = compare.compare_targets(
        registry[registry["target_id"] == target_id],
        measures,
        {"ons_pfa": real["ons"][real["ons"]["force"] == WM]},
        cfg,
    ).iloc[0]
    for a_col, t_col in (
        ("baseline_count", "baseline_value"),
        ("target_count", "actual_value"),
        ("pct_change", "pct_change"),
        ("status", "status"),
        ("rate_ratio", "rate_ratio"),
        ("rr_ci_low", "rr_ci_low"),
        ("rr_ci_high", "rr_ci_high"),
        ("proxy", "proxy"),
    ):
        assert row[a_col] == tc[t_col], a_col


@pytest.mark.realdata
def test_rate_per_1000_from_the_population_file(real, raw_pop, raw_ons):
    # West Midlands is one row labelled "West Midlands" in the PFA column (the metropolitan county)
    wm = raw_pop[raw_pop["PFA"] == WM]
    assert len(wm) == 1
    pop2011, pop2012 = float(wm["Mid-2011"].iloc[0]), float(wm["Mid-2012"].iloc[0])
    row = _row(real["view"], "spp-total-crime")
    assert row["baseline_population"] == pop2011 and row["target_population"] == pop2012
    assert row["baseline_rate_per_1000"] == pytest.approx(190818 / pop2011 * 1000)
    assert row["target_rate_per_1000"] == pytest.approx(168770 / pop2012 * 1000)
    assert 69.6 < row["baseline_rate_per_1000"] < 69.7  # 190,818 / 2,739,733 x 1,000 = 69.65
    # Cheshire: three areas labelled "Cheshire" and Warrington labelled "Chesire" in the file
    ches = raw_pop[raw_pop["PFA"].isin(["Cheshire", "Chesire"])]
    assert len(ches) == 4 and (raw_pop["PFA"] == "Chesire").sum() == 1
    crow = _row(real["view"], "spp-robbery", "Cheshire")
    assert crow["baseline_population"] == float(ches["Mid-2011"].sum())
    assert "Chesire" in crow["note"]
    assert "not comparable" in _row(real["view"], "spp-robbery", "City of London")["note"]


@pytest.mark.realdata
def test_every_force_has_a_population_and_they_sum_to_england_and_wales(real, raw_pop):
    forces, _ = national.territorial_forces(real["ons"])
    summary = population_summary(real["pop"], forces, [2011, 2012, 2013, 2014]).set_index("year")
    for y in (2011, 2012, 2013, 2014):
        ew = float(raw_pop.loc[raw_pop["Name"] == "ENGLAND AND WALES", f"Mid-{y}"].iloc[0])
        assert summary.at[y, "england_and_wales"] == ew
        assert summary.at[y, "forces_total"] == ew and summary.at[y, "difference"] == 0
        assert summary.at[y, "forces_without_population"] == ""
    assert real["view"]["baseline_population"].notna().all()


def test_a_force_without_population_gets_nan_and_a_reason_never_zero():
    pop = pd.DataFrame(
        {
            "name": ["A county", "ENGLAND AND WALES"],
            "geography_type": ["County", "Country"],
            "pfa": ["Alpha", "ENGLAND AND WALES"],
            "year": [2012, 2012],
            "population": [5000, 9000],
        }
    )
    fp = force_population(pop, ["Alpha", "Beta"], 2012).set_index("force")
    assert fp.at["Alpha", "population"] == 5000
    assert np.isnan(fp.at["Beta", "population"]) and "no area" in fp.at["Beta", "note"]
    s = population_summary(pop, ["Alpha", "Beta"], [2012]).iloc[0]
    assert s["difference"] == 5000 - 9000 and s["forces_without_population"].startswith("Beta (")


# --------------------------------------------------------------------------- hand-worked three forces


def _three_forces():
    """Robbery, 12 months to 31 March 2012 and 2013, for three made-up forces.

    A: 10,000 -> 8,000 (-20%); B: 10,000 -> 9,500 (-5%); C: 20 -> 20 (0%).
    Rough 95% half-widths of log RR (1.96 sqrt(1/x + 1/y)): A, B about 0.03 (RR
    0.78-0.82 and 0.92-0.98: apart); C about 0.62 (RR 0.54-1.86: overlaps both).
    Ranks by change: A 1, B 2, C 3; ranges the intervals allow: A 1-2 (B wholly
    above), B 2-3 (A wholly below), C 1-3.
    Populations 1,000,000 / 500,000 / 10,000 (mid-2011 and mid-2012): target-year
    rates per 1,000 = 8.0, 19.0, 2.0 -> rate ranks C 1, A 2, B 3.
    """
    rows = []
    for force, (b, a) in {"A": (10000, 8000), "B": (10000, 9500), "C": (20, 20)}.items():
        for end, n in (("2011-03-31", b), ("2012-03-31", b), ("2013-03-31", a)):
            rows.append(
                {
                    "period_end": pd.Timestamp(end),
                    "date_as_published": end,
                    "force": force,
                    "region": "North",
                    "offence": "Robbery",
                    "count": n,
                    "line": len(rows) + 2,
                }
            )
    rows.append(
        {
            "period_end": pd.Timestamp("2012-03-31"),
            "date_as_published": "31-03-2012",
            "force": "British Transport Police",
            "region": "British Transport Police",
            "offence": "Robbery",
            "count": 999,
            "line": 99,
        }
    )
    ons = pd.DataFrame(rows)
    pop = pd.DataFrame(
        [
            {"name": f"{f} area", "geography_type": "County", "pfa": f, "year": y, "population": p}
            for f, p in {"A": 1_000_000, "B": 500_000, "C": 10_000}.items()
            for y in (2011, 2012)
        ]
    )
    return ons, pop


def test_ranking_and_rates_on_three_hand_made_forces(reference):
    registry, measures = reference
    ons, pop = _three_forces()
    ms = national.plan_milestones(registry, measures)
    ms = ms[ms["target_id"] == "spp-robbery"]
    v = national.national_view(ons, pop, ms, measures, force="A", comparators=["B"]).set_index(
        "force"
    )
    assert list(v.index) == ["A", "B", "C"]  # British Transport Police left out
    assert v["pct_change"].round(6).to_dict() == {"A": -20.0, "B": -5.0, "C": 0.0}
    assert v["rank_change"].to_dict() == {"A": 1, "B": 2, "C": 3}
    assert v[["rank_change_best", "rank_change_worst"]].to_dict("index") == {
        "A": {"rank_change_best": 1, "rank_change_worst": 2},
        "B": {"rank_change_best": 2, "rank_change_worst": 3},
        "C": {"rank_change_best": 1, "rank_change_worst": 3},
    }
    assert v["target_rate_per_1000"].round(9).to_dict() == {"A": 8.0, "B": 19.0, "C": 2.0}
    # populations unchanged between the years: the ratio per head equals the count ratio
    assert v["rate_ratio_per_head"].round(9).to_dict() == {"A": 0.8, "B": 0.95, "C": 1.0}
    assert v["baseline_rate_per_1000"].round(9).to_dict() == {"A": 10.0, "B": 20.0, "C": 2.0}
    assert v["rank_rate"].to_dict() == {"C": 1, "A": 2, "B": 3}
    assert v["status"].to_dict() == {"A": "met", "B": "not met", "C": "not met"}  # -8% milestone
    # the interval is the target comparison's: exact Poisson, score interval (statsmodels)
    from statsmodels.stats.rates import confint_poisson_2indep

    lo, hi = confint_poisson_2indep(8000, 12, 10000, 12, method="score", compare="ratio")
    assert (v.at["A", "rr_ci_low"], v.at["A", "rr_ci_high"]) == pytest.approx((lo, hi))
    assert v.at["C", "rr_ci_low"] < 0.8 and v.at["C", "rr_ci_high"] > 1.25
    assert v.at["A", "rr_ci_high"] < v.at["B", "rr_ci_low"]
    side = national.beside_comparators(v.reset_index(), "A", ["B"]).set_index("force")
    pooled = side.loc["Comparators (pooled)"]
    assert pooled["baseline_count"] == 10000 and pooled["target_rate_per_1000"] == pytest.approx(
        19.0
    )
    allf = side.loc["All 3 territorial forces (pooled)"]
    assert allf["target_count"] == 8000 + 9500 + 20
    assert allf["target_rate_per_1000"] == pytest.approx((8000 + 9500 + 20) / 1_510_000 * 1000)


def test_rank_range_rule():
    r = national.rank_with_range(
        pd.Series([1.0, 2.0, np.nan]), pd.Series([0.5, 1.9, np.nan]), pd.Series([1.5, 2.1, np.nan])
    )
    assert r["rank"].tolist()[:2] == [1, 2] and np.isnan(r["rank"].iloc[2])
    assert r["rank_best"].tolist()[:2] == [1, 2] and r["rank_worst"].tolist()[:2] == [1, 2]


# --------------------------------------------------------------------------- the plans' comparative claims


def test_claims_cite_the_seed_exactly():
    text = (require_shared("000_ebc194bc38b034ec.txt", base=SEEDS)).read_text(encoding="utf-8")
    flat = re.sub(r"\s+", " ", text)
    for c in NC.COMPARATIVE_CLAIMS:
        assert c["citation_file"] == "000_ebc194bc38b034ec.txt"
        assert c["citation_sentence"] in flat, c["claim_id"]
        for heading in c["citation_section"].split(" > "):
            assert heading in text, heading
        assert (
            c["claim"] in c["citation_sentence"] or c["claim"].split()[-3] in c["citation_sentence"]
        )


def _rates(raw_ons, raw_pop, offences, end="31-03-2012", year="Mid-2011"):
    rows = raw_ons[(raw_ons["end"] == end) & raw_ons["offence"].isin(offences)]
    counts = rows.groupby("force")["count"].sum()
    pfa = raw_pop["PFA"].replace({"Chesire": "Cheshire"})
    local = ~raw_pop["Geography"].isin(["Country", "Region"])
    pops = raw_pop[local].groupby(pfa[local])[year].sum()
    both = pd.DataFrame({"count": counts, "pop": pops}).dropna()
    return both.assign(rate=both["count"] / both["pop"] * 1000)


@pytest.mark.realdata
def test_comparative_claims_against_independent_rates(real, raw_ons, raw_pop, reference):
    claims = compare.claims_check(
        real["ons"], WM, national_view=real["view"], comparators=COMPARATORS
    )
    assert len(claims) == 2 + 3 and claims["claim_id"].notna().sum() == 3
    got = claims.dropna(subset=["claim_id"]).set_index("claim_id")
    not_fraud = [o for o in raw_ons["offence"].unique() if o != "Fraud offences"]
    # overall crime: below the comparators pooled, but not below Merseyside -> partly supported
    tot = _rates(raw_ons, raw_pop, not_fraud)
    assert len(tot) == 43
    pooled = tot.loc[COMPARATORS, "count"].sum() / tot.loc[COMPARATORS, "pop"].sum() * 1000
    assert tot.at[WM, "rate"] < pooled - 5 and tot.at[WM, "rate"] > tot.at["Merseyside", "rate"]
    r = got.loc["spp-claim-overall-crime-lower-than-similar-areas"]
    assert r["verdict"] == "partly supported"
    assert r["computed_value"] == pytest.approx(tot.at[WM, "rate"])
    assert r["difference"] == pytest.approx(tot.at[WM, "rate"] - pooled)
    # robbery: far above the other 42 forces pooled and above all but two of them -> supported
    rob = _rates(raw_ons, raw_pop, ["Robbery"])
    others = rob.drop(WM)
    pooled_rob = others["count"].sum() / others["pop"].sum() * 1000
    assert rob.at[WM, "rate"] > 2 * pooled_rob and (others["rate"] < rob.at[WM, "rate"]).sum() == 40
    assert got.loc["spp-claim-robbery-higher-than-rest-of-country", "verdict"] == "supported"
    # burglary of homes: below the comparators pooled (5.80 against 6.51) -> supported
    bur = _rates(raw_ons, raw_pop, ["Domestic burglary"])
    pooled_bur = bur.loc[COMPARATORS, "count"].sum() / bur.loc[COMPARATORS, "pop"].sum() * 1000
    assert bur.at[WM, "rate"] < pooled_bur - 0.5
    assert got.loc["spp-claim-burglary-homes-compares-well", "verdict"] == "supported"
    for c in got.itertuples():
        assert (
            "000_ebc194bc38b034ec.txt" in c.source
            and WM in c.evidence
            and "per 1,000" in c.evidence
        )


def test_claim_without_a_rate_is_insufficient_data(reference):
    registry, measures = reference
    ons, _ = _three_forces()
    ms = national.plan_milestones(registry, measures)
    v = national.national_view(ons, None, ms[ms["target_id"] == "spp-robbery"], measures, force="A")
    assert (
        v["baseline_rate_per_1000"].isna().all()
        and v["note"].str.contains("no population source").all()
    )
    c = NC.comparative_claims(v, "A", ["B"])
    assert (
        c["verdict"] == "insufficient data"
    ).all()  # burglary/total crime not in the view, robbery no rate


def test_figure_has_one_panel_per_milestone(reference):
    import matplotlib

    matplotlib.use("Agg")
    from wmp_analysis.report.plots.national import national_figure

    registry, measures = reference
    ons, pop = _three_forces()
    ms = national.plan_milestones(registry, measures)
    v = national.national_view(ons, pop, ms[ms["target_id"] == "spp-robbery"], measures, force="A")
    fig = national_figure(v, "A", ["B"])
    panels = [ax for ax in fig.axes if ax.axison]
    assert len(panels) == 1 and "spp-robbery" in panels[0].get_title()
    ys = dict(zip([t.get_text() for t in panels[0].get_yticklabels()], panels[0].get_yticks()))
    assert sorted(ys, key=ys.get, reverse=True) == ["A", "B", "C"]  # largest fall at the top
    with pytest.raises(ValueError):
        national_figure(v, value="nonsense")


# --------------------------------------------------------------------------- three other forces, config alone


#: The three forces, each with its comparators.
OTHER_FORCES = {
    "Merseyside": [WM, "Greater Manchester", "West Yorkshire"],
    "West Yorkshire": ["Greater Manchester", "South Yorkshire", "Merseyside"],
    "Thames Valley": ["Hampshire", "Kent", "Sussex"],
}


def _real_ons_base() -> tuple[dict, dict[str, str]]:
    """configs/real-ons.yaml and its sources as absolute paths."""
    base = yaml.safe_load((PROJECT_ROOT / "configs" / "real-ons.yaml").read_text(encoding="utf-8"))
    return base, {k: str((PROJECT_ROOT / v).resolve()) for k, v in base["sources"].items()}


def _three_force_configs(folder) -> dict[str, tuple[dict, object]]:
    """Per force: (raw config, its path), each in its own folder below *folder*."""
    from wmp_analysis.ingest.census import force_districts, read_lad_lookup

    base, sources = _real_ons_base()
    lad = read_lad_lookup(sources["lad_lookup"])
    out = {}
    for force, comps in OTHER_FORCES.items():
        raw = dict(
            base,
            name=f"real-ons-{force.lower().replace(' ', '-')}",
            force=force,
            comparators=comps,
            districts=force_districts(lad, force),
            sources=sources,
            title=f"{force} Police measured against the West Midlands plan's targets (real ONS data)",
            processed_dir="processed",
            reports_dir="reports",
        )
        # no briefing.pdf: nothing here reads it (the PDF is checked on the sample pack by
        # test_reproducible and test_pdf), and printing it costs each pack a browser session
        raw["runner"] = dict(base.get("runner") or {}, parallel=2, pdf=False)
        sub = folder / raw["name"]
        sub.mkdir()
        cfg_path = sub / "config.yaml"
        cfg_path.write_text(yaml.safe_dump(raw, sort_keys=False), encoding="utf-8")
        out[force] = (raw, cfg_path)
    return out


def _start_three_forces(tmp_path_factory) -> dict:
    """The three packs, started once in the background (``_suite_run``: ``wmp-analysis run``);
    per force: (raw config, its path, the run's future)."""
    from _suite_run import background, once, run_cli

    configs = once(
        "three-forces", lambda: _three_force_configs(tmp_path_factory.mktemp("three-forces"))
    )
    out = {}
    for force, (raw, cfg_path) in configs.items():
        args = ["run", "--config", str(cfg_path), "--run-id", "three-forces"]
        job = background(
            f"three-forces:{force}",
            lambda a=args, c=cfg_path: run_cli(a, c.parent, c.parent / "run.log"),
        )
        out[force] = (raw, cfg_path, job)
    return out


def _prefetch_three_forces(tmp_path_factory) -> None:
    from _suite_run import suite_problem

    _base, sources = _real_ons_base()
    if suite_problem() is None and all(os.path.exists(v) for v in sources.values()):
        _start_three_forces(tmp_path_factory)


@pytest.fixture(scope="module")
def three_forces(tmp_path_factory):
    """Per force: (run folder, the CLI run) of its whole pack."""
    from _suite_run import require_suite

    require_suite()
    base, _sources = _real_ons_base()
    for v in base["sources"].values():  # fail in CI, skip elsewhere, when the real files are absent
        require_shared(v.removeprefix("../shared/data/"))
    out = {}
    for force, (raw, cfg_path, job) in _start_three_forces(tmp_path_factory).items():
        out[force] = (cfg_path.parent / "reports" / raw["name"] / "three-forces", job.result())
    return out


#: Runs started in the background when the tests are collected (``_suite_run.prefetch``).
PREFETCH = {"three_forces": [_prefetch_three_forces]}


@pytest.mark.slow
@pytest.mark.realdata
def test_full_pack_for_three_other_forces_by_config_alone(three_forces):
    timings = {}
    for force, comps in OTHER_FORCES.items():
        run, got = three_forces[force]
        timings[force] = got.seconds
        assert got.rc == 0, f"{force}: exit {got.rc}\n{got.out[-3000:]}"
        index = (run / "index.html").read_text(encoding="utf-8")
        assert force in index, force
        assert (run / "06_national_view.html").is_file() and 'href="06_national_view.html"' in index
        view = pd.read_csv(run / "06_national_view" / "tables" / "national_view.csv")
        assert view.groupby("target_id")["force"].nunique().eq(43).all()  # ingest kept every force
        assert view.loc[view["role"] == "force", "force"].unique().tolist() == [force]
        assert set(view.loc[view["role"] == "comparator", "force"]) == set(comps)
    print(
        "pack seconds (niced, beside the other tests):",
        {k: round(v, 1) for k, v in timings.items()},
    )
