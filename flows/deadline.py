"""A total time limit per URL, enforced on every socket operation.

Why: httpx's timeouts bound each operation (connect, one read), not a request. A server that
sends one byte a second answers every read in time and can hold a fetch, and the run, for as
long as it likes. So each fetch thread sets a deadline for the URL it works on (`until`), and
the network layer under httpx caps every connect, read and write at the time left, failing
with a read timeout once it is spent, whether the server trickles its headers or its body.

The layer is an httpcore network backend (httpcore's public extension point), installed on
the client's connection pool by `install`. Connections are kept alive across URLs, so the
deadline is looked up per operation, from the thread doing it, not fixed per connection.
"""
from __future__ import annotations

import contextlib
import ssl
import threading
import time
from collections.abc import Iterator
from typing import Any, Iterable

import httpcore
import httpx

_local = threading.local()


@contextlib.contextmanager
def until(deadline: float | None) -> Iterator[None]:
    """Socket operations of this thread fail once time.monotonic() passes `deadline`."""
    previous = getattr(_local, "deadline", None)
    _local.deadline = deadline
    try:
        yield
    finally:
        _local.deadline = previous


def remaining() -> float | None:
    deadline = getattr(_local, "deadline", None)
    return None if deadline is None else deadline - time.monotonic()


def _cap(timeout: float | None, error: type[Exception]) -> float | None:
    left = remaining()
    if left is None:
        return timeout
    if left <= 0:
        raise error("the total time limit for this URL is spent")
    return left if timeout is None else min(timeout, left)


class _Stream(httpcore.NetworkStream):
    def __init__(self, inner: httpcore.NetworkStream) -> None:
        self._inner = inner

    def read(self, max_bytes: int, timeout: float | None = None) -> bytes:
        return self._inner.read(max_bytes, _cap(timeout, httpcore.ReadTimeout))

    def write(self, buffer: bytes, timeout: float | None = None) -> None:
        self._inner.write(buffer, _cap(timeout, httpcore.WriteTimeout))

    def close(self) -> None:
        self._inner.close()

    def start_tls(self, ssl_context: ssl.SSLContext, server_hostname: str | None = None,
                  timeout: float | None = None) -> httpcore.NetworkStream:
        return _Stream(self._inner.start_tls(ssl_context, server_hostname,
                                             _cap(timeout, httpcore.ConnectTimeout)))

    def get_extra_info(self, info: str) -> Any:
        return self._inner.get_extra_info(info)


class DeadlineBackend(httpcore.NetworkBackend):
    def __init__(self, inner: httpcore.NetworkBackend | None = None) -> None:
        self._inner = inner or httpcore.SyncBackend()

    def connect_tcp(self, host: str, port: int, timeout: float | None = None,
                    local_address: str | None = None,
                    socket_options: Iterable[Any] | None = None) -> httpcore.NetworkStream:
        return _Stream(self._inner.connect_tcp(host, port, _cap(timeout, httpcore.ConnectTimeout),
                                               local_address, socket_options))

    def connect_unix_socket(self, path: str, timeout: float | None = None,
                            socket_options: Iterable[Any] | None = None
                            ) -> httpcore.NetworkStream:
        return _Stream(self._inner.connect_unix_socket(
            path, _cap(timeout, httpcore.ConnectTimeout), socket_options))

    def sleep(self, seconds: float) -> None:
        self._inner.sleep(seconds)


def install(client: httpx.Client) -> bool:
    """Put the deadline layer under every connection pool of `client` (its own transport and
    the proxy transports httpx mounts from the environment). httpx does not expose the pools,
    so this reaches for `_pool`; returns False if this httpx has none (then only the checks
    between body chunks in flows/fetch.py bound a URL's time)."""
    transports = [getattr(client, "_transport", None),
                  *getattr(client, "_mounts", {}).values()]
    done = False
    for t in transports:
        pool = getattr(t, "_pool", None)
        if pool is not None and hasattr(pool, "_network_backend"):
            if not isinstance(pool._network_backend, DeadlineBackend):
                pool._network_backend = DeadlineBackend(pool._network_backend)
            done = True
    return done
