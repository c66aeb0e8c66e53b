"""The typed schema of a run config, and the errors it gives.

:func:`wmp_analysis.config.load_config` reads the YAML, then validates it here
(pydantic) before building the :class:`~wmp_analysis.config.RunConfig` every caller
uses. The schema is a validation layer only: ``RunConfig.options`` still holds the
values as written, and callers keep reading them with ``cfg.option("survey.min_base")``.

What is checked
---------------
* every key, at every level: an unknown key is an error that names the nearest valid
  key (``comparator:`` -> did you mean ``comparators``);
* types and ranges (``0 < alpha < 1``, ``survey.min_base >= 1``, integer notebook
  timeouts > 0, ``0 <= ingest.max_unknown_share < 1``, ...), see :class:`ConfigSchema`;
* dates are real ISO dates, periods run forwards, and the baseline ends before the
  target period starts (:func:`check_assessment`);
* a source path that exists is of the right kind: a folder where a file is expected
  is an error, and so is a file for ``police_uk`` other than a ``.zip`` or a police.uk
  monthly CSV (:data:`SOURCE_SHAPES`).

Every error is a :class:`~wmp_analysis.errors.ConfigError` naming the config file, the
line (from the YAML node marks), the key path (``survey.min_base``, ``districts[2]``),
the value (cut by :func:`~wmp_analysis.errors.shorten`) and what was expected.

Several assessments (issue 12)
------------------------------
``plan``, ``baseline`` and ``target_period`` are the fields of :class:`AssessmentFields`
and are checked by :func:`check_assessment`. A config gives them either at the top level
(one assessment, as every older config does) or as a list
``assessments: [{plan, baseline, target_period}, ...]`` (:class:`Assessment`), each item
checked by the same function (its errors name ``assessments[k].<key>`` and its line); the
first item is then the run's default assessment (``cfg.plan``, ``cfg.baseline``, ...).

Where the code is
-----------------
The models are in :mod:`~wmp_analysis.config_models`, the YAML lines and the wording of
schema errors in :mod:`~wmp_analysis.config_messages`, the date and path checks in
:mod:`~wmp_analysis.config_checks` and the pre-flight checks against the lookups in
:mod:`~wmp_analysis.config_preflight`; every public name is importable from here.
"""

from __future__ import annotations

from pathlib import Path

from pydantic import ValidationError

from wmp_analysis.config_checks import (  # noqa: F401 - re-exported (callers import them from here)
    check_assessment,
    check_folder_option,
    check_source_shape,
    parse_date,
    path_exists,
)
from wmp_analysis.config_messages import (  # noqa: F401 - re-exported (callers import them from here)
    key_lines,
    key_path,
    line_of,
    raise_validation,
)
from wmp_analysis.config_models import (  # noqa: F401 - re-exported (callers import them from here)
    PLANS,
    SOURCE_KEYS,
    SOURCE_SHAPES,
    Assessment,
    AssessmentFields,
    ConfigSchema,
    IngestOptions,
    PeriodSpec,
    RunnerOptions,
    SampleOptions,
    Sources,
    SurveyOptions,
    Text,
)
from wmp_analysis.config_preflight import (  # noqa: F401 - re-exported (callers import them from here)
    ons_force_names,
    preflight_names,
    preflight_sources,
)


def validate(raw: dict, path: Path, lines: dict[tuple, int]) -> ConfigSchema:
    """Validate the loaded YAML mapping *raw* against :class:`ConfigSchema`.

    Raises
    ------
    ConfigError
        For the first problem in the file (by line), naming the key path, line, value
        and what was expected; further problems are listed in the message.
    """
    try:
        return ConfigSchema.model_validate(raw)
    except ValidationError as exc:
        raise_validation(exc, path, lines)
        raise  # pragma: no cover - raise_validation always raises
