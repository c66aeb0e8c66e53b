"""Benchmark: police.uk street ingest against a naive pandas baseline.

Generates (once, into ``benchmarks/_data/``, which git ignores) a set of monthly
police.uk street CSVs in the real 12-column layout, then measures, each in a fresh
subprocess so that the peak memory (``ru_maxrss`` of the child) is honest:

* ``ours``  - :func:`wmp_analysis.ingest.police_uk.read_police_uk` (parse, validate,
  harmonise categories, assign districts from an LSOA lookup);
* ``naive`` - ``pd.concat(pd.read_csv(f) for f in files)`` (no validation at all).

Usage::

    .venv/bin/python benchmarks/bench_ingest.py --rows 1000000

Prints rows/s, seconds and peak MiB for both and the throughput ratio. Timings
vary with the machine and its load; nothing in the test suite depends on them.
"""
from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
COLUMNS = [
    "Crime ID", "Month", "Reported by", "Falls within", "Longitude", "Latitude", "Location",
    "LSOA code", "LSOA name", "Crime type", "Last outcome category", "Context",
]
TYPES = [
    ("Anti-social behaviour", 0.30), ("Violence and sexual offences", 0.22), ("Other theft", 0.07),
    ("Criminal damage and arson", 0.08), ("Burglary", 0.07), ("Vehicle crime", 0.08), ("Shoplifting", 0.06),
    ("Public order", 0.04), ("Drugs", 0.02), ("Other crime", 0.01), ("Robbery", 0.02), ("Bicycle theft", 0.01),
    ("Theft from the person", 0.01), ("Possession of weapons", 0.01),
]
OUTCOMES = [
    "Investigation complete; no suspect identified", "Unable to prosecute suspect", "Under investigation",
    "Offender given a caution", "Local resolution", "Awaiting court outcome",
]
DISTRICTS = ["Birmingham", "Coventry", "Dudley", "Sandwell", "Solihull", "Walsall", "Wolverhampton"]


def lsoa_table(n_per: int = 240):
    import pandas as pd

    rows = []
    k = 0
    for d in DISTRICTS:
        for i in range(n_per):
            k += 1
            rows.append((f"E0100{k:04d}", f"{d} {i // 4 + 1:03d}{'ABCD'[i % 4]}", f"E0800{DISTRICTS.index(d):04d}", d))
    return pd.DataFrame(rows, columns=["lsoa_code", "lsoa_name", "lad_code", "lad_name"])


