"""Benchmark: police.uk ingest, aggregation and the suite, at three data sizes.

Generates (once, into ``benchmarks/_data/``, which git ignores, reused afterwards)
police.uk street CSVs in the real 12-column layout, one file per force and month:

* ``force-year``  - one force, 12 months, about 300k rows;
* ``five-forces`` - five forces, 12 months, about 1.5M rows;
* ``national``    - 43 forces, 12 months, about 6M rows.

and measures, each in a fresh subprocess whose peak memory is its own
``ru_maxrss`` (from ``os.wait4``) and whose CPU time is user + system:

* ``ingest``   - CSV -> validated Parquet, the ingest pipeline's path:
  :func:`wmp_analysis.ingest.dataset.ingest_police_uk` (parse, validate, harmonise
  categories, assign districts from an LSOA lookup, one Parquet partition per force
  and month), one force at a time;
* ``naive``    - ``pd.concat(pd.read_csv(f) for f in files)`` (no validation, no
  output): the baseline the goal names;
* ``naive+pq`` - the naive read plus ``DataFrame.to_parquet`` (the like-for-like
  "CSV to Parquet" baseline, still without any validation);
* ``aggregate`` - the measures/baseline aggregation on the processed dataset:
  monthly counts by force, district and ``category_stable`` (DuckDB,
  :func:`wmp_analysis.measures.queries.monthly_counts`), then the baseline mean and standard
  deviation of each series (pandas);

then, once, ``benchmarks/bench_suite.py`` (the whole suite on the sample, cold
and cached). Prints a table; with ``--write`` also writes ``benchmarks/RESULTS.md``
and ``benchmarks/scaling.png``.

Usage::

    .venv/bin/python benchmarks/bench_ingest.py            # all three sizes + suite
    .venv/bin/python benchmarks/bench_ingest.py --write    # ... and RESULTS.md + plot
    .venv/bin/python benchmarks/bench_ingest.py --sizes force-year --no-suite

Timings depend on the machine and its load (recorded with the results); nothing in
the test suite depends on them.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
COLUMNS = [
    "Crime ID",
    "Month",
    "Reported by",
    "Falls within",
    "Longitude",
    "Latitude",
    "Location",
    "LSOA code",
    "LSOA name",
    "Crime type",
    "Last outcome category",
    "Context",
]
TYPES = [
    ("Anti-social behaviour", 0.30),
    ("Violence and sexual offences", 0.22),
    ("Other theft", 0.07),
    ("Criminal damage and arson", 0.08),
    ("Burglary", 0.07),
    ("Vehicle crime", 0.08),
    ("Shoplifting", 0.06),
    ("Public order", 0.04),
    ("Drugs", 0.02),
    ("Other crime", 0.01),
    ("Robbery", 0.02),
    ("Bicycle theft", 0.01),
    ("Theft from the person", 0.01),
    ("Possession of weapons", 0.01),
]
OUTCOMES = [
    "Investigation complete; no suspect identified",
    "Unable to prosecute suspect",
    "Under investigation",
    "Offender given a caution",
    "Local resolution",
    "Awaiting court outcome",
]
DISTRICTS = ["Birmingham", "Coventry", "Dudley", "Sandwell", "Solihull", "Walsall", "Wolverhampton"]
#: The 43 territorial forces of England and Wales as police.uk's "Falls within" names them.
FORCES = [
    "West Midlands Police",
    "Greater Manchester Police",
    "West Yorkshire Police",
    "Merseyside Police",
    "Thames Valley Police",
    "Avon and Somerset Constabulary",
    "Bedfordshire Police",
    "Cambridgeshire Constabulary",
    "Cheshire Constabulary",
    "Cleveland Police",
    "Cumbria Constabulary",
    "Derbyshire Constabulary",
    "Devon & Cornwall Police",
    "Dorset Police",
    "Durham Constabulary",
    "Dyfed-Powys Police",
    "Essex Police",
    "Gloucestershire Constabulary",
    "Gwent Police",
    "Hampshire Constabulary",
    "Hertfordshire Constabulary",
    "Humberside Police",
    "Kent Police",
    "Lancashire Constabulary",
    "Leicestershire Police",
    "Lincolnshire Police",
    "Norfolk Constabulary",
    "North Wales Police",
    "North Yorkshire Police",
    "Northamptonshire Police",
    "Northumbria Police",
    "Nottinghamshire Police",
    "South Wales Police",
    "South Yorkshire Police",
    "Staffordshire Police",
    "Suffolk Constabulary",
    "Surrey Police",
    "Sussex Police",
    "Warwickshire Police",
    "West Mercia Police",
    "Wiltshire Police",
    "Metropolitan Police Service",
    "City of London Police",
]
#: name -> (forces, total rows)
SIZES = {"force-year": (1, 300_000), "five-forces": (5, 1_500_000), "national": (43, 6_000_000)}
MONTHS = 12


def lsoa_table(n_per: int = 240):
    import pandas as pd

    rows = []
    k = 0
    for d in DISTRICTS:
        for i in range(n_per):
            k += 1
            rows.append(
                (
                    f"E0100{k:04d}",
                    f"{d} {i // 4 + 1:03d}{'ABCD'[i % 4]}",
                    f"E0800{DISTRICTS.index(d):04d}",
                    d,
                )
            )
    return pd.DataFrame(rows, columns=["lsoa_code", "lsoa_name", "lad_code", "lad_name"])


def _write_force_month(path: Path, force: str, month: str, n: int, rng, lsoa, streets) -> None:
    import numpy as np
    import pyarrow as pa
    import pyarrow.csv as pacsv

    types = np.array([t for t, _ in TYPES])
    p = np.array([w for _, w in TYPES])
    ct = types[rng.choice(len(types), n, p=p / p.sum())]
    asb = ct == "Anti-social behaviour"
    raw = np.frombuffer(rng.bytes(32 * n), dtype=np.uint8).reshape(n, 32)
    hexdig = np.frombuffer(b"0123456789abcdef", dtype=np.uint8)
    hexid = np.empty((n, 64), dtype=np.uint8)
    hexid[:, 0::2] = hexdig[raw >> 4]
    hexid[:, 1::2] = hexdig[raw & 15]
    crime_id = np.where(asb, "", hexid.view("S64").ravel().astype(str))
    li = rng.integers(0, len(lsoa), n)
    no_loc = rng.random(n) < 0.01
    lon = np.round(-1.9 + rng.normal(0, 0.1, n), 6).astype(str)
    lat = np.round(52.48 + rng.normal(0, 0.06, n), 6).astype(str)
    outcome = np.where(asb, "", np.array(OUTCOMES)[rng.integers(0, len(OUTCOMES), n)])
    table = pa.table(
        {
            "Crime ID": crime_id,
            "Month": np.full(n, month),
            "Reported by": np.full(n, force),
            "Falls within": np.full(n, force),
            "Longitude": np.where(no_loc, "", lon),
            "Latitude": np.where(no_loc, "", lat),
            "Location": np.where(no_loc, "No location", streets[rng.integers(0, len(streets), n)]),
            "LSOA code": np.where(no_loc, "", lsoa["lsoa_code"].to_numpy()[li].astype(str)),
            "LSOA name": np.where(no_loc, "", lsoa["lsoa_name"].to_numpy()[li].astype(str)),
            "Crime type": ct,
            "Last outcome category": outcome,
            "Context": np.full(n, ""),
        }
    )
    path.parent.mkdir(parents=True, exist_ok=True)
    pacsv.write_csv(table, path, write_options=pacsv.WriteOptions(quoting_style="needed"))


def generate(folder: Path, forces: int, rows: int, seed: int = 20120401) -> list[Path]:
    """Write *rows* street records of *forces* forces over 12 months into *folder* (once)."""
    import numpy as np

    from wmp_analysis.ingest.police_uk import force_slug

    key = f"{forces},{rows},{MONTHS},{seed},v2"
    marker = folder / ".complete"
    if marker.exists() and marker.read_text() == key:
        return sorted(folder.rglob("*-street.csv"))
    if folder.exists():
        shutil.rmtree(folder)
    rng = np.random.default_rng(seed)
    lsoa = lsoa_table()
    streets = np.array(
        [
            f"On or near {w} {s}"
            for w in (
                "High",
                "Church",
                "Park",
                "Station",
                "Mill",
                "King",
                "Queen",
                "New",
                "Green",
                "Victoria",
            )
            * 20
            for s in ("Street", "Road", "Lane", "Close", "Avenue")
        ][:1000]
    )
    cells = forces * MONTHS
    per = [rows // cells + (1 if i < rows % cells else 0) for i in range(cells)]
    out = []
    for fi, force in enumerate(FORCES[:forces]):
        slug = force_slug(force)
        for mi in range(MONTHS):
            year, mon = 2015 + (3 + mi) // 12, (3 + mi) % 12 + 1
            month = f"{year}-{mon:02d}"
            path = folder / month / f"{month}-{slug}-street.csv"
            _write_force_month(path, force, month, per[fi * MONTHS + mi], rng, lsoa, streets)
            out.append(path)
    marker.write_text(key)
    return sorted(out)


def forces_in(folder: Path) -> list[str]:
    from wmp_analysis.ingest.archive import parse_file_name

    return sorted({parse_file_name(p.name)[1] for p in folder.rglob("*-street.csv")})


# ----------------------------------------------------------------------------- children


def child(which: str, folder: Path, out: Path) -> dict:
    """One measurement, run in a fresh process; returns what the parent prints."""
    import pandas as pd

    files = sorted(folder.rglob("*-street.csv"))
    lookup = lsoa_table()
    t0 = time.perf_counter()  # imports are not timed (for any method)
    extra: dict = {}
    if (
        which == "ingest"
    ):  # the pipeline's path: the partitioned dataset (one file per force and month)
        from wmp_analysis.ingest.dataset import ingest_police_uk

        out.mkdir(parents=True, exist_ok=True)
        n = rejected = 0
        for slug in forces_in(folder):
            res = ingest_police_uk(folder, out, force=slug, lsoa_lookup=lookup, kinds=("street",))
            n += res.rows("street")
            rejected += len(res.rejections)
            del res
        extra["rejected"] = rejected
    elif which in ("naive", "naive+pq"):
        df = pd.concat(pd.read_csv(f) for f in files)
        if which == "naive+pq":
            out.mkdir(parents=True, exist_ok=True)
            df.to_parquet(out / "naive.parquet", index=False)
        n = len(df)
    elif which == "aggregate":
        import numpy as np

        from wmp_analysis.measures.queries import monthly_counts

        monthly = monthly_counts(out, by=("falls_within", "district", "category_stable")).rename(
            columns={"n": "count"}
        )
        n = int(monthly["count"].sum())
        base = monthly.groupby(["falls_within", "district", "category_stable"], observed=True)[
            "count"
        ].agg(["mean", "std", "size"])
        extra["series"] = int(len(base))
        extra["monthly_rows"] = int(len(monthly))
        assert int(monthly["count"].sum()) == n and np.isfinite(base["mean"]).all()
    else:
        raise ValueError(which)
    return {"which": which, "rows": int(n), "seconds": time.perf_counter() - t0, **extra}


def _run_with_rusage(cmd: list[str], cwd: Path | None = None) -> tuple[int, str, str, float, float]:
    """Run *cmd*; return exit code, stdout, stderr, peak RSS (MiB) and CPU seconds of that child."""
    import tempfile

    with tempfile.TemporaryFile("w+") as fo, tempfile.TemporaryFile("w+") as fe:
        proc = subprocess.Popen(cmd, stdout=fo, stderr=fe, text=True, cwd=cwd)
        _, status, ru = os.wait4(proc.pid, 0)
        proc.returncode = os.waitstatus_to_exitcode(status)
        fo.seek(0)
        fe.seek(0)
        return proc.returncode, fo.read(), fe.read(), ru.ru_maxrss / 1024, ru.ru_utime + ru.ru_stime


def run_child(which: str, folder: Path, out: Path) -> dict:
    rc, stdout, stderr, peak, cpu = _run_with_rusage(
        [sys.executable, __file__, "--child", which, "--folder", str(folder), "--out", str(out)]
    )
    if rc != 0:
        raise RuntimeError(f"{which} on {folder.name} failed:\n{stderr[-3000:]}")
    r = json.loads(stdout.strip().splitlines()[-1])
    r.update(peak_mib=peak, cpu_seconds=cpu)
    return r


def run_suite() -> dict:
    script = HERE / "bench_suite.py"
    if not script.exists():
        return {"note": "benchmarks/bench_suite.py not present: suite not measured"}
    rc, stdout, stderr, peak, cpu = _run_with_rusage([sys.executable, str(script)], cwd=ROOT)
    if rc != 0:
        return {"note": f"bench_suite.py failed (exit {rc}): {stderr.strip()[-500:]}"}
    cold = re.search(r"cold.*?:\s*([\d.]+)\s*s", stdout)
    cached = re.search(r"cached.*?:\s*([\d.]+)\s*s", stdout)
    return {
        "cold_seconds": float(cold.group(1)) if cold else None,
        "cached_seconds": float(cached.group(1)) if cached else None,
        "peak_mib": peak,
        "cpu_seconds": cpu,
        "output": stdout.strip(),
    }


# ----------------------------------------------------------------------------- report


def machine() -> dict:
    import importlib.metadata as md

    info = {
        "nproc": os.cpu_count(),
        "platform": platform.platform(),
        "python": platform.python_version(),
    }
    try:
        with open("/proc/meminfo") as fh:
            kb = int(next(line for line in fh if line.startswith("MemTotal")).split()[1])
        info["memory_gib"] = round(kb / 2**20, 1)
    except (OSError, StopIteration):
        info["memory_gib"] = None
    try:
        with open("/proc/cpuinfo") as fh:
            info["cpu"] = next(
                (line.split(":", 1)[1].strip() for line in fh if line.startswith("model name")), "?"
            )
    except OSError:
        info["cpu"] = platform.processor() or "?"
    info["packages"] = {p: md.version(p) for p in ("pandas", "pyarrow", "numpy", "matplotlib")}
    return info


def load() -> float:
    try:
        return os.getloadavg()[0]
    except OSError:
        return float("nan")


def table_text(results: dict[str, dict[str, dict]]) -> str:
    head = f"{'size':<12} {'method':<10} {'rows':>10} {'wall s':>8} {'CPU s':>7} {'rows/s':>11} {'peak MiB':>9}"
    lines = [head, "-" * len(head)]
    for size, by in results.items():
        for which, r in by.items():
            lines.append(
                f"{size:<12} {which:<10} {r['rows']:>10,} {r['seconds']:>8.2f} {r['cpu_seconds']:>7.1f} "
                f"{r['rows'] / r['seconds']:>11,.0f} {r['peak_mib']:>9.0f}"
            )
    return "\n".join(lines)


def plot(results: dict[str, dict[str, dict]], path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, (a, b) = plt.subplots(1, 2, figsize=(9, 3.6), dpi=80)
    for which, style in (
        ("ingest", "o-"),
        ("naive", "s--"),
        ("naive+pq", "^--"),
        ("aggregate", "d-"),
    ):
        pts = [
            (r[which]["rows"], r[which]["seconds"], r[which]["peak_mib"])
            for r in results.values()
            if which in r
        ]
        if not pts:
            continue
        xs = [p[0] / 1e6 for p in pts]
        a.plot(xs, [p[1] for p in pts], style, label=which)
        b.plot(xs, [p[2] / 1024 for p in pts], style, label=which)
    a.set(xlabel="rows (millions)", ylabel="wall seconds", title="time vs rows")
    b.set(xlabel="rows (millions)", ylabel="peak RSS (GiB)", title="peak memory vs rows")
    b.axhline(4 * 1000**3 / 2**30, color="grey", lw=0.8, ls=":")
    for ax in (a, b):
        ax.grid(alpha=0.3)
        ax.set_xlim(left=0)
        ax.set_ylim(bottom=0)
    a.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(path, metadata={"Software": None})
    plt.close(fig)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--sizes", nargs="+", choices=list(SIZES), default=list(SIZES))
    ap.add_argument("--data-dir", type=Path, default=HERE / "_data")
    ap.add_argument("--no-suite", action="store_true", help="skip benchmarks/bench_suite.py")
    ap.add_argument(
        "--write", action="store_true", help="write benchmarks/results.json and scaling.png"
    )
    ap.add_argument(
        "--repeat",
        type=int,
        default=1,
        help="run each ingest/naive measurement this many times, interleaved, and keep the "
        "fastest (less noise on a shared machine)",
    )
    ap.add_argument(
        "--child", choices=["ingest", "naive", "naive+pq", "aggregate"], help=argparse.SUPPRESS
    )
    ap.add_argument("--folder", type=Path, help=argparse.SUPPRESS)
    ap.add_argument("--out", type=Path, help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    if args.child:
        print(json.dumps(child(args.child, args.folder, args.out)))
        return 0
    load_start = load()
    info = machine()
    results: dict[str, dict[str, dict]] = {}
    data: dict[str, str] = {}
    for size in args.sizes:
        forces, rows = SIZES[size]
        folder = args.data_dir / f"{size}-{rows}"
        t0 = time.perf_counter()
        files = generate(folder, forces, rows)
        mib = sum(f.stat().st_size for f in files) / 2**20
        data[size] = f"{len(files)} files, {rows:,} rows, {mib:,.0f} MiB CSV"
        print(f"{size}: {data[size]} (ready in {time.perf_counter() - t0:.0f} s)", flush=True)
        out = args.data_dir / f"{size}-{rows}-out"
        shutil.rmtree(out, ignore_errors=True)
        by: dict[str, dict] = {}
        for rep in range(max(1, args.repeat)):
            for which in ("naive", "ingest", "naive+pq", "aggregate"):
                if which == "aggregate" and rep:
                    continue
                r = run_child(which, folder, out)
                print(
                    f"  {which:<10} {r['seconds']:7.2f} s  {r['cpu_seconds']:6.1f} CPU s  {r['peak_mib']:7.0f} MiB",
                    flush=True,
                )
                if which not in by or r["seconds"] < by[which]["seconds"]:
                    by[which] = r
        results[size] = by
        shutil.rmtree(out, ignore_errors=True)
    suite = {"note": "skipped (--no-suite)"} if args.no_suite else run_suite()
    load_end = load()
    print()
    print(f"best of {max(1, args.repeat)} per method")
    print(
        f"machine: {info['cpu']}, {info['nproc']} CPUs, {info['memory_gib']} GiB, Python {info['python']}, "
        f"load average {load_start:.1f} at start, {load_end:.1f} at end"
    )
    print(table_text(results))
    for size, by in results.items():
        if "ingest" in by and "naive" in by:
            ratio = (by["ingest"]["rows"] / by["ingest"]["seconds"]) / (
                by["naive"]["rows"] / by["naive"]["seconds"]
            )
            ratio_pq = (by["ingest"]["rows"] / by["ingest"]["seconds"]) / (
                by["naive+pq"]["rows"] / by["naive+pq"]["seconds"]
            )
            print(
                f"{size}: ingest throughput = {ratio:.2f}x naive read, {ratio_pq:.2f}x naive read+Parquet"
            )
    if "cold_seconds" in suite:
        print(
            f"suite on the sample: cold {suite['cold_seconds']} s, cached {suite['cached_seconds']} s"
        )
    else:
        print(f"suite: {suite['note']}")
    if args.write:
        old = (
            json.loads((HERE / "results.json").read_text())
            if (HERE / "results.json").exists()
            else {}
        )
        keep = {k: old[k] for k in ("bench_national",) if k in old}  # bench_national.py's run stays
        (HERE / "results.json").write_text(
            json.dumps(
                {
                    "machine": info,
                    "load_start": load_start,
                    "load_end": load_end,
                    "data": data,
                    "results": results,
                    "suite": {k: v for k, v in suite.items() if k != "output"},
                    **keep,
                },
                indent=1,
            )
        )
        plot(results, HERE / "scaling.png")
        print(f"wrote {HERE / 'results.json'} and {HERE / 'scaling.png'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
