"""Fetching against a real HTTP server on 127.0.0.1, the raw store, and source discovery.

No mocks of httpx and no internet: a ThreadingHTTPServer in a thread plays the misbehaving
government web server (wrong charsets, 503s, 429s, hangs, huge bodies).
"""
from __future__ import annotations

import hashlib
import json
import os
import socket
import threading
import time
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from flows.fetch import USER_AGENT, FetchOutcome, fetch_all, parse_content_type
from flows.rawstore import FetchState, RawStore
from flows.sources import Source, discover

GB_TEXT = ("<html><head><title>北碚区人民政府2023年政府信息公开工作年度报告</title>"
           "</head><body>主动公开政府信息 1,234 条；𠮷</body></html>")
GB_BYTES = GB_TEXT.encode("gb18030")
ETAG = '"v1"'
LAST_MODIFIED = "Wed, 01 Jan 2025 00:00:00 GMT"
BIG = b"x" * 5000


@dataclass
class Seen:
    """What the server saw of one request."""

    path: str
    headers: dict[str, str]
    at: float


@dataclass
class ServerState:
    """Shared between handler threads: per-path hit counts and peak concurrency."""

    lock: threading.Lock = field(default_factory=threading.Lock)
    hits: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    active: int = 0
    max_active: int = 0
    seen: list[Seen] = field(default_factory=list)
    release: threading.Event = field(default_factory=threading.Event)

    def record(self, path: str, headers: dict[str, str]) -> int:
        with self.lock:
            self.hits[path] += 1
            self.seen.append(Seen(path, headers, time.monotonic()))
            return self.hits[path]


class Handler(BaseHTTPRequestHandler):
    """Routes named after the behaviour they simulate."""

    state: ServerState  # set on a per-server subclass

    def log_message(self, *args: object) -> None:
        pass

    def send(self, status: int, body: bytes = b"", headers: dict[str, str] | None = None,
             length: bool = True) -> None:
        self.send_response(status)
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        if length:
            self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self) -> None:  # noqa: N802 - http.server's naming
        path = self.path.split("?")[0]
        hit = self.state.record(path, dict(self.headers.items()))
        getattr(self, "route_" + path.strip("/").replace("-", "_"), self.route_missing)(hit)

    def route_gb18030(self, hit: int) -> None:
        self.send(200, GB_BYTES, {"Content-Type": "text/html"})

    def route_flaky(self, hit: int) -> None:
        if hit <= 2:
            self.send(503, b"busy")
        else:
            self.send(200, b"third time lucky", {"Content-Type": "text/plain; charset=UTF-8"})

    def route_missing(self, hit: int) -> None:
        self.send(404, b"nope")

    def route_hang(self, hit: int) -> None:
        self.state.release.wait(5)

    def route_ratelimited(self, hit: int) -> None:
        if hit == 1:
            self.send(429, b"slow down", {"Retry-After": "0"})
        else:
            self.send(200, b"ok after 429")

    def route_etag(self, hit: int) -> None:
        if self.headers.get("If-None-Match") == ETAG:
            self.send(304, length=False)
        else:
            self.send(200, b"report v1", {"ETag": ETAG, "Last-Modified": LAST_MODIFIED,
                                          "Content-Type": "application/pdf"})

    def route_big(self, hit: int) -> None:
        self.send(200, BIG)

    def route_big_stream(self, hit: int) -> None:
        self.send_response(200)
        self.end_headers()  # no Content-Length: HTTP/1.0 body ends when the connection closes
        for i in range(0, len(BIG), 500):
            self.wfile.write(BIG[i:i + 500])
            self.wfile.flush()

    def route_slow(self, hit: int) -> None:
        with self.state.lock:
            self.state.active += 1
            self.state.max_active = max(self.state.max_active, self.state.active)
        time.sleep(0.3)
        with self.state.lock:
            self.state.active -= 1
        self.send(200, self.path.encode())


