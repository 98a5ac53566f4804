"""The `ingest` Prefect flow behind `govinfo run`.

discover -> fetch (URLs) -> fingerprint -> extract-batch (read, decode, normalize, identify,
extract, check) -> load. A task works on a batch of documents, because a Prefect task run has a
fixed cost (and the process runner's more). Batches run in parallel on the chosen task runner
and send back Arrow rows only; loading is done by the flow alone, one transaction per batch,
so parallel workers never contend for the DuckDB file. Import `flows.settings` and apply it
before this module (the CLI does).

What a run guarantees (README, Reliability): it is recorded in `runs` when it starts, and marked
finished or failed (with the error) when it ends; a batch whose task fails (its worker died) is
retried one input at a time, so only the culprit is quarantined (flows/isolate.py); a source
that fails after it was loaded keeps its last good report unless `prune_missing`; the lake is
published as one new version at the end (warehouse/lake.py).
"""
from __future__ import annotations

import os
import time
import traceback
import uuid
from collections import deque
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Callable, Iterator

import duckdb
from prefect import flow, task
from prefect.cache_policies import NONE as NO_CACHE

from flows import isolate, progress, stages
from flows.fetch import FetchOutcome, fetch_all
from flows.processes import hold_interrupts, interrupt_requested, interrupts_as_such
from flows.rawstore import FetchState
from flows.settings import keep_sdk_telemetry_off
from flows.sources import Source, discover
from flows.stages import WorkItem
from transforms.catalog import catalog
from warehouse import lake as lake_mod, postload, runlog, store
from warehouse.store import Quarantined

keep_sdk_telemetry_off()  # before the flow below is defined

DEFAULT_BATCH = None  # chosen per run by batch_size_for()
MIN_BATCH, MAX_BATCH = 20, 250
LOCK_WAIT_SECONDS = 600.0


@dataclass
class RunSummary:
    run_id: str
    inputs: int = 0
    loaded: int = 0
    skipped: int = 0
    quarantined: int = 0
    metrics: int = 0
    failed_checks: int = 0
    seconds: float = 0.0
    quarantine_reasons: list[tuple[str, str]] = field(default_factory=list)
    missing: int = 0  # loaded before, now gone from the folder they were found in
    kept: int = 0  # failing or missing sources whose last good report was kept
    pruned: int = 0  # reports dropped by --prune-missing
    retried: int = 0  # inputs of failed batches retried one by one
    interrupted_runs: int = 0  # earlier runs found still "running" (killed)

    def as_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)


def _task(name: str, fn: Callable, **kw: Any):
    return task(name=name, cache_policy=NO_CACHE, persist_result=False, **kw)(fn)


discover_task = _task("discover", discover)
# one task per batch for decode -> normalize -> identify -> extract -> check (see run_batch)
extract_task = _task("extract-batch", stages.run_batch)


@task(name="fetch", cache_policy=NO_CACHE, persist_result=False)
def fetch_task(urls: list[str], raw_dir: str, options: dict[str, Any]) -> list[FetchOutcome]:
    return fetch_all(urls, Path(raw_dir), FetchState(raw_dir), **options)


class Warehouse:
    """The flow's DuckDB connection, in the form the load and export tasks receive it.

    Prefect keeps a task's parameters until the process ends: in the task's state, and in the
    task context that a Ctrl-C in the middle of a task leaves set. DuckDB's bindings print
    "nanobind: leaked ..." (about 40 lines) for a connection still alive at interpreter exit.
    Whatever Prefect keeps of this holder, `close()` lets the connection itself go.
    """

    def __init__(self, con: duckdb.DuckDBPyConnection) -> None:
        self.con: duckdb.DuckDBPyConnection | None = con

    def close(self) -> None:
        con, self.con = self.con, None
        if con is not None:
            con.close()


@task(name="load", cache_policy=NO_CACHE, persist_result=False)
def load_task(wh: Warehouse, batch: store.Batch, run_id: str, seen: dict[str, str]) -> int:
    with interrupts_as_such():
        store.load_batch(wh.con, batch, run_id, seen)
    return batch.metrics


@task(name="export-lake", cache_policy=NO_CACHE, persist_result=False)
def export_task(wh: Warehouse, lake: str, run_id: str) -> dict[str, int]:
    with interrupts_as_such():
        return lake_mod.export(wh.con, lake, run_id)


