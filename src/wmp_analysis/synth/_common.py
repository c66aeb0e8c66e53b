"""Constants and small helpers shared by the synthetic-sample writers.

What is real here
-----------------
* :data:`LSOA_RUNS`: the 2011 LSOA codes of the seven West Midlands districts, as
  inclusive runs of the 6-digit number after ``E01`` (1,680 codes; checked against
  the ONS LSOA 2011 -> ward lookup in ``tests/test_synth.py``);
* district names and their ONS local authority (LAD), Community Safety Partnership
  (CSP) and police force area (PFA) codes, and the comparator forces' districts.
  These identifiers are public (ONS Open Geography).

Everything else (district centres, map points, street names, rates) is invented for
the synthetic sample and documented in ``docs/synthetic_sample.md``.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

#: Version of the generator; bump when the output of a given seed changes.
GENERATOR_VERSION = "1.0.0"

#: Independent random streams per component (``default_rng([seed, stream])``) so that
#: changing one writer never changes the others' output.
STREAMS = {"ons": 1, "geo": 2, "csp": 3, "police_uk": 4, "census": 5, "survey": 6}

FORCE = "West Midlands"
FORCE_PFA_CODE = "E23000014"
POLICE_UK_FORCE_SLUG = "west-midlands"
POLICE_UK_REPORTED_BY = "West Midlands Police"


@dataclass(frozen=True)
class District:
    """One West Midlands district.

    ``lad_code``/``csp_code`` are real ONS codes; ``population`` (2011, persons) and
    ``crime_factor`` (recorded crime per resident relative to the force) are synthetic
    calibration values; ``centre_en`` is an approximate OSGB easting/northing of the
    district's centre (metres), used only to place synthetic map points.
    """

    name: str
    lad_code: str
    csp_code: str
    population: int
    crime_factor: float
    centre_en: tuple[float, float]
    radius_m: float


#: The seven districts of the West Midlands police force area, in LAD-code order.
DISTRICTS: tuple[District, ...] = (
    District(
        "Birmingham", "E08000025", "E22000335", 1_071_000, 1.10, (407_500.0, 287_000.0), 7_500.0
    ),
    District("Coventry", "E08000026", "E22000336", 318_000, 1.05, (433_500.0, 279_000.0), 4_500.0),
    District("Dudley", "E08000027", "E22000337", 312_000, 0.80, (393_500.0, 289_500.0), 4_500.0),
    District("Sandwell", "E08000028", "E22000338", 310_000, 1.05, (400_500.0, 290_500.0), 4_000.0),
    District("Solihull", "E08000029", "E22000339", 205_000, 0.75, (417_000.0, 278_500.0), 5_000.0),
    District("Walsall", "E08000030", "E22000340", 271_000, 0.95, (401_500.0, 299_000.0), 4_500.0),
    District(
        "Wolverhampton", "E08000031", "E22000341", 251_000, 1.05, (391_500.0, 299_500.0), 3_800.0
    ),
)
DISTRICT_NAMES = tuple(d.name for d in DISTRICTS)

#: Real 2011 LSOA codes of each district: inclusive runs of the number after "E01".
LSOA_RUNS: dict[str, tuple[tuple[int, int], ...]] = {
    "Birmingham": (
        (8881, 8899),
        (8901, 8901),
        (8905, 8907),
        (8909, 8911),
        (8913, 8921),
        (8923, 8925),
        (8927, 8982),
        (8984, 8984),
        (8986, 8992),
        (8994, 9003),
        (9005, 9009),
        (9011, 9026),
        (9028, 9037),
        (9039, 9051),
        (9053, 9054),
        (9056, 9062),
        (9064, 9075),
        (9077, 9141),
        (9143, 9143),
        (9145, 9147),
        (9151, 9153),
        (9155, 9155),
        (9157, 9179),
        (9182, 9189),
        (9192, 9192),
        (9194, 9195),
        (9197, 9276),
        (9278, 9284),
        (9286, 9286),
        (9288, 9329),
        (9331, 9335),
        (9337, 9355),
        (9358, 9368),
        (9371, 9380),
        (9382, 9385),
        (9389, 9397),
        (9399, 9401),
        (9403, 9521),
        (32589, 32589),
        (32591, 32591),
        (33557, 33557),
        (33559, 33559),
        (33561, 33562),
        (33564, 33565),
        (33567, 33567),
        (33615, 33650),
    ),
    "Coventry": (
        (9522, 9532),
        (9535, 9544),
        (9548, 9550),
        (9552, 9594),
        (9596, 9599),
        (9604, 9672),
        (9674, 9674),
        (9676, 9676),
        (9679, 9679),
        (9681, 9718),
        (32527, 32538),
        (32587, 32587),
        (33058, 33058),
    ),
    "Dudley": ((9719, 9754), (9756, 9760), (9762, 9920), (33187, 33187)),
    "Sandwell": (
        (9921, 9944),
        (9946, 9983),
        (9985, 9989),
        (9991, 10107),
        (32592, 32592),
        (32887, 32887),
    ),
    "Solihull": ((10108, 10181), (10183, 10223), (10225, 10240), (32590, 32590), (32885, 32886)),
    "Walsall": ((10241, 10275), (10277, 10277), (10279, 10279), (10282, 10409), (32888, 32889)),
    "Wolverhampton": ((10410, 10567),),
}
#: Expected number of LSOAs per district (a guard on the run table above).
LSOA_COUNTS = {
    "Birmingham": 639,
    "Coventry": 195,
    "Dudley": 201,
    "Sandwell": 186,
    "Solihull": 134,
    "Walsall": 167,
    "Wolverhampton": 158,
}

#: Comparator forces: (PFA code, region as in the ONS file, [(LAD code, LAD name, CSP code)]).
#: Codes are the real public ONS codes (LAD/CSP/PFA lookup, December 2016).
COMPARATORS: dict[str, tuple[str, str, tuple[tuple[str, str, str], ...]]] = {
    "Greater Manchester": (
        "E23000005",
        "North West",
        (
            ("E08000001", "Bolton", "E22000099"),
            ("E08000002", "Bury", "E22000100"),
            ("E08000003", "Manchester", "E22000101"),
            ("E08000004", "Oldham", "E22000102"),
            ("E08000005", "Rochdale", "E22000103"),
            ("E08000006", "Salford", "E22000104"),
            ("E08000007", "Stockport", "E22000105"),
            ("E08000008", "Tameside", "E22000106"),
            ("E08000009", "Trafford", "E22000107"),
            ("E08000010", "Wigan", "E22000108"),
        ),
    ),
    "Merseyside": (
        "E23000004",
        "North West",
        (
            ("E08000011", "Knowsley", "E22000181"),
            ("E08000012", "Liverpool", "E22000182"),
            ("E08000013", "St. Helens", "E22000184"),
            ("E08000014", "Sefton", "E22000183"),
            ("E08000015", "Wirral", "E22000185"),
        ),
    ),
    "West Yorkshire": (
        "E23000010",
        "Yorkshire and The Humber",
        (
            ("E08000032", "Bradford", "E22000342"),
            ("E08000033", "Calderdale", "E22000343"),
            ("E08000034", "Kirklees", "E22000344"),
            ("E08000035", "Leeds", "E22000345"),
            ("E08000036", "Wakefield", "E22000346"),
        ),
    ),
}
FORCE_REGIONS = {FORCE: "West Midlands", **{k: v[1] for k, v in COMPARATORS.items()}}


def component_rng(seed: int, component: str) -> np.random.Generator:
    """The independent random generator of one sample component."""
    return np.random.default_rng([int(seed), STREAMS[component]])


def lsoa_codes() -> dict[str, list[str]]:
    """Real 2011 LSOA codes of each district, ascending, from :data:`LSOA_RUNS`."""
    out: dict[str, list[str]] = {}
    for name, runs in LSOA_RUNS.items():
        codes = [f"E01{n:06d}" for lo, hi in runs for n in range(lo, hi + 1)]
        if len(codes) != LSOA_COUNTS[name]:  # pragma: no cover - guards the constant
            raise AssertionError(f"{name}: {len(codes)} LSOA codes, expected {LSOA_COUNTS[name]}")
        out[name] = codes
    return out


def synthetic_lsoa_names(district: str, n: int) -> list[str]:
    """``"<District> NNNX"``-style names (synthetic MSOA numbers, ~5 LSOAs each)."""
    letters = "ABCDE"
    return [f"{district} {i // 5 + 1:03d}{letters[i % 5]}" for i in range(n)]


def months(start: str, end: str) -> pd.PeriodIndex:
    """Inclusive monthly period range from ``YYYY-MM`` strings."""
    return pd.period_range(pd.Period(start, "M"), pd.Period(end, "M"), freq="M")


def seasonal(month_of_year: np.ndarray, amplitude: float, peak_month: int) -> np.ndarray:
    """Multiplicative seasonal factor ``1 + a cos(2 pi (m - peak) / 12)`` (mean 1)."""
    m = np.asarray(month_of_year, dtype=float)
    return 1.0 + amplitude * np.cos(2 * np.pi * (m - peak_month) / 12.0)


def write_text(path: Path, text: str, *, bom: bool = False) -> Path:
    """Write UTF-8 text exactly (no newline translation); parent folders created."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "w", encoding="utf-8-sig" if bom else "utf-8", newline="") as fh:
        fh.write(text)
    return path


