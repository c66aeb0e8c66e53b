"""One set-up call for every section notebook (issue 13).

A notebook's first code cell is ``ctx = section.start(config_path, output_dir, "02_baseline")``:
:func:`start` loads the configuration (with the notebook's overrides), resolves the output
folder, loads the processed tables, tells which inputs are real and which synthetic, and
opens the :class:`~wmp_analysis.report.outputs.RunContext` that writes the section's tables
and figures. The returned :class:`Section` also shows the section's messages, the one way
each: :meth:`Section.note` (plain text, escaped), :meth:`Section.banner` (the red synthetic
banner) and :meth:`Section.not_supplied` (a source the config does not supply).

Nothing here computes a result: the notebooks call the analysis modules with what the
section holds and show what they return.
"""

from __future__ import annotations

import html
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from wmp_analysis.measures.series_police_uk import STREET_COUNTS, street_counts
from wmp_analysis.report.outputs import RunContext, figure_formats

#: The one style of the synthetic banner inside a notebook (the page template draws its own).
BANNER_STYLE = "color:#b00020"


def _show_html(text: str) -> None:
    from IPython.display import HTML, display

    display(HTML(text))


def note_html(text: Any) -> str:
    """A message as HTML: the text escaped (it may hold file names or data values)."""
    return f"<p>{html.escape(str(text))}</p>"


def banner_html(origin: Mapping[str, Any] | None) -> str:
    """The synthetic banner of a section made of *origin* (:func:`~wmp_analysis.provenance.section_origin`).

    Empty when no input of the section is synthetic; else the words of
    :func:`wmp_analysis.report.page_html.synthetic_banner_text` (the synthetic sources named when
    the section is mixed), escaped, in red and bold.
    """
    from wmp_analysis.report.page_html import synthetic_banner_text

    if not origin or not origin.get("synthetic"):
        return ""
    text = html.escape(synthetic_banner_text(dict(origin)))
    return f"<p style='{BANNER_STYLE}'><b>{text}</b></p>"


def not_supplied_html(text: str) -> str:
    """A "not supplied" message (:func:`wmp_analysis.availability.not_supplied_note`) as HTML."""
    return f"<p class='not-supplied'><b>{html.escape(text)}</b></p>"


def _resolve(output_dir: str | Path) -> Path:
    """*output_dir* as given if absolute, else under the project root (else the current folder)."""
    from wmp_analysis.config import find_project_root

    out = Path(output_dir)
    if out.is_absolute():
        return out
    return (find_project_root() or Path.cwd()) / out


