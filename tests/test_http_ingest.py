"""`govinfo run` over http(s) sources, end to end, against a real HTTP server on 127.0.0.1.

Why: the CLI contract promises that URLs are ingested like files, and that a run exits 0 when
every input was loaded or quarantined with a reason. Government sites send GBK/GB18030 without a
charset, answer 503 while busy, 404 for moved reports, and hang. A ThreadingHTTPServer in a
thread plays such a site (no mocks, no internet); the real flow runs in-process through
`flows.cli.main`, and its warehouse is compared with a run over the same reports read from disk.
The last test checks that `govinfo query` waits for a load holding the warehouse, not fails.
"""
from __future__ import annotations

import hashlib
import subprocess
import sys
import threading
import time
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path, PurePosixPath
from urllib.parse import urlsplit

import duckdb
import pytest

from flows.cli import main
from tests.hostile import rows as _query
from warehouse import store

REPO = Path(__file__).resolve().parents[1]
SEEDS = REPO / "data" / "samples"
GOVINFO = str(Path(sys.executable).with_name("govinfo"))
LAST_MODIFIED = "Mon, 06 Jan 2025 08:00:00 GMT"
SLOW_HOLD = 30.0  # the hanging route answers after this, long past the client's read timeout
REPORT_TABLES = ("reports", "metrics", "observations", "checks", "documents", "quarantine")


@dataclass
class Site:
    """The simulated government web server: its bodies and what it saw of each request."""

    bodies: dict[str, bytes]  # path -> GB18030 body
    lock: threading.Lock = field(default_factory=threading.Lock)
    hits: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    log: list[tuple[str, int, str | None]] = field(default_factory=list)  # path, status, INM
    release: threading.Event = field(default_factory=threading.Event)

    def etag(self, path: str) -> str:
        return '"' + hashlib.sha256(self.bodies[path]).hexdigest()[:16] + '"'


def _handler(site: Site) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args: object) -> None:
            pass

        def _send(self, status: int, body: bytes = b"", headers: dict[str, str] | None = None
                  ) -> None:
            inm = self.headers.get("If-None-Match")
            with site.lock:
                site.log.append((self.path, status, inm))
            self.send_response(status)
            for k, v in (headers or {}).items():
                self.send_header(k, v)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def do_GET(self) -> None:  # noqa: N802 - http.server's naming
            with site.lock:
                site.hits[self.path] += 1
                hit = site.hits[self.path]
            if self.path == "/slow.txt":  # accepts the connection, never answers in time
                site.release.wait(SLOW_HOLD)
                try:
                    self._send(200, b"too late")
                except OSError:
                    pass
                return
            if self.path.startswith("/flaky/") and hit <= 2:
                self._send(503, b"busy")
                return
            body = site.bodies.get(self.path)
            if body is None:
                self._send(404, b"not found")
                return
            validators = {"ETag": site.etag(self.path), "Last-Modified": LAST_MODIFIED}
            if self.headers.get("If-None-Match") == validators["ETag"]:
                self._send(304, b"", validators)
                return
            # no charset: the detector has to recognise GB18030 by itself
            self._send(200, body, {"Content-Type": "text/plain", **validators})
    return Handler


@dataclass
class Runs:
    """Everything the module's runs produced, for the tests to look at."""

    tmp: Path
    site: Site
    urls: list[str]
    missing: str
    slow: str
    flaky: str
    codes: list[int]
    outputs: list[str]
    counts: list[dict[str, int]]
    log_marks: list[int]  # len(site.log) after each http run

    @property
    def warehouse(self) -> Path:
        return self.tmp / "w.duckdb"


def _counts(warehouse: Path) -> dict[str, int]:
    con = duckdb.connect(str(warehouse), read_only=True)
    try:
        return {t: con.execute(f"select count(*) from {t}").fetchone()[0]
                for t in REPORT_TABLES + ("runs", "fetches")}
    finally:
        con.close()


