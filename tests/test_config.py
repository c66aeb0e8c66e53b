import pytest
from conftest import PROJECT_ROOT

from wmp_analysis.config import load_config
from wmp_analysis.errors import ConfigError


def test_sample_config_loads_and_resolves_paths():
    cfg = load_config(PROJECT_ROOT / "configs" / "sample.yaml")
    assert cfg.name == "sample" and cfg.force == "West Midlands" and cfg.plan == "spp-2012-15"
    assert cfg.baseline.label == "2011-12" and cfg.target_period.label == "2012-13"
    assert cfg.root == PROJECT_ROOT
    # the default pack: the real public ONS file, the synthetic sample for the survey (issue 12)
    assert cfg.source("ons_pfa") == PROJECT_ROOT / "data/raw/public/rec-crime-pfa.csv"
    assert (
        cfg.source("survey")
        == PROJECT_ROOT / "data/raw/sample/survey/synthetic-survey-respondents.csv"
    )
    assert [(a.plan, a.baseline.label, a.target_period.label) for a in cfg.assessments] == [
        ("spp-2012-15", "2011-12", "2012-13"),
        ("pcp-2014-15", "2013-14", "2014-15"),
    ]
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


# ----------------------------------------------------------------- the typed schema (issue 10)
# BASE is six lines long, so a key appended to it is on line 7.


def _write(tmp_path, text, name="c.yaml"):
    p = tmp_path / name
    p.write_text(text, encoding="utf-8")
    return p


def _error(tmp_path, text, **kw) -> ConfigError:
    with pytest.raises(ConfigError) as ei:
        load_config(_write(tmp_path, text), **kw)
    return ei.value


@pytest.mark.parametrize(
    "config", sorted(p.name for p in (PROJECT_ROOT / "configs").glob("*.yaml"))
)
def test_every_project_config_loads(config):
    cfg = load_config(PROJECT_ROOT / "configs" / config)
    assert cfg.baseline.end < cfg.target_period.start


@pytest.mark.parametrize(
    "extra,field,row,nearest",
    [
        ("comparator: [Greater Manchester]\n", "comparator", 7, "comparators"),
        (
            "police_uk_month: {start: 2010-04-01, end: 2016-03-31}\n",
            "police_uk_month",
            7,
            "police_uk_months",
        ),
        (
            "runner:\n  kernel: wmp-analysis\n  timout_per_notebook: 60\n",
            "runner.timout_per_notebook",
            9,
            "timeout_per_notebook",
        ),
        ("survey: {min_bse: 50}\n", "survey.min_bse", 7, "min_base"),
    ],
)
def test_unknown_key_is_an_error_naming_the_nearest_valid_key(tmp_path, extra, field, row, nearest):
    exc = _error(tmp_path, BASE + extra)
    assert exc.field == field and exc.row == row
    assert f"did you mean {nearest!r}" in str(exc) and f"line {row}" in str(exc)


