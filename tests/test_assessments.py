"""Several assessments in one config (issue 12): ``assessments: [{plan, baseline, target_period}]``."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from wmp_analysis.config import load_config
from wmp_analysis.errors import ConfigError, InputError

ROOT = Path(__file__).resolve().parents[1]

TWO = """\
name: two-plans
force: West Midlands
assessments:
  - plan: spp-2012-15
    baseline: {start: 2011-04-01, end: 2012-03-31}
    target_period: {start: 2012-04-01, end: 2013-03-31}
  - plan: pcp-2014-15
    baseline: {start: 2013-04-01, end: 2014-03-31}
    target_period: {start: 2014-04-01, end: 2015-03-31}
sources: {}
"""


def _write(tmp_path: Path, text: str) -> Path:
    p = tmp_path / "cfg.yaml"
    p.write_text(text, encoding="utf-8")
    return p


def test_two_assessments_in_order_first_is_the_default(tmp_path):
    cfg = load_config(_write(tmp_path, TWO))
    got = [
        (a.plan, a.baseline.start, a.baseline.end, a.target_period.start, a.target_period.end)
        for a in cfg.assessments
    ]
    assert got == [
        (
            "spp-2012-15",
            pd.Timestamp(2011, 4, 1),
            pd.Timestamp(2012, 3, 31),
            pd.Timestamp(2012, 4, 1),
            pd.Timestamp(2013, 3, 31),
        ),
        (
            "pcp-2014-15",
            pd.Timestamp(2013, 4, 1),
            pd.Timestamp(2014, 3, 31),
            pd.Timestamp(2014, 4, 1),
            pd.Timestamp(2015, 3, 31),
        ),
    ]
    assert cfg.plan == "spp-2012-15"
    assert (cfg.baseline.start, cfg.target_period.end) == (
        pd.Timestamp(2011, 4, 1),
        pd.Timestamp(2013, 3, 31),
    )
    pcp = cfg.for_assessment(cfg.assessments[1])
    assert (pcp.plan, pcp.target_period.start, pcp.force) == (
        "pcp-2014-15",
        pd.Timestamp(2014, 4, 1),
        "West Midlands",
    )


def test_top_level_keys_are_one_assessment(tmp_path):
    text = TWO.split("assessments:")[0] + (
        "plan: pcp-2014-15\nbaseline: {start: 2013-04-01, end: 2014-03-31}\n"
        "target_period: {start: 2014-04-01, end: 2015-03-31}\nsources: {}\n"
    )
    cfg = load_config(_write(tmp_path, text))
    assert [(a.plan, a.target_period.start) for a in cfg.assessments] == [
        ("pcp-2014-15", pd.Timestamp(2014, 4, 1))
    ]


def test_the_existing_configs_still_load_as_one_or_more_assessments():
    for p in sorted((ROOT / "configs").glob("*.yaml")):
        cfg = load_config(p)
        assert cfg.assessments and cfg.assessments[0].plan == cfg.plan, p.name


def test_each_assessment_baseline_must_end_before_its_target(tmp_path):
    bad = TWO.replace("target_period: {start: 2014-04-01", "target_period: {start: 2013-06-01")
    with pytest.raises(ConfigError) as e:
        load_config(_write(tmp_path, bad))
    assert isinstance(e.value, InputError)
    assert e.value.field == "assessments[1].target_period"
    assert e.value.row == 9  # the item's target_period line
    assert "2013-06-01" in str(e.value) and "2014-03-31" in str(e.value)


def test_each_assessment_plan_must_be_known(tmp_path):
    with pytest.raises(ConfigError) as e:
        load_config(_write(tmp_path, TWO.replace("plan: pcp-2014-15", "plan: pcp-2015-16")))
    assert e.value.field == "assessments[1].plan" and e.value.row == 7
    assert "pcp-2015-16" in str(e.value) and "spp-2012-15" in str(e.value)


def test_an_impossible_date_in_an_item_names_it(tmp_path):
    with pytest.raises(ConfigError) as e:
        load_config(_write(tmp_path, TWO.replace("end: 2015-03-31", "end: 2015-02-30")))
    assert e.value.field == "assessments[1].target_period" and "2015-02-30" in str(e.value)


def test_an_unknown_key_in_an_item_gets_a_suggestion(tmp_path):
    with pytest.raises(ConfigError) as e:
        load_config(
            _write(
                tmp_path,
                TWO.replace("  - plan: pcp-2014-15", "  - plan: pcp-2014-15\n    plann: x"),
            )
        )
    assert "plann" in str(e.value) and "did you mean 'plan'" in str(e.value)
    assert e.value.row == 8 and e.value.field == "assessments[1].plann"


def test_both_forms_at_once_is_refused(tmp_path):
    text = TWO.replace("assessments:", "plan: spp-2012-15\nassessments:")
    with pytest.raises(ConfigError) as e:
        load_config(_write(tmp_path, text))
    assert e.value.field == "plan" and "not both" in str(e.value)


def test_neither_form_says_what_is_missing(tmp_path):
    text = TWO.split("assessments:")[0] + "sources: {}\n"
    with pytest.raises(ConfigError) as e:
        load_config(_write(tmp_path, text))
    assert e.value.field == "plan" and "assessments" in str(e.value)


def test_an_empty_list_and_a_repeated_assessment_are_refused(tmp_path):
    with pytest.raises(ConfigError) as e:
        load_config(
            _write(tmp_path, TWO.split("assessments:")[0] + "assessments: []\nsources: {}\n")
        )
    assert e.value.field == "assessments"
    item = TWO.split("  - plan: pcp")[0].split("assessments:\n")[1]
    with pytest.raises(ConfigError) as e:
        load_config(_write(tmp_path, TWO.replace("sources: {}", "") + item + "sources: {}\n"))
    assert "twice" in str(e.value) and e.value.field == "assessments[2]"
