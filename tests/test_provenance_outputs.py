import hashlib
import json
import os

import matplotlib.pyplot as plt
import pandas as pd
import pytest

from wmp_analysis import provenance as prov
from wmp_analysis.report.outputs import SYNTHETIC_NOTE, RunContext


def test_sha256_file_matches_hashlib(tmp_path):
    p = tmp_path / "f.bin"
    data = os.urandom(3 * (1 << 20) + 7)
    p.write_bytes(data)
    assert prov.sha256_file(p) == hashlib.sha256(data).hexdigest()
    rec = prov.file_record(p, root=tmp_path, rows=3)
    assert rec == {
        "path": "f.bin",
        "size": len(data),
        "sha256": hashlib.sha256(data).hexdigest(),
        "rows": 3,
    }


def test_write_json_atomic_and_symlink_switch(tmp_path):
    prov.write_json_atomic(tmp_path / "m.json", {"b": 1, "a": [1, 2]})
    assert json.loads((tmp_path / "m.json").read_text()) == {"a": [1, 2], "b": 1}
    assert not list(tmp_path.glob(".m.json.*"))
    (tmp_path / "run1").mkdir()
    (tmp_path / "run2").mkdir()
    prov.point_symlink_atomically(tmp_path / "latest", tmp_path / "run1")
    assert (tmp_path / "latest").resolve() == (tmp_path / "run1").resolve()
    prov.point_symlink_atomically(tmp_path / "latest", tmp_path / "run2")
    assert (tmp_path / "latest").resolve() == (tmp_path / "run2").resolve()
    assert os.readlink(tmp_path / "latest") == "run2"  # relative, so the folder can move


def test_is_synthetic(tmp_path):
    assert prov.is_synthetic(tmp_path / "x" / "synthetic-file.csv")
    d = tmp_path / "sample"
    assert not prov.is_synthetic(tmp_path / "synthetic-folder" / "real.csv")
    (d / "sub").mkdir(parents=True)
    assert not prov.is_synthetic(d / "sub" / "a.csv")
    (d / prov.SYNTHETIC_MARKER).write_text("{}")
    assert prov.is_synthetic(d / "sub" / "a.csv")


def test_environment_record_has_versions():
    env = prov.environment_record()
    assert env["packages"]["pandas"] == pd.__version__
    assert env["python"].count(".") == 2


def _figure():
    fig, ax = plt.subplots()
    ax.plot([1, 2, 3], [3, 1, 2], label="x")
    ax.set_title("t")
    return fig


def test_run_context_outputs_are_deterministic_and_labelled(tmp_path):
    hashes = []
    for i in range(2):
        ctx = RunContext(tmp_path / f"r{i}", synthetic=True, section="s")
        ctx.save_table(pd.DataFrame({"a": [1.0 / 3, 2.0], "b": ["x", "y"]}), "t")
        fig = _figure()
        ctx.save_figure(fig, "f", close=True)
        hashes.append(
            {p.name: prov.sha256_file(p) for p in sorted((tmp_path / f"r{i}").rglob("*.*"))}
        )
    assert hashes[0] == hashes[1]
    assert set(hashes[0]) == {"t.csv", "f.png", "f.svg"}
    table = pd.read_csv(tmp_path / "r0" / "tables" / "t.csv")
    assert table["synthetic"].all() and (table["data_note"] == SYNTHETIC_NOTE).all()
    svg = (tmp_path / "r0" / "figures" / "f.svg").read_text()
    assert "synthetic-banner" in svg and "<dc:date>" not in svg


def test_png_only_run_context_writes_the_same_png_and_no_svg(tmp_path):
    both = RunContext(tmp_path / "both", synthetic=True, section="s")
    png_only = RunContext(tmp_path / "png", synthetic=True, section="s", figure_formats=("png",))
    assert both.figure_formats == ("png", "svg")  # the default
    for ctx in (both, png_only):
        ctx.save_figure(_figure(), "f", close=True)
    assert sorted(p.name for p in (tmp_path / "both" / "figures").iterdir()) == ["f.png", "f.svg"]
    assert [p.name for p in (tmp_path / "png" / "figures").iterdir()] == ["f.png"]
    assert prov.sha256_file(tmp_path / "png" / "figures" / "f.png") == prov.sha256_file(
        tmp_path / "both" / "figures" / "f.png"
    )


