"""The briefing pack's HTML: escaping, self-containment, determinism, degradation."""

from __future__ import annotations

import base64
import re
import textwrap

import nbformat
import pandas as pd
import pytest
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook, new_output

from wmp_analysis.config import load_config
from wmp_analysis.report import pages as report
from wmp_analysis.report.outputs import SYNTHETIC_NOTE

HOSTILE = '<script>window.__pwned=1</script><img src=x onerror="window.__pwned=2">'

# a 1x1 PNG
PNG = base64.b64encode(
    bytes.fromhex(
        "89504e470d0a1a0a0000000d4948445200000001000000010802000000907753de"
        "0000000c4944415408d763f8cfc000000301010018dd8db00000000049454e44ae426082"
    )
).decode()


def executed_notebook(stamp: str) -> nbformat.NotebookNode:
    """An executed-looking notebook; *stamp* varies the run-specific metadata only."""
    nb = new_notebook()
    params = new_code_cell('config_path = "c.yaml"', execution_count=1)
    params.metadata["tags"] = ["parameters"]
    injected = new_code_cell(f'output_dir = "/x/reports/.staging-{stamp}/03"', execution_count=2)
    injected.metadata["tags"] = ["injected-parameters"]
    code = new_code_cell("SECRET_SOURCE_LINE = 1\nprint(out)", execution_count=3)
    code.outputs = [
        new_output(
            "stream", name="stdout", text=f"wrote /x/reports/.staging-{stamp}/03/tables/t.csv\n"
        ),
        new_output("stream", name="stderr", text="SomeWarning: noise\n"),
        new_output("display_data", data={"image/png": PNG, "text/plain": "<Figure>"}),
        new_output(
            "execute_result",
            data={"text/html": "<table><tr><td>cell</td></tr></table>"},
            execution_count=3,
        ),
    ]
    for c in (params, injected, code):
        c.metadata["papermill"] = {"start_time": stamp, "duration": len(stamp)}
    nb.cells = [params, injected, new_markdown_cell("## A heading"), code]
    for i, c in enumerate(nb.cells):
        c["id"] = f"{stamp}-{i}"  # papermill gives the injected cell a random id
    nb.metadata["papermill"] = {"start_time": stamp, "parameters": {"output_dir": stamp}}
    return nb


def page(stamp: str, **kw) -> str:
    return report.export_notebook_html(
        executed_notebook(stamp),
        title="T",
        name="03_target_comparison",
        synthetic=kw.get("synthetic", False),
        sections=list(report.SECTIONS),
        replace=[f"/x/reports/.staging-{stamp}"],
    )


def test_page_hides_code_embeds_images_and_is_deterministic():
    a, b = page("2026-01-01T00:00:00-run1"), page("2026-06-30T12:34:56-run2")
    assert a == b  # run-specific metadata, ids and staging paths do not reach the page
    assert "SECRET_SOURCE_LINE" not in a  # no code
    assert "A heading" in a and "<td>cell</td>" in a  # markdown and outputs kept
    assert f"data:image/png;base64,{PNG}" in a
    assert "wrote [run folder]/03/tables/t.csv" in a and "run1" not in a
    assert "SomeWarning" not in a  # stderr stays in the executed notebook
    assert "In&nbsp;[" not in a and "Out[" not in a  # no prompts
    assert report.external_references(a) == []
    assert "@page { size: A4; margin: 15mm; }" in a
    assert 'id="synthetic-banner"' not in a
    assert SYNTHETIC_NOTE in page("s", synthetic=True)


def test_saved_figures_are_embedded_when_the_notebook_shows_none(tmp_path):
    fig = tmp_path / "spc_<b>burglary.png"
    fig.write_bytes(base64.b64decode(PNG))
    nb = executed_notebook("s")
    html = report.export_notebook_html(
        nb, title="T", name="02_baseline", synthetic=False, figures=[fig]
    )
    assert html.count(f"data:image/png;base64,{PNG}") == 1  # the notebook's own image only
    for cell in nb.cells:
        if cell.cell_type == "code":
            cell.outputs = [o for o in cell.outputs if "image/png" not in o.get("data", {})]
    html = report.export_notebook_html(
        nb, title="T", name="02_baseline", synthetic=False, figures=[fig]
    )
    assert f'<img src="data:image/png;base64,{PNG}" alt="spc_&lt;b&gt;burglary">' in html
    assert "<figcaption>spc_&lt;b&gt;burglary</figcaption>" in html


