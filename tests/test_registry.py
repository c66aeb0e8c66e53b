"""The target registry and measures table: citations, transcribed values, definitions, validation."""

from __future__ import annotations

import csv
import io
import math

import pytest

from wmp_analysis.errors import SchemaError, UnknownCategoryError, ValueFormatError
from wmp_analysis.measures.targets import (
    MEASURE_COLUMNS,
    REGISTRY_COLUMNS,
    load_measures,
    load_registry,
    measure_definition,
    registry_for_plan,
)


@pytest.fixture(scope="module")
def paths(project_root):
    base = project_root / "data" / "raw" / "targets"
    return base / "registry.csv", base / "measures.csv"


@pytest.fixture(scope="module")
def measures(paths):
    return load_measures(paths[1])


@pytest.fixture(scope="module")
def registry(paths, measures):
    return load_registry(paths[0], measures=measures)


def _norm(text: str) -> str:
    return " ".join(text.replace("**", "").split())


# ------------------------------------------------------------------ citations
def test_every_citation_sentence_is_in_its_seed(registry, seeds_dir):
    texts = {}
    missing = []
    for r in registry.itertuples():
        if r.citation_file not in texts:
            texts[r.citation_file] = _norm(
                (seeds_dir / r.citation_file).read_text(encoding="utf-8")
            )
        if _norm(r.citation_sentence) not in texts[r.citation_file]:
            missing.append(r.target_id)
    assert missing == []
    assert set(texts) == {"000_ebc194bc38b034ec.txt", "001_80b6ad282e6b1277.txt"}


def test_citation_sections_name_a_heading_of_the_seed(registry, seeds_dir):
    # the first element of the section path is a heading that occurs in the seed
    for r in registry.itertuples():
        head = r.citation_section.split(" > ")[0]
        text = _norm((seeds_dir / r.citation_file).read_text(encoding="utf-8"))
        assert _norm(head) in text, (r.target_id, head)


def _value_forms(v: float) -> set[str]:
    a = abs(v)
    forms = {f"{a:g}", f"{a:.1f}", f"{a:.2f}"}
    if a == int(a):
        forms |= {str(int(a)), f"{int(a):,}"}
    return forms


def test_target_value_appears_in_the_quoted_sentence(registry):
    # a transcription check: the number must be in the text it was read from
    derived = {
        "pcp-reported-second-lowest",
        "pcp-reported-best-in-class",
    }  # "second lowest", "best in class"
    for r in registry.itertuples():
        if math.isnan(r.target_value) or r.target_id in derived:
            continue
        assert any(f in r.citation_sentence for f in _value_forms(r.target_value)), r.target_id


