"""The same config and inputs give byte-identical HTML, figures, tables and briefing.pdf."""

from __future__ import annotations

import html
import json

import pytest
import yaml
from _suite_run import FIRST, HOSTILE_TITLE, SECOND, sample_pack, start_sample_pack

from wmp_analysis.provenance import sha256_file
from wmp_analysis.report.pages import external_references

pytestmark = pytest.mark.slow


def hashes(run_dir):
    out = {}
    for p in sorted(run_dir.rglob("*")):
        rel = p.relative_to(run_dir)
        if (
            p.is_file()
            and (p.suffix in (".html", ".csv", ".png", ".svg", ".pdf"))
            and rel.parts[0] != "screenshots"
        ):
            out[str(rel)] = sha256_file(p)
    return out


#: The sample pack's runs start in the background when the tests are collected (``_suite_run``).
PREFETCH = {"pack": [start_sample_pack]}


@pytest.fixture(scope="module")
def pack(tmp_path_factory):
    got = sample_pack(tmp_path_factory)
    assert got["rc"] == (0, 0), got["log"][-4000:]
    return got


def test_rerun_is_byte_identical(pack):
    a, b = hashes(pack["first"]), hashes(pack["second"])
    assert any(k.endswith(".png") for k in a) and any(k.endswith(".csv") for k in a)
    assert {"index.html", "01_ingest.html", "05_briefing_summary.html"} <= set(a)
    from wmp_analysis.report.pdf import find_chromium

    if find_chromium() is not None:  # without a browser the small pack is run with runner.pdf false
        assert "briefing.pdf" in a
    assert set(a) == set(b)
    differ = sorted(k for k in a if a[k] != b[k])
    assert differ == [], f"outputs that differ between two runs of the same inputs: {differ}"


def test_second_run_really_re_executed_everything(pack):
    man = json.loads((pack["second"] / "manifest.json").read_text(encoding="utf-8"))
    assert all(s["status"] == "ran" for s in man["sections"].values()), man["sections"]
    assert man["selection"]["force"] is True
    # manifests differ (run id, timestamps) - that is where run-specific facts live
    assert man["run_id"] == SECOND
    recorded = {o["path"]: o["sha256"] for o in man["outputs"]}
    assert recorded["index.html"] == sha256_file(pack["second"] / "index.html")
    assert man["inputs"]["files"], "input checksums missing from the manifest"


def test_pack_is_self_contained_and_escaped(pack):
    pages = sorted(pack["first"].glob("*.html"))
    assert len(pages) == 7  # index + six sections (06_national_view added)
    for page in pages:
        text = page.read_text(encoding="utf-8")
        assert external_references(text) == [], page.name
        assert FIRST not in text and ".staging" not in text, page.name  # no run id or staging path
        assert "<script>window.__pwned" not in text, f"hostile title unescaped in {page.name}"
        assert '<img src=x onerror="window.__pwned' not in text, (
            f"hostile title unescaped in {page.name}"
        )
    index = (pack["first"] / "index.html").read_text(encoding="utf-8")
    assert "Sample pack &lt;script&gt;" in index
    # the payload checked above is the one the pack was run with, and it reaches the page whole,
    # as text: every character of it once the page's character references are read
    assert yaml.safe_load(pack["config"].read_text(encoding="utf-8"))["title"] == HOSTILE_TITLE
    assert HOSTILE_TITLE in html.unescape(index)
