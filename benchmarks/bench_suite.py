"""Time the whole suite on the synthetic sample: cold, then cached.

* cold   - fresh processed and report folders (the sample itself already present):
           every notebook runs, ingest reads every source;
* cached - the same config again with unchanged inputs: ingest is skipped (its
           section is taken from the previous run), the other notebooks run.

Prints both wall-clock times and their ratio. Usage::

    .venv/bin/python benchmarks/bench_suite.py [--config configs/sample.yaml] [--scale S]

The sample is generated (untimed) if missing. Processed data and reports go to a
temporary folder that is removed afterwards (``--keep`` to keep it).
"""

from __future__ import annotations

import argparse
import contextlib
import io
import shutil
import sys
import tempfile
import time
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]


def bench_config(src: Path, folder: Path, scale: float | None) -> Path:
    """A copy of *src* whose inputs stay in the project and outputs go to *folder*."""
    raw = yaml.safe_load(src.read_text(encoding="utf-8"))

    def absolute(value: str) -> str:
        p = Path(value)
        return str(p if p.is_absolute() else ROOT / p)

    raw["sources"] = {k: (absolute(v) if v else v) for k, v in (raw.get("sources") or {}).items()}
    if raw.get("sample"):
        raw["sample"]["dir"] = absolute(raw["sample"].get("dir", "data/raw/sample"))
        if scale is not None:
            raw["sample"]["scale"] = scale
    raw["processed_dir"] = str(folder / "processed" / raw["name"])
    raw["reports_dir"] = str(folder / "reports")
    out = folder / src.name
    out.write_text(yaml.safe_dump(raw, sort_keys=False), encoding="utf-8")
    return out


def timed_run(cfg, run_id: str, quiet: bool) -> tuple[int, float]:
    from wmp_analysis.pipeline.runner import run_suite

    sink = io.StringIO()
    t0 = time.perf_counter()
    with contextlib.redirect_stdout(sink) if quiet else contextlib.nullcontext():
        rc = run_suite(cfg, run_id=run_id)
    seconds = time.perf_counter() - t0
    if rc != 0 and quiet:
        print(sink.getvalue()[-3000:], file=sys.stderr)
    return rc, seconds


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--config", default=str(ROOT / "configs" / "sample.yaml"))
    ap.add_argument(
        "--scale", type=float, default=None, help="sample scale (default: the config's)"
    )
    ap.add_argument("--keep", action="store_true", help="keep the temporary folder")
    ap.add_argument("--verbose", action="store_true", help="show the runner's console output")
    args = ap.parse_args(argv)

    from wmp_analysis.config import load_config

    folder = Path(tempfile.mkdtemp(prefix="wmp-bench-suite-"))
    try:
        cfg = load_config(bench_config(Path(args.config).resolve(), folder, args.scale))
        if cfg.sample.get("generate"):
            from wmp_analysis.synth import ensure_sample

            ensure_sample(cfg)  # untimed: "sample present"
        rc1, cold = timed_run(cfg, "bench-cold", not args.verbose)
        if rc1 != 0:
            print(f"cold run failed (exit {rc1})", file=sys.stderr)
            return rc1
        rc2, cached = timed_run(cfg, "bench-cached", not args.verbose)
        if rc2 != 0:
            print(f"cached run failed (exit {rc2})", file=sys.stderr)
            return rc2
        print(
            f"suite on {Path(args.config).name}"
            + (f" (scale {args.scale:g})" if args.scale is not None else "")
        )
        print(f"  cold   (fresh processed + reports): {cold:8.1f} s")
        print(f"  cached (inputs unchanged)        : {cached:8.1f} s")
        print(f"  ratio cold / cached              : {cold / cached:8.2f}")
        return 0
    finally:
        if args.keep:
            print(f"kept {folder}")
        else:
            shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