def _metrics(warehouse: Path) -> set[tuple[str, str, str, str, float]]:
    """(file stem, indicator, breakdown, period, value): comparable across paths and URLs."""
    con = duckdb.connect(str(warehouse), read_only=True)
    try:
        rows = con.execute("""select r.source_uri, m.indicator_code, m.breakdown, m.period,
                                     m.value
                              from metrics m join reports r using (report_id)""").fetchall()
    finally:
        con.close()
    return {(PurePosixPath(urlsplit(uri).path).stem, *rest) for uri, *rest in rows}


@pytest.fixture(scope="module")
def runs(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Runs]:
    """One run from disk, then the same reports twice over HTTP (plus 404 and a hang)."""
    tmp = tmp_path_factory.mktemp("http_ingest")
    seeds = sorted(SEEDS.glob("*.txt"))
    assert len(seeds) == 5, seeds
    bodies = {}
    for i, seed in enumerate(seeds):
        folder = "flaky" if i == len(seeds) - 1 else "reports"  # 503, 503, then the report
        bodies[f"/{folder}/{seed.name}"] = seed.read_text(encoding="utf-8").encode("gb18030")
    site = Site(bodies)
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(site))
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    base = f"http://127.0.0.1:{server.server_address[1]}"
    urls = [base + p for p in bodies]
    missing, slow = base + "/moved-away.txt", base + "/slow.txt"
    flaky = next(u for u in urls if "/flaky/" in u)
    try:
        codes, outputs, counts, marks = [], [], [], []
        capture = _Capture()
        with capture:
            codes.append(main(["run", *map(str, seeds), "--warehouse", str(tmp / "disk.duckdb"),
                               "--lake", str(tmp / "disk_lake"),
                               "--raw-dir", str(tmp / "disk_raw")]))
        outputs.append(capture.text)
        for _ in range(2):
            with capture:
                codes.append(main(["run", *urls, missing, slow,
                                   "--warehouse", str(tmp / "w.duckdb"),
                                   "--lake", str(tmp / "lake"), "--raw-dir", str(tmp / "raw"),
                                   "--read-timeout", "1", "--retries", "3"]))
            outputs.append(capture.text)
            counts.append(_counts(tmp / "w.duckdb"))
            marks.append(len(site.log))
        yield Runs(tmp, site, urls, missing, slow, flaky, codes, outputs, counts, marks)
    finally:
        site.release.set()
        server.shutdown()
        server.server_close()


class _Capture:
    """Collect what `main` prints (its run summary) without pytest's per-test capsys."""

    def __init__(self) -> None:
        self.text = ""

    def __enter__(self) -> "_Capture":
        import io
        self._old, self._buf = sys.stdout, io.StringIO()
        sys.stdout = self._buf
        return self

    def __exit__(self, *exc: object) -> None:
        sys.stdout = self._old
        self.text = self._buf.getvalue()


def test_runs_exit_zero(runs: Runs) -> None:
    assert runs.codes == [0, 0, 0], runs.outputs
    assert "quarantined       2" in runs.outputs[1], runs.outputs[1]


def test_same_metrics_as_from_disk(runs: Runs) -> None:
    from_disk = _metrics(runs.tmp / "disk.duckdb")
    over_http = _metrics(runs.warehouse)
    assert len({m[0] for m in from_disk}) == 5 and len(from_disk) > 50
    assert over_http == from_disk


def test_404_and_hang_are_quarantined_with_reasons(runs: Runs) -> None:
    reasons = dict(_query(runs.warehouse, "select source_uri, reason from quarantine"))
    assert set(reasons) == {runs.missing, runs.slow}, reasons
    assert "404" in reasons[runs.missing]
    assert "timed out" in reasons[runs.slow] and "read timeout 1.0 s" in reasons[runs.slow]