# ------------------------------------------------------------------ transcribed values
# target_id, measure_id, kind, value, direction, baseline_period, baseline_value, target_period
EXPECTED = [
    ("spp-confidence", "confidence", "level", 88, "up", "2011-12", 84, "2012-13"),
    ("spp-good-job", "good_job", "level", 88, "up", "2011-12", 86, "2012-13"),
    ("spp-crime-satisfaction", "crime_satisfaction", "level", 88, "up", "2011-12", 86, "2012-13"),
    ("spp-asb-satisfaction", "asb_satisfaction", "level", 80, "up", "2011-12", 76, "2012-13"),
    ("spp-total-crime", "total_crime", "pct_change", -5, "down", "2011-12", None, "2012-13"),
    (
        "spp-burglary-dwelling",
        "burglary_dwelling",
        "pct_change",
        -8,
        "down",
        "2011-12",
        None,
        "2012-13",
    ),
    ("spp-robbery", "robbery", "pct_change", -8, "down", "2011-12", None, "2012-13"),
    (
        "spp-most-serious-violence",
        "most_serious_violence",
        "pct_change",
        -8,
        "down",
        "2011-12",
        None,
        "2012-13",
    ),
    (
        "spp-women-19-28",
        "women_19_28_victimisation",
        "direction",
        None,
        "down",
        "2011-12",
        None,
        "2012-13",
    ),
    (
        "spp-ae-assault-13-24",
        "ae_serious_assault_13_24",
        "direction",
        None,
        "down",
        "2011-12",
        None,
        "2012-13",
    ),
    (
        "spp-detection-burglary",
        "detection_rate_burglary",
        "level",
        15,
        "up",
        "2011-12",
        None,
        "2012-13",
    ),
    (
        "spp-detection-robbery",
        "detection_rate_robbery",
        "level",
        21,
        "up",
        "2011-12",
        None,
        "2012-13",
    ),
    ("spp-detection-msv", "detection_rate_msv", "level", 50, "up", "2011-12", None, "2012-13"),
    (
        "spp-detection-rape-sso",
        "detection_rate_rape_sso",
        "level",
        37,
        "up",
        "2011-12",
        None,
        "2012-13",
    ),
    (
        "spp-priority-areas",
        "priority_area_crime",
        "direction",
        None,
        "down",
        "2011-12",
        None,
        "2012-13",
    ),
    ("spp-repeat-victims", "repeat_victims", "direction", None, "down", "2011-12", None, "2012-13"),
    ("spp-business-crime", "business_crime", "pct_change", -8, "down", "2011-12", None, "2012-13"),
    (
        "spp-hr-officer-establishment",
        "officer_establishment",
        "level",
        7941,
        "",
        "",
        None,
        "2012-13",
    ),
    ("spp-hr-staff-establishment", "staff_establishment", "level", 3419, "", "", None, "2012-13"),
    ("spp-hr-pcso-establishment", "pcso_establishment", "level", 787, "", "", None, "2012-13"),
    ("spp-hr-specials-headcount", "specials_headcount", "level", 750, "", "", None, "2012-13"),
    (
        "spp-hr-bme-promotion-sergeant",
        "promotion_bme_share_sergeant",
        "level",
        10,
        "up",
        "",
        None,
        "2012-13",
    ),
    (
        "spp-hr-bme-promotion-inspector",
        "promotion_bme_share_inspector",
        "level",
        10,
        "up",
        "",
        None,
        "2012-13",
    ),
    (
        "spp-hr-female-promotion-sergeant",
        "promotion_female_share_sergeant",
        "level",
        26,
        "up",
        "",
        None,
        "2012-13",
    ),
    (
        "spp-hr-female-promotion-inspector",
        "promotion_female_share_inspector",
        "level",
        20,
        "up",
        "",
        None,
        "2012-13",
    ),
    ("spp-hr-attendance", "attendance_rate", "level", 97, "up", "", None, "2012-13"),
    ("spp-budget-total-2012-13", "budget_total", "level", 624, "down", "2011-12", 650, "2012-13"),
    (
        "spp-budget-police-officers-2014-15",
        "budget_police_officers",
        "level",
        398,
        "down",
        "2011-12",
        414,
        "2014-15",
    ),
    (
        "spp-strength-police-officers-2012-13",
        "officer_strength",
        "level",
        7799,
        "down",
        "2011-12",
        8100,
        "2012-13",
    ),
    (
        "spp-strength-total-2014-15",
        "total_strength",
        "level",
        10659,
        "down",
        "2011-12",
        12323,
        "2014-15",
    ),
    (
        "spp-pbb-savings-total",
        "pbb_savings_total",
        "level",
        -43.2,
        "down",
        "2011-12",
        577.6,
        "2013-14",
    ),
    ("pcp1314-total-crime", "total_crime", "pct_change", -5, "down", "2012-13", None, "2013-14"),
    (
        "pcp1314-violence-with-injury",
        "violence_with_injury",
        "pct_change",
        -8,
        "down",
        "2012-13",
        None,
        "2013-14",
    ),
    ("pcp1314-burglary", "burglary", "pct_change", -8, "down", "2012-13", None, "2013-14"),
    (
        "pcp1314-priority-areas",
        "priority_area_crime",
        "pct_change",
        -7,
        "down",
        "2012-13",
        None,
        "2013-14",
    ),
    (
        "pcp1314-business-crime",
        "business_crime",
        "pct_change",
        -6,
        "down",
        "2012-13",
        None,
        "2013-14",
    ),
    (
        "pcp1415-lowest-ever-crime",
        "total_crime",
        "direction",
        None,
        "down",
        "2013-14",
        None,
        "2014-15",
    ),
    (
        "pcp1415-public-place-violence",
        "public_place_violence",
        "pct_change",
        -5,
        "down",
        "2013-14",
        None,
        "2014-15",
    ),
    ("pcp1415-burglary", "burglary", "pct_change", -2, "down", "2013-14", None, "2014-15"),
    ("pcp1415-robbery", "robbery", "pct_change", -5, "down", "2013-14", None, "2014-15"),
    ("pcp1415-confidence", "confidence", "direction", None, "up", "2013-14", 82, "2014-15"),
    (
        "pcp1415-crime-satisfaction",
        "crime_satisfaction",
        "direction",
        None,
        "up",
        "2013-14",
        83.9,
        "2014-15",
    ),
    (
        "pcp1415-asb-satisfaction",
        "asb_satisfaction",
        "direction",
        None,
        "up",
        "2013-14",
        77,
        "2014-15",
    ),
    ("pcp-reported-confidence", "confidence", "reported_figure", 82, "", "", None, "2013-14"),
    (
        "pcp-reported-crime-satisfaction",
        "crime_satisfaction",
        "reported_figure",
        83.9,
        "",
        "2012-13",
        None,
        "2013-14",
    ),
    (
        "pcp-reported-asb-satisfaction",
        "asb_satisfaction",
        "reported_figure",
        77,
        "",
        "2012-13",
        None,
        "2013-14",
    ),
    (
        "pcp-reported-total-crime-change",
        "total_crime",
        "reported_figure",
        2.1,
        "up",
        "2012-13",
        None,
        "2013-14",
    ),
    (
        "pcp-reported-priority-demand",
        "plan_context_figure",
        "reported_figure",
        25,
        "",
        "",
        None,
        "2013-14",
    ),
    ("pcp-budget-total", "spend_total", "level", 553422, "", "", None, "2014-15"),
]


