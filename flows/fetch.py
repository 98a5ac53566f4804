"""Download report URLs politely and robustly into the raw store.

The sites that publish these reports are mostly small county and bureau web servers: slow,
rate-limited, sometimes down for an afternoon. So this module

* never lets one URL fail the run: every URL gets a `FetchOutcome`, with an `error` a person
  can act on instead of a traceback;
* retries what is likely transient (connection errors, timeouts, 429, 5xx) with exponential
  backoff, honouring `Retry-After` up to a cap, and nothing else (a 404 will still be a 404);
* is polite per host: at most `per_host` requests in flight and `delay` seconds between request
  starts, while different hosts proceed in parallel on a small thread pool (threads, not
  asyncio, because the caller is a synchronous Prefect task and this is simple to reason about);
* streams bodies straight into the content-addressed `RawStore`, stopping at `max_bytes`;
* revalidates with If-None-Match / If-Modified-Since when given a `FetchState`, so a scheduled
  re-run costs a 304 per unchanged report;
* gives each URL a total time limit, attempts and waits included (`total_timeout`), enforced
  on every socket operation (flows/deadline.py): a server sending a byte a second cannot hold
  a run longer than that;
* follows redirects (up to 20), to other hosts too, because portals move reports between
  their own domains and mirrors; where a URL ended up is recorded (`final_url`, kept in the
  `fetches` table), so a redirect to another host is visible. The per-host politeness applies
  to the host that was asked.

The Content-Type charset is reported only as `declared_charset`: Chinese government pages
routinely declare one encoding and send another, so decoding is left to the encoding detector.
"""
from __future__ import annotations

import email.utils
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from urllib.parse import urlsplit

import httpx

from flows import deadline
from flows.fetch_messages import (BodyTooLarge, OverTime, describe_error, describe_status,
                                  is_tls_failure)
from flows.politeness import HostGate
from flows.rawstore import CacheEntry, FetchState, RawStore

__all__ = ["USER_AGENT", "FetchOutcome", "FetchState", "fetch_all", "parse_content_type"]

USER_AGENT = "govinfo-etl/0.1 (+research; contact in README)"
_CHUNK_SIZE = 64 * 1024
_RETRY_STATUSES = frozenset({429}) | frozenset(range(500, 600))
_RETRY_EXCEPTIONS = (httpx.TimeoutException, httpx.ConnectError, httpx.ReadError,
                     httpx.WriteError, httpx.RemoteProtocolError)


@dataclass
class FetchOutcome:
    """The result of fetching one URL, successful or not; never an exception."""

    url: str
    ok: bool
    status: int | None
    sha256: str | None
    path: Path | None
    content_type: str | None
    declared_charset: str | None
    etag: str | None
    last_modified: str | None
    fetched_at: datetime
    attempts: int
    not_modified: bool
    error: str | None
    final_url: str | None = None  # where the last attempt ended after redirects


@dataclass(frozen=True)
class _Policy:
    """The knobs of one `fetch_all` call, passed around as one value."""

    connect_timeout: float
    read_timeout: float
    retries: int
    backoff: float
    max_retry_after: float
    max_bytes: int
    total_timeout: float | None = None


@dataclass
class _Attempt:
    """What one HTTP attempt produced: a response (maybe with a stored body) or an exception."""

    status: int | None = None
    reason: str = ""
    headers: httpx.Headers | None = None
    sha: str | None = None
    error: Exception | None = None
    final_url: str | None = None