@pytest.mark.parametrize(
    "html, n",
    [
        ('<script src="https://cdn.example/require.js"></script>', 1),
        ("<link rel=stylesheet href='//fonts.example/css'>", 1),
        ('<img src="http://example.org/a.png">', 1),
        ('<img srcset="a.png 1x, https://e.org/b.png 2x">', 1),
        (
            "<style>@import 'https://e.org/x.css'; body{background:url(https://e.org/bg.png)}</style>",
            2,
        ),
        ('<a href="https://data.police.uk/">police.uk</a>', 0),  # a link is not loaded
        ('<img src="data:image/png;base64,AAAA"><a href="02_baseline.html">x</a>', 0),
    ],
)
def test_external_references(html, n):
    assert len(report.external_references(html)) == n


def comparison_frame() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "plan": ["spp-2012-15"] * 4 + ["pcp-2014-15"],
            "target_id": ["t-crime", "t-crime", "t-asb", "t-x", "other"],
            "measure_id": ["all_crime", "all_crime", "asb", HOSTILE, "m"],
            "geography": [
                "West Midlands",
                "Birmingham",
                "West Midlands",
                "West Midlands",
                "West Midlands",
            ],
            "baseline_value": [1000.0, 400.0, 50.0, None, 1.0],
            "actual_value": [900.0, 380.0, 55.0, None, 1.0],
            "pct_change": [-10.0, -5.0, 10.0, None, 0.0],
            "status": ["met", "met", "not met", "not measurable", "met"],
            "p_value": [0.001, 0.2, 0.04, None, 1.0],
            "rate_ratio": [0.9, 0.95, 1.1, None, 1.0],
            "rr_ci_low": [0.85, 0.8, 1.01, None, 0.9],
            "rr_ci_high": [0.95, 1.1, 1.2, None, 1.1],
            "proxy": [False, False, True, False, False],
            "proxy_note": ["", "", "police.uk category", "", ""],
        }
    )


def registry_frame() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "target_id": ["t-crime", "t-asb", "t-x", "t-survey", "other"],
            "plan": ["spp-2012-15"] * 4 + ["pcp-2014-15"],
            "wording": ["Reduce crime", "Reduce ASB", "X", "Confidence to 88%", "Other plan"],
        }
    )


def test_target_status_rows_force_level_every_registry_target():
    rows = report.target_status_rows(
        comparison_frame(), registry_frame(), plan="spp-2012-15", force="West Midlands"
    )
    # met first, then not met, then not measurable, then registry targets without a result
    assert [r["target"] for r in rows] == [
        "t-crime: Reduce crime",
        "t-asb: Reduce ASB",
        "t-x: X",
        "t-survey: Confidence to 88%",
    ]
    crime = rows[0]
    assert crime["change"] == "-10.0%"  # pct_change is in percent
    assert crime["interval"] == "0.900 (0.850 to 0.950)"
    assert crime["status_class"] == "met" and crime["geography"] == "West Midlands"
    assert rows[1]["proxy"] is True and rows[1]["proxy_note"] == "police.uk category"
    assert rows[2]["status_class"] == "not-measurable" and rows[2]["interval"] == "-"
    assert rows[3]["status"] == "no result"  # in the registry, no comparison row
    assert report.status_counts(rows) == [
        {"status": "met", "n": 1},
        {"status": "not met", "n": 1},
        {"status": "not measurable", "n": 1},
        {"status": "no result", "n": 1},
    ]
    assert report.target_status_rows(None) is None


def test_equality_headline_largest_unsuppressed_gaps():
    gaps = pd.DataFrame(
        {
            "group": ["A", "B", "C", "D"],
            "reference": ["W"] * 4,
            "measure": ["m"] * 4,
            "period": ["p"] * 4,
            "estimate": [0.5, 0.2, 0.9, 0.1],
            "reference_estimate": [0.3] * 4,
            "gap": [0.2, -0.1, 0.6, -0.25],
            "gap_ci_low": [0.1, -0.2, 0.5, -0.4],
            "gap_ci_high": [0.3, 0.0, 0.7, -0.1],
            "significant": [True, False, True, True],
            "base_n": [100, 80, 10, 60],
            "suppressed": [False, False, True, False],
        }
    )
    top = report.equality_headline(gaps, n=2)
    assert list(top["group"]) == ["D", "A"]  # C is suppressed; |-0.25| > 0.2
    assert report.equality_headline(None) is None


