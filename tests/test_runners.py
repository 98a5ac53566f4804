"""The three task runners give the same metrics.

Why: `--task-runner process` and `--task-runner dask` move work items between processes
(pickling them, re-importing the catalog and region tables in each worker). A difference in
what a worker sees, or a batch silently lost on the way back, would change the warehouse
without any error. So the seeds are loaded once with each runner, for real (two workers
each, separate warehouses), and the metrics must be identical to the thread runner's.
"""
from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import duckdb
import pytest

import flows.cli as cli
from tests.conftest import seed_paths

RUNNERS = ("thread", "process", "dask")
RUNNER_CLASS = {"thread": "ThreadPoolTaskRunner", "process": "ProcessPoolTaskRunner",
                "dask": "DaskTaskRunner"}

Row = tuple[str, str, str, str, float]


def _metrics(warehouse: Path) -> list[Row]:
    """(report file name, indicator_code, breakdown, period, value), sorted."""
    con = duckdb.connect(str(warehouse), read_only=True)
    try:
        return con.execute("""
            select regexp_extract(r.source_uri, '[^/\\\\]+$'), m.indicator_code, m.breakdown,
                   m.period, m.value
            from metrics m join reports r using (report_id)
            order by all""").fetchall()
    finally:
        con.close()


@pytest.fixture(scope="module")
def runs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, dict[str, Any]]:
    """One real `govinfo run` of the seeds per runner, each into its own warehouse."""
    base = tmp_path_factory.mktemp("runners")
    src = base / "in"
    src.mkdir()
    for p in seed_paths():
        shutil.copyfile(p, src / p.name)
    built: dict[str, str] = {}
    real = cli.task_runner

    def spy(kind: str, workers: int, dask_address: str | None) -> Any:
        runner = real(kind, workers, dask_address)
        built[kind] = [c.__name__ for c in type(runner).__mro__]
        return runner

    out: dict[str, dict[str, Any]] = {}
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(cli, "task_runner", spy)
        for kind in RUNNERS:
            d = base / kind
            rc = cli.main(["run", str(src), "--warehouse", str(d / "w.duckdb"),
                           "--lake", str(d / "lake"), "--raw-dir", str(d / "raw"),
                           "--task-runner", kind, "--workers", "2",
                           # several batches, so both workers get some and results cross back
                           "--batch-size", "2"])
            out[kind] = {"rc": rc, "runner": built.get(kind),
                         "metrics": _metrics(d / "w.duckdb") if rc == 0 else []}
    return out


@pytest.mark.parametrize("kind", RUNNERS)
def test_runner_runs_the_seeds(runs: dict[str, dict[str, Any]], kind: str) -> None:
    """Each runner is really used (not a fallback) and loads every seed."""
    r = runs[kind]
    assert r["rc"] == 0, f"govinfo run --task-runner {kind} failed"
    assert RUNNER_CLASS[kind] in r["runner"]
    files = {row[0] for row in r["metrics"]}
    assert files == {p.name for p in seed_paths()}


@pytest.mark.parametrize("kind", ["process", "dask"])
def test_runner_metrics_equal_thread(runs: dict[str, dict[str, Any]], kind: str) -> None:
    thread, other = runs["thread"]["metrics"], runs[kind]["metrics"]
    assert thread, "the thread runner produced no metrics"
    only_thread = sorted(set(thread) - set(other))
    only_other = sorted(set(other) - set(thread))
    assert not only_thread and not only_other, (
        f"{kind} differs from thread: missing {only_thread[:5]}, extra {only_other[:5]}")
    assert len(other) == len(thread)