def frame_to_csv_text(
    df: pd.DataFrame,
    *,
    lineterminator: str = "\n",
    float_format: str | None = None,
    quote_all_strings: bool = False,
) -> str:
    """CSV text of *df* (header included, no index), deterministic formatting."""
    buf = io.StringIO()
    df.to_csv(
        buf,
        index=False,
        lineterminator=lineterminator,
        float_format=float_format,
        quoting=csv.QUOTE_NONNUMERIC if quote_all_strings else csv.QUOTE_MINIMAL,
    )
    return buf.getvalue()


def multinomial_rows(rng: np.random.Generator, n: np.ndarray, p: np.ndarray) -> np.ndarray:
    """Multinomial split of each count ``n[i]`` over the probabilities ``p[i]`` (rows sum to 1)."""
    n = np.asarray(n, dtype=np.int64)
    p = np.asarray(p, dtype=float)
    p = p / p.sum(axis=-1, keepdims=True)
    return rng.multinomial(n, p)


def draw_categories(rng: np.random.Generator, n: int, probs: np.ndarray) -> np.ndarray:
    """``n`` indices drawn with probabilities *probs* (vectorised inverse-CDF)."""
    cdf = np.cumsum(np.asarray(probs, dtype=float))
    cdf /= cdf[-1]
    return np.minimum(np.searchsorted(cdf, rng.random(n), side="right"), len(cdf) - 1)


