"""police.uk force slugs: ``"West Midlands Police"`` -> ``"west-midlands"``."""

from __future__ import annotations

import re

_FORCE_ALIASES = {
    "metropolitan police service": "metropolitan",
    "metropolitan police": "metropolitan",
    "metropolitan": "metropolitan",
    "london, city of": "city-of-london",
    "city of london": "city-of-london",
    "city of london police": "city-of-london",
    "british transport police": "btp",
    "police service of northern ireland": "northern-ireland",
    "northern ireland": "northern-ireland",
}


def force_slug(name: str) -> str:
    """police.uk slug of a force: ``"West Midlands"`` / ``"West Midlands Police"`` -> ``"west-midlands"``.

    Also normalises ``Falls within`` values (``"Avon and Somerset Constabulary"`` ->
    ``"avon-and-somerset"``). A slug is returned unchanged.
    """
    n = str(name).strip().lower()
    if n in _FORCE_ALIASES:
        return _FORCE_ALIASES[n]
    n = n.replace("&", " and ")
    n = re.sub(r"\b(police service|constabulary|police)\b", " ", n)
    slug = re.sub(r"[^a-z0-9]+", "-", n).strip("-")
    return _FORCE_ALIASES.get(slug.replace("-", " "), slug)
