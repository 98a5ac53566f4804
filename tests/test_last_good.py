"""A source that fails after it was loaded keeps its last good report and rows.

Written here: a web server on 127.0.0.1 that serves a report, then answers 503, then hangs; a
named file that is deleted; a file deleted from a walked folder. Each failure is recorded
(`fetches`, `report_sources`, `quarantine`); only `--prune-missing` drops the reports.
"""
from __future__ import annotations

import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from flows.cli import main
from tests import hostile
from tests.hostile import rows


class Site:
    """What the server does now: 'ok' (the report), '503', or 'hang' (answers too late)."""

    def __init__(self, body: bytes) -> None:
        self.body = body
        self.mode = "ok"
        self.release = threading.Event()


@pytest.fixture()
def site(tmp_path: Path) -> Iterator[tuple[Site, str]]:
    report = hostile.write_good_reports(tmp_path / "src", 1)[0]
    s = Site(report.read_bytes())

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args: object) -> None:
            pass

        def do_GET(self) -> None:  # noqa: N802
            if s.mode == "hang":
                s.release.wait(30)
                return
            status, body = (200, s.body) if s.mode == "ok" else (503, b"busy")
            self.send_response(status)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield s, f"http://127.0.0.1:{server.server_address[1]}/report.txt"
    finally:
        s.release.set()
        server.shutdown()
        server.server_close()


def _counts(wh: Path) -> tuple[int, int, int]:
    return rows(wh, "select (select count(*) from reports), (select count(*) from metrics), "
                    "(select count(*) from observations)")[0]


@pytest.mark.parametrize("failure", ["503", "hang"])
def test_a_url_that_fails_after_a_load_keeps_its_report(site: tuple[Site, str], tmp_path: Path,
                                                        failure: str) -> None:
    s, url = site
    wh = tmp_path / "w.duckdb"
    args = ["run", url, "--warehouse", str(wh), "--lake", str(tmp_path / "lake"),
            "--raw-dir", str(tmp_path / "raw"), "--retries", "1", "--read-timeout", "0.5"]
    assert main(args) == 0
    loaded = _counts(wh)
    assert loaded[0] == 1 and loaded[1] > 50
    s.mode = failure
    assert main(args) == 0
    assert _counts(wh) == loaded  # the last good report and every row of it
    [(status, error)] = rows(wh, "select status, error from report_sources")
    assert status == "failed" and ("503" in error if failure == "503" else "timed out" in error)
    last_fetch = rows(wh, "select status, error from fetches order by fetched_at desc limit 1")
    assert last_fetch[0][0] == (503 if failure == "503" else None) and last_fetch[0][1]
    assert rows(wh, "select count(*) from quarantine")[0][0] == 1
    assert main([*args, "--prune-missing"]) == 0  # only when asked
    assert _counts(wh) == (0, 0, 0)
    assert rows(wh, "select count(*) from report_sources")[0][0] == 0


def test_a_named_file_that_is_gone_keeps_its_report(tmp_path: Path) -> None:
    f = hostile.write_good_reports(tmp_path / "src", 1)[0]
    wh = tmp_path / "w.duckdb"
    args = ["run", str(f), "--warehouse", str(wh), "--lake", str(tmp_path / "lake")]
    assert main(args) == 0
    loaded = _counts(wh)
    f.unlink()
    assert main(args) == 0
    assert _counts(wh) == loaded
    assert rows(wh, "select status, error from report_sources") == [("failed", "no such file")]
    # the file is back, unchanged: it is fine again
    hostile.write_good_reports(tmp_path / "src", 1)
    assert main(args) == 0
    assert rows(wh, "select status, error from report_sources") == [("ok", None)]


def test_files_gone_from_a_walked_folder_keep_their_reports(tmp_path: Path, capsys) -> None:
    src = tmp_path / "src"
    files = hostile.write_good_reports(src, 3)
    wh = tmp_path / "w.duckdb"
    args = ["run", str(src), "--warehouse", str(wh), "--lake", str(tmp_path / "lake")]
    assert main(args) == 0
    loaded = _counts(wh)
    files[1].unlink()
    capsys.readouterr()
    assert main(args) == 0
    assert "kept              1 last good report" in capsys.readouterr().out
    assert _counts(wh) == loaded
    status = dict(rows(wh, "select source_uri, status from report_sources"))
    assert status == {str(files[0]): "ok", str(files[1]): "missing", str(files[2]): "ok"}
    assert main([*args, "--prune-missing"]) == 0
    assert rows(wh, "select count(*) from reports")[0][0] == 2
    assert str(files[1]) not in dict(rows(wh, "select source_uri, status from report_sources"))