@pytest.mark.parametrize(
    "extra,field,value",
    [
        ("alpha: 'five percent'\n", "alpha", "'five percent'"),
        ("alpha: 0\n", "alpha", "0"),
        ("alpha: 1\n", "alpha", "1"),
        ("alpha: -0.05\n", "alpha", "-0.05"),
        ("alpha: true\n", "alpha", "True"),
        ("survey: {min_base: -50}\n", "survey.min_base", "-50"),
        ("survey: {min_base: 0}\n", "survey.min_base", "0"),
        ("survey: {min_base: 2.5}\n", "survey.min_base", "2.5"),
        ("runner: {timeout_per_notebook: 0}\n", "runner.timeout_per_notebook", "0"),
        ("runner: {timeout_per_notebook: -600}\n", "runner.timeout_per_notebook", "-600"),
        ("runner: {timeout_per_notebook: 1.5}\n", "runner.timeout_per_notebook", "1.5"),
        ("runner: {timeout_per_notebook: '600'}\n", "runner.timeout_per_notebook", "'600'"),
        ("runner: {cell_timeout: 0}\n", "runner.cell_timeout", "0"),
        ("runner: {parallel: 0}\n", "runner.parallel", "0"),
        ("runner: {lock_wait: -1}\n", "runner.lock_wait", "-1"),
        ("runner: {warm_kernels: -1}\n", "runner.warm_kernels", "-1"),
        ("runner: {warm_kernels: 1.5}\n", "runner.warm_kernels", "1.5"),
        ("runner: {figure_formats: [png, jpg]}\n", "runner.figure_formats", "['png', 'jpg']"),
        ("runner: {figure_formats: []}\n", "runner.figure_formats", "[]"),
        ("runner: {figure_formats: png}\n", "runner.figure_formats", "'png'"),
        ("runner: {figure_formats: [svg, svg]}\n", "runner.figure_formats", "['svg', 'svg']"),
        ("ingest: {max_unknown_share: 1}\n", "ingest.max_unknown_share", "1"),
        ("ingest: {max_unknown_share: -0.001}\n", "ingest.max_unknown_share", "-0.001"),
        ("sample: {seed: 1, scale: 0}\n", "sample.scale", "0"),
        ("sample: {seed: -1}\n", "sample.seed", "-1"),
        ("districts: [Birmingham, 7]\n", "districts[1]", "7"),
    ],
)
def test_wrong_type_or_out_of_range_names_key_line_and_value(tmp_path, extra, field, value):
    exc = _error(tmp_path, BASE + extra)
    assert exc.field == field and exc.row == 7
    assert f"{field} = {value}" in str(exc) and exc.expected


@pytest.mark.parametrize(
    "extra,key,expected",
    [
        ("alpha: 0.999\n", "alpha", 0.999),
        ("alpha: 0.05\n", "alpha", 0.05),
        ("survey: {min_base: 1}\n", "survey.min_base", 1),
        ("runner: {timeout_per_notebook: 1, parallel: 1}\n", "runner.timeout_per_notebook", 1),
        ("runner: {lock_wait: 0}\n", "runner.lock_wait", 0),
        ("runner: {warm_kernels: 0}\n", "runner.warm_kernels", 0),
        ("ingest: {max_unknown_share: 0}\n", "ingest.max_unknown_share", 0),
        (
            "ingest: {max_unknown_share: 0.005, lock_timeout: 5}\n",
            "ingest.max_unknown_share",
            0.005,
        ),
        ("sample: {seed: 0, scale: 10}\n", "sample.scale", 10),
    ],
)
def test_values_at_the_edges_of_their_ranges_are_accepted_as_written(
    tmp_path, extra, key, expected
):
    cfg = load_config(_write(tmp_path, BASE + extra))
    assert cfg.option(key) == expected  # options keep the values as written (the API callers use)


def test_unknown_figure_format_is_named_with_the_formats_there_are(tmp_path):
    exc = _error(tmp_path, BASE + "runner: {figure_formats: [png, jpeg]}\n")
    assert exc.field == "runner.figure_formats" and exc.row == 7
    assert "unknown figure format 'jpeg'; the formats are png, svg" in str(exc)
    exc = _error(tmp_path, BASE + "runner: {figure_formats: [png, svg, png]}\n")
    assert "figure format listed twice: png" in str(exc)


@pytest.mark.parametrize(
    "extra,expected",
    [
        ("", ("png", "svg")),  # the default: both
        ("runner: {figure_formats: [png]}\n", ("png",)),
        ("runner: {figure_formats: [svg, png]}\n", ("svg", "png")),
    ],
)
def test_figure_formats_of_a_config(tmp_path, extra, expected):
    from wmp_analysis.report.outputs import figure_formats

    assert figure_formats(load_config(_write(tmp_path, BASE + extra))) == expected


def test_an_absent_option_keeps_the_callers_default(tmp_path):
    cfg = load_config(_write(tmp_path, BASE))
    assert (
        cfg.option("ingest.max_unknown_share", 0.005) == 0.005 and cfg.option("alpha", 0.05) == 0.05
    )
    assert cfg.options == {}  # BASE holds only RunConfig attributes