class QuietServer(ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request: object, client_address: object) -> None:
        pass  # clients hanging up on /hang and /big are the point of those tests


@dataclass
class Served:
    base: str
    state: ServerState

    def url(self, path: str, host: str = "127.0.0.1") -> str:
        return self.base.replace("127.0.0.1", host) + path


@pytest.fixture
def server(monkeypatch: pytest.MonkeyPatch) -> Iterator[Served]:
    for var in ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "http_proxy", "https_proxy",
                "all_proxy"):
        monkeypatch.delenv(var, raising=False)
    state = ServerState()
    handler = type("BoundHandler", (Handler,), {"state": state})
    httpd = QuietServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=httpd.serve_forever, kwargs={"poll_interval": 0.05},
                              daemon=True)
    thread.start()
    try:
        yield Served(f"http://127.0.0.1:{httpd.server_address[1]}", state)
    finally:
        state.release.set()
        httpd.shutdown()
        httpd.server_close()
        thread.join(5)


def fetch_one(url: str, raw_dir: Path, **kwargs: object) -> FetchOutcome:
    kwargs.setdefault("delay", 0.0)
    kwargs.setdefault("backoff", 0.01)
    [outcome] = fetch_all([url], raw_dir, **kwargs)  # type: ignore[arg-type]
    return outcome


def store_files(raw_dir: Path) -> list[str]:
    """Every file in the store except the state file: bodies and any stray temp files."""
    return sorted(p.name for p in raw_dir.rglob("*") if p.is_file()
                  and p.name != FetchState.FILENAME)


# --- fetching ---------------------------------------------------------------------------------

def test_gb18030_page_without_charset_is_stored_byte_for_byte(server: Served,
                                                              tmp_path: Path) -> None:
    out = fetch_one(server.url("/gb18030"), tmp_path)
    assert out.ok is True and out.status == 200 and out.error is None
    assert out.content_type == "text/html"
    assert out.declared_charset is None
    assert out.sha256 == hashlib.sha256(GB_BYTES).hexdigest()
    assert out.path == tmp_path / out.sha256[:2] / out.sha256
    assert out.path.read_bytes() == GB_BYTES
    assert out.path.read_bytes().decode("gb18030") == GB_TEXT
    assert out.attempts == 1 and out.not_modified is False
    assert out.fetched_at.tzinfo is not None and out.fetched_at.utcoffset().total_seconds() == 0
    assert server.state.seen[0].headers["User-Agent"] == USER_AGENT
    assert USER_AGENT == "govinfo-etl/0.1 (+research; contact in README)"


def test_two_503s_then_200_is_retried(server: Served, tmp_path: Path) -> None:
    out = fetch_one(server.url("/flaky"), tmp_path, retries=3)
    assert out.ok is True and out.status == 200
    assert out.attempts == 3
    assert out.path is not None and out.path.read_bytes() == b"third time lucky"
    assert out.declared_charset == "utf-8" and out.content_type == "text/plain"
    assert server.state.hits["/flaky"] == 3


def test_503_until_retries_run_out(server: Served, tmp_path: Path) -> None:
    out = fetch_one(server.url("/flaky"), tmp_path, retries=2)
    assert out.ok is False and out.status == 503 and out.attempts == 2
    assert out.error == "HTTP 503 Service Unavailable after 2 attempts"
    assert out.sha256 is None and out.path is None


def test_404_fails_at_once(server: Served, tmp_path: Path) -> None:
    out = fetch_one(server.url("/no-such-report.pdf"), tmp_path, retries=3)
    assert out.ok is False and out.status == 404
    assert out.error == "HTTP 404 Not Found"
    assert out.attempts == 1
    assert server.state.hits["/no-such-report.pdf"] == 1
    assert store_files(tmp_path) == []


def test_read_timeout(server: Served, tmp_path: Path) -> None:
    started = time.monotonic()
    out = fetch_one(server.url("/hang"), tmp_path, read_timeout=0.5, retries=1)
    assert out.ok is False and out.status is None and out.attempts == 1
    assert out.error == "timed out after 1 attempt (read timeout 0.5 s)"
    assert 0.4 < time.monotonic() - started < 30  # it waited for the timeout, and did not hang


