"""What an ingest gives back: :class:`IngestResult` (of a run) and :class:`ProcessedData` (to read).

:func:`load_processed` opens ``data/processed/<name>`` of a config; a table (or the whole
folder) that is not there raises :class:`NotIngestedError`, saying how to run the ingest.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from wmp_analysis.config import SOURCE_KEYS, RunConfig
from wmp_analysis.ingest.manifest import read_manifest
from wmp_analysis.provenance import relative_path


class NotIngestedError(RuntimeError):
    """Processed data (or one table of it) is absent: run the ingest first."""


def _inputs_frame(manifest: dict) -> pd.DataFrame:
    rows = [
        {
            "source": i["source"],
            "path": i["path"],
            "kind": i.get("kind", "file"),
            "files": i.get("files", 1),
            "size_bytes": i["size"],
            "sha256": i["sha256"],
            "rows_read": i.get("rows_read"),
            "synthetic": bool(i["synthetic"]),
        }
        for i in manifest.get("inputs", [])
    ]
    cols = ["source", "path", "kind", "files", "size_bytes", "sha256", "rows_read", "synthetic"]
    return pd.DataFrame(rows, columns=cols)


@dataclass
class IngestResult:
    """Outcome of :func:`run_ingest`.

    Attributes
    ----------
    manifest : dict
        The ``ingest_manifest.json`` content (of the existing ingest when skipped).
    skipped : bool
        True when the processed folder was already current and nothing was read.
    processed_dir : Path
        ``data/processed/<name>`` (a symlink to the store folder).
    root : Path, optional
        The project folder: :meth:`summary` names *processed_dir* relative to it (the
        executed ingest notebook and its page hold no path of the machine that ran it).
    """

    manifest: dict
    skipped: bool
    processed_dir: Path
    root: Path | None = None

    @property
    def synthetic(self) -> bool:
        return bool(self.manifest.get("synthetic"))

    def inputs_table(self) -> pd.DataFrame:
        """One row per input: source, path, kind, files, size_bytes, sha256, rows_read, synthetic."""
        return _inputs_frame(self.manifest)

    def outputs_table(self) -> pd.DataFrame:
        """One row per Parquet table: table, rows, first, last, synthetic."""
        rows = [
            {
                "table": k,
                "rows": v["rows"],
                "first": (v.get("period") or {}).get("first"),
                "last": (v.get("period") or {}).get("last"),
                "synthetic": v["synthetic"],
            }
            for k, v in self.manifest.get("outputs", {}).items()
        ]
        return pd.DataFrame(rows, columns=["table", "rows", "first", "last", "synthetic"])

    def rejections_table(self) -> pd.DataFrame:
        """Rejected rows by source, file, field and reason, with counts."""
        return pd.DataFrame(
            self.manifest.get("rejections", {}).get("by_reason", []),
            columns=["source", "path", "field", "reason", "count"],
        )

    def missing_table(self) -> pd.DataFrame:
        """Missing periods: source, series (kind/CSP/force), unit, missing (one row per period)."""
        rows = []
        miss = self.manifest.get("missing_periods", {})
        for kind, months in (miss.get("police_uk", {}).get("by_kind") or {}).items():
            rows += [
                {"source": "police_uk", "series": kind, "unit": "month", "missing": m}
                for m in months
            ]
        for csp, qs in (miss.get("csp", {}).get("by_csp") or {}).items():
            rows += [
                {"source": "csp", "series": csp, "unit": "financial quarter", "missing": q}
                for q in qs
            ]
        for force, ends in (miss.get("ons_pfa", {}).get("by_force") or {}).items():
            rows += [
                {"source": "ons_pfa", "series": force, "unit": "quarter-end", "missing": d}
                for d in ends
            ]
        return pd.DataFrame(rows, columns=["source", "series", "unit", "missing"])

    def districts_table(self) -> pd.DataFrame:
        """Records by table and district (incl. ``unassigned``), with the share of the table."""
        rows = []
        for table, entry in self.manifest.get("district_assignment", {}).items():
            n = entry.get("records") or 0
            for district, count in entry.get("by_district", {}).items():
                rows.append(
                    {
                        "table": table,
                        "district": district,
                        "records": count,
                        "share": count / n if n else None,
                    }
                )
        return pd.DataFrame(rows, columns=["table", "district", "records", "share"])

    def sources_table(self) -> pd.DataFrame:
        """Every source key: status (read / not supplied / ...), path, note."""
        rows = [
            {
                "source": k,
                "status": v.get("status"),
                "path": v.get("path", ""),
                "note": v.get("note", ""),
            }
            for k, v in self.manifest.get("sources", {}).items()
        ]
        return (
            pd.DataFrame(rows, columns=["source", "status", "path", "note"])
            .sort_values("source")
            .reset_index(drop=True)
        )

    def _shown_dir(self) -> str:
        """*processed_dir* as the summary names it: from the project root when it is inside it."""
        if self.root is not None:
            try:  # the link's own name (data/processed/<name>), not the store folder it points to
                return (
                    Path(self.processed_dir)
                    .absolute()
                    .relative_to(Path(self.root).absolute())
                    .as_posix()
                )
            except ValueError:
                pass
        return str(self.processed_dir)

    def summary(self) -> str:
        """A few lines for the console: what was read, written, missing and rejected."""
        m = self.manifest
        head = (
            f"ingest {m.get('name')}: "
            + ("up to date, nothing to do" if self.skipped else "done")
            + f" -> {self._shown_dir()}"
            + (" [SYNTHETIC SAMPLE]" if m.get("synthetic") else "")
        )
        lines = [head, f"  fingerprint {str(m.get('fingerprint', ''))[:12]}"]
        for name, o in m.get("outputs", {}).items():
            per = o.get("period") or {}
            span = f" {per.get('first')} .. {per.get('last')}" if per else ""
            lines.append(f"  {name:<17} {o['rows']:>10,} rows{span}")
        lines += _dataset_lines(m)
        not_supplied = sorted(
            k for k, v in m.get("sources", {}).items() if v.get("status") == "not supplied"
        )
        if not_supplied:
            lines.append("  not supplied: " + ", ".join(not_supplied))
        other = {
            k: v
            for k, v in m.get("sources", {}).items()
            if v.get("status") not in ("read", "not supplied")
        }
        for k, v in sorted(other.items()):
            lines.append(f"  {k}: {v.get('status')} ({v.get('note', '')})")
        lines += _missing_lines(m, self.missing_table())
        from wmp_analysis.ingest.archive import describe_skipped

        for k, v in sorted(m.get("sources", {}).items()):
            lines += [f"  {k}: {line}" for line in describe_skipped(v.get("skipped") or [])]
        rej = m.get("rejections", {}).get("total", 0)
        lines.append(f"  rejected rows: {rej}")
        loc = sum(
            (m.get("sources", {}).get("police_uk", {}).get("location_rejections") or {}).values()
        )
        if loc:
            lines.append(
                f"    of which police.uk locations only (coordinates nulled, records kept): {loc}"
            )
        for table, entry in m.get("district_assignment", {}).items():
            lines.append(
                f"  {table}: {entry['unassigned']:,} of {entry['records']:,} records without a district"
            )
        return "\n".join(lines)


def _dataset_lines(m: dict) -> list[str]:
    """The summary's lines on the police.uk dataset."""
    lines: list[str] = []
    ds = m.get("police_uk_dataset") or {}
    for slug, last in (ds.get("last_ingest") or {}).items():
        parts = sum(
            len((m.get("outputs", {}).get(t) or {}).get("partitions") or [])
            for t in ("street", "outcomes", "stop_search")
        )
        # Only what the dataset holds: how many months this run read and how many it kept
        # unchanged depends on the run before (cache state), so it lives in the manifest
        # (police_uk_dataset.last_ingest), not on the page, which must be identical on a re-run.
        months = len(set(last.get("read_months") or []) | set(last.get("reused_months") or []))
        lines.append(
            f"  police.uk dataset {ds.get('root', 'police_uk')}/ ({slug}): {parts} partitions, "
            f"{months} months (months read and kept: ingest_manifest.json)"
        )
    return lines