def write_cfg(tmp_path, title=HOSTILE):
    p = tmp_path / "c.yaml"
    p.write_text(
        textwrap.dedent(f"""\
        name: t
        title: {title!r}
        force: West Midlands
        plan: spp-2012-15
        baseline: {{start: 2011-04-01, end: 2012-03-31}}
        target_period: {{start: 2012-04-01, end: 2013-03-31}}
        sources:
          ons_pfa: data/synthetic-ons.csv
        reports_dir: reports
        processed_dir: processed
        """),
        encoding="utf-8",
    )
    (tmp_path / "data").mkdir(
        exist_ok=True
    )  # the sources exist: a pack's labels come from real files
    for name in ("synthetic-ons.csv", "rec-crime-pfa.csv"):
        (tmp_path / "data" / name).write_text("x\n", encoding="utf-8")
    return load_config(p)


def test_index_escapes_hostile_text_and_shows_banner(tmp_path):
    cfg = write_cfg(tmp_path)
    run = tmp_path / "run"
    (run / "03_target_comparison" / "tables").mkdir(parents=True)
    comp = comparison_frame()
    comp.loc[0, "proxy_note"] = HOSTILE
    comp.to_csv(run / "03_target_comparison" / "tables" / "target_comparison.csv", index=False)
    (run / "03_target_comparison.html").write_text("x")
    html = report.build_index(cfg, run).read_text(encoding="utf-8")
    assert "<script>window" not in html and "<img src=x" not in html
    assert "&lt;script&gt;window.__pwned=1&lt;/script&gt;" in html
    assert "onerror=&#34;window.__pwned=2&#34;" in html  # quoted attribute text, inert
    assert SYNTHETIC_NOTE in html and 'id="synthetic-banner"' in html  # synthetic source
    assert "-10.0%" in html and "0.900 (0.850 to 0.950)" in html
    # equality table absent: said, not silently dropped
    assert "Section not produced: no equality table" in html
    assert '<a href="03_target_comparison.html">Targets</a>' in html
    assert "(section not produced)" in html  # e.g. 02_baseline.html is absent
    assert "How to read this" in html
    assert report.external_references(html) == []


def test_index_without_tables_and_real_sources(tmp_path):
    cfg = write_cfg(tmp_path, title="Real run")
    cfg.sources["ons_pfa"] = tmp_path / "data" / "rec-crime-pfa.csv"  # not synthetic
    html = report.build_index(cfg, tmp_path / "run").read_text(encoding="utf-8")
    assert 'id="synthetic-banner"' not in html
    assert "Section not produced: no target comparison table" in html
    assert "ons_pfa" in html and "data/rec-crime-pfa.csv" in html


def test_index_reads_each_measured_target_in_one_sentence(tmp_path):
    """The published West Midlands figures (ONS, 2012-13 against 2011-12) as a reader sees them."""
    cfg = write_cfg(tmp_path, title="Real run")
    cfg.sources["ons_pfa"] = tmp_path / "data" / "rec-crime-pfa.csv"
    run = tmp_path / "run"
    (run / "03_target_comparison" / "tables").mkdir(parents=True)
    pd.DataFrame(
        {
            "plan": ["spp-2012-15"] * 2,
            "target_id": ["spp-total-crime", "spp-burglary-dwelling"],
            "measure_id": ["total_crime", "burglary_dwelling"],
            "geography": ["West Midlands"] * 2,
            "baseline_value": [190818.0, 15898.0],
            "actual_value": [168770.0, 13571.0],
            "pct_change": [-11.554466, -14.637061],
            "target_value": [-5.0, -8.0],
            "target_kind": ["pct_change"] * 2,
            "direction": ["down"] * 2,
            "status": ["met", "met"],
            "p_value": [4.2e-296, 7.2e-42],
            "p_adjusted": [2.1e-295, 2.2e-41],
            "rate_ratio": [0.8845, 0.8536],
            "rr_ci_low": [0.8787, 0.835],
            "rr_ci_high": [0.8903, 0.873],
            "proxy": [False, False],
            "source": ["ONS PFA"] * 2,
        }
    ).to_csv(run / "03_target_comparison" / "tables" / "target_comparison.csv", index=False)
    html = report.build_index(cfg, run).read_text(encoding="utf-8")
    # names from measures.csv: "Burglary of homes (domestic burglary)" restates itself -> "Burglary of homes"
    assert (
        "Burglary of homes fell 14.6% against a target of 8%: met; a fall this large is very unlikely "
        "to be chance (p &lt; 0.001)."
    ) in html
    assert "Total recorded crime (excluding fraud) fell 11.6% against a target of 5%: met" in html
    assert "190,818" in html and "168,770" in html and "-11.6%" in html and "-14.6%" in html
    assert "&lt; 0.001 (&lt; 0.001)" in html  # p-values for reading, not 4.22e-296
    assert 'class="badge badge-good status-met"' in html
    assert '<a href="briefing.pdf">briefing.pdf</a>' in html
    # every cell of every table carries its column's header (the card view of a table too wide
    # for its box, on a phone): the labels of each body row are the table's headers, in order
    from test_tables import parse

    tables = re.findall(r"<table.*?</table>", html, re.DOTALL)
    assert len(tables) >= 2
    for table in tables:
        got = parse(table)
        rows = [r for r in got.labels if r != [None]]  # a reading row spans the table
        assert rows and all(r == got.head for r in rows), (got.head, rows[:2])
    assert 'box.classList.add("cards")' in html  # the script that chooses the card view is inlined
    cfg.options.setdefault("runner", {})["pdf"] = False
    html = report.build_index(cfg, run).read_text(encoding="utf-8")
    assert "No PDF in this run" in html and 'href="briefing.pdf"' not in html


