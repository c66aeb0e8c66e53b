"""Archive safety (traversal, bombs, corruption) and the downloader against a local server.

The HTTP server is started by the test on 127.0.0.1 (port 0); no other network.
"""

from __future__ import annotations

import hashlib
import io
import threading
import time
import zipfile
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from wmp_analysis.errors import ArchiveError, DownloadError
from wmp_analysis.ingest.archive import parse_file_name
from wmp_analysis.ingest.download import download_archive
from wmp_analysis.ingest.police_uk import STREET_COLUMNS, read_police_uk

HEADER = ",".join(STREET_COLUMNS) + "\n"
ROW = (
    "abc,2014-03,West Midlands Police,West Midlands Police,-1.89,52.48,On or near X,"
    "E01008881,Birmingham 001A,Burglary,Under investigation,\n"
)


def make_zip(entries: dict[str, bytes | str], compression=zipfile.ZIP_DEFLATED) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", compression) as zf:
        for name, data in entries.items():
            zf.writestr(name, data)
    return buf.getvalue()


def rows(n: int) -> str:
    """*n* street rows with distinct Crime IDs (a repeated Crime ID is a counted rejection)."""
    return "".join(ROW.replace("abc,", f"abc{i:05d},", 1) for i in range(n))


GOOD_ZIP = make_zip({"2014-03/2014-03-west-midlands-street.csv": HEADER + rows(50)})


# --------------------------------------------------------------------------- archive safety


def test_file_name_parsing():
    assert parse_file_name("2014-03-west-midlands-stop-and-search.csv") == (
        "2014-03",
        "west-midlands",
        "stop-and-search",
    )
    assert parse_file_name("2014-03-btp-outcomes.csv.gz") == ("2014-03", "btp", "outcomes")
    assert parse_file_name("west-midlands.csv") is None


@pytest.mark.parametrize(
    "entry",
    [
        "../2014-03-west-midlands-street.csv",
        "/etc/2014-03-west-midlands-street.csv",
        "2014-03/../../evil.csv",
        "C:/x/2014-03-west-midlands-street.csv",
    ],
)
def test_traversal_entries_refused(tmp_path, entry):
    z = tmp_path / "2014-03.zip"
    z.write_bytes(make_zip({"2014-03/2014-03-west-midlands-street.csv": HEADER + ROW, entry: "x"}))
    with pytest.raises(ArchiveError) as e:
        read_police_uk(z, force="West Midlands")
    assert entry in str(e.value) and e.value.field == entry
    assert not (tmp_path.parent / "evil.csv").exists()


def test_zip_bomb_by_declared_size(tmp_path):
    z = tmp_path / "2014-03.zip"
    # 5 MB of zeros in the crime-type column compresses to a few kB
    body = HEADER + ROW * 10 + "x" * 5_000_000 + "\n"
    z.write_bytes(make_zip({"2014-03/2014-03-west-midlands-street.csv": body}))
    assert z.stat().st_size < 50_000
    with pytest.raises(ArchiveError, match="zip bomb"):
        read_police_uk(z, force="West Midlands", max_uncompressed_bytes=1_000_000)


