"""A wall-clock limit for one input's work in one stage (decode, normalize, identify, extract).

Why: one hostile input must cost seconds, not the run. Decoding had a budget of its own
(extractors/limits.py), checked between pages and rows and by SIGALRM only in a main thread;
the stages after it work on text, and a text can be built so that they take very long (a
sentence of 200,000 characters, a table of a million cells).

How the work is interrupted depends on where it runs:

* in a process's main thread (the process runner's workers, direct calls), SIGALRM, whose
  handler raises even inside re's matching loop (it checks for signals);
* in any other thread (the thread runner), a watchdog thread raises the exception in the
  worker thread with CPython's PyThreadState_SetAsyncExc. It takes effect at the next Python
  bytecode, so a single long call into C is not cut short; the stages' C calls are bounded by
  the text size limit (flows/stages.MAX_TEXT_CHARS).

Either way the caller gets `Unreadable("<stage> took longer than N s (time limit)")`, and the
input ends in quarantine with that reason.
"""
from __future__ import annotations

import ctypes
import heapq
import itertools
import os
import signal
import threading
import time
from typing import Callable, TypeVar

from extractors.base import Unreadable

T = TypeVar("T")
_RUNNING, _DONE, _FIRED = 0, 1, 2


class StageTimeout(BaseException):
    """Raised inside the limited work; a BaseException so that a library's `except Exception`
    cannot swallow it."""


def call_with_time_limit(seconds: float | None, stage: str, fn: Callable[..., T],
                         *args: object) -> T:
    """fn(*args), interrupted after `seconds` (None or 0: no limit)."""
    if not seconds or seconds <= 0:
        return fn(*args)
    try:
        if _alarm_usable():
            return _with_alarm(seconds, fn, args)
        return _with_watchdog(seconds, fn, args)
    except StageTimeout:
        raise Unreadable(f"{stage} took longer than {seconds:g} s (time limit)") from None


def _alarm_usable() -> bool:
    return (hasattr(signal, "SIGALRM")
            and threading.current_thread() is threading.main_thread()
            and signal.getitimer(signal.ITIMER_REAL)[0] == 0)  # never steal a caller's alarm


def _with_alarm(seconds: float, fn: Callable[..., T], args: tuple) -> T:
    def on_alarm(signum: int, frame: object) -> None:
        raise StageTimeout()

    previous = signal.signal(signal.SIGALRM, on_alarm)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        return fn(*args)
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


class _Watch:
    """One limited call: its thread, its deadline, and whether it is still running."""

    __slots__ = ("tid", "deadline", "state", "lock")

    def __init__(self, seconds: float) -> None:
        self.tid = threading.get_ident()
        self.deadline = time.monotonic() + seconds
        self.state = _RUNNING
        self.lock = threading.Lock()


def _async_raise(tid: int, exc: type[BaseException] | None) -> None:
    """Make `exc` pending in thread `tid` (None clears a pending one)."""
    ctypes.pythonapi.PyThreadState_SetAsyncExc(
        ctypes.c_ulong(tid), ctypes.py_object(exc) if exc is not None else None)


class _Watchdog:
    """One daemon thread for every limited call of the process: a heap of deadlines, so that
    arming a limit costs a lock and a heap push, not a thread per call."""

    def __init__(self) -> None:
        self._cond = threading.Condition()
        self._heap: list[tuple[float, int, _Watch]] = []
        self._seq = itertools.count()
        self._thread: threading.Thread | None = None

    def watch(self, seconds: float) -> _Watch:
        w = _Watch(seconds)
        with self._cond:
            heapq.heappush(self._heap, (w.deadline, next(self._seq), w))
            if self._thread is None or not self._thread.is_alive():
                self._thread = threading.Thread(target=self._run, name="stage-watchdog",
                                                daemon=True)
                self._thread.start()
            if self._heap[0][2] is w:
                self._cond.notify()
        return w

    def _run(self) -> None:
        with self._cond:
            while True:
                if not self._heap:
                    self._cond.wait()
                    continue
                deadline, _, w = self._heap[0]
                if w.state != _RUNNING:
                    heapq.heappop(self._heap)
                    continue
                now = time.monotonic()
                if now < deadline:
                    self._cond.wait(deadline - now)
                    continue
                heapq.heappop(self._heap)
                with w.lock:
                    if w.state == _RUNNING:
                        w.state = _FIRED
                        _async_raise(w.tid, StageTimeout)

    @staticmethod
    def finish(w: _Watch) -> None:
        """The call is over: never raise in its thread from now on. An exception fired but
        not yet delivered is cleared, so it cannot surface later in unrelated code."""
        with w.lock:
            fired = w.state == _FIRED
            w.state = _DONE
        if fired:
            _async_raise(w.tid, None)


_WATCHDOG = _Watchdog()


def _reset_after_fork() -> None:
    global _WATCHDOG
    _WATCHDOG = _Watchdog()  # the parent's thread and lock do not exist in the child


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_reset_after_fork)


def _with_watchdog(seconds: float, fn: Callable[..., T], args: tuple) -> T:
    w = _WATCHDOG.watch(seconds)
    try:
        return fn(*args)
    finally:
        _Watchdog.finish(w)
