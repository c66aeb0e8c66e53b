"""Notebook parameter overrides applied to a run config (:func:`apply_overrides`)."""

from __future__ import annotations

from typing import Any

from wmp_analysis.periods import Period


def apply_overrides(
    cfg,
    *,
    force=None,
    plan=None,
    baseline_start=None,
    baseline_end=None,
    target_start=None,
    target_end=None,
    districts=None,
):
    """A copy of *cfg* with notebook parameter overrides (None = keep the config's value).

    Dates are ISO strings parsed here. Returns ``(cfg, periods_overridden)``; when
    any period is overridden, targets are evaluated on the config periods
    (``use_config_periods=True``).

    Raises
    ------
    ConfigError
        For an unknown plan, an incomplete or reversed period.
    """
    import dataclasses

    from wmp_analysis.config import PLANS
    from wmp_analysis.errors import ConfigError

    changes: dict[str, Any] = {}
    if force is not None:
        changes["force"] = str(force)
    if plan is not None:
        if plan not in PLANS:
            raise ConfigError(f"unknown plan {plan!r}", field="plan", expected=" or ".join(PLANS))
        changes["plan"] = plan
    overridden = False
    for name, start, end in (
        ("baseline", baseline_start, baseline_end),
        ("target_period", target_start, target_end),
    ):
        if start is None and end is None:
            continue
        if start is None or end is None:
            raise ConfigError("give both start and end", field=name, expected="two ISO dates")
        try:
            changes[name] = Period.from_strings(str(start), str(end), field=name)
        except ValueError as exc:
            raise ConfigError(str(exc), field=name, expected="ISO dates, start <= end") from None
        overridden = True
    if districts is not None:
        changes["districts"] = list(districts)
    if "plan" in changes or overridden:  # one assessment asked for: the config's others are not run
        changes["assessment_list"] = ()
    return dataclasses.replace(cfg, **changes), overridden