def generate(folder: Path, rows: int, months: int, seed: int = 20120401) -> list[Path]:
    """Write *rows* street records over *months* monthly files in *folder*."""
    import numpy as np
    import pyarrow as pa
    import pyarrow.csv as pacsv

    marker = folder / ".complete"
    if marker.exists() and marker.read_text() == f"{rows},{months},{seed}":
        return sorted(folder.rglob("*-street.csv"))
    rng = np.random.default_rng(seed)
    lsoa = lsoa_table()
    streets = np.array([f"On or near {w} {s}" for w in ("High", "Church", "Park", "Station", "Mill", "King",
                                                         "Queen", "New", "Green", "Victoria") * 20
                        for s in ("Street", "Road", "Lane", "Close", "Avenue")][:1000])
    types = np.array([t for t, _ in TYPES])
    p = np.array([w for _, w in TYPES])
    p = p / p.sum()
    out = []
    per = [rows // months + (1 if i < rows % months else 0) for i in range(months)]
    for i, n in enumerate(per):
        year, mon = 2015 + (3 + i) // 12, (3 + i) % 12 + 1
        month = f"{year}-{mon:02d}"
        ct = types[rng.choice(len(types), n, p=p)]
        asb = ct == "Anti-social behaviour"
        ids = np.frombuffer(rng.bytes(32 * n), dtype="S32")
        hexid = np.char.decode(np.char.encode(np.array([b.hex() for b in ids]), "ascii"), "ascii") if n else np.array([])
        crime_id = np.where(asb, "", hexid)
        li = rng.integers(0, len(lsoa), n)
        no_loc = rng.random(n) < 0.01
        lon = np.round(-1.9 + rng.normal(0, 0.1, n), 6).astype(str)
        lat = np.round(52.48 + rng.normal(0, 0.06, n), 6).astype(str)
        outcome = np.where(asb, "", np.array(OUTCOMES)[rng.integers(0, len(OUTCOMES), n)])
        table = pa.table({
            "Crime ID": crime_id, "Month": np.full(n, month), "Reported by": np.full(n, "West Midlands Police"),
            "Falls within": np.full(n, "West Midlands Police"),
            "Longitude": np.where(no_loc, "", lon), "Latitude": np.where(no_loc, "", lat),
            "Location": np.where(no_loc, "No location", streets[rng.integers(0, len(streets), n)]),
            "LSOA code": np.where(no_loc, "", lsoa["lsoa_code"].to_numpy()[li].astype(str)),
            "LSOA name": np.where(no_loc, "", lsoa["lsoa_name"].to_numpy()[li].astype(str)),
            "Crime type": ct, "Last outcome category": outcome, "Context": np.full(n, ""),
        })
        path = folder / month / f"{month}-west-midlands-street.csv"
        path.parent.mkdir(parents=True, exist_ok=True)
        pacsv.write_csv(table, path, write_options=pacsv.WriteOptions(quoting_style="needed"))
        out.append(path)
    marker.write_text(f"{rows},{months},{seed}")
    return out


def child(which: str, folder: Path) -> None:
    """Run one measurement in this (fresh) process and print JSON."""
    import pandas as pd

    files = sorted(folder.rglob("*-street.csv"))
    if which == "ours":
        from wmp_analysis.ingest.police_uk import read_police_uk

        lookup = lsoa_table()
        t0 = time.perf_counter()
        res = read_police_uk(folder, force="West Midlands", months=None, lsoa_lookup=lookup, kinds=("street",))
        n = len(res.tables["street"]) + len(res.rejections)
        seconds = time.perf_counter() - t0
        extra = {"unassigned": int((res.tables["street"]["district"] == "unassigned").sum())}
    else:
        t0 = time.perf_counter()
        df = pd.concat(pd.read_csv(f) for f in files)
        n = len(df)
        seconds = time.perf_counter() - t0
        extra = {}
    peak_mib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux
    print(json.dumps({"which": which, "rows": n, "seconds": seconds, "peak_mib": peak_mib, **extra}))


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--rows", type=int, default=1_000_000)
    ap.add_argument("--months", type=int, default=12)
    ap.add_argument("--data-dir", type=Path, default=HERE / "_data")
    ap.add_argument("--repeat", type=int, default=1,
                    help="run each method this many times, interleaved, and keep the fastest "
                         "(reduces noise on a shared machine)")
    ap.add_argument("--child", choices=["ours", "naive"], help=argparse.SUPPRESS)
    ap.add_argument("--folder", type=Path, help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    if args.child:
        child(args.child, args.folder)
        return 0
    folder = args.data_dir / f"street-{args.rows}-{args.months}m"
    t0 = time.perf_counter()
    files = generate(folder, args.rows, args.months)
    size = sum(f.stat().st_size for f in files)
    print(f"data: {len(files)} files, {args.rows:,} rows, {size / 2**20:.0f} MiB "
          f"(ready in {time.perf_counter() - t0:.1f} s) in {folder}")
    results: dict[str, dict] = {}
    for _ in range(max(1, args.repeat)):
        for which in ("naive", "ours"):
            proc = subprocess.run(
                [sys.executable, __file__, "--child", which, "--folder", str(folder)],
                capture_output=True, text=True, check=False,
            )
            if proc.returncode != 0:
                print(proc.stderr, file=sys.stderr)
                return proc.returncode
            r = json.loads(proc.stdout.strip().splitlines()[-1])
            if which not in results or r["seconds"] < results[which]["seconds"]:
                results[which] = r
    try:
        load = os.getloadavg()[0]
    except OSError:
        load = float("nan")
    print(f"machine: {platform.platform()}, {os.cpu_count()} CPUs, Python {platform.python_version()}, "
          f"load average {load:.1f}, best of {max(1, args.repeat)}")
    print(f"{'method':<8} {'rows':>11} {'seconds':>9} {'rows/s':>12} {'peak MiB':>9}")
    for which, r in results.items():
        print(f"{which:<8} {r['rows']:>11,} {r['seconds']:>9.2f} {r['rows'] / r['seconds']:>12,.0f} {r['peak_mib']:>9.0f}")
    ratio = (results["ours"]["rows"] / results["ours"]["seconds"]) / (results["naive"]["rows"] / results["naive"]["seconds"])
    print(f"throughput ratio ours/naive: {ratio:.2f}x")
    return 0


if __name__ == "__main__":
    sys.exit(main())
