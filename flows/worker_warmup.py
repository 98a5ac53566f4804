"""Imported by the process runner's forkserver before it forks workers (see flows.runners).

Why: whatever this import loads, every worker inherits already loaded. It also makes every
worker ignore Ctrl-C and die with the forkserver (see flows.processes). It imports Prefect's
task engine and our stages, and warms the tables a worker would otherwise build on its first
documents: the catalog and its match caches, OpenCC, the code-point tables, and the division
names of every year. It must never fail a run: a warm-up problem only costs the speed-up.
"""
from __future__ import annotations

import logging
from pathlib import Path

import prefect.task_engine  # noqa: F401  (the bulk of a worker's start-up)
import prefect.task_runners  # noqa: F401

from flows import stages
from flows.processes import prepare_forkserver

prepare_forkserver()

_SAMPLES = Path(__file__).resolve().parents[1] / "data" / "samples"


def warm() -> None:
    from transforms import origin, regions
    for year in regions._year_list():
        regions._index(year)
    origin._name_index()  # hosts and file names are read against the pinyin of these names
    samples = sorted(_SAMPLES.glob("*.txt"))[:5] if _SAMPLES.is_dir() else []
    if samples:
        stages.run_batch([stages.WorkItem(source_uri=str(p), path=str(p)) for p in samples])


try:
    warm()
except Exception:  # pragma: no cover - only the speed-up is lost
    logging.getLogger(__name__).debug("worker warm-up failed", exc_info=True)
