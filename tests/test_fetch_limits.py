"""The smaller limits: time per URL, redirects, a full disk, paths as SQL parameters, and the
extractor version.

Written here: a server on 127.0.0.1 that sends one byte a second (its headers or its body), a
server that redirects to another host name, a warehouse whose file may not grow (RLIMIT_FSIZE,
the same write error as a full disk), a copy of the project whose flows/stages.py changed.
"""
from __future__ import annotations

import shutil
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from flows.cli import main
from flows.fetch import fetch_all
from tests import hostile
from tests.hostile import REPO, rows

BODY = b"x" * 1000


class Trickle:
    """A server that answers every request one byte a second: all of it, or after the
    headers. It counts what it managed to send before the client hung up."""

    def __init__(self, headers_too: bool) -> None:
        self.headers_too = headers_too
        self.sent: list[int] = []
        self.sock = socket.create_server(("127.0.0.1", 0))
        self.stop = threading.Event()
        threading.Thread(target=self._accept, daemon=True).start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.sock.getsockname()[1]}/report.txt"

    def _accept(self) -> None:
        while not self.stop.is_set():
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            threading.Thread(target=self._answer, args=(conn,), daemon=True).start()

    def _answer(self, conn: socket.socket) -> None:
        conn.recv(65536)
        head = b"HTTP/1.1 200 OK\r\nContent-Length: %d\r\n\r\n" % len(BODY)
        data = head + BODY
        if not self.headers_too:
            conn.sendall(head)
            data = BODY
        n = 0
        try:
            for i in range(len(data)):
                if self.stop.wait(1.0):
                    break
                conn.sendall(data[i:i + 1])
                n += 1
        except OSError:
            pass
        self.sent.append(n)
        conn.close()


@pytest.fixture(params=["headers", "body"])
def trickle(request: pytest.FixtureRequest) -> Iterator[Trickle]:
    t = Trickle(headers_too=request.param == "headers")
    try:
        yield t
    finally:
        t.stop.set()
        t.sock.close()


def test_a_one_byte_a_second_server_is_cut_at_the_time_limit_per_url(
        trickle: Trickle, tmp_path: Path) -> None:
    [out] = fetch_all([trickle.url], tmp_path / "raw", read_timeout=3, retries=3,
                      backoff=0.1, total_timeout=2)
    assert not out.ok
    assert out.error is not None and "took longer than 2 s in total" in out.error
    for _ in range(50):  # the server notices the hang-up at its next byte
        if trickle.sent:
            break
        time.sleep(0.1)
    assert trickle.sent and max(trickle.sent) < len(BODY) // 10


def test_the_time_limit_per_url_through_a_run(tmp_path: Path) -> None:
    t = Trickle(headers_too=False)
    try:
        wh = tmp_path / "w.duckdb"
        assert main(["run", t.url, "--warehouse", str(wh), "--lake", str(tmp_path / "lake"),
                     "--raw-dir", str(tmp_path / "raw"), "--url-timeout", "2",
                     "--read-timeout", "3"]) == 0
        [(reason,)] = rows(wh, "select reason from quarantine")
        assert "took longer than 2 s in total" in reason
    finally:
        t.stop.set()
        t.sock.close()


@pytest.fixture()
def two_hosts(tmp_path: Path) -> Iterator[tuple[str, str]]:
    """127.0.0.1 redirects /report.txt to the same path on `localhost` (another host name),
    where a report is served."""
    body = hostile.write_good_reports(tmp_path / "src", 1)[0].read_bytes()
    port: list[int] = []

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args: object) -> None:
            pass

        def do_GET(self) -> None:  # noqa: N802
            if self.headers.get("Host", "").startswith("127.0.0.1"):
                self.send_response(302)
                self.send_header("Location", f"http://localhost:{port[0]}/moved/report.txt")
                self.send_header("Content-Length", "0")
                self.end_headers()
                return
            self.send_response(200)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    port.append(server.server_address[1])
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield (f"http://127.0.0.1:{port[0]}/report.txt",
               f"http://localhost:{port[0]}/moved/report.txt")
    finally:
        server.shutdown()
        server.server_close()


def test_a_redirect_to_another_host_is_followed_and_recorded(two_hosts, tmp_path) -> None:
    asked, landed = two_hosts
    wh = tmp_path / "w.duckdb"
    assert main(["run", asked, "--warehouse", str(wh), "--lake", str(tmp_path / "lake"),
                 "--raw-dir", str(tmp_path / "raw")]) == 0
    assert rows(wh, "select url, status, final_url from fetches") == [(asked, 200, landed)]
    assert rows(wh, "select source_uri from reports") == [(asked,)]


FULL_DISK = r"""
import resource, signal, sys
signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # a write past the limit fails, like ENOSPC
from warehouse import store
con = store.connect(sys.argv[1])
resource.setrlimit(resource.RLIMIT_FSIZE, (4 << 20, 4 << 20))
big = [store.ReportResult(report={"report_id": f"{i:064x}", "source_uri": f"/in/{i}.txt",
                                  "status": "ok"},
                          text="".join(chr(0x4e00 + (i * 7919 + k) % 20000) for k in range(300000)))
       for i in range(12)]
try:
    store.load_batch(con, store.to_batch(big, []), "run-1")
    con.execute("checkpoint")
except Exception as e:
    print(f"{type(e).__name__}: {e}")
"""


def test_a_full_disk_shows_the_real_cause(tmp_path: Path) -> None:
    wh = tmp_path / "w.duckdb"
    r = subprocess.run([sys.executable, "-c", FULL_DISK, str(wh)], cwd=str(REPO),
                       capture_output=True, text=True, timeout=300)
    assert "cannot rollback" not in r.stdout + r.stderr
    assert "File too large" in r.stdout, r.stdout + r.stderr[-2000:]


def test_stages_module_is_part_of_the_extractor_version(tmp_path: Path) -> None:
    """A copy of the project whose flows/stages.py differs by one comment: another version
    (the module decides what is a report and how its rows are built)."""
    copy = tmp_path / "project"
    for pkg in ("flows", "extractors", "transforms", "warehouse"):
        shutil.copytree(REPO / pkg, copy / pkg, ignore=shutil.ignore_patterns("__pycache__"))
    code = "from flows import stages; print(stages.extractor_version())"

    def version() -> str:
        return subprocess.run([sys.executable, "-c", code], cwd=str(copy), capture_output=True,
                              text=True, check=True).stdout.strip()
    before = version()
    with open(copy / "flows" / "stages.py", "a", encoding="utf-8") as f:
        f.write("\n# a change\n")
    assert version() != before
