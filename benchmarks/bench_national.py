"""Benchmark: the four-way ingest comparison (1.5M rows) and the national archive (~30M rows).

One run prints both parts. Every measurement runs in a fresh subprocess (peak memory
= its ``ru_maxrss`` from ``os.wait4``, CPU = user + system) on the same files, one
after another, with the load average recorded beside it.

Part 1 - four ways to turn the same 60 street CSVs (five forces x 12 months, 1.5M rows,
``benchmarks/_data/five-forces-1500000``, made by ``bench_ingest.generate``) into data:

* ``naive``   - ``pd.concat(pd.read_csv(f) for f in files)`` (no validation, no output);
* ``polars``  - ``pl.scan_csv(files).sink_parquet(...)`` (no validation);
* ``duckdb``  - ``COPY (SELECT * FROM read_csv([...])) TO ... (FORMAT parquet)`` (no validation);
* ``ingest``  - this project's validated ingest into the partitioned dataset:
  :func:`wmp_analysis.ingest.dataset.ingest_police_uk` per force (parse, every check,
  harmonise, districts from an LSOA lookup, one Parquet partition per force and month).

Part 2 - a national archive: 43 forces x 61 months of street data in the police.uk
layout (about 30M rows in 60 months, plus one extra month) and a stop-and-search file per
force and month, generated once into ``benchmarks/_data/national-archive`` (git-ignored):

* ``national-ingest``      - the first 60 months of every force into one dataset;
* ``national-incremental`` - the same with the 61st month added (only it is read);
* ``national-aggregate``   - street records per force, month and stable category by DuckDB;
* ``national-view``        - :func:`wmp_analysis.analysis.national.national_view` on the real ONS
  force table and mid-year population (``configs/real-ons.yaml``'s sources in
  ``../shared/data``; reading them is timed apart as ``read_seconds``).

Usage::

    .venv/bin/python benchmarks/bench_national.py              # both parts, print
    .venv/bin/python benchmarks/bench_national.py --write      # ... and results.json ("bench_national"), scaling_national.png
    .venv/bin/python benchmarks/bench_national.py --part four  # only part 1
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(HERE))

import bench_ingest as BI  # noqa: E402

NATIONAL_MONTHS = 61  # 60 for the full ingest + 1 for the incremental one
NATIONAL_ROWS = 30_000_000  # street rows in the first 60 months
SEARCHES_PER_FILE = 300


def months_from(first: str, n: int) -> list[str]:
    y, m = int(first[:4]), int(first[5:])
    out = []
    for i in range(n):
        k = (y * 12 + m - 1) + i
        out.append(f"{k // 12}-{k % 12 + 1:02d}")
    return out


MONTHS = months_from("2011-04", NATIONAL_MONTHS)


def _pool(force: str, n: int, rng, lsoa, streets):
    """A pool of *n* street records of *force* (every column but Month), as Arrow columns."""
    import numpy as np
    import pyarrow as pa

    types = np.array([t for t, _ in BI.TYPES])
    p = np.array([w for _, w in BI.TYPES])
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
    outcome = np.where(asb, "", np.array(BI.OUTCOMES)[rng.integers(0, len(BI.OUTCOMES), n)])
    return {
        "Crime ID": pa.array(crime_id),
        "Reported by": pa.array(np.full(n, force)),
        "Falls within": pa.array(np.full(n, force)),
        "Longitude": pa.array(np.where(no_loc, "", lon)),
        "Latitude": pa.array(np.where(no_loc, "", lat)),
        "Location": pa.array(
            np.where(no_loc, "No location", streets[rng.integers(0, len(streets), n)])
        ),
        "LSOA code": pa.array(np.where(no_loc, "", lsoa["lsoa_code"].to_numpy()[li].astype(str))),
        "LSOA name": pa.array(np.where(no_loc, "", lsoa["lsoa_name"].to_numpy()[li].astype(str))),
        "Crime type": pa.array(ct),
        "Last outcome category": pa.array(outcome),
        "Context": pa.array(np.full(n, "")),
    }


def _searches(force: str, month: str, n: int, rng):
    import numpy as np
    import pyarrow as pa

    eth = np.array(
        [
            "White - English/Welsh/Scottish/Northern Irish/British",
            "Asian/Asian British - Pakistani",
            "Black/African/Caribbean/Black British - Caribbean",
            "Other ethnic group - Not stated",
            "",
        ]
    )
    days = rng.integers(1, 29, n)
    return pa.table(
        {
            "Type": np.full(n, "Person search"),
            "Date": np.array([f"{month}-{d:02d}T12:00:00+00:00" for d in days]),
            "Part of a policing operation": np.full(n, "False"),
            "Policing operation": np.full(n, ""),
            "Latitude": np.round(52.48 + rng.normal(0, 0.05, n), 6).astype(str),
            "Longitude": np.round(-1.9 + rng.normal(0, 0.08, n), 6).astype(str),
            "Gender": np.array(["Male", "Female"])[rng.integers(0, 2, n)],
            "Age range": np.array(["10-17", "18-24", "25-34", "over 34"])[rng.integers(0, 4, n)],
            "Self-defined ethnicity": eth[rng.integers(0, len(eth), n)],
            "Officer-defined ethnicity": np.array(["White", "Asian", "Black", "Other"])[
                rng.integers(0, 4, n)
            ],
            "Legislation": np.full(n, "Misuse of Drugs Act 1971 (section 23)"),
            "Object of search": np.full(n, "Controlled drugs"),
            "Outcome": np.full(n, "Nothing found - no further action"),
            "Outcome linked to object of search": np.full(n, "False"),
            "Removal of more than just outer clothing": np.full(n, "False"),
        }
    )


def generate_national(folder: Path, seed: int = 20150401) -> dict:
    """43 forces x 61 months of street files (~30M rows in the first 60) and stop-and-search files."""
    import numpy as np
    import pyarrow as pa
    import pyarrow.csv as pacsv

    from wmp_analysis.ingest.police_uk import force_slug

    key = f"{NATIONAL_ROWS},{NATIONAL_MONTHS},{SEARCHES_PER_FILE},{seed},v1"
    marker = folder / ".complete"
    if marker.exists() and marker.read_text() == key:
        return json.loads((folder / ".summary.json").read_text())
    if folder.exists():
        shutil.rmtree(folder)
    rng = np.random.default_rng(seed)
    lsoa = BI.lsoa_table()
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
    per = NATIONAL_ROWS // (43 * (NATIONAL_MONTHS - 1))
    opts = pacsv.WriteOptions(quoting_style="needed")
    rows = {"street_60": 0, "street_extra": 0, "searches": 0}
    size = 0
    for force in BI.FORCES:
        slug = force_slug(force)
        pool = _pool(force, int(per * 1.25), rng, lsoa, streets)
        npool = len(pool["Crime ID"])
        for mi, month in enumerate(MONTHS):
            n = int(per * rng.uniform(0.9, 1.1))
            idx = pa.array(np.sort(rng.choice(npool, n, replace=False)))
            cols = {k: v.take(idx) for k, v in pool.items()}
            table = pa.table(
                {c: (pa.array(np.full(n, month)) if c == "Month" else cols[c]) for c in BI.COLUMNS}
            )
            d = folder / month
            d.mkdir(parents=True, exist_ok=True)
            path = d / f"{month}-{slug}-street.csv"
            pacsv.write_csv(table, path, write_options=opts)
            spath = d / f"{month}-{slug}-stop-and-search.csv"
            pacsv.write_csv(
                _searches(force, month, SEARCHES_PER_FILE, rng), spath, write_options=opts
            )
            size += path.stat().st_size + spath.stat().st_size
            rows["street_60" if mi < NATIONAL_MONTHS - 1 else "street_extra"] += n
            rows["searches"] += SEARCHES_PER_FILE
    summary = {
        "forces": 43,
        "months": NATIONAL_MONTHS,
        "files": 43 * NATIONAL_MONTHS * 2,
        "rows": rows,
        "csv_mib": round(size / 2**20),
    }
    (folder / ".summary.json").write_text(json.dumps(summary))
    marker.write_text(key)
    return summary


# ----------------------------------------------------------------------------- children


def child(which: str, folder: Path, out: Path) -> dict:
    t_import = time.perf_counter()
    import pandas as pd

    extra: dict = {}
    # modules are imported before the clock starts, for every method (reference tables,
    # lookups and the first call's work are timed)
    if which == "polars":
        import polars as pl
    elif which == "duckdb":
        import duckdb  # noqa: F401
    else:
        import pyarrow.dataset  # noqa: F401

        from wmp_analysis.ingest import archive, dataset, police_uk  # noqa: F401
    if which in ("naive", "polars", "duckdb", "ingest"):
        files = sorted(folder.rglob("*-street.csv"))
    t0 = time.perf_counter()
    if which == "naive":
        n = len(pd.concat(pd.read_csv(f) for f in files))
    elif which == "polars":
        out.mkdir(parents=True, exist_ok=True)
        pl.scan_csv([str(f) for f in files]).sink_parquet(out / "polars.parquet")
        n = pl.scan_parquet(out / "polars.parquet").select(pl.len()).collect().item()
    elif which == "duckdb":
        from wmp_analysis.measures.queries import connect

        out.mkdir(parents=True, exist_ok=True)
        con = connect()
        listing = "[" + ", ".join(f"'{f}'" for f in files) + "]"
        con.execute(
            f"COPY (SELECT * FROM read_csv({listing}, header = true, all_varchar = false)) "
            f"TO '{out / 'duckdb.parquet'}' (FORMAT parquet)"
        )
        n = con.execute(f"SELECT count(*) FROM '{out / 'duckdb.parquet'}'").fetchone()[0]
    elif which == "ingest":
        from wmp_analysis.ingest.dataset import ingest_police_uk

        lookup = BI.lsoa_table()
        n = rejected = 0
        for slug in BI.forces_in(folder):
            res = ingest_police_uk(folder, out, force=slug, lsoa_lookup=lookup, kinds=("street",))
            n += res.rows("street")
            rejected += len(res.rejections)
        extra["rejected"] = rejected
    elif which in ("national-ingest", "national-incremental"):
        from wmp_analysis.ingest.dataset import ingest_police_uk
        from wmp_analysis.ingest.pipeline import HashCache
        from wmp_analysis.periods import Period

        lookup = BI.lsoa_table()
        months = MONTHS if which == "national-incremental" else MONTHS[:-1]
        period = Period(
            pd.Timestamp(months[0] + "-01"),
            pd.Timestamp(months[-1] + "-01") + pd.offsets.MonthEnd(0),
        )
        state = out / "forces.json"
        previous = (
            json.loads(state.read_text())
            if which == "national-incremental" and state.exists()
            else {}
        )
        from wmp_analysis.ingest.archive import parse_file_name, walk_files
        from wmp_analysis.ingest.police_uk import force_slug

        cache = HashCache(out / "hash-cache.json")
        by_force: dict[str, list] = {}  # one walk of the archive, not one per force
        for f in walk_files(folder):
            parsed = parse_file_name(f.name)
            if parsed:
                by_force.setdefault(parsed[1], []).append(f)
        n = rows_read = 0
        read = reused = 0
        records = {}
        for force in BI.FORCES:
            res = ingest_police_uk(
                by_force[force_slug(force)],
                out,
                force=force,
                months=period,
                lsoa_lookup=lookup,
                previous=previous.get(force),
                sha256_of=cache.sha256,
                on_key=cache.remember,
            )
            records[force] = res.manifest_entry()
            n += res.rows("street") + res.rows("stop_search")
            rows_read += sum(
                f["rows_read"] for m in res.read_months for f in res.months[m]["files"]
            )
            read += len(res.read_months)
            reused += len(res.reused_months)
        cache.save()
        state.write_text(json.dumps(records))
        extra.update(
            rows_read=rows_read,
            months_read=read,
            months_reused=reused,
            partitions=sum(1 for _ in (out / "police_uk").rglob("part-0.parquet")),
        )
    elif which == "national-aggregate":
        from wmp_analysis.measures.queries import national_monthly

        agg = national_monthly(out)
        n = int(agg["n"].sum())
        extra.update(
            series_rows=int(len(agg)),
            forces=int(agg["force"].nunique()),
            months=int(agg["month"].nunique()),
        )
    elif which == "national-view":
        from wmp_analysis.analysis import national
        from wmp_analysis.config import load_config
        from wmp_analysis.ingest.census import read_population
        from wmp_analysis.ingest.ons import read_ons_pfa
        from wmp_analysis.measures.targets import load_measures, load_registry

        cfg = load_config(
            ROOT / "configs" / "real-ons.yaml"
        )  # the real ONS force table in ../shared/data
        t_read = time.perf_counter()
        ons = read_ons_pfa(cfg.sources["ons_pfa"])  # every force of the file
        pop = read_population(cfg.sources["population"]) if cfg.sources.get("population") else None
        extra["read_seconds"] = time.perf_counter() - t_read
        measures = load_measures()
        milestones = national.plan_milestones(load_registry(measures=measures), measures)
        t0 = time.perf_counter()
        view = national.national_view(
            ons, pop, milestones, measures, force=cfg.force, comparators=cfg.comparators
        )
        n = len(ons)
        extra.update(view_rows=int(len(view)), forces=int(view["force"].nunique()))
    else:
        raise ValueError(which)
    return {
        "which": which,
        "rows": int(n),
        "seconds": time.perf_counter() - t0,
        "import_seconds": t0 - t_import,
        **extra,
    }


def run_child(which: str, folder: Path, out: Path) -> dict:
    load_before = BI.load()
    rc, stdout, stderr, peak, cpu = BI._run_with_rusage(
        [sys.executable, __file__, "--child", which, "--folder", str(folder), "--out", str(out)]
    )
    if rc != 0:
        raise RuntimeError(f"{which} failed:\n{stderr[-3000:]}")
    r = json.loads(stdout.strip().splitlines()[-1])
    r.update(peak_mib=peak, cpu_seconds=cpu, load_before=load_before, load_after=BI.load())
    print(
        f"  {which:<21} {r['seconds']:8.2f} s {cpu:7.1f} CPU s {peak:7.0f} MiB  rows {r['rows']:>11,}  "
        f"load {load_before:.1f}->{r['load_after']:.1f}",
        flush=True,
    )
    return r


def plot(result: dict, path: Path) -> None:
    """Wall seconds and peak memory against rows: the four methods at 1.5M rows and the
    validated ingest at 1.5M and ~31M rows (national), on one figure."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, (a, b) = plt.subplots(1, 2, figsize=(9, 3.6), dpi=80)
    four = result.get("four_way", {})
    nat = result.get("national", {})
    for which, style in (("naive", "s"), ("polars", "^"), ("duckdb", "v")):
        if which in four:
            r = four[which]
            a.plot([r["rows"] / 1e6], [r["seconds"]], style, label=which)
            b.plot([r["rows"] / 1e6], [r["peak_mib"] / 1024], style, label=which)
    pts = [four["ingest"]] if "ingest" in four else []
    if "seconds" in nat.get("national-ingest", {}):
        pts.append(nat["national-ingest"])
    if pts:
        a.plot(
            [r["rows"] / 1e6 for r in pts],
            [r["seconds"] for r in pts],
            "o-",
            label="ingest (validated)",
        )
        b.plot(
            [r["rows"] / 1e6 for r in pts],
            [r["peak_mib"] / 1024 for r in pts],
            "o-",
            label="ingest (validated)",
        )
    a.axhline(600, color="grey", lw=0.8, ls=":")
    b.axhline(2 * 1000**3 / 2**30, color="grey", lw=0.8, ls=":")
    a.set(
        xlabel="rows (millions)", ylabel="wall seconds", title="time vs rows (goal: 600 s national)"
    )
    b.set(xlabel="rows (millions)", ylabel="peak RSS (GiB)", title="peak memory (goal: 2 GB)")
    for ax in (a, b):
        ax.grid(alpha=0.3)
        ax.set_xlim(left=0)
        ax.set_ylim(bottom=0)
    a.legend(fontsize=7)
    fig.tight_layout()
    fig.savefig(path, metadata={"Software": None})
    plt.close(fig)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--part", choices=["four", "national", "both"], default="both")
    ap.add_argument("--data-dir", type=Path, default=HERE / "_data")
    ap.add_argument(
        "--repeat", type=int, default=1, help="four-way: runs per method (fastest kept)"
    )
    ap.add_argument(
        "--methods",
        default="naive,polars,duckdb,ingest",
        help="four-way: comma-separated methods to run (default all four)",
    )
    ap.add_argument(
        "--write", action="store_true", help="write benchmarks/results.json (key bench_national)"
    )
    ap.add_argument(
        "--plot-only", action="store_true", help="redraw scaling_national.png from results.json"
    )
    ap.add_argument("--child", help=argparse.SUPPRESS)
    ap.add_argument("--folder", type=Path, help=argparse.SUPPRESS)
    ap.add_argument("--out", type=Path, help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    if args.child:
        print(json.dumps(child(args.child, args.folder, args.out)))
        return 0
    if args.plot_only:
        plot(
            json.loads((HERE / "results.json").read_text())["bench_national"],
            HERE / "scaling_national.png",
        )
        return 0
    info = BI.machine()
    result: dict = {"machine": info, "load_start": BI.load()}
    print(
        f"machine: {info['cpu']}, {info['nproc']} CPUs, {info['memory_gib']} GiB, load {result['load_start']:.1f}"
    )
    if args.part in ("four", "both"):
        forces, rows = BI.SIZES["five-forces"]
        folder = args.data_dir / f"five-forces-{rows}"
        files = BI.generate(folder, forces, rows)
        print(f"four-way on {len(files)} files, {rows:,} rows")
        four: dict = {}
        runs: dict = {}
        methods = [
            m for m in ("naive", "polars", "duckdb", "ingest") if m in args.methods.split(",")
        ]
        for _ in range(max(1, args.repeat)):
            for which in methods:
                out = args.data_dir / f"four-{which}-out"
                shutil.rmtree(out, ignore_errors=True)
                r = run_child(which, folder, out)
                shutil.rmtree(out, ignore_errors=True)
                runs.setdefault(which, []).append(r)
                if which not in four or r["seconds"] < four[which]["seconds"]:
                    four[which] = r
        result["four_way"] = four
        result["four_way_runs"] = runs  # every run, in order (wall, CPU and load of each)
        if "ingest" in four:
            result["ratios"] = {
                f"ingest/{m}": four["ingest"]["seconds"] / four[m]["seconds"]
                for m in methods
                if m != "ingest"
            }
            result["cpu_ratios"] = {
                f"ingest/{m}": four["ingest"]["cpu_seconds"] / four[m]["cpu_seconds"]
                for m in methods
                if m != "ingest"
            }
            for key in ("ratios", "cpu_ratios"):
                print(f"  {key}: " + ", ".join(f"{k} {v:.2f}" for k, v in result[key].items()))
    if args.part in ("national", "both"):
        folder = args.data_dir / "national-archive"
        t0 = time.perf_counter()
        summary = generate_national(folder)
        print(
            f"national archive: {summary} (ready in {time.perf_counter() - t0:.0f} s)", flush=True
        )
        out = args.data_dir / "national-out"
        shutil.rmtree(out, ignore_errors=True)
        nat = {"data": summary}
        for which in (
            "national-ingest",
            "national-incremental",
            "national-aggregate",
            "national-view",
        ):
            try:
                nat[which] = run_child(which, folder, out)
            except RuntimeError as exc:
                nat[which] = {"error": str(exc)[-500:]}
                print(f"  {which}: failed ({str(exc)[-300:]})")
        result["national"] = nat
    result["load_end"] = BI.load()
    if args.write:
        path = (
            HERE / "results.json"
        )  # shared with bench_ingest.py: this run is its "bench_national" key
        allres = json.loads(path.read_text()) if path.exists() else {}
        previous = allres.get("bench_national") or {}
        for part in ("four_way", "national"):  # a part not run this time keeps its last figures
            if part not in result and part in previous:
                result[part] = previous[part]
                result[f"{part}_machine"] = previous.get(f"{part}_machine", previous.get("machine"))
                if part == "four_way":
                    for key in ("four_way_runs", "ratios", "cpu_ratios"):
                        if key in previous:
                            result[key] = previous[key]
        allres["bench_national"] = result
        path.write_text(json.dumps(allres, indent=1))
        plot(result, HERE / "scaling_national.png")
        print(f"wrote {path} (key bench_national) and {HERE / 'scaling_national.png'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