@pytest.mark.parametrize(
    "tid,measure,kind,value,direction,bp,bv,tp", EXPECTED, ids=[e[0] for e in EXPECTED]
)
def test_listed_target_is_transcribed(registry, tid, measure, kind, value, direction, bp, bv, tp):
    hit = registry[registry["target_id"] == tid]
    assert len(hit) == 1
    r = hit.iloc[0]
    assert (r.measure_id, r.target_kind, r.direction) == (measure, kind, direction)
    assert (r.baseline_period, r.target_period) == (bp, tp)
    if value is None:
        assert math.isnan(r.target_value)
    else:
        assert r.target_value == pytest.approx(value)
    if bv is None:
        assert math.isnan(r.baseline_value)
    else:
        assert r.baseline_value == pytest.approx(bv)


def test_plans_and_geographies(registry):
    assert set(registry["plan"]) == {"spp-2012-15", "pcp-2014-15"}
    spp = registry_for_plan(registry, "spp-2012-15")
    pcp = registry_for_plan(registry, "pcp-2014-15")
    assert len(spp) + len(pcp) == len(registry)
    assert (spp["citation_file"] == "000_ebc194bc38b034ec.txt").all()
    assert (pcp["citation_file"] == "001_80b6ad282e6b1277.txt").all()
    districts = {
        "Birmingham",
        "Coventry",
        "Dudley",
        "Sandwell",
        "Solihull",
        "Walsall",
        "Wolverhampton",
    }
    assert set(registry["geography"]) <= {"force", "priority_areas"} | districts
    with pytest.raises(UnknownCategoryError):
        registry_for_plan(registry, "pcp-2013-14")


def test_plan_tables_add_up(registry):
    # hand check of the transcription: the plans' own totals equal the sums of their lines
    v = registry.set_index("target_id")["target_value"]
    for fy in ("2012-13", "2013-14", "2014-15"):
        lines = sum(
            v[f"spp-budget-{k}-{fy}"] for k in ("police-officers", "police-staff", "non-pay")
        )
        assert lines == v[f"spp-budget-total-{fy}"]
        lines = sum(
            v[f"spp-strength-{k}-{fy}"] for k in ("police-officers", "police-staff", "pcsos")
        )
        assert lines == v[f"spp-strength-total-{fy}"]
    assert v["spp-strength-cumulative-reduction-2014-15"] == 13423 - v["spp-strength-total-2014-15"]
    parts = ("visible", "specialist", "middle-office", "back-office")
    assert sum(v[f"spp-pbb-savings-{k}"] for k in parts) == pytest.approx(
        v["spp-pbb-savings-total"]
    )
    spend = (
        v["pcp-budget-staffing-subtotal"]
        + v["pcp-budget-running-costs"]
        - v["pcp-budget-income"]
        + v["pcp-budget-opcc"]
        + v["pcp-budget-invest-to-save"]
    )
    assert spend == v["pcp-budget-total"] == v["pcp-budget-funding-total"]
    funding = (
        v["pcp-budget-government-grant"] + v["pcp-budget-council-tax"] + v["pcp-budget-reserves"]
    )
    assert funding == v["pcp-budget-funding-total"]
    grants = registry[registry["measure_id"] == "community_safety_grant"]["target_value"].sum()
    assert grants == v["pcp-grant-total"] == 6969000