def fetch_all(
    urls: list[str],
    raw_dir: Path,
    state: FetchState | None = None,
    *,
    connect_timeout: float = 10.0,
    read_timeout: float = 30.0,
    retries: int = 3,
    backoff: float = 0.5,
    per_host: int = 2,
    delay: float = 0.2,
    max_bytes: int = 50 * 1024 * 1024,
    user_agent: str = USER_AGENT,
    max_workers: int = 8,
    max_retry_after: float = 60.0,
    total_timeout: float | None = 300.0,
) -> list[FetchOutcome]:
    """Fetch every URL into `RawStore(raw_dir)`; one outcome per input URL, in input order.

    `retries` is the maximum number of attempts per URL (1 means no retry). With a `state`,
    stored validators are sent and a 304 yields the stored body's hash (`not_modified=True`);
    the state is saved when the call finishes. Without one, every URL is downloaded in full.
    Duplicate URLs are fetched once and share an outcome. The per-host limit and delay apply
    within this call. `total_timeout` bounds each URL from its first attempt to its outcome
    (None: no bound beyond the per-operation timeouts).
    """
    store = RawStore(raw_dir)
    unique = list(dict.fromkeys(urls))
    policy = _Policy(connect_timeout, read_timeout, max(1, retries), backoff,
                     max_retry_after, max_bytes,
                     total_timeout if total_timeout and total_timeout > 0 else None)
    gate = HostGate(per_host, delay)
    workers = max(1, min(max_workers, len(unique)))
    results: dict[str, FetchOutcome] = {}
    try:
        with (_client(policy, user_agent, workers) as client,
              ThreadPoolExecutor(workers, thread_name_prefix="fetch") as pool):
            futures = {url: pool.submit(_fetch_safely, client, url, store, state, policy, gate)
                       for url in _interleave_hosts(unique)}
            results = {url: future.result() for url, future in futures.items()}
    finally:
        if state is not None:
            state.save()
    return [results[url] for url in urls]


def _client(policy: _Policy, user_agent: str, workers: int) -> httpx.Client:
    """One shared client: its connection pool is sized so no worker ever waits for a slot."""
    timeout = httpx.Timeout(connect=policy.connect_timeout, read=policy.read_timeout,
                            write=policy.read_timeout, pool=None)
    limits = httpx.Limits(max_connections=workers, max_keepalive_connections=workers)
    headers = {"User-Agent": user_agent, "Accept": "*/*"}
    client = httpx.Client(headers=headers, timeout=timeout, limits=limits,
                          follow_redirects=True, max_redirects=20)
    deadline.install(client)
    return client


def _host_key(url: str) -> str:
    """Politeness is per server: scheme-less host and port, lowercased."""
    try:
        return (urlsplit(url).netloc or url).lower()
    except ValueError:  # unparseable; _url_problem will reject it before any request
        return url


def _interleave_hosts(urls: list[str]) -> list[str]:
    """Round-robin URLs across hosts so workers are not all parked on one slow host's queue."""
    by_host: dict[str, list[str]] = {}
    for url in urls:
        by_host.setdefault(_host_key(url), []).append(url)
    queues = list(by_host.values())
    order: list[str] = []
    for i in range(max((len(q) for q in queues), default=0)):
        order.extend(q[i] for q in queues if i < len(q))
    return order


def _fetch_safely(client: httpx.Client, url: str, store: RawStore, state: FetchState | None,
                  policy: _Policy, gate: HostGate) -> FetchOutcome:
    """`_fetch_one`, but a bug or surprise becomes a failed outcome rather than a lost batch."""
    try:
        return _fetch_one(client, url, store, state, policy, gate)
    except Exception as exc:  # noqa: BLE001 - one URL must never sink the others
        return _failure(url, None, 0, f"unexpected error: {type(exc).__name__}: {exc}")


def _fetch_one(client: httpx.Client, url: str, store: RawStore, state: FetchState | None,
               policy: _Policy, gate: HostGate) -> FetchOutcome:
    """Attempt, wait, re-attempt while the failure looks transient; then describe the result."""
    problem = _url_problem(url)
    if problem:
        return _failure(url, None, 0, problem)
    cached = _usable_cache(state, store, url)
    headers = _conditional_headers(cached)
    attempts = 0
    ends: float | None = None
    while True:
        attempts += 1
        with gate.slot(_host_key(url)):
            if ends is None and policy.total_timeout is not None:
                ends = time.monotonic() + policy.total_timeout  # from the first attempt
            with deadline.until(ends):
                result = _attempt(client, url, headers, store, policy.max_bytes)
        wait = _retry_wait(result, attempts, policy)
        if wait is None or (ends is not None and time.monotonic() + wait >= ends):
            break
        time.sleep(wait)
    if ends is not None and time.monotonic() >= ends and result.error is not None:
        result.error = OverTime()
    return _outcome(url, result, attempts, cached, state, store, policy)


