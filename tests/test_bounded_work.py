"""Bounded work per input: one hostile input costs its own quarantine row, never good files.

The hostile inputs are written here: the ~480 KB text of `本年收到申请1件，答复1件，占100%，`
repeated without a 。 (it made extract use 7.9 GB: every figure kept its whole sentence as
context), the same kind of text at the size limit (to outlast a stage's time limit), and a file
whose batch kills its worker process. Runs are real: `govinfo` in a subprocess under an
address-space limit, or the flow in-process with a real process pool.
"""
from __future__ import annotations

import threading
from pathlib import Path

import pytest

from flows import stages
from flows.cli import main
from flows.stages import WorkItem
from tests import hostile
from tests.hostile import rows

MEMORY_LIMIT = 4 * 1024 ** 3  # govinfo itself peaks near 2 GB of address space; the bug: 8 GB


@pytest.fixture(scope="module")
def good_and_quadratic(tmp_path_factory: pytest.TempPathFactory) -> Path:
    src = tmp_path_factory.mktemp("bounded") / "in"
    hostile.write_good_reports(src, 100)
    (src / "zz_quadratic.txt").write_text(hostile.quadratic_text(), encoding="utf-8")
    return src


@pytest.mark.parametrize("runner", ["thread", "process"])
def test_quadratic_text_loads_beside_100_good_files_under_a_memory_limit(
        good_and_quadratic: Path, tmp_path: Path, runner: str) -> None:
    wh = tmp_path / "w.duckdb"
    r = hostile.run_govinfo(["run", str(good_and_quadratic), "--task-runner", runner,
                             "--workers", "2", "--warehouse", str(wh),
                             "--lake", str(tmp_path / "lake")],
                            preexec_fn=hostile.memory_limited(MEMORY_LIMIT))
    assert r.returncode == 0, r.stderr[-3000:]
    assert rows(wh, "select count(*) from reports")[0][0] == 101
    assert rows(wh, "select count(*) from quarantine") == [(0,)]
    # the hostile text itself loaded, every figure of it read
    assert rows(wh, """select count(*) from observations o join reports r using (report_id)
                       where r.source_uri like '%zz_quadratic.txt'""")[0][0] >= 20000
    assert rows(wh, "select status, inputs, loaded from runs") == [("finished", 101, 101)]


def _slow_batch(folder: Path) -> list[WorkItem]:
    """Five good reports and a text at the size limit that outlasts a 0.5 s stage limit by
    far (the stages read about 200,000 characters a second of it)."""
    good = hostile.write_good_reports(folder, 5)
    slow = folder / "slow.txt"
    slow.write_text(hostile.quadratic_text(7_000_000), encoding="utf-8")
    return [WorkItem(source_uri=str(p), path=str(p)) for p in [*good, slow]]


@pytest.mark.parametrize("where", ["main thread", "worker thread"])
def test_an_input_over_a_stage_time_limit_is_quarantined_and_the_rest_load(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, where: str) -> None:
    """SIGALRM in a main thread (process workers), the watchdog in a thread (thread runner)."""
    items = _slow_batch(tmp_path)
    stages.run_batch(items[:1])  # the first document of a process builds the tables: not timed
    monkeypatch.setenv("GOVINFO_STAGE_SECONDS", "0.5")
    out: list = []
    if where == "main thread":
        out.append(stages.run_batch(items))
    else:
        t = threading.Thread(target=lambda: out.append(stages.run_batch(items)))
        t.start()
        t.join(300)
    batch = out[0]
    assert batch.reports == 5
    [q] = batch.quarantined
    assert Path(q.source_uri).name == "slow.txt"
    assert "took longer than 0.5 s (time limit)" in q.reason
    assert q.reason.split()[0] in ("normalize", "identify", "extract")


def test_a_worker_killed_mid_batch_costs_only_its_culprit(tmp_path: Path) -> None:
    """The process pool loses a worker (SIGKILL): every batch it failed is retried one input
    at a time on a fresh worker, later batches get a new pool, and only the file that kills
    a worker is quarantined, with how its worker died."""
    src = tmp_path / "in"
    good = hostile.write_good_reports(src, 40)
    killer = src / "good_0007_killer.txt"
    killer.write_text(good[7].read_text(encoding="utf-8") + hostile.KILL_MARKER, encoding="utf-8")
    wh = tmp_path / "w.duckdb"
    r = hostile.run_govinfo_killing_workers(
        ["run", str(src), "--warehouse", str(wh), "--lake", str(tmp_path / "lake"),
         "--task-runner", "process", "--workers", "2", "--batch-size", "5"])
    assert r.returncode == 0, r.stderr[-3000:]
    assert "retried alone" in r.stdout
    assert rows(wh, "select count(*) from reports")[0][0] == 40
    [(uri, reason)] = rows(wh, "select source_uri, reason from quarantine")
    assert Path(uri).name == killer.name
    assert "worker process died while working on this input alone" in reason
    assert "killed by SIGKILL" in reason
    assert rows(wh, "select status, loaded, quarantined from runs") == [("finished", 40, 1)]


def test_a_run_killed_with_its_process_leaves_a_runs_row(tmp_path: Path) -> None:
    """Under the thread runner a dying worker is the run's own process: the run was recorded
    when it started, and the next run marks it interrupted."""
    src = tmp_path / "in"
    good = hostile.write_good_reports(src, 3)
    (src / "killer.txt").write_text(good[0].read_text(encoding="utf-8") + hostile.KILL_MARKER,
                                    encoding="utf-8")
    wh, lake = tmp_path / "w.duckdb", tmp_path / "lake"
    r = hostile.run_govinfo_killing_workers(["run", str(src), "--warehouse", str(wh),
                                             "--lake", str(lake), "--task-runner", "thread"])
    assert r.returncode == -9, r.stderr[-2000:]
    assert rows(wh, "select status, finished_at from runs") == [("running", None)]
    (src / "killer.txt").unlink()
    assert main(["run", str(src), "--warehouse", str(wh), "--lake", str(lake)]) == 0
    statuses = rows(wh, "select status, error is not null from runs order by started_at")
    assert statuses == [("interrupted", True), ("finished", False)]


def test_a_run_that_fails_is_recorded_with_its_error(tmp_path: Path, capsys) -> None:
    src = tmp_path / "in"
    hostile.write_good_reports(src, 2)
    lake = tmp_path / "lake"
    lake.mkdir()
    (lake / "versions").write_text("a file where the lake keeps its versions")
    wh = tmp_path / "w.duckdb"
    assert main(["run", str(src), "--warehouse", str(wh), "--lake", str(lake)]) == 2
    [(status, error)] = rows(wh, "select status, error from runs")
    assert status == "failed" and "versions" in error
    assert rows(wh, "select count(*) from reports")[0][0] == 2  # what loaded stays loaded