def test_pdf_switch_from_the_environment(tmp_path, monkeypatch):
    from wmp_analysis.report.pdf import pdf_enabled

    cfg = write_cfg(tmp_path, title="Real run")
    assert pdf_enabled(cfg) is True
    monkeypatch.setenv("WMP_PDF", "0")
    assert pdf_enabled(cfg) is False
    assert "No PDF in this run" in report.build_index(cfg, tmp_path / "run").read_text(
        encoding="utf-8"
    )


def test_scorecards_split_each_plan_into_its_four_parts(tmp_path):
    """Measured targets; targets needing force data; commitments with no number; plan figures
    (budgets, staffing, reported figures) that are never counted as targets."""
    cfg_path = tmp_path / "two.yaml"
    cfg_path.write_text(
        textwrap.dedent("""\
        name: t
        force: West Midlands
        assessments:
          - {plan: spp-2012-15, baseline: {start: 2011-04-01, end: 2012-03-31}, target_period: {start: 2012-04-01, end: 2013-03-31}}
          - {plan: pcp-2014-15, baseline: {start: 2013-04-01, end: 2014-03-31}, target_period: {start: 2014-04-01, end: 2015-03-31}}
        sources: {}
        """),
        encoding="utf-8",
    )
    cfg = load_config(cfg_path)
    registry = pd.DataFrame(
        {
            "target_id": [
                "s-crime",
                "s-detect",
                "s-olympics",
                "s-budget",
                "s-reported",
                "p-robbery",
                "p-boards",
            ],
            "plan": ["spp-2012-15"] * 5 + ["pcp-2014-15"] * 2,
            "wording": [
                "Cut crime 5%",
                "Detect 15%",
                "Deliver the Olympics",
                "Budget 401m",
                "Savings 40m",
                "Cut robbery 5%",
                "Local boards",
            ],
            "target_kind": [
                "pct_change",
                "level",
                "qualitative",
                "level",
                "reported_figure",
                "pct_change",
                "qualitative",
            ],
            "measure_id": [
                "total_crime",
                "detection_rate_burglary",
                "other_plan_commitment",
                "budget_police_officers",
                "cashable_savings",
                "robbery",
                "other_plan_commitment",
            ],
            "target_value": [-5, 15, None, 401, 40, -5, None],
            "target_unit": [
                "percent_change",
                "percent",
                None,
                "GBP million",
                "GBP million",
                "percent_change",
                None,
            ],
            "would_measure_with": ["", "Home Office detections", "", "", "", "", ""],
        }
    )
    comparison = pd.DataFrame(
        {
            "plan": ["spp-2012-15"] * 5 + ["pcp-2014-15"] * 2,
            "target_id": registry["target_id"],
            "measure_id": registry["measure_id"],
            "geography": ["West Midlands"] * 7,
            "baseline_value": [100.0, None, None, None, None, 50.0, None],
            "actual_value": [90.0, None, None, None, None, 45.0, None],
            "pct_change": [-10.0, None, None, None, None, -10.0, None],
            "target_value": [-5.0, 15, None, 401, 40, -5.0, None],
            "target_kind": registry["target_kind"],
            "status": [
                "met",
                "not measurable",
                "not measurable",
                "not measurable",
                "not measurable",
                "met",
                "not measurable",
            ],
            "source": ["ONS PFA", "none", "none", "none", "none", "ONS PFA", "none"],
            "data": ["real", "", "", "", "", "real", ""],
        }
    )
    measures = pd.DataFrame(
        {
            "measure_id": [
                "total_crime",
                "detection_rate_burglary",
                "other_plan_commitment",
                "budget_police_officers",
                "cashable_savings",
                "robbery",
            ],
            "kind": ["count", "detection_rate", "other", "finance", "finance", "count"],
        }
    )
    spp, pcp = report.scorecards(cfg, comparison, registry, measures)
    ids = {
        k: [r["target_id"] for r in spp[k]]
        for k in ("measured", "needs_data", "commitments", "figures")
    }
    assert ids == {
        "measured": ["s-crime"],
        "needs_data": ["s-detect"],
        "commitments": ["s-olympics"],
        "figures": ["s-budget", "s-reported"],
    }
    assert spp["counts"] == [{"status": "met", "n": 1}]  # plan figures are not counted as targets
    assert (
        spp["needs_data"][0]["would"] == "Home Office detections"
        and spp["needs_data"][0]["value"] == "15%"
    )
    assert (pcp["title"], pcp["periods"]) == (
        "Police and Crime Plan 2014-15",
        "2014-15 against 2013-14",
    )
    assert [r["target_id"] for r in pcp["measured"]] == ["p-robbery"] and pcp["measured"][0][
        "data"
    ] == "real"
    assert [r["target_id"] for r in pcp["commitments"]] == ["p-boards"]
    frame = report.scorecard_frame([spp, pcp])
    assert list(frame["part"]).count("plan figure (not a target)") == 2 and len(frame) == 7


