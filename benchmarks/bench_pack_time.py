"""Benchmark: the default briefing pack, cold, today against the pack when issue 12 was filed.

Issue 12 asks that `make briefing` give the new pack "in no more than the time it takes
today" (the day the issue was filed: commit ``8ce07b2``, one plan, five notebooks, no PDF).
This script times both, the same way, one after another on the same machine:

* each commit is checked out into its own temporary ``git worktree`` (the working tree
  here is never touched), so each run is *cold*: no sample, no processed data, no
  reports - the run generates the synthetic sample, ingests every source, runs every
  notebook and (today) prints ``briefing.pdf`` and the screenshots;
* each run is ``wmp-analysis run --config configs/sample.yaml`` in a fresh process with
  ``PYTHONPATH`` set to that worktree's ``src`` (the Jupyter kernel inherits it), in the
  environment **that commit's own** ``requirements.lock`` pins: this project's ``.venv`` when
  the lock is today's, else a venv built once from that lock under ``benchmarks/_venvs/``
  (git-ignored; same interpreter). "The time it takes today" is the reference code with the
  packages it pinned; ``--same-env`` runs both commits in this ``.venv`` instead (the code
  alone compared);
* runs alternate (reference, current, reference, current...) so a change of machine load
  falls on both; wall seconds, CPU seconds of the run and all its children (kernels,
  Chromium) and the 1-minute load average before and after are recorded.

Usage::

    .venv/bin/python benchmarks/bench_pack_time.py                 # 8ce07b2 vs the working tree's HEAD, twice each
    .venv/bin/python benchmarks/bench_pack_time.py --repeat 3 --write   # ... and results.json ("bench_pack_time")

``--current`` takes another commit (default ``HEAD``); uncommitted changes are not timed.
``--same-env`` runs both in this ``.venv`` (the code compared on the same packages).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import platform
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
#: The commit when issue 12 was filed: the pack whose time is the limit.
REFERENCE = "8ce07b2"


def _load() -> float:
    return round(os.getloadavg()[0], 2)


def worktree(commit: str, folder: Path) -> Path:
    """A detached worktree of *commit* in *folder* (removed by :func:`drop_worktree`)."""
    subprocess.run(
        ["git", "-C", str(ROOT), "worktree", "add", "--detach", "--quiet", str(folder), commit],
        check=True,
    )
    return folder


def drop_worktree(folder: Path) -> None:
    subprocess.run(
        ["git", "-C", str(ROOT), "worktree", "remove", "--force", str(folder)], check=False
    )
    shutil.rmtree(folder, ignore_errors=True)


def lock_venv(tree: Path, same_env: bool) -> Path:
    """The ``bin`` folder of the environment *tree*'s ``requirements.lock`` pins.

    This interpreter's venv when the lock is the working tree's (or *same_env*); else
    ``benchmarks/_venvs/<lock sha256[:12]>``, built on first use like ``make venv`` does
    (``pip install --no-deps -r requirements.lock``, the project itself, its kernel).
    """
    here = Path(sys.executable).parent
    lock = (tree / "requirements.lock").read_bytes()
    if same_env or lock == (ROOT / "requirements.lock").read_bytes():
        return here
    venv = ROOT / "benchmarks" / "_venvs" / hashlib.sha256(lock).hexdigest()[:12]
    py = venv / "bin" / "python"
    if not (venv / ".installed").is_file():
        print(f"building {venv.relative_to(ROOT)} from {tree.name}'s requirements.lock", flush=True)
        shutil.rmtree(venv, ignore_errors=True)
        subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
        pip = [str(py), "-m", "pip", "install", "--quiet", "--no-deps"]
        subprocess.run([*pip, "-r", str(tree / "requirements.lock")], check=True)
        subprocess.run([*pip, str(tree)], check=True)
        subprocess.run(
            [str(py), "-m", "ipykernel", "install", "--sys-prefix", "--name", "wmp-analysis"],
            check=True,
            capture_output=True,
        )
        (venv / ".installed").write_text("")
    return py.parent


def _matplotlib(bin_dir: Path) -> str:
    got = subprocess.run(
        [str(bin_dir / "python"), "-c", "import matplotlib; print(matplotlib.__version__)"],
        capture_output=True,
        text=True,
        check=False,
    )
    return got.stdout.strip()


def cold_run(commit: str, folder: Path, same_env: bool = False) -> dict:
    """One cold run of the default config at *commit*: wall, CPU (with children), load, exit."""
    tree = worktree(commit, folder / "tree")
    bin_dir = lock_venv(tree, same_env)
    exe = bin_dir / "wmp-analysis"
    env = {**os.environ, "PYTHONPATH": str(tree / "src")}
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    load0 = _load()
    t0 = time.perf_counter()
    got = subprocess.run(
        [str(exe), "run", "--config", "configs/sample.yaml"],
        cwd=tree,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    wall = time.perf_counter() - t0
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    packs = list((tree / "reports").rglob("index.html"))
    result = {
        "commit": commit,
        "env": str(bin_dir.parent.relative_to(ROOT)) if bin_dir.is_relative_to(ROOT) else "",
        "matplotlib": _matplotlib(bin_dir),
        "wall_s": round(wall, 1),
        "cpu_s": round(cpu, 1),
        "load_before": load0,
        "load_after": _load(),
        "exit": got.returncode,
        "pdf": any((p.parent / "briefing.pdf").is_file() for p in packs),
        "pages": len(list(packs[0].parent.glob("*.html"))) if packs else 0,
    }
    if got.returncode != 0:
        result["stderr_tail"] = got.stderr.strip().splitlines()[-5:]
    drop_worktree(tree)
    return result


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--reference", default=REFERENCE)
    ap.add_argument("--current", default="HEAD")
    ap.add_argument("--repeat", type=int, default=2)
    ap.add_argument("--write", action="store_true", help="store the figures in results.json")
    ap.add_argument(
        "--same-env",
        action="store_true",
        help="run both commits in this venv (not each in the one its requirements.lock pins)",
    )
    args = ap.parse_args(argv)
    current = subprocess.run(
        ["git", "-C", str(ROOT), "rev-parse", "--short", args.current],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    runs = []
    with tempfile.TemporaryDirectory(prefix="wmp-bench-pack-") as tmp:
        for i in range(args.repeat):
            for commit in (args.reference, current):
                r = cold_run(commit, Path(tmp) / f"{commit}-{i}", args.same_env)
                print(json.dumps(r), flush=True)
                runs.append(r)
    best = {
        c: min(r["wall_s"] for r in runs if r["commit"] == c and r["exit"] == 0)
        for c in (args.reference, current)
        if any(r["commit"] == c and r["exit"] == 0 for r in runs)
    }
    summary = {
        "machine": f"{platform.processor() or platform.machine()}, {os.cpu_count()} CPUs",
        "python": platform.python_version(),
        "environments": "same venv" if args.same_env else "each commit's requirements.lock",
        "runs": runs,
        "best_wall_s": best,
    }
    if len(best) == 2:
        summary["ratio_current_to_reference"] = round(best[current] / best[args.reference], 2)
    print(json.dumps({k: v for k, v in summary.items() if k != "runs"}, indent=2))
    if args.write:
        path = ROOT / "benchmarks" / "results.json"
        data = json.loads(path.read_text()) if path.is_file() else {}
        data["bench_pack_time"] = summary
        path.write_text(json.dumps(data, indent=2, sort_keys=True) + "\n")
    return 0 if all(r["exit"] == 0 for r in runs) else 1


if __name__ == "__main__":
    raise SystemExit(main())
