"""Downloading data.police.uk monthly archives.

``https://data.police.uk/data/archive/YYYY-MM.zip`` holds every force's street,
outcomes and stop-and-search CSVs for the 36 months up to ``YYYY-MM``.
data.police.uk keeps **only the latest 36 months** of archives online: an older
month answers 404 and must come from a copy kept earlier (record its sha256).

Behaviour of :func:`download_archive`:

* streams with ``requests`` (connect and read timeouts) and shows a ``tqdm``
  progress bar;
* writes to ``<name>.part`` and renames to ``<name>`` only when the body is
  complete: the byte count equals ``Content-Length`` (when the server sends one)
  and the file is a readable zip;
* retries connection errors, timeouts (including a stall mid-body), HTTP 5xx,
  short bodies and non-zip bodies, with exponential back-off
  (``backoff * 2**attempt`` seconds), at most ``retries`` times after the first
  attempt; then raises :class:`~wmp_analysis.errors.DownloadError`;
* an HTTP 4xx is not retried (404 usually means the month is older than 36
  months);
* on any failure the ``.part`` file is removed: no partial file is left that
  could be taken as complete.
"""

from __future__ import annotations

import hashlib
import os
import re
import time
import zipfile
from dataclasses import dataclass
from pathlib import Path

import requests
from tqdm.auto import tqdm

from wmp_analysis.errors import DownloadError

DEFAULT_BASE_URL = "https://data.police.uk/data/archive"
_CHUNK = 1 << 16


@dataclass(frozen=True)
class DownloadRecord:
    """A completed download: final ``path``, hex ``sha256``, ``size`` in bytes, ``url``."""

    path: Path
    sha256: str
    size: int
    url: str


class _Retryable(Exception):
    """A failure worth another attempt."""


def archive_url(month: str, base_url: str = DEFAULT_BASE_URL) -> str:
    """URL of the archive for *month* (``YYYY-MM``)."""
    return f"{base_url.rstrip('/')}/{month}.zip"


def download_archive(
    month: str,
    dest_dir: str | Path,
    *,
    base_url: str = DEFAULT_BASE_URL,
    timeout: tuple[float, float] = (10, 60),
    retries: int = 3,
    backoff: float = 1.0,
    progress: bool = True,
    session: requests.Session | None = None,
) -> DownloadRecord:
    """Download ``<base_url>/<month>.zip`` into *dest_dir*.

    Parameters
    ----------
    month : str
        ``YYYY-MM``; the archive holds the 36 months up to it.
    dest_dir : path-like
        Folder for ``<month>.zip`` (created if missing).
    base_url : str
        Archive folder URL.
    timeout : (float, float)
        Connect and read timeouts in seconds (the read timeout applies to every
        wait for data, so a stalled body fails).
    retries : int
        Further attempts after the first (so at most ``retries + 1`` requests).
    backoff : float
        Seconds before the first retry; doubled for each further retry.
    progress : bool
        Show a tqdm progress bar.
    session : requests.Session, optional
        For connection reuse or tests.

    Returns
    -------
    DownloadRecord

    Raises
    ------
    DownloadError
        After the bounded retries, or at once for an HTTP 4xx; the message names
        the URL, the attempts and the last problem.
    ValueError
        *month* is not ``YYYY-MM``.
    """
    if not re.fullmatch(r"\d{4}-(0[1-9]|1[0-2])", str(month)):
        raise ValueError(f"month {month!r} is not YYYY-MM")
    if retries < 0:
        raise ValueError("retries must be >= 0")
    dest_dir = Path(dest_dir)
    dest_dir.mkdir(parents=True, exist_ok=True)
    url = archive_url(month, base_url)
    final = dest_dir / f"{month}.zip"
    part = dest_dir / f"{month}.zip.part"
    sess = session or requests.Session()
    last: str = "no attempt made"
    attempts = 0
    try:
        for attempt in range(retries + 1):
            attempts = attempt + 1
            try:
                return _attempt(sess, url, final, part, timeout, progress)
            except DownloadError:
                raise
            except (
                requests.ConnectionError,
                requests.Timeout,
                requests.exceptions.ChunkedEncodingError,
                requests.exceptions.ContentDecodingError,
                _Retryable,
            ) as exc:
                last = f"{type(exc).__name__}: {exc}"
                part.unlink(missing_ok=True)
                if attempt < retries:
                    time.sleep(backoff * (2**attempt))
    finally:
        part.unlink(missing_ok=True)
        if session is None:
            sess.close()
    raise DownloadError(
        f"could not download {url} after {attempts} attempt(s); last problem: {last}. "
        f"No file was written to {final}."
    )


def _attempt(sess, url: str, final: Path, part: Path, timeout, progress: bool) -> DownloadRecord:
    with sess.get(url, stream=True, timeout=timeout) as resp:
        if resp.status_code >= 500:
            raise _Retryable(f"HTTP {resp.status_code}")
        if resp.status_code != 200:
            hint = (
                " (data.police.uk keeps only the latest 36 months)"
                if resp.status_code == 404
                else ""
            )
            raise DownloadError(
                f"HTTP {resp.status_code} for {url}{hint}; not retried. No file was written."
            )
        length = resp.headers.get("Content-Length")
        expected = int(length) if length and length.isdigit() else None
        digest = hashlib.sha256()
        size = 0
        with (
            open(part, "wb") as fh,
            tqdm(
                total=expected,
                unit="B",
                unit_scale=True,
                desc=final.name,
                disable=not progress,
                leave=False,
            ) as bar,
        ):
            for chunk in resp.iter_content(_CHUNK):
                if not chunk:
                    continue
                fh.write(chunk)
                digest.update(chunk)
                size += len(chunk)
                bar.update(len(chunk))
            fh.flush()
            os.fsync(fh.fileno())
    if expected is not None and size != expected:
        raise _Retryable(f"short body: received {size} of {expected} bytes")
    if not zipfile.is_zipfile(part):
        raise _Retryable(f"body of {size} bytes is not a complete zip archive")
    os.replace(part, final)
    return DownloadRecord(path=final, sha256=digest.hexdigest(), size=size, url=url)
