"""Run the real notebook suite once per test session on a small synthetic sample.

Shared by ``test_reproducible.py`` (two runs, compared byte for byte) and
``test_browser.py`` (renders the first run's pack). The config is a copy of
``configs/sample.yaml`` at scale 0.02 with its own sample, processed and report
folders under a temporary directory, and a hostile title (script and onerror
payloads) that must reach every page escaped.
"""

from __future__ import annotations

import contextlib
import io
from pathlib import Path

import pytest
import yaml

PROJECT_ROOT = Path(__file__).resolve().parents[1]
HOSTILE_TITLE = (
    'Sample pack <script>window.__pwned=1</script><img src=x onerror="window.__pwned=2">'
)
_CACHE: dict[str, dict] = {}
FIRST, SECOND = "rp-run-one", "rp-run-two"  # distinctive: must not appear in any page


def write_small_config(folder: Path, *, title: str = HOSTILE_TITLE, scale: float = 0.02) -> Path:
    """A copy of configs/sample.yaml whose relative paths resolve inside *folder*."""
    raw = yaml.safe_load((PROJECT_ROOT / "configs" / "sample.yaml").read_text(encoding="utf-8"))
    raw["title"] = title
    raw.setdefault("sample", {})["scale"] = scale
    for key, value in (
        raw.get("sources") or {}
    ).items():  # the project's real public files stay where they are
        if isinstance(value, str) and value.startswith("data/raw/public/"):
            raw["sources"][key] = str(PROJECT_ROOT / value)
    raw["processed_dir"] = "processed/sample"
    raw["reports_dir"] = "reports"
    import os

    from wmp_analysis.report.pdf import find_chromium

    if find_chromium() is None and not os.environ.get(
        "CI"
    ):  # no browser outside CI: a pack without
        os.environ["WMP_PDF"] = "0"  # briefing.pdf (test_pdf skips, saying why)
    path = folder / "sample-small.yaml"
    path.write_text(yaml.safe_dump(raw, sort_keys=False), encoding="utf-8")
    return path


def require_suite() -> None:
    from wmp_analysis.pipeline.runner import DEFAULT_NOTEBOOKS, kernel_available

    missing = [
        n for n in DEFAULT_NOTEBOOKS if not (PROJECT_ROOT / "notebooks" / f"{n}.ipynb").is_file()
    ]
    if missing:
        pytest.fail(f"suite notebooks missing from notebooks/: {missing}")
    if not kernel_available("wmp-analysis"):
        pytest.fail("Jupyter kernel 'wmp-analysis' is not installed (run `make venv`)")


def sample_pack(tmp_path_factory) -> dict:
    """Run the suite twice (the second with ``force``), once per session.

    Returns a dict: ``reports`` (folder), ``rc`` (both exit codes), ``log`` (console
    output of both runs), ``first``/``second`` (run folders), ``config`` (path).
    """
    require_suite()
    if "pack" in _CACHE:
        return _CACHE["pack"]
    from wmp_analysis.config import load_config
    from wmp_analysis.pipeline.runner import run_suite

    folder = tmp_path_factory.mktemp("suite")
    cfg_path = write_small_config(folder)
    cfg = load_config(cfg_path)
    buf = io.StringIO()
    with contextlib.redirect_stdout(buf):
        rc1 = run_suite(cfg, run_id=FIRST)
        rc2 = run_suite(cfg, run_id=SECOND, force=True) if rc1 == 0 else None
    reports = folder / "reports"
    _CACHE["pack"] = {
        "reports": reports,
        "rc": (rc1, rc2),
        "log": buf.getvalue(),
        "first": reports / cfg.name / FIRST,
        "second": reports / cfg.name / SECOND,
        "config": cfg_path,
    }
    return _CACHE["pack"]
