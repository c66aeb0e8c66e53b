"""The bad-input corpus (tests/bad_inputs/cases.yaml) run against every reader.

For each case: the reader raises exactly the expected ``InputError`` subclass (or
counts the row as a rejection / lists the file as out of range), the message names
the file and the row or field, and the raw input is left byte-for-byte unchanged.

Then, for one case per reader family, the whole ingest (``wmp-analysis ingest``) is
run on a small project in a tmp folder after a good ingest: it must exit with 2 and
leave every file of ``data/processed/<name>`` exactly as it was.

See docs/reliability.md for how to add a case.
"""

from __future__ import annotations

import gzip
import hashlib
import importlib
import os
import re
import shutil
import struct
import tracemalloc
import zipfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml

from wmp_analysis import errors

CORPUS = Path(__file__).resolve().parent / "bad_inputs"
#: Case lists: ``cases.yaml`` (the keys are documented in its header) and one file per class
#: of input under ``cases.d/`` (same keys), read in name order.
CASE_FILES = [CORPUS / "cases.yaml", *sorted((CORPUS / "cases.d").glob("*.yaml"))]
CASES: list[dict[str, Any]] = [
    case
    for f in CASE_FILES
    for case in (yaml.safe_load(f.read_text(encoding="utf-8")) or {}).get("cases") or []
]

ERROR_KINDS = {
    name: getattr(errors, name)
    for name in (
        "SchemaError",
        "ValueFormatError",
        "EncodingError",
        "ArchiveError",
        "DuplicatePeriodError",
        "UnknownCategoryError",
        "UnknownForceError",
        "PeriodError",
        "ConfigError",
    )
}
RETURN_KINDS = ("rejected", "out_of_range", "ok", "missing")


# ----------------------------------------------------------------------------- readers


def _resolve(module: str, name: str) -> Callable:
    try:
        mod = importlib.import_module(module)
    except ImportError as exc:
        pytest.fail(f"reader module {module} not importable ({exc})")
    fn = getattr(mod, name, None)
    if fn is None:
        pytest.fail(f"{module}.{name} does not exist")
    return fn


def _police_uk(path: Path, **kw):
    from wmp_analysis.periods import Period

    fn = _resolve("wmp_analysis.ingest.police_uk", "read_police_uk")
    months = kw.pop("months", None)
    if months is not None:
        kw["months"] = Period.from_strings(str(months["start"]), str(months["end"]))
    kw.setdefault("force", "West Midlands")
    return fn(path, **kw)


READERS: dict[str, Callable[..., Any]] = {
    "ons_pfa": lambda p, **kw: _resolve("wmp_analysis.ingest.ons", "read_ons_pfa")(p, **kw),
    "csp": lambda p, **kw: _resolve("wmp_analysis.ingest.csp", "read_csp")(p, **kw),
    "police_uk": _police_uk,
    "census_la": lambda p, **kw: _resolve("wmp_analysis.ingest.census", "read_census_ethnicity_la")(
        p, **kw
    ),
    "census_force": lambda p, **kw: _resolve(
        "wmp_analysis.ingest.census", "read_census_ethnicity_force"
    )(p, **kw),
    "population": lambda p, **kw: _resolve("wmp_analysis.ingest.census", "read_population")(
        p, **kw
    ),
    "lsoa_lookup": lambda p, **kw: _resolve("wmp_analysis.ingest.census", "read_lsoa_lookup")(
        p, **kw
    ),
    "lad_lookup": lambda p, **kw: _resolve("wmp_analysis.ingest.census", "read_lad_lookup")(
        p, **kw
    ),
    "survey": lambda p, **kw: _resolve("wmp_analysis.ingest.survey", "read_survey")(p, **kw),
    "registry": lambda p, **kw: _resolve("wmp_analysis.measures.targets", "load_registry")(p, **kw),
    "measures": lambda p, **kw: _resolve("wmp_analysis.measures.targets", "load_measures")(p, **kw),
    "config": lambda p, **kw: _resolve("wmp_analysis.config", "load_config")(p, **kw),
}


# ----------------------------------------------------------------------------- builders
# Inputs too big (or too dangerous) to commit are built at test time. Each returns the
# path to hand to the reader; *monkeypatch* may lower a size limit so that a bomb of a
# few MB stands for one of many GB.

