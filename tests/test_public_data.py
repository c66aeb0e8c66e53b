"""The public files kept in ``data/raw/public/``: every hash and row count, recomputed.

The expectations come from ``manifest.csv`` and ``PROVENANCE.md`` (written when the files were
brought in, from the staged copies' documented hashes and counts); the test recomputes them
from the bytes with hashlib, gzip and the csv module only - no project code - and checks the
two documents against each other and against the files.
"""

from __future__ import annotations

import csv
import gzip
import hashlib
import io
import re
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PUBLIC = ROOT / "data" / "raw" / "public"
ATTRIBUTION = "Contains public sector information licensed under the Open Government Licence v3.0."


def manifest_rows() -> list[dict[str, str]]:
    with open(PUBLIC / "manifest.csv", encoding="utf-8", newline="") as fh:
        return list(csv.DictReader(fh))


def count_records(path: Path) -> int:
    raw = path.read_bytes()
    if path.name.endswith(".gz"):
        raw = gzip.decompress(raw)
    text = raw.decode("utf-8-sig")
    return sum(1 for _ in csv.reader(io.StringIO(text, newline=""))) - 1  # header = line 1


def provenance_sections() -> dict[str, str]:
    """``{file name: its section's text}`` from the ``## <file>`` headings of PROVENANCE.md."""
    text = (PUBLIC / "PROVENANCE.md").read_text(encoding="utf-8")
    parts = re.split(r"^## (.+)$", text, flags=re.MULTILINE)
    return {parts[i].strip(): parts[i + 1] for i in range(1, len(parts), 2)}


def test_manifest_lists_exactly_the_data_files():
    listed = {r["file"] for r in manifest_rows()}
    present = {p.name for p in PUBLIC.iterdir() if p.name not in ("manifest.csv", "PROVENANCE.md")}
    assert listed == present
    assert len(listed) == 6
    assert {
        "rec-crime-pfa.csv",
        "la-ethnic-groups.csv",
        "force-demographics.csv",
        "regionalpopulation.csv",
    } <= listed


@pytest.mark.parametrize("row", manifest_rows(), ids=lambda r: r["file"][:40])
def test_hash_rows_and_size_match_the_manifest(row):
    path = PUBLIC / row["file"]
    data = path.read_bytes()
    assert hashlib.sha256(data).hexdigest() == row["sha256"]
    assert len(data) == int(row["bytes"])
    assert count_records(path) == int(row["rows"])
    assert row["licence"] == "Open Government Licence v3.0"
    assert row["url"].startswith("https://")
    assert (
        "Office for National Statistics" in row["publisher"]
        and "re-upload: GitHub " in row["publisher"]
    )


@pytest.mark.parametrize("row", manifest_rows(), ids=lambda r: r["file"][:40])
def test_provenance_page_agrees(row):
    sections = provenance_sections()
    assert row["file"] in sections, f"no '## {row['file']}' section in PROVENANCE.md"
    sec = sections[row["file"]]
    assert f"`{row['sha256']}`" in sec
    assert re.search(rf"Rows: {int(row['rows'])}\b", sec), "row count missing from the section"
    assert row["url"] in sec
    assert "OGL v3.0" in sec and "Re-upload: GitHub" in sec and "Source statement" in sec


def test_known_published_facts():
    """Counts the shared data's own provenance notes give (46,469 ONS rows; 43 forces; 348 LADs)."""
    rows = {r["file"]: int(r["rows"]) for r in manifest_rows()}
    assert rows["rec-crime-pfa.csv"] == 46469
    assert rows["force-demographics.csv"] == 43
    assert rows["la-ethnic-groups.csv"] == 348
    text = (PUBLIC / "PROVENANCE.md").read_text(encoding="utf-8")
    assert ATTRIBUTION in text
    assert "Source: Office for National Statistics" in text and "Home Office" in text


def test_files_are_not_ignored_by_git():
    names = [
        str(PUBLIC.relative_to(ROOT) / n)
        for n in [r["file"] for r in manifest_rows()] + ["manifest.csv", "PROVENANCE.md"]
    ]
    got = subprocess.run(
        ["git", "check-ignore", *names], check=False, cwd=ROOT, capture_output=True, text=True
    )
    assert got.returncode == 1 and got.stdout.strip() == "", f"ignored by .gitignore: {got.stdout}"


def test_public_config_reads_these_files():
    import yaml

    cfg = yaml.safe_load((ROOT / "configs" / "public.yaml").read_text(encoding="utf-8"))
    listed = {r["file"] for r in manifest_rows()}
    used = {Path(p).name for p in cfg["sources"].values()}
    assert used == listed
    assert all(str(p).startswith("data/raw/public/") for p in cfg["sources"].values())