def batch_size_for(n_items: int, in_flight: int) -> int:
    """Batches large enough that a task's fixed cost (a task run in Prefect's API, and under
    the process runner about 0.2-0.5 s of engine work in the worker) is spread over many
    documents, and small enough that every worker gets several: a run's last batches keep
    all cores busy and memory stays at `in_flight` batches."""
    return max(MIN_BATCH, min(MAX_BATCH, -(-n_items // (2 * max(1, in_flight)))))


def _outcome(future: Any, todo: list[WorkItem], summary: RunSummary) -> store.Batch:
    """The batch's rows; or, when its task itself failed (a worker process killed by the
    kernel or a native crash, a lost Dask worker), its inputs retried one by one in a worker
    of their own, so that only the input that kills a worker is quarantined: one bad file
    never stops the run or takes good ones with it, and no input goes unaccounted for."""
    if future is None:
        return store.to_batch([], [])
    try:
        return future.result()
    except Exception as e:
        reason = f"the worker running this batch failed: {type(e).__name__}: {e}"[:500]
        # Prefect keeps this exception in the task's state until the process ends, and
        # raising it here hung this frame on its traceback, and through it the flow's frames
        # with their DuckDB connection (reported at exit as "nanobind: leaked ..."). Prefect
        # has logged the worker's traceback already.
        e.__traceback__ = None
        summary.retried += len(todo)
        return isolate.retry_one_by_one(extract_task.fn, todo, reason)


def _chunks(items: list[WorkItem], n: int) -> Iterator[list[WorkItem]]:
    for i in range(0, len(items), n):
        yield items[i:i + n]


def _items_from_sources(found: list[Source], raw_dir: str, fetch_options: dict[str, Any],
                        con: Any, run_id: str) -> tuple[list[WorkItem], list[Quarantined]]:
    items: list[WorkItem] = []
    bad: list[Quarantined] = []
    urls = [s for s in found if s.kind == "url"]
    for s in found:
        if s.kind == "file":
            items.append(WorkItem(source_uri=s.uri, path=s.uri, hints=dict(s.hints)))
        elif s.kind == "rejected":
            bad.append(Quarantined(s.uri, None, s.reason or "rejected source"))
    if urls:
        outcomes = fetch_task([s.uri for s in urls], raw_dir, fetch_options)
        runlog.record_fetches(con, [o.__dict__ | {"path": None} for o in outcomes], run_id)
        by_url = {o.url: o for o in outcomes}
        for s in urls:
            o = by_url.get(s.uri)
            if o is None or not o.ok or o.path is None:
                bad.append(Quarantined(s.uri, o.sha256 if o else None,
                                       (o.error if o else None) or "fetch failed"))
                continue
            items.append(WorkItem(source_uri=s.uri, path=str(o.path), hints=dict(s.hints),
                                  declared_charset=o.declared_charset))
    return items, bad


@flow(name="ingest", log_prints=False, persist_result=False)
def ingest(sources: list[str], manifest: str | None = None,
           warehouse: str = "data/warehouse.duckdb", lake: str = "data/lake",
           raw_dir: str = "data/raw", batch_size: int | None = DEFAULT_BATCH,
           fetch_options: dict[str, Any] | None = None, in_flight: int = 4,
           prune_missing: bool = False) -> dict[str, Any]:
    t0 = time.monotonic()
    started = datetime.now(timezone.utc).replace(tzinfo=None)
    run_id = uuid.uuid4().hex
    summary = RunSummary(run_id=run_id)
    described = " ".join(sources)[:2000] + (f" --manifest {manifest}" if manifest else "")
    # a scheduled run may start while someone else holds the file for writing: wait for it
    wh = Warehouse(store.connect(warehouse, retries=LOCK_WAIT_SECONDS))
    try:
        summary.interrupted_runs = runlog.start_run(wh.con, run_id, started, described)
        try:
            _run(wh, summary, t0, sources, manifest, lake, raw_dir, batch_size,
                 fetch_options or {}, in_flight, prune_missing)
        except BaseException as e:
            # Prefect keeps a failed task's exception, with its traceback and every frame in
            # it, until the process ends: those frames must not keep the DuckDB connection
            # alive either (see Warehouse)
            traceback.clear_frames(e.__traceback__)
            if not (isinstance(e, KeyboardInterrupt) or interrupt_requested()):
                runlog.fail_run(wh.con, run_id, f"{type(e).__name__}: {e}")
                raise
            _record_interrupted(wh.con, summary, t0)
            if isinstance(e, KeyboardInterrupt):
                raise
            raise KeyboardInterrupt from None  # DuckDB's form of it: "Query interrupted"
    finally:
        wh.close()
    summary.seconds = round(time.monotonic() - t0, 2)
    return summary.as_dict()


def _run(wh: Warehouse, summary: RunSummary, t0: float, sources: list[str],
         manifest: str | None, lake: str, raw_dir: str, batch_size: int | None,
         fetch_options: dict[str, Any], in_flight: int, prune_missing: bool) -> None:
    """The body of `ingest`, which records its failure."""
    run_id = summary.run_id
    con = wh.con
    lake_mod.clean(lake)  # leftovers of an export that was killed
    store.load_catalog(con, catalog().catalog_rows())
    found = discover_task(sources, manifest)
    items, bad = _items_from_sources(found, raw_dir, fetch_options, con, run_id)
    summary.inputs = len(items) + len(bad)
    if bad:
        load_task(wh, store.to_batch([], bad), run_id, {})
        summary.quarantined += len(bad)
        summary.quarantine_reasons += [(q.source_uri, q.reason) for q in bad]
    version = stages.extractor_version()
    batches = _chunks(items, batch_size or batch_size_for(len(items), in_flight))
    chains: deque[tuple[Any, list[WorkItem], dict[str, str], int]] = deque()

    def launch_next() -> None:
        """Fingerprint the next batch, skip bytes already loaded, and queue the rest."""
        b = next(batches, None)
        if b is None:
            return
        batch = stages.fingerprint(b)
        known = store.known_reports(con, [i.sha256 for i in batch if i.sha256], version)
        todo = [i for i in batch if i.error is not None or i.sha256 not in known]
        seen = {i.source_uri: i.sha256 for i in batch
                if i.error is None and i.sha256 in known}
        chains.append((extract_task.submit(todo) if todo else None, todo, seen, len(batch)))

    # at most `in_flight` batches are queued and not yet loaded: memory is bounded by the
    # batch size, not by the corpus
    for _ in range(max(1, in_flight)):
        launch_next()
    done = 0
    while chains:
        f, todo, seen, n = chains.popleft()
        out = _outcome(f, todo, summary)
        launch_next()
        summary.metrics += load_task(wh, out, run_id, seen)
        summary.loaded += out.reports
        summary.skipped += len(seen)
        summary.quarantined += len(out.quarantined)
        summary.quarantine_reasons += [(q.source_uri, q.reason) for q in out.quarantined]
        summary.failed_checks += out.failed_checks
        out.release()
        done += n
        progress.report(done, len(items))
    summary.failed_checks += postload.refresh(con, summary.run_id, summary.loaded)
    _gone_and_failed(con, summary, found, prune_missing)
    summary.seconds = round(time.monotonic() - t0, 2)
    runlog.finish_run(con, {
        "run_id": run_id, "finished_at": datetime.now(timezone.utc).replace(tzinfo=None),
        "inputs": summary.inputs, "loaded": summary.loaded, "skipped": summary.skipped,
        "quarantined": summary.quarantined, "metrics": summary.metrics,
        "failed_checks": summary.failed_checks, "seconds": summary.seconds,
    })
    export_task(wh, lake, run_id)


def _gone_and_failed(con: Any, summary: RunSummary, found: list[Source],
                     prune_missing: bool) -> None:
    """Sources loaded before that failed this time, or are gone from the folder they were
    found in: their last good reports stay (and are counted), unless `prune_missing`."""
    roots = {s.root for s in found if s.root}
    listed = {s.uri for s in found}
    gone = [u for u in runlog.sources_under(con, roots)
            if u not in listed and not os.path.lexists(u)]
    summary.missing = runlog.mark_missing(con, gone)
    failing = {u for u, _ in summary.quarantine_reasons} | set(gone)
    if prune_missing:
        summary.pruned = runlog.prune_sources(con, failing)
    else:
        summary.kept = runlog.kept_reports(con, failing)


def _record_interrupted(con: Any, summary: RunSummary, t0: float) -> None:
    """Ctrl-C: the batches loaded so far stay (each was one transaction; the one under way,
    if any, is rolled back) and `runs` says the run was interrupted. A second Ctrl-C must not
    cut this short, so it is held off for the few statements it takes."""
    with hold_interrupts():
        store.rollback_quietly(con)
        # what is in the warehouse, rather than what the counters reached before the signal
        summary.loaded, summary.metrics = con.execute(
            "select count(*), (select count(*) from metrics m join reports r using (report_id)"
            " where r.run_id = $1) from reports where run_id = $1", [summary.run_id]).fetchone()
        summary.seconds = round(time.monotonic() - t0, 2)
        runlog.interrupt_run(con, {
            "run_id": summary.run_id,
            "finished_at": datetime.now(timezone.utc).replace(tzinfo=None),
            "inputs": summary.inputs, "loaded": summary.loaded, "skipped": summary.skipped,
            "quarantined": summary.quarantined, "metrics": summary.metrics,
            "failed_checks": summary.failed_checks, "seconds": summary.seconds,
        })
