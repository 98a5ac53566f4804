"""Politeness towards one web server: how many requests at once, and how far apart they start.

Government sites are small servers; flows/fetch.py asks this gate before every request so that
a run never hammers one host while different hosts proceed in parallel.
"""
from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager


class HostGate:
    """Per-host concurrency limit and spacing between request starts.

    The spacing is reserved under a lock and slept outside it, so waiting for one host never
    blocks requests to another.
    """

    def __init__(self, per_host: int, delay: float) -> None:
        self._per_host = max(1, per_host)
        self._delay = max(0.0, delay)
        self._lock = threading.Lock()
        self._slots: dict[str, threading.BoundedSemaphore] = {}
        self._next_start: dict[str, float] = {}

    def _semaphore(self, host: str) -> threading.BoundedSemaphore:
        with self._lock:
            return self._slots.setdefault(host, threading.BoundedSemaphore(self._per_host))

    def _wait_turn(self, host: str) -> None:
        """Wait until `host` may see another request, then book the next turn from now.

        The turn is booked when it has actually come, not in advance, so a thread that is
        slow to wake never lets two requests reach the host closer than the delay."""
        while True:
            with self._lock:
                now = time.monotonic()
                due = self._next_start.get(host, now)
                if now >= due:
                    self._next_start[host] = now + self._delay
                    return
            time.sleep(due - now)

    @contextmanager
    def slot(self, host: str) -> Iterator[None]:
        """Hold one of the host's request slots for the duration of one attempt."""
        with self._semaphore(host):
            self._wait_turn(host)
            yield