# ------------------------------------------------------------------ measures
def test_every_measure_is_used_and_every_used_measure_defined(registry, measures):
    assert set(registry["measure_id"]) == set(measures["measure_id"])


def test_ons_offence_groups_exist_in_the_real_file(measures, ons_real):
    groups = set(ons_real["offence"].unique())
    for r in measures.itertuples():
        for g in measure_definition(measures, r.measure_id, "ons_pfa")["categories"]:
            assert g in groups, (r.measure_id, g)


def test_total_crime_is_every_force_group_except_fraud(measures, ons_real):
    wm = set(ons_real.loc[ons_real["force"] == "West Midlands", "offence"].unique())
    total = set(measure_definition(measures, "total_crime", "ons_pfa")["categories"])
    assert total == wm - {"Fraud offences"}
    assert "Fraud offences" in wm


def test_proxies_are_flagged(registry, measures):
    for mid in ("most_serious_violence", "public_place_violence", "business_crime"):
        row = measures.set_index("measure_id").loc[mid]
        assert bool(row["proxy"]) and row["proxy_note"]
        for src in ("ons_pfa", "csp", "police_uk"):
            d = measure_definition(measures, mid, src)
            assert d["proxy"] and d["note"].startswith("PROXY")
        used = registry[(registry["measure_id"] == mid) & (registry["data_source"] == "ons_pfa")]
        assert len(used) >= 1
        assert used["proxy"].all() and used["proxy_note"].str.startswith("PROXY").all()
    # exact in ONS, a proxy in police.uk (which mixes dwelling and non-dwelling burglary)
    assert not measure_definition(measures, "burglary_dwelling", "ons_pfa")["proxy"]
    puk = measure_definition(measures, "burglary_dwelling", "police_uk")
    assert (
        puk["proxy"]
        and puk["categories"] == ["Burglary"]
        and puk["stable_categories"] == ["Burglary"]
    )
    assert set(measure_definition(measures, "most_serious_violence", "ons_pfa")["categories"]) >= {
        "Violence with injury"
    }
    assert set(measure_definition(measures, "business_crime", "ons_pfa")["categories"]) >= {
        "Non-domestic burglary",
        "Shoplifting",
    }
    assert measure_definition(measures, "robbery", "csp")["categories"] == ["34A", "34B"]
    assert measure_definition(measures, "burglary_dwelling", "csp")["categories"][:4] == [
        "28A",
        "28B",
        "28C",
        "28D",
    ]


def test_not_measurable_rows_have_reasons_and_survey_rows_are_labelled(registry, measures):
    nm = registry[~registry["measurable"]]
    assert len(nm) > 0
    assert nm["not_measurable_reason"].str.startswith("not measurable from public data").all()
    assert (nm["would_measure_with"] != "").all()
    for tid in (
        "spp-women-19-28",
        "spp-ae-assault-13-24",
        "spp-detection-burglary",
        "spp-repeat-victims",
        "spp-priority-areas",
        "spp-hr-officer-establishment",
    ):
        assert tid in set(nm["target_id"])
    survey = registry[
        registry["measure_id"].isin(
            ["confidence", "good_job", "crime_satisfaction", "asb_satisfaction"]
        )
    ]
    assert (survey["data_source"] == "survey").all() and survey["measurable"].all()
    assert survey["definition"].str.contains("not measurable from public data").all()
    assert survey["would_measure_with"].str.contains("survey_contract").all()
    for mid in ("confidence", "good_job", "crime_satisfaction", "asb_satisfaction"):
        assert measure_definition(measures, mid, "survey")["categories"] == [mid]
    measured = registry[registry["data_source"] == "ons_pfa"]
    assert measured["measurable"].all()


