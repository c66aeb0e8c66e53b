"""What the runner prints: progress lines, the summary table, the closing messages."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path


def say(msg: str = "") -> None:
    print(msg, flush=True)


def rel(path: Path, root: Path) -> str:
    """*path* relative to *root* when it lies below it, else as given."""
    try:
        return str(Path(path).resolve().relative_to(Path(root).resolve()))
    except ValueError:
        return str(path)


def summary_table(results: Sequence) -> str:
    """One line per section: name, status (with the run copied from), seconds."""
    w = max([len("notebook")] + [len(r.name) for r in results])
    lines = [
        f"{'notebook':<{w}}  {'status':<24}  {'seconds':>8}",
        f"{'-' * w}  {'-' * 24}  {'-' * 8}",
    ]
    for r in results:
        status = r.status + (
            f" ({r.copied_from})" if r.copied_from and r.status == "copied" else ""
        )
        lines.append(f"{r.name:<{w}}  {status[:24]:<24}  {r.seconds:8.1f}")
    return "\n".join(lines)


def run_header(run, config_label: str) -> None:
    o = run.options
    say(
        f"wmp-analysis run {run.run_id}: config {config_label}, kernel {o.kernel}, "
        f"{len(run.to_run)} of {len(run.names)} notebooks to execute"
    )


def run_failed(run, failed, kept: Path, where: str) -> None:
    say("")
    say(summary_table(run.results))
    say("")
    say(f"RUN FAILED: notebook {failed.name} {failed.status}{where}")
    say(f"  {failed.message}")
    say(f"  executed notebook kept: {kept}")
    previous = "points to " + run.latest.name if run.latest else "no earlier run"
    say(f"  {run.latest_label} unchanged ({previous})")


def run_published(run, final: Path, total: float, is_latest: bool, gaps: Sequence[str]) -> None:
    """The closing lines of a run that completed (a complete pack, or a partial one)."""
    say("")
    say(summary_table(run.results))
    say("")
    index = final / "index.html"
    opened = f" (open {index})" if index.is_file() else ""
    if is_latest:
        say(f"run {run.run_id} complete in {total:.1f} s: {final}{opened}")
        say(f"{run.latest_label} -> {run.run_id}")
        return
    say(f"run {run.run_id} partial in {total:.1f} s: {final}{opened}")
    say(f"  not present or not current: {', '.join(gaps)}")
    previous = "points to " + run.latest.name if run.latest else "no complete pack yet"
    say(f"  {run.latest_label} unchanged ({previous}); run without --only/--from for a full pack")