def _url_problem(url: str) -> str | None:
    """Reject what httpx should never be asked to fetch (file://, ftp://, no host)."""
    try:
        parts = urlsplit(url)
        host, _ = parts.hostname, parts.port  # .port raises on a non-numeric port
    except ValueError as exc:
        return f"invalid URL: {exc}"
    if parts.scheme.lower() not in ("http", "https"):
        return f"unsupported URL scheme {parts.scheme!r} (only http and https)"
    if not host:
        return "invalid URL: no host"
    return None


def _usable_cache(state: FetchState | None, store: RawStore, url: str) -> CacheEntry | None:
    """The remembered entry, only if its body is still in the store (else a 304 is useless)."""
    entry = state.get(url) if state is not None else None
    if entry is None or not (entry.etag or entry.last_modified):
        return None
    try:
        return entry if store.has(entry.sha256) else None
    except ValueError:  # a hand-edited state file with a bad hash: just download again
        return None


def _conditional_headers(cached: CacheEntry | None) -> dict[str, str]:
    """If-None-Match / If-Modified-Since for a revalidation request."""
    headers: dict[str, str] = {}
    if cached is not None and cached.etag:
        headers["If-None-Match"] = cached.etag
    if cached is not None and cached.last_modified:
        headers["If-Modified-Since"] = cached.last_modified
    return headers


def _attempt(client: httpx.Client, url: str, headers: dict[str, str], store: RawStore,
             max_bytes: int) -> _Attempt:
    """One GET. A 2xx body is streamed into the store; other bodies are not read."""
    status: int | None = None
    final: str | None = None
    try:
        with client.stream("GET", url, headers=headers) as response:
            status = response.status_code
            final = str(response.url)
            sha = None
            if response.is_success:
                _refuse_declared_oversize(response, max_bytes)
                sha = store.put_stream(_capped(response.iter_bytes(_CHUNK_SIZE), max_bytes))
            return _Attempt(status, response.reason_phrase, response.headers, sha,
                            final_url=final)
    except (BodyTooLarge, OverTime, httpx.HTTPError) as exc:
        return _Attempt(status=status, error=exc, final_url=final)


def _refuse_declared_oversize(response: httpx.Response, max_bytes: int) -> None:
    """Don't start reading a body whose Content-Length already says it is too big."""
    declared = response.headers.get("Content-Length", "")
    encoded = response.headers.get("Content-Encoding", "identity").lower() != "identity"
    if declared.isdigit() and not encoded and int(declared) > max_bytes:
        raise BodyTooLarge()


def _capped(chunks: Iterator[bytes], max_bytes: int) -> Iterator[bytes]:
    """Pass chunks through, aborting once more than `max_bytes` (decoded) have arrived.

    Counting decoded bytes also protects against small gzip bodies that inflate enormously.
    The URL's total time is checked between chunks too (the socket layer checks it on every
    read; this covers transports it could not be installed on).
    """
    total = 0
    for chunk in chunks:
        total += len(chunk)
        if total > max_bytes:
            raise BodyTooLarge()
        left = deadline.remaining()
        if left is not None and left <= 0:
            raise OverTime()
        yield chunk


def _retry_wait(result: _Attempt, attempts: int, policy: _Policy) -> float | None:
    """Seconds to wait before the next attempt, or None when we should stop trying."""
    if attempts >= policy.retries or not _is_transient(result):
        return None
    exponential = policy.backoff * (2 ** (attempts - 1))
    if result.status in (429, 503) and result.headers is not None:
        retry_after = _parse_retry_after(result.headers.get("Retry-After"))
        if retry_after is not None:
            return min(retry_after, policy.max_retry_after)
    return min(exponential, policy.max_retry_after)