def test_measure_definition_rejects_unknowns(measures):
    with pytest.raises(UnknownCategoryError) as e:
        measure_definition(measures, "no_such_measure", "ons_pfa")
    assert e.value.field == "measure_id"
    with pytest.raises(UnknownCategoryError) as e:
        measure_definition(measures, "robbery", "hospital")
    assert e.value.field == "source"
    d = measure_definition(measures, "repeat_victims", "ons_pfa")
    assert d["categories"] == [] and not d["available"]


# ------------------------------------------------------------------ bad files
def _rows(path):
    with open(path, encoding="utf-8", newline="") as fh:
        return list(csv.reader(fh))


def _write(path, rows):
    buf = io.StringIO()
    csv.writer(buf, lineterminator="\n").writerows(rows)
    path.write_text(buf.getvalue(), encoding="utf-8")


@pytest.fixture
def bad_copy(paths, tmp_path):
    """Copy both files to tmp; return a function that edits one registry field."""
    reg_rows = _rows(paths[0])
    meas_rows = _rows(paths[1])
    _write(tmp_path / "measures.csv", meas_rows)

    def make(target_id=None, field=None, value=None, header=None):
        rows = [list(r) for r in reg_rows]
        if header is not None:
            rows[0] = header
        line = None
        if target_id is not None:
            i = next(k for k, r in enumerate(rows) if r[0] == target_id)
            rows[i][REGISTRY_COLUMNS.index(field)] = value
            line = i + 1
        p = tmp_path / "registry.csv"
        _write(p, rows)
        return p, line

    return make


def test_good_copy_loads(bad_copy):
    p, _ = bad_copy()
    assert len(load_registry(p)) > 200


def test_wrong_header(bad_copy):
    p, _ = bad_copy(header=REGISTRY_COLUMNS[:5] + ["kind"] + REGISTRY_COLUMNS[6:])
    with pytest.raises(SchemaError) as e:
        load_registry(p)
    assert e.value.row == 1 and "target_kind" in str(e.value)


@pytest.mark.parametrize(
    "field,value,err",
    [
        ("target_kind", "percentage", ValueFormatError),
        ("target_value", "5%", ValueFormatError),
        ("target_value", "", ValueFormatError),
        ("plan", "spp-2012-16", ValueFormatError),
        ("baseline_period", "2011/12", ValueFormatError),
        ("target_period", "2012-14", ValueFormatError),
        ("proxy", "yes", ValueFormatError),
        ("direction", "lower", ValueFormatError),
        ("data_source", "ons", ValueFormatError),
        ("measure_id", "serious_violence", UnknownCategoryError),
        ("target_id", "SPP Total", ValueFormatError),
    ],
)
def test_bad_value_names_line_and_field(bad_copy, field, value, err):
    p, line = bad_copy("spp-total-crime", field, value)
    with pytest.raises(err) as e:
        load_registry(p)
    assert e.value.row == line and e.value.field == field
    assert str(p) in str(e.value)


def test_not_measurable_without_reason_is_rejected(bad_copy):
    p, line = bad_copy("spp-women-19-28", "not_measurable_reason", "")
    with pytest.raises(ValueFormatError) as e:
        load_registry(p)
    assert (e.value.row, e.value.field) == (line, "not_measurable_reason")


def test_bad_measures_file(paths, tmp_path):
    rows = _rows(paths[1])
    i = next(k for k, r in enumerate(rows) if r[0] == "robbery")
    rows[i][MEASURE_COLUMNS.index("ons_offences")] = "Robbery;Robberies"
    p = tmp_path / "measures.csv"
    _write(p, rows)
    with pytest.raises(UnknownCategoryError) as e:
        load_measures(p)
    assert (e.value.row, e.value.field) == (i + 1, "ons_offences")
    rows = _rows(paths[1])
    rows[i][MEASURE_COLUMNS.index("kind")] = "crime"
    _write(p, rows)
    with pytest.raises(ValueFormatError) as e:
        load_measures(p)
    assert (e.value.row, e.value.field) == (i + 1, "kind")
    rows = _rows(paths[1])
    rows[0] = rows[0][::-1]
    _write(p, rows)
    with pytest.raises(SchemaError):
        load_measures(p)


def test_default_paths_are_the_project_files(paths):
    assert len(load_registry()) == len(load_registry(paths[0]))
    assert list(load_measures().columns) == MEASURE_COLUMNS + ["line"]
