"""Task runners for `--task-runner thread|process|dask`.

The process runner is Prefect's ProcessPoolTaskRunner with one change: its workers are forked
from a forkserver that has already imported Prefect's task engine and our stages and loaded the
catalog, instead of being spawned as fresh interpreters. A spawned worker spends about 5 s of CPU
importing Prefect and building the same tables before its first document; here that happens
once, in a process started at the top of `govinfo run` while Prefect's API server boots, and
every worker starts warm (sharing those pages copy-on-write). Where forkserver does not exist
(Windows), the stock runner is used.
"""
from __future__ import annotations

import multiprocessing
import sys
import threading
from typing import Any

# what the forkserver imports before forking workers: the modules a task needs, and the module
# whose import warms the per-process tables (catalog, OpenCC, division names)
PRELOAD = ["flows.worker_warmup"]
_RENEW_LOCK = threading.Lock()


def forkserver_available() -> bool:
    return sys.platform != "win32" and "forkserver" in multiprocessing.get_all_start_methods()


def start_forkserver() -> bool:
    """Start the preloaded forkserver now, so that its imports overlap other start-up work."""
    if not forkserver_available():
        return False
    from multiprocessing import forkserver
    ctx = multiprocessing.get_context("forkserver")
    ctx.set_forkserver_preload(PRELOAD)
    forkserver.ensure_running()
    return True


class _ForkserverContexts:
    """Stands in for the `multiprocessing` module inside prefect.task_runners while the runner
    starts: Prefect asks for the 'spawn' context and gets the preloaded forkserver one."""

    def __init__(self, real: Any) -> None:
        self._real = real

    def get_context(self, method: str | None = None) -> Any:
        return self._real.get_context("forkserver")

    def __getattr__(self, name: str) -> Any:
        return getattr(self._real, name)


def process_runner(workers: int) -> Any:
    if not forkserver_available():
        return _renewing_runner_class()(max_workers=workers)
    return _forkserver_runner_class()(max_workers=workers)


def _renewing_runner_class() -> type:
    from prefect.task_runners import ProcessPoolTaskRunner

    class RenewingProcessPoolTaskRunner(ProcessPoolTaskRunner):
        """Prefect's process pool, given a fresh pool when a worker died.

        A pool that lost a worker (killed for memory, a native crash) fails every task
        submitted to it afterwards; the batches it failed are retried one input at a time
        (flows/isolate.py), and the batches after them go to a new pool with the same
        settings instead of failing too."""

        def _resolve_futures_and_submit(self, *args: Any, **kwargs: Any) -> Any:
            renew_if_broken(self)
            return super()._resolve_futures_and_submit(*args, **kwargs)

    return RenewingProcessPoolTaskRunner


def renew_if_broken(runner: Any) -> None:
    """Replace the runner's process pool by a new one with the same settings if it is broken.

    Module-level (not a method): Prefect pickles the runner class by value, and a method
    that named the lock would take the lock along, which cannot be pickled."""
    with _RENEW_LOCK:
        old = runner._executor
        if old is not None and getattr(old, "_broken", False):
            from concurrent.futures import ProcessPoolExecutor
            runner._executor = ProcessPoolExecutor(
                max_workers=runner._max_workers, mp_context=old._mp_context,
                initializer=old._initializer, initargs=old._initargs)
            old.shutdown(wait=False, cancel_futures=True)


def _forkserver_runner_class() -> type:
    class ForkserverProcessPoolTaskRunner(_renewing_runner_class()):
        """Prefect's process pool with workers forked from the preloaded forkserver."""

        def __enter__(self):  # type: ignore[no-untyped-def]
            import prefect.task_runners as tr
            # only the preload list: Prefect also enters the flow's runner inside each worker,
            # where starting a server would be waste (the pool forks nothing until a submit)
            multiprocessing.get_context("forkserver").set_forkserver_preload(PRELOAD)
            real = tr.multiprocessing
            tr.multiprocessing = _ForkserverContexts(real)  # type: ignore[assignment]
            try:
                return super().__enter__()
            finally:
                tr.multiprocessing = real

        def __exit__(self, exc_type, exc, tb):  # type: ignore[no-untyped-def]
            # Ctrl-C (or any abort that is not an error of the flow): the pool would wait for
            # the batches under way, seconds to minutes; their results would not be loaded
            if exc_type is not None and not issubclass(exc_type, Exception):
                from flows.processes import abandon_pool
                abandon_pool(self._executor)
            return super().__exit__(exc_type, exc, tb)

    return ForkserverProcessPoolTaskRunner


# below this many inputs a run is over before a process pool pays for its start (measured on 2
# cores: thread and process tie at about 200 documents, process is 1.5x faster at 4,000)
AUTO_PROCESS_MIN_INPUTS = 250


def choose_kind(kind: str, workers: int, sources: list[str], manifest: str | None) -> str:
    """`auto`: the process pool when there are cores to use and enough inputs to use them,
    threads otherwise. Threads share one interpreter lock, so the CPU stages of a large run
    use about one core under them whatever `--workers` says."""
    if kind != "auto":
        return kind
    if workers < 2:
        return "thread"
    from flows.sources import has_at_least
    return "process" if has_at_least(sources, manifest, AUTO_PROCESS_MIN_INPUTS) else "thread"


def task_runner(kind: str, workers: int, dask_address: str | None) -> Any:
    if kind == "thread":
        from prefect.task_runners import ThreadPoolTaskRunner
        return ThreadPoolTaskRunner(max_workers=workers)
    if kind == "process":
        return process_runner(workers)
    from prefect_dask import DaskTaskRunner
    if dask_address:
        return DaskTaskRunner(address=dask_address)
    return DaskTaskRunner(cluster_kwargs={"n_workers": workers, "threads_per_worker": 1,
                                          "processes": True, "dashboard_address": None})