def _missing_lines(m: dict, miss: pd.DataFrame) -> list[str]:
    """The summary's lines on missing periods and header-only police.uk files."""
    lines: list[str] = []
    if len(miss):
        for (src, unit), grp in miss.groupby(["source", "unit"]):
            lines.append(
                f"  missing {unit}s in {src}: {len(grp)} (across {grp.series.nunique()} series)"
            )
            if src == "police_uk":  # never zero: name them, per kind
                for kind, sub in grp.groupby("series"):
                    ms = sorted(sub["missing"].astype(str))
                    shown = ", ".join(ms[:6]) + (f" ... (+{len(ms) - 6})" if len(ms) > 6 else "")
                    lines.append(f"    {kind}: {shown}")
    for e in m.get("missing_periods", {}).get("police_uk", {}).get("empty_files") or []:
        lines.append(
            f"  police_uk {e.get('kind')} {e.get('month')}: header and no rows -> missing month "
            f"({e.get('member') or e.get('path')})"
        )
    return lines


# ----------------------------------------------------------------------- processed


@dataclass
class ProcessedData:
    """Read access to ``data/processed/<name>``.

    Attributes
    ----------
    folder : Path
    manifest : dict
    """

    folder: Path
    manifest: dict
    config_name: str = ""
    _cache: dict[str, pd.DataFrame] = field(default_factory=dict, repr=False)

    @property
    def synthetic(self) -> bool:
        """True when any input of the ingest was synthetic."""
        return bool(self.manifest.get("synthetic")) or any(
            i.get("synthetic") for i in self.manifest.get("inputs", [])
        )

    def has(self, name: str) -> bool:
        return name in self.manifest.get("outputs", {})

    def table(self, name: str) -> pd.DataFrame:
        """The processed table *name* (a copy-on-write DataFrame, cached)."""
        if not self.has(name):
            raise NotIngestedError(
                f"table {name!r} is not in {self.folder} (tables: {sorted(self.manifest.get('outputs', {}))}); "
                f"configure its source and run ingest: wmp-analysis ingest --config <config of {self.config_name!r}>"
            )
        if name not in self._cache:
            entry = self.manifest["outputs"][name]
            if (
                "partitions" in entry
            ):  # police.uk: the partitioned dataset, rebuilt in manifest order
                from wmp_analysis.ingest.dataset import read_table

                self._cache[name] = read_table(self.folder, name, entry["partitions"]).to_pandas()
            else:
                self._cache[name] = pd.read_parquet(self.folder / entry["file"])
        return self._cache[name]

    def dataset_files(self, name: str) -> list[Path]:
        """The partition files of police.uk table *name* (``[]`` when it has none)."""
        if not self.has(name):
            return []
        entry = self.manifest["outputs"][name]
        if "partitions" not in entry:
            return [self.folder / entry["file"]]
        return [self.folder / p["file"] for p in entry["partitions"]]

    def sources_summary(self) -> pd.DataFrame:
        """source, path, period covered, synthetic, rows: the pack's "data sources" list."""
        outputs = self.manifest.get("outputs", {})
        table_of = {k: v.get("table") for k, v in self.manifest.get("sources", {}).items()}
        rows = []
        for inp in self.manifest.get("inputs", []):
            key = inp["source"]
            src = self.manifest.get("sources", {}).get(key, {})
            names = (
                [table_of.get(key)] if table_of.get(key) else list((src.get("tables") or {}).keys())
            )
            periods = []
            for n in names:
                per = (outputs.get(n) or {}).get("period")
                if per:
                    periods.append(
                        f"{per['first']} to {per['last']}"
                        if per["first"] != per["last"]
                        else per["first"]
                    )
            rows.append(
                {
                    "source": key,
                    "description": SOURCE_KEYS.get(key, key),
                    "path": inp["path"],
                    "period": "; ".join(dict.fromkeys(periods)),
                    "synthetic": bool(inp["synthetic"]),
                    "rows": inp.get("rows_read"),
                }
            )
        return pd.DataFrame(
            rows, columns=["source", "description", "path", "period", "synthetic", "rows"]
        )


def load_processed(cfg: RunConfig) -> ProcessedData:
    """Open ``data/processed/<name>`` of *cfg*.

    Raises
    ------
    NotIngestedError
        No ingest has been run for this config (message says how to run it).
    """
    folder = cfg.processed_dir
    man = read_manifest(folder) if folder.is_dir() else None
    if man is None:
        raise NotIngestedError(
            f"no processed data for config {cfg.name!r} in {folder}; run ingest first: "
            f"wmp-analysis ingest --config {relative_path(cfg.path, cfg.root)}"
        )
    return ProcessedData(folder=folder, manifest=man, config_name=cfg.name)
