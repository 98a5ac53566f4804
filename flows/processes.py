"""The processes a command starts, and how they end with it.

A run starts up to three kinds of child processes: Prefect's API server (flows.api_server), the
process runner's forkserver and its workers (flows.runners), and under `serve` a Prefect
server (flows.serve). Two promises hold for all of them:

* Ctrl-C at the terminal is the command's to handle. The terminal sends SIGINT to every process
  in its foreground group; a server that died of it first made the run print "Connection
  refused" and hang, and workers dying mid-batch made a mess of the shutdown. So servers run in
  a session of their own, workers ignore SIGINT, and the command stops them itself.
* Nothing outlives the command, even when it is killed outright (kill -9, the OOM killer), which
  runs no clean-up code at all: each child asks Linux to signal it when its parent dies
  (PR_SET_PDEATHSIG). The forkserver exits by itself when the command's end of its "alive"
  pipe closes, and its workers then get the signal.
"""
from __future__ import annotations

import multiprocessing
import os
import signal
import sys
import threading
import traceback
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

__all__ = ["abandon_pool", "die_with_parent", "hold_interrupts", "interrupt_requested",
           "interrupts_as_such", "noting_interrupts", "prepare_forkserver", "stop_workers"]

_PR_SET_PDEATHSIG = 1


def _libc_prctl() -> Callable[..., int] | None:
    if not sys.platform.startswith("linux"):
        return None
    try:
        import ctypes
        return ctypes.CDLL(None, use_errno=True).prctl
    except (OSError, AttributeError):
        return None


def die_with_parent(sig: int = signal.SIGTERM) -> Callable[[], None] | None:
    """A `preexec_fn` for subprocess.Popen: the child gets `sig` when this process dies.

    Linux only (None elsewhere). The libc handle is looked up here, in the parent, because
    loading a library in a forked child before exec is unsafe.
    """
    prctl = _libc_prctl()
    if prctl is None:
        return None
    parent = os.getpid()

    def hook() -> None:
        prctl(_PR_SET_PDEATHSIG, sig)
        if os.getppid() != parent:  # the parent died before prctl took effect
            os._exit(1)
    return hook


class _AfterFork:
    """Holds the after-fork hook: multiprocessing keeps only a weak reference to its owner."""

    def __init__(self) -> None:
        self.prctl = _libc_prctl()
        self.parent = os.getpid()

    def __call__(self) -> None:
        # a worker's batch is the command's to stop: Ctrl-C at the terminal reaches every
        # process of the foreground group, the workers included
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        # multiprocessing hands each child a copy of the command's end of the forkserver's
        # "alive" pipe (for children that start processes of their own; ours start none).
        # Held by the workers, it kept the forkserver from ever seeing the command die, and
        # the workers waited on it: orphans after a kill -9.
        from multiprocessing import forkserver
        server = getattr(forkserver, "_forkserver", None)
        fd = getattr(server, "_forkserver_alive_fd", None)
        if fd is not None:
            try:
                os.close(fd)
            except OSError:
                pass
            server._forkserver_alive_fd = None
        if self.prctl is not None:
            # SIGKILL: a worker holds nothing worth saving once the command is gone
            self.prctl(_PR_SET_PDEATHSIG, signal.SIGKILL)
            if os.getppid() != self.parent:
                os._exit(1)


_AFTER_FORK: _AfterFork | None = None


def prepare_forkserver() -> None:
    """Run inside the forkserver (from its preload): every worker it forks ignores SIGINT and
    dies with the forkserver. multiprocessing runs after-fork hooks in each child it starts."""
    global _AFTER_FORK
    if _AFTER_FORK is None:
        from multiprocessing import util
        _AFTER_FORK = _AfterFork()
        util.register_after_fork(_AFTER_FORK, lambda hook: hook())


def stop_workers(timeout: float = 3.0) -> None:
    """Terminate the worker processes this process started (pool workers, forked or spawned):
    used when the run is interrupted, instead of waiting for their batches to end."""
    children = multiprocessing.active_children()
    for p in children:
        p.terminate()
    for p in children:
        p.join(timeout)
        if p.is_alive():
            p.kill()
            p.join(1.0)


def abandon_pool(executor: Any) -> None:
    """Kill a ProcessPoolExecutor's workers now, instead of waiting for their batches, in a
    way its own shutdown survives.

    A worker killed while it sends a batch's rows back (megabytes, through a pipe) leaves half
    a message in the result pipe, and the pool's manager thread then waits for the rest
    forever: `govinfo run` hung after Ctrl-C. This process holds the pipe's other write end,
    so closing it lets that read end in EOF; the pool then declares itself broken and its
    shutdown returns. (Uses the pool's private attributes; Python 3.14's
    ProcessPoolExecutor.kill_workers is the public form.)
    """
    workers = list((getattr(executor, "_processes", None) or {}).values())
    for p in workers:
        p.kill()
    for p in workers:
        p.join(3.0)
    writer = getattr(getattr(executor, "_result_queue", None), "_writer", None)
    if writer is not None:
        writer.close()


@contextmanager
def hold_interrupts() -> Iterator[None]:
    """Ignore SIGINT/SIGTERM for the few statements of an orderly stop, so that a second
    Ctrl-C does not cut it short (orphaning a server, losing the run's record)."""
    if threading.current_thread() is not threading.main_thread():
        yield  # handlers can only be changed from the main thread
        return
    sigs = [signal.SIGINT] + ([signal.SIGTERM] if sys.platform != "win32" else [])
    old = {sig: signal.signal(sig, signal.SIG_IGN) for sig in sigs}
    try:
        yield
    finally:
        for sig, handler in old.items():
            signal.signal(sig, handler)


_INTERRUPT = threading.Event()


def interrupt_requested() -> bool:
    """Whether Ctrl-C was pressed inside `noting_interrupts()`. DuckDB turns a SIGINT that
    arrives during a statement into RuntimeError("Query interrupted"), so the flow cannot tell
    an interrupt from a failure by the exception alone."""
    return _INTERRUPT.is_set()


def _note_and_raise(signum: int, frame: object) -> None:
    _INTERRUPT.set()
    raise KeyboardInterrupt


@contextmanager
def noting_interrupts() -> Iterator[None]:
    """Ctrl-C raises KeyboardInterrupt as usual, and `interrupt_requested()` remembers it."""
    _INTERRUPT.clear()
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    old = signal.signal(signal.SIGINT, _note_and_raise)
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, old)


@contextmanager
def interrupts_as_such() -> Iterator[None]:
    """Inside this block, DuckDB's RuntimeError("Query interrupted") after a Ctrl-C becomes the
    KeyboardInterrupt it is: Prefect then records the task as crashed by an interrupt (one
    line) instead of logging a failure with its whole traceback."""
    try:
        yield
    except Exception as e:
        if not interrupt_requested():
            raise
        traceback.clear_frames(e.__traceback__)  # its frames hold the connection (flows.ingest)
        raise KeyboardInterrupt from None
