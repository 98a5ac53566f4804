"""A progress bar on the terminal while `run` works (silent when output is not a terminal).

Why the flow reports through `report()` here instead of holding a callback itself: under the
process and Dask runners Prefect pickles the flow with each task (cloudpickle copies the flow's
function *by value*, with every module-level object it names). A Rich progress bar named there
travels along, and its lock cannot be pickled: every batch then failed with "cannot pickle
'_thread.RLock' object". The flow names only this module, which pickles by reference; the bar
lives in the CLI's process and a worker's copy of this module has no listener.
"""
from __future__ import annotations

import sys
from collections.abc import Callable
from types import TracebackType

_listener: Callable[[int, int], None] | None = None


def report(done: int, total: int) -> None:
    """Tell the terminal's bar (if any, in this process) how far the run is."""
    if _listener is not None:
        _listener(done, total)


class Progress:
    """Shows the bar while the `with` block runs, when stderr is a terminal."""

    def __init__(self) -> None:
        self._bar = None
        self._task = None

    def __enter__(self) -> "Progress":
        global _listener
        if sys.stderr.isatty():
            from rich.progress import BarColumn, MofNCompleteColumn, TimeElapsedColumn
            from rich.progress import Progress as RichProgress
            self._bar = RichProgress("[progress.description]{task.description}", BarColumn(),
                                     MofNCompleteColumn(), TimeElapsedColumn(), transient=True)
            self._bar.start()
            self._task = self._bar.add_task("documents", total=None)
            _listener = self.update
        return self

    def update(self, done: int, total: int) -> None:
        if self._bar is not None:
            self._bar.update(self._task, completed=done, total=total)

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        global _listener
        _listener = None
        if self._bar is not None:
            self._bar.stop()