_ONS_H = "12 months ending,PFA,Region,Offence,Rolling year total number of offences\n"
_ONS_ROW = "31-03-2012,West Midlands,West Midlands,Domestic burglary,15898\n"
_ST_H = (
    "Crime ID,Month,Reported by,Falls within,Longitude,Latitude,Location,LSOA code,LSOA name,"
    "Crime type,Last outcome category,Context\n"
)


def _st_row(i: int = 0, location: str = "On or near Corporation Street") -> str:
    return (
        f"{i:064x},2012-05,West Midlands Police,West Midlands Police,-1.89,52.48,{location},"
        "E01009308,Birmingham 138A,Burglary,Under investigation,\n"
    )


_MEMBER = "2012-05/2012-05-west-midlands-street.csv"


def _zip(path: Path, entries: list[tuple[str, bytes]]) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        for name, data in entries:
            zf.writestr(
                zipfile.ZipInfo(name, date_time=(2012, 6, 1, 0, 0, 0)),
                data,
                compress_type=zipfile.ZIP_DEFLATED,
            )
    return path


def _set_declared_size(path: Path, size: int) -> None:
    """Overwrite the uncompressed size of every entry (local and central headers)."""
    buf = bytearray(path.read_bytes())
    for sig, off in ((b"PK\x03\x04", 22), (b"PK\x01\x02", 24)):
        start = 0
        while (i := buf.find(sig, start)) >= 0:
            struct.pack_into("<I", buf, i + off, size)
            start = i + 4
    path.write_bytes(bytes(buf))


def ons_huge_field(tmp: Path, monkeypatch) -> Path:
    p = tmp / "rec-crime-pfa.csv"
    p.write_text(
        _ONS_H + _ONS_ROW + f"31-03-2012,West Midlands,West Midlands,{'X' * 50_000},1\n",
        encoding="utf-8",
    )
    return p


def ons_gzip_bomb(tmp: Path, monkeypatch) -> Path:
    from wmp_analysis.ingest import textio

    monkeypatch.setitem(textio.read_bytes.__kwdefaults__, "max_bytes", 4_000_000)
    p = tmp / "rec-crime-pfa.csv.gz"
    p.write_bytes(
        gzip.compress((_ONS_H + _ONS_ROW).encode() + b"0" * 32_000_000, compresslevel=9, mtime=0)
    )
    assert p.stat().st_size < 100_000
    return p


def zip_traversal(tmp: Path, monkeypatch) -> Path:
    body = (_ST_H + _st_row()).encode()
    return _zip(
        tmp / "src" / "2012-05.zip",
        [(_MEMBER, body), ("../../escaped/2012-05-west-midlands-street.csv", body)],
    )


def zip_absolute(tmp: Path, monkeypatch) -> Path:
    body = (_ST_H + _st_row()).encode()
    return _zip(tmp / "src" / "2012-05.zip", [("/tmp/2012-05-west-midlands-street.csv", body)])


def zip_truncated(tmp: Path, monkeypatch) -> Path:
    p = _zip(tmp / "src" / "2012-05.zip", [(_MEMBER, (_ST_H + _st_row() * 50).encode())])
    data = p.read_bytes()
    p.write_bytes(data[: data.rfind(b"PK\x01\x02")])  # cut the central directory off
    return p


def zip_bomb_declared(tmp: Path, monkeypatch) -> Path:
    p = _zip(tmp / "src" / "2012-05.zip", [(_MEMBER, (_ST_H + _st_row()).encode())])
    _set_declared_size(p, 0xF000_0000)  # ~4 GB claimed for a 300-byte entry
    return p


def zip_bomb_real(tmp: Path, monkeypatch) -> Path:
    p = _zip(
        tmp / "src" / "2012-05.zip", [(_MEMBER, (_ST_H + _st_row()).encode() + b"\0" * 32_000_000)]
    )
    assert p.stat().st_size < 100_000
    return p


def zip_bomb_lying(tmp: Path, monkeypatch) -> Path:
    p = zip_bomb_real(tmp, monkeypatch)
    _set_declared_size(p, 100)
    return p


def street_huge_field(tmp: Path, monkeypatch) -> Path:
    p = tmp / "src" / "2012-05" / "2012-05-west-midlands-street.csv"
    p.parent.mkdir(parents=True)
    p.write_text(_ST_H + _st_row(0) + _st_row(1, "Y" * 50_000), encoding="utf-8")
    return tmp / "src"


