"""Which sources a run was given, and what a section says when one is not supplied.

Every source in a config is optional. A section that needs a source the config does
not name shows one line saying so - which source (its ``sources.<key>``), what kind
of file it is, and what the section would show with it - and never fails or shows
zeros in its place. The wording lives here, once, so the notebooks, the briefing
page and the tests agree.

Example
-------
>>> not_supplied_note("survey")  # doctest: +ELLIPSIS
'Not supplied: sources.survey (the force\\'s survey extract ...). With it this section would show ...'
"""

from __future__ import annotations

from collections.abc import Iterable

#: The status word used for a source the config does not name (as in the ingest manifest).
NOT_SUPPLIED = "not supplied"

#: Each source key: (what the file is, what the sections that use it would show).
SOURCE_USES: dict[str, tuple[str, str]] = {
    "ons_pfa": (
        "ONS recorded crime by police force area, rec-crime-pfa.csv",
        (
            "the force-level recorded crime series: baselines, control limits, the status of every "
            "recorded-crime target, the similar-force comparison and the plans' own claims recomputed"
        ),
    ),
    "csp": (
        "Home Office recorded crime open data tables at Community Safety Partnership level",
        (
            "district series by financial quarter, their seasonal profile, control limits and the "
            "district ranking of each target"
        ),
    ),
    "police_uk": (
        "data.police.uk monthly street, outcomes and stop-and-search files",
        (
            "district series by month (a proxy where CSP tables are absent), year-end projections from "
            "monthly counts, and stop-and-search rates, relative rates and outcomes by ethnic group"
        ),
    ),
    "census_ethnicity_la": (
        "2011 Census ethnic group by local authority",
        (
            "the residents by ethnic group that stop-and-search rates per 1,000 are divided by "
            "(the force's districts)"
        ),
    ),
    "census_ethnicity_force": (
        "2011 Census ethnic group by police force area",
        (
            "the residents by ethnic group that stop-and-search rates per 1,000 are divided by "
            "(the force area as a whole)"
        ),
    ),
    "census_age_ethnicity_2021": (
        "2021 Census ethnic group by age by local authority",
        "stop-and-search rates by age range (a labelled proxy denominator)",
    ),
    "population": (
        "ONS mid-year population totals",
        "mid-year population totals in the processed data (listed in the ingest section)",
    ),
    "lsoa_lookup": (
        "LSOA 2011 to ward and district lookup",
        "the district of each police.uk record (without it every record is 'unassigned')",
    ),
    "lad_lookup": (
        "district to CSP to police force area lookup",
        "the link from districts to CSPs and force areas used by the force-level census table",
    ),
    "survey": (
        "the force's survey extract in the contract of docs/survey_contract.md",
        (
            "satisfaction and confidence by ethnic group and age with 95% intervals, the gaps against "
            "the reference groups (SPI 1.2 form), the survey targets' statuses and the plans' reported "
            "survey figures checked"
        ),
    ),
}


#: Said beside a CSP "not supplied" note when police.uk data stand in for the districts.
POLICE_UK_INSTEAD = "The districts use police.uk monthly counts instead (a labelled proxy)."


def missing_sources(cfg, keys: Iterable[str]) -> list[str]:
    """The keys among *keys* that the config *cfg* does not supply (in the given order).

    A key counts as supplied when ``cfg.sources`` names a path for it.
    """
    return [k for k in keys if cfg.sources.get(k) is None]


def not_supplied_note(*keys: str, brief: bool = False) -> str:
    """One sentence naming the sources not supplied and what they would give.

    Parameters
    ----------
    *keys : str
        Source keys (``"survey"``, ``"police_uk"``...), at least one.
    brief : bool
        Leave out what the sources would give (for a second mention on the same page).

    Returns
    -------
    str
        ``"Not supplied: sources.<key> (<what it is>)[ and ...]. With it this section would show
        <what it gives>."``
    """
    if not keys:
        raise ValueError("name at least one source key")
    named = [f"sources.{k} ({SOURCE_USES.get(k, (k, ''))[0]})" for k in keys]
    gives = [SOURCE_USES[k][1] for k in keys if k in SOURCE_USES and SOURCE_USES[k][1]]
    verb = "it" if len(keys) == 1 else "them"
    text = f"Not supplied: {' and '.join(named)}."
    if gives and not brief:
        text += f" With {verb} this section would show {'; and '.join(gives)}."
    return text


def district_sources_note(tables: dict) -> list[str]:
    """Why there is no district series, given the ``csp`` and ``police_uk`` tables (None = not supplied).

    Returns one :func:`not_supplied_note` for the sources not supplied and one sentence for
    those supplied that hold no district rows, e.g. police.uk records that no LSOA lookup
    placed in a district.
    """
    absent = [k for k in ("csp", "police_uk") if tables.get(k) is None]
    empty = [k for k in ("csp", "police_uk") if tables.get(k) is not None]
    out = [not_supplied_note(*absent)] if absent else []
    if empty:
        names = " and ".join({"csp": "CSP", "police_uk": "police.uk"}[k] for k in empty)
        out.append(
            f"The {names} data supplied hold no rows for the districts (the ingest section shows "
            "the district assignment): no district series."
        )
    return out