def test_connection_refused_is_retried_then_reported(tmp_path: Path) -> None:
    with socket.socket() as sock:  # find a port nobody listens on
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    out = fetch_one(f"http://127.0.0.1:{port}/x", tmp_path, retries=2)
    assert out.ok is False and out.attempts == 2
    assert out.error == "connection refused after 2 attempts"


def test_429_honours_retry_after_zero(server: Served, tmp_path: Path) -> None:
    started = time.monotonic()
    # a 5 s backoff would make this test slow: only Retry-After: 0 keeps it fast
    out = fetch_one(server.url("/ratelimited"), tmp_path, backoff=5.0)
    assert out.ok is True and out.status == 200 and out.attempts == 2
    assert out.path is not None and out.path.read_bytes() == b"ok after 429"
    assert time.monotonic() - started < 4.5  # below the 5 s backoff it would otherwise take


def test_etag_revalidation_gives_not_modified(server: Served, tmp_path: Path) -> None:
    first = fetch_one(server.url("/etag"), tmp_path, state=FetchState(tmp_path))
    assert first.ok is True and first.status == 200 and first.not_modified is False
    assert first.etag == ETAG and first.last_modified == LAST_MODIFIED
    saved = json.loads((tmp_path / FetchState.FILENAME).read_text(encoding="utf-8"))
    assert saved["urls"][server.url("/etag")]["sha256"] == first.sha256

    second = fetch_one(server.url("/etag"), tmp_path, state=FetchState(tmp_path))  # reloaded
    assert second.ok is True and second.status == 304 and second.not_modified is True
    assert second.sha256 == first.sha256 == hashlib.sha256(b"report v1").hexdigest()
    assert second.path == first.path and second.path.read_bytes() == b"report v1"
    assert second.content_type == "application/pdf" and second.attempts == 1
    revalidation = server.state.seen[1].headers
    assert revalidation["If-None-Match"] == ETAG
    assert revalidation["If-Modified-Since"] == LAST_MODIFIED


def test_without_state_no_conditional_headers(server: Served, tmp_path: Path) -> None:
    fetch_one(server.url("/etag"), tmp_path)
    out = fetch_one(server.url("/etag"), tmp_path)
    assert out.status == 200 and out.not_modified is False
    assert "If-None-Match" not in server.state.seen[1].headers


@pytest.mark.parametrize("route", ["/big", "/big-stream"])
def test_body_over_max_bytes_is_refused(server: Served, tmp_path: Path, route: str) -> None:
    out = fetch_one(server.url(route), tmp_path, max_bytes=1000)
    assert out.ok is False and out.status == 200 and out.attempts == 1
    assert out.error == "response larger than 1000 bytes limit"
    assert out.sha256 is None and out.path is None
    assert store_files(tmp_path) == []  # no partial body, no temp file left behind


def test_body_at_max_bytes_is_accepted(server: Served, tmp_path: Path) -> None:
    out = fetch_one(server.url("/big-stream"), tmp_path, max_bytes=len(BIG))
    assert out.ok is True and out.path is not None and out.path.read_bytes() == BIG


def test_per_host_limit_is_honoured(server: Served, tmp_path: Path) -> None:
    urls = [server.url(f"/slow?i={i}") for i in range(6)]
    outcomes = fetch_all(urls, tmp_path, per_host=2, delay=0.0, max_workers=6)
    assert [o.ok for o in outcomes] == [True] * 6
    assert [o.url for o in outcomes] == urls
    assert server.state.max_active == 2


