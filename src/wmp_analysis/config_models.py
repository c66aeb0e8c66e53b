"""The pydantic models of a run config: every key, its type, range and description.

A validation layer only (see :mod:`wmp_analysis.config_schema`): unknown keys are errors,
values are not coerced from text, and each field's ``description`` is the "expected" text
of its error.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, field_validator

#: Plans a config may assess.
PLANS = ("spp-2012-15", "pcp-2014-15")

#: Formats a run may write its figures in (``runner.figure_formats``); the default is both.
FIGURE_FORMATS = ("png", "svg")


#: Source keys a config may name, and what each is.
SOURCE_KEYS = {
    "ons_pfa": "ONS recorded crime by police force area CSV (rec-crime-pfa.csv layout)",
    "csp": "Home Office recorded crime open data, CSP level (file or folder)",
    "police_uk": "data.police.uk monthly CSVs (folder as the archive unzips, or a .zip)",
    "census_ethnicity_la": "2011 Census ethnic group by local authority (la-ethnic-groups.csv layout)",
    "census_ethnicity_force": "2011 Census ethnic group by police force area (force-demographics.csv layout)",
    "census_age_ethnicity_2021": "2021 Census ethnic group by single year of age by LA (census.csv layout)",
    "population": "ONS mid-year population totals (regionalpopulation.csv layout)",
    "lsoa_lookup": "LSOA 2011 to ward/LAD lookup (ONS Open Geography layout)",
    "lad_lookup": "LAD to CSP to PFA lookup (ONS Open Geography layout)",
    "survey": "Survey extract meeting the respondent-level or aggregated survey contract",
    "registry": "Target registry CSV (defaults to the project's data/raw/targets/registry.csv)",
}


#: What each source path may be: ``file``, ``file or folder``, or ``police_uk`` (a folder
#: laid out as the archive unzips, a ``.zip``, or one ``YYYY-MM-<force>-<kind>.csv[.gz]``).
SOURCE_SHAPES = {key: "file" for key in SOURCE_KEYS} | {
    "csp": "file or folder",
    "police_uk": "police_uk",
}


def _int_as_text(value: Any) -> Any:
    """Accept a YAML integer where a name is expected (``name: 2012``), as before the schema."""
    return str(value) if isinstance(value, int) and not isinstance(value, bool) else value


Text = Annotated[str, BeforeValidator(_int_as_text)]


class _Section(BaseModel):
    """A mapping in the config: unknown keys are errors, values are not coerced from text."""

    model_config = ConfigDict(extra="forbid", strict=True, frozen=True)


class PeriodSpec(_Section):
    """``{start: YYYY-MM-DD, end: YYYY-MM-DD}`` (inclusive); dates checked by :func:`parse_period`."""

    start: str = Field(description="an ISO date YYYY-MM-DD")
    end: str = Field(description="an ISO date YYYY-MM-DD")


class Sources(_Section):
    """Input files and folders; a key left out (or empty) is "not supplied"."""

    ons_pfa: str | None = Field(None, description=SOURCE_KEYS["ons_pfa"])
    csp: str | None = Field(None, description=SOURCE_KEYS["csp"])
    police_uk: str | None = Field(None, description=SOURCE_KEYS["police_uk"])
    census_ethnicity_la: str | None = Field(None, description=SOURCE_KEYS["census_ethnicity_la"])
    census_ethnicity_force: str | None = Field(
        None, description=SOURCE_KEYS["census_ethnicity_force"]
    )
    census_age_ethnicity_2021: str | None = Field(
        None, description=SOURCE_KEYS["census_age_ethnicity_2021"]
    )
    population: str | None = Field(None, description=SOURCE_KEYS["population"])
    lsoa_lookup: str | None = Field(None, description=SOURCE_KEYS["lsoa_lookup"])
    lad_lookup: str | None = Field(None, description=SOURCE_KEYS["lad_lookup"])
    survey: str | None = Field(None, description=SOURCE_KEYS["survey"])
    registry: str | None = Field(None, description=SOURCE_KEYS["registry"])


class SurveyOptions(_Section):
    min_base: int = Field(
        50, ge=1, description="a whole number of respondents >= 1 (smaller bases are suppressed)"
    )


class RunnerOptions(_Section):
    kernel: str = Field("wmp-analysis", description="the name of an installed Jupyter kernel")
    timeout_per_notebook: int = Field(1800, gt=0, description="a whole number of seconds > 0")
    cell_timeout: int | None = Field(None, gt=0, description="a whole number of seconds > 0")
    lock_wait: float = Field(
        0, ge=0, description="seconds >= 0 to wait for another run (0 = refuse at once)"
    )
    parallel: int = Field(
        1, ge=1, description="a whole number of notebooks >= 1 to run side by side"
    )
    warm_kernels: int = Field(
        5,
        ge=0,
        description="a whole number >= 0 of notebooks whose kernels start ahead of their turn "
        "(0 = each notebook starts its own)",
    )
    pdf: bool = Field(True, description="true or false (write briefing.pdf at publish)")
    figure_formats: list[str] = Field(
        default_factory=lambda: list(FIGURE_FORMATS),
        min_length=1,
        description="a list of figure formats, each png or svg, at least one, none twice "
        "(default [png, svg])",
    )

    @field_validator("figure_formats")
    @classmethod
    def _known_formats_once(cls, v: list[str]) -> list[str]:
        unknown = [f for f in v if f not in FIGURE_FORMATS]
        if unknown:
            raise ValueError(
                f"unknown figure format {', '.join(map(repr, unknown))}; "
                f"the formats are {', '.join(FIGURE_FORMATS)}"
            )
        twice = sorted({f for f in v if v.count(f) > 1})
        if twice:
            raise ValueError(f"figure format listed twice: {', '.join(twice)}")
        return v


class SampleOptions(_Section):
    generate: bool = Field(True, description="true or false")
    seed: int = Field(ge=0, description="a whole number >= 0 (the generator's master seed)")
    dir: str = Field("data/raw/sample", description="a folder for the generated sample")
    scale: float = Field(
        1.0, gt=0, le=10, description="a number in (0, 10], 1 = the full-size sample"
    )


class IngestOptions(_Section):
    lock_timeout: float = Field(
        600, ge=0, description="seconds >= 0 to wait for another ingest of this config"
    )
    max_unknown_share: float = Field(
        0.005,
        ge=0,
        lt=1,
        description="a share 0 <= x < 1 of a file's rows with an unknown category value that stops the ingest",
    )


class AssessmentFields(_Section):
    """One plan measured over one baseline and one target period (see the module notes)."""

    plan: Literal[PLANS] = Field(description=" or ".join(PLANS))
    baseline: PeriodSpec = Field(description="{start: YYYY-MM-DD, end: YYYY-MM-DD}")
    target_period: PeriodSpec = Field(
        description="{start: YYYY-MM-DD, end: YYYY-MM-DD}, after the baseline"
    )


class Assessment(AssessmentFields):
    """One item of ``assessments:`` (the same three keys, checked the same way)."""


class ConfigSchema(AssessmentFields):
    """Every key a run config may hold.

    ``plan``, ``baseline`` and ``target_period`` are required unless ``assessments`` lists
    the run's assessments instead (:func:`wmp_analysis.config.load_config` checks that
    exactly one of the two forms is used).
    """

    plan: Literal[PLANS] | None = Field(None, description=" or ".join(PLANS))
    baseline: PeriodSpec | None = Field(None, description="{start: YYYY-MM-DD, end: YYYY-MM-DD}")
    target_period: PeriodSpec | None = Field(
        None, description="{start: YYYY-MM-DD, end: YYYY-MM-DD}, after the baseline"
    )
    assessments: list[Assessment] | None = Field(
        None,
        min_length=1,
        description="a list of {plan, baseline: {start, end}, target_period: {start, end}} (at least one)",
    )

    name: Text = Field(description="a short id of letters, digits, - or _ (used as a folder name)")
    title: Text | None = Field(None, description="a single line of text")
    force: Text = Field(description="a police force area name, as in the ONS file and the lookups")
    comparators: list[str] = Field(
        default_factory=list, description="a list of police force area names"
    )
    districts: list[str] = Field(
        default_factory=list, description="a list of local authority district names"
    )
    police_uk_months: PeriodSpec | None = Field(
        None, description="{start: YYYY-MM-DD, end: YYYY-MM-DD}"
    )
    sources: Sources | None = Field(
        description="a mapping of source key -> path (empty: nothing supplied)"
    )
    survey: SurveyOptions | None = None
    alpha: float = Field(
        0.05, gt=0, lt=1, description="a number between 0 and 1 (exclusive), e.g. 0.05"
    )
    runner: RunnerOptions | None = None
    sample: SampleOptions | None = None
    ingest: IngestOptions | None = None
    processed_dir: str | None = Field(None, description="a folder path")
    reports_dir: str | None = Field(None, description="a folder path")

    @field_validator("name")
    @classmethod
    def _plain_slug(cls, v: str) -> str:
        if not v or not v.replace("-", "").replace("_", "").isalnum():
            raise ValueError("name must be letters, digits, - or _")
        return v