@pytest.mark.parametrize(
    "baseline,target,ok",
    [
        (
            "{start: 2011-04-01, end: 2012-03-31}",
            "{start: 2012-04-01, end: 2013-03-31}",
            True,
        ),  # adjacent years
        (
            "{start: 2011-04-01, end: 2012-03-31}",
            "{start: 2011-04-01, end: 2012-03-31}",
            False,
        ),  # the same year
        (
            "{start: 2011-04-01, end: 2012-03-31}",
            "{start: 2012-03-01, end: 2013-02-28}",
            False,
        ),  # overlapping
        (
            "{start: 2012-04-01, end: 2013-03-31}",
            "{start: 2011-04-01, end: 2012-03-31}",
            False,
        ),  # after the target
    ],
)
def test_baseline_must_end_before_the_target_period_starts(tmp_path, baseline, target, ok):
    text = (
        "name: t\nforce: West Midlands\nplan: spp-2012-15\n"
        f"baseline: {baseline}\ntarget_period: {target}\nsources: {{}}\n"
    )
    if ok:
        assert load_config(_write(tmp_path, text)).target_period.start.year == 2012
    else:
        exc = _error(tmp_path, text)
        assert exc.field == "target_period" and exc.row == 5 and "baseline" in str(exc)


@pytest.mark.parametrize(
    "end,ok",
    [
        ("2012-02-29", True),
        ("2011-02-29", False),
        ("2011-13-01", False),
        ("31/03/2012", False),
        ("2011-04-31", False),
    ],
)
def test_dates_must_be_real(tmp_path, end, ok):
    text = (
        "name: t\nforce: West Midlands\nplan: spp-2012-15\n"
        f"baseline: {{start: 2010-04-01, end: {end}}}\ntarget_period: {{start: 2012-04-01, end: 2013-03-31}}\n"
        "sources: {}\n"
    )
    if ok:
        assert str(load_config(_write(tmp_path, text)).baseline.end.date()) == end
    else:
        exc = _error(tmp_path, text)
        assert exc.field == "baseline" and exc.row == 4 and end in str(exc)


def test_key_given_twice_is_an_error(tmp_path):
    exc = _error(tmp_path, BASE + "alpha: 0.05\nalpha: 0.5\n")
    assert exc.field == "alpha" and exc.row == 8 and "lines 7 and 8" in str(exc)


def test_long_value_is_quoted_at_most_200_characters(tmp_path):
    exc = _error(tmp_path, BASE + "alpha: '" + "x" * 5000 + "'\n")
    assert "x" * 200 in str(exc) and "x" * 201 not in str(exc) and "(+4800 characters)" in str(exc)


def _tree(tmp_path):
    (tmp_path / "ons").mkdir()
    (tmp_path / "police-uk" / "2016-01").mkdir(parents=True)
    (tmp_path / "police-uk.zip").write_bytes(b"PK\x05\x06" + b"\x00" * 18)  # an empty zip
    (tmp_path / "rec-crime-pfa.csv").write_text(
        "12 months ending,PFA,Region,Offence,Rolling year total number of offences\n"
    )
    (tmp_path / "2016-01-west-midlands-street.csv").write_text("Crime ID\n")
    (tmp_path / "csp").mkdir()
    (tmp_path / "csp.csv").write_text("x\n")