def en_to_lonlat(easting: np.ndarray, northing: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Approximate OSGB36 easting/northing -> WGS84 longitude/latitude near Birmingham.

    A local linear approximation around (407000 E, 286600 N) = (-1.8970, 52.4800);
    accurate to a few hundred metres across the county, which is ample for synthetic
    map points (this is not a geodetic transformation).
    """
    lat = 52.4800 + (np.asarray(northing) - 286_600.0) / 111_250.0
    lon = -1.8970 + (np.asarray(easting) - 407_000.0) / (111_320.0 * np.cos(np.radians(52.48)))
    return lon, lat


def csv_field(value: str) -> str:
    """*value* quoted as a CSV field if it needs quoting (comma, quote, newline)."""
    if any(ch in value for ch in ',"\r\n'):
        return '"' + value.replace('"', '""') + '"'
    return value


def columns_to_csv_text(
    header: list[str], columns: list, n: int, *, lineterminator: str = "\n"
) -> str:
    """CSV text from column-wise string data, fast (no DataFrame).

    Parameters
    ----------
    header : list of str
    columns : list
        One entry per header field: a sequence of *n* strings (already CSV-safe: see
        :func:`csv_field`) or a single string repeated on every row.
    n : int
        Number of rows.
    """
    import itertools

    cols = [itertools.repeat(c, n) if isinstance(c, str) else c for c in columns]
    for c in columns:
        if not isinstance(c, str) and len(c) != n:  # pragma: no cover - programming error
            raise ValueError(f"column of length {len(c)}, expected {n}")
    lines = [",".join(csv_field(h) for h in header)]
    lines.extend(map(",".join, zip(*cols)))
    return lineterminator.join(lines) + lineterminator
