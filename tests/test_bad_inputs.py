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
import io
import re
import shutil
import struct
import tracemalloc
import zipfile
from pathlib import Path
from typing import Any, Callable

import pytest
import yaml

from wmp_analysis import errors

CORPUS = Path(__file__).resolve().parent / "bad_inputs"
CASES: list[dict[str, Any]] = yaml.safe_load((CORPUS / "cases.yaml").read_text(encoding="utf-8"))["cases"]

ERROR_KINDS = {
    name: getattr(errors, name)
    for name in ("SchemaError", "ValueFormatError", "EncodingError", "ArchiveError", "DuplicatePeriodError",
                 "UnknownCategoryError", "UnknownForceError", "PeriodError", "ConfigError")
}
RETURN_KINDS = ("rejected", "out_of_range")


# ----------------------------------------------------------------------------- readers

def _resolve(module: str, name: str) -> Callable:
    try:
        mod = importlib.import_module(module)
    except ImportError as exc:
        pytest.skip(f"reader module {module} not importable ({exc})")
    fn = getattr(mod, name, None)
    if fn is None:
        pytest.skip(f"{module}.{name} does not exist (yet)")
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
    "census_la": lambda p, **kw: _resolve("wmp_analysis.ingest.census", "read_census_ethnicity_la")(p, **kw),
    "census_force": lambda p, **kw: _resolve("wmp_analysis.ingest.census", "read_census_ethnicity_force")(p, **kw),
    "population": lambda p, **kw: _resolve("wmp_analysis.ingest.census", "read_population")(p, **kw),
    "lsoa_lookup": lambda p, **kw: _resolve("wmp_analysis.ingest.census", "read_lsoa_lookup")(p, **kw),
    "lad_lookup": lambda p, **kw: _resolve("wmp_analysis.ingest.census", "read_lad_lookup")(p, **kw),
    "survey": lambda p, **kw: _resolve("wmp_analysis.survey", "read_survey")(p, **kw),
    "registry": lambda p, **kw: _resolve("wmp_analysis.targets", "load_registry")(p, **kw),
    "measures": lambda p, **kw: _resolve("wmp_analysis.targets", "load_measures")(p, **kw),
    "config": lambda p, **kw: _resolve("wmp_analysis.config", "load_config")(p, **kw),
}


# ----------------------------------------------------------------------------- builders
# Inputs too big (or too dangerous) to commit are built at test time. Each returns the
# path to hand to the reader; *monkeypatch* may lower a size limit so that a bomb of a
# few MB stands for one of many GB.

_ONS_H = "12 months ending,PFA,Region,Offence,Rolling year total number of offences\n"
_ONS_ROW = "31-03-2012,West Midlands,West Midlands,Domestic burglary,15898\n"
_ST_H = ("Crime ID,Month,Reported by,Falls within,Longitude,Latitude,Location,LSOA code,LSOA name,"
         "Crime type,Last outcome category,Context\n")


def _st_row(i: int = 0, location: str = "On or near Corporation Street") -> str:
    return (f"{i:064x},2012-05,West Midlands Police,West Midlands Police,-1.89,52.48,{location},"
            "E01009308,Birmingham 138A,Burglary,Under investigation,\n")


_MEMBER = "2012-05/2012-05-west-midlands-street.csv"


def _zip(path: Path, entries: list[tuple[str, bytes]]) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        for name, data in entries:
            zf.writestr(zipfile.ZipInfo(name, date_time=(2012, 6, 1, 0, 0, 0)), data,
                        compress_type=zipfile.ZIP_DEFLATED)
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
    p.write_text(_ONS_H + _ONS_ROW + f"31-03-2012,West Midlands,West Midlands,{'X' * 50_000},1\n", encoding="utf-8")
    return p


def ons_gzip_bomb(tmp: Path, monkeypatch) -> Path:
    from wmp_analysis.ingest import textio

    monkeypatch.setitem(textio.read_bytes.__kwdefaults__, "max_bytes", 4_000_000)
    p = tmp / "rec-crime-pfa.csv.gz"
    p.write_bytes(gzip.compress((_ONS_H + _ONS_ROW).encode() + b"0" * 32_000_000, compresslevel=9, mtime=0))
    assert p.stat().st_size < 100_000
    return p