@dataclass
class Section:
    """What a section notebook works with.

    Attributes
    ----------
    cfg : Config
        The run configuration, with the notebook's overrides applied.
    name : str
        Section id (``"02_baseline"``).
    output_dir : Path
        This section's output folder (absolute).
    run_dir : Path
        The folder holding every section of the run (the briefing reads from it).
    run : RunContext or None
        Writes the tables and figures; None only in ``01_ingest`` before :meth:`ingest`.
    periods_overridden : bool
        True when the notebook overrode a period (targets are then judged on them).
    origins : dict or None
        ``{source key: "real" | "synthetic"}`` (:func:`~wmp_analysis.provenance.source_origins`).
    origin : dict or None
        The section's ``{origin, real, synthetic}`` (:func:`~wmp_analysis.provenance.section_origin`).
    processed : Processed or None
        The processed tables (None when they are not available and the section allows it).
    """

    cfg: Any
    name: str
    output_dir: Path
    run_dir: Path
    run: RunContext | None = None
    periods_overridden: bool = False
    origins: dict[str, str] | None = None
    origin: dict[str, Any] | None = None
    processed: Any = None
    _said: set = field(default_factory=set, repr=False)
    _cache: dict = field(default_factory=dict, repr=False)

    # ------------------------------------------------------------------ data
    @property
    def synthetic(self) -> bool:
        """True when any input of this section is synthetic."""
        return bool(self.origin and self.origin.get("synthetic"))

    def table(self, name: str) -> pd.DataFrame | None:
        """A processed table, or None when it was not ingested (or nothing was).

        ``"street_counts"`` is the street records per month, district and category,
        counted by DuckDB over the partitioned police.uk dataset without loading the
        records (:func:`wmp_analysis.measures.series.street_counts`); computed once.
        """
        if name == STREET_COUNTS:
            if name not in self._cache:
                self._cache[name] = street_counts(self.processed)
            return self._cache[name]
        if self.processed is None or not self.processed.has(name):
            return None
        return self.processed.table(name)

    def tables(self, *names: str) -> dict[str, pd.DataFrame]:
        """``{name: table}`` for those of *names* that were ingested, in the order given."""
        return {n: t for n in names if (t := self.table(n)) is not None}

    @property
    def measures(self) -> pd.DataFrame:
        """The measure definitions (:func:`~wmp_analysis.measures.targets.load_measures`)."""
        if "measures" not in self._cache:
            from wmp_analysis.measures.targets import load_measures

            self._cache["measures"] = load_measures()
        return self._cache["measures"]

    @property
    def registry(self) -> pd.DataFrame:
        """The targets registry of the config (or the project's), checked against the measures."""
        if "registry" not in self._cache:
            from wmp_analysis.measures.targets import load_registry

            self._cache["registry"] = load_registry(
                self.cfg.sources.get("registry"), measures=self.measures
            )
        return self._cache["registry"]

    @property
    def measure_names(self) -> pd.Series:
        """``measure_id -> name`` (for figure titles)."""
        return self.measures.set_index("measure_id")["name"]

    def survey(self, path: str | Path | None = None) -> pd.DataFrame | None:
        """The survey extract: read from *path* when given (a notebook override), else the
        processed ``survey`` table. A synthetic *path* makes the section synthetic."""
        if not path:
            return self.table("survey")
        from wmp_analysis.ingest.survey import read_survey
        from wmp_analysis.provenance import SYNTHETIC, is_synthetic, origin_of

        if is_synthetic(path):
            origins = {**(self.origins or {}), "survey": SYNTHETIC}
            keys = [*(self.origin or {}).get("real", []), *(self.origin or {}).get("synthetic", [])]
            used = {k: v for k, v in origins.items() if k in {*keys, "survey"}}
            self.origin = {
                "origin": origin_of(used),
                "real": sorted(k for k, v in used.items() if v != SYNTHETIC),
                "synthetic": sorted(k for k, v in used.items() if v == SYNTHETIC),
            }
            self.origins = origins
            self.run.synthetic = True
        return read_survey(path)

    def plan_measures(self) -> pd.DataFrame:
        """The measures for which the config's plan sets a measurable target."""
        from wmp_analysis.measures.targets import registry_for_plan

        t = registry_for_plan(self.registry, self.cfg.plan)
        return self.measures[self.measures["measure_id"].isin(t.loc[t["measurable"], "measure_id"])]

    def option(self, name: str, default: Any, given: Any = None) -> Any:
        """A notebook parameter *given*, else the config's option *name*, else *default*."""
        return self.cfg.option(name, default) if given is None else given

    def stop_search_inputs(self, period=None):
        """The searches (within *period*) and the 2011 Census table for ``04_equality_breakdowns``.

        Shows the denominator caveats, the sources not supplied and why rates are not
        measurable although supplied (:func:`wmp_analysis.analysis.stopsearch.availability_notes`).
        Returns ``(searches or None, census or None)``.
        """
        from wmp_analysis.analysis import stopsearch

        self.notes([stopsearch.RESIDENTIAL_POPULATION_CAVEAT, stopsearch.DENOMINATOR_NOTE])
        self.say_missing(["police_uk", *stopsearch.CENSUS_KEYS])
        searches = stopsearch.in_period(self.table("stop_search"), period)
        census = self.table("census_ethnicity")
        self.notes(
            stopsearch.availability_notes(
                searches,
                census,
                police_uk_supplied=self.supplied("police_uk"),
                census_supplied=self.supplied(*stopsearch.CENSUS_KEYS),
            )
        )
        return searches, census

    # ------------------------------------------------------------------ showing
    def note(self, text: Any) -> None:
        """Show a message (escaped)."""
        _show_html(note_html(text))

    def notes(self, texts) -> None:
        """Show each of *texts* (:meth:`note`)."""
        for t in texts:
            self.note(t)

    def show_by(self, df: pd.DataFrame, column: str) -> None:
        """Show *df* as one table per value of *column* (in order of appearance)."""
        from IPython.display import display

        for _, part in df.groupby(column, sort=False):
            display(part)

    def banner(self) -> None:
        """Show the synthetic banner when an input of this section is synthetic (else nothing)."""
        text = banner_html(self.origin)
        if text:
            _show_html(text)

    def not_supplied(self, *keys: str) -> None:
        """Say which sources this part lacks and (the first time) what they would give."""
        from wmp_analysis.availability import not_supplied_note

        _show_html(not_supplied_html(not_supplied_note(*keys, brief=keys in self._said)))
        self._said.add(keys)

    def say_missing(self, keys) -> None:
        """:meth:`not_supplied` for each of *keys* the config does not supply."""
        from wmp_analysis.availability import missing_sources

        for key in missing_sources(self.cfg, list(keys)):
            self.not_supplied(key)

    def supplied(self, *keys: str) -> bool:
        """True when the config supplies at least one of *keys*."""
        return any(self.cfg.sources.get(k) is not None for k in keys)

    def origin_of(self, *keys: str) -> str:
        """``"synthetic"`` when any supplied source of *keys* is synthetic, else ``"real"``
        (``""`` when none is supplied): the ``data`` marker of a row made from them."""
        from wmp_analysis.provenance import SYNTHETIC, origin_of

        got = origin_of(self.origins or {}, keys)
        return "" if got is None else SYNTHETIC if got != "real" else "real"

    def source_text(self, *keys: str) -> str:
        """The sources *keys* by name with their origin, for a figure caption:
        ``"ONS recorded crime by police force area; and ONS mid-year population (real data)"``."""
        from wmp_analysis.provenance import _source_names

        supplied = [k for k in keys if k in (self.origins or {})]
        origin = self.origin_of(*supplied)
        return _source_names(supplied) + (f" ({origin} data)" if origin else "")

    def mark(self, df: pd.DataFrame, *keys: str, sources: pd.DataFrame | None = None):
        """*df* with its row-level ``data`` marker (``"real"``/``"synthetic"``), as target tables have.

        With *keys*: every row is made from those sources (:meth:`origin_of`). Without: each
        row's ``source`` column (or, when *df* has none, the ``source`` of the row of
        *sources* with the same ``measure_id`` and ``geography``) names the source.
        """
        from wmp_analysis.analysis.compare import source_key

        out = df.copy()
        if keys:
            out["data"] = self.origin_of(*keys)
            return out
        if "source" in out.columns:
            src = out["source"]
        else:
            look = sources.drop_duplicates(["measure_id", "geography"]).set_index(
                ["measure_id", "geography"]
            )["source"]
            src = pd.Series(
                [look.get((m, g)) for m, g in zip(out["measure_id"], out["geography"])],
                index=out.index,
            )
        marks = [self.origin_of(k) if (k := source_key(s)) else "" for s in src]
        if "source" in out.columns:  # beside its source, as compare.mark_origin puts it
            out.insert(list(out.columns).index("source") + 1, "data", marks)
        else:
            out["data"] = marks
        return out

    # ------------------------------------------------------------------ writing
    def save_table(self, df: pd.DataFrame, name: str, **kw) -> Path:
        """:meth:`RunContext.save_table`."""
        return self.run.save_table(df, name, **kw)

    def save_figure(self, fig, name: str, **kw) -> list[Path]:
        """:meth:`RunContext.save_figure`."""
        return self.run.save_figure(fig, name, **kw)

    def save_figures(self, figures, **kw) -> None:
        """Save each figure of *figures*, in order, as it comes.

        *figures*: a mapping or an iterable of ``(name, figure)`` pairs (the plot modules'
        ``*_figures`` functions yield them one at a time, so one figure is open at once);
        a figure may be ``(figure, synthetic)`` to label it by its own inputs.
        """
        pairs = figures.items() if isinstance(figures, Mapping) else figures
        for fig_name, fig in pairs:
            if isinstance(fig, tuple):
                fig, synthetic = fig
                self.run.save_figure(fig, fig_name, synthetic=synthetic, **kw)
            else:
                self.run.save_figure(fig, fig_name, **kw)

    # ------------------------------------------------------------------ 01 only
    def ingest(self, force: bool = False):
        """Run the ingest (``01_ingest``), then tell the origins and open the run context.

        The origins are told after the ingest because the ingest may generate the synthetic
        sample first (``sample.generate``). Returns the ingest's result.
        """
        from wmp_analysis.ingest.pipeline import run_ingest
        from wmp_analysis.provenance import section_origin, source_origins

        result = run_ingest(self.cfg, force=bool(force))
        self.origins = source_origins(self.cfg)
        self.origin = section_origin(self.cfg, self.name, self.origins)
        self.run = RunContext(
            self.output_dir, result.synthetic, self.name, figure_formats=figure_formats(self.cfg)
        )
        return result


