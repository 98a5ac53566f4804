"""Resource limits for one input: a hostile or broken file must cost seconds, not the whole run.

Readers call `Deadline.check()` between units of work (pages, table rows, sheets). In the main
thread on Unix, `time_limit` additionally arms SIGALRM so that a single pathological page in
pure-Python parsing code (pdfminer) is interrupted too; in worker threads, where signals cannot
be used, the cooperative checks are the bound.
"""
from __future__ import annotations

import contextlib
import signal
import threading
import time
from collections.abc import Iterator

from extractors.base import Unreadable

MAX_PDF_PAGES = 300
MAX_SECONDS = 120.0
MAX_UNZIPPED_BYTES = 300 * 1024 * 1024  # total declared size of all members of a DOCX/XLSX
MAX_ZIP_RATIO = 200  # declared size / compressed size of a large member (bombs reach 1000+)
MAX_ZIP_MEMBERS = 5000
MAX_TABLE_CELLS = 100_000  # per table after spans are filled (the national tables have ~300)


class Deadline:
    """A wall-clock budget for reading one document."""

    def __init__(self, seconds: float | None) -> None:
        self.seconds = seconds
        self.start = time.monotonic()

    def elapsed(self) -> float:
        return time.monotonic() - self.start

    def check(self) -> None:
        """Raise Unreadable once the budget is spent; cheap enough to call per page or row."""
        if self.seconds is not None and self.elapsed() > self.seconds:
            raise Unreadable(f"took longer than {self.seconds:g} s to read (time limit)")


class _Alarm(BaseException):
    """Raised from the signal handler; a BaseException so library `except Exception` cannot eat it."""


@contextlib.contextmanager
def time_limit(deadline: Deadline) -> Iterator[None]:
    """Interrupt the body when the deadline passes, where the platform allows it.

    Only arms a timer when we are in the main thread, SIGALRM exists and nobody else has a
    timer running (we never steal a caller's alarm).
    """
    seconds = deadline.seconds
    usable = (
        seconds is not None
        and seconds > 0
        and hasattr(signal, "SIGALRM")
        and threading.current_thread() is threading.main_thread()
        and signal.getitimer(signal.ITIMER_REAL)[0] == 0
    )
    if not usable:
        yield
        return

    def _on_alarm(signum: int, frame: object) -> None:
        raise _Alarm()

    previous = signal.signal(signal.SIGALRM, _on_alarm)
    signal.setitimer(signal.ITIMER_REAL, max(0.01, float(seconds) - deadline.elapsed()))
    try:
        yield
    except _Alarm:
        raise Unreadable(f"took longer than {seconds:g} s to read (time limit)") from None
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)