def test_hosts_proceed_in_parallel(server: Served, tmp_path: Path) -> None:
    # 127.0.0.1 and localhost are two hosts to the fetcher but reach the same server
    urls = [server.url("/slow?a"), server.url("/slow?b"),
            server.url("/slow?c", "localhost"), server.url("/slow?d", "localhost")]
    outcomes = fetch_all(urls, tmp_path, per_host=1, delay=0.0, max_workers=4)
    assert [o.ok for o in outcomes] == [True] * 4
    assert server.state.max_active == 2


def test_politeness_delay_spaces_requests_to_one_host(server: Served, tmp_path: Path) -> None:
    # a delay long enough that thread scheduling on a busy machine cannot eat most of it
    urls = [server.url(f"/gb18030?{i}") for i in range(3)]
    fetch_all(urls, tmp_path, per_host=3, delay=1.0, max_workers=3)
    starts = sorted(s.at for s in server.state.seen)
    gaps = [b - a for a, b in zip(starts, starts[1:])]
    assert len(gaps) == 2 and min(gaps) >= 0.6


def test_duplicates_fetched_once_and_bad_schemes_refused(server: Served,
                                                         tmp_path: Path) -> None:
    url = server.url("/gb18030")
    outcomes = fetch_all([url, "file:///etc/passwd", url], tmp_path, delay=0.0)
    assert [o.ok for o in outcomes] == [True, False, True]
    assert outcomes[0] is outcomes[2]
    assert outcomes[1].error == "unsupported URL scheme 'file' (only http and https)"
    assert outcomes[1].attempts == 0
    assert server.state.hits["/gb18030"] == 1


def test_parse_content_type() -> None:
    assert parse_content_type('Text/HTML; Charset="GBK"') == ("text/html", "gbk")
    assert parse_content_type("application/pdf") == ("application/pdf", None)
    assert parse_content_type(None) == (None, None)


# --- raw store --------------------------------------------------------------------------------

def test_raw_store_put_get_has(tmp_path: Path) -> None:
    store = RawStore(tmp_path / "raw")
    sha = store.put(GB_BYTES)
    assert sha == hashlib.sha256(GB_BYTES).hexdigest()
    assert store.has(sha) is True and store.get(sha) == GB_BYTES
    assert (tmp_path / "raw" / sha[:2] / sha).read_bytes() == GB_BYTES
    assert store.put(GB_BYTES) == sha
    assert store_files(tmp_path / "raw") == [sha]
    assert store.has("0" * 64) is False
    with pytest.raises(ValueError):
        store.get("../../etc/passwd")


def test_raw_store_stream_failure_leaves_nothing(tmp_path: Path) -> None:
    store = RawStore(tmp_path)

    def broken() -> Iterator[bytes]:
        yield b"half a report"
        raise ConnectionError("dropped")

    with pytest.raises(ConnectionError):
        store.put_stream(broken())
    assert os.listdir(tmp_path) == []


def test_fetch_state_survives_corruption(tmp_path: Path) -> None:
    (tmp_path / FetchState.FILENAME).write_text("{not json", encoding="utf-8")
    assert len(FetchState(tmp_path)) == 0


# --- discovery --------------------------------------------------------------------------------

def make_tree(root: Path) -> None:
    for rel in ["2023/bbq.html", "2023/sub/yz.pdf", "2022/a.txt", ".git/config",
                "2023/.hidden.txt", "2023/.cache/x.txt", "notes.txt"]:
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(rel, encoding="utf-8")


def uris(sources: list[Source]) -> list[str]:
    return [s.uri for s in sources]


def test_discover_directory_recursion_skips_hidden(tmp_path: Path) -> None:
    make_tree(tmp_path)
    found = discover([str(tmp_path)])
    assert uris(found) == [str(tmp_path / p) for p in
                           ["2022/a.txt", "2023/bbq.html", "2023/sub/yz.pdf", "notes.txt"]]
    assert {s.kind for s in found} == {"file"}