def start(
    config_path: str | Path,
    output_dir: str | Path,
    name: str,
    *,
    overrides: Mapping[str, Any] | None = None,
    run_dir: str | Path | None = None,
    load: bool = True,
    optional: bool = False,
) -> Section:
    """Set up a section notebook: config, output folder, processed data, origins, run context.

    Parameters
    ----------
    config_path : str or Path
        The run configuration (resolved from the current folder or the project root).
    output_dir : str or Path
        This section's output folder; a relative path is taken from the project root.
    name : str
        Section id, a key of :data:`wmp_analysis.provenance.SECTION_SOURCES`.
    overrides : mapping, optional
        Notebook parameters for :func:`wmp_analysis.analysis.compare.apply_overrides`
        (``force``, ``plan``, periods, ``districts``; None values keep the config's).
    run_dir : str or Path, optional
        The folder holding every section (default: *output_dir*).
    load : bool, default True
        Load the processed tables, the origins and open the run context now. False for
        ``01_ingest``, which does it in :meth:`Section.ingest`.
    optional : bool, default False
        When the processed tables are not there (:class:`NotIngestedError`), say so and go
        on with ``processed = None`` instead of raising.

    Raises
    ------
    ConfigError
        A bad config or override, or a supplied source whose origin cannot be told.
    NotIngestedError
        No processed tables for this config (unless *optional*).
    """
    from wmp_analysis.config import load_config

    cfg = load_config(config_path)
    overridden = False
    if overrides is not None:
        from wmp_analysis.analysis.compare import apply_overrides

        cfg, overridden = apply_overrides(cfg, **dict(overrides))
    out = _resolve(output_dir)
    sec = Section(
        cfg=cfg,
        name=name,
        output_dir=out,
        run_dir=_resolve(run_dir) if run_dir else out,
        periods_overridden=bool(overridden),
    )
    if not load:
        return sec
    from wmp_analysis.ingest.pipeline import NotIngestedError, load_processed
    from wmp_analysis.provenance import section_origin, source_origins

    try:
        sec.processed = load_processed(cfg)
    except NotIngestedError as exc:
        if not optional:
            raise
        sec.note(f"Processed data are not available: {exc}")
    sec.origins = source_origins(cfg)
    sec.origin = section_origin(cfg, name, sec.origins)
    sec.run = RunContext(
        out, synthetic=sec.synthetic, section=name, figure_formats=figure_formats(cfg)
    )
    return sec
