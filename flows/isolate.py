"""When a batch fails as a whole, find the input that made it fail: retry its inputs one by one
in a process of their own.

Why: a batch's task fails as a whole when its worker process dies (killed by the kernel for
memory, a crash in a native reader), when a Dask worker is lost, or when the task itself raises.
Quarantining every input of that batch would lose good files for one bad one, and the process
pool that lost a worker fails every batch still queued on it. So the flow hands the inputs of a
failed batch to `retry_one_by_one`: a fresh worker process takes them one at a time; when it
dies, the input it was working on is the culprit and is quarantined with how the worker died,
and a new worker takes the rest.

The worker is forked from the preloaded forkserver where there is one (flows/runners.py), so
it starts warm; the work function must be importable by name (a module-level function).
"""
from __future__ import annotations

import multiprocessing
import pickle
import signal
from dataclasses import replace
from typing import Any, Callable

from extractors.limits import MAX_SECONDS as DECODE_SECONDS
from flows.stages import WorkItem, stage_seconds
from warehouse.store import Batch, Quarantined, merge_batches, to_batch

_STOP = None


def _serve(conn: Any, fn: Callable[[list[WorkItem]], Batch]) -> None:
    """The isolated worker: one input per request, until told to stop."""
    while True:
        try:
            item = conn.recv()
        except EOFError:
            return
        if item is _STOP:
            return
        try:
            conn.send(("ok", fn([item])))
        except Exception as e:  # noqa: BLE001 - reported to the flow, which quarantines
            conn.send(("error", f"{type(e).__name__}: {e}"))


def _context() -> Any:
    from flows.runners import start_forkserver
    if start_forkserver():
        return multiprocessing.get_context("forkserver")
    return multiprocessing.get_context("spawn")


def item_seconds() -> float:
    """How long the flow waits for one input in its own worker: every stage's limit and a
    margin. Past it the worker is hung somewhere no limit reaches, and it is stopped."""
    stages = stage_seconds() or 600.0
    return DECODE_SECONDS + 3 * stages + 60.0


def _how_it_died(exitcode: int | None) -> str:
    if exitcode is None:
        return "it stopped answering"
    if exitcode < 0:
        try:
            name = signal.Signals(-exitcode).name
        except ValueError:
            name = f"signal {-exitcode}"
        hint = " (the kernel's out-of-memory killer sends it)" if name == "SIGKILL" else ""
        return f"killed by {name}{hint}"
    return f"exit code {exitcode}"


class _Worker:
    """One isolated worker process and its pipe."""

    def __init__(self, ctx: Any, fn: Callable[[list[WorkItem]], Batch]) -> None:
        self.conn, child = ctx.Pipe()
        self.proc = ctx.Process(target=_serve, args=(child, fn), daemon=True,
                                name="govinfo-isolated")
        self.proc.start()
        child.close()

    def ask(self, item: WorkItem, seconds: float) -> tuple[str, Any]:
        """("ok", batch), ("error", text) or ("died", how)."""
        try:
            self.conn.send(item)
            if not self.conn.poll(seconds):
                self.kill()
                return "died", f"it did not finish within {seconds:g} s and was stopped"
            return self.conn.recv()
        except (EOFError, OSError):
            self.proc.join(5)
            return "died", _how_it_died(self.proc.exitcode)

    def kill(self) -> None:
        if self.proc.is_alive():
            self.proc.kill()
        self.proc.join(5)

    def close(self) -> None:
        try:
            self.conn.send(_STOP)
        except OSError:
            pass
        self.proc.join(5)
        self.kill()
        self.conn.close()


def retry_one_by_one(fn: Callable[[list[WorkItem]], Batch], items: list[WorkItem],
                     failure: str) -> Batch:
    """Each input of a failed batch on its own, on a fresh worker after every death.

    `failure` is how the batch failed, for the inputs that cannot be retried at all (the
    function cannot be sent to a worker)."""
    done: list[Batch] = []
    bad: list[Quarantined] = []
    todo = [it for it in items if it.error is None]
    bad += [it.quarantined() for it in items if it.error is not None]
    try:
        pickle.dumps(fn)
    except Exception:  # a function defined inside another cannot cross to a worker
        todo, bad = [], bad + [Quarantined(it.source_uri, it.sha256, failure) for it in todo]
    ctx = _context() if todo else None
    worker: _Worker | None = None
    seconds = item_seconds()
    try:
        for it in todo:
            if worker is None:
                worker = _Worker(ctx, fn)
            kind, value = worker.ask(replace(it), seconds)
            if kind == "ok":
                done.append(value)
                continue
            if kind == "died":
                worker.kill()
                worker = None
                reason = (f"the worker process died while working on this input alone "
                          f"({value}); the other inputs of its batch were retried one by one")
            else:
                reason = f"failed in a worker of its own: {value}"
            bad.append(Quarantined(it.source_uri, it.sha256, reason[:2000]))
    finally:
        if worker is not None:
            worker.close()
    return merge_batches(done + [to_batch([], bad)])
