"""Command-line interface: ``wmp-analysis {sample,ingest,run}``.

Exit codes: 0 success; 1 the run failed (a notebook cell raised, a kernel died, a
time limit was hit); 2 bad input or configuration (the message names the file and
field); 3 another run holds the lock; 130 stopped by Ctrl-C (one line on stderr, no
traceback; the kernels are stopped and ``reports/<config>/latest`` is untouched).
"""

from __future__ import annotations

import argparse
import sys

from wmp_analysis.errors import InputError, bounded


def _build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="wmp-analysis", description=__doc__.splitlines()[0])
    p.add_argument("--version", action="store_true", help="print the package version and exit")
    sub = p.add_subparsers(dest="command")

    s = sub.add_parser(
        "sample", help="generate the synthetic sample (fixed seed) named by the config"
    )
    s.add_argument("--config", default="configs/sample.yaml")
    s.add_argument("--force", action="store_true", help="regenerate even if present")

    i = sub.add_parser("ingest", help="read every configured source into data/processed/<name>/")
    i.add_argument("--config", default="configs/sample.yaml")
    i.add_argument("--force", action="store_true", help="re-ingest even if inputs are unchanged")

    r = sub.add_parser(
        "run", help="run the notebooks in order with papermill and build the briefing pack"
    )
    r.add_argument("--config", default="configs/sample.yaml")
    r.add_argument(
        "--only", metavar="NAME", help="run only this notebook (e.g. 03_target_comparison)"
    )
    r.add_argument("--from", dest="from_", metavar="NAME", help="run from this notebook onwards")
    r.add_argument(
        "--force", action="store_true", help="re-run ingest even if its inputs are unchanged"
    )
    r.add_argument(
        "--run-id", help="name of the run folder (default: derived from config and time)"
    )
    return p


def main(argv: list[str] | None = None) -> int:
    try:
        return _main(argv)
    except KeyboardInterrupt:  # Ctrl-C outside a run (a run handles its own and returns 130)
        print("wmp-analysis: interrupted (Ctrl-C)", file=sys.stderr, flush=True)
        return 130


def _main(argv: list[str] | None = None) -> int:
    args = _build_parser().parse_args(argv)
    if args.version:
        from wmp_analysis import __version__

        print(__version__)
        return 0
    if args.command is None:
        _build_parser().print_help()
        return 2
    from wmp_analysis.config import load_config

    try:
        cfg = load_config(args.config)
        if args.command == "sample":
            from wmp_analysis.synth import ensure_sample

            path = ensure_sample(cfg, force=args.force)
            print(f"synthetic sample ready in {path}")
            return 0
        if args.command == "ingest":
            from wmp_analysis.config import preflight
            from wmp_analysis.ingest.pipeline import run_ingest

            preflight(
                cfg
            )  # unknown district/comparator, missing source...: exit 2 before anything runs
            result = run_ingest(cfg, force=args.force)
            print(result.summary())
            return 0
        if args.command == "run":
            from wmp_analysis.pipeline.runner import run_suite

            return run_suite(
                cfg, only=args.only, from_=args.from_, force=args.force, run_id=args.run_id
            )
    except InputError as exc:
        print(f"wmp-analysis: error: {bounded(exc)}", file=sys.stderr)
        return 2
    except RuntimeError as exc:
        if type(exc).__name__ in ("IngestLockError", "RunLockedError"):
            print(f"wmp-analysis: busy: {exc}", file=sys.stderr)
            return 3
        raise
    return 2


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