BUILDERS = {
    f.__name__: f
    for f in (
        ons_huge_field,
        ons_gzip_bomb,
        zip_traversal,
        zip_absolute,
        zip_truncated,
        zip_bomb_declared,
        zip_bomb_real,
        zip_bomb_lying,
        street_huge_field,
    )
}


# Archive layouts as people hold them (cases.d/archive-config.yaml; more in tests/test_archive_layouts.py)
_APPLEDOUBLE = (
    b"\x00\x05\x16\x07\x00\x02\x00\x00Mac OS X        " + b"\x00" * 40
)  # Finder's ._ header


def zip_finder(tmp: Path, monkeypatch) -> Path:
    return _zip(
        tmp / "src" / "2012-05.zip",
        [
            (_MEMBER, (_ST_H + _st_row(0) + _st_row(1)).encode()),
            ("2012-05/.DS_Store", b"Bud1"),
            ("__MACOSX/2012-05/._2012-05-west-midlands-street.csv", _APPLEDOUBLE),
        ],
    )


def zip_upper_case(tmp: Path, monkeypatch) -> Path:
    body = (_ST_H + _st_row(0) + _st_row(1) + _st_row(2)).encode()
    return _zip(tmp / "src" / "2012-05.zip", [("2012-05/2012-05-west-midlands-street.CSV", body)])


def zip_in_zip(tmp: Path, monkeypatch) -> Path:
    inner = _zip(
        tmp / "inner" / "2012-05.zip", [(_MEMBER, (_ST_H + _st_row(0) + _st_row(1)).encode())]
    )
    return _zip(tmp / "src" / "2012.zip", [("2012-05.zip", inner.read_bytes())])


def zip_in_zip_in_zip(tmp: Path, monkeypatch) -> Path:
    inner = _zip(tmp / "inner" / "2012-05.zip", [(_MEMBER, (_ST_H + _st_row(0)).encode())])
    middle = _zip(tmp / "inner" / "months.zip", [("2012-05.zip", inner.read_bytes())])
    return _zip(tmp / "src" / "2012.zip", [("months.zip", middle.read_bytes())])


def symlink_outside(tmp: Path, monkeypatch) -> Path:
    target = tmp / "elsewhere" / "2012-05"
    target.mkdir(parents=True)
    (target / "2012-05-west-midlands-street.csv").write_text(_ST_H + _st_row(0), encoding="utf-8")
    (tmp / "src").mkdir()
    os.symlink(target, tmp / "src" / "2012-05")
    return tmp / "src"


def symlink_inside(tmp: Path, monkeypatch) -> Path:
    target = tmp / "src" / ".downloads" / "2012-05"
    target.mkdir(parents=True)
    (target / "2012-05-west-midlands-street.csv").write_text(
        _ST_H + _st_row(0) + _st_row(1), encoding="utf-8"
    )
    os.symlink(Path(".downloads") / "2012-05", tmp / "src" / "2012-05")
    return tmp / "src"


BUILDERS.update(
    {
        f.__name__: f
        for f in (
            zip_finder,
            zip_upper_case,
            zip_in_zip,
            zip_in_zip_in_zip,
            symlink_outside,
            symlink_inside,
        )
    }
)


# ----------------------------------------------------------------------------- helpers


def _norm_field(name: Any) -> str:
    return re.sub(r"[\s_]+", "", str(name)).lower()