def zip_traversal(tmp: Path, monkeypatch) -> Path:
    body = (_ST_H + _st_row()).encode()
    return _zip(tmp / "src" / "2012-05.zip",
                [(_MEMBER, body), ("../../escaped/2012-05-west-midlands-street.csv", body)])


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
    p = _zip(tmp / "src" / "2012-05.zip", [(_MEMBER, (_ST_H + _st_row()).encode() + b"\0" * 32_000_000)])
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


BUILDERS = {f.__name__: f for f in (ons_huge_field, ons_gzip_bomb, zip_traversal, zip_absolute, zip_truncated,
                                    zip_bomb_declared, zip_bomb_real, zip_bomb_lying, street_huge_field)}


# ----------------------------------------------------------------------------- helpers

def _norm_field(name: Any) -> str:
    return re.sub(r"[\s_]+", "", str(name)).lower()


def tree_digest(path: Path) -> dict[str, str]:
    """sha256 of every file under *path* (or of *path* itself), by relative name."""
    path = Path(path)
    if path.is_file():
        return {path.name: hashlib.sha256(path.read_bytes()).hexdigest()}
    return {str(p.relative_to(path)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(path.rglob("*")) if p.is_file()}


def _case_input(case: dict, tmp_path: Path, monkeypatch) -> Path:
    if case.get("generate"):
        return BUILDERS[case["generate"]](tmp_path, monkeypatch)
    return CORPUS / case["file"]


def _check_error(exc: errors.InputError, case: dict, src: Path) -> None:
    msg = str(exc)
    name = case.get("names") or src.name
    assert name in msg, f"message does not name the file {name!r}: {msg}"
    assert exc.path is not None and name in exc.path, f"exc.path {exc.path!r} does not name {name!r}"
    if case.get("row") is not None:
        assert exc.row == case["row"], f"row {exc.row} != {case['row']}: {msg}"
        assert f"line {case['row']}" in msg
    if case.get("field") is not None:
        assert exc.field is not None and _norm_field(exc.field) == _norm_field(case["field"]), \
            f"field {exc.field!r} != {case['field']!r}: {msg}"
        assert str(exc.field) in msg


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
        assert c.get("row") is not None or c.get("field") is not None or c.get("where") == "file", \
            f"{c['id']}: give the row or field the message must name (or where: file)"
        assert c.get("what"), c
    committed = [p for p in CORPUS.rglob("*") if p.is_file() and p.name != "cases.yaml"]
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
            assert type(exc) is ERROR_KINDS[expect], f"expected {expect}, got {type(exc).__name__}: {exc}"
            _check_error(exc, case, src)
        else:
            result = reader(src, **args)
            name = case.get("names") or src.name
            if expect == "rejected":
                rej = _rejections_of(result)
                hit = rej[rej["path"].astype(str).str.contains(name, regex=False)
                          & (rej["line"].astype("int64") == int(case["row"]))]
                assert len(hit) == 1, f"no rejection for {name} line {case['row']}: {rej.to_dict('records')}"
                assert _norm_field(hit["field"].iloc[0]) == _norm_field(case["field"])
                assert str(hit["reason"].iloc[0]).strip(), "a rejection must say why"
            else:  # out_of_range
                listed = [r for r in result.out_of_range if name in str(r.get("path", "")) + str(r.get("member") or "")]
                assert len(listed) == 1, result.out_of_range
                read = [f for f in result.files if name in str(f.get("path", "")) + str(f.get("member") or "")]
                assert not read, "an out-of-range file must not be read"
    finally:
        if case.get("max_peak_kib"):
            _, peak = tracemalloc.get_traced_memory()
            tracemalloc.stop()
    if case.get("max_peak_kib"):
        assert peak <= case["max_peak_kib"] * 1024, f"peak memory {peak // 1024} KiB for a {before} input"
    assert tree_digest(src) == before, "the raw input was modified"
