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


def test_auto_chooses_by_cores_and_inputs(tmp_path: Path) -> None:
    """`--task-runner auto` (the default): a process pool only when there are cores to use
    and inputs enough to pay for its start; explicit choices are left alone."""
    from flows.runners import AUTO_PROCESS_MIN_INPUTS as N, choose_kind

    few, many = tmp_path / "few", tmp_path / "many"
    few.mkdir()
    (many / "sub").mkdir(parents=True)
    for i in range(3):
        (few / f"{i}.txt").write_text("x")
    for i in range(N - 1):  # one short, in a subfolder too
        (many / ("sub" if i % 2 else "") / f"{i}.txt").write_text("x")
    (many / ".hidden.txt").write_text("x")  # hidden files are not inputs
    assert choose_kind("auto", 2, [str(few)], None) == "thread"
    assert choose_kind("auto", 2, [str(many)], None) == "thread"
    assert choose_kind("auto", 2, [str(many), str(few)], None) == "process"
    assert choose_kind("auto", 2, [str(many / "**" / "*.txt"), "https://example.org/a"],
                       None) == "process"
    assert choose_kind("auto", 1, [str(many), str(few)], None) == "thread"
    for kind in ("thread", "process", "dask"):
        assert choose_kind(kind, 2, [str(few)], None) == kind
    manifest = tmp_path / "list.csv"
    manifest.write_text("source,year\n" + "".join(f"https://example.org/{i},2020\n"
                                                  for i in range(N)), encoding="utf-8")
    assert choose_kind("auto", 2, [], str(manifest)) == "process"
    assert choose_kind("auto", 2, [], str(tmp_path / "missing.csv")) == "thread"


def test_default_runner_of_a_small_run_is_thread(tmp_path: Path) -> None:
    """A run of a few files with no --task-runner starts no process pool."""
    built: list[str] = []
    real = cli.task_runner

    def spy(kind: str, workers: int, dask_address: str | None) -> Any:
        built.append(kind)
        return real(kind, workers, dask_address)

    src = tmp_path / "in"
    src.mkdir()
    shutil.copyfile(seed_paths()[0], src / seed_paths()[0].name)
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(cli, "task_runner", spy)
        assert cli.main(["run", str(src), "--warehouse", str(tmp_path / "w.duckdb"),
                         "--lake", str(tmp_path / "lake"), "--workers", "2"]) == 0
    assert built == ["thread"]