@pytest.mark.parametrize("formats,files", [(None, ["f.png", "f.svg"]), (["png"], ["f.png"])])
def test_a_section_saves_its_figures_in_the_configs_formats(tmp_path, formats, files):
    from wmp_analysis.report import section

    runner = "" if formats is None else f"runner: {{figure_formats: [{', '.join(formats)}]}}\n"
    config = tmp_path / "c.yaml"
    config.write_text(
        "name: t\nforce: West Midlands\nplan: spp-2012-15\n"
        "baseline: {start: 2011-04-01, end: 2012-03-31}\n"
        "target_period: {start: 2012-04-01, end: 2013-03-31}\n"
        f"sources: {{}}\nprocessed_dir: {tmp_path / 'processed'}\n" + runner,
        encoding="utf-8",
    )
    sec = section.start(config, tmp_path / "out", "03_target_comparison", optional=True)
    sec.save_figure(_figure(), "f", show=False)
    assert sorted(p.name for p in (tmp_path / "out" / "figures").iterdir()) == files


def test_write_figure_refuses_an_unknown_format(tmp_path):
    from wmp_analysis.report.outputs import write_figure

    fig = _figure()
    with pytest.raises(
        ValueError, match=r"figure f: unknown figure format 'jpg'; expected png or svg"
    ):
        write_figure(fig, tmp_path / "f", ("png", "jpg"))
    plt.close(fig)
    assert not list(tmp_path.iterdir())  # nothing written


def test_run_context_real_data_has_no_banner(tmp_path):
    ctx = RunContext(tmp_path, synthetic=False)
    ctx.save_figure(_figure(), "f", close=True)
    ctx.save_table(pd.DataFrame({"a": [1]}), "t")
    assert "synthetic-banner" not in (tmp_path / "figures" / "f.svg").read_text()
    t = pd.read_csv(tmp_path / "tables" / "t.csv")
    assert not t["synthetic"].any() and "data_note" not in t


def test_relative_output_dir_is_taken_from_the_project_root(monkeypatch):
    from conftest import PROJECT_ROOT

    monkeypatch.chdir(PROJECT_ROOT / "notebooks")
    ctx = RunContext("reports/test-relative-output", synthetic=False)
    try:
        assert ctx.output_dir == PROJECT_ROOT / "reports" / "test-relative-output"
        assert (ctx.output_dir / "tables").is_dir()
    finally:
        import shutil

        shutil.rmtree(PROJECT_ROOT / "reports" / "test-relative-output", ignore_errors=True)


class _Cfg:
    """The two config attributes source_origins reads."""

    def __init__(self, sources, path="c.yaml"):
        self.sources, self.path = sources, path


def test_pack_is_synthetic_from_the_sources(tmp_path):
    real = tmp_path / "ons.csv"
    real.write_text("x\n")
    syn = tmp_path / "survey_synthetic.csv"  # "synthetic" in the file name
    syn.write_text("x\n")
    assert prov.pack_is_synthetic(_Cfg({"ons_pfa": real, "survey": None})) is False
    assert prov.pack_is_synthetic(_Cfg({"ons_pfa": real, "survey": syn})) is True
    from wmp_analysis.report.pages import pack_is_synthetic

    assert pack_is_synthetic(_Cfg({"ons_pfa": real, "survey": syn})) is True  # the same answer


def test_pack_is_synthetic_raises_rather_than_drop_the_banner(tmp_path, monkeypatch):
    import pytest

    from wmp_analysis.errors import ConfigError

    real = tmp_path / "ons.csv"
    real.write_text("x\n")
    # a supplied file that is not there: its origin cannot be told -> ConfigError naming it
    with pytest.raises(ConfigError) as e:
        prov.pack_is_synthetic(_Cfg({"ons_pfa": real, "survey": tmp_path / "gone.csv"}))
    assert "gone.csv" in str(e.value) and "sources.survey" in str(e.value)

    # any other error (an unreadable folder, a bug) propagates unchanged, never read as "real"
    def broken(path):
        raise PermissionError(f"cannot look at {path}")

    monkeypatch.setattr(prov, "is_synthetic", broken)
    with pytest.raises(PermissionError, match="cannot look at"):
        prov.pack_is_synthetic(_Cfg({"ons_pfa": real}))