def test_discover_glob_and_duplicates(tmp_path: Path) -> None:
    make_tree(tmp_path)
    found = discover([str(tmp_path / "**" / "*.pdf"), str(tmp_path / "2023" / "*.html"),
                      str(tmp_path / "2023" / "sub" / "yz.pdf")])
    assert uris(found) == [str(tmp_path / "2023/sub/yz.pdf"), str(tmp_path / "2023/bbq.html")]


def test_discover_missing_path_and_unmatched_glob_rejected(tmp_path: Path) -> None:
    found = discover([str(tmp_path / "nope.pdf"), str(tmp_path / "*.docx")])
    assert [(s.uri, s.kind, s.reason) for s in found] == [
        (str(tmp_path / "nope.pdf"), "rejected", "no such file"),
        (str(tmp_path / "*.docx"), "rejected", "no file matches the pattern"),
    ]


def test_discover_manifest_lines(tmp_path: Path) -> None:
    make_tree(tmp_path / "data")
    manifest = tmp_path / "list.txt"
    manifest.write_text(
        "# reports to load\n"
        "\n"
        "data/2022/a.txt\n"
        "  data/2023/sub  \n"
        "HTTPS://WWW.Beibei.gov.cn/zwgk/2023.html#top\n"
        "file:///etc/passwd\n"
        "ftp://example.org/report.pdf\n"
        "data/missing.pdf\n"
        "data/2022/a.txt\n",
        encoding="utf-8")
    found = discover([], manifest=str(manifest))
    assert [(s.uri, s.kind, s.reason) for s in found] == [
        (str(tmp_path / "data/2022/a.txt"), "file", None),
        (str(tmp_path / "data/2023/sub/yz.pdf"), "file", None),
        ("https://www.beibei.gov.cn/zwgk/2023.html", "url", None),
        ("file:///etc/passwd", "rejected", "unsupported URL scheme 'file' (only http and https)"),
        ("ftp://example.org/report.pdf", "rejected",
         "unsupported URL scheme 'ftp' (only http and https)"),
        (str(tmp_path / "data/missing.pdf"), "rejected", "no such file"),
    ]


@pytest.mark.parametrize("encoding", ["utf-8-sig", "gb18030"])
def test_discover_manifest_csv_with_hints(tmp_path: Path, encoding: str) -> None:
    make_tree(tmp_path)
    manifest = tmp_path / "manifest.csv"
    manifest.write_text(
        "source,region,region_code,year,issuer\n"
        "2023/bbq.html,北碚区,500109,2023,北碚区人民政府办公室\n"
        "https://jtj.linxia.gov.cn/2022.pdf,临夏州,622900,2022,\n"
        "file:///srv/report.pdf,上海市,,2021,\n",
        encoding=encoding)
    found = discover([str(tmp_path / "notes.txt")], manifest=str(manifest))
    assert found == [
        Source(str(tmp_path / "notes.txt"), "file", {}),
        Source(str(tmp_path / "2023/bbq.html"), "file",
               {"region": "北碚区", "region_code": "500109", "year": "2023",
                "issuer": "北碚区人民政府办公室"}),
        Source("https://jtj.linxia.gov.cn/2022.pdf", "url",
               {"region": "临夏州", "region_code": "622900", "year": "2022"}),
        Source("file:///srv/report.pdf", "rejected", {"region": "上海市", "year": "2021"},
               "unsupported URL scheme 'file' (only http and https)"),
    ]


def test_discover_hints_merge_into_earlier_mention(tmp_path: Path) -> None:
    make_tree(tmp_path)
    manifest = tmp_path / "m.csv"
    manifest.write_text("source,year\n2022/a.txt,2022\n", encoding="utf-8")
    found = discover([str(tmp_path / "2022")], manifest=str(manifest))
    assert found == [Source(str(tmp_path / "2022/a.txt"), "file", {"year": "2022"})]


def test_discover_missing_manifest_is_one_rejection(tmp_path: Path) -> None:
    found = discover([], manifest=str(tmp_path / "absent.txt"))
    assert found == [Source(str(tmp_path / "absent.txt"), "rejected", {},
                            "no such manifest file")]