def tree_digest(path: Path) -> dict[str, str]:
    """sha256 of every file under *path* (or of *path* itself), by relative name."""
    path = Path(path)
    if path.is_file():
        return {path.name: hashlib.sha256(path.read_bytes()).hexdigest()}
    return {
        str(p.relative_to(path)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(path.rglob("*"))
        if p.is_file()
    }


def _case_input(case: dict, tmp_path: Path, monkeypatch) -> Path:
    if case.get("generate"):
        return BUILDERS[case["generate"]](tmp_path, monkeypatch)
    return CORPUS / case["file"]


def _check_error(exc: errors.InputError, case: dict, src: Path) -> None:
    msg = str(exc)
    name = case.get("names") or src.name
    assert name in msg, f"message does not name the file {name!r}: {msg}"
    assert exc.path is not None and name in exc.path, (
        f"exc.path {exc.path!r} does not name {name!r}"
    )
    if case.get("row") is not None:
        assert exc.row == case["row"], f"row {exc.row} != {case['row']}: {msg}"
        assert f"line {case['row']}" in msg
    if case.get("field") is not None:
        assert exc.field is not None and _norm_field(exc.field) == _norm_field(case["field"]), (
            f"field {exc.field!r} != {case['field']!r}: {msg}"
        )
        assert str(exc.field) in msg
    if case.get("message"):
        assert case["message"] in msg, f"message does not say {case['message']!r}: {msg}"


def _rejections_of(result) -> Any:
    if hasattr(result, "rejections"):
        return result.rejections
    if isinstance(result, tuple) and len(result) == 2:
        return result[1]
    raise AssertionError(f"reader returned {type(result).__name__} with no rejections")


# ----------------------------------------------------------------------------- corpus checks


def test_corpus_is_well_formed():
    ids = [c["id"] for c in CASES]
    assert len(ids) == len(set(ids)), "duplicate case ids"
    assert len(CASES) >= 40
    for c in CASES:
        assert c["reader"] in READERS, c
        assert c["expect"] in ERROR_KINDS or c["expect"] in RETURN_KINDS, c
        assert bool(c.get("file")) != bool(c.get("generate")), c
        if c.get("file"):
            assert (CORPUS / c["file"]).exists(), c
        else:
            assert c["generate"] in BUILDERS, c
        assert c.get("row") is not None or c.get("field") is not None or c.get("where") == "file", (
            f"{c['id']}: give the row or field the message must name (or where: file)"
        )
        assert c.get("what"), c
    committed = [p for p in CORPUS.rglob("*") if p.is_file() and p not in CASE_FILES]
    big = [str(p.relative_to(CORPUS)) for p in committed if p.stat().st_size >= 10 * 1024]
    assert not big, f"corpus files must stay under 10 KB (build big ones at test time): {big}"


def _params():
    out = []
    for c in CASES:
        marks = []
        if c.get("xfail"):
            marks.append(pytest.mark.xfail(strict=True, reason=c["xfail"]))
        out.append(pytest.param(c, id=c["id"], marks=marks))
    return out


@pytest.mark.parametrize("case", _params())
def test_bad_input(case, tmp_path, monkeypatch):
    src = _case_input(case, tmp_path, monkeypatch)
    before = tree_digest(src)
    reader = READERS[case["reader"]]
    args = dict(case.get("args") or {})
    expect = case["expect"]
    if case.get("max_peak_kib"):
        tracemalloc.start()
    try:
        if expect in ERROR_KINDS:
            with pytest.raises(errors.InputError) as info:
                reader(src, **args)
            exc = info.value
            assert type(exc) is ERROR_KINDS[expect], (
                f"expected {expect}, got {type(exc).__name__}: {exc}"
            )
            _check_error(exc, case, src)
        else:
            result = reader(src, **args)
            name = case.get("names") or src.name
            if expect == "rejected":
                rej = _rejections_of(result)
                hit = rej[
                    rej["path"].astype(str).str.contains(name, regex=False)
                    & (rej["line"].astype("int64") == int(case["row"]))
                ]
                assert len(hit) == 1, (
                    f"no rejection for {name} line {case['row']}: {rej.to_dict('records')}"
                )
                assert _norm_field(hit["field"].iloc[0]) == _norm_field(case["field"])
                assert str(hit["reason"].iloc[0]).strip(), "a rejection must say why"
            elif expect == "ok":
                n = (
                    len(result.tables[case.get("table", "street")])
                    if hasattr(result, "tables")
                    else len(result)
                )
                if case["reader"] == "population":
                    n = result["name"].nunique() if len(result) else 0
                assert n == case["rows"], f"read {n} rows, expected {case['rows']}"
            elif expect == "missing":  # police_uk: a month with no data of a kind, never zero
                assert str(case["month"]) in result.missing_months[case["kind"]], (
                    result.missing_months
                )
                table = {"stop-and-search": "stop_search"}.get(case["kind"], case["kind"])
                months = result.tables[table]["month"].dt.strftime("%Y-%m")
                assert str(case["month"]) not in set(months), "a missing month must have no rows"
            else:  # out_of_range
                listed = [
                    r
                    for r in result.out_of_range
                    if name in str(r.get("path", "")) + str(r.get("member") or "")
                ]
                assert len(listed) == 1, result.out_of_range
                read = [
                    f
                    for f in result.files
                    if name in str(f.get("path", "")) + str(f.get("member") or "")
                ]
                assert not read, "an out-of-range file must not be read"
    finally:
        if case.get("max_peak_kib"):
            _, peak = tracemalloc.get_traced_memory()
            tracemalloc.stop()
    if case.get("max_peak_kib"):
        assert peak <= case["max_peak_kib"] * 1024, (
            f"peak memory {peak // 1024} KiB for a {before} input"
        )
    assert tree_digest(src) == before, "the raw input was modified"


# ----------------------------------------------------------------------------- whole ingest
# A tiny project in a tmp folder: every source configured, good files, one good ingest.
# Each case below then swaps ONE source for a corpus input and runs `wmp-analysis ingest`.


def _good_sources() -> dict[str, tuple[str, str | bytes]]:
    """source key -> (relative path, content) of small valid inputs."""
    census_h = (CORPUS / "census" / "la_rural_urban_split.csv").read_text(encoding="utf-8").split(
        "\n"
    )[0] + "\n"
    la_row = (CORPUS / "census" / "la_duplicate_geography.csv").read_text(encoding="utf-8").split(
        "\n"
    )[1] + "\n"
    force_h = "PFA16NM," + ",".join(re.findall(r'"(Ethnic Group: [^"]+)"', census_h)) + "\n"
    force_row = (
        "West Midlands," + ",".join(v.strip('"') for v in la_row.strip().split(",")[4:]) + "\n"
    )
    csp_h = (
        "Financial Year,Financial Quarter,Force Name,CSP Name,Offence Description,Offence Group,"
        "Offence Subgroup,Offence Code,Number of Offences\n"
    )
    return {
        "ons_pfa": (
            "raw/ons/rec-crime-pfa.csv",
            _ONS_H + _ONS_ROW + "31-03-2013,West Midlands,West Midlands,Domestic burglary,13571\n",
        ),
        "csp": (
            "raw/csp/prc-csp.csv",
            csp_h
            + "2011/12,1,West Midlands,Birmingham,Burglary in a dwelling,Burglary,Domestic burglary,28A,1200\n"
            + "2011/12,2,West Midlands,Birmingham,Burglary in a dwelling,Burglary,Domestic burglary,28A,1100\n",
        ),
        "police_uk": (
            "raw/police_uk/2012-05/2012-05-west-midlands-street.csv",
            _ST_H + _st_row(0) + _st_row(1),
        ),
        "census_ethnicity_la": ("raw/census/la-ethnic-groups.csv", census_h + la_row),
        "census_ethnicity_force": ("raw/census/force-demographics.csv", force_h + force_row),
        "population": (
            "raw/population/regionalpopulation.csv",
            "Name,PFA,Geography,Mid-2012,Mid-2011,\n"
            "BIRMINGHAM,West Midlands,Metropolitan District,1085400.00,1074283.00,\n",
        ),
        "lsoa_lookup": (
            "raw/lookups/lsoa.csv",
            "LSOA11CD,LSOA11NM,WD18CD,WD18NM,WD18NMW,LAD18CD,LAD18NM,FID\n"
            "E01009308,Birmingham 138A,E05011151,Ladywood,,E08000025,Birmingham,1\n",
        ),
        "lad_lookup": (
            "raw/lookups/lad.csv",
            "LAD16CD,LAD16NM,CSP16CD,CSP16NM,PFA16CD,PFA16NM,FID\n"
            "E08000025,Birmingham,E22000001,Birmingham,E23000014,West Midlands,1\n",
        ),
        "survey": (
            "raw/survey/survey.csv",
            (CORPUS / "survey" / "duplicate_respondent.csv")
            .read_text(encoding="utf-8")
            .rsplit("R1,", 1)[0],
        ),
    }


_CONFIG = """name: tiny
force: West Midlands
plan: spp-2012-15
baseline: {{start: 2011-04-01, end: 2012-03-31}}
target_period: {{start: 2012-04-01, end: 2013-03-31}}
police_uk_months: {{start: 2012-05-01, end: 2015-05-31}}
districts: [Birmingham]
sources:
{sources}
"""


def _write_project(root: Path) -> Path:
    good = _good_sources()
    for rel, content in good.values():
        p = root / rel
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_bytes(content.encode("utf-8") if isinstance(content, str) else content)
    src_lines = []
    for key, (rel, _) in good.items():
        value = "raw/police_uk" if key == "police_uk" else rel
        src_lines.append(f"  {key}: {value}")
    cfg = root / "tiny.yaml"
    cfg.write_text(_CONFIG.format(sources="\n".join(src_lines)), encoding="utf-8")
    return cfg


def _ingest(cfg: Path, capsys) -> tuple[int, str]:
    from wmp_analysis.cli import main

    capsys.readouterr()
    rc = main(["ingest", "--config", str(cfg)])
    out = capsys.readouterr()
    return rc, out.out + out.err


@pytest.fixture(scope="module")
def ingested_project(tmp_path_factory):
    """A tiny project after one good ingest (copied per test)."""
    from wmp_analysis.cli import main

    root = tmp_path_factory.mktemp("goodproject")
    cfg = _write_project(root)
    rc = main(["ingest", "--config", str(cfg)])
    assert rc == 0, "the good ingest must succeed"
    return root


def _processed_state(root: Path) -> tuple[str, dict[str, str], list[str]]:
    link = root / "data" / "processed" / "tiny"
    assert link.is_symlink()
    target = link.resolve()
    return (
        str(target.relative_to(root)),
        tree_digest(target),
        sorted(p.name for p in (root / "data" / "processed" / ".store").iterdir() if p.is_dir()),
    )


# (case id, source key it replaces). One per reader family, plus hostile archives.
WHOLE_INGEST_CASES = [
    ("ons-nonnumeric-count", "ons_pfa"),
    ("ons-utf16", "ons_pfa"),
    ("csp-duplicate-quarter", "csp"),
    ("street-truncated-row", "police_uk"),
    ("street-duplicate-month", "police_uk"),
    ("zip-path-traversal", "police_uk"),
    ("zip-bomb-declared", "police_uk"),
    ("zip-nested-two-levels", "police_uk"),
    ("stop-search-impossible-date", "police_uk"),
    ("street-unknown-over-threshold", "police_uk"),
    ("census-la-sum-mismatch", "census_ethnicity_la"),
    ("census-force-negative", "census_ethnicity_force"),
    ("population-fractional", "population"),
    ("lsoa-duplicate", "lsoa_lookup"),
    ("lad-empty-code", "lad_lookup"),
    ("survey-unknown-ethnicity", "survey"),
]
_BY_ID = {c["id"]: c for c in CASES}


@pytest.mark.parametrize("case_id,key", WHOLE_INGEST_CASES, ids=[c for c, _ in WHOLE_INGEST_CASES])
def test_ingest_refuses_bad_input_and_keeps_processed(
    case_id, key, ingested_project, tmp_path, capsys, monkeypatch
):
    case = _BY_ID[case_id]
    root = tmp_path / "project"
    shutil.copytree(ingested_project, root, symlinks=True)
    before = _processed_state(root)
    bad = _case_input(case, tmp_path / "gen", monkeypatch)
    rel = _good_sources()[key][0]
    if key == "police_uk":
        dest = root / "raw" / "police_uk"
        shutil.rmtree(dest)
        if bad.is_dir():
            shutil.copytree(bad, dest)
        else:
            dest.mkdir()
            shutil.copy2(bad, dest / bad.name)
    else:
        shutil.copy2(bad, root / rel)
    rc, output = _ingest(root / "tiny.yaml", capsys)
    assert rc == 2, f"exit code {rc}; output: {output}"
    name = (case.get("names") or bad.name) if key == "police_uk" else Path(rel).name
    assert name in output, f"the error does not name {name!r}: {output}"
    assert case["expect"] in ERROR_KINDS
    if case.get("row") is not None:
        assert f"line {case['row']}" in output
    if case.get("field") is not None:
        assert str(case["field"]) in output or _norm_field(case["field"]) in _norm_field(output)
    assert _processed_state(root) == before, "data/processed/tiny was replaced or changed"


def test_ingest_refuses_bad_config_and_keeps_processed(ingested_project, tmp_path, capsys):
    root = tmp_path / "project"
    shutil.copytree(ingested_project, root, symlinks=True)
    before = _processed_state(root)
    cfg = root / "tiny.yaml"
    cfg.write_text(
        cfg.read_text(encoding="utf-8").replace("plan: spp-2012-15", "plan: spp-2099"),
        encoding="utf-8",
    )
    rc, output = _ingest(cfg, capsys)
    assert rc == 2
    assert "tiny.yaml" in output and "'plan'" in output
    assert _processed_state(root) == before


def test_ingest_continues_past_rejected_rows_and_reports_them(ingested_project, tmp_path, capsys):
    """A row the run can do without (unknown crime type) is counted, not fatal."""
    import json

    root = tmp_path / "project"
    shutil.copytree(ingested_project, root, symlinks=True)
    before = _processed_state(root)
    dest = root / "raw" / "police_uk"
    shutil.rmtree(dest)
    shutil.copytree(CORPUS / "police_uk" / "street_unknown_crime_type", dest)
    cfg = root / "tiny.yaml"  # 1 unknown in 4 rows: under a 50% threshold (default 0.5% would stop)
    cfg.write_text(
        cfg.read_text(encoding="utf-8") + "ingest:\n  max_unknown_share: 0.5\n", encoding="utf-8"
    )
    rc, output = _ingest(root / "tiny.yaml", capsys)
    assert rc == 0, output
    after = _processed_state(root)
    assert after[0] != before[0], "a successful ingest switches to a new folder"
    manifest = json.loads(
        (root / "data" / "processed" / "tiny" / "ingest_manifest.json").read_text()
    )
    rej = manifest["rejections"]
    assert rej["total"] == 1
    ex = rej["examples"][0]
    assert (
        ex["line"] == 5
        and ex["value"] == "Jaywalking"
        and "2012-05-west-midlands-street.csv" in ex["path"]
    )
    import pandas as pd

    street = pd.read_parquet(
        root / "data" / "processed" / "tiny" / "police_uk" / "street"
    )  # hive dataset
    assert len(street) == 3  # the three good rows kept, the bad one not silently dropped but listed


# ----------------------------------------------------------------------------- the runner


def test_run_with_bad_input_fails_and_keeps_latest(ingested_project, tmp_path, capsys):
    """`wmp-analysis run` (ingest notebook in a real kernel) on a bad input: exit 1, latest untouched."""
    from wmp_analysis.config import load_config
    from wmp_analysis.pipeline import runner

    if not runner.kernel_available("wmp-analysis"):
        msg = "Jupyter kernel 'wmp-analysis' not installed (make venv installs it)"
        if os.environ.get("CI"):
            pytest.fail(msg)
        pytest.skip(msg)
    root = tmp_path / "project"
    shutil.copytree(ingested_project, root, symlinks=True)
    good_run = root / "reports" / "tiny" / "tiny-good"
    (good_run / "01_ingest").mkdir(parents=True)
    (good_run / "index.html").write_text("<html>last good pack</html>", encoding="utf-8")
    (good_run / "manifest.json").write_text('{"status": "ok"}', encoding="utf-8")
    (good_run / "01_ingest" / "note.txt").write_text("kept", encoding="utf-8")
    (root / "reports" / "tiny" / "latest").symlink_to("tiny-good")
    before_latest = tree_digest(root / "reports" / "tiny" / "latest")
    before_processed = _processed_state(root)
    shutil.copy2(CORPUS / "ons" / "nonnumeric_count.csv", root / _good_sources()["ons_pfa"][0])

    cfg = load_config(root / "tiny.yaml")
    nb_dir = Path(__file__).resolve().parents[1] / "notebooks"
    rc = runner.run_suite(cfg, notebooks=["01_ingest"], notebooks_dir=nb_dir, run_id="bad-1")
    out = capsys.readouterr()
    text = out.out + out.err
    assert rc == runner.EXIT_FAILED, text
    assert "rec-crime-pfa.csv" in text, f"the run's message does not name the bad file: {text}"
    assert (root / "reports" / "tiny" / "latest").resolve() == good_run.resolve()
    assert tree_digest(root / "reports" / "tiny" / "latest") == before_latest
    assert _processed_state(root) == before_processed
    assert not (root / "reports" / "bad-1").exists(), "a failed run must not be published"