def test_fetches_record_status_and_retries(runs: Runs) -> None:
    rows = _query(runs.warehouse, """select url, status, attempts, error from fetches
                                     where run_id = (select run_id from runs
                                                     order by started_at limit 1)""")
    by_url = {url: (status, attempts, error) for url, status, attempts, error in rows}
    assert len(rows) == 7 and set(by_url) == set(runs.urls) | {runs.missing, runs.slow}
    assert by_url[runs.flaky] == (200, 3, None)  # two 503s, then the body
    assert by_url[runs.missing][0] == 404
    assert by_url[runs.slow][0] is None and by_url[runs.slow][1] == 3
    assert all(by_url[u][0] == 200 for u in runs.urls)
    first_run = runs.site.log[:runs.log_marks[0]]
    assert [s for p, s, _ in first_run if p.startswith("/flaky/")] == [503, 503, 200]


def test_fetched_pages_are_detected_as_gb18030(runs: Runs) -> None:
    rows = dict(_query(runs.warehouse, "select source_uri, encoding from reports"))
    assert rows == {u: "gb18030" for u in runs.urls}
    disk = {e for (e,) in _query(runs.tmp / "disk.duckdb", "select encoding from reports")}
    assert disk == {"utf-8"}


def test_second_run_revalidates_and_loads_nothing_new(runs: Runs) -> None:
    second = runs.site.log[runs.log_marks[0]:runs.log_marks[1]]
    reports = [(p, s, inm) for p, s, inm in second if p in runs.site.bodies]
    assert sorted(p for p, _, _ in reports) == sorted(runs.site.bodies)
    assert all(s == 304 and inm == runs.site.etag(p) for p, s, inm in reports), reports
    assert "reports loaded    0  (+5 unchanged, skipped)" in runs.outputs[2], runs.outputs[2]
    before, after = runs.counts
    assert {t: after[t] for t in REPORT_TABLES} == {t: before[t] for t in REPORT_TABLES}
    assert after["runs"] == before["runs"] + 1 and after["fetches"] == before["fetches"] + 7
    not_modified = _query(runs.warehouse, """select count(*) from fetches
                                             where status = 304 and not_modified""")
    assert not_modified == [(5,)]


def test_query_waits_for_a_load_holding_the_warehouse(tmp_path: Path) -> None:
    """A reader started during a load answers after it, with the load's rows, instead of failing.

    Two readers start together while a writer holds the file: one with --wait 0 must fail on the
    lock (so readers really meet the lock at that moment), the other, with --wait 60, must
    answer after the writer commits and lets go ~2 s later.
    """
    warehouse = tmp_path / "w.duckdb"
    store.connect(warehouse).close()  # an empty warehouse with the schema
    locked, release = threading.Event(), threading.Event()
    released_at: list[float] = []

    def load() -> None:
        con = store.connect(warehouse)
        try:
            con.execute("begin transaction")
            con.execute("insert into runs (run_id, started_at, inputs) values ('r1', now(), 5)")
            locked.set()
            release.wait(60)
            con.execute("commit")
        finally:
            con.close()
            released_at.append(time.monotonic())

    holder = threading.Thread(target=load)
    holder.start()
    try:
        assert locked.wait(30)
        query = [GOVINFO, "query", "select count(*) as n, max(inputs) as i from runs",
                 "--format", "csv", "--warehouse", str(warehouse)]
        impatient = subprocess.Popen(query + ["--wait", "0"], cwd=REPO, text=True,
                                     stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        patient = subprocess.Popen(query + ["--wait", "60"], cwd=REPO, text=True,
                                   stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        _, err = impatient.communicate(timeout=60)
        assert impatient.returncode != 0 and "lock" in err.lower(), err
        time.sleep(2)
        assert patient.poll() is None, patient.communicate()
    finally:
        release.set()
        holder.join(30)
    out, err = patient.communicate(timeout=60)
    finished_at = time.monotonic()
    assert patient.returncode == 0, err
    assert out.strip().splitlines() == ["n,i", "1,5"]
    assert released_at and finished_at >= released_at[0]