def _is_transient(result: _Attempt) -> bool:
    """Worth another try: network trouble, timeouts, 429 and 5xx (but not TLS failures)."""
    if result.error is not None:
        bad_tls = isinstance(result.error, httpx.ConnectError) and is_tls_failure(result.error)
        return isinstance(result.error, _RETRY_EXCEPTIONS) and not bad_tls
    return result.status in _RETRY_STATUSES


def _parse_retry_after(value: str | None) -> float | None:
    """Retry-After is either delta-seconds or an HTTP date; anything else is ignored."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=timezone.utc)
    return max(0.0, (when - datetime.now(timezone.utc)).total_seconds())


def _outcome(url: str, result: _Attempt, attempts: int, cached: CacheEntry | None,
             state: FetchState | None, store: RawStore, policy: _Policy) -> FetchOutcome:
    """Turn the last attempt into an outcome and update the state for the next run."""
    if result.error is not None:
        failed = _failure(url, result.status, attempts, describe_error(result.error, attempts,
                                                                        policy))
        failed.final_url = result.final_url
        return failed
    assert result.headers is not None and result.status is not None
    if result.status == 304 and cached is not None:
        return _not_modified(url, result.headers, attempts, cached, state, store)
    if result.sha is None:
        failed = _failure(url, result.status, attempts,
                          describe_status(result.status, result.reason, attempts))
        failed.final_url = result.final_url
        return failed
    return _downloaded(url, result, attempts, state, store)


def _now() -> datetime:
    return datetime.now(timezone.utc)


def _failure(url: str, status: int | None, attempts: int, error: str) -> FetchOutcome:
    return FetchOutcome(url=url, ok=False, status=status, sha256=None, path=None,
                        content_type=None, declared_charset=None, etag=None,
                        last_modified=None, fetched_at=_now(), attempts=attempts,
                        not_modified=False, error=error)


def _not_modified(url: str, headers: httpx.Headers, attempts: int, cached: CacheEntry,
                  state: FetchState | None, store: RawStore) -> FetchOutcome:
    """304: the stored body is current; servers may refresh validators on a 304 (RFC 9110)."""
    etag = headers.get("ETag") or cached.etag
    last_modified = headers.get("Last-Modified") or cached.last_modified
    if state is not None:
        state.remember(url, CacheEntry(cached.sha256, etag, last_modified,
                                       cached.content_type, cached.declared_charset))
    return FetchOutcome(url=url, ok=True, status=304, sha256=cached.sha256,
                        path=store.path(cached.sha256), content_type=cached.content_type,
                        declared_charset=cached.declared_charset, etag=etag,
                        last_modified=last_modified, fetched_at=_now(), attempts=attempts,
                        not_modified=True, error=None)


def _downloaded(url: str, result: _Attempt, attempts: int, state: FetchState | None,
                store: RawStore) -> FetchOutcome:
    """2xx with the body stored; remember validators only if the server gave any."""
    assert result.headers is not None and result.sha is not None
    content_type, charset = parse_content_type(result.headers.get("Content-Type"))
    etag = result.headers.get("ETag")
    last_modified = result.headers.get("Last-Modified")
    if state is not None and (etag or last_modified):
        state.remember(url, CacheEntry(result.sha, etag, last_modified, content_type, charset))
    elif state is not None:
        state.forget(url)  # stale validators would vouch for a body we no longer have
    return FetchOutcome(url=url, ok=True, status=result.status, sha256=result.sha,
                        path=store.path(result.sha), content_type=content_type,
                        declared_charset=charset, etag=etag, last_modified=last_modified,
                        fetched_at=_now(), attempts=attempts, not_modified=False, error=None,
                        final_url=result.final_url)


def parse_content_type(value: str | None) -> tuple[str | None, str | None]:
    """Split `text/html; charset="GBK"` into ("text/html", "gbk"); both parts may be missing."""
    if not value:
        return None, None
    media, *params = value.split(";")
    charset = None
    for param in params:
        key, _, val = param.partition("=")
        if key.strip().lower() == "charset" and val.strip():
            charset = val.strip().strip("\"'").lower() or None
    return media.strip().lower() or None, charset
