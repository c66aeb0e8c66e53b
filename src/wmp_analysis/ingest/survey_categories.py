"""The value sets of the survey contracts, and ethnicity labels mapped to census groups.

Surveys and their measures, age bands, sexes, the five 2011 Census ethnic groups and their
18 categories (``docs/survey_contract.md``); :func:`map_ethnicity` reads the labels
different publishers write for them.
"""

from __future__ import annotations

import re

#: Survey ids and the measures each may carry.
SURVEY_MEASURES = {
    "contact_counts_crime": ("crime_satisfaction",),
    "contact_counts_asb": ("asb_satisfaction",),
    "feeling_the_difference": ("confidence", "good_job"),
}


#: Measure ids (as in the target registry).
MEASURES = ("crime_satisfaction", "asb_satisfaction", "confidence", "good_job")


NOT_STATED = "Not stated"


#: Age bands, youngest first (``Not stated`` last).
AGE_BANDS = ("16-24", "25-34", "35-44", "45-54", "55-64", "65+", NOT_STATED)


#: Sex values accepted.
SEXES = ("Male", "Female", "Other", NOT_STATED)


#: The five 2011 Census ethnic groups, then ``Not stated``.
ETHNIC_GROUPS = ("White", "Mixed", "Asian", "Black", "Other", NOT_STATED)


#: Groups counted as black and minority ethnic (BME). All White categories
#: (including White Irish, Gypsy or Irish Traveller and Other White) count as White,
#: as in the Home Office SPI 1.2 White/BME split.
BME_GROUPS = ("Mixed", "Asian", "Black", "Other")


#: The 18 categories of the 2011 Census ethnic group question (QS201EW), by group.
CENSUS_CATEGORIES: dict[str, tuple[str, ...]] = {
    "White": (
        "English/Welsh/Scottish/Northern Irish/British",
        "Irish",
        "Gypsy or Irish Traveller",
        "Other White",
    ),
    "Mixed": (
        "White and Black Caribbean",
        "White and Black African",
        "White and Asian",
        "Other Mixed",
    ),
    "Asian": ("Indian", "Pakistani", "Bangladeshi", "Chinese", "Other Asian"),
    "Black": ("African", "Caribbean", "Other Black"),
    "Other": ("Arab", "Any other ethnic group"),
}


# Aliases for category names as written by different publishers (police.uk uses
# "Any other White background", Nomis "Other White", ...). Keys are normalised.
_CATEGORY_ALIASES = {
    "any other white background": "Other White",
    "any other mixed/multiple ethnic background": "Other Mixed",
    "any other mixed background": "Other Mixed",
    "any other asian background": "Other Asian",
    "any other black/african/caribbean background": "Other Black",
    "any other black background": "Other Black",
    "other ethnic group": "Any other ethnic group",
    "any other": "Any other ethnic group",
}


_GROUP_PREFIXES = (
    ("white", "White"),
    ("mixed", "Mixed"),
    ("asian", "Asian"),
    ("black", "Black"),
    ("other", "Other"),
    ("chinese", "Asian"),
)


_NOT_STATED_WORDS = {
    "not stated",
    "not recorded",
    "not known",
    "unknown",
    "prefer not to say",
    "refused",
}


def _norm(text: str) -> str:
    return re.sub(r"\s+", " ", str(text).strip().lower())


def _build_ethnicity_lookup() -> dict[str, tuple[str, str]]:
    """Normalised label -> (category, group). Category equals group for group-only labels."""
    lookup: dict[str, tuple[str, str]] = {}
    for group, cats in CENSUS_CATEGORIES.items():
        lookup[_norm(group)] = (group, group)
        for cat in cats:
            lookup[_norm(cat)] = (cat, group)
    for alias, cat in _CATEGORY_ALIASES.items():
        group = next(g for g, cats in CENSUS_CATEGORIES.items() if cat in cats)
        lookup.setdefault(alias, (cat, group))
    lookup["bme"] = ("BME", "BME")  # rejected below: a respondent needs a group
    return lookup


_ETH_LOOKUP = _build_ethnicity_lookup()


def map_ethnicity(label: str) -> tuple[str, str] | None:
    """Map an ethnicity label to ``(category, ethnic_group)``.

    Accepts the five group names, the 18 census category names on their own, and
    the prefixed forms used by Nomis (``"Asian/Asian British: Indian"``) and
    police.uk (``"Asian/Asian British - Indian"``), case-insensitively. Any
    'not stated' form gives ``("Not stated", "Not stated")``. Returns ``None`` for
    anything else (the caller raises).
    """
    text = _norm(label)
    if not text or text in _NOT_STATED_WORDS or text.endswith("not stated"):
        return (NOT_STATED, NOT_STATED)
    if text in _ETH_LOOKUP and text != "bme":
        return _ETH_LOOKUP[text]
    m = re.match(r"^(.*?)\s*(?::| - )\s*(.+)$", text)
    if m:
        prefix, sub = m.group(1), m.group(2)
        group = next((g for p, g in _GROUP_PREFIXES if prefix.startswith(p)), None)
        hit = _ETH_LOOKUP.get(sub)
        if group and hit and hit[1] == group:
            return hit
        if group and sub.startswith("any other") and sub.endswith("background"):
            return (f"Other {group}" if group != "Other" else "Any other ethnic group", group)
    return None
