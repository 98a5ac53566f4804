"""What a failed fetch says: error messages a person can act on, naming the limit or the cause.

Kept apart from flows/fetch.py, which decides what to do; this only says what happened.
"""
from __future__ import annotations

from http import HTTPStatus
from typing import Any

import httpx


class BodyTooLarge(Exception):
    """The body exceeded `max_bytes`; raised from inside the stream to abort the download."""


class OverTime(Exception):
    """The URL's total time limit passed; raised between body chunks to abort the download."""


def is_tls_failure(exc: Exception) -> bool:
    """A bad certificate will be just as bad in a second; don't hammer the server."""
    text = str(exc).upper()
    return "CERTIFICATE" in text or "SSL" in text


def attempts_text(attempts: int) -> str:
    return f"{attempts} attempt" + ("" if attempts == 1 else "s")


def describe_status(status: int, reason: str, attempts: int) -> str:
    """'HTTP 404 Not Found', plus how often we tried when the status was worth retrying."""
    if not reason:
        try:
            reason = HTTPStatus(status).phrase
        except ValueError:
            reason = ""
    text = f"HTTP {status} {reason}".rstrip()
    return f"{text} after {attempts_text(attempts)}" if attempts > 1 else text


def describe_size(n: int) -> str:
    """50 MB, 512 KB or 1000 bytes: the limit as the person who set it would write it."""
    if n >= 1024 * 1024 and n % (1024 * 1024) == 0:
        return f"{n // (1024 * 1024)} MB"
    if n >= 1024 and n % 1024 == 0:
        return f"{n // 1024} KB"
    return f"{n} bytes"


def describe_error(exc: Exception, attempts: int, policy: Any) -> str:
    """An error message a person understands, naming the limit or the cause."""
    tries = attempts_text(attempts)
    if isinstance(exc, BodyTooLarge):
        return f"response larger than {describe_size(policy.max_bytes)} limit"
    if isinstance(exc, OverTime):
        return (f"took longer than {float(policy.total_timeout or 0):g} s in total "
                f"({tries}; the time limit per URL)")
    if isinstance(exc, httpx.TimeoutException):
        return f"timed out after {tries} ({which_timeout(exc, policy)})"
    if isinstance(exc, httpx.ConnectError):
        return f"{describe_connect_error(exc)} after {tries}"
    if isinstance(exc, (httpx.ReadError, httpx.WriteError, httpx.RemoteProtocolError)):
        return f"connection dropped by the server after {tries} ({exc})"
    if isinstance(exc, httpx.TooManyRedirects):
        return "too many redirects"
    if isinstance(exc, httpx.UnsupportedProtocol):
        return f"unsupported URL scheme ({exc})"
    if isinstance(exc, httpx.DecodingError):
        return f"could not decode the response body ({exc})"
    return f"{type(exc).__name__}: {exc}"


def which_timeout(exc: httpx.TimeoutException, policy: Any) -> str:
    if isinstance(exc, httpx.ConnectTimeout):
        return f"connect timeout {float(policy.connect_timeout)} s"
    if isinstance(exc, httpx.WriteTimeout):
        return f"write timeout {float(policy.read_timeout)} s"
    if isinstance(exc, httpx.PoolTimeout):
        return "no free connection"
    return f"read timeout {float(policy.read_timeout)} s"


def describe_connect_error(exc: httpx.ConnectError) -> str:
    """Name the usual causes plainly; fall back to the library's own words."""
    text = str(exc)
    lowered = text.lower()
    if "refused" in lowered:
        return "connection refused"
    if any(s in lowered for s in ("name or service not known", "nodename nor servname",
                                  "temporary failure in name resolution", "getaddrinfo",
                                  "no address associated")):
        return "could not resolve host name"
    if is_tls_failure(exc):
        return f"TLS error ({text})"
    return f"could not connect ({text})"