def test_zip_bomb_by_counted_bytes_when_header_lies(tmp_path):
    z = tmp_path / "2014-03.zip"
    data = bytearray(
        make_zip(
            {"2014-03/2014-03-west-midlands-street.csv": HEADER + ROW * 20_000},
            compression=zipfile.ZIP_STORED,
        )
    )
    # rewrite the declared uncompressed size (central directory) to a small number
    info = zipfile.ZipFile(io.BytesIO(bytes(data))).infolist()[0]
    real = info.file_size
    cd = data.rfind(b"PK\x01\x02")
    data[cd + 24 : cd + 28] = (100).to_bytes(4, "little")
    z.write_bytes(bytes(data))
    assert zipfile.ZipFile(z).infolist()[0].file_size == 100
    with pytest.raises(ArchiveError):
        read_police_uk(z, force="West Midlands", max_uncompressed_bytes=real // 2)


def test_truncated_zip(tmp_path):
    z = tmp_path / "2014-03.zip"
    z.write_bytes(GOOD_ZIP[: len(GOOD_ZIP) // 2])
    with pytest.raises(ArchiveError, match="not a readable zip"):
        read_police_uk(z, force="West Midlands")


def test_corrupt_member_crc(tmp_path):
    z = tmp_path / "2014-03.zip"
    data = bytearray(
        make_zip(
            {"2014-03/2014-03-west-midlands-street.csv": HEADER + ROW * 50},
            compression=zipfile.ZIP_STORED,
        )
    )
    i = data.find(b"Burglary")
    data[i : i + 8] = b"Burglarx"
    z.write_bytes(bytes(data))
    with pytest.raises(ArchiveError, match="corrupt"):
        read_police_uk(z, force="West Midlands")


# --------------------------------------------------------------------------- downloader


class Server:
    """A local HTTP server whose behaviour per request is scripted by *modes*."""

    def __init__(self, modes: list[str], body: bytes = GOOD_ZIP):
        self.modes = list(modes)
        self.body = body
        self.hits = 0
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *a):  # quiet
                pass

            def do_GET(self):
                outer.hits += 1
                mode = outer.modes.pop(0) if len(outer.modes) > 1 else outer.modes[0]
                body = outer.body
                if mode == "500":
                    self.send_response(500)
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                    return
                if mode == "404":
                    self.send_response(404)
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                    return
                self.send_response(200)
                if mode == "long-length":
                    self.send_header("Content-Length", str(len(body) + 1000))
                else:
                    self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                if mode == "ok" or mode == "long-length":
                    self.wfile.write(body)
                elif mode == "stall":
                    self.wfile.write(body[:100])
                    self.wfile.flush()
                    time.sleep(1.5)
                    try:
                        self.wfile.write(body[100:])
                    except OSError:
                        pass
                elif mode == "close":
                    self.wfile.write(body[: len(body) // 2])
                    self.wfile.flush()
                    self.close_connection = True
                    return

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.httpd.server_address[1]}/archive"

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.httpd.shutdown()
        self.httpd.server_close()


def _dl(server, tmp_path, **kw):
    kw.setdefault("retries", 2)
    return download_archive(
        "2014-03",
        tmp_path,
        base_url=server.url,
        timeout=(2, 0.5),
        backoff=0.01,
        progress=False,
        **kw,
    )


def test_download_ok_then_readable(tmp_path):
    with Server(["ok"]) as s:
        rec = _dl(s, tmp_path)
    assert rec.path == tmp_path / "2014-03.zip" and rec.size == len(GOOD_ZIP)
    assert rec.sha256 == hashlib.sha256(GOOD_ZIP).hexdigest() and rec.url.endswith(
        "/archive/2014-03.zip"
    )
    assert not list(tmp_path.glob("*.part"))
    res = read_police_uk(rec.path, force="West Midlands", kinds=("street",))
    assert len(res.tables["street"]) == 50


def test_download_500_then_ok(tmp_path):
    with Server(["500", "ok"]) as s:
        rec = _dl(s, tmp_path)
        assert s.hits == 2
    assert rec.path.read_bytes() == GOOD_ZIP


@pytest.mark.parametrize("mode", ["500", "stall", "close", "long-length"])
def test_download_fault_gives_bounded_retries_and_no_file(tmp_path, mode):
    with Server([mode]) as s:
        with pytest.raises(DownloadError) as e:
            _dl(s, tmp_path, retries=2)
        assert s.hits == 3  # first attempt + 2 retries, no more
    msg = str(e.value)
    assert "after 3 attempt(s)" in msg and "2014-03.zip" in msg
    assert not (tmp_path / "2014-03.zip").exists()
    assert not list(tmp_path.glob("*.part"))


def test_download_404_not_retried(tmp_path):
    with Server(["404"]) as s:
        with pytest.raises(DownloadError, match="36 months"):
            _dl(s, tmp_path, retries=3)
        assert s.hits == 1
    assert list(tmp_path.iterdir()) == []


def test_download_keeps_previous_complete_file_on_failure(tmp_path):
    (tmp_path / "2014-03.zip").write_bytes(GOOD_ZIP)
    with Server(["close"]) as s, pytest.raises(DownloadError):
        _dl(s, tmp_path, retries=1)
    assert (tmp_path / "2014-03.zip").read_bytes() == GOOD_ZIP


def test_download_rejects_bad_month(tmp_path):
    with pytest.raises(ValueError):
        download_archive("2014-13", tmp_path, progress=False)