# ----------------------------------------------------------------- report.section (issue 13)
def test_section_messages_one_way_each_escaped():
    from wmp_analysis.report import section

    assert section.note_html("a <b> & c") == "<p>a &lt;b&gt; &amp; c</p>"
    assert section.banner_html({"origin": "real", "real": ["ons_pfa"], "synthetic": []}) == ""
    assert section.banner_html(None) == ""
    only = section.banner_html({"origin": "synthetic", "real": [], "synthetic": ["survey"]})
    assert only == f"<p style='color:#b00020'><b>{SYNTHETIC_NOTE}</b></p>"
    mixed = section.banner_html({"origin": "mixed", "real": ["ons_pfa"], "synthetic": ["survey"]})
    assert SYNTHETIC_NOTE in mixed and "the force&#x27;s survey extract" in mixed
    assert section.not_supplied_html("x < y") == "<p class='not-supplied'><b>x &lt; y</b></p>"


def test_section_row_markers(tmp_path):
    import pandas as pd

    from wmp_analysis.report.section import Section

    sec = Section(
        cfg=None,
        name="02_baseline",
        output_dir=tmp_path,
        run_dir=tmp_path,
        origins={"ons_pfa": "real", "csp": "synthetic", "police_uk": "synthetic"},
    )
    values = pd.DataFrame(
        {
            "measure_id": ["burglary", "burglary", "burglary"],
            "geography": ["Force", "Dudley", "Walsall"],
            "source": ["ONS PFA", "Home Office CSP", None],
        }
    )
    marked = sec.mark(values)
    assert list(marked.columns) == ["measure_id", "geography", "source", "data"]
    assert list(marked["data"]) == ["real", "synthetic", ""]  # no source read: no marker
    limits = pd.DataFrame(
        {"measure_id": ["burglary", "burglary"], "geography": ["Dudley", "Force"]}
    )
    assert list(sec.mark(limits, sources=values)["data"]) == ["synthetic", "real"]
    # rows made from several sources: synthetic when any of them is; real when all are
    assert sec.origin_of("police_uk", "census_ethnicity_la") == "synthetic"
    assert sec.origin_of("ons_pfa", "population") == "real"
    assert sec.origin_of("survey") == ""  # not supplied
    assert list(sec.mark(values, "ons_pfa")["data"]) == ["real"] * 3