@pytest.mark.parametrize(
    "key,value,ok",
    [
        ("ons_pfa", "ons", False),  # a folder where a file is expected
        ("ons_pfa", "rec-crime-pfa.csv", True),
        ("lad_lookup", "csp", False),
        (
            "police_uk",
            "rec-crime-pfa.csv",
            False,
        ),  # a file that is neither a zip nor a police.uk month
        ("police_uk", "police-uk", True),  # a folder as the archive unzips
        ("police_uk", "police-uk.zip", True),
        ("police_uk", "2016-01-west-midlands-street.csv", True),
        ("csp", "csp", True),  # CSP: a file or a folder
        ("csp", "csp.csv", True),
    ],
)
def test_folder_for_a_file_and_file_for_a_folder(tmp_path, key, value, ok):
    _tree(tmp_path)
    text = BASE.replace("sources: {ons_pfa: x.csv}", f"sources:\n  {key}: {value}")
    if ok:
        assert load_config(_write(tmp_path, text)).source(key) == tmp_path / value
    else:
        exc = _error(tmp_path, text)
        assert exc.field == f"sources.{key}" and exc.row == 7 and value in str(exc)


def test_processed_dir_that_is_a_file_is_refused(tmp_path):
    (tmp_path / "out").write_text("not a folder\n")
    exc = _error(tmp_path, BASE + "processed_dir: out\n")
    assert exc.field == "processed_dir" and exc.row == 7


# ----------------------------------------------------------------- pre-flight (lookups, ONS forces)

LAD = (
    "LAD16CD,LAD16NM,CSP16CD,CSP16NM,PFA16CD,PFA16NM,FID\n"
    "E08000025,Birmingham,E22000001,Birmingham,E23000014,West Midlands,1\n"
    "E08000026,Coventry,E22000002,Coventry,E23000014,West Midlands,2\n"
    "E08000003,Manchester,E22000008,Manchester,E23000005,Greater Manchester,3\n"
)
ONS = (
    "12 months ending,PFA,Region,Offence,Rolling year total number of offences\n"
    "31-03-2012,West Midlands,West Midlands,Robbery,1000\n"
    "31-03-2012,Greater Manchester,North West,Robbery,2000\n"
)


def _project(
    tmp_path,
    districts="[Birmingham, Coventry]",
    comparators="[Greater Manchester]",
    force="West Midlands",
    sources=None,
):
    (tmp_path / "lad.csv").write_text(LAD)
    (tmp_path / "ons.csv").write_text(ONS)
    src = sources if sources is not None else "  lad_lookup: lad.csv\n  ons_pfa: ons.csv\n"
    return _write(
        tmp_path,
        (
            f"name: t\nforce: {force}\nplan: spp-2012-15\n"
            "baseline: {start: 2011-04-01, end: 2012-03-31}\ntarget_period: {start: 2012-04-01, end: 2013-03-31}\n"
            f"comparators: {comparators}\ndistricts: {districts}\nsources:\n{src}"
        ),
    )


def test_preflight_accepts_known_names_ignoring_case_and_spacing(tmp_path):
    from wmp_analysis.config import preflight

    preflight(load_config(_project(tmp_path, districts="[BIRMINGHAM, ' coventry ']")))


@pytest.mark.parametrize(
    "kw,field,row,nearest",
    [
        ({"districts": "[Birmingham, Coventy]"}, "districts[1]", 7, "Coventry"),
        ({"comparators": "[Greater Manchster]"}, "comparators[0]", 6, "Greater Manchester"),
        ({"force": "West Midland"}, "force", 2, "West Midlands"),
    ],
)
def test_preflight_unknown_name_with_suggestion(tmp_path, kw, field, row, nearest):
    cfg = load_config(_project(tmp_path, **kw))  # the schema alone cannot know the lookup's names
    with pytest.raises(ConfigError) as ei:
        load_config(cfg.path, preflight=True)
    assert ei.value.field == field and ei.value.row == row
    assert f"did you mean {nearest!r}" in str(ei.value) and str(cfg.path) in str(ei.value)


def test_preflight_comparator_checked_against_the_lookup_without_an_ons_file(tmp_path):
    p = _project(tmp_path, comparators="[Merseyside]", sources="  lad_lookup: lad.csv\n")
    with pytest.raises(ConfigError) as ei:
        load_config(p, preflight=True)
    assert ei.value.field == "comparators[0]" and "lad.csv" in str(ei.value)


