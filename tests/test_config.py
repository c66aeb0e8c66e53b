
import pytest

from wmp_analysis.config import load_config
from wmp_analysis.errors import ConfigError

from conftest import PROJECT_ROOT


def test_sample_config_loads_and_resolves_paths():
    cfg = load_config(PROJECT_ROOT / "configs" / "sample.yaml")
    assert cfg.name == "sample" and cfg.force == "West Midlands" and cfg.plan == "spp-2012-15"
    assert cfg.baseline.label == "2011-12" and cfg.target_period.label == "2012-13"
    assert cfg.root == PROJECT_ROOT
    assert cfg.source("ons_pfa") == PROJECT_ROOT / "data/raw/sample/ons/synthetic-rec-crime-pfa.csv"
    assert cfg.option("survey.min_base") == 50
    assert len(cfg.districts) == 7
    params = cfg.as_parameters()
    assert params["baseline_start"] == "2011-04-01" and params["target_end"] == "2013-03-31"


def test_config_found_relative_to_project_root(monkeypatch):
    monkeypatch.chdir(PROJECT_ROOT / "notebooks")
    cfg = load_config("configs/sample.yaml")
    assert cfg.path == PROJECT_ROOT / "configs" / "sample.yaml"


BASE = """name: t
force: West Midlands
plan: spp-2012-15
baseline: {start: 2011-04-01, end: 2012-03-31}
target_period: {start: 2012-04-01, end: 2013-03-31}
sources: {ons_pfa: x.csv}
"""


@pytest.mark.parametrize(
    "text,field",
    [
        (BASE.replace("plan: spp-2012-15", "plan: nonsense"), "plan"),
        (BASE.replace("force: West Midlands\n", ""), "force"),
        (BASE.replace("end: 2012-03-31", "end: 2012-02-30"), "baseline"),
        (BASE.replace("start: 2012-04-01", "start: 2014-04-01"), "target_period"),
        (BASE.replace("ons_pfa: x.csv", "onz_pfa: x.csv"), "sources.onz_pfa"),
        (BASE + "districts: Birmingham\n", "districts"),
        (BASE.replace("name: t", "name: ../evil"), "name"),
    ],
)
def test_bad_config_names_field(tmp_path, text, field):
    p = tmp_path / "c.yaml"
    p.write_text(text)
    with pytest.raises(ConfigError) as ei:
        load_config(p)
    assert ei.value.field == field
    assert str(p) in str(ei.value)


def test_invalid_yaml_names_line(tmp_path):
    p = tmp_path / "c.yaml"
    p.write_text("name: t\nforce: [unclosed\n")
    with pytest.raises(ConfigError) as ei:
        load_config(p)
    assert ei.value.row is not None and str(p) in str(ei.value)


def test_missing_config_file(tmp_path):
    with pytest.raises(ConfigError, match="not found"):
        load_config(tmp_path / "nope.yaml")


def test_config_outside_project_resolves_against_its_folder(tmp_path):
    p = tmp_path / "c.yaml"
    p.write_text(BASE)
    cfg = load_config(p)
    assert cfg.root == tmp_path and cfg.source("ons_pfa") == tmp_path / "x.csv"
    with pytest.raises(ConfigError) as ei:
        cfg.source("csp")
    assert ei.value.field == "sources.csp"
