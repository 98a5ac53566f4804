"""A progress bar on the terminal while `run` works (silent when output is not a terminal)."""
from __future__ import annotations

import sys
from types import TracebackType


class Progress:
    def __init__(self) -> None:
        self._bar = None
        self._task = None

    def __enter__(self) -> "Progress":
        if sys.stderr.isatty():
            from rich.progress import BarColumn, MofNCompleteColumn, TimeElapsedColumn
            from rich.progress import Progress as RichProgress
            self._bar = RichProgress("[progress.description]{task.description}", BarColumn(),
                                     MofNCompleteColumn(), TimeElapsedColumn(), transient=True)
            self._bar.start()
            self._task = self._bar.add_task("documents", total=None)
        return self

    def update(self, done: int, total: int) -> None:
        if self._bar is not None:
            self._bar.update(self._task, completed=done, total=total)

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        if self._bar is not None:
            self._bar.stop()