def test_preflight_leaves_an_unreadable_lookup_to_its_reader(tmp_path):
    from wmp_analysis.errors import SchemaError
    from wmp_analysis.ingest.census import read_lad_lookup

    p = _project(tmp_path, districts="[Nowhere]", sources="  lad_lookup: lad.csv\n")
    (tmp_path / "lad.csv").write_text("not,a,lookup\n1,2,3\n")
    load_config(p, preflight=True)  # no ConfigError: the reader names the file and line instead
    with pytest.raises(SchemaError):
        read_lad_lookup(tmp_path / "lad.csv")


def test_preflight_missing_source_unless_the_sample_generates_it(tmp_path):
    text = BASE.replace("x.csv", "data/raw/sample/ons.csv")
    with pytest.raises(ConfigError) as ei:
        load_config(_write(tmp_path, text), preflight=True)
    assert (
        ei.value.field == "sources.ons_pfa"
        and ei.value.row == 6
        and "does not exist" in str(ei.value)
    )
    load_config(_write(tmp_path, text + "sample: {generate: true, seed: 1}\n"), preflight=True)


def test_config_errors_exit_2_before_anything_runs(tmp_path, capsys):
    from wmp_analysis.cli import main

    p = _project(tmp_path, districts="[Birmingham, Coventy]")
    for command in ("ingest", "run"):
        assert main([command, "--config", str(p)]) == 2
        out = capsys.readouterr()
        err = (
            out.err + out.out
        )  # the CLI writes errors to stderr, the runner's messages go to stdout
        assert "districts[1]" in err and "Coventy" in err and "did you mean 'Coventry'" in err
    assert not (tmp_path / "data").exists() and not (tmp_path / "reports").exists()
    p.write_text(p.read_text() + "comparator: [Merseyside]\n")
    assert main(["ingest", "--config", str(p)]) == 2
    assert "did you mean 'comparators'" in capsys.readouterr().err


def test_preflight_reads_forces_from_the_wide_ons_table_without_regions(tmp_path):
    # the ONS layout of today: title rows, then one row per area (countries, regions and forces
    # in one column, forces coded E23/W15), one column per offence group
    (tmp_path / "wide.csv").write_text(
        "Table P1: Police recorded crime by police force area\n"
        "This worksheet contains one table.\n"
        "Year ending September,Area Code,Area Name,Total recorded crime (excluding fraud) [note 2],Robbery\n"
        "2024,E92000001,England,5000000,70000\n"
        "2024,E12000005,West Midlands Region,500000,9000\n"
        "2024,E23000014,West Midlands,300000,6000\n"
        "2024,E23000005,Greater Manchester,350000,7000\n"
    )
    p = _project(tmp_path, comparators="[Greater Manchester]", sources="  ons_pfa: wide.csv\n")
    load_config(p, preflight=True)
    p = _project(tmp_path, comparators="[West Midlands Region]", sources="  ons_pfa: wide.csv\n")
    with pytest.raises(ConfigError) as ei:
        load_config(p, preflight=True)
    assert ei.value.field == "comparators[0]" and "did you mean 'West Midlands'" in str(ei.value)


def test_lookup_names_without_the_ingest_readers(tmp_path):
    """The config check reads the lookups' name columns itself (config must not import the
    ingest): the names of the LAD lookup above, by hand; anything odd gives None."""
    from wmp_analysis.source_names import lookup_names

    p = tmp_path / "lad.csv"
    p.write_text(LAD)
    assert lookup_names(p, "lad_lookup") == {
        "pfa_name": {"West Midlands", "Greater Manchester"},
        "lad_name": {"Birmingham", "Coventry", "Manchester"},
    }
    assert lookup_names(p, "lsoa_lookup") is None  # no LSOA11 columns: not that lookup
    p.write_text(LAD + "E08000027,Dudley,E22000003\n")  # a short record
    assert lookup_names(p, "lad_lookup") is None
    p.write_text(LAD.replace("Coventry,E22000002", "Cov\x00entry,E22000002"))  # a NUL in a name
    assert lookup_names(p, "lad_lookup") is None
